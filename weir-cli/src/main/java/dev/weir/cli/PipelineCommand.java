package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.core.util.Yaml;
import dev.weir.orchestrate.Pipeline;
import dev.weir.orchestrate.Schedule;
import dev.weir.orchestrate.alert.Alerter;
import dev.weir.orchestrate.exec.PipelineExecutor;
import dev.weir.orchestrate.exec.RunListener;
import dev.weir.orchestrate.exec.RunRequest;
import dev.weir.orchestrate.store.MetadataStore;
import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir pipeline list} and {@code weir pipeline trigger NAME}: the pipelines declared in pipelines/*.yml. */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
    description = "Pipelines declared in pipelines/*.yml: list them, or trigger a run by hand.",
    subcommands = {PipelineCommand.ListPipelines.class, PipelineCommand.Trigger.class})
final class PipelineCommand implements Runnable {
  @Override
  public void run() { new CommandLine(this).usage(System.out); }

  /** {@code weir pipeline list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the pipelines with their schedules and steps.")
  static final class ListPipelines extends OrchestrateCommand {
    @Override
    int execute() {
      Map<String, Pipeline> all = pipelines();
      if (all.isEmpty()) {
        out.println("No pipelines (add files under " + dev.weir.orchestrate.PipelineLoader.FOLDER + "/).");
        return 0;
      }
      List<List<String>> rows = new ArrayList<>();
      rows.add(List.of("PIPELINE", "SCHEDULE", "STEPS", "FILE", "DESCRIPTION"));
      for (Pipeline p : all.values()) {
        rows.add(List.of(p.name(), p.schedule() == null ? "(manual)" : p.schedule().toString(), String.valueOf(p.steps().size()),
            p.file(), p.description() == null ? "" : p.description()));
      }
      table(rows);
      return 0;
    }
  }

  /** {@code weir pipeline trigger NAME [--param k=v]... [--logical-date ISO]}: one run in the foreground. */
  @Command(name = "trigger", mixinStandardHelpOptions = true,
      description = "Runs a pipeline now, in the foreground, printing each step as it starts and ends. Exit code 0 when every step succeeded, 1 when the run failed.")
  static final class Trigger extends OrchestrateCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The pipeline to run.")
    String name;

    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "A parameter value (repeatable); the key must be declared under params:.")
    List<String> params = new ArrayList<>();

    @Option(names = "--logical-date", paramLabel = "ISO",
        description = "The run's logical date (2024-01-31 or 2024-01-31T06:00, in the pipeline's time zone); for a scheduled pipeline the run covers the interval holding it. Default: the latest complete interval (now for unscheduled pipelines).")
    String logicalDate;

    @Override
    int execute() throws Exception {
      Map<String, Pipeline> all = pipelines();
      Pipeline p = pipeline(all, name);
      Map<String, Object> values = new LinkedHashMap<>();
      for (String kv : params) {
        int eq = kv.indexOf('=');
        if (eq <= 0) throw WeirException.usage("--param takes KEY=VALUE, not '" + kv + "'");
        String v = kv.substring(eq + 1);
        Object parsed = v.isEmpty() ? "" : Yaml.parse(v, "--param " + kv.substring(0, eq));
        values.put(kv.substring(0, eq), parsed instanceof Map || parsed instanceof List || parsed == null ? v : parsed);
      }
      ZoneId zone = p.schedule() != null ? p.schedule().zone() : ZoneId.of("UTC");
      Instant ld = null;
      if (logicalDate != null) {
        try {
          ld = Schedule.parseDate(logicalDate, zone);
        } catch (IllegalArgumentException e) {
          throw WeirException.usage("--logical-date: " + e.getMessage());
        }
      }
      RunRequest req = RunRequest.manual(p, ld, values, Instant.now());
      Map<String, String> env = Common.env();
      Printer printer = new Printer(p);
      try (MetadataStore store = store();
           PipelineExecutor ex = new PipelineExecutor(store, project(), all, weirInvoker(env));
           Alerter alerter = new Alerter(store, project(), () -> all, env::get, m -> printer.line("ALERT", m))) {
        alerter.check(p); // a missing env_var of an alert target stops the trigger before anything runs
        ex.setPools(dev.weir.orchestrate.PipelineLoader.loadPools(project()));
        AutoCloseable routing = ThreadOutput.install();
        PipelineExecutor.Result r;
        // Ctrl-C or SIGTERM: stop the steps (kill shell process trees) and record the run as failed before exiting.
        Thread onExit = new Thread(() -> ex.cancelAll(Duration.ofSeconds(5)), "weir-pipeline-cancel");
        Runtime.getRuntime().addShutdownHook(onExit);
        try {
          r = ex.run(p, req, alerter.around(printer));
        } finally {
          closeQuietly(routing);
          try {
            Runtime.getRuntime().removeShutdownHook(onExit);
          } catch (IllegalStateException shuttingDown) {
            // the hook is already running
          }
        }
        return r.state() == State.SUCCESS ? 0 : 1;
      }
    }

    /** Prints the run as it goes. */
    private final class Printer implements RunListener {
      final Pipeline p;
      final Map<String, Integer> counts = new ConcurrentHashMap<>();
      final long t0 = System.nanoTime();

      Printer(Pipeline p) { this.p = p; }

      private synchronized void line(String kind, String text) {
        out.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + "  " + pad(kind, 15) + " " + text);
      }

      @Override
      public void runStarted(long runId, String pipeline, RunRequest r) {
        String when = p.schedule() == null ? "logical date " + r.logicalDate()
            : "interval " + r.interval() + ", logical date " + r.logicalDate() + " (ds " + r.ds() + ")";
        out.println("Run " + runId + " of pipeline " + pipeline + ": " + when + (r.params().isEmpty() ? "" : ", params " + r.params()));
      }

      @Override
      public void stepStarted(long runId, String step, int tryNumber, int maxTries, String logPath) {
        line("START", step + (maxTries > 1 ? " (try " + tryNumber + " of " + maxTries + ")" : ""));
      }

      @Override
      public void stepFinished(long runId, StepRun s, Duration retryIn) {
        String took = s.seconds() == null ? "" : " in " + seconds(s.seconds());
        switch (s.state()) {
          case SUCCESS -> line("OK", s.step() + took);
          case UP_FOR_RETRY -> line("UP_FOR_RETRY", s.step() + ": " + s.error() + took + "; try " + (s.tryNumber() + 1)
              + " in " + seconds(retryIn) + " (log: " + s.logPath() + ")");
          case FAILED -> line("FAILED", s.step() + ": " + s.error() + took + " (log: " + s.logPath() + ")");
          default -> line(s.state().name(), s.step() + (s.error() == null ? "" : ": " + s.error()));
        }
        if (s.state() != State.UP_FOR_RETRY) counts.merge(s.state().dbName(), 1, Integer::sum);
      }

      @Override
      public void stepWaiting(long runId, String step, String why) { line("WAIT", step + ": " + why); }

      @Override
      public void runFinished(long runId, String pipeline, State state) {
        List<String> parts = new ArrayList<>();
        for (String k : List.of("success", "failed", "upstream_failed", "skipped")) {
          if (counts.containsKey(k)) parts.add(counts.get(k) + " " + k);
        }
        out.println("Run " + runId + " of " + pipeline + " " + (state == State.SUCCESS ? "succeeded" : "failed") + ": "
            + String.join(", ", parts) + " in " + seconds(Duration.ofNanos(System.nanoTime() - t0))
            + ". Details: weir runs show " + runId);
      }
    }
  }
}
