package dev.weir.core.execute;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Engine;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import dev.weir.core.graph.ReadyQueue;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import dev.weir.core.render.Renderer;
import dev.weir.core.util.Console;
import dev.weir.jinja.Python;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs selected nodes in dependency order on a pool of {@code --threads} workers: a node starts
 * as soon as its selected parents have finished; a failed node skips its descendants;
 * {@code --fail-fast} stops everything at the first failure. Each worker thread uses its own
 * warehouse session.
 */
public final class Runner {
  private final Workspace ws;
  private final Compiler compiler;
  private final Materializer materializer;
  private final Console console;
  private final boolean compileOnly;
  private final Map<Thread, Session> sessions = new ConcurrentHashMap<>();
  private final AtomicInteger started = new AtomicInteger();
  /** Set by --fail-fast after the first failure: queued nodes are skipped instead of run. */
  private volatile boolean stopRequested;
  /** Nodes skipped instead of run, with why (build's source freshness gate), and results reported before the run. */
  private Map<String, String> blocked = Map.of();
  private List<NodeResult> priorResults = List.of();

  /** Skips {@code blocked} nodes (id to message) when their turn comes, and reports {@code prior} results first. */
  public void skipBeforeRunning(Map<String, String> blockedNodes, List<NodeResult> prior) {
    this.blocked = Map.copyOf(blockedNodes);
    this.priorResults = List.copyOf(prior);
  }

  public Runner(Workspace ws, boolean compileOnly) {
    this.ws = ws;
    this.compiler = new Compiler(ws);
    this.console = ws.console();
    this.compileOnly = compileOnly;
    this.materializer = new Materializer(ws, compiler);
  }

  public Compiler compiler() { return compiler; }

  /** A per-thread warehouse handle for rendering and running. */
  final class ThreadWarehouse implements Renderer.Warehouse {
    @Override public Session session() {
      return sessions.computeIfAbsent(Thread.currentThread(), t -> engine().openSession());
    }

    @Override public boolean fullRefresh() { return ws.options().fullRefresh(); }

    @Override public boolean empty() { return ws.options().empty(); }
  }

  /** The warehouse, opened on first use; compile-only runs open it read-only. */
  private Engine engine() { return ws.engine(compileOnly); }

  public RunSummary run(List<String> ids) { return run(ids, ws.graph()); }

  public RunSummary run(List<String> ids, dev.weir.core.graph.Graph graph) {
    long t0 = System.nanoTime();
    ws.renderer().setSelectedResources(ids);
    // Ephemeral models never run by themselves: they are inlined where referenced.
    List<String> runnable = new ArrayList<>();
    for (String id : ids) {
      Node n = ws.project().node(id);
      if (n != null && !n.isEphemeral() && n.resourceType != ResourceType.SOURCE) runnable.add(id);
    }
    int total = runnable.size();
    List<NodeResult> results = Collections.synchronizedList(new ArrayList<>(priorResults));
    if (total == 0) {
      console.warn("Nothing to do. Try checking your model configs and model specification args");
      return summary(results, t0);
    }
    if (!compileOnly) createSchemas(runnable);
    CheckFusion fusion = new CheckFusion(ws, compiler, runnable, ws.checkFusion());
    materializer.fusion(fusion);
    Hooks hooks = new Hooks(ws);
    if (!compileOnly) {
      NodeResult failed = hooks.runProjectHooks("on-run-start", ws.settings().onRunStart(), runnable, null,
          () -> engine().openSession());
      if (failed != null) {
        results.add(failed);
        for (String id : runnable) results.add(skipped(ws.project().node(id), "Skipped: an on-run-start hook failed"));
        return summary(results, t0);
      }
    }

    ReadyQueue queue = graph.readyQueue(runnable);
    int threads = Math.max(1, ws.target().threads());
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r);
      t.setDaemon(true);
      return t;
    });
    LinkedBlockingQueue<NodeResult> done = new LinkedBlockingQueue<>();
    Set<String> inFlight = new LinkedHashSet<>();
    boolean stopping = false;
    try {
      while (true) {
        if (!stopping) {
          for (String id : queue.takeReady()) {
            inFlight.add(id);
            Node n = ws.project().node(id);
            pool.submit(() -> {
              // Numbered when it starts (not when queued), so "N of M START" lines come in order.
              NodeResult res;
              try {
                res = stopRequested ? skipped(n, "Skipped: --fail-fast stopped the run")
                    : blocked.containsKey(id) ? skipBlocked(n, blocked.get(id), total) : runOne(n, started.incrementAndGet(), total);
              } catch (Throwable e) {
                // An Error (stack overflow, out of memory, a class missing) must still report a result:
                // without one this loop would wait for the node forever.
                res = error(n, "Internal error in " + n.resourceType.dbtName() + " " + n.name + " (" + n.originalFilePath
                    + "): " + e, Instant.now(), System.nanoTime());
              }
              done.add(res);
            });
          }
        }
        if (inFlight.isEmpty()) break;
        NodeResult r = done.poll(1, TimeUnit.HOURS);
        if (r == null) continue;
        inFlight.remove(r.uniqueId());
        results.add(r);
        if (r.status().isFailure()) {
          for (String skipped : queue.fail(r.uniqueId())) {
            Node s = ws.project().node(skipped);
            if (s != null && runnable.contains(skipped)) {
              results.add(skipped(s, "Skipping because of an upstream failure: " + r.uniqueId()));
              int idx = started.incrementAndGet();
              console.info(String.format("%d of %d SKIP relation %s ............ [%s]", idx, total,
                  describe(s), console.paint(Console.YELLOW, "SKIP")));
            }
          }
          if (ws.options().failFast() && !stopping) {
            stopping = true;
            stopRequested = true;
            console.warn("Fail fast: stopping after the first failure (" + r.uniqueId() + ")");
            for (Session s : sessions.values()) s.cancel();
          }
        } else {
          fusion.finished(r.uniqueId());
          queue.complete(r.uniqueId());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      for (Session s : sessions.values()) s.cancel();
    } finally {
      pool.shutdownNow();
      try {
        pool.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      for (Session s : sessions.values()) {
        try {
          s.close();
        } catch (RuntimeException ignored) {
          // closing after a failure
        }
      }
      sessions.clear();
    }
    if (stopping) {
      Set<String> seen = new LinkedHashSet<>();
      for (NodeResult r : results) seen.add(r.uniqueId());
      for (String id : runnable) {
        if (!seen.contains(id)) results.add(skipped(ws.project().node(id), "Skipped: --fail-fast stopped the run"));
      }
    }
    if (!compileOnly) {
      NodeResult failed = hooks.runProjectHooks("on-run-end", ws.settings().onRunEnd(), runnable, results,
          () -> engine().openSession());
      if (failed != null) results.add(failed);
      recordCheckHistory(results);
    }
    return summary(results, t0);
  }

  /** Appends this run's check results to the warehouse's check history (trends, metric_change, anomaly). */
  private void recordCheckHistory(List<NodeResult> results) {
    boolean any = false;
    synchronized (results) {
      for (NodeResult r : results) {
        Node n = ws.project().node(r.uniqueId());
        any |= n != null && n.resourceType == ResourceType.TEST && r.status() != NodeResult.Status.SKIPPED;
      }
    }
    if (!any) return;
    List<NodeResult> ran = new ArrayList<>();
    synchronized (results) {
      for (NodeResult r : results) if (r.status() != NodeResult.Status.SKIPPED) ran.add(r);
    }
    try (Session s = engine().openSession()) {
      CheckHistory.record(ws, s, ran);
    } catch (RuntimeException e) {
      console.warn("Could not record check history in " + CheckHistory.TABLE + ": " + e.getMessage());
    }
  }

  private RunSummary summary(List<NodeResult> results, long t0) {
    Map<String, Object> args = new LinkedHashMap<>();
    args.put("which", ws.options().command());
    args.put("select", ws.options().select());
    args.put("exclude", ws.options().exclude());
    if (ws.options().selector() != null) args.put("selector", ws.options().selector());
    if (ws.options().indirectSelection() != null) args.put("indirect_selection", ws.options().indirectSelection());
    args.put("vars", ws.options().vars());
    if (ws.options().state() != null) args.put("state", ws.options().state().toString());
    args.put("defer", ws.options().defer());
    args.put("favor_state", ws.options().favorState());
    args.put("full_refresh", ws.options().fullRefresh());
    args.put("threads", ws.target().threads());
    args.put("target", ws.target().name());
    return new RunSummary(ws.invocationId(), ws.options().command(), Instant.now(), (System.nanoTime() - t0) / 1e9,
        new ArrayList<>(results), args);
  }

  private void createSchemas(List<String> ids) {
    Set<String> done = new LinkedHashSet<>();
    try (Session s = engine().openSession()) {
      for (String id : ids) {
        Node n = ws.project().node(id);
        if (n == null || n.resourceType == ResourceType.TEST || n.schema == null) continue;
        String key = n.database + "." + n.schema;
        if (done.add(key) && !s.schemaExists(n.database, n.schema)) s.createSchema(n.database, n.schema);
      }
    }
  }

  private NodeResult skipped(Node n, String msg) {
    Instant now = Instant.now();
    return new NodeResult(n.uniqueId, NodeResult.Status.SKIPPED, msg, null, now, now, now, now, 0,
        Thread.currentThread().getName(), Map.of(), n.compiledCode, n.relationName);
  }

  private NodeResult skipBlocked(Node n, String msg, int total) {
    console.info(String.format("%d of %d SKIP relation %s ............ [%s]", started.incrementAndGet(), total, describe(n),
        console.paint(Console.YELLOW, "SKIP")));
    return skipped(n, msg);
  }

  static String describe(Node n) {
    String kind = switch (n.resourceType) {
      case SEED -> "seed file";
      case TEST -> "test";
      case UNIT_TEST -> "unit_test";
      case SNAPSHOT -> "snapshot";
      case INGESTION -> "ingestion";
      case EXPORT -> "export";
      default -> "sql " + (n.materialized() == null ? "" : n.materialized()) + " model";
    };
    return n.resourceType == ResourceType.TEST || n.resourceType == ResourceType.UNIT_TEST || n.resourceType == ResourceType.EXPORT ? kind + " " + n.name : kind + " " + n.schema + "." + n.alias;
  }

  private NodeResult runOne(Node n, int index, int total) {
    String desc = describe(n);
    console.info(String.format("%d of %d START %s %s [RUN]", index, total, desc, dots(desc)));
    Instant cs = Instant.now();
    long t = System.nanoTime();
    ThreadWarehouse wh = new ThreadWarehouse();
    NodeResult result;
    try {
      String sql = n.resourceType == ResourceType.SEED || n.resourceType == ResourceType.UNIT_TEST
          || n.resourceType == ResourceType.INGESTION || n.resourceType == ResourceType.EXPORT ? null : compiler.compile(n, wh);
      Instant ce = Instant.now();
      if (compileOnly) {
        result = new NodeResult(n.uniqueId, NodeResult.Status.SUCCESS, "Compiled", null, cs, ce, ce, ce,
            (System.nanoTime() - t) / 1e9, Thread.currentThread().getName(), Map.of(), sql, n.relationName);
      } else {
        Materializer.Outcome o = materializer.run(n, sql, wh);
        Instant ee = Instant.now();
        result = new NodeResult(n.uniqueId, o.status(), o.message(), o.failures(), cs, ce, ce, ee,
            (System.nanoTime() - t) / 1e9, Thread.currentThread().getName(), o.adapterResponse(), n.compiledCode, n.relationName);
      }
    } catch (WeirException e) {
      result = error(n, e.describe(), cs, t);
    } catch (RuntimeException e) {
      String msg = e.getMessage() == null ? e.toString() : e.getMessage();
      // A test declared in YAML is named with its line, so a check on a missing column points at its entry.
      Object line = n.resourceType == ResourceType.TEST ? n.extra.get("yaml_line") : null;
      result = error(n, "Runtime Error in " + n.resourceType.dbtName() + " " + n.name + " (" + n.originalFilePath
          + (line instanceof Integer l && l > 0 ? ":" + l : "") + ")\n  " + msg, cs, t);
    }
    // A node whose query --fail-fast cancelled did not fail by itself: it was stopped.
    if (stopRequested && result.status() == NodeResult.Status.ERROR) result = skipped(n, "Cancelled: --fail-fast stopped the run");
    report(n, result, index, total, desc);
    return result;
  }

  private NodeResult error(Node n, String msg, Instant cs, long t) {
    Instant now = Instant.now();
    return new NodeResult(n.uniqueId, NodeResult.Status.ERROR, msg, null, cs, now, now, now, (System.nanoTime() - t) / 1e9,
        Thread.currentThread().getName(), Map.of(), n.compiledCode, n.relationName);
  }

  private void report(Node n, NodeResult r, int index, int total, String desc) {
    String secs = String.format("%.2fs", r.executionTime());
    String status;
    String verb;
    switch (r.status()) {
      case SUCCESS -> {
        verb = console.paint(Console.GREEN, "OK") + " " + (compileOnly ? "compiled " : n.resourceType == ResourceType.SEED
            || n.resourceType == ResourceType.INGESTION ? "loaded " : n.resourceType == ResourceType.EXPORT ? "wrote "
            : n.resourceType == ResourceType.SNAPSHOT ? "snapshotted " : "created ");
        status = console.paint(Console.GREEN, r.message() == null ? "OK" : r.message()) + " in " + secs;
      }
      case PASS -> {
        verb = console.paint(Console.GREEN, "PASS") + " ";
        status = console.paint(Console.GREEN, "PASS") + " in " + secs;
      }
      case WARN -> {
        verb = console.paint(Console.YELLOW, "WARN " + r.failures()) + " ";
        status = console.paint(Console.YELLOW, "WARN " + r.failures()) + " in " + secs;
      }
      case SKIPPED -> {
        verb = console.paint(Console.YELLOW, "SKIP") + " ";
        status = console.paint(Console.YELLOW, "SKIP");
      }
      case FAIL -> {
        verb = console.paint(Console.RED, "FAIL " + r.failures()) + " ";
        status = console.paint(Console.RED, "FAIL " + r.failures()) + " in " + secs;
      }
      default -> {
        verb = console.paint(Console.RED, "ERROR") + " creating ";
        status = console.paint(Console.RED, "ERROR") + " in " + secs;
      }
    }
    // dbt: "OK snapshotted main.snap", not "OK snapshotted snapshot main.snap".
    if (verb.endsWith("snapshotted ") && desc.startsWith("snapshot ")) desc = desc.substring("snapshot ".length());
    String line = String.format("%d of %d %s%s %s [%s]", index, total, verb, desc, dots(desc), status);
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("node", n.uniqueId);
    fields.put("status", r.status().dbtName());
    fields.put("execution_time", r.executionTime());
    if (r.failures() != null) fields.put("failures", r.failures());
    Object rows = r.adapterResponse().get("rows_affected");
    if (rows != null) fields.put("rows_affected", rows);
    console.event(r.status().isFailure() ? Console.Level.ERROR : Console.Level.INFO, line, fields);
  }

  private static String dots(String desc) {
    int n = Math.max(3, 60 - desc.length());
    return ".".repeat(n);
  }

  /** Runs a query for {@code show}: compiles, limits and fetches. */
  public QueryResult show(String sql, long limit) {
    ThreadWarehouse wh = new ThreadWarehouse();
    try {
      Dialect d = engine().dialect();
      return wh.session().query(limit >= 0 ? d.limit(sql, limit) : sql, -1);
    } finally {
      Session s = sessions.remove(Thread.currentThread());
      if (s != null) s.close();
    }
  }

  /** Renders with a live session on this thread (compile --inline, run-operation). */
  public <T> T withWarehouse(java.util.function.Function<Renderer.Warehouse, T> f) {
    try {
      return f.apply(new ThreadWarehouse());
    } finally {
      Session s = sessions.remove(Thread.currentThread());
      if (s != null) s.close();
    }
  }

  static String str(Object o) { return o == null ? null : Python.str(o); }

  static Relation relation(Node n) { return new Relation(n.database, n.schema, n.alias, RelationType.UNKNOWN); }
}
