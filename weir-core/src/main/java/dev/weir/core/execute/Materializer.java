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
  private final Incremental incremental;
  private final Hooks hooks;

  /** The current run's fused check scans (null outside a run). */
  private volatile CheckFusion fusion;

  void fusion(CheckFusion f) { this.fusion = f; }

  Materializer(Workspace ws, Compiler compiler) {
    this.ws = ws;
    this.compiler = compiler;
    this.incremental = new Incremental(ws, compiler);
    this.hooks = new Hooks(ws);
  }

  Outcome run(Node n, String sql, Renderer.Warehouse wh) {
    Session s = wh.session();
    return switch (n.resourceType) {
      case SEED -> hooks.around(n, s, wh, true, () -> seed(n, s, wh));
      case TEST -> test(n, sql, s, wh);
      case MODEL -> hooks.around(n, s, wh, !Incremental.isMicrobatch(n), () -> model(n, sql, s, wh));
      case SNAPSHOT -> hooks.around(n, s, wh, true, () -> new Snapshotter(compiler).run(n, sql, s));
      case UNIT_TEST -> new UnitTester(ws, compiler).run(n, s, wh);
      default -> plugged(n, s);
    };
  }

  private Outcome model(Node n, String sql, Session s, Renderer.Warehouse wh) {
    Dialect d = s.dialect();
    Relation target = new Relation(n.database, n.schema, n.alias, RelationType.UNKNOWN);
    String m = n.materialized() == null ? "view" : n.materialized();
    boolean contract = Contracts.enforced(n) && !m.equals("ephemeral");
    if (!m.equals("table") && !m.equals("incremental")) {
      List<Node> quarantine = Quarantine.checksOn(ws, n);
      if (!quarantine.isEmpty()) {
        Node t = quarantine.get(0);
        throw WeirException.compile(t.patchPath, 0, "Check " + t.name + " has action: quarantine, which works on table and incremental"
            + " models and seeds; model " + n.name + " is materialized as " + m + ". Make it a table, or use severity warn/error", null);
      }
    }
    if (contract) Contracts.check(n, sql, s);
    switch (m) {
      case "view" -> {
        compiler.writeFile("run", n, d.createViewAs(target, sql));
        s.replaceView(target, sql);
        return new Outcome(NodeResult.Status.SUCCESS, "OK", null, response("OK", -1));
      }
      case "table" -> {
        if (contract) compiler.writeFile("run", n, Contracts.createTableDdl(n, target, d) + ";\ninsert into " + d.render(target)
            + "\nselect * from (\n" + sql + "\n) as weir_contract_subq");
        else compiler.writeFile("run", n, d.createTableAs(target, sql));
        List<Node> quarantine = Quarantine.checksOn(ws, n);
        long rows = !quarantine.isEmpty() ? Quarantine.replace(ws, compiler, n, target, sql, s, wh, quarantine)
            : contract ? Contracts.replaceTable(n, target, sql, s) : s.replaceTable(target, sql);
        return new Outcome(NodeResult.Status.SUCCESS, rows >= 0 ? rowsMsg(rows) : "OK", null, response("OK", rows));
      }
      case "incremental" -> {
        return incremental.run(n, sql, s, target, wh);
      }
      case "ephemeral" -> {
        return new Outcome(NodeResult.Status.SUCCESS, "OK", null, Map.of());
      }
      default -> throw WeirException.compile(n.originalFilePath, 0, "Unknown materialization '" + m + "' in model " + n.name
          + ". Weir supports view, table, incremental and ephemeral" + dev.weir.core.util.Suggest.didYouMean(m,
          List.of("view", "table", "incremental", "ephemeral")), null);
    }
  }

  /** A kind another module runs (NodeHandler SPI: ingestions); other kinds do nothing. */
  private Outcome plugged(Node n, Session s) {
    for (NodeHandler h : NodeHandler.installed()) {
      if (h.handles(n)) {
        NodeHandler.Outcome o = h.run(n, s, ws);
        return new Outcome(o.status(), o.message(), null, o.adapterResponse());
      }
    }
    if (n.resourceType == ResourceType.INGESTION || n.resourceType == ResourceType.EXPORT) {
      throw WeirException.runtime("No " + n.resourceType.dbtName() + " runner on the class path (module weir-ingest) for " + n.uniqueId, null);
    }
    return new Outcome(NodeResult.Status.SUCCESS, "OK", null, Map.of());
  }

  private static String rowsMsg(long rows) { return rows + (rows == 1 ? " row" : " rows"); }

  private Outcome seed(Node n, Session s, Renderer.Warehouse wh) {
    Dialect d = s.dialect();
    // A package's seed lives under its package folder (rootPath).
    Path file = (n.rootPath != null ? java.nio.file.Path.of(n.rootPath) : ws.projectDir()).resolve(n.originalFilePath);
    SeedData data;
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
      data = SeedReader.read(n.originalFilePath, in, SeedOptions.fromConfig(n.config), d::typeFor);
    } catch (java.io.IOException e) {
      throw WeirException.project(n.originalFilePath, 0, "Cannot read seed file: " + e.getMessage());
    }
    Relation target = new Relation(n.database, n.schema, n.alias, RelationType.TABLE);
    List<ColumnInfo> cols = data.columns();
    List<Node> quarantine = Quarantine.checksOn(ws, n);
    long rows;
    if (quarantine.isEmpty()) {
      rows = s.replaceTableWithRows(target, cols, data.rows());
    } else {
      // Loaded beside the seed first; its good rows then replace the seed's table.
      Relation load = new Relation(n.database, n.schema, s.dialect().scratchIdentifier(n.alias, "__weir_seedload"),
          RelationType.TABLE);
      s.replaceTableWithRows(load, cols, data.rows());
      try {
        rows = Quarantine.replace(ws, compiler, n, target, "select * from " + d.render(load), s, wh, quarantine);
      } finally {
        s.execute(d.dropIfExists(load, RelationType.TABLE));
      }
    }
    StringBuilder ddl = new StringBuilder(d.createTable(target, cols)).append(";\n-- ").append(data.rows().size())
        .append(" rows loaded from ").append(n.originalFilePath).append('\n');
    compiler.writeFile("run", n, ddl.toString());
    n.compiledCode = null;
    return new Outcome(NodeResult.Status.SUCCESS, "INSERT " + rows, null, response("INSERT " + rows, rows));
  }

  private Outcome test(Node n, String sql, Session s, Renderer.Warehouse wh) {
    if (Quarantine.isQuarantine(n)) return Quarantine.report(n, s, ws);
    CheckFusion.Verdict v = fusion == null ? null : fusion.verdict(n, wh);
    if (CheckFusion.isHistoryCheck(n)) return CheckHistory.judge(n, v, s, ws);
    if (v != null && !v.eval().failing()) {
      // The fused scan found nothing failing: exactly what the test's own query would return.
      compiler.writeFile("run", n, "-- checked in one scan of " + v.relation() + " with " + v.fusedWith() + " check(s)\n" + sql);
      NodeResult.Status st = statusFor(n, 0);
      String msg = st == NodeResult.Status.PASS ? null : "Got 0 results, configured to " + (st == NodeResult.Status.FAIL
          ? "fail if " + str(n.config.get("error_if"), "!= 0") : "warn if " + str(n.config.get("warn_if"), "!= 0"));
      return new Outcome(st, msg, 0L, checkResponse(v));
    }
    Outcome o = standaloneTest(n, sql, s);
    if (v == null) return o;
    return new Outcome(o.status(), o.message(), o.failures(), checkResponse(v));
  }

  /** A test's status for {@code failures} under its severity, warn_if and error_if (simple "op number" thresholds). */
  static NodeResult.Status statusFor(Node n, long failures) {
    String severity = str(n.config.get("severity"), "ERROR").toUpperCase(Locale.ROOT);
    if (severity.equals("ERROR") && Boolean.TRUE.equals(CheckFusion.holds(failures, str(n.config.get("error_if"), "!= 0")))) {
      return NodeResult.Status.FAIL;
    }
    if (Boolean.TRUE.equals(CheckFusion.holds(failures, str(n.config.get("warn_if"), "!= 0")))) return NodeResult.Status.WARN;
    return NodeResult.Status.PASS;
  }

  static Map<String, Object> checkResponse(CheckFusion.Verdict v) {
    Map<String, Object> m = response("OK", -1);
    if (v.eval().metric() != null) m.put("weir_metric", v.eval().metric());
    if (v.eval().threshold() != null) m.put("weir_threshold", v.eval().threshold());
    m.put("weir_fused_checks", v.fusedWith());
    return m;
  }

  private Outcome standaloneTest(Node n, String sql, Session s) {
    String failCalc = str(n.config.get("fail_calc"), "count(*)");
    String warnIf = str(n.config.get("warn_if"), "!= 0");
    String errorIf = str(n.config.get("error_if"), "!= 0");
    Object limit = n.config.get("limit");
    String wrapped = "select\n  " + failCalc + " as failures,\n  (" + failCalc + ") " + warnIf + " as should_warn,\n  ("
        + failCalc + ") " + errorIf + " as should_error\nfrom (\n" + sql + "\n" + (limit == null ? "" : "limit " + limit + "\n")
        + ") dbt_internal_test";
    compiler.writeFile("run", n, wrapped);
    String storeAs = StoreFailures.mode(n, ws.storeFailures());
    if (storeAs != null) StoreFailures.store(n, limit == null ? sql : s.dialect().limit(sql, Long.parseLong(String.valueOf(limit).strip())), storeAs, s);
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
    if (st != NodeResult.Status.PASS) {
      try {
        ws.recordFailingSample(n.uniqueId, s.query(s.dialect().limit(sql, SAMPLE_ROWS), SAMPLE_ROWS));
      } catch (RuntimeException ignored) {
        // the sample is a courtesy: the test's result stands without it
      }
    }
    String msg = st == NodeResult.Status.PASS ? null : "Got " + failures + " result" + (failures == 1 ? "" : "s")
        + ", configured to " + (st == NodeResult.Status.FAIL ? "fail" : "warn") + " if " + (st == NodeResult.Status.FAIL ? errorIf : warnIf);
    return new Outcome(st, msg, failures, response("OK", -1));
  }

  static final int SAMPLE_ROWS = 5;

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
}
