package dev.weir.cli;

import dev.weir.core.execute.Workspace;
import dev.weir.core.graph.Graph;
import dev.weir.core.project.ResourceType;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;

@Command(name = "build", mixinStandardHelpOptions = true,
    description = "Seeds, models and their tests in dependency order; a failing test skips what depends on it.")
final class BuildCommand extends NodeCommand {
  @picocli.CommandLine.Mixin
  Common.EventTimeFlags eventTime;

  @Override dev.weir.core.execute.Options commandOptions(dev.weir.core.execute.Options o) { return eventTime.apply(o); }

  @picocli.CommandLine.Option(names = "--store-failures", description = "Keep each test's failing rows in <schema>_dbt_test__audit.")
  boolean storeFailuresFlag;

  @Override boolean storeFailures() { return storeFailuresFlag; }

  @picocli.CommandLine.Mixin
  Common.FusionFlags fusion;

  @Override Boolean checkFusion() { return fusion.choice(); }

  @picocli.CommandLine.Option(names = "--check-source-freshness",
      description = "First check the freshness of the sources the selected nodes depend on; skip what depends on a source in error.")
  boolean checkSourceFreshness;

  @Override
  void beforeRun(Workspace ws, dev.weir.core.execute.Runner runner, List<String> ids) {
    if (!checkSourceFreshness) return;
    dev.weir.core.execute.Freshness freshness = new dev.weir.core.execute.Freshness(ws);
    dev.weir.core.execute.Freshness.Gate gate = freshness.gate(ids);
    if (gate.checks().isEmpty()) {
      console.info("No selected node depends on a source with a freshness config");
      console.info("");
      return;
    }
    freshness.write(gate.checks(), gate.elapsedTime(), ws.targetDir().resolve(dev.weir.core.artifacts.SourcesWriter.FILE_NAME));
    runner.skipBeforeRunning(gate.blocked(), gate.checks().stream().map(dev.weir.core.execute.Freshness.Check::toNodeResult).toList());
  }

  @Override String commandName() { return "build"; }

  @Override Set<ResourceType> types() { return BUILD_TYPES; }

  @Override Graph buildGraph(Workspace ws, List<String> ids) { return ws.graph().withTestEdges().withUnitTestsFirst(); }
}
