package dev.weir.core.execute;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import dev.weir.core.project.ConfigKeys;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import dev.weir.core.render.Renderer;
import dev.weir.core.util.Console;
import dev.weir.jinja.PyTuple;
import dev.weir.jinja.Python;
import dev.weir.jinja.Template;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * dbt's hooks and grants.
 *
 * <p>Model (and seed) {@code pre-hook}/{@code post-hook}: a string, a list, or
 * {@code {"sql": ..., "transaction": false}} objects, rendered with the node's context
 * ({@code this}, {@code ref}, macros). Hooks "inside the transaction" (the default) run in the
 * same transaction as the materialization, so a failing post-hook leaves the relation as it was;
 * {@code transaction: false} hooks run before it begins / after it commits. A failing hook fails
 * the node. {@code grants} are applied after the build, inside the transaction, where the engine
 * has GRANT ({@link Dialect#supportsGrants()}).
 *
 * <p>Project {@code on-run-start}/{@code on-run-end}: once per invocation of run, build, seed,
 * snapshot and test, with {@code schemas}, {@code database_schemas} and (on-run-end)
 * {@code results} in the context. A failing on-run-start skips every node; a failing hook is
 * reported as an error result of id {@code operation.<project>.<project>-on-run-start-<i>}.
 */
final class Hooks {
  record Hook(String sql, boolean transaction) {}

  private final Workspace ws;

  Hooks(Workspace ws) { this.ws = ws; }

  /** The hooks of a config value: a string, a map {sql, transaction}, or a list of either. */
  static List<Hook> parse(Object value) {
    List<Hook> out = new ArrayList<>();
    for (Object o : ConfigKeys.asList(value)) {
      if (o == null) continue;
      if (o instanceof Map<?, ?> m) {
        Object sql = m.get("sql");
        Object tx = m.get("transaction");
        if (sql != null) out.add(new Hook(Python.str(sql), tx == null || Python.truthy(tx)));
      } else if (o instanceof List<?> l) {
        out.addAll(parse(l));
      } else {
        out.add(new Hook(Python.str(o), true));
      }
    }
    return out;
  }

  /**
   * Runs a node's materialization between its hooks. {@code transactional}: whether inside hooks,
   * the build and grants share one transaction (false for microbatch models, whose batches each
   * commit by themselves).
   */
  Materializer.Outcome around(Node n, Session s, Renderer.Warehouse wh, boolean transactional,
                              Supplier<Materializer.Outcome> body) {
    if (n.isEphemeral()) return body.get();
    List<Hook> pre = parse(n.config.get("pre-hook"));
    List<Hook> post = parse(n.config.get("post-hook"));
    Map<String, List<String>> grants = grants(n, s.dialect());
    boolean inside = !grants.isEmpty() || pre.stream().anyMatch(Hook::transaction) || post.stream().anyMatch(Hook::transaction);
    if (pre.isEmpty() && post.isEmpty() && grants.isEmpty()) return body.get();

    // dbt's should_revoke: an incremental run or a snapshot keeps the table and its grants, so what
    // the config no longer names is revoked; a rebuilt relation starts without grants.
    boolean kept = n.resourceType == ResourceType.SNAPSHOT
        || "incremental".equals(n.materialized()) && !Incremental.shouldFullRefresh(n, wh.fullRefresh());
    boolean revoke = !grants.isEmpty() && kept
        && s.getRelation(n.database, n.schema, n.alias).map(r -> r.type() == RelationType.TABLE).orElse(false);
    run(n, "pre-hook", pre, false, s, wh);
    boolean own = transactional && inside && !s.inTransaction();
    if (own) s.begin();
    Materializer.Outcome out;
    try {
      run(n, "pre-hook", pre, true, s, wh);
      out = body.get();
      run(n, "post-hook", post, true, s, wh);
      applyGrants(n, s, grants, revoke);
      if (own) s.commit();
    } catch (RuntimeException e) {
      if (own) {
        try {
          s.rollback();
        } catch (RuntimeException ignored) {
          // report the first failure
        }
      }
      throw e;
    }
    run(n, "post-hook", post, false, s, wh);
    return out;
  }

  private void run(Node n, String kind, List<Hook> hooks, boolean inTransaction, Session s, Renderer.Warehouse wh) {
    for (int i = 0; i < hooks.size(); i++) {
      Hook h = hooks.get(i);
      if (h.transaction() != inTransaction) continue;
      String sql = render(n, kind, i, h.sql(), wh);
      if (sql.isBlank()) continue;
      try {
        s.execute(sql);
      } catch (RuntimeException e) {
        throw WeirException.runtime("Error in " + kind + " " + (i + 1) + " of " + n.resourceType.dbtName() + " " + n.name
            + " (" + n.originalFilePath + "): " + message(e) + "\n  hook SQL: " + oneLine(sql), e);
      }
    }
  }

  private String render(Node n, String kind, int i, String sql, Renderer.Warehouse wh) {
    if (!sql.contains("{{") && !sql.contains("{%")) return sql.strip();
    Renderer r = ws.renderer();
    String name = (n == null ? "dbt_project.yml" : n.originalFilePath) + " (" + kind + " " + (i + 1) + ")";
    Template t;
    try {
      t = r.environment().parse(name, sql);
    } catch (dev.weir.jinja.JinjaException e) {
      throw WeirException.compile(n == null ? "dbt_project.yml" : n.originalFilePath, 0,
          "Jinja syntax error in " + kind + " " + (i + 1) + ": " + e.getMessage(), e);
    }
    return r.render(t, n, Renderer.Mode.EXECUTE, wh, r.newState(n, Renderer.Mode.EXECUTE), Map.of()).strip();
  }

  // ------------------------------------------------------------------ grants

  /** {privilege: [grantees]} from the grants config; empty when the engine has no GRANT. */
  static Map<String, List<String>> grants(Node n, Dialect d) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (!(n.config.get("grants") instanceof Map<?, ?> g) || g.isEmpty() || !d.supportsGrants()) return out;
    for (Map.Entry<?, ?> e : g.entrySet()) {
      List<String> grantees = new ArrayList<>();
      for (Object o : ConfigKeys.asList(e.getValue())) if (o != null && !Python.str(o).isBlank()) grantees.add(Python.str(o));
      if (!grantees.isEmpty()) out.put(Python.str(e.getKey()), grantees);
    }
    return out;
  }

  private static void applyGrants(Node n, Session s, Map<String, List<String>> grants, boolean revoke) {
    if (grants.isEmpty()) return;
    Relation target = new Relation(n.database, n.schema, n.alias, n.materialized() != null && n.materialized().equals("view")
        ? RelationType.VIEW : RelationType.TABLE);
    List<String> sqls = new ArrayList<>();
    String show = revoke ? s.dialect().showGrants(target) : null;
    if (show != null) {
      // Privileges held now that the config does not name (names compared case-insensitively, as dbt does).
      Map<String, List<String>> gone = new LinkedHashMap<>();
      for (List<Object> row : s.query(show, 100_000).rows()) {
        String grantee = String.valueOf(row.get(0));
        String privilege = String.valueOf(row.get(1));
        List<String> wanted = null;
        for (Map.Entry<String, List<String>> e : grants.entrySet()) {
          if (e.getKey().equalsIgnoreCase(privilege)) wanted = e.getValue();
        }
        if (wanted == null || wanted.stream().noneMatch(grantee::equalsIgnoreCase)) {
          gone.computeIfAbsent(privilege, k -> new ArrayList<>()).add(grantee);
        }
      }
      for (Map.Entry<String, List<String>> e : gone.entrySet()) sqls.add(s.dialect().revoke(target, e.getKey(), e.getValue()));
    }
    for (Map.Entry<String, List<String>> e : grants.entrySet()) sqls.add(s.dialect().grant(target, e.getKey(), e.getValue()));
    for (String sql : sqls) {
      try {
        s.execute(sql);
      } catch (RuntimeException ex) {
        throw WeirException.runtime("Cannot apply grants of " + n.name + " (" + sql + "): " + message(ex), ex);
      }
    }
  }

  // ------------------------------------------------------------------ on-run-start / on-run-end

  static String hookId(String project, String which, int i) {
    return "operation." + project + "." + project + "-" + which + "-" + i;
  }

  /**
   * Runs the project's on-run-start or on-run-end hooks. Returns the result of the hook that
   * failed (the rest are not run), or null when all succeeded.
   */
  NodeResult runProjectHooks(String which, List<String> hooks, List<String> ids, List<NodeResult> results,
                             Supplier<Session> sessions) {
    if (hooks.isEmpty()) return null;
    Console console = ws.console();
    String project = ws.project().name();
    boolean end = which.equals("on-run-end");
    if (end) console.info("");
    console.info("Running " + hooks.size() + " " + which + " hook" + (hooks.size() == 1 ? "" : "s"));
    Map<String, Object> extra = new LinkedHashMap<>();
    Set<String> schemas = new LinkedHashSet<>();
    List<Object> dbSchemas = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (String id : ids) {
      Node n = ws.project().node(id);
      if (n == null || n.resourceType == ResourceType.TEST || n.schema == null || n.isEphemeral()) continue;
      schemas.add(n.schema);
      if (seen.add(n.database + "." + n.schema)) dbSchemas.add(PyTuple.copyOf(java.util.Arrays.asList(n.database, n.schema)));
    }
    extra.put("schemas", new ArrayList<Object>(schemas));
    extra.put("database_schemas", dbSchemas);
    if (results != null) extra.put("results", resultObjects(results));
    try (Session s = sessions.get()) {
      Renderer.Warehouse wh = new Renderer.Warehouse() {
        @Override public Session session() { return s; }

        @Override public boolean fullRefresh() { return ws.options().fullRefresh(); }
      };
      Renderer r = ws.renderer();
      // Hooks render as an operation node of the root project (dbt's hook nodes).
      Node op = new Node(hookId(project, which, 0), ResourceType.OPERATION, project, project + "-" + which);
      op.originalFilePath = "dbt_project.yml";
      op.database = ws.target().database();
      op.schema = ws.target().schema();
      op.alias = op.name;
      for (int i = 0; i < hooks.size(); i++) {
        String label = "hook: " + project + "." + which + "." + i;
        console.info(String.format("%d of %d START %s %s [RUN]", i + 1, hooks.size(), label, dots(label)));
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        try {
          String src = hooks.get(i);
          String sql;
          if (src.contains("{{") || src.contains("{%")) {
            Template t = r.environment().parse("dbt_project.yml (" + which + " " + (i + 1) + ")", src);
            sql = r.render(t, op, Renderer.Mode.EXECUTE, wh, r.newState(op, Renderer.Mode.EXECUTE), extra).strip();
          } else {
            sql = src.strip();
          }
          if (!sql.isBlank()) s.execute(sql);
          console.info(String.format("%d of %d %s %s %s [%s in %.2fs]", i + 1, hooks.size(), console.paint(Console.GREEN, "OK"),
              label, dots(label), console.paint(Console.GREEN, "OK"), (System.nanoTime() - t0) / 1e9));
        } catch (RuntimeException e) {
          double secs = (System.nanoTime() - t0) / 1e9;
          console.event(Console.Level.ERROR, String.format("%d of %d %s %s %s [%s in %.2fs]", i + 1, hooks.size(),
              console.paint(Console.RED, "ERROR"), label, dots(label), console.paint(Console.RED, "ERROR"), secs), Map.of());
          String msg = "Error in " + which + " hook " + (i + 1) + " (dbt_project.yml): " + message(e);
          Instant now = Instant.now();
          return new NodeResult(hookId(project, which, i), NodeResult.Status.ERROR, msg, null, started, now, started, now, secs,
              Thread.currentThread().getName(), Map.of(), hooks.get(i), null);
        }
      }
    }
    if (!end) console.info("");
    return null;
  }

  /** on-run-end's {@code results}: objects with dbt's attributes (node, status, message, ...). */
  private List<Object> resultObjects(List<NodeResult> results) {
    List<Object> out = new ArrayList<>();
    synchronized (results) {
      for (NodeResult r : results) {
        Map<String, Object> m = new LinkedHashMap<>();
        Node n = ws.project().node(r.uniqueId());
        m.put("node", n == null ? Map.of("unique_id", r.uniqueId()) : Renderer.nodeDict(n));
        m.put("unique_id", r.uniqueId());
        m.put("status", r.status().dbtName());
        m.put("message", r.message());
        m.put("failures", r.failures());
        m.put("execution_time", r.executionTime());
        m.put("thread_id", r.threadId());
        m.put("adapter_response", r.adapterResponse());
        List<Object> timing = new ArrayList<>();
        timing.add(Map.of("name", "compile", "started_at", String.valueOf(r.compileStarted()), "completed_at",
            String.valueOf(r.compileCompleted())));
        timing.add(Map.of("name", "execute", "started_at", String.valueOf(r.executeStarted()), "completed_at",
            String.valueOf(r.executeCompleted())));
        m.put("timing", timing);
        out.add(m);
      }
    }
    return out;
  }

  private static String dots(String desc) { return ".".repeat(Math.max(3, 60 - desc.length())); }

  private static String message(RuntimeException e) {
    if (e instanceof WeirException we) return we.describe();
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  private static String oneLine(String sql) {
    String s = sql.replaceAll("\\s+", " ").strip();
    return s.length() > 200 ? s.substring(0, 200) + " ..." : s;
  }
}
