package dev.weir.cli;

import dev.weir.cdc.CdcRunner;
import dev.weir.cdc.CdcSpec;
import dev.weir.cdc.CdcSpecs;
import dev.weir.cdc.CdcStatus;
import dev.weir.core.WeirException;
import dev.weir.core.execute.Workspace;
import dev.weir.core.util.Secrets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir cdc run|status}: Postgres (pgoutput) and MySQL/MariaDB (binlog) tables captured with Debezium and merged into the warehouse exactly once (cdc/*.yml). */
@Command(name = "cdc", mixinStandardHelpOptions = true,
    description = "Change data capture declared in cdc/*.yml: Postgres or MySQL/MariaDB tables (snapshot, then changes) merged into warehouse tables, exactly once.",
    subcommands = {CdcCommand.Run.class, CdcCommand.Status.class})
final class CdcCommand implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  static List<CdcSpec> selected(Workspace ws, List<String> names) {
    return GracefulStop.selectByName(CdcSpecs.load(ws.projectDir(), Common.env()), names, "CDC source", "No CDC sources: the project has no " + CdcSpecs.FOLDER + "/*.yml");
  }

  /** {@code weir cdc run [NAME...]}. */
  @Command(name = "run", mixinStandardHelpOptions = true,
      description = "Captures sources in the foreground until stopped (SIGTERM or Ctrl-C: the batch in hand is committed, exit 0).")
  static final class Run extends WeirCommand {
    @Parameters(paramLabel = "NAME", arity = "0..*", description = "Sources to run (default: all).")
    List<String> names;

    @Option(names = "--until-caught-up", description = "Stop once the changes committed in the source before the start are applied (batch use, tests).")
    boolean untilCaughtUp;

    @Option(names = "--max-seconds", paramLabel = "N", description = "Stop after N seconds.")
    long maxSeconds;

    @Override String commandName() { return "cdc"; }

    @Override
    int execute(Workspace ws) throws Exception {
      List<CdcSpec> specs = selected(ws, names);
      var engine = ws.engine(false);
      started = true;
      CdcRunner runner = new CdcRunner(engine, specs, new CdcRunner.Options(untilCaughtUp, maxSeconds), new CdcRunner.Listener() {
        @Override
        public void batch(CdcRunner.BatchReport r) {
          console.info(String.format(Locale.ROOT, "%s batch %d: %d changes%s, %d history rows in %d ms, at %s",
              r.source(), r.batch(), r.applied(), r.skipped() == 0 ? "" : " (" + r.skipped() + " already applied, skipped)",
              r.historyRows(), r.millis(), r.lsn()));
        }

        @Override
        public void info(String message) { console.info(message); }
      });
      long t0 = System.nanoTime();
      CdcRunner.Result result;
      try (GracefulStop stop = new GracefulStop(runner::stop)) {
        result = runner.run();
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      console.info(String.format(Locale.ROOT, "Stopped after %.1f s: %d batches, %d changes applied (%,.0f changes/s), %d skipped as already applied.",
          secs, result.batches(), result.changes(), result.changes() / Math.max(secs, 1e-3), result.skipped()));
      if (result.failure() != null) {
        Throwable f = result.failure();
        console.error(f instanceof WeirException we ? we.describe() : "CDC failed: " + Secrets.mask(String.valueOf(f.getMessage())));
        if (common.debug) f.printStackTrace();
        return 1;
      }
      return 0;
    }

  }

  /** {@code weir cdc status [NAME...]}. */
  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Per source: last applied position (LSN or binlog position) and commit time, changes and history rows applied, the replication slot's lag (Postgres).")
  static final class Status extends WeirCommand {
    @Parameters(paramLabel = "NAME", arity = "0..*", description = "Sources (default: all).")
    List<String> names;

    @Override String commandName() { return "cdc"; }

    @Override
    int execute(Workspace ws) {
      List<CdcSpec> specs = selected(ws, names);
      dev.weir.core.engine.Engine engine;
      try {
        engine = ws.engine(true);
      } catch (RuntimeException e) {
        // DuckDB: a running 'weir cdc run' holds the file; the slot can still be read
        console.warn("The warehouse cannot be opened (" + Secrets.mask(String.valueOf(e.getMessage()))
            + "); showing the replication slots only.");
        engine = null;
      }
      started = true;
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"SOURCE", "TABLES", "LAST POSITION", "LAST COMMIT (UTC)", "APPLIED AT", "CHANGES", "HISTORY ROWS", "SLOT", "SLOT LAG"});
      for (CdcSpec s : specs) {
        CdcStatus.Row r = CdcStatus.of(engine, s);
        String lag = r.slotNote() != null ? r.slotNote()
            : String.format(Locale.ROOT, "%s (%s)", bytes(r.lagBytes()), Boolean.TRUE.equals(r.slotActive()) ? "active" : "inactive");
        rows.add(new String[] {r.source(), s.tablePattern() != null ? "/" + s.tablePattern().pattern() + "/" : String.join(",", s.tables()),
            dash(r.lsn()), dash(r.lastCommit()), dash(r.appliedAt()), String.valueOf(r.changes()),
            s.history() ? String.valueOf(r.historyRows()) : "-", r.slot(), lag});
      }
      int[] w = new int[rows.get(0).length];
      for (String[] r : rows) for (int i = 0; i < w.length; i++) w[i] = Math.max(w[i], r[i].length());
      for (String[] r : rows) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < w.length; i++) sb.append(String.format("%-" + (w[i] + 2) + "s", r[i]));
        System.out.println(sb.toString().stripTrailing());
      }
      return 0;
    }

    private static String dash(String s) { return s == null ? "-" : s; }

    private static String bytes(Long b) {
      if (b == null) return "?";
      if (b < 1024) return b + " B";
      if (b < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
      return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
    }
  }
}
