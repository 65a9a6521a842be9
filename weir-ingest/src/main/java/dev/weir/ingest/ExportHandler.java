package dev.weir.ingest;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Session;
import dev.weir.core.execute.NodeHandler;
import dev.weir.core.execute.NodeResult;
import dev.weir.core.execute.Workspace;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs EXPORT nodes: writes a relation to Parquet or CSV with DuckDB's {@code COPY ... TO} (in the
 * warehouse when it is DuckDB; from Postgres, the relation's {@code COPY ... TO STDOUT} is written
 * to a temporary CSV file and an embedded DuckDB writes the export from it).
 *
 * <p>Atomic: everything is written into a hidden sibling ({@code .<name>.weir_tmp}) first; a file
 * export then replaces the old file with one atomic rename, a folder export swaps folders with two
 * renames (the old one moved aside, the new one moved in, the old one deleted). A failure deletes
 * the temporary sibling and leaves the previous export as it was. Folders Weir writes hold a
 * {@code .weir_export} marker; Weir refuses to replace a non-empty folder without it.
 */
public final class ExportHandler implements NodeHandler {
  static final String MARKER = ".weir_export";

  @Override
  public boolean handles(Node node) {
    return node.resourceType == ResourceType.EXPORT;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Outcome run(Node node, Session s, Workspace ws) {
    Map<String, Object> spec = (Map<String, Object>) node.extra.get("export");
    String yaml = spec.get("file") + ":" + spec.get("line");
    String relation;
    if (spec.get("relation") != null) {
      relation = String.valueOf(spec.get("relation"));
    } else {
      Node dep = node.dependsOnNodes.isEmpty() ? null : ws.project().node(node.dependsOnNodes.iterator().next());
      if (dep == null || dep.relationName == null) {
        throw WeirException.runtime("Export " + node.name + " (" + yaml + "): its model has no relation", null);
      }
      relation = dep.relationName;
    }
    Path dest = ws.projectDir().toAbsolutePath().resolve(String.valueOf(spec.get("path"))).normalize();
    boolean single = Boolean.TRUE.equals(spec.get("single_file"));
    String format = String.valueOf(spec.get("format"));
    List<String> partitionBy = (List<String>) spec.get("partition_by");
    if (Files.isDirectory(dest) && single) {
      throw WeirException.runtime("Export " + node.name + " (" + yaml + ") writes the file " + dest + ", which is a folder", null);
    }
    if (!single && Files.isDirectory(dest) && !Files.exists(dest.resolve(MARKER)) && !isEmpty(dest)) {
      throw WeirException.runtime("Export " + node.name + " (" + yaml + ") would replace " + dest + ", a folder Weir did not write"
          + " (no " + MARKER + " file in it): move it away or choose another path", null);
    }
    if (Files.isRegularFile(dest) && !single) {
      throw WeirException.runtime("Export " + node.name + " (" + yaml + ") writes a folder at " + dest + ", which is a file", null);
    }
    Path parent = dest.getParent();
    Path tmp = parent.resolve("." + dest.getFileName() + ".weir_tmp");
    Path old = parent.resolve("." + dest.getFileName() + ".weir_old");
    long rows;
    try {
      Files.createDirectories(parent);
      delete(tmp);
      delete(old);
      Path out = tmp;
      if (!single && partitionBy.isEmpty()) {
        Files.createDirectories(tmp);
        out = tmp.resolve("data." + format);
      }
      String options = options(spec, format, partitionBy);
      if ("duckdb".equals(s.engine().type())) {
        rows = s.execute("copy (select * from " + relation + ") to " + lit(out.toString()) + " (" + options + ")");
        if (rows < 0) rows = count(s, relation);
      } else if ("postgres".equals(s.engine().type())) {
        rows = fromPostgres(s, relation, columnsOf(s, node, ws, relation), out, options,
            parent.resolve("." + dest.getFileName() + ".weir_pg.csv"));
      } else {
        throw WeirException.runtime("Exports support DuckDB and Postgres warehouses, not " + s.engine().type(), null);
      }
      if (!single) Files.writeString(tmp.resolve(MARKER), "written by weir export " + node.uniqueId + "\n");
      // Swap into place.
      if (single) {
        Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        if (Files.exists(dest)) Files.move(dest, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
        delete(old);
      }
    } catch (IOException e) {
      quietDelete(tmp);
      throw WeirException.runtime("Export " + node.name + " (" + yaml + ") failed writing " + dest + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      quietDelete(tmp);
      if (e instanceof WeirException w && w.getMessage() != null && w.getMessage().startsWith("Export ")) throw e;
      throw WeirException.runtime("Export " + node.name + " (" + yaml + ") failed; the previous export is unchanged: "
          + e.getMessage(), e);
    }
    long files = countFiles(dest, format);
    String rel = ws.projectDir().toAbsolutePath().normalize().relativize(dest).toString();
    Map<String, Object> resp = new LinkedHashMap<>();
    resp.put("_message", "COPY " + rows);
    resp.put("code", "COPY");
    resp.put("rows_affected", rows);
    resp.put("weir_path", rel);
    resp.put("weir_format", format);
    resp.put("weir_files", files);
    String msg = rows + (rows == 1 ? " row" : " rows") + " to " + rel + " (" + format
        + (single ? "" : ", " + files + (files == 1 ? " file" : " files")) + ")";
    return new Outcome(NodeResult.Status.SUCCESS, msg, resp);
  }

  private static String options(Map<String, Object> spec, String format, List<String> partitionBy) {
    StringBuilder o = new StringBuilder("format ").append(format);
    if (format.equals("csv")) {
      o.append(", header ").append(spec.get("header")).append(", delimiter ").append(lit(String.valueOf(spec.get("delimiter"))));
    }
    if (!partitionBy.isEmpty()) {
      o.append(", partition_by (").append(String.join(", ", partitionBy.stream().map(ExportHandler::quote).toList())).append(')');
    }
    return o.toString();
  }

  /** Postgres: COPY TO STDOUT into a CSV file, then DuckDB writes the export from it with the relation's types. */
  private static long fromPostgres(Session s, String relation, List<ColumnInfo> cols, Path out, String options, Path csv)
      throws IOException {
    Connection pg = WarehouseJdbc.connection(s);
    long rows;
    try (OutputStream os = Files.newOutputStream(csv)) {
      rows = pg.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyOut("copy (select * from " + relation
          + ") to stdout with (format csv, header false)", os);
    } catch (SQLException e) {
      Files.deleteIfExists(csv);
      throw WeirException.runtime(e.getMessage(), e);
    }
    StringBuilder columns = new StringBuilder("{");
    for (ColumnInfo c : cols) {
      ColumnType t = ColumnType.parse(c.dataType());
      columns.append(columns.length() > 1 ? ", " : "").append(lit(c.name())).append(": ")
          .append(lit(t == null ? "VARCHAR" : t.ddl("duckdb")));
    }
    columns.append('}');
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement st = duck.createStatement()) {
      st.execute("copy (select * from read_csv(" + lit(csv.toString()) + ", header = false, auto_detect = false, delim = ',', quote = '\"',"
          + " escape = '\"', allow_quoted_nulls = false, columns = " + columns + ")) to " + lit(out.toString()) + " (" + options + ")");
    } catch (SQLException e) {
      throw WeirException.runtime(e.getMessage(), e);
    } finally {
      Files.deleteIfExists(csv);
    }
    return rows;
  }

  /** The relation's columns with their declared types (numeric(p,s) included) when it is a node's, else from a query. */
  private static List<ColumnInfo> columnsOf(Session s, Node node, Workspace ws, String relation) {
    if (!node.dependsOnNodes.isEmpty()) {
      Node dep = ws.project().node(node.dependsOnNodes.iterator().next());
      String id = dep.resourceType == ResourceType.SOURCE ? dep.identifier : dep.alias;
      var rel = s.getRelation(dep.database, dep.schema, id);
      if (rel.isPresent()) return s.getColumns(rel.get());
    }
    return s.query("select * from " + relation + " limit 0", 0).columns();
  }

  private static long count(Session s, String relation) {
    return ((Number) s.query("select count(*) from " + relation, 1).rows().get(0).get(0)).longValue();
  }

  private static long countFiles(Path dest, String format) {
    if (Files.isRegularFile(dest)) return 1;
    try (Stream<Path> w = Files.walk(dest)) {
      return w.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().endsWith("." + format)).count();
    } catch (IOException e) {
      return -1;
    }
  }

  private static boolean isEmpty(Path dir) {
    try (Stream<Path> l = Files.list(dir)) {
      return l.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  private static void delete(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (Stream<Path> w = Files.walk(p)) {
      for (Path x : w.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
    }
  }

  private static void quietDelete(Path p) {
    try {
      delete(p);
    } catch (IOException ignored) {
      // a later run deletes it first
    }
  }

  private static String quote(String id) { return '"' + id.replace("\"", "\"\"") + '"'; }

  private static String lit(String v) { return "'" + v.replace("'", "''") + "'"; }
}
