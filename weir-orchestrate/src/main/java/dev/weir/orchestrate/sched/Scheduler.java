package dev.weir.orchestrate.sched;

import dev.weir.core.WeirException;
import dev.weir.orchestrate.Pipeline;
import dev.weir.orchestrate.PipelineLoader;
import dev.weir.orchestrate.Schedule;
import dev.weir.orchestrate.exec.LogRetention;
import dev.weir.orchestrate.exec.PipelineExecutor;
import dev.weir.orchestrate.exec.RunListener;
import dev.weir.orchestrate.exec.RunRequest;
import dev.weir.orchestrate.exec.WeirInvoker;
import dev.weir.orchestrate.store.Fence;
import dev.weir.orchestrate.store.Lease;
import dev.weir.orchestrate.store.MetadataStore;
import dev.weir.orchestrate.store.PipelineRun;
import dev.weir.orchestrate.store.State;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The scheduler loop: for each scheduled pipeline it creates a run for every interval that is due (all missed ones with
 * {@code catchup}, else the latest), up to {@code max_active_runs}, and starts it on a {@link PipelineExecutor}.
 *
 * <p>One thread runs the loop. A pass looks at the store and the pipelines, starts what is due and computes when
 * something next becomes due: the next fire time of any pipeline, the renewal of held leases, the expiry of a lease
 * another scheduler holds on an unfinished run, and the next check of the pipeline files' modification times. The
 * thread then sleeps until that moment or until an event (a run finished or was lost, a stop was asked for) wakes it.
 *
 * <p>Every run it works on is covered by a lease on the run's key, taken with a fencing token; all state writes of the
 * run carry the token and the store rejects them once another scheduler has taken the lease over. Unfinished runs in
 * the store whose lease is free (their scheduler crashed, was killed or stopped) are resumed: finished steps are not run
 * again, an interrupted try is retried per its policy.
 */
public final class Scheduler implements AutoCloseable {
  /**
   * Settings.
   *
   * @param leaseTtl how long a lease lasts without renewal (renewed every third of it)
   * @param drainTimeout how long running steps may go on after a stop was asked for
   * @param reloadInterval how often the pipeline files' modification times are checked (also the longest sleep)
   * @param owner this scheduler's name in the lease table
   */
  public record Options(Duration leaseTtl, Duration drainTimeout, Duration reloadInterval, String owner, Duration logRetention) {
    /** 30 s leases, 60 s drain, files checked every 2 s, owner {@code <host>:<pid>:<random>}. */
    public static Options defaults() {
      return new Options(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(2), defaultOwner(), Duration.ofDays(30));
    }

    public Options withLeaseTtl(Duration d) { return new Options(d, drainTimeout, reloadInterval, owner, logRetention); }

    public Options withDrainTimeout(Duration d) { return new Options(leaseTtl, d, reloadInterval, owner, logRetention); }

    public Options withReloadInterval(Duration d) { return new Options(leaseTtl, drainTimeout, d, owner, logRetention); }

    /** How long step logs of finished runs are kept (null or zero: forever). */
    public Options withLogRetention(Duration d) { return new Options(leaseTtl, drainTimeout, reloadInterval, owner, d); }
  }

  /** Hears runs and steps (as {@link RunListener}) and the scheduler's own news. */
  public interface Listener extends RunListener {
    /** Something the scheduler did or noticed (resuming a run, a lease lost, pipelines reloaded, stopping...). */
    default void info(String message) {}
  }

  /** A name for this process in lease rows: host, pid and a random part. */
  public static String defaultOwner() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    return host + ":" + ProcessHandle.current().pid() + ":" + Long.toHexString(new java.util.Random().nextInt() & 0xffffffL);
  }

  private final Path projectDir;
  private final MetadataStore store;
  private final Clock clock;
  private final Options opt;
  /** How often old step logs are looked for. */
  static final Duration PRUNE_EVERY = Duration.ofHours(1);
  private Instant nextPrune;
  private final Listener listener;
  private final PipelineExecutor executor;
  private final RunListener events;
  private volatile Map<String, Pipeline> pipelines;
  private String signature;
  private Instant nextReloadCheck;
  private Instant nextRenew;
  private final Map<Long, Held> held = new ConcurrentHashMap<>();
  private final Map<String, Track> tracks = new HashMap<>();
  private final Object wakeLock = new Object();
  private boolean woken;
  private volatile boolean stopping;
  private int startedLastPass;
  private volatile dev.weir.orchestrate.alert.Alerter alerter;

  private record Held(long runId, String pipeline, Fence fence, PipelineExecutor.Handle handle) {}

  /** What the loop knows of one scheduled pipeline. */
  private static final class Track {
    final Pipeline p;
    final Set<Instant> known = new HashSet<>();
    Instant cursor;
    Instant nextDue = Instant.MIN;

    Track(Pipeline p) { this.p = p; }
  }

  /**
   * Loads the project's pipelines (errors name file and line) and prepares an executor.
   *
   * @param clock the time schedules are evaluated against (tests pass a fixed clock)
   */
  public Scheduler(Path projectDir, MetadataStore store, Clock clock, Options opt, WeirInvoker weir, Listener listener) {
    this.projectDir = projectDir.toAbsolutePath().normalize();
    this.store = store;
    this.clock = clock;
    this.opt = opt;
    this.listener = listener;
    this.signature = signature();
    this.pipelines = PipelineLoader.load(this.projectDir);
    this.executor = new PipelineExecutor(store, this.projectDir, pipelines, weir);
    executor.setPools(PipelineLoader.loadPools(this.projectDir));
    this.events = new RunListener() {
      @Override public void runStarted(long id, String pipeline, RunRequest r) { listener.runStarted(id, pipeline, r); }

      @Override public void stepStarted(long id, String step, int t, int max, String log) { listener.stepStarted(id, step, t, max, log); }

      @Override public void stepFinished(long id, dev.weir.orchestrate.store.StepRun r, Duration retryIn) { listener.stepFinished(id, r, retryIn); }

      @Override public void stepWaiting(long id, String step, String why) { listener.stepWaiting(id, step, why); }

      @Override public void runFinished(long id, String pipeline, State state) {
        listener.runFinished(id, pipeline, state);
        wakeUp();
      }

      @Override public void runLost(long id, String pipeline, String why) {
        listener.runLost(id, pipeline, why);
        wakeUp();
      }
    };
    rebuildTracks();
  }

  public Map<String, Pipeline> pipelines() { return pipelines; }

  public PipelineExecutor executor() { return executor; }

  /**
   * Has each pass send {@code late} alerts through {@code a} (intervals not succeeded by their end plus late_after,
   * on this scheduler's clock). Run events reach the alerter through the listener given to the constructor.
   */
  public void setAlerter(dev.weir.orchestrate.alert.Alerter a) { this.alerter = a; }

  /** Runs the loop until {@link #stop()}, then stops gracefully (see {@link PipelineExecutor#drain}) and gives its leases up. */
  public void run() {
    long scheduled = pipelines.values().stream().filter(p -> p.schedule() != null).count();
    listener.info("scheduler " + opt.owner() + " started: " + pipelines.size() + " pipelines (" + scheduled + " scheduled), lease "
        + opt.leaseTtl().toMillis() + " ms, project " + projectDir);
    loop(() -> stopping);
    drain();
  }

  /**
   * Runs passes until {@code until} holds or {@code timeout} has passed (for tests and one-shot use); returns whether it held.
   */
  public boolean runUntil(BooleanSupplier until, Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    return loop(() -> until.getAsBoolean() || System.nanoTime() > end) && until.getAsBoolean();
  }

  /** Whether no run is in progress here and the last pass started nothing. */
  public boolean idle() { return held.isEmpty() && startedLastPass == 0; }

  private boolean loop(BooleanSupplier until) {
    while (!until.getAsBoolean()) {
      Instant next;
      try {
        next = pass();
      } catch (RuntimeException e) {
        listener.info("error in a scheduler pass (retrying in " + opt.reloadInterval().toMillis() + " ms): " + e.getMessage());
        next = Instant.now().plus(opt.reloadInterval());
      }
      if (until.getAsBoolean()) break;
      long ms = Math.max(0, Duration.between(Instant.now(), next).toMillis());
      synchronized (wakeLock) {
        if (!woken && ms > 0) {
          try {
            wakeLock.wait(Math.min(ms, opt.reloadInterval().toMillis()));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
          }
        }
        woken = false;
      }
    }
    return true;
  }

  /** Asks the loop to stop (from a signal handler, another thread): no new run or step starts; running steps drain. */
  public void stop() {
    stopping = true;
    wakeUp();
  }

  private void wakeUp() {
    synchronized (wakeLock) {
      woken = true;
      wakeLock.notifyAll();
    }
  }

  /** One pass: resume orphaned runs, start due intervals, renew leases. Returns when the next pass is needed. */
  public synchronized Instant pass() {
    Instant now = clock.instant(); // schedules are evaluated against the clock (tests move it)
    Instant real = Instant.now(); // leases, renewals and file checks use the real time shared with other processes
    startedLastPass = 0;
    if (nextReloadCheck == null || !real.isBefore(nextReloadCheck)) {
      nextReloadCheck = real.plus(opt.reloadInterval());
      maybeReload();
    }
    if (opt.logRetention() != null && !opt.logRetention().isZero() && (nextPrune == null || !real.isBefore(nextPrune))) {
      nextPrune = real.plus(PRUNE_EVERY);
      try {
        int n = LogRetention.prune(projectDir, store, opt.logRetention(), real);
        if (n > 0) listener.info("removed the step logs of " + n + " run" + (n == 1 ? "" : "s") + " that ended more than "
            + opt.logRetention().toDays() + " days ago");
      } catch (IOException | RuntimeException e) {
        listener.info("could not remove old step logs: " + e.getMessage());
      }
    }
    Instant next = nextReloadCheck;
    if (!held.isEmpty()) {
      if (nextRenew == null || !real.isBefore(nextRenew)) renew(real);
      next = min(next, nextRenew);
    }
    if (stopping) return next;
    Map<String, Integer> active = new HashMap<>();
    for (PipelineRun r : store.unfinishedRuns()) {
      active.merge(r.pipeline(), 1, Integer::sum);
      if (held.containsKey(r.id()) || r.runKey() == null) continue;
      Pipeline p = pipelines.get(r.pipeline());
      if (p == null) continue;
      Fence f = store.acquireLease(r.runKey(), opt.owner(), real, opt.leaseTtl());
      if (f == null) {
        Optional<Lease> l = store.lease(r.runKey());
        if (l.isPresent()) next = min(next, l.get().expiresAt().plusMillis(10));
        continue;
      }
      Optional<PipelineRun> cur = store.run(r.id());
      if (cur.isEmpty() || cur.get().state().finished()) {
        store.releaseLease(f, opt.owner());
        continue;
      }
      listener.info("resuming run " + r.id() + " of " + p.name() + " " + describe(r) + ": it did not finish (its scheduler stopped or lost its lease); lease token " + f.token());
      hold(p, r.id(), f, executor.resume(p, cur.get(), f, events));
    }
    for (Track t : tracks.values()) {
      if (now.isBefore(t.nextDue)) {
        next = min(next, toReal(t.nextDue, now, real));
        continue;
      }
      Pipeline p = t.p;
      Schedule s = p.schedule();
      boolean blocked = false;
      List<Schedule.Interval> due = due(t, now);
      for (Schedule.Interval iv : due) {
        if (t.known.contains(iv.start())) continue;
        if (active.getOrDefault(p.name(), 0) >= p.maxActiveRuns()) {
          blocked = true;
          break;
        }
        String key = PipelineExecutor.runKey(p.name(), iv.start());
        Fence f = store.acquireLease(key, opt.owner(), real, opt.leaseTtl());
        if (f == null) {
          Optional<Lease> l = store.lease(key);
          if (l.isPresent()) next = min(next, l.get().expiresAt().plusMillis(10));
          blocked = true;
          continue;
        }
        Optional<PipelineRun> existing = store.runByKey(key);
        if (existing.isPresent()) {
          t.known.add(iv.start());
          if (existing.get().state().finished()) {
            store.releaseLease(f, opt.owner());
          } else if (!held.containsKey(existing.get().id())) {
            hold(p, existing.get().id(), f, executor.resume(p, existing.get(), f, events));
            active.merge(p.name(), 1, Integer::sum);
          }
          continue;
        }
        PipelineExecutor.Handle h = executor.start(p, RunRequest.scheduled(p, iv, "scheduled"), f, events);
        t.known.add(iv.start());
        if (h != null) {
          hold(p, h.runId(), f, h);
          active.merge(p.name(), 1, Integer::sum);
          startedLastPass++;
        }
      }
      if (s.catchup() && s.startDate() != null) {
        Instant c = t.cursor;
        for (Schedule.Interval iv : due) {
          if (!t.known.contains(iv.start())) break;
          c = iv.end();
        }
        t.cursor = c;
      }
      if (blocked) {
        t.nextDue = Instant.MIN;
      } else {
        Instant current = s.atOrBefore(now);
        t.nextDue = s.endDate() != null && current != null && current.isAfter(s.endDate()) ? Instant.MAX : s.next(now);
        if (t.nextDue == null) t.nextDue = Instant.MAX;
        next = min(next, toReal(t.nextDue, now, real));
      }
    }
    dev.weir.orchestrate.alert.Alerter a = alerter;
    if (a != null) next = min(next, toReal(a.checkLate(pipelines.values(), now), now, real));
    return next;
  }

  private List<Schedule.Interval> due(Track t, Instant now) {
    Schedule s = t.p.schedule();
    if (s.catchup() && s.startDate() != null) return s.dueIntervals(t.cursor, now);
    Schedule.Interval iv = s.latestComplete(now);
    return iv == null ? List.of() : List.of(iv);
  }

  private void hold(Pipeline p, long runId, Fence f, PipelineExecutor.Handle h) {
    held.put(runId, new Held(runId, p.name(), f, h));
    if (nextRenew == null) nextRenew = Instant.now().plus(opt.leaseTtl().dividedBy(3));
    h.done().whenComplete((r, e) -> {
      held.remove(runId);
      if (r != null && r.state() != null) {
        try {
          store.releaseLease(f, opt.owner());
        } catch (RuntimeException ignored) {
          // the lease expires on its own
        }
      }
      wakeUp();
    });
  }

  private void renew(Instant now) {
    for (Held h : new ArrayList<>(held.values())) {
      if (h.handle().done().isDone()) continue;
      boolean ok;
      try {
        ok = store.renewLease(h.fence(), opt.owner(), now, opt.leaseTtl());
      } catch (RuntimeException e) {
        listener.info("could not renew the lease of " + h.fence().resource() + ": " + e.getMessage());
        continue;
      }
      if (!ok) {
        listener.info("lost the lease of " + h.fence().resource() + " (token " + h.fence().token() + "): another scheduler took run "
            + h.runId() + " over; stopping work on it");
        h.handle().abandon("lease lost");
        held.remove(h.runId());
      }
    }
    nextRenew = now.plus(opt.leaseTtl().dividedBy(3));
  }

  /** Graceful stop: running steps finish (up to the drain timeout) or are stopped and marked for retry; leases are given up. */
  private void drain() {
    int running = executor.running();
    listener.info("stopping: no new steps start; " + running + " running step(s) may finish within " + opt.drainTimeout().toMillis() + " ms");
    int stopped = executor.drain(opt.drainTimeout());
    if (stopped > 0) listener.info("stopped " + stopped + " step(s) still running at the drain timeout; they are marked up_for_retry");
    for (Held h : new ArrayList<>(held.values())) {
      try {
        store.releaseLease(h.fence(), opt.owner());
      } catch (RuntimeException ignored) {
        // expires on its own
      }
    }
    listener.info("scheduler stopped; " + held.size() + " unfinished run(s) resume at the next start");
  }

  // ------------------------------------------------------------------ pipeline files

  private void maybeReload() {
    String sig = signature();
    if (sig.equals(signature)) return;
    signature = sig;
    try {
      Map<String, Pipeline> fresh = PipelineLoader.load(projectDir);
      executor.setPools(PipelineLoader.loadPools(projectDir));
      pipelines = fresh;
      executor.setPipelines(fresh);
      rebuildTracks();
      listener.info("pipeline files changed: reloaded " + fresh.size() + " pipelines");
    } catch (WeirException e) {
      listener.info("pipeline files changed but do not load; keeping the previous pipelines: " + e.describe());
    }
  }

  private void rebuildTracks() {
    Map<String, Track> old = new HashMap<>(tracks);
    tracks.clear();
    for (Pipeline p : pipelines.values()) {
      if (p.schedule() == null) continue;
      Track t = new Track(p);
      Track prev = old.get(p.name());
      if (prev != null && p.schedule().toString().equals(prev.p.schedule().toString())
          && java.util.Objects.equals(p.schedule().startDate(), prev.p.schedule().startDate())) {
        t.known.addAll(prev.known);
        t.cursor = prev.cursor;
      } else {
        for (PipelineRun r : store.keyedRuns(p.name())) if (r.intervalStart() != null) t.known.add(r.intervalStart());
        t.cursor = p.schedule().startDate();
      }
      tracks.put(p.name(), t);
    }
  }

  /** Names, sizes and modification times of the files in pipelines/. */
  private String signature() {
    Path dir = projectDir.resolve(PipelineLoader.FOLDER);
    if (!Files.isDirectory(dir)) return "";
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path f : s.sorted().toList()) {
        sb.append(f.getFileName()).append(':').append(Files.getLastModifiedTime(f).toMillis()).append(':').append(Files.size(f)).append('\n');
      }
    } catch (IOException e) {
      return signature == null ? "" : signature;
    }
    return sb.toString();
  }

  static String describe(PipelineRun r) {
    return r.intervalStart() == null ? "(logical date " + r.logicalDate() + ")" : "[" + r.intervalStart() + ", " + r.intervalEnd() + ")";
  }

  private static Instant min(Instant a, Instant b) { return a.isBefore(b) ? a : b; }

  /** A moment on the schedule clock as real time (the loop sleeps in real time). */
  private static Instant toReal(Instant t, Instant clockNow, Instant realNow) {
    if (t.equals(Instant.MAX)) return Instant.MAX;
    if (!t.isAfter(clockNow)) return realNow;
    Duration d = Duration.between(clockNow, t);
    return d.toDays() > 3650 ? Instant.MAX : realNow.plus(d);
  }

  @Override
  public void close() { executor.close(); }
}
