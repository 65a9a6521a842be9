package dev.weir.core.execute;

import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Session;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import dev.weir.core.render.Renderer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scan per relation for its checks. When the first check on a relation runs, every other
 * fusable check of this invocation on the same relation whose parents have finished joins it in
 * one query: row-level checks as filtered counts or min/max, metrics as aggregates, relationships
 * as {@code not in} the parent's keys; distinct counts get a query of their own. Each check is
 * still reported on its own; later checks of
 * the group find their verdict ready.
 *
 * <p>A fused verdict of "no failure" is final (the standalone query would return no rows). A
 * failing verdict lets the check's own query run, so dbt's failure counts, thresholds and failing
 * rows stay exact; only history checks are judged here alone.
 */
final class CheckFusion {
  /** A check's fused outcome. */
  record Verdict(Checks.Eval eval, int fusedWith, String relation) {}

  private final Workspace ws;
  private final Compiler compiler;
  private final Set<String> runSet;
  private final Set<String> finished = ConcurrentHashMap.newKeySet();
  private final Map<String, List<Node>> groups = new ConcurrentHashMap<>();
  private final Map<String, Verdict> verdicts = new ConcurrentHashMap<>();
  private final Set<String> attempted = ConcurrentHashMap.newKeySet();
  private final boolean enabled;

  CheckFusion(Workspace ws, Compiler compiler, List<String> runnable, boolean enabled) {
    this.ws = ws;
    this.compiler = compiler;
    this.runSet = Set.copyOf(runnable);
    this.enabled = enabled;
    for (String id : runnable) {
      Node n = ws.project().node(id);
      if (n != null && candidate(n)) groups.computeIfAbsent(groupKey(n), k -> new ArrayList<>()).add(n);
    }
  }

  /** Records that a node finished successfully (its dependants may join a scan). */
  void finished(String id) { finished.add(id); }

  static boolean isHistoryCheck(Node n) {
    return n.resourceType == ResourceType.TEST && n.testMetadata != null && Checks.HISTORY.contains(n.testMetadata.name());
  }

  /** Whether {@code n} may take part in a fused scan (its thresholds and configs permit it). */
  boolean candidate(Node n) {
    if (n.resourceType != ResourceType.TEST || n.testMetadata == null || n.attachedNode == null) return false;
    if (!Checks.FUSABLE.contains(n.testMetadata.name())) return false;
    if (!enabled && !isHistoryCheck(n)) return false;
    Object fc = n.config.get("fail_calc");
    if (fc != null && !String.valueOf(fc).replace(" ", "").equalsIgnoreCase("count(*)")) return false;
    if (StoreFailures.mode(n, ws.storeFailures()) != null && !isHistoryCheck(n)) return false;
    if (Quarantine.isQuarantine(n)) return false;
    return atZero(str(n.config.get("warn_if"), "!= 0")) != null && atZero(str(n.config.get("error_if"), "!= 0")) != null;
  }

  private static String groupKey(Node n) {
    return n.attachedNode + "|" + n.testMetadata.kwargs().get("model");
  }

  /** The fused verdict for {@code n}, computing its group's scan if needed; null when it must run alone. */
  Verdict verdict(Node n, Renderer.Warehouse wh) {
    if (!candidate(n)) return null;
    List<Node> group = groups.get(groupKey(n));
    if (group == null) return null;
    synchronized (group) {
      Verdict v = verdicts.get(n.uniqueId);
      if (v != null || attempted.contains(n.uniqueId)) return v;
      List<Node> batch = new ArrayList<>();
      for (Node m : group) {
        if (m == n || (!attempted.contains(m.uniqueId) && ready(m) && (enabled || m == n))) batch.add(m);
      }
      for (Node m : batch) attempted.add(m.uniqueId);
      scan(batch, wh);
      return verdicts.get(n.uniqueId);
    }
  }

  private boolean ready(Node m) {
    for (String d : m.dependsOnNodes) if (runSet.contains(d) && !finished.contains(d)) return false;
    return true;
  }

  private record Member(Node node, Checks.Part part) {}

  private void scan(List<Node> batch, Renderer.Warehouse wh) {
    Session s = wh.session();
    List<Member> members = new ArrayList<>();
    String relation = null;
    int seq = 0;
    for (Node m : batch) {
      Map<String, Object> kwargs;
      try {
        kwargs = compiler.fusionArgs(m, wh);
      } catch (RuntimeException e) {
        continue; // its own run reports the compile error
      }
      if (kwargs == null) continue;
      String rel = String.valueOf(kwargs.get("model"));
      if (relation == null) relation = rel;
      else if (!relation.equals(rel)) continue;
      Object where = m.config.get("where");
      Checks.Part part = Checks.part(m.testMetadata.name(), kwargs, where == null || String.valueOf(where).isBlank() ? null
          : String.valueOf(where), s.dialect(), seq++);
      if (part != null) members.add(new Member(m, part));
    }
    if (members.isEmpty()) return;
    // One query for everything that aggregates in one pass; a distinct count gets its own query.
    List<List<Member>> queries = new ArrayList<>();
    List<Member> shared = new ArrayList<>();
    for (Member m : members) {
      if (m.part().alone()) queries.add(List.of(m));
      else shared.add(m);
    }
    if (!shared.isEmpty()) queries.add(0, shared);
    StringBuilder log = new StringBuilder();
    for (List<Member> q : queries) {
      Map<String, Integer> aggIndex = new LinkedHashMap<>();
      List<int[]> slots = new ArrayList<>();
      for (Member m : q) {
        int[] idx = new int[m.part().aggregates().size()];
        for (int i = 0; i < idx.length; i++) idx[i] = aggIndex.computeIfAbsent(m.part().aggregates().get(i), k -> aggIndex.size());
        slots.add(idx);
      }
      StringBuilder sql = new StringBuilder("select\n  ");
      int i = 0;
      for (String agg : aggIndex.keySet()) {
        if (i > 0) sql.append(",\n  ");
        sql.append(agg).append(" as weir_m").append(i++);
      }
      sql.append("\nfrom ").append(relation).append(" weir_t");
      log.append("-- ").append(q.size()).append(" check(s): ");
      for (Member m : q) log.append(m.node().name).append(' ');
      log.append('\n').append(sql).append(";\n\n");
      QueryResult r;
      try {
        r = s.query(sql.toString(), 1);
      } catch (RuntimeException e) {
        if (members.size() == 1) throw e;
        continue; // each of these checks runs alone and reports its own error
      }
      List<Object> row = r.rows().get(0);
      for (int k = 0; k < q.size(); k++) {
        Member m = q.get(k);
        List<Object> values = new ArrayList<>();
        for (int x : slots.get(k)) values.add(row.get(x));
        try {
          verdicts.put(m.node().uniqueId, new Verdict(m.part().judge().judge(values), members.size(), relation));
        } catch (RuntimeException ex) {
          // a metric the judge cannot read: the check runs alone
        }
      }
    }
    compiler.writeScan(members.get(0).node(), relation, log.toString());
  }

  /** The value of a dbt threshold such as "!= 0" or "> 10" when there are no failures; null when it is not that simple. */
  static Boolean atZero(String cond) { return holds(0, cond); }

  /** Whether {@code failures} meets a threshold such as "!= 0" or "> 10"; null when the threshold is not that simple. */
  static Boolean holds(long failures, String cond) {
    Matcher m = THRESHOLD.matcher(cond);
    if (!m.matches()) return null;
    double n = Double.parseDouble(m.group(2));
    return switch (m.group(1)) {
      case "!=", "<>" -> failures != n;
      case "=", "==" -> failures == n;
      case ">" -> failures > n;
      case ">=" -> failures >= n;
      case "<" -> failures < n;
      case "<=" -> failures <= n;
      default -> null;
    };
  }

  private static final Pattern THRESHOLD = Pattern.compile("^\\s*(!=|<>|==|=|>=|<=|>|<)\\s*(-?\\d+(?:\\.\\d+)?)\\s*$");

  private static String str(Object o, String dflt) { return o == null ? dflt : String.valueOf(o).toLowerCase(Locale.ROOT); }
}
