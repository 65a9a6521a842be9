package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.orchestrate.Pipeline;
import dev.weir.orchestrate.PipelineLoader;
import dev.weir.orchestrate.Schedule;
import dev.weir.orchestrate.alert.Alerter;
import dev.weir.orchestrate.exec.PipelineExecutor;
import dev.weir.orchestrate.sched.Backfill;
import dev.weir.orchestrate.sched.Scheduler;
import dev.weir.orchestrate.store.MetadataStore;
import java.time.Instant;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir backfill NAME --from DATE --to DATE}: each missing interval in the range, once. */
@Command(name = "backfill", mixinStandardHelpOptions = true,
    description = "Runs each missing interval of a scheduled pipeline whose logical date lies in [--from, --to], once: intervals that "
        + "already succeeded are skipped, failed ones too unless --rerun-failed. Exit code 0 when every run succeeded, 1 otherwise.")
final class BackfillCommand extends OrchestrateCommand {
  @Parameters(index = "0", paramLabel = "NAME", description = "The pipeline.")
  String name;

  @Option(names = "--from", required = true, paramLabel = "DATE", description = "First logical date (2024-01-01 or 2024-01-01T06:00 in the pipeline's zone).")
  String from;

  @Option(names = "--to", required = true, paramLabel = "DATE", description = "Last logical date (inclusive).")
  String to;

  @Option(names = "--rerun-failed", description = "Run the failed steps (and everything downstream) of failed intervals again.")
  boolean rerunFailed;

  @Option(names = "--max-active", paramLabel = "N", description = "At most N runs at once (default 1 for asc/desc, 16 for parallel).")
  Integer maxActive;

  @Option(names = "--order", paramLabel = "asc|desc|parallel", defaultValue = "asc",
      description = "Oldest first (default), newest first, or all at once up to --max-active.")
  Backfill.Order order;

  @Option(names = "--lease-ttl", paramLabel = "DURATION", defaultValue = "30s", description = "Lease of each run (default ${DEFAULT-VALUE}).")
  String leaseTtl;

  @Override
  int execute() throws Exception {
    Map<String, Pipeline> all = pipelines();
    Pipeline p = pipeline(all, name);
    if (p.schedule() == null) throw WeirException.usage("Pipeline '" + name + "' has no schedule, so it has no intervals to backfill (" + p.file() + ")");
    Instant f = date("--from", from, p);
    Instant t = date("--to", to, p);
    if (t.isBefore(f)) throw WeirException.usage("--to is before --from");
    int n = maxActive != null ? maxActive : order == Backfill.Order.PARALLEL ? 16 : 1;
    if (n < 1) throw WeirException.usage("--max-active must be at least 1");
    int count = Backfill.intervals(p.schedule(), f, t).size();
    out.println("Backfill of " + p.name() + ": " + count + " interval(s) with logical dates in [" + f + ", " + t + "], order "
        + order.name().toLowerCase(java.util.Locale.ROOT) + ", at most " + n + " at once");
    SchedulerCommand.Printer printer = new SchedulerCommand.Printer(out);
    Backfill.Summary s;
    Map<String, String> env = Common.env();
    try (MetadataStore store = store();
         PipelineExecutor ex = new PipelineExecutor(store, project(), all, weirInvoker(env));
         Alerter alerter = new Alerter(store, project(), () -> all, env::get, printer::alert)) {
      alerter.check(p);
      ex.setPools(PipelineLoader.loadPools(project()));
      AutoCloseable routing = ThreadOutput.install();
      try {
        s = Backfill.run(store, ex, p, f, t, rerunFailed, n, order, Scheduler.defaultOwner(), SchedulerCommand.duration("--lease-ttl", leaseTtl),
            alerter.around(printer));
      } finally {
        closeQuietly(routing);
      }
    }
    for (String sk : s.skipped()) out.println("  skipped " + sk);
    out.println("Backfill of " + p.name() + " done: " + s.succeeded() + " succeeded, " + s.failed() + " failed, " + s.skipped().size() + " skipped.");
    return s.failed() == 0 ? 0 : 1;
  }

  private static Instant date(String option, String text, Pipeline p) {
    try {
      return Schedule.parseDate(text, p.schedule().zone());
    } catch (IllegalArgumentException e) {
      throw WeirException.usage(option + ": " + e.getMessage());
    }
  }
}
