package dev.weir.orchestrate.alert;

import dev.weir.core.WeirException;
import dev.weir.core.util.Secrets;
import dev.weir.orchestrate.Pipeline;
import dev.weir.orchestrate.Schedule;
import dev.weir.orchestrate.exec.PipelineExecutor;
import dev.weir.orchestrate.exec.RunListener;
import dev.weir.orchestrate.exec.RunRequest;
import dev.weir.orchestrate.sched.Scheduler;
import dev.weir.orchestrate.store.MetadataStore;
import dev.weir.orchestrate.store.PipelineRun;
import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Sends the alerts a pipeline declares ({@link AlertSpec}) as its runs go: attach it as (or beside) the
 * {@link RunListener} of runs, and let the scheduler call {@link #checkLate} for lateness.
 *
 * <p>Events: {@code retry} when a try failed and another follows; {@code failure} when a step's last try failed (or a run
 * failed without a failed step, e.g. cancelled); {@code success} when a run succeeded; {@code recovery} instead of
 * {@code success} when the previous finished run of the pipeline (by run id) had failed; {@code late} when a scheduled
 * interval's run has not succeeded by the interval's end plus {@code late_after} (sent once per interval: the store
 * remembers it, so several schedulers send it once).
 *
 * <p>Sending never blocks the executor's threads: alerts are delivered by a background thread per target (so one
 * target gets them in the order they happened, and a slow target does not hold up the others), with a timeout per
 * attempt and up to {@code tries} attempts; a delivery that still fails is reported through the log callback (masked,
 * with the target shown as scheme and host only) and never fails a run. {@link #close()} waits for pending deliveries.
 */
public final class Alerter implements RunListener, AutoCloseable {
  private final MetadataStore store;
  private final Path projectDir;
  private final Supplier<Map<String, Pipeline>> pipelines;
  private final Function<String, String> env;
  private final Consumer<String> log;
  private final Duration timeout;
  private final int tries;
  private final Duration retryDelay;
  private final Map<AlertSpec.Target, ExecutorService> queues = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private final Map<AlertSpec.Target, Sender> senders = new ConcurrentHashMap<>();
  private final Map<Long, RunInfo> runs = new ConcurrentHashMap<>();
  private final Map<String, Instant> nextLateCheck = new ConcurrentHashMap<>();
  private final Map<String, Instant> lateCheckedUpTo = new ConcurrentHashMap<>();
  private final Object pendingLock = new Object();
  private int pending;
  private volatile HttpClient http;

  /** What the alerter keeps of a run in progress. */
  private static final class RunInfo {
    final String pipeline;
    final RunRequest request;
    volatile boolean failureSent;

    RunInfo(String pipeline, RunRequest request) {
      this.pipeline = pipeline;
      this.request = request;
    }
  }

  /**
   * @param projectDir where step logs are (their paths are relative to it)
   * @param pipelines the current pipelines (the scheduler reloads them)
   * @param env where env_var references of targets are read ({@code System::getenv} outside tests)
   * @param log where deliveries and their failures are reported (one line each, without secrets)
   */
  public Alerter(MetadataStore store, Path projectDir, Supplier<Map<String, Pipeline>> pipelines, Function<String, String> env,
      Consumer<String> log) {
    this(store, projectDir, pipelines, env, log, Duration.ofSeconds(10), 3, Duration.ofSeconds(2));
  }

  /**
   * @param timeout the longest one delivery attempt may take
   * @param tries attempts per alert and target
   * @param retryDelay the wait before the second attempt (doubled for each further one)
   */
  public Alerter(MetadataStore store, Path projectDir, Supplier<Map<String, Pipeline>> pipelines, Function<String, String> env,
      Consumer<String> log, Duration timeout, int tries, Duration retryDelay) {
    this.store = store;
    this.projectDir = projectDir.toAbsolutePath().normalize();
    this.pipelines = pipelines;
    this.env = env;
    this.log = log;
    this.timeout = timeout;
    this.tries = Math.max(1, tries);
    this.retryDelay = retryDelay;
  }

  /**
   * Reads the env_var references of every target of {@code p} now, so that a missing variable is an error (naming the
   * file and line) before anything runs rather than a lost alert later.
   */
  public void check(Pipeline p) {
    for (AlertSpec.Target t : p.alerts().targets()) sender(t);
    for (List<AlertSpec.Target> ts : p.alerts().stepTargets().values()) for (AlertSpec.Target t : ts) sender(t);
  }

  /** {@link #check} for each pipeline. */
  public void checkAll(Collection<Pipeline> all) {
    for (Pipeline p : all) check(p);
  }

  /** A listener that tells {@code inner} each event first, then this alerter (for commands that print runs). */
  public RunListener around(RunListener inner) {
    Alerter self = this;
    return new RunListener() {
      @Override public void runStarted(long id, String pipeline, RunRequest r) {
        inner.runStarted(id, pipeline, r);
        self.runStarted(id, pipeline, r);
      }

      @Override public void stepStarted(long id, String step, int t, int max, String log) { inner.stepStarted(id, step, t, max, log); }

      @Override public void stepFinished(long id, StepRun r, Duration retryIn) {
        inner.stepFinished(id, r, retryIn);
        self.stepFinished(id, r, retryIn);
      }

      @Override public void runFinished(long id, String pipeline, State state) {
        inner.runFinished(id, pipeline, state);
        self.runFinished(id, pipeline, state);
      }

      @Override public void stepWaiting(long id, String step, String why) { inner.stepWaiting(id, step, why); }

      @Override public void runLost(long id, String pipeline, String why) {
        inner.runLost(id, pipeline, why);
        self.runLost(id, pipeline, why);
      }
    };
  }

  /** {@link #around(RunListener)} for the scheduler, whose listener also hears its own news. */
  public Scheduler.Listener around(Scheduler.Listener inner) {
    RunListener both = around((RunListener) inner);
    return new Scheduler.Listener() {
      @Override public void info(String message) { inner.info(message); }

      @Override public void runStarted(long id, String pipeline, RunRequest r) { both.runStarted(id, pipeline, r); }

      @Override public void stepStarted(long id, String step, int t, int max, String log) { both.stepStarted(id, step, t, max, log); }

      @Override public void stepFinished(long id, StepRun r, Duration retryIn) { both.stepFinished(id, r, retryIn); }

      @Override public void runFinished(long id, String pipeline, State state) { both.runFinished(id, pipeline, state); }

      @Override public void stepWaiting(long id, String step, String why) { both.stepWaiting(id, step, why); }

      @Override public void runLost(long id, String pipeline, String why) { both.runLost(id, pipeline, why); }
    };
  }

  // ------------------------------------------------------------------ run events

  @Override
  public void runStarted(long runId, String pipeline, RunRequest request) {
    runs.put(runId, new RunInfo(pipeline, request));
  }

  @Override
  public void stepFinished(long runId, StepRun r, Duration retryIn) {
    AlertSpec.Event event;
    if (r.state() == State.UP_FOR_RETRY && retryIn != null) {
      // a try stopped by a graceful stop is not a failure of the step
      if (r.error() != null && r.error().startsWith("stopped by a graceful stop")) return;
      event = AlertSpec.Event.RETRY;
    } else if (r.state() == State.FAILED) {
      event = AlertSpec.Event.FAILURE;
    } else {
      return;
    }
    RunInfo info = info(runId);
    if (info == null) return;
    if (event == AlertSpec.Event.FAILURE) info.failureSent = true;
    Pipeline p = pipelines.get().get(info.pipeline);
    if (p == null || !p.alerts().wants(r.step(), event)) return;
    Path logFile = r.logPath() == null ? null : projectDir.resolve(r.logPath());
    int max = r.maxTries() != null ? r.maxTries() : p.step(r.step()) != null ? p.step(r.step()).policy().retries() + 1 : r.tryNumber();
    Alert a = new Alert(event, info.pipeline, runId, r.step(), r.tryNumber(), max, info.request.interval().start(),
        info.request.interval().end(), info.request.logicalDate(), r.state().dbName(), r.error(), r.logPath(), Alert.tail(logFile),
        event == AlertSpec.Event.RETRY ? retryIn : null, null, r.endedAt() != null ? r.endedAt() : Instant.now());
    send(p, a);
  }

  @Override
  public void runFinished(long runId, String pipeline, State state) {
    RunInfo info = info(runId);
    runs.remove(runId);
    Pipeline p = pipelines.get().get(pipeline);
    if (info == null || p == null || p.alerts().targets().isEmpty()) return;
    RunRequest rq = info.request;
    if (state == State.FAILED) {
      if (info.failureSent || !p.alerts().wants(AlertSpec.Event.FAILURE)) return;
      send(p, new Alert(AlertSpec.Event.FAILURE, pipeline, runId, null, 0, 0, rq.interval().start(), rq.interval().end(), rq.logicalDate(),
          State.FAILED.dbName(), "the run failed without a failed step (cancelled or aborted)", null, null, null, null, Instant.now()));
      return;
    }
    if (state != State.SUCCESS) return;
    boolean wantsRecovery = p.alerts().wants(AlertSpec.Event.RECOVERY);
    if (!wantsRecovery && !p.alerts().wants(AlertSpec.Event.SUCCESS)) return;
    PipelineRun previous = wantsRecovery ? previousFinished(pipeline, runId) : null;
    boolean recovered = previous != null && previous.state() == State.FAILED;
    Alert success = alert(AlertSpec.Event.SUCCESS, pipeline, runId, rq, null);
    Alert recovery = recovered ? alert(AlertSpec.Event.RECOVERY, pipeline, runId, rq,
        "The previous run, " + previous.id() + intervalOf(previous) + ", had failed.") : null;
    for (AlertSpec.Target t : p.alerts().targets()) {
      // a target hearing both gets one message: the recovery
      if (recovery != null && t.on().contains(AlertSpec.Event.RECOVERY)) deliver(t, recovery);
      else if (t.on().contains(AlertSpec.Event.SUCCESS)) deliver(t, success);
    }
  }

  @Override
  public void runLost(long runId, String pipeline, String why) { runs.remove(runId); }

  private Alert alert(AlertSpec.Event e, String pipeline, long runId, RunRequest rq, String detail) {
    return new Alert(e, pipeline, runId, null, 0, 0, rq.interval().start(), rq.interval().end(), rq.logicalDate(), State.SUCCESS.dbName(),
        null, null, null, null, detail, Instant.now());
  }

  private RunInfo info(long runId) {
    RunInfo info = runs.get(runId);
    if (info != null) return info;
    Optional<PipelineRun> r;
    try {
      r = store.run(runId);
    } catch (RuntimeException e) {
      return null;
    }
    if (r.isEmpty()) return null;
    PipelineRun pr = r.get();
    Instant s = pr.intervalStart() != null ? pr.intervalStart() : pr.logicalDate();
    Instant e = pr.intervalEnd() != null ? pr.intervalEnd() : pr.logicalDate();
    RunRequest req = new RunRequest(pr.logicalDate(), new Schedule.Interval(s, e), pr.params(), pr.trigger(), pr.runKey(), pr.parentRunId(),
        java.time.ZoneId.of("UTC"));
    return runs.computeIfAbsent(runId, id -> new RunInfo(pr.pipeline(), req));
  }

  /** The latest run of the pipeline before {@code runId} that has finished (succeeded or failed), or null. */
  private PipelineRun previousFinished(String pipeline, long runId) {
    try {
      for (PipelineRun r : store.runs(pipeline, 100)) {
        if (r.id() < runId && (r.state() == State.SUCCESS || r.state() == State.FAILED)) return r;
      }
    } catch (RuntimeException e) {
      log.accept(Secrets.mask("alerts: cannot read the previous run of " + pipeline + ": " + e.getMessage()));
    }
    return null;
  }

  private static String intervalOf(PipelineRun r) {
    return r.intervalStart() == null || r.intervalStart().equals(r.intervalEnd()) ? "" : " (interval [" + r.intervalStart() + ", " + r.intervalEnd() + "))";
  }

  // ------------------------------------------------------------------ lateness

  /**
   * Sends {@code late} alerts of scheduled pipelines: for each interval whose deadline (interval end plus
   * {@code late_after}) passed since the previous call — at the first call, only the latest such interval, so that a
   * scheduler starting after a long pause does not report the whole history — whose run has not succeeded, once per
   * interval. Cheap to call often: a pipeline is looked at again only when its next deadline has come.
   *
   * @param now the scheduler's clock
   * @return the next deadline of any pipeline (when to call again), or {@link Instant#MAX}
   */
  public Instant checkLate(Collection<Pipeline> all, Instant now) {
    Instant next = Instant.MAX;
    for (Pipeline p : all) {
      AlertSpec a = p.alerts();
      Schedule s = p.schedule();
      if (s == null || a.lateAfter() == null || !a.wants(AlertSpec.Event.LATE)) continue;
      String key = p.name() + " " + s + " " + s.startDate() + " " + s.endDate() + " " + a.lateAfter();
      Instant due = nextLateCheck.get(key);
      if (due != null && now.isBefore(due)) {
        next = due.isBefore(next) ? due : next;
        continue;
      }
      try {
        Instant ref = now.minus(a.lateAfter());
        Instant last = lastEnd(s);
        Instant upTo = last != null && last.isBefore(ref) ? last : ref;
        List<Schedule.Interval> ivs = endingIn(s, lateCheckedUpTo.get(key), upTo, 100);
        for (int i = ivs.size() - 1; i >= 0; i--) lateCheck(p, ivs.get(i), now);
        lateCheckedUpTo.put(key, upTo);
        Instant following = s.next(ref);
        due = following == null || last != null && following.isAfter(last) ? Instant.MAX : following.plus(a.lateAfter());
      } catch (RuntimeException e) {
        log.accept(Secrets.mask("alerts: cannot check whether " + p.name() + " is late: " + e.getMessage()));
        due = now.plusSeconds(30);
      }
      nextLateCheck.put(key, due);
      next = due.isBefore(next) ? due : next;
    }
    return next;
  }

  /** The end of the last interval end_date allows, or null without end_date. */
  private static Instant lastEnd(Schedule s) {
    if (s.endDate() == null) return null;
    Instant lastStart = s.atOrBefore(s.endDate());
    return lastStart == null ? null : s.next(lastStart);
  }

  /**
   * The intervals (within start_date and end_date) ending after {@code after} and at or before {@code upTo}, newest
   * first, at most {@code max}; with {@code after} null only the latest one.
   */
  private static List<Schedule.Interval> endingIn(Schedule s, Instant after, Instant upTo, int max) {
    List<Schedule.Interval> out = new ArrayList<>();
    Instant end = s.atOrBefore(upTo);
    while (end != null && out.size() < max && (after == null ? out.isEmpty() : end.isAfter(after))) {
      Instant start = s.previous(end);
      if (start == null || s.startDate() != null && start.isBefore(s.startDate())) break;
      if (s.endDate() == null || !start.isAfter(s.endDate())) out.add(new Schedule.Interval(start, end));
      end = start;
    }
    return out;
  }

  private void lateCheck(Pipeline p, Schedule.Interval iv, Instant now) {
    Optional<PipelineRun> run = store.runByKey(PipelineExecutor.runKey(p.name(), iv.start()));
    if (run.isPresent() && run.get().state() == State.SUCCESS) return;
    if (run.isEmpty() && !willRun(p.schedule(), iv, now)) return; // e.g. skipped without catchup: it is not late, it will never run
    if (!store.markAlertSent(p.name(), AlertSpec.Event.LATE.key(), iv.start(), now)) return; // sent before (here or by another scheduler)
    Instant deadline = iv.end().plus(p.alerts().lateAfter());
    String state = run.map(r -> r.state().dbName()).orElse("no run");
    String detail = "The interval should have succeeded by " + deadline + " (its end plus late_after " + Alert.human(p.alerts().lateAfter())
        + "); " + run.map(r -> "its run " + r.id() + " is " + r.state().dbName()).orElse("it has no run yet") + ".";
    send(p, new Alert(AlertSpec.Event.LATE, p.name(), run.map(PipelineRun::id).orElse(null), null, 0, 0, iv.start(), iv.end(), iv.start(),
        state, null, null, null, null, detail, now));
  }

  /** Whether the scheduler still means to run an interval that has no run: with catchup from start_date, or while it is the latest. */
  private static boolean willRun(Schedule s, Schedule.Interval iv, Instant now) {
    if (s.catchup() && s.startDate() != null && !iv.start().isBefore(s.startDate())) return true;
    Schedule.Interval latest = s.latestComplete(now);
    return latest != null && latest.start().equals(iv.start());
  }

  // ------------------------------------------------------------------ delivery

  private void send(Pipeline p, Alert a) {
    for (AlertSpec.Target t : p.alerts().targetsFor(a.step())) if (t.on().contains(a.event())) deliver(t, a);
  }

  private void deliver(AlertSpec.Target t, Alert a) {
    synchronized (pendingLock) {
      pending++;
    }
    try {
      // the sender (env_var reads, the HTTP client or mail session) is made on the delivery thread too
      queue(t).execute(() -> {
        Sender s;
        try {
          s = sender(t);
        } catch (RuntimeException e) {
          log.accept(Secrets.mask("alert " + a.event().key() + " of " + a.pipeline() + " not sent (" + t.where() + "): "
              + (e instanceof WeirException we ? we.getMessage() : String.valueOf(e))));
          done();
          return;
        }
        attempts(s, t, a);
      });
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      done();
    }
  }

  /** The delivery thread of a target: alerts to one target go out one at a time, in the order they happened. */
  private ExecutorService queue(AlertSpec.Target t) {
    return queues.computeIfAbsent(t, k -> {
      // one thread that ends after a minute without work (targets replaced by a reload leave no thread behind)
      ThreadPoolExecutor q = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
        Thread th = new Thread(r, "weir-alert");
        th.setDaemon(true);
        return th;
      });
      q.allowCoreThreadTimeOut(true);
      return q;
    });
  }

  private void attempts(Sender s, AlertSpec.Target t, Alert a) {
    try {
      for (int n = 1; ; n++) {
        try {
          s.send(a);
          log.accept("alert " + a.event().key() + " of " + a.pipeline() + (a.step() == null ? "" : " step " + a.step()) + " sent to " + s.describe());
          return;
        } catch (Exception e) {
          String why = Secrets.mask(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
          if (n >= tries || closed) {
            log.accept("alert " + a.event().key() + " of " + a.pipeline() + " could not be sent to " + s.describe() + " (" + t.where() + ") after "
                + n + " attempt(s): " + why);
            return;
          }
          Thread.sleep(retryDelay.toMillis() << (n - 1));
        }
      }
    } catch (InterruptedException e) {
      log.accept("alert " + a.event().key() + " of " + a.pipeline() + " to " + s.describe() + " abandoned: the alerter was closed");
    } finally {
      done();
    }
  }

  private void done() {
    synchronized (pendingLock) {
      pending--;
      pendingLock.notifyAll();
    }
  }

  /** The sender of a target, its env_var references read (once) and their values registered as secrets. */
  private Sender sender(AlertSpec.Target t) {
    Sender s = senders.get(t);
    if (s != null) return s;
    s = switch (t.kind()) {
      case WEBHOOK, SLACK -> new WebhookSender(httpClient(), AlertParser.resolve(t.url(), env, true, t.file(), t.line()), t.kind() == AlertSpec.Kind.SLACK,
          timeout);
      case EMAIL -> new EmailSender(resolved(t), timeout);
    };
    senders.put(t, s);
    return s;
  }

  private AlertSpec.Email resolved(AlertSpec.Target t) {
    AlertSpec.Email e = t.email();
    List<String> to = e.to().stream().map(x -> AlertParser.resolve(x, env, false, t.file(), t.line())).toList();
    return new AlertSpec.Email(to, AlertParser.resolve(e.from(), env, false, t.file(), t.line()),
        AlertParser.resolve(e.host(), env, false, t.file(), t.line()), e.port(), AlertParser.resolve(e.username(), env, false, t.file(), t.line()),
        AlertParser.resolve(e.password(), env, true, t.file(), t.line()), e.starttls(), e.ssl());
  }

  private HttpClient httpClient() {
    HttpClient c = http;
    if (c == null) {
      synchronized (this) {
        if (http == null) http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
        c = http;
      }
    }
    return c;
  }

  /** Waits until every alert handed over so far was delivered or given up, at most {@code wait}; false on timeout. */
  public boolean flush(Duration wait) {
    long end = System.nanoTime() + wait.toNanos();
    synchronized (pendingLock) {
      while (pending > 0) {
        long left = end - System.nanoTime();
        if (left <= 0) return false;
        try {
          pendingLock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return true;
  }

  /** Waits for pending deliveries (up to one full series of attempts), then stops the delivery threads. */
  @Override
  public void close() {
    Duration series = timeout.multipliedBy(tries).plus(retryDelay.multipliedBy((1L << Math.min(tries, 10)) - 1));
    if (!flush(series.plusSeconds(1))) log.accept("alerts: gave up waiting for pending deliveries");
    closed = true;
    for (ExecutorService q : queues.values()) q.shutdownNow();
  }
}
