package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.core.artifacts.ManifestWriter;
import dev.weir.core.artifacts.RunResultsWriter;
import dev.weir.core.artifacts.SecretMasker;
import dev.weir.core.execute.NodeResult;
import dev.weir.core.execute.Options;
import dev.weir.core.execute.RunSummary;
import dev.weir.core.execute.Workspace;
import dev.weir.core.project.Project;
import dev.weir.core.project.ResourceType;
import dev.weir.core.util.Console;
import dev.weir.core.util.Secrets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * The frame every command runs in: builds the console and workspace, turns errors into one clear
 * message and dbt's exit codes (0 ok, 1 node failures, 2 errors before anything ran), and closes
 * the warehouse.
 */
abstract class WeirCommand implements Callable<Integer> {
  @Mixin
  Common common;

  protected Console console;
  protected boolean started;

  abstract String commandName();

  Common.Selection selection() { return null; }

  Common.RunFlags runFlags() { return null; }

  /** Adds a command's own flags to the shared ones (run and build: --event-time-start/--event-time-end). */
  Options commandOptions(Options o) { return o; }

  /** The command's work; returns the exit code. */
  abstract int execute(Workspace ws) throws Exception;

  @Override
  public final Integer call() {
    console = common.console(UUID.randomUUID().toString());
    Workspace ws = null;
    try {
      Options opts = commandOptions(common.options(commandName(), selection(), runFlags()));
      ws = new Workspace(opts, console);
      if (java.nio.file.Files.isRegularFile(ws.projectDir().resolve("dbt_project.yml"))) {
        console.openLogFile(ws.projectDir().resolve("logs").resolve("weir.log"));
      }
      return execute(ws);
    } catch (WeirException e) {
      console.error(e.describe());
      if (common.debug) e.printStackTrace();
      return started && e.kind() == WeirException.Kind.RUNTIME ? 1 : 2;
    } catch (Exception e) {
      console.error("Internal error: " + Secrets.mask(String.valueOf(e)) + (common.debug ? "" : " (run with --debug for details)"));
      if (common.debug) e.printStackTrace();
      return 2;
    } catch (StackOverflowError e) {
      // Pathological nesting (thousands of brackets in one Jinja expression): one message, not a JVM trace.
      console.error("Error: the project nests too deeply for Weir's stack (StackOverflowError). Simplify the deepest "
          + "expression or raise the stack size (WEIR_JAVA_OPTS=-Xss64m)" + (common.debug ? "" : " (run with --debug for details)"));
      if (common.debug) e.printStackTrace();
      return started ? 1 : 2;
    } finally {
      if (ws != null) {
        try {
          ws.close();
        } catch (RuntimeException e) {
          console.warn("Closing the warehouse: " + e.getMessage());
        }
      }
      console.close();
    }
  }

  void header(Workspace ws) {
    Project p = ws.project();
    Map<ResourceType, Integer> counts = new LinkedHashMap<>();
    for (var n : p.nodes().values()) counts.merge(n.resourceType, 1, Integer::sum);
    StringBuilder sb = new StringBuilder("Found ");
    sb.append(plural(counts.getOrDefault(ResourceType.MODEL, 0), "model")).append(", ");
    sb.append(plural(counts.getOrDefault(ResourceType.SEED, 0), "seed")).append(", ");
    sb.append(plural(counts.getOrDefault(ResourceType.TEST, 0), "data test")).append(", ");
    if (counts.containsKey(ResourceType.SNAPSHOT)) sb.append(plural(counts.get(ResourceType.SNAPSHOT), "snapshot")).append(", ");
    sb.append(plural(p.sources().size(), "source")).append(", ");
    if (counts.containsKey(ResourceType.ANALYSIS)) sb.append(plural(counts.get(ResourceType.ANALYSIS), "analysis")).append(", ");
    sb.append(plural(p.macros().size(), "macro"));
    console.info(sb.toString());
  }

  static String plural(int n, String word) {
    if (n == 1) return n + " " + word;
    return n + " " + (word.endsWith("s") ? word + "es" : word.equals("analysis") ? "analyses" : word + "s");
  }

  void writeManifest(Workspace ws) {
    Path file = ws.targetDir().resolve(ManifestWriter.FILE_NAME);
    new ManifestWriter(masker(), dev.weir.core.artifacts.Artifacts.DBT_VERSION,
        dev.weir.core.artifacts.Artifacts.customEnv(Common.env()))
        .write(ws.project(), ws.invocationId(), Instant.now(), ws.target().type(), file);
  }

  void writeRunResults(Workspace ws, RunSummary summary) {
    Path file = ws.targetDir().resolve(RunResultsWriter.FILE_NAME);
    new RunResultsWriter(masker(), dev.weir.core.artifacts.Artifacts.DBT_VERSION,
        dev.weir.core.artifacts.Artifacts.customEnv(Common.env())).write(summary, ws.startedAt(), file);
  }

  static SecretMasker masker() { return Secrets::mask; }

  /** dbt's closing lines: what ran, errors repeated, and the totals. Returns the exit code. */
  int summarize(Workspace ws, RunSummary summary) {
    Map<String, Integer> kinds = new LinkedHashMap<>();
    for (NodeResult r : summary.results()) {
      var n = ws.project().node(r.uniqueId());
      if (n == null) continue;
      String k = switch (n.resourceType) {
        case MODEL -> n.materialized() + " model";
        case SEED -> "seed";
        case TEST -> "data test";
        default -> n.resourceType.dbtName();
      };
      kinds.merge(k, 1, Integer::sum);
    }
    StringBuilder what = new StringBuilder();
    for (Map.Entry<String, Integer> e : kinds.entrySet()) {
      if (what.length() > 0) what.append(", ");
      what.append(plural(e.getValue(), e.getKey()));
    }
    double secs = summary.elapsedTime();
    console.info("");
    console.info(String.format("Finished running %s in %d hours %d minutes and %.2f seconds (%.2fs).", what.length() == 0 ? "nothing" : what,
        (long) secs / 3600, ((long) secs % 3600) / 60, secs % 60, secs));
    int pass = 0, warn = 0, error = 0, skip = 0;
    List<NodeResult> bad = new java.util.ArrayList<>();
    List<NodeResult> warns = new java.util.ArrayList<>();
    for (NodeResult r : summary.results()) {
      switch (r.status()) {
        case SUCCESS, PASS -> pass++;
        case WARN -> {
          warn++;
          warns.add(r);
        }
        case SKIPPED -> skip++;
        default -> {
          error++;
          bad.add(r);
        }
      }
    }
    console.info("");
    if (error == 0 && warn == 0) {
      console.info(console.paint(Console.GREEN, "Completed successfully"));
    } else if (error == 0) {
      console.info(console.paint(Console.YELLOW, "Completed with " + plural(warn, "warning") + ":"));
    } else {
      console.info(console.paint(Console.RED, "Completed with " + plural(error, "error") + ", " + plural(skip, "skip")
          + " and " + plural(warn, "warning") + ":"));
    }
    for (NodeResult r : bad) {
      console.info("");
      String prefix = r.status() == NodeResult.Status.FAIL ? "Failure in " : "Error in ";
      var n = ws.project().node(r.uniqueId());
      // A test declared in YAML names its line: a check on a missing column points at its entry.
      Object line = n != null && n.resourceType == ResourceType.TEST ? n.extra.get("yaml_line") : null;
      console.error(prefix + (n == null ? r.uniqueId() : n.resourceType.dbtName() + " " + n.name + " (" + n.originalFilePath
          + (line instanceof Integer l && l > 0 ? ":" + l : "") + ")"));
      if (r.message() != null) console.info("  " + r.message());
      if (n != null && n.compiledPath != null) console.info("  compiled code at " + n.compiledPath);
      printSample(ws, r);
    }
    for (NodeResult r : warns) {
      var n = ws.project().node(r.uniqueId());
      console.warn("Warning in " + (n == null ? r.uniqueId() : n.resourceType.dbtName() + " " + n.name) + ": " + r.message());
      printSample(ws, r);
    }
    console.info("");
    console.info(String.format("Done. PASS=%d WARN=%d ERROR=%d SKIP=%d NO-OP=0 TOTAL=%d", pass, warn, error, skip,
        summary.results().size()));
    return summary.anyFailure() ? 1 : 0;
  }

  /** A few failing rows of a test, under its failure in the summary. */
  private void printSample(Workspace ws, NodeResult r) {
    dev.weir.core.engine.QueryResult sample = ws.failingSample(r.uniqueId());
    if (sample == null || sample.rows().isEmpty()) return;
    console.info("  first failing rows:");
    for (String line : ShowCommand.table(sample).split("\n")) console.info("    " + line);
  }
}
