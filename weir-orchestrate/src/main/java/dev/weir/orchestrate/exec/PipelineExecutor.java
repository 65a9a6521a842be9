package dev.weir.orchestrate.exec;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.core.util.Yaml;
import dev.weir.orchestrate.Pipeline;
import dev.weir.orchestrate.Schedule;
import dev.weir.orchestrate.store.Fence;
import dev.weir.orchestrate.store.PipelineRun;
import dev.weir.orchestrate.store.MetadataStore;
import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs pipeline runs. A step starts the moment its last dependency succeeds: each try ends with a callback
 * that records it and hands ready steps to the worker pool, so there is no polling loop between steps. A step
 * that fails after its retries marks every step downstream of it {@code upstream_failed}. Retries wait
 * (exponential backoff with jitter when configured) on a timer, holding no thread. A timeout really stops the
 * try: a shell step's process tree is terminated (then killed after a grace period); other steps have their
 * thread interrupted. Each try writes its log to {@code target/runs/<run id>/<step>/<try>.log}.
 */
public final class PipelineExecutor implements AutoCloseable {
  /** How long a terminated process tree gets before it is killed. */
  static final Duration KILL_GRACE = Duration.ofSeconds(2);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How often a step waiting on its previous interval looks again when no event in this process tells it. */
  static final Duration PAST_RECHECK = Duration.ofSeconds(2);
  /** How the error of a try stopped by a graceful stop begins (such a try is retried at once when the run resumes). */
  static final String DRAINED = "stopped by a graceful stop of the scheduler";

  private final MetadataStore store;
  private final Path projectDir;
  private volatile Map<String, Pipeline> pipelines;
  private final Map<String, Pool> pools = new HashMap<>();
  private final Object inFlightLock = new Object();
  private int inFlight;
  private volatile boolean draining;
  private final WeirInvoker weir;
  private final ExecutorService workers = Executors.newCachedThreadPool(daemon("weir-step"));
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(daemon("weir-timer"));
  private final Random random = new Random();
  private volatile HttpClient http;
  private final Sensors sensors;
  private final Set<Run> active = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** This process among those sharing the store (pool slots are renewed per owner). */
  private final String owner = ProcessHandle.current().pid() + "@" + hostName() + ":" + Long.toHexString(new Random().nextLong());

  /**
   * @param projectDir the project (shell steps run in it; logs go under its target/runs)
   * @param pipelines every pipeline of the project (for {@code pipeline:} steps)
   * @param weir runs {@code weir:} steps (null: such steps fail with a clear error)
   */
  public PipelineExecutor(MetadataStore store, Path projectDir, Map<String, Pipeline> pipelines, WeirInvoker weir) {
    this.store = store;
    this.projectDir = projectDir.toAbsolutePath().normalize();
    this.pipelines = pipelines;
    this.weir = weir;
    this.sensors = new Sensors(this.projectDir, store, () -> this.pipelines, this::httpClient, weir);
  }

  /** The outcome of a run: SUCCESS or FAILED, or null when this process stopped working on it (lease lost, graceful stop). */
  public record Result(long runId, State state) {}

  /** A run in progress: its id and its end. */
  public interface Handle {
    long runId();

    /** Completes when the run has finished, or when this process stops working on it (state null). */
    CompletableFuture<Result> done();

    /** Stops working on the run without writing anything more (its lease was lost): its running tries are stopped. */
    void abandon(String why);
  }

  /** Replaces the pipelines {@code pipeline:} steps look up (after the files changed). */
  public void setPipelines(Map<String, Pipeline> all) { this.pipelines = all; }

  /** Sets the pools (name to slots) that steps with {@code pool:} take a slot of; slots are counted across all runs of this executor. */
  public synchronized void setPools(Map<String, Integer> slots) {
    for (Map.Entry<String, Integer> e : slots.entrySet()) {
      Pool pool = pools.get(e.getKey());
      if (pool == null) pools.put(e.getKey(), new Pool(e.getKey(), e.getValue()));
      else pool.resize(e.getValue());
    }
  }

  /** Records and runs one run of {@code p}, returning when every step has finished. */
  public Result run(Pipeline p, RunRequest req, RunListener listener) throws InterruptedException {
    Handle h = start(p, req, null, listener);
    if (h == null) throw new IllegalStateException("fenced");
    Run run = (Run) h;
    try {
      return run.done.get();
    } catch (InterruptedException e) {
      run.cancel();
      try {
        run.done.get(KILL_GRACE.toMillis() * 2, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ignored) {
        // reported as interrupted
      }
      throw e;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * Records a new run of {@code p} (under {@code fence} when not null) and starts it; returns at once.
   *
   * @return the run, or null when the fence was stale and nothing was recorded
   */
  public Handle start(Pipeline p, RunRequest req, Fence fence, RunListener listener) {
    List<String> names = p.steps().stream().map(Pipeline.Step::name).toList();
    Map<String, Integer> maxTries = new HashMap<>();
    for (Pipeline.Step s : p.steps()) maxTries.put(s.name(), s.policy().retries() + 1);
    long id = store.createRun(p.name(), req.interval().start(), req.interval().end(), req.logicalDate(), req.params(),
        req.trigger(), req.runKey(), req.parentRunId(), names, maxTries, fence);
    if (id < 0) return null;
    return launch(new Run(p, req, id, listener, fence, List.of()), true);
  }

  /**
   * Continues a recorded run that did not finish (after a crash, a takeover or a graceful stop), or whose steps were
   * cleared: finished steps stay as they are, a try left running is an interrupted try (retried per the step's policy,
   * or failed when it was the last), steps up for retry or queued run when their dependencies allow.
   */
  public Handle resume(Pipeline p, PipelineRun recorded, Fence fence, RunListener listener) {
    ZoneId zone = p.schedule() != null ? p.schedule().zone() : ZoneId.of("UTC");
    Schedule.Interval iv = new Schedule.Interval(recorded.intervalStart() != null ? recorded.intervalStart() : recorded.logicalDate(),
        recorded.intervalEnd() != null ? recorded.intervalEnd() : recorded.logicalDate());
    RunRequest req = new RunRequest(recorded.logicalDate(), iv, recorded.params(), recorded.trigger(), recorded.runKey(),
        recorded.parentRunId(), zone);
    return launch(new Run(p, req, recorded.id(), listener, fence, store.steps(recorded.id())), recorded.startedAt() == null);
  }

  private Run launch(Run run, boolean firstStart) {
    active.add(run);
    run.done.whenComplete((r, e) -> active.remove(run));
    if (!run.writeRun(State.RUNNING, firstStart ? Instant.now() : null, null)) return run;
    run.listener.runStarted(run.id, run.p.name(), run.req);
    run.begin();
    return run;
  }

  /**
   * Cancels every run in progress (e.g. on Ctrl-C): running tries are stopped (shell process trees terminated),
   * steps not started are marked skipped, and the runs are recorded as failed. Waits up to {@code wait} for that.
   */
  public void cancelAll(Duration wait) {
    List<Run> runs = new ArrayList<>(active);
    for (Run r : runs) r.cancel();
    awaitAll(runs, wait);
  }

  /**
   * A graceful stop: no step starts any more; running tries may finish until {@code deadline} has passed, then they
   * are stopped and recorded {@code up_for_retry} without using up a retry. Runs stay unfinished in the store (a
   * scheduler resumes them). Returns the number of tries that had to be stopped.
   */
  public int drain(Duration deadline) {
    draining = true;
    List<Run> runs = new ArrayList<>(active);
    for (Run r : runs) r.suspend();
    long end = System.nanoTime() + deadline.toNanos();
    synchronized (inFlightLock) {
      while (inFlight > 0 && System.nanoTime() < end) {
        try {
          inFlightLock.wait(Math.max(1, (end - System.nanoTime()) / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    int stopped = 0;
    for (Run r : runs) stopped += r.stopForDrain();
    long killEnd = System.nanoTime() + KILL_GRACE.toNanos() + 3_000_000_000L;
    synchronized (inFlightLock) {
      while (inFlight > 0 && System.nanoTime() < killEnd) {
        try {
          inFlightLock.wait(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    return stopped;
  }

  /** How many tries are running now, across all runs. */
  public int running() {
    synchronized (inFlightLock) {
      return inFlight;
    }
  }

  private void awaitAll(List<Run> runs, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    for (Run r : runs) {
      try {
        r.done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        // best effort
      }
    }
  }

  @Override
  public void close() {
    workers.shutdownNow();
    timer.shutdownNow();
  }

  private void tryStarted() {
    synchronized (inFlightLock) {
      inFlight++;
    }
  }

  private void tryEnded() {
    synchronized (inFlightLock) {
      inFlight--;
      inFlightLock.notifyAll();
    }
  }

  /** A step of pipeline {@code pipeline} succeeded: steps of other runs waiting on their previous interval look again. */
  private void pastMayHaveChanged(Run from) {
    for (Run r : active) {
      if (r != from && r.p.name().equals(from.p.name()) && r.hasPastWaiters()) workers.execute(r::recheckPast);
    }
  }

  // ------------------------------------------------------------------ pools

  /**
   * Named slots shared by the steps of all runs of every process on the metadata store: a running step holds a row in
   * the store's {@code pool_slots} (renewed while it runs, expiring if this process dies). Waiting steps queue here, in
   * order, holding no thread; they are looked at again when a slot of this process is given back, and every
   * {@link #POOL_RECHECK} for slots other processes gave back.
   */
  private final class Pool {
    final String name;
    int slots;
    final ArrayDeque<Object[]> waiters = new ArrayDeque<>(); // {Run, step name}
    ScheduledFuture<?> recheck;

    Pool(String name, int slots) {
      this.name = name;
      this.slots = slots;
    }

    synchronized void resize(int n) {
      slots = n;
      grantWaiters();
    }

    /** Takes a slot, or queues the step to be granted one later (then {@link Run#poolGranted} is called). */
    synchronized boolean acquire(Run run, String step) {
      if (waiters.isEmpty() && take(run, step)) return true;
      waiters.add(new Object[] {run, step});
      scheduleRecheck();
      return false;
    }

    private boolean take(Run run, String step) {
      boolean got = store.takePoolSlot(name, slots, run.id + ":" + step, owner, Instant.now(), POOL_TTL);
      if (got) renewPoolSlotsPeriodically();
      return got;
    }

    synchronized void release(Run run, String step) {
      store.releasePoolSlot(name, run.id + ":" + step);
      grantWaiters();
    }

    synchronized void forget(Run run) { waiters.removeIf(w -> w[0] == run); }

    private void grantWaiters() {
      try {
        while (!waiters.isEmpty()) {
          Object[] w = waiters.peek();
          Run r = (Run) w[0];
          String step = (String) w[1];
          if (!take(r, step)) break;
          waiters.poll();
          workers.execute(() -> r.poolGranted(step, this));
        }
      } catch (RuntimeException e) {
        // the store could not be asked now: look again at the next recheck
      }
      if (!waiters.isEmpty()) scheduleRecheck();
    }

    private void scheduleRecheck() {
      if (recheck == null || recheck.isDone()) {
        recheck = timer.schedule(() -> workers.execute(() -> {
          synchronized (this) {
            grantWaiters();
          }
        }), POOL_RECHECK.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }

  /** How long a pool slot lives without renewal (a process that dies gives its slots back after this). */
  static final Duration POOL_TTL = Duration.ofSeconds(60);
  /** How often waiting steps look for slots other processes gave back. */
  static final Duration POOL_RECHECK = Duration.ofSeconds(1);
  private ScheduledFuture<?> poolRenewal;

  /** Renews this process's pool slots a few times per TTL, from the first slot taken on. */
  private synchronized void renewPoolSlotsPeriodically() {
    if (poolRenewal != null) return;
    long every = POOL_TTL.toMillis() / 3;
    poolRenewal = timer.scheduleAtFixedRate(() -> {
      try {
        store.renewPoolSlots(owner, Instant.now(), POOL_TTL);
      } catch (RuntimeException e) {
        // next time; slots last a whole TTL
      }
    }, every, every, TimeUnit.MILLISECONDS);
  }

  private Pool pool(String name) {
    synchronized (this) {
      return pools.computeIfAbsent(name, n -> new Pool(n, 1));
    }
  }

  // ------------------------------------------------------------------ one run

  /** Thrown inside a run when a fenced write was rejected: the run is abandoned. */
  private static final class Fenced extends RuntimeException {
    Fenced() { super("fenced", null, false, false); }
  }

  private final class Run implements Handle {
    final Pipeline p;
    final RunRequest req;
    final long id;
    final RunListener listener;
    final Fence fence;
    final Map<String, List<String>> dependents;
    final Map<String, Pipeline.Step> byName = new HashMap<>();
    final Map<String, Integer> waitingOn = new HashMap<>();
    final Map<String, State> states = new LinkedHashMap<>();
    final Map<String, Integer> tries = new HashMap<>();
    final Map<String, Integer> maxTries = new HashMap<>();
    final Map<String, Attempt> active = new HashMap<>();
    final ArrayDeque<String> ready = new ArrayDeque<>();
    final Set<String> pastWaiting = new LinkedHashSet<>();
    final Set<String> poolWaiting = new HashSet<>();
    final Map<String, Pool> poolHeld = new HashMap<>();
    final Set<String> drainStopped = new HashSet<>();
    final CompletableFuture<Result> done = new CompletableFuture<>();
    final List<Runnable> afterRecovery = new ArrayList<>();
    int running;
    boolean cancelled;
    boolean suspended;
    boolean lost;
    ScheduledFuture<?> pastTimer;
    volatile boolean anyPastWaiting;

    Run(Pipeline p, RunRequest req, long id, RunListener listener, Fence fence, List<StepRun> history) {
      this.p = p;
      this.req = req;
      this.id = id;
      this.listener = listener;
      this.fence = fence;
      this.dependents = p.dependents();
      for (Pipeline.Step s : p.steps()) byName.put(s.name(), s);
      Map<String, StepRun> latest = new HashMap<>();
      for (StepRun r : history) {
        StepRun l = latest.get(r.step());
        if (l == null || r.tryNumber() > l.tryNumber()) latest.put(r.step(), r);
      }
      for (Pipeline.Step s : p.steps()) {
        StepRun l = latest.get(s.name());
        int budget = l != null && l.maxTries() != null ? l.maxTries() : s.policy().retries() + 1;
        maxTries.put(s.name(), budget);
        if (l == null) {
          states.put(s.name(), State.QUEUED);
          tries.put(s.name(), 0);
          if (!history.isEmpty()) afterRecovery.add(() -> putStep(new StepRun(id, s.name(), 1, State.QUEUED, null, null, null, null, null, budget)));
          continue;
        }
        switch (l.state()) {
          case SUCCESS, FAILED, UPSTREAM_FAILED, SKIPPED -> {
            states.put(s.name(), l.state());
            tries.put(s.name(), l.tryNumber());
          }
          case QUEUED -> {
            states.put(s.name(), State.QUEUED);
            tries.put(s.name(), l.tryNumber() - 1);
          }
          case UP_FOR_RETRY -> {
            states.put(s.name(), State.UP_FOR_RETRY);
            tries.put(s.name(), l.tryNumber());
            Duration wait = s.policy().delayBefore(l.tryNumber() + 1, random);
            long left = l.endedAt() == null || (l.error() != null && l.error().startsWith(DRAINED)) ? 0 : Math.max(0, Duration.between(Instant.now(), l.endedAt().plus(wait)).toMillis());
            afterRecovery.add(() -> timer.schedule(() -> retryDue(s.name()), left, TimeUnit.MILLISECONDS));
          }
          case RUNNING -> {
            // The process running this try stopped without recording its end: an interrupted try.
            tries.put(s.name(), l.tryNumber());
            String why = "interrupted: the scheduler running it stopped (crash, kill or lost lease)";
            if (l.tryNumber() < budget) {
              states.put(s.name(), State.UP_FOR_RETRY);
              Duration wait = s.policy().delayBefore(l.tryNumber() + 1, random);
              afterRecovery.add(() -> {
                StepRun r = new StepRun(id, s.name(), l.tryNumber(), State.UP_FOR_RETRY, l.startedAt(), Instant.now(), null, why, l.logPath(), budget);
                putStep(r);
                listener.stepFinished(id, r, wait);
                timer.schedule(() -> retryDue(s.name()), wait.toMillis(), TimeUnit.MILLISECONDS);
              });
            } else {
              states.put(s.name(), State.FAILED);
              afterRecovery.add(() -> {
                StepRun r = new StepRun(id, s.name(), l.tryNumber(), State.FAILED, l.startedAt(), Instant.now(), null,
                    why + "; no retries left", l.logPath(), budget);
                putStep(r);
                listener.stepFinished(id, r, null);
                failDescendants(s.name());
              });
            }
          }
        }
      }
      for (Pipeline.Step s : p.steps()) {
        int n = 0;
        for (String d : s.dependsOn()) if (states.get(d) != State.SUCCESS) n++;
        waitingOn.put(s.name(), n);
        if (n == 0 && states.get(s.name()) == State.QUEUED) ready.add(s.name());
      }
      for (Pipeline.Step s : p.steps()) {
        State st = states.get(s.name());
        if (st == State.FAILED || st == State.UPSTREAM_FAILED || st == State.SKIPPED) {
          String failed = s.name();
          afterRecovery.add(() -> failDescendants(failed));
        }
      }
    }

    @Override public long runId() { return id; }

    @Override public CompletableFuture<Result> done() { return done; }

    /** Writes a step row under the run's fence; a rejected write means the lease is lost. */
    void putStep(StepRun r) {
      if (lost) throw new Fenced();
      if (!store.putStep(r, fence)) {
        lose("the lease of " + (fence == null ? "the run" : fence.resource()) + " was taken over (a write with fencing token "
            + (fence == null ? "-" : fence.token()) + " was rejected)");
        throw new Fenced();
      }
    }

    boolean writeRun(State state, Instant startedAt, Instant endedAt) {
      if (lost) return false;
      if (!store.updateRun(id, state, startedAt, endedAt, fence)) {
        lose("the lease of " + (fence == null ? "the run" : fence.resource()) + " was taken over (a write with fencing token "
            + (fence == null ? "-" : fence.token()) + " was rejected)");
        return false;
      }
      return true;
    }

    synchronized void begin() {
      try {
        for (Runnable r : afterRecovery) r.run();
        afterRecovery.clear();
        startReady();
        finishIfDone();
      } catch (Fenced f) {
        // abandoned
      }
    }

    /** Starts queued ready steps up to max_parallel. Called under the run's lock. */
    private void startReady() {
      if (cancelled || suspended || lost || draining) return;
      int n = ready.size();
      for (int i = 0; i < n && running < p.maxParallel() && !ready.isEmpty(); i++) {
        String name = ready.poll();
        Pipeline.Step step = byName.get(name);
        if (step.dependsOnPast() && !pastSucceeded(step)) {
          anyPastWaiting = true;
          if (pastWaiting.add(name)) {
            listener.stepWaiting(id, name, "waiting for step '" + name + "' of the previous interval to succeed (depends_on_past)");
          }
          schedulePastRecheck();
          continue;
        }
        if (step.pool() != null && !poolHeld.containsKey(name)) {
          Pool pool = pool(step.pool());
          if (!pool.acquire(this, name)) {
            poolWaiting.add(name);
            listener.stepWaiting(id, name, "waiting for a slot of pool '" + step.pool() + "'");
            continue;
          }
          poolHeld.put(name, pool);
        }
        start(step);
      }
    }

    /** Whether the same step of the previous interval succeeded (or there is no previous interval or run). */
    private boolean pastSucceeded(Pipeline.Step step) {
      Schedule s = p.schedule();
      if (s == null || req.runKey() == null) return true;
      Instant prev = s.previous(req.interval().start());
      if (prev == null || (s.startDate() != null && prev.isBefore(s.startDate()))) return true;
      Optional<PipelineRun> pr = store.runByKey(runKey(p.name(), prev));
      if (pr.isEmpty()) return true;
      StepRun last = null;
      for (StepRun r : store.steps(pr.get().id())) {
        if (r.step().equals(step.name()) && (last == null || r.tryNumber() > last.tryNumber())) last = r;
      }
      return last == null || last.state() == State.SUCCESS;
    }

    /** Read without the run's lock (another run's lock may be held by the caller). */
    boolean hasPastWaiters() { return anyPastWaiting; }

    private void schedulePastRecheck() {
      if (pastTimer == null || pastTimer.isDone()) {
        pastTimer = timer.schedule(() -> workers.execute(this::recheckPast), PAST_RECHECK.toMillis(), TimeUnit.MILLISECONDS);
      }
    }

    /** Looks again at steps waiting on their previous interval (after a step of this pipeline succeeded somewhere). */
    synchronized void recheckPast() {
      if (pastWaiting.isEmpty()) return;
      try {
        for (String name : new ArrayList<>(pastWaiting)) {
          if (pastSucceeded(byName.get(name))) {
            pastWaiting.remove(name);
            ready.add(name);
          }
        }
        if (!pastWaiting.isEmpty()) schedulePastRecheck();
        anyPastWaiting = !pastWaiting.isEmpty();
        startReady();
      } catch (Fenced f) {
        // abandoned
      } catch (RuntimeException e) {
        schedulePastRecheck();
      }
    }

    /** A pool granted a slot to a waiting step. */
    synchronized void poolGranted(String name, Pool pool) {
      poolWaiting.remove(name);
      if (cancelled || lost || done.isDone() || states.get(name) != State.QUEUED) {
        pool.release(this, name);
        return;
      }
      poolHeld.put(name, pool);
      ready.addFirst(name);
      try {
        startReady();
      } catch (Fenced f) {
        // abandoned
      }
    }

    private void start(Pipeline.Step step) {
      int tryNumber = tries.merge(step.name(), 1, Integer::sum);
      // noop steps keep no log (10,000-step benchmarks would otherwise create 10,000 folders)
      String rel = step.kind() == Pipeline.Kind.NOOP ? null : "target/runs/" + id + "/" + step.name() + "/" + tryNumber + ".log";
      Path log = rel == null ? null : projectDir.resolve(rel);
      Instant started = Instant.now();
      states.put(step.name(), State.RUNNING);
      putStep(new StepRun(id, step.name(), tryNumber, State.RUNNING, started, null, null, null, rel, maxTries.get(step.name())));
      running++;
      tryStarted();
      listener.stepStarted(id, step.name(), tryNumber, maxTries.get(step.name()), rel);
      Attempt a = new Attempt(this, step, tryNumber, log, rel, started);
      active.put(step.name(), a);
      if (step.policy().timeout() != null) {
        a.timeoutTask = timer.schedule(a::timeOut, step.policy().timeout().toMillis(), TimeUnit.MILLISECONDS);
      }
      workers.execute(a);
    }

    /** A try ended: record it, then retry it, or start what it unblocked, or give up its descendants. */
    synchronized void finished(Attempt a, Outcome o) {
      running--;
      active.remove(a.step.name());
      Pool held = poolHeld.remove(a.step.name());
      if (held != null) held.release(this, a.step.name());
      if (lost) return;
      Pipeline.Step step = a.step;
      Instant ended = Instant.now();
      boolean succeeded = false;
      if (o.ok()) {
        record(step, a, State.SUCCESS, ended, o, null);
        succeeded = true;
        for (String d : dependents.get(step.name())) {
          if (waitingOn.merge(d, -1, Integer::sum) == 0 && states.get(d) == State.QUEUED) ready.add(d);
        }
      } else if (drainStopped.contains(step.name())) {
        // stopped by a graceful stop: the try does not count against the step's retries
        maxTries.merge(step.name(), 1, Integer::sum);
        record(step, a, State.UP_FOR_RETRY, ended, o, Duration.ZERO);
      } else if (!cancelled && a.tryNumber < maxTries.get(step.name())) {
        Duration wait = step.policy().delayBefore(a.tryNumber + 1, random);
        states.put(step.name(), State.UP_FOR_RETRY);
        record(step, a, State.UP_FOR_RETRY, ended, o, wait);
        timer.schedule(() -> retryDue(step.name()), wait.toMillis(), TimeUnit.MILLISECONDS);
      } else {
        record(step, a, State.FAILED, ended, o, null);
        failDescendants(step.name());
      }
      startReady();
      finishIfDone();
      if (succeeded) pastMayHaveChanged(this);
    }

    private synchronized void retryDue(String step) {
      try {
        if (states.get(step) != State.UP_FOR_RETRY || lost || suspended) return;
        if (cancelled) {
          states.put(step, State.FAILED);
          finishIfDone();
          return;
        }
        states.put(step, State.QUEUED);
        if (waitingOn.get(step) == 0) ready.addFirst(step);
        startReady();
      } catch (Fenced f) {
        // abandoned
      }
    }

    private void record(Pipeline.Step step, Attempt a, State state, Instant ended, Outcome o, Duration retryIn) {
      states.put(step.name(), state);
      StepRun r = new StepRun(id, step.name(), a.tryNumber, state, a.started, ended, o.exitCode(), o.error(), a.relLog, maxTries.get(step.name()));
      putStep(r);
      listener.stepFinished(id, r, retryIn);
    }

    private void failDescendants(String failed) {
      ArrayDeque<String> todo = new ArrayDeque<>(dependents.get(failed));
      Set<String> seen = new HashSet<>();
      while (!todo.isEmpty()) {
        String d = todo.poll();
        if (!seen.add(d) || states.get(d) != State.QUEUED) continue;
        states.put(d, State.UPSTREAM_FAILED);
        ready.remove(d);
        pastWaiting.remove(d);
        StepRun r = new StepRun(id, d, Math.max(1, tries.get(d) + 1), State.UPSTREAM_FAILED, null, Instant.now(), null,
            "upstream step '" + failed + "' failed", null, maxTries.get(d));
        putStep(r);
        listener.stepFinished(id, r, null);
        todo.addAll(dependents.get(d));
      }
    }

    /** Stops the run: running tries are stopped, steps not started are skipped. */
    synchronized void cancel() {
      if (lost) return;
      cancelled = true;
      try {
        for (Attempt a : new ArrayList<>(active.values())) a.stop("the run was cancelled");
        for (Map.Entry<String, State> e : states.entrySet()) {
          if (e.getValue() == State.UP_FOR_RETRY) e.setValue(State.FAILED);
          if (e.getValue() == State.QUEUED) {
            e.setValue(State.SKIPPED);
            StepRun r = new StepRun(id, e.getKey(), Math.max(1, tries.get(e.getKey()) + 1), State.SKIPPED, null, Instant.now(), null,
                "the run was cancelled", null, maxTries.get(e.getKey()));
            putStep(r);
            listener.stepFinished(id, r, null);
          }
        }
        ready.clear();
        finishIfDone();
      } catch (Fenced f) {
        // abandoned
      }
    }

    /** A graceful stop begins: start nothing more. */
    synchronized void suspend() {
      suspended = true;
      for (Pool pool : new HashSet<>(pools.values())) pool.forget(this);
      for (Attempt a : new ArrayList<>(active.values())) {
        if (a.step.kind() == Pipeline.Kind.SENSOR) {
          // a sensor has nothing to finish: it stops now and looks again from the start when the run resumes
          drainStopped.add(a.step.name());
          a.stop(DRAINED + "; the sensor waits again when the run resumes, without using up a retry");
        }
      }
    }

    /** The graceful stop's deadline passed: stop what still runs (recorded up_for_retry, not counted as a try). */
    synchronized int stopForDrain() {
      int n = 0;
      for (Attempt a : new ArrayList<>(active.values())) {
        drainStopped.add(a.step.name());
        a.stop(DRAINED + " (drain timeout); it runs again when the run resumes, without using up a retry");
        n++;
      }
      return n;
    }

    @Override
    public void abandon(String why) {
      synchronized (this) {
        lose(why);
      }
    }

    /** The lease is gone: stop everything, write nothing more. */
    private void lose(String why) {
      if (lost) return;
      lost = true;
      cancelled = true;
      for (Attempt a : new ArrayList<>(active.values())) a.stop("the lease of the run was lost");
      ready.clear();
      for (Pool pool : new HashSet<>(pools.values())) pool.forget(this);
      listener.runLost(id, p.name(), why);
      done.complete(new Result(id, null));
    }

    /** Ends the run as failed after an error in the bookkeeping itself (e.g. the store could not be written). */
    synchronized void abort(RuntimeException e) {
      if (lost || e instanceof Fenced) return;
      cancelled = true;
      for (Attempt a : new ArrayList<>(active.values())) a.stop("the run was aborted: " + e.getMessage());
      try {
        store.updateRun(id, State.FAILED, null, Instant.now(), fence);
      } catch (RuntimeException again) {
        // the store is what failed; the caller still learns the run failed
      }
      listener.runFinished(id, p.name(), State.FAILED);
      done.complete(new Result(id, State.FAILED));
    }

    private void finishIfDone() {
      if (done.isDone() || running > 0 || !ready.isEmpty()) return;
      for (State s : states.values()) if (!s.finished()) return;
      boolean ok = states.values().stream().allMatch(s -> s == State.SUCCESS);
      State finalState = ok ? State.SUCCESS : State.FAILED;
      if (!writeRun(finalState, null, Instant.now())) return;
      listener.runFinished(id, p.name(), finalState);
      done.complete(new Result(id, finalState));
    }
  }

  /** The run key of a scheduled or backfilled interval: {@code <pipeline>@<interval start>} (unique in the store). */
  public static String runKey(String pipeline, Instant intervalStart) { return pipeline + "@" + intervalStart; }

  // ------------------------------------------------------------------ one try

  /** What a try came to. */
  record Outcome(boolean ok, Integer exitCode, String error) {
    /** A sensor's condition does not hold yet: the try goes on with another poke later. */
    static final Outcome PENDING = new Outcome(false, null, "pending");

    static Outcome success(Integer exitCode) { return new Outcome(true, exitCode, null); }

    static Outcome failure(Integer exitCode, String error) { return new Outcome(false, exitCode, error); }
  }

  private final class Attempt implements Runnable {
    final Run run;
    final Pipeline.Step step;
    final int tryNumber;
    final Path log;
    final String relLog;
    final Instant started;
    volatile ScheduledFuture<?> timeoutTask;
    private Thread thread;
    private Process process;
    private String stoppedBecause;
    private boolean over;
    /** A sensor's next poke, while it waits between pokes (no thread is held then). */
    private ScheduledFuture<?> nextPoke;
    private long nextPokeMillis;
    private int pokes;
    private String lastSeen;

    Attempt(Run run, Pipeline.Step step, int tryNumber, Path log, String relLog, Instant started) {
      this.run = run;
      this.step = step;
      this.tryNumber = tryNumber;
      this.log = log;
      this.relLog = relLog;
      this.started = started;
    }

    @Override
    public void run() {
      boolean stoppedEarly;
      synchronized (this) {
        if (over) return;
        nextPoke = null;
        thread = Thread.currentThread();
        stoppedEarly = stoppedBecause != null;
      }
      Outcome o;
      try {
        if (log != null) Files.createDirectories(log.getParent());
        o = stoppedEarly ? Outcome.failure(null, stoppedBecause) : execute();
      } catch (InterruptedException e) {
        o = Outcome.failure(null, "interrupted");
      } catch (Exception e) {
        o = Outcome.failure(null, String.valueOf(e.getMessage() != null ? e.getMessage() : e));
        try {
          appendLog(stackTrace(e));
        } catch (RuntimeException ignored) {
          // the log is best effort here
        }
      } catch (Throwable e) { // an Error in a step (StackOverflowError, a missing class) fails the try, not the run's bookkeeping
        o = Outcome.failure(null, String.valueOf(e));
        try {
          appendLog(stackTrace(e));
        } catch (RuntimeException ignored) {
          // the log is best effort here
        }
      }
      synchronized (this) {
        if (o == Outcome.PENDING) {
          thread = null;
          Thread.interrupted();
          if (stoppedBecause == null) {
            // wait for the next poke on the timer: no thread is held until then
            nextPoke = timer.schedule(() -> workers.execute(this), nextPokeMillis, TimeUnit.MILLISECONDS);
            return;
          }
        }
        over = true;
        if (stoppedBecause != null) o = Outcome.failure(o.exitCode(), stoppedBecause);
      }
      Thread.interrupted(); // a late interrupt must not leak into the pool thread's next task
      ScheduledFuture<?> t = timeoutTask;
      if (t != null) t.cancel(false);
      try {
        if (!o.ok()) appendLog("\n[weir] try " + tryNumber + " failed: " + o.error() + "\n");
      } catch (RuntimeException ignored) {
        // the log is best effort here
      }
      try {
        run.finished(this, o);
      } catch (Fenced f) {
        // the lease was lost: the run is abandoned, nothing more is written
      } catch (RuntimeException e) { // the store failed: end the run rather than leave its caller waiting
        run.abort(e);
      } finally {
        tryEnded(); // after the try's end is recorded: a graceful stop waits for that
      }
    }

    void timeOut() { stop("timed out after " + human(step.policy().timeout())); }

    /** Stops the try: kills a shell step's process tree, interrupts any other step's thread. */
    synchronized void stop(String why) {
      if (over || stoppedBecause != null) return;
      stoppedBecause = why;
      if (process != null) killTree(process);
      else if (thread != null) thread.interrupt();
      else if (nextPoke != null && nextPoke.cancel(false)) workers.execute(this); // a sensor between pokes ends now
    }

    private synchronized boolean attach(Process p) {
      process = p;
      if (stoppedBecause != null) {
        killTree(p);
        return false;
      }
      return true;
    }

    private Outcome execute() throws Exception {
      return switch (step.kind()) {
        case NOOP -> Outcome.success(null);
        case SHELL -> shell();
        case WEIR -> weirStep();
        case HTTP -> httpStep();
        case PIPELINE -> pipelineStep();
        case SENSOR -> sensorPoke();
      };
    }

    /** One look at the sensor's condition: success when it holds, failure when the sensor's timeout has passed, else PENDING. */
    private Outcome sensorPoke() throws Exception {
      Pipeline.Sensor s = step.sensor();
      Map<String, String> env = new LinkedHashMap<>(run.req.envVars());
      env.put("WEIR_RUN_ID", String.valueOf(run.id));
      env.put("WEIR_TRY_NUMBER", String.valueOf(tryNumber));
      pokes++;
      Sensors.Poke p = sensors.poke(s, run.req, env, log);
      if (p.met()) {
        appendLog("[weir] poke " + pokes + ": " + p.seen() + ": condition met\n");
        return Outcome.success(null);
      }
      if (!p.seen().equals(lastSeen)) appendLog("[weir] poke " + pokes + ": " + p.seen() + "\n"); // only changes: a day of pokes stays short
      Instant deadline = started.plus(s.timeout());
      Instant now = Instant.now();
      if (!now.isBefore(deadline)) {
        return Outcome.failure(null, "sensor timed out after " + human(s.timeout()) + " (" + pokes + " pokes; last: " + p.seen() + ")");
      }
      if (lastSeen == null) {
        run.listener.stepWaiting(run.id, step.name(), "sensor waiting: " + p.seen() + " (poke every " + human(s.pokeInterval())
            + ", timeout " + human(s.timeout()) + ")");
      }
      lastSeen = p.seen();
      nextPokeMillis = Math.max(1, Math.min(s.pokeInterval().toMillis(), Duration.between(now, deadline).toMillis()));
      return Outcome.PENDING;
    }

    private Outcome shell() throws Exception {
      ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", step.command()).directory(projectDir.toFile())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      pb.environment().putAll(run.req.envVars());
      pb.environment().put("WEIR_RUN_ID", String.valueOf(run.id));
      pb.environment().put("WEIR_TRY_NUMBER", String.valueOf(tryNumber));
      Process proc = pb.start();
      if (!attach(proc)) {
        proc.waitFor();
        return Outcome.failure(null, "stopped");
      }
      int code = proc.waitFor();
      return code == 0 ? Outcome.success(0) : Outcome.failure(code, "exit code " + code);
    }

    private Outcome weirStep() throws Exception {
      if (weir == null) return Outcome.failure(null, "Weir steps cannot run here (no Weir command runner)");
      List<String> args = weirArgs(step.command(), run.req.vars(), projectDir);
      Map<String, String> env = new LinkedHashMap<>(run.req.envVars());
      env.put("WEIR_RUN_ID", String.valueOf(run.id));
      env.put("WEIR_TRY_NUMBER", String.valueOf(tryNumber));
      appendLog("[weir] weir " + String.join(" ", args) + "\n");
      int code = weir.invoke(args, env, log);
      if (Thread.currentThread().isInterrupted()) throw new InterruptedException();
      return code == 0 ? Outcome.success(0) : Outcome.failure(code, "weir " + args.get(0) + " exited with " + code);
    }

    private Outcome httpStep() throws Exception {
      Pipeline.Http h = step.http();
      HttpRequest.BodyPublisher body = h.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(h.body());
      HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(h.url())).method(h.method(), body);
      if (step.policy().timeout() != null) rb.timeout(step.policy().timeout());
      appendLog("[weir] " + h.method() + " " + h.url() + "\n");
      HttpResponse<String> resp = httpClient().send(rb.build(), HttpResponse.BodyHandlers.ofString());
      String text = resp.body();
      appendLog("[weir] status " + resp.statusCode() + "\n" + (text.length() > 65536 ? text.substring(0, 65536) + "\n[weir] (cut)" : text) + "\n");
      int status = resp.statusCode();
      boolean ok = h.expectStatus() != null ? status == h.expectStatus() : status >= 200 && status < 300;
      return ok ? Outcome.success(status)
          : Outcome.failure(status, "HTTP status " + status + ", expected " + (h.expectStatus() != null ? h.expectStatus() : "2xx"));
    }

    private Outcome pipelineStep() throws Exception {
      Pipeline child = pipelines.get(step.command());
      if (child == null) return Outcome.failure(null, "no pipeline named '" + step.command() + "'");
      Result r = PipelineExecutor.this.run(child, run.req.child(child, run.id), new RunListener() {
        @Override
        public void runStarted(long childId, String pipeline, RunRequest request) {
          appendLog("[weir] started run " + childId + " of pipeline " + pipeline + "\n");
        }

        @Override
        public void stepFinished(long childId, StepRun result, Duration retryIn) {
          appendLog("[weir] run " + childId + ": " + result.step() + " try " + result.tryNumber() + " " + result.state().dbName()
              + (result.error() == null ? "" : " (" + result.error() + ")") + "\n");
        }
      });
      return r.state() == State.SUCCESS ? Outcome.success(null)
          : Outcome.failure(null, "pipeline " + child.name() + " failed (run " + r.runId() + ")");
    }

    void appendLog(String text) {
      if (log == null) return;
      try {
        Files.createDirectories(log.getParent());
        Files.writeString(log, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private HttpClient httpClient() {
    HttpClient c = http;
    if (c == null) {
      synchronized (this) {
        if (http == null) http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        c = http;
      }
    }
    return c;
  }

  /**
   * Terminates a process and everything it started (SIGTERM), and kills whatever is still alive after
   * {@link #KILL_GRACE}. The tree is listed before the parent dies, while the children still hang under it.
   */
  void killTree(Process p) {
    List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
    tree.add(0, p.toHandle());
    for (ProcessHandle h : tree) h.destroy();
    timer.schedule(() -> {
      for (ProcessHandle h : tree) if (h.isAlive()) h.destroyForcibly();
    }, KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The arguments of a {@code weir:} step: its command line split like a shell would (quotes kept together),
   * {@code --project-dir}, and {@code --vars} with the interval, logical date, ds and params (merged under any
   * {@code --vars} the step gives, whose values win).
   */
  static List<String> weirArgs(String command, Map<String, Object> vars, Path projectDir) {
    List<String> args = split(command);
    if (!args.isEmpty() && args.get(0).equals("weir")) args.remove(0);
    Map<String, Object> all = new LinkedHashMap<>(vars);
    int at = args.indexOf("--vars");
    if (at >= 0 && at + 1 < args.size()) {
      Object given = Yaml.parse(args.get(at + 1), "--vars of a weir step");
      if (given instanceof Map<?, ?> m) for (Map.Entry<?, ?> e : m.entrySet()) all.put(String.valueOf(e.getKey()), e.getValue());
      args.remove(at + 1);
      args.remove(at);
    }
    try {
      args.add("--vars");
      args.add(JSON.writeValueAsString(all));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!args.contains("--project-dir")) {
      args.add("--project-dir");
      args.add(projectDir.toString());
    }
    return args;
  }

  /** Splits a command line on spaces, keeping '...' and "..." together (no other shell syntax). */
  static List<String> split(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean any = false;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == quote) quote = 0;
        else if (c == '\\' && quote == '"' && i + 1 < line.length()) cur.append(line.charAt(++i));
        else cur.append(c);
      } else if (c == '\'' || c == '"') {
        quote = c;
        any = true;
      } else if (Character.isWhitespace(c)) {
        if (any || cur.length() > 0) out.add(cur.toString());
        cur.setLength(0);
        any = false;
      } else {
        cur.append(c);
      }
    }
    if (any || cur.length() > 0) out.add(cur.toString());
    return out;
  }

  static String human(Duration d) {
    long ms = d.toMillis();
    if (ms % 1000 != 0) return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    long s = ms / 1000;
    if (s < 60 || s % 60 != 0) return s + "s";
    if (s % 3600 != 0) return (s / 60) + "m";
    return (s / 3600) + "h";
  }

  private static String stackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
