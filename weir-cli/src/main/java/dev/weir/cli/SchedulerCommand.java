package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.orchestrate.PipelineLoader;
import dev.weir.orchestrate.alert.Alerter;
import dev.weir.orchestrate.exec.RunRequest;
import dev.weir.orchestrate.sched.Scheduler;
import dev.weir.orchestrate.store.MetadataStore;
import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir scheduler}: runs the scheduled pipelines of pipelines/*.yml in the foreground until Ctrl-C or SIGTERM,
 * printing a line per run and step.
 */
@Command(name = "scheduler", mixinStandardHelpOptions = true,
    description = {"Runs scheduled pipelines in the foreground: a run for every due interval (all missed ones with catchup: true), "
        + "up to max_active_runs per pipeline, resuming runs left unfinished by a crash. Stops gracefully on Ctrl-C or SIGTERM: "
        + "no new steps start, running steps may finish until --drain-timeout, then they are stopped and marked for retry.",
        "Several schedulers may share one store: each run is held under a lease with a fencing token, so an interval never runs twice."})
final class SchedulerCommand extends OrchestrateCommand {
  @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "60s",
      description = "How long running steps may go on after a stop was asked for (default ${DEFAULT-VALUE}).")
  String drainTimeout;

  @Option(names = "--lease-ttl", paramLabel = "DURATION", defaultValue = "30s",
      description = "How long a run's lease lasts without renewal; another scheduler takes an unfinished run over after it (default ${DEFAULT-VALUE}).")
  String leaseTtl;

  @Option(names = "--reload-interval", paramLabel = "DURATION", defaultValue = "2s",
      description = "How often pipelines/*.yml are checked for changes (default ${DEFAULT-VALUE}).")
  String reloadInterval;

  @Option(names = "--log-retention", paramLabel = "DURATION", defaultValue = "30d",
      description = "Step logs of runs that ended longer ago are removed (checked hourly; 0 keeps them forever; default ${DEFAULT-VALUE}).")
  String logRetention;

  @Override
  int execute() throws Exception {
    Scheduler.Options opt = Scheduler.Options.defaults().withDrainTimeout(duration("--drain-timeout", drainTimeout))
        .withLeaseTtl(duration("--lease-ttl", leaseTtl)).withReloadInterval(duration("--reload-interval", reloadInterval))
        .withLogRetention(duration("--log-retention", logRetention));
    if (opt.leaseTtl().toMillis() < 300) throw WeirException.usage("--lease-ttl must be at least 300ms");
    Printer printer = new Printer(out);
    CountDownLatch finished = new CountDownLatch(1);
    Map<String, String> env = Common.env();
    Scheduler[] made = new Scheduler[1];
    try (MetadataStore store = store();
         Alerter alerter = new Alerter(store, project(), () -> made[0].pipelines(), env::get, printer::alert);
         Scheduler s = new Scheduler(project(), store, Clock.systemUTC(), opt, weirInvoker(env), alerter.around(printer))) {
      made[0] = s;
      alerter.checkAll(s.pipelines().values()); // a missing env_var of an alert target stops the start
      s.setAlerter(alerter); // late intervals
      AutoCloseable routing = ThreadOutput.install();
      Thread hook = new Thread(() -> {
        printer.info("stop requested (signal)");
        s.stop();
        try {
          finished.await(opt.drainTimeout().toMillis() + 15_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "weir-scheduler-stop");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        s.run();
      } finally {
        closeQuietly(routing);
        finished.countDown();
      }
    }
    return 0;
  }

  static Duration duration(String option, String text) {
    try {
      return PipelineLoader.parseDuration(text);
    } catch (IllegalArgumentException e) {
      throw WeirException.usage(option + " takes a duration such as 30s, 5m or 500ms, not '" + text + "'");
    }
  }

  /** Prints scheduler, run and step events as one line each: time, kind, {@code pipeline#run}, details. */
  static final class Printer implements Scheduler.Listener {
    private final PrintStream out;
    private final Map<Long, String> names = new ConcurrentHashMap<>();

    Printer(PrintStream out) { this.out = out; }

    private synchronized void line(String kind, String text) {
      out.println(LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + "  " + pad(kind, 13) + " " + text);
      out.flush();
    }

    private String run(long id) { return names.getOrDefault(id, "run") + "#" + id; }

    @Override
    public void info(String message) { line("SCHEDULER", message); }

    /** A line about an alert's delivery. */
    void alert(String message) { line("ALERT", message); }

    @Override
    public void runStarted(long runId, String pipeline, RunRequest r) {
      names.put(runId, pipeline);
      line("RUN", run(runId) + " started (" + r.trigger() + "): interval " + r.interval() + ", ds " + r.ds());
    }

    @Override
    public void stepStarted(long runId, String step, int tryNumber, int maxTries, String logPath) {
      line("START", run(runId) + " " + step + (maxTries > 1 ? " (try " + tryNumber + " of " + maxTries + ")" : ""));
    }

    @Override
    public void stepWaiting(long runId, String step, String why) { line("WAIT", run(runId) + " " + step + ": " + why); }

    @Override
    public void stepFinished(long runId, StepRun s, Duration retryIn) {
      String took = s.seconds() == null ? "" : " in " + seconds(s.seconds());
      switch (s.state()) {
        case SUCCESS -> line("OK", run(runId) + " " + s.step() + took);
        case UP_FOR_RETRY -> line("UP_FOR_RETRY", run(runId) + " " + s.step() + ": " + s.error() + took
            + (retryIn == null || retryIn.isZero() ? "" : "; next try in " + seconds(retryIn)));
        case FAILED -> line("FAILED", run(runId) + " " + s.step() + ": " + s.error() + took + (s.logPath() == null ? "" : " (log: " + s.logPath() + ")"));
        default -> line(s.state().name(), run(runId) + " " + s.step() + (s.error() == null ? "" : ": " + s.error()));
      }
    }

    @Override
    public void runFinished(long runId, String pipeline, State state) {
      line(state == State.SUCCESS ? "RUN OK" : "RUN FAILED", pipeline + "#" + runId + " " + state.dbName() + " (details: weir runs show " + runId + ")");
    }

    @Override
    public void runLost(long runId, String pipeline, String why) {
      line("RUN LOST", pipeline + "#" + runId + ": stopped working on it: " + why);
    }
  }
}
