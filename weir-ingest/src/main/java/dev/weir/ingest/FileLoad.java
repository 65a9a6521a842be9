package dev.weir.ingest;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import dev.weir.core.util.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Loads one file table (an {@code ingestions:} entry with {@code files:}) with DuckDB's own readers
 * ({@code read_csv} with {@code store_rejects}, {@code read_json}, {@code read_parquet}): in the
 * warehouse's own engine when it is DuckDB, else in an embedded in-memory DuckDB whose rows are
 * copied into the warehouse (Postgres: COPY).
 *
 * <p>Which files were loaded is kept in {@code <schema>.weir_ingest_files} (path, size, mtime,
 * content hash, rows, invocation): an unchanged file is not read again; a changed file's rows
 * (tagged with their file in {@code _weir_file}) are deleted and its new rows inserted. Rows are
 * staged in {@code <table>__weir_staging}; one warehouse transaction then applies the schema drift,
 * the rows, the file records and the dead letters, so a failure changes nothing.
 */
final class FileLoad {
  static final String FILES_TABLE = "weir_ingest_files";
  static final String FILE_COLUMN = "_weir_file";
  /** Dead letters kept per load (all are counted). */
  static final int MAX_KEPT = 10_000;

  private final Map<String, Object> spec;
  private final Session s;
  private final Dialect d;
  private final Console console;
  private final String invocationId;
  private final boolean fullRefreshFlag;
  private final Path projectDir;
  private final Path tmpDir;
  private final String file;
  private final int line;
  private final String engine;
  double progressSeconds = 2.0;

  /** One file that matched, with what is known about it. */
  private record Found(Path abs, String rel, long size, long mtimeMillis) {}

  private record Dead(String file, long line, String raw, String error) {}

  FileLoad(Map<String, Object> spec, Session s, Console console, String invocationId, boolean fullRefreshFlag, Path projectDir,
           Path tmpDir) {
    this.spec = spec;
    this.s = s;
    this.d = s.dialect();
    this.console = console;
    this.invocationId = invocationId;
    this.fullRefreshFlag = fullRefreshFlag;
    this.projectDir = projectDir.toAbsolutePath().normalize();
    this.tmpDir = tmpDir;
    this.file = String.valueOf(spec.get("file"));
    this.line = ((Number) spec.get("line")).intValue();
    this.engine = s.engine().type();
  }

  private WeirException bad(String msg) { return WeirException.project(file, line, msg); }

  /** The SQL the reading side runs: the warehouse session (DuckDB) or an embedded DuckDB. */
  private interface Duck extends AutoCloseable {
    long exec(String sql);

    List<List<Object>> rows(String sql);

    /** How far the statement running now has got (0–100), or -1 (see {@link dev.weir.core.engine.Session#progress}). */
    double progress();

    @Override default void close() {}
  }

  @SuppressWarnings("unchecked")
  TableLoad.Result load() {
    try {
      return loadFiles();
    } finally {
      for (OrcReader.Converted c : orcFiles.values()) {
        try {
          Files.deleteIfExists(c.json());
        } catch (IOException ignored) {
          // a temporary file under target/: the next load replaces it
        }
      }
    }
  }

  /** ORC files converted for this load (see {@link OrcReader}), by file. */
  private final Map<Path, OrcReader.Converted> orcFiles = new java.util.HashMap<>();

  private OrcReader.Converted orc(Found f) {
    OrcReader.Converted c = orcFiles.get(f.abs());
    if (c != null) return c;
    try {
      c = OrcReader.get().convert(f.abs(), tmpDir.resolve("orc").resolve("file-" + orcFiles.size() + ".ndjson"));
    } catch (IOException | RuntimeException e) {
      throw WeirException.runtime("Reading " + f.rel() + " (orc) failed (" + file + ":" + line + "): " + firstLine(String.valueOf(e.getMessage())), e);
    }
    orcFiles.put(f.abs(), c);
    return c;
  }

  private TableLoad.Result loadFiles() {
    String ingestion = String.valueOf(spec.get("ingestion"));
    String targetName = String.valueOf(spec.get("table"));
    String schema = String.valueOf(spec.get("schema"));
    String database = (String) spec.get("database");
    String format = String.valueOf(spec.get("format"));
    String mode = fullRefreshFlag ? "full_refresh" : String.valueOf(spec.get("mode"));
    Map<String, String> declared = (Map<String, String>) spec.get("columns");
    List<String> pk = spec.get("primary_key") == null ? List.of() : (List<String>) spec.get("primary_key");
    Relation target = new Relation(database, schema, targetName, RelationType.TABLE);
    Relation staging = new Relation(database, schema, targetName + "__weir_staging", RelationType.TABLE);
    Relation deadLetter = new Relation(database, schema, targetName + "__dead_letter", RelationType.TABLE);
    Relation files = new Relation(database, schema, FILES_TABLE, RelationType.TABLE);
    String desc = schema + "." + targetName;

    // 1. The files, and which of them need loading.
    List<Found> found = glob(String.valueOf(spec.get("path")));
    ensureSchema(database, schema);
    ensureFilesTable(files);
    boolean targetExists = s.getRelation(database, schema, targetName).isPresent();
    Map<String, Object[]> known = new LinkedHashMap<>(); // rel path -> size, mtime (epoch ms), hash
    if (targetExists) {
      for (List<Object> r : s.query("select file_path, size_bytes, modified_at, content_hash from " + d.render(files)
          + " where ingestion = " + d.stringLiteral(ingestion) + " and table_name = " + d.stringLiteral(targetName), -1).rows()) {
        known.put(String.valueOf(r.get(0)), new Object[] {((Number) r.get(1)).longValue(), String.valueOf(r.get(2)), String.valueOf(r.get(3))});
      }
    }
    boolean full = mode.equals("full_refresh") || !targetExists;
    List<Found> toLoad = new ArrayList<>();
    List<String> changed = new ArrayList<>();   // loaded before: their rows are replaced
    List<Found> touched = new ArrayList<>();    // same content, new mtime: record only
    Map<String, String> hashes = new LinkedHashMap<>();
    long tHash = System.nanoTime();
    for (Found f : found) {
      Object[] k = known.get(f.rel());
      if (!full && k != null && (Long) k[0] == f.size() && stamp(f.mtimeMillis()).equals(k[1])) continue;
      String h = hash(f.abs());
      hashes.put(f.rel(), h);
      if (!full && k != null && h.equals(k[2]) && (Long) k[0] == f.size()) {
        touched.add(f);
        continue;
      }
      toLoad.add(f);
      if (k != null) changed.add(f.rel());
    }
    console.debug(String.format(Locale.ROOT, "ingest %s: %d files listed and compared in %.2fs", desc, found.size(),
        (System.nanoTime() - tHash) / 1e9));
    if (toLoad.isEmpty()) {
      if (!touched.isEmpty()) publishRecordsOnly(files, ingestion, targetName, touched, hashes);
      return new TableLoad.Result(desc, 0, 0, 0, List.of(), null, mode + "|(" + plural(found.size(), "file") + " unchanged)", 0);
    }

    try (Duck duck = duck()) {
      // 2. Columns: declared, or read from each file, widened across files.
      long tDescribe = System.nanoTime();
      Map<String, Map<String, String>> fileCols = new LinkedHashMap<>(); // file -> (its column -> target column)
      Map<String, ColumnType> wanted = new LinkedHashMap<>();
      for (Found f : toLoad) {
        Map<String, String> names = new LinkedHashMap<>();
        for (List<Object> r : duck.rows("describe select * from " + reader(f, format, declared, null, true))) {
          String n = String.valueOf(r.get(0));
          if (n.equals(FILE_COLUMN)) continue;
          ColumnType t = ColumnType.parse(String.valueOf(r.get(1)));
          if (t == null) t = ColumnType.VARCHAR;
          if (!declared.isEmpty()) {
            String dn = declared.keySet().stream().filter(x -> x.equalsIgnoreCase(n)).findFirst().orElse(null);
            if (dn == null) continue; // not declared: not loaded
            names.put(n, dn);
            continue;
          }
          String same = wanted.keySet().stream().filter(x -> x.equalsIgnoreCase(n)).findFirst().orElse(n);
          names.put(n, same);
          ColumnType have = wanted.get(same);
          wanted.put(same, have == null ? t : have.widen(t));
        }
        fileCols.put(f.rel(), names);
      }
      if (!declared.isEmpty()) {
        for (var e : declared.entrySet()) {
          ColumnType t = ColumnType.parse(e.getValue());
          wanted.put(e.getKey(), t == null ? ColumnType.VARCHAR : t);
        }
      }
      if (wanted.isEmpty()) throw bad("No column to load from " + toLoad.get(0).rel());
      console.debug(String.format(Locale.ROOT, "ingest %s: columns of %d files read in %.2fs", desc, toLoad.size(),
          (System.nanoTime() - tDescribe) / 1e9));

      // 3. Schema drift against the target.
      List<String> changes = new ArrayList<>();
      List<String> alters = new ArrayList<>();
      Map<String, ColumnType> finalTypes = new LinkedHashMap<>();
      Map<String, String> finalDdl = new LinkedHashMap<>();
      if (!full) {
        for (ColumnInfo ci : s.getColumns(target)) {
          ColumnType have = ColumnType.parse(ci.dataType());
          if (ci.name().equals(FILE_COLUMN)) continue;
          String src = wanted.keySet().stream().filter(w -> w.equalsIgnoreCase(ci.name())).findFirst().orElse(null);
          if (src == null) {
            changes.add("column " + ci.name() + " is not in the new files: kept, loaded as nulls");
            finalTypes.put(ci.name(), have == null ? ColumnType.VARCHAR : have);
            finalDdl.put(ci.name(), ci.dataType());
            continue;
          }
          ColumnType in = wanted.get(src);
          ColumnType t = have == null ? in : have.widen(in);
          if (have != null && !t.equals(have)) {
            changes.add("column " + ci.name() + " widened from " + have + " to " + t);
            alters.add("alter table " + d.render(target) + " alter column " + d.quote(ci.name()) + " type " + t.ddl(engine));
          }
          finalTypes.put(ci.name(), have == null ? in : t);
          finalDdl.put(ci.name(), have == null ? ci.dataType() : t.ddl(engine));
          if (!src.equals(ci.name())) { // keep the target's spelling
            wanted.put(ci.name(), wanted.remove(src));
            for (Map<String, String> m : fileCols.values()) m.replaceAll((k, v) -> v.equalsIgnoreCase(ci.name()) ? ci.name() : v);
          }
        }
        for (var w : wanted.entrySet()) {
          if (finalTypes.containsKey(w.getKey())) continue;
          changes.add("column " + w.getKey() + " " + w.getValue() + " added");
          alters.add("alter table " + d.render(target) + " add column " + d.quote(w.getKey()) + " " + w.getValue().ddl(engine));
          finalTypes.put(w.getKey(), w.getValue());
          finalDdl.put(w.getKey(), w.getValue().ddl(engine));
        }
        if (!changes.isEmpty() && "fail".equals(spec.get("on_schema_change"))) {
          throw WeirException.runtime("The files of " + d.render(target) + " changed shape and on_schema_change is 'fail' ("
              + file + ":" + line + "):\n  - " + String.join("\n  - ", changes), null);
        }
      } else {
        for (var w : wanted.entrySet()) {
          finalTypes.put(w.getKey(), w.getValue());
          finalDdl.put(w.getKey(), w.getValue().ddl(engine));
        }
      }
      List<String> keys = new ArrayList<>();
      for (String k : pk) {
        String tn = finalTypes.keySet().stream().filter(x -> x.equalsIgnoreCase(k)).findFirst().orElse(null);
        if (tn == null) throw bad("primary_key column '" + k + "' is not among the loaded columns (" + String.join(", ", finalTypes.keySet()) + ")");
        keys.add(tn);
      }

      // 4. Staging, filled file by file.
      List<ColumnInfo> stagingCols = new ArrayList<>();
      for (var e : finalDdl.entrySet()) stagingCols.add(new ColumnInfo(e.getKey(), e.getValue()));
      stagingCols.add(new ColumnInfo(FILE_COLUMN, ColumnType.VARCHAR.ddl(engine)));
      s.execute(d.dropIfExists(staging, RelationType.TABLE));
      s.execute(d.createTable(staging, stagingCols));
      boolean local = !"duckdb".equals(engine);
      String stage = d.render(staging);
      if (local) {
        StringBuilder ddl = new StringBuilder("create or replace table weir_stage (");
        for (var e : finalTypes.entrySet()) ddl.append(quote(e.getKey())).append(' ').append(e.getValue().ddl("duckdb")).append(", ");
        ddl.append(quote(FILE_COLUMN)).append(" varchar)");
        duck.exec(ddl.toString());
        stage = "weir_stage";
      }
      long loaded = 0;
      long badRows = 0;
      Map<String, Long> rowsPerFile = new LinkedHashMap<>();
      List<Dead> dead = new ArrayList<>();
      long t0 = System.nanoTime();
      long last = t0;
      long bytesTotal = toLoad.stream().mapToLong(Found::size).sum();
      long bytesDone = 0;
      int done = 0;
      if (toLoad.stream().anyMatch(x -> x.size() >= PROGRESS_FILE_BYTES)) {
        // DuckDB tracks a statement's progress only with its progress bar on (never printed: Weir prints the lines)
        duck.exec("set enable_progress_bar_print = false");
        duck.exec("set enable_progress_bar = true");
      }
      try {
        for (List<Found> group : groups(toLoad, format, fileCols)) {
          Found f = group.get(0);
          Map<String, String> cols = fileCols.get(f.rel());
          Map<String, ColumnType> types = new LinkedHashMap<>(); // by the file's column names
          for (var c : cols.entrySet()) types.put(c.getKey(), finalTypes.get(c.getValue()));
          long groupBytes = group.stream().mapToLong(Found::size).sum();
          Map<String, long[]> counts;
          // a read big enough to take a while gets progress lines of its own (DuckDB's query progress)
          String label = group.size() == 1 ? "file " + (done + 1) + " of " + toLoad.size() + " (" + f.rel() + ")"
              : "files " + (done + 1) + "-" + (done + group.size()) + " of " + toLoad.size();
          try (AutoCloseable ticker = groupBytes >= PROGRESS_FILE_BYTES ? fileProgress(duck, desc, label, groupBytes, bytesDone,
              bytesTotal, t0) : () -> { }) {
            counts = group.size() == 1 ? Map.of(f.rel(), fill(duck, f, format, stage, cols, types, declared, dead))
                : fillCsvGroup(duck, group, stage, cols, types, declared, dead);
          } catch (RuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          for (Found g : group) {
            long[] c = counts.getOrDefault(g.rel(), new long[2]);
            loaded += c[0];
            badRows += c[1];
            rowsPerFile.put(g.rel(), c[0]);
          }
          if (local) {
            copyToWarehouse(duck, staging, finalTypes.keySet());
            duck.exec("delete from weir_stage");
          }
          bytesDone += groupBytes;
          done += group.size();
          long now = System.nanoTime();
          if (now - last >= progressSeconds * 1e9 && done < toLoad.size()) {
            last = now;
            double secs = (now - t0) / 1e9;
            console.info(String.format(Locale.ROOT, "  ingesting %s: %d of %d files, %,d rows, %,.0f rows/s, ETA %ds", desc, done,
                toLoad.size(), loaded, loaded / secs, Math.round(secs * (bytesTotal - bytesDone) / Math.max(bytesDone, 1))));
          }
        }
      } catch (RuntimeException e) {
        s.execute(d.dropIfExists(staging, RelationType.TABLE));
        throw e;
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      console.debug(String.format(Locale.ROOT, "ingest %s: %d rows from %d files staged in %.2fs", desc, loaded, toLoad.size(), secs));
      long read = loaded + badRows;
      double maxFraction = ((Number) spec.get("max_bad_fraction")).doubleValue();
      if (badRows > 0 && (double) badRows / Math.max(read, 1) > maxFraction) {
        s.execute(d.dropIfExists(staging, RelationType.TABLE));
        StringBuilder sample = new StringBuilder();
        dead.stream().limit(3).forEach(dl -> sample.append("\n  - ").append(dl.file()).append(':').append(dl.line()).append(": ")
            .append(dl.error()));
        throw WeirException.runtime(String.format(Locale.ROOT, "%d of %d rows of %s do not load (%.2f%%, more than bad_rows.max_fraction"
            + " %s, %s:%d): nothing was changed. First errors:%s", badRows, read, desc, 100.0 * badRows / Math.max(read, 1),
            maxFraction, file, line, sample), null);
      }
      if (!keys.isEmpty() && mode.equals("upsert")) dedupe(staging, keys);

      // 5. Publish: one transaction.
      List<ColumnInfo> dlCols = List.of(new ColumnInfo("ingestion", ColumnType.VARCHAR.ddl(engine)),
          new ColumnInfo("table_name", ColumnType.VARCHAR.ddl(engine)), new ColumnInfo("file", ColumnType.VARCHAR.ddl(engine)),
          new ColumnInfo("line", "bigint"), new ColumnInfo("raw_text", ColumnType.VARCHAR.ddl(engine)),
          new ColumnInfo("error", ColumnType.VARCHAR.ddl(engine)), new ColumnInfo("invocation_id", ColumnType.VARCHAR.ddl(engine)),
          new ColumnInfo("loaded_at", "timestamp"));
      if (!dead.isEmpty() && s.getRelation(database, schema, deadLetter.identifier()).isEmpty()) s.execute(d.createTable(deadLetter, dlCols));
      List<String> colList = new ArrayList<>();
      for (String c : finalTypes.keySet()) colList.add(d.quote(c));
      colList.add(d.quote(FILE_COLUMN));
      String cl = String.join(", ", colList);
      long tPublish = System.nanoTime();
      long quarantined = 0;
      synchronized (TableLoad.class) {
        s.begin();
        try {
          if (quarantine != null) quarantined = quarantine.divert(targetName, staging);
          if (full) {
            if (targetExists) s.execute(d.dropIfExists(target, RelationType.TABLE));
            s.execute(d.rename(staging, RelationType.TABLE, targetName));
            s.execute("delete from " + d.render(files) + " where ingestion = " + d.stringLiteral(ingestion) + " and table_name = "
                + d.stringLiteral(targetName));
          } else {
            for (String a : alters) s.execute(a);
            if (!changed.isEmpty()) {
              s.execute("delete from " + d.render(target) + " where " + d.quote(FILE_COLUMN) + " in ("
                  + String.join(", ", changed.stream().map(d::stringLiteral).toList()) + ")");
            }
            if (!keys.isEmpty() && mode.equals("upsert")) {
              TableLoad.deleteMatchingKeys(s, d, target, staging, keys);
            }
            s.execute("insert into " + d.render(target) + " (" + cl + ") select " + cl + " from " + d.render(staging));
            s.execute(d.dropIfExists(staging, RelationType.TABLE));
          }
          List<Found> records = new ArrayList<>(toLoad);
          records.addAll(touched);
          writeRecords(files, ingestion, targetName, records, hashes, rowsPerFile, touched);
          if (!dead.isEmpty()) {
            LocalDateTime now = LocalDateTime.now(ZoneOffset.UTC);
            List<Object[]> dl = new ArrayList<>();
            for (Dead x : dead) dl.add(new Object[] {ingestion, targetName, x.file(), x.line(), x.raw(), x.error(), invocationId, now});
            s.bulkLoad(deadLetter, dlCols, dl);
          }
          s.commit();
        } catch (RuntimeException e) {
          if (s.inTransaction()) s.rollback();
          throw e;
        }
      }
      console.debug(String.format(Locale.ROOT, "ingest %s: published in %.2fs", desc, (System.nanoTime() - tPublish) / 1e9));
      String how = mode + "|from " + plural(toLoad.size(), "file")
          + (changed.isEmpty() && found.size() == toLoad.size() ? "" : " (" + String.join(", ", Stream.of(
              changed.isEmpty() ? null : changed.size() + " changed: rows replaced",
              found.size() > toLoad.size() ? (found.size() - toLoad.size()) + " unchanged" : null).filter(x -> x != null).toList()) + ")");
      return new TableLoad.Result(desc, loaded - quarantined, read, badRows, changes, null, how, quarantined);
    }
  }

  /** Moves staged rows failing the table's quarantine checks aside in the publishing transaction (see TableLoad). */
  TableLoad.Quarantine quarantine;

  // ------------------------------------------------------------------ reading

  /** The DuckDB table function reading {@code f} ({@code types}: the target types of its columns; null while describing). */
  private String reader(Found f, String format, Map<String, String> declared, Map<String, ColumnType> types, boolean describe) {
    return reader(lit(f.abs().toString()), f, format, declared, types, describe, null);
  }

  /**
   * The table function reading {@code path} (a path literal, or for CSV a list of them); {@code f}: the file, for
   * formats read one file at a time; {@code filenameColumn}: CSV only, adds that column holding each row's path.
   */
  private String reader(String path, Found f, String format, Map<String, String> declared, Map<String, ColumnType> types,
                        boolean describe, String filenameColumn) {
    String compression = String.valueOf(spec.get("compression"));
    switch (format) {
      case "csv" -> {
        StringBuilder o = new StringBuilder("read_csv(").append(path);
        if (filenameColumn != null) o.append(", filename = ").append(lit(filenameColumn));
        if (spec.get("header") != null) o.append(", header = ").append(spec.get("header"));
        if (spec.get("delimiter") != null) o.append(", delim = ").append(lit((String) spec.get("delimiter")));
        if (spec.get("quote") != null) o.append(", quote = ").append(lit((String) spec.get("quote")));
        o.append(", compression = ").append(lit(compression));
        boolean positional = Boolean.FALSE.equals(spec.get("header")) && !declared.isEmpty();
        if (positional) {
          o.append(", columns = ").append(struct(declared.keySet(), n -> {
            ColumnType t = types == null ? null : types.get(n);
            return t != null ? t.ddl("duckdb") : ColumnType.parse(declared.get(n)) == null ? "VARCHAR" : ColumnType.parse(declared.get(n)).ddl("duckdb");
          }));
        } else if (types != null && !types.isEmpty()) {
          o.append(", types = ").append(struct(types.keySet(), n -> types.get(n).ddl("duckdb")));
        }
        o.append(", max_line_size = 33554432");
        if (describe) o.append(", ignore_errors = true");
        else o.append(", store_rejects = true, rejects_table = 'weir_rejects', rejects_scan = 'weir_reject_scans'");
        return o.append(')').toString();
      }
      case "ndjson", "json" -> {
        return "read_json(" + path + ", format = " + (format.equals("ndjson") ? "'newline_delimited'" : "'auto'")
            + ", compression = " + lit(compression) + (describe && format.equals("ndjson") ? ", ignore_errors = true" : "") + ")";
      }
      case "orc" -> {
        OrcReader.Converted c = orc(f);
        return "read_json(" + lit(c.json().toString()) + ", format = 'newline_delimited', columns = " + OrcReader.columnsStruct(c.types()) + ")";
      }
      default -> { return "read_parquet(" + path + ")"; }
    }
  }

  /** CSV files read together by one read_csv (at most this many per statement). */
  static final int GROUP_FILES = 64;

  /**
   * The files in load order, in groups read by one statement: consecutive CSV files with the same columns go
   * together (DuckDB reads a list of files in parallel, ~35% faster than file by file on the benchmark); anything
   * else alone.
   */
  private static List<List<Found>> groups(List<Found> files, String format, Map<String, Map<String, String>> fileCols) {
    List<List<Found>> out = new ArrayList<>();
    List<Found> cur = null;
    for (Found f : files) {
      boolean joins = format.equals("csv") && cur != null && cur.size() < GROUP_FILES
          && new ArrayList<>(fileCols.get(cur.get(0).rel()).entrySet()).equals(new ArrayList<>(fileCols.get(f.rel()).entrySet()));
      if (!joins) {
        cur = new ArrayList<>();
        out.add(cur);
      }
      cur.add(f);
    }
    return out;
  }

  /** Fills the stage with the rows of several CSV files of the same columns in one read; per file {rows loaded, bad rows}. */
  private Map<String, long[]> fillCsvGroup(Duck duck, List<Found> group, String stage, Map<String, String> colMap,
                                         Map<String, ColumnType> types, Map<String, String> declared, List<Dead> dead) {
    List<String> cols = new ArrayList<>(colMap.keySet());
    List<String> q = new ArrayList<>();
    for (String c : cols) q.add(quote(colMap.get(c)));
    q.add(quote(FILE_COLUMN));
    String src = "__weir_source_file";
    StringBuilder paths = new StringBuilder("[");
    StringBuilder rel = new StringBuilder("case ").append(quote(src));
    Map<String, String> relOf = new LinkedHashMap<>();
    for (Found f : group) {
      String abs = f.abs().toString();
      if (paths.length() > 1) paths.append(", ");
      paths.append(lit(abs));
      rel.append(" when ").append(lit(abs)).append(" then ").append(lit(f.rel()));
      relOf.put(abs, f.rel());
    }
    paths.append(']');
    rel.append(" end");
    Map<String, long[]> out = new LinkedHashMap<>();
    for (Found f : group) out.put(f.rel(), new long[2]);
    try {
      duck.exec("drop table if exists temp.main.weir_rejects");
      duck.exec("drop table if exists temp.main.weir_reject_scans");
      StringBuilder sel = new StringBuilder("select ");
      for (String c : cols) sel.append(quote(c)).append(", ");
      sel.append(rel).append(" from ").append(reader(paths.toString(), group.get(0), "csv", declared, types, false, src));
      duck.exec("insert into " + stage + " (" + String.join(", ", q) + ") " + sel);
      StringBuilder in = new StringBuilder();
      for (Found f : group) in.append(in.length() == 0 ? "" : ", ").append(lit(f.rel()));
      for (List<Object> r : duck.rows("select " + quote(FILE_COLUMN) + ", count(*) from " + stage + " where " + quote(FILE_COLUMN)
          + " in (" + in + ") group by 1")) {
        long[] c = out.get(String.valueOf(r.get(0)));
        if (c != null) c[0] = ((Number) r.get(1)).longValue();
      }
      String lastKey = null;
      for (List<Object> r : duck.rows("select s.file_path, r.line, r.csv_line, r.error_message from temp.main.weir_rejects r"
          + " join temp.main.weir_reject_scans s on r.scan_id = s.scan_id and r.file_id = s.file_id order by s.file_path, r.line, r.column_idx")) {
        String file = relOf.getOrDefault(String.valueOf(r.get(0)), String.valueOf(r.get(0)));
        long ln = ((Number) r.get(1)).longValue();
        String key = file + ":" + ln;
        if (key.equals(lastKey)) continue;
        lastKey = key;
        long[] c = out.get(file);
        if (c != null) c[1]++;
        if (dead.size() < MAX_KEPT) dead.add(new Dead(file, ln, String.valueOf(r.get(2)), String.valueOf(r.get(3))));
      }
      return out;
    } catch (RuntimeException e) {
      throw WeirException.runtime("Reading " + group.size() + " files from " + group.get(0).rel() + " to " + group.get(group.size() - 1).rel()
          + " (csv) failed (" + file + ":" + line + "): " + firstLine(e.getMessage()), e);
    }
  }

  /** Fills the stage with the rows of one file; returns {rows loaded, bad rows}. */
  private long[] fill(Duck duck, Found f, String format, String stage, Map<String, String> colMap, Map<String, ColumnType> types,
                      Map<String, String> declared, List<Dead> dead) {
    List<String> cols = new ArrayList<>(colMap.keySet());
    List<String> q = new ArrayList<>();
    for (String c : cols) q.add(quote(colMap.get(c)));
    q.add(quote(FILE_COLUMN));
    String into = "insert into " + stage + " (" + String.join(", ", q) + ") ";
    String fileLit = lit(f.rel());
    try {
      switch (format) {
        case "csv" -> {
          duck.exec("drop table if exists temp.main.weir_rejects");
          duck.exec("drop table if exists temp.main.weir_reject_scans");
          StringBuilder sel = new StringBuilder("select ");
          for (String c : cols) sel.append(quote(c)).append(", ");
          sel.append(fileLit).append(" from ").append(reader(f, format, declared, types, false));
          long n = duck.exec(into + sel);
          long bad = 0;
          List<List<Object>> rej = duck.rows("select line, csv_line, error_message from temp.main.weir_rejects order by line, column_idx");
          long lastLine = -1;
          for (List<Object> r : rej) {
            long ln = ((Number) r.get(0)).longValue();
            if (ln == lastLine) continue;
            lastLine = ln;
            bad++;
            if (dead.size() < MAX_KEPT) dead.add(new Dead(f.rel(), ln, String.valueOf(r.get(1)), String.valueOf(r.get(2))));
          }
          return new long[] {n, bad};
        }
        case "ndjson" -> {
          String compression = String.valueOf(spec.get("compression"));
          duck.exec("create or replace temp table weir_lines as select row_number() over () as line, raw from read_csv(" + lit(f.abs().toString())
              + ", columns = {'raw': 'VARCHAR'}, header = false, auto_detect = false, delim = chr(1), quote = '', escape = '',"
              + " compression = " + lit(compression) + ", max_line_size = 33554432)");
          StringBuilder shape = new StringBuilder("{");
          for (String c : cols) shape.append(shape.length() > 1 ? ", " : "").append('"').append(c.replace("\"", "\\\"")).append("\": \"VARCHAR\"");
          shape.append('}');
          duck.exec("create or replace temp table weir_json as select line, raw, case when json_valid(raw) and json_type(raw) = 'OBJECT'"
              + " then from_json(raw, " + lit(shape.toString()) + ") end as j from weir_lines where trim(raw) <> ''");
          List<String> badConds = new ArrayList<>();
          List<String> errs = new ArrayList<>();
          StringBuilder sel = new StringBuilder("select ");
          for (String c : cols) {
            String v = "j." + quote(c);
            String ty = types.get(c).ddl("duckdb");
            sel.append("try_cast(").append(v).append(" as ").append(ty).append("), ");
            String cond = "(" + v + " is not null and try_cast(" + v + " as " + ty + ") is null)";
            badConds.add(cond);
            errs.add("case when " + cond + " then " + lit("column " + c + ": '") + " || " + v + " || " + lit("' is not a "
                + types.get(c)) + " end");
          }
          String anyBad = badConds.isEmpty() ? "false" : String.join(" or ", badConds);
          sel.append(fileLit).append(" from weir_json where j is not null and not (").append(anyBad).append(")");
          long n = duck.exec(into + sel);
          long bad = ((Number) duck.rows("select count(*) from weir_json where j is null or " + anyBad).get(0).get(0)).longValue();
          if (bad > 0) {
            for (List<Object> r : duck.rows("select line, raw, case when j is null then 'not a JSON object: malformed line' else concat_ws('; ', "
                + (errs.isEmpty() ? "''" : String.join(", ", errs)) + ") end from weir_json where j is null or " + anyBad
                + " order by line limit " + (MAX_KEPT - Math.min(dead.size(), MAX_KEPT)))) {
              dead.add(new Dead(f.rel(), ((Number) r.get(0)).longValue(), String.valueOf(r.get(1)), String.valueOf(r.get(2))));
            }
          }
          duck.exec("drop table if exists weir_lines");
          duck.exec("drop table if exists weir_json");
          return new long[] {n, bad};
        }
        default -> { // json, parquet: typed readers; when a value does not cast, the file is read again row by row
          StringBuilder sel = new StringBuilder("select ");
          for (String c : cols) sel.append("cast(").append(quote(c)).append(" as ").append(types.get(c).ddl("duckdb")).append("), ");
          sel.append(fileLit).append(" from ").append(reader(f, format, declared, types, false));
          try {
            return new long[] {duck.exec(into + sel), 0};
          } catch (RuntimeException e) {
            if (!isConversionError(e)) throw e;
            return fillRowByRow(duck, f, format, into, fileLit, cols, types, declared, dead);
          }
        }
      }
    } catch (RuntimeException e) {
      throw WeirException.runtime("Reading " + f.rel() + " (" + format + ") failed (" + file + ":" + line + "): "
          + firstLine(e.getMessage()), e);
    }
  }

  /** Whether a statement failed because a value did not convert to a column's type (DuckDB's conversion errors). */
  private static boolean isConversionError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      if (m.contains("Conversion Error") || m.contains("Could not convert") || m.contains("Invalid Input Error: Could not")) return true;
    }
    return false;
  }

  /**
   * JSON and Parquet files with values that do not convert: the file's rows numbered in file order (1-based), the good
   * ones converted into the stage, the others to the dead letters with the row as JSON and the columns that failed.
   */
  private long[] fillRowByRow(Duck duck, Found f, String format, String into, String fileLit, List<String> cols,
                              Map<String, ColumnType> types, Map<String, String> declared, List<Dead> dead) {
    duck.exec("create or replace temp table weir_rows as select row_number() over () as weir_row, * from "
        + reader(f, format, declared, types, false));
    List<String> badConds = new ArrayList<>();
    List<String> errs = new ArrayList<>();
    StringBuilder sel = new StringBuilder("select ");
    for (String c : cols) {
      String v = quote(c);
      String ty = types.get(c).ddl("duckdb");
      sel.append("try_cast(").append(v).append(" as ").append(ty).append("), ");
      String cond = "(" + v + " is not null and try_cast(" + v + " as " + ty + ") is null)";
      badConds.add(cond);
      // a JSON-typed value (mixed types in a JSON file) is shown as its text, not as JSON
      String text = "case when typeof(" + v + ") = 'JSON' then json_extract_string(" + v + ", '$') else cast(" + v + " as varchar) end";
      errs.add("case when " + cond + " then " + lit("column " + c + ": '") + " || " + text + " || "
          + lit("' is not a " + types.get(c)) + " end");
    }
    String anyBad = badConds.isEmpty() ? "false" : String.join(" or ", badConds);
    sel.append(fileLit).append(" from weir_rows where not (").append(anyBad).append(")");
    long n = duck.exec(into + sel);
    long bad = ((Number) duck.rows("select count(*) from weir_rows where " + anyBad).get(0).get(0)).longValue();
    for (List<Object> r : duck.rows("select weir_row, to_json(w) :: varchar, concat_ws('; ', " + String.join(", ", errs)
        + ") from weir_rows w where " + anyBad + " order by weir_row limit " + (MAX_KEPT - Math.min(dead.size(), MAX_KEPT)))) {
      dead.add(new Dead(f.rel(), ((Number) r.get(0)).longValue(), String.valueOf(r.get(1)), String.valueOf(r.get(2))));
    }
    duck.exec("drop table if exists weir_rows");
    return new long[] {n, bad};
  }

  /** Files at least this big report their own progress while they load. */
  static final long PROGRESS_FILE_BYTES = 64L << 20;

  /**
   * Prints a progress line every {@link #progressSeconds} while one large file loads: the statement's progress as DuckDB
   * reports it, the bytes of the ingestion done so far, and the ETA over all its files. Stops when closed.
   */
  private AutoCloseable fileProgress(Duck duck, String desc, String label, long size, long bytesBefore, long bytesTotal, long t0) {
    java.util.concurrent.ScheduledExecutorService ex = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "weir-ingest-progress");
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(100, Math.round(progressSeconds * 1000));
    ex.scheduleWithFixedDelay(() -> {
      double pct = duck.progress();
      if (pct < 0) return;
      long bytesDone = bytesBefore + Math.round(size * pct / 100);
      double secs = (System.nanoTime() - t0) / 1e9;
      console.info(String.format(Locale.ROOT, "  ingesting %s: %s %.0f%%, %,d of %,d MB, ETA %ds", desc, label,
          pct, bytesDone >> 20, bytesTotal >> 20, Math.round(secs * (bytesTotal - bytesDone) / Math.max(bytesDone, 1))));
    }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
    return ex::shutdownNow;
  }

  private static String firstLine(String m) {
    if (m == null) return "";
    return m.length() > 600 ? m.substring(0, 600) + "..." : m;
  }

  /** Upsert: one row per key in the staging table (the last file's, by path order). */
  private void dedupe(Relation staging, List<String> keys) {
    String k = String.join(", ", keys.stream().map(d::quote).toList());
    long dups = ((Number) s.query("select count(*) - count(distinct (" + k + ")) from " + d.render(staging), 1).rows().get(0).get(0))
        .longValue();
    if (dups <= 0) return;
    if ("duckdb".equals(engine)) {
      s.execute("delete from " + d.render(staging) + " where rowid in (select rowid from (select rowid, row_number() over (partition by "
          + k + " order by " + d.quote(FILE_COLUMN) + " desc) as weir_rn from " + d.render(staging) + ") where weir_rn > 1)");
    } else {
      s.execute("delete from " + d.render(staging) + " where ctid in (select ctid from (select ctid, row_number() over (partition by "
          + k + " order by " + d.quote(FILE_COLUMN) + " desc) as weir_rn from " + d.render(staging) + ") x where weir_rn > 1)");
    }
  }

  // ------------------------------------------------------------------ warehouse side

  private void ensureSchema(String database, String schema) {
    if (!s.schemaExists(database, schema)) s.createSchema(database, schema);
  }

  private void ensureFilesTable(Relation files) {
    synchronized (TableLoad.class) {
      if (s.getRelation(files.database(), files.schema(), files.identifier()).isPresent()) return;
      String v = ColumnType.VARCHAR.ddl(engine);
      s.execute("create table if not exists " + d.render(files) + " (ingestion " + v + ", table_name " + v + ", file_path " + v
          + ", size_bytes bigint, modified_at " + v + ", content_hash " + v + ", rows_loaded bigint, invocation_id " + v
          + ", loaded_at timestamp)");
    }
  }

  private void writeRecords(Relation files, String ingestion, String table, List<Found> records, Map<String, String> hashes,
                            Map<String, Long> rowsPerFile, List<Found> touched) {
    if (records.isEmpty()) return;
    Set<String> touchedRel = new HashSet<>();
    for (Found t : touched) touchedRel.add(t.rel());
    Map<String, Long> keepRows = new LinkedHashMap<>();
    if (!touched.isEmpty()) {
      for (List<Object> r : s.query("select file_path, rows_loaded from " + d.render(files) + " where ingestion = " + d.stringLiteral(ingestion)
          + " and table_name = " + d.stringLiteral(table), -1).rows()) {
        keepRows.put(String.valueOf(r.get(0)), r.get(1) == null ? 0L : ((Number) r.get(1)).longValue());
      }
    }
    StringBuilder in = new StringBuilder();
    for (Found f : records) in.append(in.length() > 0 ? ", " : "").append(d.stringLiteral(f.rel()));
    s.execute("delete from " + d.render(files) + " where ingestion = " + d.stringLiteral(ingestion) + " and table_name = "
        + d.stringLiteral(table) + " and file_path in (" + in + ")");
    StringBuilder values = new StringBuilder();
    for (Found f : records) {
      long rows = touchedRel.contains(f.rel()) ? keepRows.getOrDefault(f.rel(), 0L) : rowsPerFile.getOrDefault(f.rel(), 0L);
      if (values.length() > 0) values.append(", ");
      values.append('(').append(d.stringLiteral(ingestion)).append(", ").append(d.stringLiteral(table)).append(", ")
          .append(d.stringLiteral(f.rel())).append(", ").append(f.size()).append(", ").append(d.stringLiteral(stamp(f.mtimeMillis())))
          .append(", ").append(d.stringLiteral(hashes.get(f.rel()))).append(", ").append(rows).append(", ")
          .append(d.stringLiteral(invocationId)).append(", current_timestamp)");
    }
    s.execute("insert into " + d.render(files) + " values " + values);
  }

  private void publishRecordsOnly(Relation files, String ingestion, String table, List<Found> touched, Map<String, String> hashes) {
    synchronized (TableLoad.class) {
      s.begin();
      try {
        writeRecords(files, ingestion, table, touched, hashes, Map.of(), touched);
        s.commit();
      } catch (RuntimeException e) {
        if (s.inTransaction()) s.rollback();
        throw e;
      }
    }
  }

  /** Postgres (or another warehouse): the embedded DuckDB's stage written as CSV, then COPY'd into the staging table. */
  private void copyToWarehouse(Duck duck, Relation staging, Set<String> cols) {
    try {
      Files.createDirectories(tmpDir);
      Path csv = tmpDir.resolve("stage-" + Thread.currentThread().getId() + ".csv");
      duck.exec("copy weir_stage to " + lit(csv.toString()) + " (format csv, header false)");
      List<String> q = new ArrayList<>();
      for (String c : cols) q.add(d.quote(c));
      q.add(d.quote(FILE_COLUMN));
      Connection pg = WarehouseJdbc.connection(s);
      try (InputStream in = Files.newInputStream(csv)) {
        pg.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyIn("copy " + d.render(staging) + " (" + String.join(", ", q)
            + ") from stdin with (format csv)", in);
      } finally {
        Files.deleteIfExists(csv);
      }
    } catch (IOException | SQLException e) {
      throw WeirException.runtime("Copying staged rows into " + d.render(staging) + " failed: " + e.getMessage(), e);
    }
  }

  private Duck duck() {
    if ("duckdb".equals(engine)) {
      return new Duck() {
        @Override public long exec(String sql) { return s.execute(sql); }

        @Override public List<List<Object>> rows(String sql) { return s.query(sql, -1).rows(); }

        @Override public double progress() { return s.progress(); }
      };
    }
    if (!"postgres".equals(engine)) {
      throw bad("File ingestion supports DuckDB and Postgres warehouses, not " + engine);
    }
    try {
      Connection c = DriverManager.getConnection("jdbc:duckdb:");
      try (Statement st = c.createStatement()) {
        Files.createDirectories(tmpDir);
        st.execute("set temp_directory = " + lit(tmpDir.resolve("duckdb_spill").toString()));
      }
      return new Duck() {
        private volatile Statement running;

        @Override public long exec(String sql) {
          try (Statement st = c.createStatement()) {
            running = st;
            boolean rs = st.execute(sql);
            if (rs) {
              try (ResultSet r = st.getResultSet()) {
                return r.next() ? r.getLong(1) : 0;
              }
            }
            return st.getUpdateCount();
          } catch (SQLException e) {
            throw WeirException.runtime(e.getMessage(), e);
          } finally {
            running = null;
          }
        }

        @Override public double progress() {
          try {
            return running instanceof org.duckdb.DuckDBPreparedStatement p ? p.getQueryProgress().getPercentage() : -1;
          } catch (SQLException | RuntimeException e) {
            return -1;
          }
        }

        @Override public List<List<Object>> rows(String sql) {
          List<List<Object>> out = new ArrayList<>();
          try (Statement st = c.createStatement(); ResultSet r = st.executeQuery(sql)) {
            int n = r.getMetaData().getColumnCount();
            while (r.next()) {
              List<Object> row = new ArrayList<>(n);
              for (int i = 1; i <= n; i++) row.add(r.getObject(i));
              out.add(row);
            }
          } catch (SQLException e) {
            throw WeirException.runtime(e.getMessage(), e);
          }
          return out;
        }

        @Override public void close() {
          try {
            c.close();
          } catch (SQLException ignored) {
            // in-memory database: nothing to keep
          }
        }
      };
    } catch (SQLException | IOException e) {
      throw WeirException.runtime("Cannot start the embedded DuckDB that reads files: " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------ files

  /** The files a path or glob (relative to the project) matches, sorted by path. */
  private List<Found> glob(String pattern) {
    String norm = pattern.replace('\\', '/');
    int firstGlob = indexOfGlob(norm);
    Path base;
    if (firstGlob < 0) {
      Path p = projectDir.resolve(norm).normalize();
      if (!Files.isRegularFile(p)) throw bad("File '" + pattern + "' does not exist (" + p + ")");
      return List.of(found(p));
    }
    int slash = norm.lastIndexOf('/', firstGlob);
    base = projectDir.resolve(slash < 0 ? "." : norm.substring(0, slash)).normalize();
    if (!Files.isDirectory(base)) throw bad("No file matches '" + pattern + "': folder " + base + " does not exist");
    String absPattern = projectDir.resolve(norm).normalize().toString();
    PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + absPattern);
    List<Found> out = new ArrayList<>();
    boolean deep = norm.substring(slash + 1).contains("/") || norm.contains("**");
    try (Stream<Path> walk = deep ? Files.walk(base) : Files.list(base)) {
      for (Path p : walk.filter(Files::isRegularFile).filter(m::matches).sorted().toList()) out.add(found(p));
    } catch (IOException e) {
      throw bad("Cannot list files for '" + pattern + "': " + e.getMessage());
    }
    if (out.isEmpty()) throw bad("No file matches '" + pattern + "' (under " + base + ")");
    return out;
  }

  private static int indexOfGlob(String s) {
    for (int i = 0; i < s.length(); i++) if ("*?[{".indexOf(s.charAt(i)) >= 0) return i;
    return -1;
  }

  private Found found(Path p) {
    try {
      Path abs = p.toAbsolutePath().normalize();
      String rel = abs.startsWith(projectDir) ? projectDir.relativize(abs).toString().replace('\\', '/') : abs.toString();
      return new Found(abs, rel, Files.size(abs), Files.getLastModifiedTime(abs).toMillis());
    } catch (IOException e) {
      throw bad("Cannot read " + p + ": " + e.getMessage());
    }
  }

  private static String plural(long n, String w) { return n + " " + w + (n == 1 ? "" : "s"); }

  private static String stamp(long millis) { return Instant.ofEpochMilli(millis).toString(); }

  /** The file's content hash: CRC-32C of its bytes (fast enough to run on every new or touched file). */
  static String hash(Path p) {
    CRC32C crc = new CRC32C();
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(p)) {
      int n;
      while ((n = in.read(buf)) > 0) crc.update(buf, 0, n);
    } catch (IOException e) {
      throw WeirException.runtime("Cannot read " + p + ": " + e.getMessage(), e);
    }
    return String.format("crc32c:%08x", crc.getValue());
  }

  private static String quote(String id) { return '"' + id.replace("\"", "\"\"") + '"'; }

  private static String lit(String v) { return "'" + v.replace("'", "''") + "'"; }

  private static String struct(Iterable<String> names, java.util.function.Function<String, String> type) {
    StringBuilder b = new StringBuilder("{");
    for (String n : names) b.append(b.length() > 1 ? ", " : "").append(lit(n)).append(": ").append(lit(type.apply(n)));
    return b.append('}').toString();
  }

  /** Rows per file, for the records (from the query result of the staging table). */
  static long count(QueryResult r) { return r.rows().isEmpty() ? 0 : ((Number) r.rows().get(0).get(0)).longValue(); }
}
