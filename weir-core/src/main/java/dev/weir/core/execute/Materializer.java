package dev.weir.core.execute;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import dev.weir.core.render.Renderer;
import dev.weir.core.seed.SeedData;
import dev.weir.core.seed.SeedOptions;
import dev.weir.core.seed.SeedReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What running a node means, per kind: view, table, incremental and ephemeral models, seed loads
 * and tests. Every replacement of a relation goes through the session's atomic replace, so a
 * failure leaves the old relation as it was.
 */
final class Materializer {
  record Outcome(NodeResult.Status status, String message, Long failures, Map<String, Object> adapterResponse) {}

  private final Workspace ws;
  private final Compiler compiler;

  Materializer(Workspace ws, Compiler compiler) {
    this.ws = ws;
    this.compiler = compiler;
  }

  Outcome run(Node n, String sql, Renderer.Warehouse wh) {
    Session s = wh.session();
    return switch (n.resourceType) {
      case SEED -> seed(n, s);
      case TEST -> test(n, sql, s);
      case MODEL -> model(n, sql, s, wh);
      default -> new Outcome(NodeResult.Status.SUCCESS, "OK", null, Map.of());
    };
  }

  private Outcome model(Node n, String sql, Session s, Renderer.Warehouse wh) {
    Dialect d = s.dialect();
    Relation target = new Relation(n.database, n.schema, n.alias, RelationType.UNKNOWN);
    String m = n.materialized() == null ? "view" : n.materialized();
    switch (m) {
      case "view" -> {
        compiler.writeFile("run", n, d.createViewAs(target, sql));
        s.replaceView(target, sql);
        return new Outcome(NodeResult.Status.SUCCESS, "OK", null, response("OK", -1));
      }
      case "table" -> {
        compiler.writeFile("run", n, d.createTableAs(target, sql));
        long rows = s.replaceTable(target, sql);
        return new Outcome(NodeResult.Status.SUCCESS, rows >= 0 ? rowsMsg(rows) : "OK", null, response("OK", rows));
      }
      case "incremental" -> {
        return incremental(n, sql, s, target, wh);
      }
      case "ephemeral" -> {
        return new Outcome(NodeResult.Status.SUCCESS, "OK", null, Map.of());
      }
      default -> throw WeirException.compile(n.originalFilePath, 0, "Unknown materialization '" + m + "' in model " + n.name
          + ". Weir supports view, table, incremental and ephemeral" + dev.weir.core.util.Suggest.didYouMean(m,
          List.of("view", "table", "incremental", "ephemeral")), null);
    }
  }

  private static String rowsMsg(long rows) { return rows + (rows == 1 ? " row" : " rows"); }

  private Outcome incremental(Node n, String sql, Session s, Relation target, Renderer.Warehouse wh) {
    Dialect d = s.dialect();
    Optional<Relation> existing = s.getRelation(target.database(), target.schema(), target.identifier());
    boolean full = wh.fullRefresh() && !Boolean.FALSE.equals(n.config.get("full_refresh"));
    if (existing.isEmpty() || existing.get().type() != RelationType.TABLE || full) {
      compiler.writeFile("run", n, d.createTableAs(target, sql));
      long rows = s.replaceTable(target, sql);
      return new Outcome(NodeResult.Status.SUCCESS, rows >= 0 ? rowsMsg(rows) : "OK", null, response("OK", rows));
    }
    Object uk = n.config.get("unique_key");
    List<String> keys = new ArrayList<>();
    if (uk instanceof List<?> l) for (Object o : l) keys.add(String.valueOf(o));
    else if (uk != null) keys.add(String.valueOf(uk));
    String strategy = n.config.get("incremental_strategy") == null ? (keys.isEmpty() ? "append" : "delete+insert")
        : String.valueOf(n.config.get("incremental_strategy")).toLowerCase(Locale.ROOT);
    if (!strategy.equals("append") && !strategy.equals("delete+insert") && !strategy.equals("merge")) {
      throw WeirException.compile(n.originalFilePath, 0, "Incremental strategy '" + strategy + "' is not supported yet "
          + "(supported: append, delete+insert, merge)", null);
    }
    if (!strategy.equals("append") && keys.isEmpty()) {
      throw WeirException.compile(n.originalFilePath, 0, "Incremental strategy '" + strategy + "' needs a unique_key", null);
    }
    List<ColumnInfo> cols = s.getColumns(existing.get());
    StringBuilder colList = new StringBuilder();
    for (ColumnInfo c : cols) {
      if (colList.length() > 0) colList.append(", ");
      colList.append(d.quote(c.name()));
    }
    Relation tmp = new Relation(null, null, n.alias + "__weir_incr", RelationType.TABLE);
    String rt = d.render(target);
    String tt = d.render(tmp);
    List<String> statements = new ArrayList<>();
    statements.add(d.dropIfExists(tmp, RelationType.TABLE));
    statements.add("create temporary table " + tt + " as (\n" + sql + "\n)");
    if (!keys.isEmpty()) {
      StringBuilder cond = new StringBuilder();
      for (String k : keys) {
        if (cond.length() > 0) cond.append(" and ");
        cond.append(rt).append('.').append(k).append(" = weir_src.").append(k);
      }
      statements.add("delete from " + rt + " where exists (select 1 from " + tt + " as weir_src where " + cond + ")");
    }
    int insertIndex = statements.size();
    statements.add("insert into " + rt + " (" + colList + ")\nselect " + colList + " from " + tt);
    statements.add(d.dropIfExists(tmp, RelationType.TABLE));
    compiler.writeFile("run", n, String.join(";\n", statements) + ";\n");
    // One transaction: the delete and the insert land together or not at all.
    boolean own = !s.inTransaction();
    if (own) s.begin();
    long inserted = -1;
    try {
      for (int i = 0; i < statements.size(); i++) {
        long r = s.execute(statements.get(i));
        if (i == insertIndex) inserted = r;
      }
      if (own) s.commit();
    } catch (RuntimeException e) {
      if (own) s.rollback();
      throw e;
    }
    return new Outcome(NodeResult.Status.SUCCESS, inserted >= 0 ? rowsMsg(inserted) : "OK", null, response("OK", inserted));
  }

  private Outcome seed(Node n, Session s) {
    Dialect d = s.dialect();
    Path file = ws.projectDir().resolve(n.originalFilePath);
    SeedData data;
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
      data = SeedReader.read(n.originalFilePath, in, SeedOptions.fromConfig(n.config), d::typeFor);
    } catch (java.io.IOException e) {
      throw WeirException.project(n.originalFilePath, 0, "Cannot read seed file: " + e.getMessage());
    }
    Relation target = new Relation(n.database, n.schema, n.alias, RelationType.TABLE);
    List<ColumnInfo> cols = data.columns();
    long rows = s.replaceTableWithRows(target, cols, data.rows());
    StringBuilder ddl = new StringBuilder(d.createTable(target, cols)).append(";\n-- ").append(data.rows().size())
        .append(" rows loaded from ").append(n.originalFilePath).append('\n');
    compiler.writeFile("run", n, ddl.toString());
    n.compiledCode = null;
    return new Outcome(NodeResult.Status.SUCCESS, "INSERT " + rows, null, response("INSERT " + rows, rows));
  }

  private Outcome test(Node n, String sql, Session s) {
    String failCalc = str(n.config.get("fail_calc"), "count(*)");
    String warnIf = str(n.config.get("warn_if"), "!= 0");
    String errorIf = str(n.config.get("error_if"), "!= 0");
    Object limit = n.config.get("limit");
    String wrapped = "select\n  " + failCalc + " as failures,\n  (" + failCalc + ") " + warnIf + " as should_warn,\n  ("
        + failCalc + ") " + errorIf + " as should_error\nfrom (\n" + sql + "\n" + (limit == null ? "" : "limit " + limit + "\n")
        + ") dbt_internal_test";
    compiler.writeFile("run", n, wrapped);
    QueryResult r = s.query(wrapped, 1);
    if (r.rows().isEmpty()) throw WeirException.runtime("Test " + n.name + " returned no row", null);
    List<Object> row = r.rows().get(0);
    long failures = row.get(0) == null ? 0 : ((Number) row.get(0)).longValue();
    boolean shouldWarn = truthy(row.get(1));
    boolean shouldError = truthy(row.get(2));
    String severity = str(n.config.get("severity"), "ERROR").toUpperCase(Locale.ROOT);
    NodeResult.Status st;
    if (severity.equals("ERROR") && shouldError) st = NodeResult.Status.FAIL;
    else if (shouldWarn) st = NodeResult.Status.WARN;
    else st = NodeResult.Status.PASS;
    String msg = st == NodeResult.Status.PASS ? null : "Got " + failures + " result" + (failures == 1 ? "" : "s")
        + ", configured to " + (st == NodeResult.Status.FAIL ? "fail" : "warn") + " if " + (st == NodeResult.Status.FAIL ? errorIf : warnIf);
    return new Outcome(st, msg, failures, response("OK", -1));
  }

  private static boolean truthy(Object o) {
    return o instanceof Boolean b ? b : o != null && !"0".equals(String.valueOf(o)) && !"false".equalsIgnoreCase(String.valueOf(o));
  }

  private static String str(Object o, String dflt) { return o == null ? dflt : String.valueOf(o); }

  static Map<String, Object> response(String msg, long rows) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("_message", msg);
    m.put("code", msg.split(" ")[0]);
    m.put("rows_affected", rows);
    return m;
  }

  static boolean isTest(Node n) { return n.resourceType == ResourceType.TEST; }
}
