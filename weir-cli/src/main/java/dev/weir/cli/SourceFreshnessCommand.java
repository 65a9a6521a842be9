package dev.weir.cli;

import dev.weir.core.artifacts.SourcesWriter;
import dev.weir.core.execute.Freshness;
import dev.weir.core.execute.NodeResult;
import dev.weir.core.execute.RunSummary;
import dev.weir.core.execute.Workspace;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code weir source freshness}: checks the selected sources that have a freshness config, prints
 * one line per source, writes target/sources.json (or --output) and exits 1 when any is in error.
 */
@Command(name = "freshness", mixinStandardHelpOptions = true,
    description = "Checks how recently the selected sources were loaded against their warn_after / error_after.")
final class SourceFreshnessCommand extends WeirCommand {
  @Mixin
  Common.Selection sel;

  @Option(names = {"-o", "--output"}, description = "Where to write the results (default: target/sources.json).")
  Path output;

  /** dbt's flags.WHICH for this command. */
  @Override String commandName() { return "freshness"; }

  @Override Common.Selection selection() { return sel; }

  @Override
  int execute(Workspace ws) {
    console.info("Running with weir=" + Main.VERSION);
    ws.loaded();
    header(ws);
    List<Node> sources = new ArrayList<>();
    for (String id : ws.select(EnumSet.of(ResourceType.SOURCE))) {
      Node n = ws.project().node(id);
      if (n != null && Freshness.configured(n)) sources.add(n);
    }
    writeManifest(ws);
    Path file = output != null ? output.toAbsolutePath() : ws.targetDir().resolve(SourcesWriter.FILE_NAME);
    Freshness freshness = new Freshness(ws);
    if (sources.isEmpty()) {
      console.warn("Nothing to do: no selected source has a freshness config (warn_after or error_after)");
      freshness.write(List.of(), 0, file);
      return 0;
    }
    console.info("");
    // Open the warehouse before anything runs: failing to get it is an error before anything ran (exit 2).
    ws.engine(false);
    started = true;
    long t0 = System.nanoTime();
    List<Freshness.Check> checks = freshness.run(sources);
    double elapsed = (System.nanoTime() - t0) / 1e9;
    freshness.write(checks, elapsed, file);
    List<NodeResult> results = new ArrayList<>();
    for (Freshness.Check c : checks) results.add(c.toNodeResult());
    return summarize(ws, new RunSummary(ws.invocationId(), commandName(), Instant.now(), elapsed, results, Map.of()));
  }
}
