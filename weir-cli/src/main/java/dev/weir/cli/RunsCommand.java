package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.orchestrate.store.PipelineRun;
import dev.weir.orchestrate.store.MetadataStore;
import dev.weir.orchestrate.store.StepRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir runs}, {@code weir runs show ID} and {@code weir runs clear ID --step S}: the run history kept in the metadata store. */
@Command(name = "runs", mixinStandardHelpOptions = true,
    description = "Lists pipeline runs from the metadata store (target/weir_meta.sqlite), latest first.",
    subcommands = {RunsCommand.Show.class, RunsCommand.Clear.class})
final class RunsCommand extends OrchestrateCommand {
  @Option(names = "--pipeline", paramLabel = "NAME", description = "Only runs of this pipeline.")
  String pipeline;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most N runs (default ${DEFAULT-VALUE}).")
  int limit;

  @Override
  int execute() {
    if (storeMissing()) {
      out.println("No runs yet (" + storeName() + " does not exist).");
      return 0;
    }
    List<PipelineRun> runs;
    try (MetadataStore store = store()) {
      runs = store.runs(pipeline, Math.max(1, limit));
    }
    if (runs.isEmpty()) {
      out.println(pipeline == null ? "No runs yet." : "No runs of pipeline '" + pipeline + "'.");
      return 0;
    }
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("ID", "PIPELINE", "STATE", "TRIGGER", "LOGICAL DATE", "STARTED", "DURATION"));
    for (PipelineRun r : runs) {
      rows.add(List.of(String.valueOf(r.id()), r.pipeline(), r.state().dbName(), r.trigger(), String.valueOf(r.logicalDate()),
          r.startedAt() == null ? "" : r.startedAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
          r.startedAt() == null || r.endedAt() == null ? "" : seconds(Duration.between(r.startedAt(), r.endedAt()))));
    }
    table(rows);
    return 0;
  }

  /** {@code weir runs show ID}. */
  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Shows one run: its interval and params, and each step's tries with state, duration, exit code, error and log file.")
  static final class Show extends OrchestrateCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The run's id (see weir runs).")
    long id;

    @Override
    int execute() {
      if (storeMissing()) throw WeirException.usage("No run " + id + ": " + storeName() + " does not exist yet");
      try (MetadataStore store = store()) {
        PipelineRun r = store.run(id).orElseThrow(() -> WeirException.usage("No run " + id + " in " + storeName() + " (see weir runs)"));
        out.println("Run " + r.id() + " of pipeline " + r.pipeline() + ": " + r.state().dbName());
        out.println("  trigger:       " + r.trigger() + (r.parentRunId() == null ? "" : " (parent run " + r.parentRunId() + ")"));
        out.println("  logical date:  " + r.logicalDate());
        if (r.intervalStart() != null && !r.intervalStart().equals(r.intervalEnd())) {
          out.println("  data interval: [" + r.intervalStart() + ", " + r.intervalEnd() + ")");
        }
        if (!r.params().isEmpty()) out.println("  params:        " + r.params());
        out.println("  started:       " + (r.startedAt() == null ? "-" : r.startedAt().truncatedTo(java.time.temporal.ChronoUnit.MILLIS))
            + (r.endedAt() == null ? "" : "   ended: " + r.endedAt().truncatedTo(java.time.temporal.ChronoUnit.MILLIS) + "   (" + seconds(Duration.between(r.startedAt() == null ? r.queuedAt() : r.startedAt(), r.endedAt())) + ")"));
        out.println();
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("STEP", "TRY", "STATE", "DURATION", "EXIT", "ERROR", "LOG"));
        for (StepRun s : store.steps(id)) {
          rows.add(List.of(s.step(), String.valueOf(s.tryNumber()), s.state().dbName(), seconds(s.seconds()),
              s.exitCode() == null ? "" : String.valueOf(s.exitCode()), s.error() == null ? "" : s.error(),
              s.logPath() == null ? "" : java.nio.file.Files.exists(project().resolve(s.logPath())) ? s.logPath()
                  : s.logPath() + " (removed)"));
        }
        table(rows);
      }
      return 0;
    }
  }

  /** {@code weir runs clear ID --step NAME}: re-runs steps and their descendants in the foreground. */
  @Command(name = "clear", mixinStandardHelpOptions = true,
      description = "Marks steps of a run and everything downstream of them for re-run, and runs them now in the foreground "
          + "(steps outside that set keep their state). Exit code 0 when the run then succeeds, 1 when it fails.")
  static final class Clear extends OrchestrateCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The run's id (see weir runs).")
    long id;

    @Option(names = "--step", required = true, paramLabel = "NAME", description = "A step to re-run with its descendants (repeatable).")
    List<String> steps = new ArrayList<>();

    @Option(names = "--lease-ttl", paramLabel = "DURATION", defaultValue = "30s", description = "Lease of the run while it re-runs (default ${DEFAULT-VALUE}).")
    String leaseTtl;

    @Override
    int execute() throws Exception {
      if (storeMissing()) throw WeirException.usage("No run " + id + ": " + storeName() + " does not exist yet");
      java.util.Map<String, dev.weir.orchestrate.Pipeline> all = pipelines();
      try (MetadataStore store = store();
           dev.weir.orchestrate.exec.PipelineExecutor ex = new dev.weir.orchestrate.exec.PipelineExecutor(store, project(), all, weirInvoker(Common.env()))) {
        PipelineRun r = store.run(id).orElseThrow(() -> WeirException.usage("No run " + id + " in " + storeName() + " (see weir runs)"));
        dev.weir.orchestrate.Pipeline p = pipeline(all, r.pipeline());
        for (String s : steps) {
          if (p.step(s) == null) {
            throw WeirException.usage("Pipeline '" + p.name() + "' has no step '" + s + "'." + dev.weir.core.util.Suggest.didYouMean(s,
                p.steps().stream().map(dev.weir.orchestrate.Pipeline.Step::name).toList()));
          }
        }
        String owner = dev.weir.orchestrate.sched.Scheduler.defaultOwner();
        Duration ttl = SchedulerCommand.duration("--lease-ttl", leaseTtl);
        String resource = dev.weir.orchestrate.sched.Backfill.resource(r);
        dev.weir.orchestrate.store.Fence f = store.acquireLease(resource, owner, java.time.Instant.now(), ttl);
        if (f == null) {
          throw WeirException.usage("Run " + id + " is being worked on by " + store.lease(resource).map(dev.weir.orchestrate.store.Lease::owner).orElse("another process")
              + " (it holds the run's lease); try again when it has finished");
        }
        ex.setPools(dev.weir.orchestrate.PipelineLoader.loadPools(project()));
        java.util.Set<String> cleared = dev.weir.orchestrate.sched.Backfill.clear(store, p, r, new java.util.LinkedHashSet<>(steps), f);
        out.println("Cleared in run " + id + " of " + p.name() + ": " + String.join(", ", cleared));
        SchedulerCommand.Printer printer = new SchedulerCommand.Printer(out);
        java.util.concurrent.ScheduledExecutorService renew = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        AutoCloseable routing = ThreadOutput.install();
        try {
          dev.weir.orchestrate.exec.PipelineExecutor.Handle h = ex.resume(p, store.run(id).orElseThrow(), f, printer);
          long every = Math.max(100, ttl.toMillis() / 3);
          renew.scheduleAtFixedRate(() -> {
            if (!store.renewLease(f, owner, java.time.Instant.now(), ttl)) h.abandon("lease lost");
          }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
          dev.weir.orchestrate.exec.PipelineExecutor.Result res = h.done().get();
          if (res.state() != null) store.releaseLease(f, owner);
          return res.state() == dev.weir.orchestrate.store.State.SUCCESS ? 0 : 1;
        } finally {
          renew.shutdownNow();
          closeQuietly(routing);
        }
      }
    }
  }
}
