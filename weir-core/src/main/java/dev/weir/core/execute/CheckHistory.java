package dev.weir.core.execute;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The check history kept in the warehouse: one row per check per invocation in
 * {@code <target schema>_weir.weir_check_history} (status, failures, metric, threshold, duration), so that
 * trends can be queried and the history checks can judge: {@code metric_change} (the metric against
 * the previous passing run, within ±max_pct %) and {@code anomaly} (a z-score of the metric over the
 * last {@code window} runs, as Elementary does).
 */
final class CheckHistory {
  static final String TABLE = "weir_check_history";

  private CheckHistory() {}

  /** Kept beside the project's relations, in {@code <target schema>_weir}, so the user's schema holds only their models. */
  static Relation relation(Workspace ws) {
    return new Relation(ws.target().database(), ws.target().schema() + "_weir", TABLE, RelationType.TABLE);
  }

  private static final String COLUMNS = "invocation_id, run_started_at, unique_id, test_name, check_name, attached_node, "
      + "column_name, status, failures, metric, threshold, execution_time";

  /** Appends one row per test result of this invocation (creating the table on first use). */
  static void record(Workspace ws, Session s, List<NodeResult> results) {
    Dialect d = s.dialect();
    StringBuilder values = new StringBuilder();
    String started = "timestamp '" + LocalDateTime.ofInstant(ws.startedAt(), ZoneOffset.UTC)
        .format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")) + "'";
    for (NodeResult r : results) {
      Node n = ws.project().node(r.uniqueId());
      if (n == null || n.resourceType != ResourceType.TEST) continue;
      Object metric = r.adapterResponse().get("weir_metric");
      Object threshold = r.adapterResponse().get("weir_threshold");
      if (values.length() > 0) values.append(",\n");
      values.append('(').append(lit(d, ws.invocationId())).append(", ").append(started).append(", ")
          .append(lit(d, n.uniqueId)).append(", ").append(lit(d, n.name)).append(", ")
          .append(lit(d, n.testMetadata == null ? "singular" : n.testMetadata.name())).append(", ")
          .append(lit(d, n.attachedNode)).append(", ").append(lit(d, n.columnName)).append(", ")
          .append(lit(d, r.status().dbtName())).append(", ").append(r.failures() == null ? "null" : r.failures()).append(", ")
          .append(num(metric)).append(", ").append(lit(d, threshold == null ? null : String.valueOf(threshold))).append(", ")
          .append(num(r.executionTime())).append(')');
    }
    if (values.length() == 0) return;
    Relation rel = relation(ws);
    synchronized (CheckHistory.class) {
      if (!s.schemaExists(rel.database(), rel.schema())) s.createSchema(rel.database(), rel.schema());
      s.execute("create table if not exists " + d.render(rel) + " (invocation_id varchar, run_started_at timestamp, "
          + "unique_id varchar, test_name varchar, check_name varchar, attached_node varchar, column_name varchar, "
          + "status varchar, failures bigint, metric double precision, threshold varchar, execution_time double precision)");
      s.execute("insert into " + d.render(rel) + " (" + COLUMNS + ") values\n" + values);
    }
  }

  /** The metric of this check in its last {@code limit} passing or warning runs, newest first. */
  static List<Double> previous(Workspace ws, Session s, Node n, int limit) {
    Relation rel = relation(ws);
    List<Double> out = new ArrayList<>();
    if (s.getRelation(rel.database(), rel.schema(), rel.identifier()).isEmpty()) return out;
    Dialect d = s.dialect();
    QueryResult r = s.query("select metric from " + d.render(rel) + " where test_name = " + lit(d, n.name)
        + " and attached_node = " + lit(d, n.attachedNode) + " and status in ('pass', 'warn') and metric is not null"
        + " and invocation_id <> " + lit(d, ws.invocationId()) + " order by run_started_at desc", limit);
    for (List<Object> row : r.rows()) out.add(((Number) row.get(0)).doubleValue());
    return out;
  }

  /** Judges a history check ({@code metric_change} or {@code anomaly}) from its measured metric. */
  static Materializer.Outcome judge(Node n, CheckFusion.Verdict v, Session s, Workspace ws) {
    if (v == null) {
      throw WeirException.compile(n.patchPath, 0, "Check " + n.name + ": cannot measure metric '" + metricName(n)
          + "'; use one of " + String.join(", ", new java.util.TreeSet<>(Checks.METRICS)), null);
    }
    Map<String, Object> kw = n.testMetadata.kwargs();
    Double x = v.eval().metric();
    String name = n.testMetadata.name();
    boolean failing;
    String threshold;
    String detail;
    if (name.equals("metric_change")) {
      double maxPct = Checks.num(kw.getOrDefault("max_pct", 10));
      List<Double> prev = previous(ws, s, n, 1);
      threshold = "within ±" + Checks.fmt(maxPct) + "% of the previous run";
      if (prev.isEmpty() || x == null) {
        failing = false;
        detail = "no baseline yet";
      } else {
        double p = prev.get(0);
        double pct = p == 0 ? (x == 0 ? 0 : Double.POSITIVE_INFINITY) : (x - p) / Math.abs(p) * 100;
        failing = Math.abs(pct) > maxPct;
        detail = metricName(n) + " " + Checks.fmt(x) + " vs " + Checks.fmt(p) + " in the previous run ("
            + (Double.isInfinite(pct) ? "from zero" : (pct >= 0 ? "+" : "") + String.format(Locale.ROOT, "%.1f", pct) + "%") + ")";
      }
    } else {
      int window = (int) Checks.num(kw.getOrDefault("window", 14));
      double z = Checks.num(kw.getOrDefault("z", 3));
      int minHistory = (int) Checks.num(kw.getOrDefault("min_history", 5));
      List<Double> prev = previous(ws, s, n, window);
      threshold = "|z| <= " + Checks.fmt(z) + " over the last " + window + " runs";
      if (prev.size() < minHistory || x == null) {
        failing = false;
        detail = "learning: " + prev.size() + " of " + minHistory + " runs of history";
      } else {
        double mean = prev.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        double var = 0;
        for (double p : prev) var += (p - mean) * (p - mean);
        double sd = prev.size() > 1 ? Math.sqrt(var / (prev.size() - 1)) : 0;
        double score = sd == 0 ? (x == mean ? 0 : Double.POSITIVE_INFINITY) : (x - mean) / sd;
        failing = Math.abs(score) > z;
        detail = metricName(n) + " " + Checks.fmt(x) + ", mean " + Checks.fmt(mean) + " ± " + Checks.fmt(sd) + " over "
            + prev.size() + " runs (z = " + (Double.isInfinite(score) ? "inf" : String.format(Locale.ROOT, "%.2f", score)) + ")";
      }
    }
    long failures = failing ? 1 : 0;
    NodeResult.Status st = Materializer.statusFor(n, failures);
    Map<String, Object> resp = Materializer.checkResponse(new CheckFusion.Verdict(new Checks.Eval(failing, x, threshold),
        v.fusedWith(), v.relation()));
    String msg = st == NodeResult.Status.PASS ? null : detail + "; expected " + threshold;
    if (st == NodeResult.Status.PASS) resp.put("weir_detail", detail);
    return new Materializer.Outcome(st, msg, failures, resp);
  }

  static String metricName(Node n) { return String.valueOf(n.testMetadata.kwargs().getOrDefault("metric", "row_count")); }

  private static String lit(Dialect d, String s) { return s == null ? "null" : d.stringLiteral(s); }

  private static String num(Object o) {
    if (!(o instanceof Number n)) return "null";
    double v = n.doubleValue();
    return Double.isNaN(v) || Double.isInfinite(v) ? "null" : String.valueOf(v);
  }
}
