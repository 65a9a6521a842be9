package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.orchestrate.store.PipelineRun;
import dev.weir.orchestrate.store.SqliteStore;
import dev.weir.orchestrate.store.StepRun;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir runs} and {@code weir runs show ID}: the run history kept in the metadata store. */
@Command(name = "runs", mixinStandardHelpOptions = true,
    description = "Lists pipeline runs from the metadata store (target/weir_meta.sqlite), latest first.",
    subcommands = {RunsCommand.Show.class})
final class RunsCommand extends OrchestrateCommand {
  @Option(names = "--pipeline", paramLabel = "NAME", description = "Only runs of this pipeline.")
  String pipeline;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "At most N runs (default ${DEFAULT-VALUE}).")
  int limit;

  @Override
  int execute() {
    if (!Files.exists(project().resolve(STORE_FILE))) {
      out.println("No runs yet (" + STORE_FILE + " does not exist).");
      return 0;
    }
    List<PipelineRun> runs;
    try (SqliteStore store = store()) {
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
      if (!Files.exists(project().resolve(STORE_FILE))) throw WeirException.usage("No run " + id + ": " + STORE_FILE + " does not exist yet");
      try (SqliteStore store = store()) {
        PipelineRun r = store.run(id).orElseThrow(() -> WeirException.usage("No run " + id + " in " + STORE_FILE + " (see weir runs)"));
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
              s.logPath() == null ? "" : s.logPath()));
        }
        table(rows);
      }
      return 0;
    }
  }
}
