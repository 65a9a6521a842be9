package dev.weir.orchestrate.sched;

import dev.weir.core.WeirException;
import dev.weir.orchestrate.Pipeline;
import dev.weir.orchestrate.Schedule;
import dev.weir.orchestrate.exec.PipelineExecutor;
import dev.weir.orchestrate.exec.RunListener;
import dev.weir.orchestrate.exec.RunRequest;
import dev.weir.orchestrate.store.Fence;
import dev.weir.orchestrate.store.Lease;
import dev.weir.orchestrate.store.MetadataStore;
import dev.weir.orchestrate.store.PipelineRun;
import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs each missing interval of a pipeline in a date range once ({@code weir backfill}), and re-runs chosen steps of a
 * recorded run ({@code weir runs clear}). Both work under leases like the scheduler, so they never run an interval that
 * a scheduler is running, and a scheduler does not pick up a run they hold.
 */
public final class Backfill {
  /** In which order intervals start: oldest first, newest first, or all at once up to the concurrency limit. */
  public enum Order { ASC, DESC, PARALLEL }

  /** What a backfill did: runs that succeeded or failed, and intervals it left alone (with why). */
  public record Summary(int succeeded, int failed, List<String> skipped) {}

  private Backfill() {}

  /** The intervals whose logical date (start) lies in {@code [from, to]}, oldest first. */
  public static List<Schedule.Interval> intervals(Schedule s, Instant from, Instant to) {
    List<Schedule.Interval> out = new ArrayList<>();
    Instant st = s.isFireTime(from) ? from : s.next(from);
    while (st != null && !st.isAfter(to)) {
      Instant end = s.next(st);
      if (end == null) break;
      out.add(new Schedule.Interval(st, end));
      st = end;
    }
    return out;
  }

  /**
   * Runs the missing intervals of {@code p} with logical dates in {@code [from, to]}: intervals that succeeded are
   * skipped, failed ones too unless {@code rerunFailed} (then their failed steps and everything downstream run again),
   * unfinished ones whose lease is free are resumed. At most {@code maxActive} runs at once.
   */
  public static Summary run(MetadataStore store, PipelineExecutor ex, Pipeline p, Instant from, Instant to, boolean rerunFailed,
      int maxActive, Order order, String owner, Duration leaseTtl, Scheduler.Listener listener) throws InterruptedException {
    if (p.schedule() == null) throw WeirException.usage("Pipeline '" + p.name() + "' has no schedule, so it has no intervals to backfill (" + p.file() + ")");
    List<Schedule.Interval> ivs = intervals(p.schedule(), from, to);
    if (order == Order.DESC) Collections.reverse(ivs);
    List<String> skipped = Collections.synchronizedList(new ArrayList<>());
    Map<Long, Fence> held = new ConcurrentHashMap<>();
    List<PipelineExecutor.Handle> handles = Collections.synchronizedList(new ArrayList<>());
    Semaphore slots = new Semaphore(Math.max(1, maxActive));
    ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "weir-lease-renew");
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(100, leaseTtl.toMillis() / 3);
    Map<Long, PipelineExecutor.Handle> byId = new ConcurrentHashMap<>();
    renewer.scheduleAtFixedRate(() -> {
      for (Map.Entry<Long, Fence> e : held.entrySet()) {
        try {
          if (!store.renewLease(e.getValue(), owner, Instant.now(), leaseTtl)) {
            listener.info("lost the lease of " + e.getValue().resource() + "; another process took run " + e.getKey() + " over");
            PipelineExecutor.Handle h = byId.get(e.getKey());
            if (h != null) h.abandon("lease lost");
            held.remove(e.getKey());
          }
        } catch (RuntimeException ignored) {
          // retried at the next renewal
        }
      }
    }, every, every, TimeUnit.MILLISECONDS);
    try {
      for (Schedule.Interval iv : ivs) {
        String key = PipelineExecutor.runKey(p.name(), iv.start());
        Optional<PipelineRun> existing = store.runByKey(key);
        if (existing.isPresent() && existing.get().state() == State.SUCCESS) {
          skipped.add(iv.start() + ": already succeeded (run " + existing.get().id() + ")");
          continue;
        }
        if (existing.isPresent() && existing.get().state() == State.FAILED && !rerunFailed) {
          skipped.add(iv.start() + ": failed in run " + existing.get().id() + " (use --rerun-failed to run it again)");
          continue;
        }
        slots.acquire();
        Instant now = Instant.now();
        Fence f = store.acquireLease(key, owner, now, leaseTtl);
        if (f == null) {
          Optional<Lease> l = store.lease(key);
          skipped.add(iv.start() + ": being run by " + l.map(Lease::owner).orElse("another process"));
          slots.release();
          continue;
        }
        existing = store.runByKey(key);
        PipelineExecutor.Handle h;
        if (existing.isEmpty()) {
          h = ex.start(p, RunRequest.scheduled(p, iv, "backfill"), f, listener);
        } else if (existing.get().state() == State.SUCCESS) {
          store.releaseLease(f, owner);
          slots.release();
          skipped.add(iv.start() + ": already succeeded (run " + existing.get().id() + ")");
          continue;
        } else {
          PipelineRun r = existing.get();
          if (r.state() == State.FAILED) {
            Set<String> failed = new LinkedHashSet<>();
            for (Map.Entry<String, StepRun> e : latest(store.steps(r.id())).entrySet()) {
              if (e.getValue().state() == State.FAILED || e.getValue().state() == State.SKIPPED) failed.add(e.getKey());
            }
            clear(store, p, r, failed, f);
            listener.info("re-running run " + r.id() + " " + Scheduler.describe(r) + ": steps " + String.join(", ", failed) + " and downstream");
          } else {
            listener.info("resuming unfinished run " + r.id() + " " + Scheduler.describe(r));
          }
          h = ex.resume(p, store.run(r.id()).orElseThrow(), f, listener);
        }
        if (h == null) {
          slots.release();
          continue;
        }
        held.put(h.runId(), f);
        byId.put(h.runId(), h);
        handles.add(h);
        h.done().whenComplete((res, e) -> {
          held.remove(h.runId());
          if (res != null && res.state() != null) store.releaseLease(f, owner);
          slots.release();
        });
      }
      int ok = 0;
      int failed = 0;
      for (PipelineExecutor.Handle h : new ArrayList<>(handles)) {
        try {
          PipelineExecutor.Result r = h.done().get();
          if (r.state() == State.SUCCESS) ok++;
          else failed++;
        } catch (java.util.concurrent.ExecutionException e) {
          failed++;
        }
      }
      return new Summary(ok, failed, new ArrayList<>(skipped));
    } finally {
      renewer.shutdownNow();
    }
  }

  /** The latest try of each step. */
  public static Map<String, StepRun> latest(List<StepRun> rows) {
    Map<String, StepRun> out = new java.util.LinkedHashMap<>();
    for (StepRun r : rows) {
      StepRun l = out.get(r.step());
      if (l == null || r.tryNumber() > l.tryNumber()) out.put(r.step(), r);
    }
    return out;
  }

  /** {@code roots} and every step downstream of them, in pipeline order. */
  public static Set<String> withDescendants(Pipeline p, Set<String> roots) {
    Map<String, List<String>> deps = p.dependents();
    Set<String> all = new LinkedHashSet<>();
    ArrayDeque<String> todo = new ArrayDeque<>(roots);
    while (!todo.isEmpty()) {
      String s = todo.poll();
      if (!all.add(s)) continue;
      todo.addAll(deps.getOrDefault(s, List.of()));
    }
    Set<String> ordered = new LinkedHashSet<>();
    for (Pipeline.Step s : p.steps()) if (all.contains(s.name())) ordered.add(s.name());
    return ordered;
  }

  /**
   * Marks {@code roots} and their descendants for re-run in run {@code r} (a new queued try each, with a fresh try
   * budget) and sets the run back to queued, all under {@code fence}. Returns the steps cleared.
   */
  public static Set<String> clear(MetadataStore store, Pipeline p, PipelineRun r, Set<String> roots, Fence fence) {
    Set<String> steps = withDescendants(p, roots);
    Map<String, StepRun> latest = latest(store.steps(r.id()));
    Map<String, Integer> next = new HashMap<>();
    for (String s : steps) {
      StepRun l = latest.get(s);
      if (l != null && l.state() == State.QUEUED) continue;
      int t = l == null ? 1 : l.tryNumber() + 1;
      next.put(s, t);
      StepRun row = new StepRun(r.id(), s, t, State.QUEUED, null, null, null, null, null, t + p.step(s).policy().retries());
      if (!store.putStep(row, fence)) throw WeirException.runtime("Run " + r.id() + ": the lease was taken over while clearing steps", null);
    }
    if (!store.reopenRun(r.id(), fence)) throw WeirException.runtime("Run " + r.id() + ": the lease was taken over while clearing steps", null);
    return steps;
  }

  /** The lease resource of a run: its run key, or {@code run:<id>} for runs without one. */
  public static String resource(PipelineRun r) { return r.runKey() != null ? r.runKey() : "run:" + r.id(); }

  /** A listener that only forwards run events (for callers without scheduler news). */
  public static Scheduler.Listener of(RunListener l) {
    return new Scheduler.Listener() {
      @Override public void runStarted(long id, String pipeline, RunRequest r) { l.runStarted(id, pipeline, r); }

      @Override public void stepStarted(long id, String step, int t, int max, String log) { l.stepStarted(id, step, t, max, log); }

      @Override public void stepFinished(long id, StepRun r, Duration retryIn) { l.stepFinished(id, r, retryIn); }

      @Override public void runFinished(long id, String pipeline, State state) { l.runFinished(id, pipeline, state); }
    };
  }
}
