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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Row-level checks with {@code action: quarantine}: when their table or incremental model is built, the rows
 * that fail such a check go to {@code <model>__quarantine} (the model's columns plus {@code weir_check},
 * {@code weir_reason}, {@code weir_invocation_id}, {@code weir_quarantined_at}) and only the good rows
 * replace the model's table (an incremental step merges only the good new rows, in the transaction that
 * quarantines the bad ones). The check itself then reports how many rows it quarantined (a warning,
 * never a failure that would stop descendants: good rows flow on).
 */
final class Quarantine {
  private Quarantine() {}

  static boolean isQuarantine(Node n) {
    Object a = n.config.get("action");
    return n.resourceType == ResourceType.TEST && a != null && "quarantine".equalsIgnoreCase(String.valueOf(a).strip());
  }

  /** The enabled quarantine checks attached to {@code model}. */
  static List<Node> checksOn(Workspace ws, Node model) {
    Map<String, List<Node>> idx = ws.memo("quarantine-checks", () -> {
      Map<String, List<Node>> m = new java.util.HashMap<>();
      for (Node t : ws.project().nodes().values()) {
        if (t.attachedNode != null && isQuarantine(t)) m.computeIfAbsent(t.attachedNode, k -> new ArrayList<>()).add(t);
      }
      for (List<Node> l : m.values()) l.sort(java.util.Comparator.comparing(t -> t.name));
      return m;
    });
    return idx.getOrDefault(model.uniqueId, List.of());
  }

  static Relation relation(Node model) {
    String name = model.resourceType == ResourceType.SOURCE ? model.identifier : model.alias;
    return new Relation(model.database, model.schema, name + "__quarantine", RelationType.TABLE);
  }

  /** Each check as {name, predicate of a failing row, reason}; a check that is not a built-in row-level one is refused. */
  private static List<String[]> predicates(Compiler compiler, List<Node> checks, Renderer.Warehouse wh, Dialect d) {
    List<String[]> preds = new ArrayList<>();
    int seq = 0;
    for (Node t : checks) {
      Map<String, Object> kwargs = compiler.fusionArgs(t, wh);
      Object where = t.config.get("where");
      Checks.Part p = kwargs == null ? null : Checks.part(t.testMetadata.name(), kwargs, null, d, seq++);
      if (p == null || p.bad() == null) {
        throw WeirException.compile(t.patchPath, 0, "Check " + t.name + " has action: quarantine, which needs a built-in "
            + "row-level check (not_null, accepted_values, relationships, values_between, matches_regex, ...); '"
            + t.testMetadata.name() + "' is not one", null);
      }
      String bad = where == null || String.valueOf(where).isBlank() ? p.bad() : "(" + where + ") and (" + p.bad() + ")";
      preds.add(new String[] {t.name, bad, reason(t)});
    }
    return preds;
  }

  /** Builds the model's table from its good rows; the bad rows go to the quarantine relation. Returns rows kept. */
  static long replace(Workspace ws, Compiler compiler, Node model, Relation target, String sql, Session s,
                      Renderer.Warehouse wh, List<Node> checks) {
    Dialect d = s.dialect();
    Relation stage = new Relation(target.database(), target.schema(), d.scratchIdentifier(target.identifier(), "__weir_qstage"), RelationType.TABLE);
    Relation q = relation(model);
    List<String[]> preds = predicates(compiler, checks, wh, d);
    s.replaceTable(stage, sql);
    String from = " from " + d.render(stage) + " weir_t";
    boolean inserted = false;
    try {
      List<ColumnInfo> cols = s.getColumns(stage);
      prepare(s, d, q, stage, cols);
      inserted = insertBad(ws, s, d, q, stage, cols, preds);
      StringBuilder good = new StringBuilder("select weir_t.*" + from + "\nwhere true");
      for (String[] p : preds) good.append("\n  and not coalesce((").append(p[1]).append("), false)");
      return s.replaceTable(target, good.toString());
    } catch (RuntimeException e) {
      if (inserted) {
        try {
          s.execute("delete from " + d.render(q) + " where weir_invocation_id = " + d.stringLiteral(ws.invocationId())
              + " and weir_check in (" + String.join(", ", preds.stream().map(p -> d.stringLiteral(p[0])).toList()) + ")");
        } catch (RuntimeException ignored) {
          // the original error matters more
        }
      }
      throw e;
    } finally {
      s.execute(d.dropIfExists(stage, RelationType.TABLE));
    }
  }

  /**
   * An incremental step's new rows, in {@code stage} (the step's scratch table, inside the step's transaction): the rows
   * failing a check move to the quarantine relation, the others stay for the merge. Quarantined rows and the merge
   * commit together or not at all. Returns the statements run (for target/run) and how many rows moved.
   */
  record Diverted(List<String> statements, long rows) {}

  static Diverted divert(Workspace ws, Compiler compiler, Node model, Relation stage, Session s, Renderer.Warehouse wh,
                             List<Node> checks) {
    Dialect d = s.dialect();
    Relation q = relation(model);
    List<String[]> preds = predicates(compiler, checks, wh, d);
    List<ColumnInfo> cols = s.getColumns(stage);
    prepare(s, d, q, stage, cols);
    insertBad(ws, s, d, q, stage, cols, preds);
    StringBuilder any = new StringBuilder();
    for (String[] p : preds) any.append(any.length() == 0 ? "" : "\n   or ").append("coalesce((").append(p[1]).append("), false)");
    String delete = "delete from " + d.render(stage) + " as weir_t\nwhere " + any;
    long moved = s.execute(delete);
    return new Diverted(List.of("-- quarantine: rows failing " + String.join(", ", preds.stream().map(p -> p[0]).toList()) + " go to "
        + d.render(q), delete), moved);
  }

  /** Copies the rows of {@code stage} failing each check into {@code q}; whether any was. */
  private static boolean insertBad(Workspace ws, Session s, Dialect d, Relation q, Relation stage, List<ColumnInfo> cols,
                                   List<String[]> preds) {
    StringBuilder colList = new StringBuilder();
    StringBuilder selList = new StringBuilder();
    for (ColumnInfo c : cols) {
      colList.append(d.quote(c.name())).append(", ");
      selList.append("weir_t.").append(d.quote(c.name())).append(", ");
    }
    String stamp = "cast(current_timestamp as timestamp)";
    boolean inserted = false;
    for (String[] p : preds) {
      long n = s.execute("insert into " + d.render(q) + " (" + colList + "weir_check, weir_reason, weir_invocation_id, "
          + "weir_quarantined_at)\nselect " + selList + d.stringLiteral(p[0]) + ", " + d.stringLiteral(p[2]) + ", "
          + d.stringLiteral(ws.invocationId()) + ", " + stamp + " from " + d.render(stage) + " weir_t\nwhere " + p[1]);
      inserted |= n != 0;
    }
    return inserted;
  }

  /** Creates the quarantine table, or adds the model's new columns to it. */
  private static void prepare(Session s, Dialect d, Relation q, Relation stage, List<ColumnInfo> cols) {
    if (s.getRelation(q.database(), q.schema(), q.identifier()).isEmpty()) {
      s.execute("create table " + d.render(q) + " as select *, cast(null as varchar) as weir_check, cast(null as varchar) "
          + "as weir_reason, cast(null as varchar) as weir_invocation_id, cast(null as timestamp) as weir_quarantined_at from "
          + d.render(stage) + " where 1 = 0");
      return;
    }
    Set<String> have = new HashSet<>();
    for (ColumnInfo c : s.getColumns(q)) have.add(c.name().toLowerCase(Locale.ROOT));
    for (ColumnInfo c : cols) {
      if (!have.contains(c.name().toLowerCase(Locale.ROOT))) {
        s.execute("alter table " + d.render(q) + " add column " + d.quote(c.name()) + " " + c.dataType());
      }
    }
  }

  private static String reason(Node t) {
    Map<String, Object> kw = t.testMetadata.kwargs();
    StringBuilder b = new StringBuilder(t.testMetadata.name());
    if (t.columnName != null) b.append(" on ").append(t.columnName);
    List<String> args = new ArrayList<>();
    for (Map.Entry<String, Object> e : kw.entrySet()) {
      if (!e.getKey().equals("model") && !e.getKey().equals("column_name")) args.add(e.getKey() + "=" + e.getValue());
    }
    if (!args.isEmpty()) b.append(" (").append(String.join(", ", args)).append(')');
    return b.toString();
  }

  /** The check's own result: how many rows it sent to quarantine in this invocation. */
  static Materializer.Outcome report(Node t, Session s, Workspace ws) {
    Node model = ws.project().node(t.attachedNode);
    if (model == null) {
      model = ws.project().sources().get(t.attachedNode); // an ingestion table's checks
      if (model != null && !"weir".equals(model.loader)) {
        throw WeirException.compile(t.patchPath, 0, "Check " + t.name + " has action: quarantine, which works on table and"
            + " incremental models, seeds and the tables of ingestions; source " + model.sourceName + "." + model.name
            + " is loaded outside Weir. Use severity warn/error", null);
      }
    }
    Dialect d = s.dialect();
    long n = 0;
    Relation q = model == null ? null : relation(model);
    if (q != null && s.getRelation(q.database(), q.schema(), q.identifier()).isPresent()) {
      QueryResult r = s.query("select count(*) from " + d.render(q) + " where weir_check = " + d.stringLiteral(t.name)
          + " and weir_invocation_id = " + d.stringLiteral(ws.invocationId()), 1);
      n = Checks.lng(r.rows().get(0).get(0));
    }
    Map<String, Object> resp = Materializer.response("OK", -1);
    resp.put("weir_metric", (double) n);
    resp.put("weir_threshold", "quarantine failing rows");
    if (n == 0) return new Materializer.Outcome(NodeResult.Status.PASS, null, 0L, resp);
    return new Materializer.Outcome(NodeResult.Status.WARN, n + " row" + (n == 1 ? "" : "s") + " quarantined to "
        + d.render(q), n, resp);
  }
}
