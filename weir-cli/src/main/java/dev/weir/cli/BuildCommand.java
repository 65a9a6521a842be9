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

  @Override String commandName() { return "build"; }

  @Override Set<ResourceType> types() { return BUILD_TYPES; }

  @Override Graph buildGraph(Workspace ws, List<String> ids) { return ws.graph().withTestEdges().withUnitTestsFirst(); }
}
