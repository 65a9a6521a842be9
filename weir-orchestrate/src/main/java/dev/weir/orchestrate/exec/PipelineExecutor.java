package dev.weir.orchestrate.exec;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.core.util.Yaml;
import dev.weir.orchestrate.Pipeline;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
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

  private final MetadataStore store;
  private final Path projectDir;
  private final Map<String, Pipeline> pipelines;
  private final WeirInvoker weir;
  private final ExecutorService workers = Executors.newCachedThreadPool(daemon("weir-step"));
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(daemon("weir-timer"));
  private final Random random = new Random();
  private volatile HttpClient http;
  private final Set<Run> active = java.util.concurrent.ConcurrentHashMap.newKeySet();

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
  }

  /** The outcome of a run. */
  public record Result(long runId, State state) {}

  /** Records and runs one run of {@code p}, returning when every step has finished. */
  public Result run(Pipeline p, RunRequest req, RunListener listener) throws InterruptedException {
    List<String> names = p.steps().stream().map(Pipeline.Step::name).toList();
    long id = store.createRun(p.name(), req.interval().start(), req.interval().end(), req.logicalDate(), req.params(),
        req.trigger(), req.runKey(), req.parentRunId(), names);
    Run run = new Run(p, req, id, listener);
    store.updateRun(id, State.RUNNING, Instant.now(), null);
    listener.runStarted(id, p.name(), req);
    active.add(run);
    try {
      run.begin();
      try {
        run.done.await();
      } catch (InterruptedException e) {
        run.cancel();
        run.done.await(KILL_GRACE.toMillis() * 2, TimeUnit.MILLISECONDS);
        throw e;
      }
    } finally {
      active.remove(run);
    }
    return new Result(id, run.finalState);
  }

  /**
   * Cancels every run in progress (e.g. on Ctrl-C): running tries are stopped (shell process trees terminated),
   * steps not started are marked skipped, and the runs are recorded as failed. Waits up to {@code wait} for that.
   */
  public void cancelAll(Duration wait) {
    List<Run> runs = new ArrayList<>(active);
    for (Run r : runs) r.cancel();
    long deadline = System.nanoTime() + wait.toNanos();
    for (Run r : runs) {
      try {
        r.done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public void close() {
    workers.shutdownNow();
    timer.shutdownNow();
  }

  // ------------------------------------------------------------------ one run

  private final class Run {
    final Pipeline p;
    final RunRequest req;
    final long id;
    final RunListener listener;
    final Map<String, List<String>> dependents;
    final Map<String, Integer> waitingOn = new HashMap<>();
    final Map<String, State> states = new LinkedHashMap<>();
    final Map<String, Integer> tries = new HashMap<>();
    final Map<String, Attempt> active = new HashMap<>();
    final ArrayDeque<String> ready = new ArrayDeque<>();
    final CountDownLatch done = new CountDownLatch(1);
    int running;
    boolean cancelled;
    volatile State finalState;

    Run(Pipeline p, RunRequest req, long id, RunListener listener) {
      this.p = p;
      this.req = req;
      this.id = id;
      this.listener = listener;
      this.dependents = p.dependents();
      for (Pipeline.Step s : p.steps()) {
        waitingOn.put(s.name(), s.dependsOn().size());
        states.put(s.name(), State.QUEUED);
        if (s.dependsOn().isEmpty()) ready.add(s.name());
      }
    }

    synchronized void begin() { startReady(); }

    /** Starts queued ready steps up to max_parallel. Called under the run's lock. */
    private void startReady() {
      while (!cancelled && running < p.maxParallel() && !ready.isEmpty()) start(p.step(ready.poll()));
    }

    private void start(Pipeline.Step step) {
      int tryNumber = tries.merge(step.name(), 1, Integer::sum);
      String rel = "target/runs/" + id + "/" + step.name() + "/" + tryNumber + ".log";
      Path log = projectDir.resolve(rel);
      Instant started = Instant.now();
      states.put(step.name(), State.RUNNING);
      running++;
      store.putStep(new StepRun(id, step.name(), tryNumber, State.RUNNING, started, null, null, null, rel));
      listener.stepStarted(id, step.name(), tryNumber, step.policy().retries() + 1, rel);
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
      Pipeline.Step step = a.step;
      Instant ended = Instant.now();
      if (o.ok()) {
        record(step, a, State.SUCCESS, ended, o, null);
        for (String d : dependents.get(step.name())) {
          if (waitingOn.merge(d, -1, Integer::sum) == 0 && states.get(d) == State.QUEUED) ready.add(d);
        }
      } else if (!cancelled && a.tryNumber <= step.policy().retries()) {
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
    }

    private synchronized void retryDue(String step) {
      if (states.get(step) != State.UP_FOR_RETRY) return;
      if (cancelled) {
        states.put(step, State.FAILED);
        finishIfDone();
        return;
      }
      states.put(step, State.QUEUED);
      ready.addFirst(step);
      startReady();
    }

    private void record(Pipeline.Step step, Attempt a, State state, Instant ended, Outcome o, Duration retryIn) {
      states.put(step.name(), state);
      StepRun r = new StepRun(id, step.name(), a.tryNumber, state, a.started, ended, o.exitCode(), o.error(), a.relLog);
      store.putStep(r);
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
        StepRun r = new StepRun(id, d, 1, State.UPSTREAM_FAILED, null, Instant.now(), null,
            "upstream step '" + failed + "' failed", null);
        store.putStep(r);
        listener.stepFinished(id, r, null);
        todo.addAll(dependents.get(d));
      }
    }

    /** Stops the run: running tries are stopped, steps not started are skipped. */
    synchronized void cancel() {
      cancelled = true;
      for (Attempt a : new ArrayList<>(active.values())) a.stop("the run was cancelled");
      for (Map.Entry<String, State> e : states.entrySet()) {
        if (e.getValue() == State.UP_FOR_RETRY) e.setValue(State.FAILED);
        if (e.getValue() == State.QUEUED) {
          e.setValue(State.SKIPPED);
          StepRun r = new StepRun(id, e.getKey(), 1, State.SKIPPED, null, Instant.now(), null, "the run was cancelled", null);
          store.putStep(r);
          listener.stepFinished(id, r, null);
        }
      }
      ready.clear();
      finishIfDone();
    }

    /** Ends the run as failed after an error in the bookkeeping itself (e.g. the store could not be written). */
    synchronized void abort(RuntimeException e) {
      cancelled = true;
      for (Attempt a : new ArrayList<>(active.values())) a.stop("the run was aborted: " + e.getMessage());
      finalState = State.FAILED;
      try {
        store.updateRun(id, State.FAILED, null, Instant.now());
      } catch (RuntimeException again) {
        // the store is what failed; the caller still learns the run failed
      }
      listener.runFinished(id, p.name(), State.FAILED);
      done.countDown();
    }

    private void finishIfDone() {
      if (done.getCount() == 0) return;
      for (State s : states.values()) if (!s.finished()) return;
      boolean ok = states.values().stream().allMatch(s -> s == State.SUCCESS);
      finalState = ok ? State.SUCCESS : State.FAILED;
      store.updateRun(id, finalState, null, Instant.now());
      listener.runFinished(id, p.name(), finalState);
      done.countDown();
    }
  }

  // ------------------------------------------------------------------ one try

  /** What a try came to. */
  record Outcome(boolean ok, Integer exitCode, String error) {
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
        thread = Thread.currentThread();
        stoppedEarly = stoppedBecause != null;
      }
      Outcome o;
      try {
        Files.createDirectories(log.getParent());
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
      } catch (RuntimeException e) { // the store failed: end the run rather than leave its caller waiting
        run.abort(e);
      }
    }

    void timeOut() { stop("timed out after " + human(step.policy().timeout())); }

    /** Stops the try: kills a shell step's process tree, interrupts any other step's thread. */
    synchronized void stop(String why) {
      if (over || stoppedBecause != null) return;
      stoppedBecause = why;
      if (process != null) killTree(process);
      else if (thread != null) thread.interrupt();
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
        case NOOP -> {
          appendLog("noop\n");
          yield Outcome.success(null);
        }
        case SHELL -> shell();
        case WEIR -> weirStep();
        case HTTP -> httpStep();
        case PIPELINE -> pipelineStep();
      };
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

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
