package dev.weir.cli;

import dev.weir.core.project.ResourceType;
import java.util.Set;
import picocli.CommandLine.Command;

@Command(name = "test", mixinStandardHelpOptions = true, description = "Runs data tests on the selected nodes.")
final class TestCommand extends NodeCommand {
  @picocli.CommandLine.Option(names = "--store-failures", description = "Keep each test's failing rows in <schema>_dbt_test__audit.")
  boolean storeFailuresFlag;

  @Override boolean storeFailures() { return storeFailuresFlag; }

  @picocli.CommandLine.Option(names = "--no-fusion",
      description = "Run each check as its own query instead of one scan per relation (for comparison and debugging).")
  boolean noFusion;

  @Override boolean checkFusion() { return !noFusion; }

  @Override String commandName() { return "test"; }

  @Override Set<ResourceType> types() { return Set.of(ResourceType.TEST, ResourceType.UNIT_TEST); }
}
