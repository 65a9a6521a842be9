package dev.weir.cli;

import dev.weir.core.project.ResourceType;
import java.util.Set;
import picocli.CommandLine.Command;

@Command(name = "test", mixinStandardHelpOptions = true, description = "Runs data tests on the selected nodes.")
final class TestCommand extends NodeCommand {
  @picocli.CommandLine.Option(names = "--store-failures", description = "Keep each test's failing rows in <schema>_dbt_test__audit.")
  boolean storeFailuresFlag;

  @Override boolean storeFailures() { return storeFailuresFlag; }

  @picocli.CommandLine.Mixin
  Common.FusionFlags fusion;

  @Override Boolean checkFusion() { return fusion.choice(); }

  @Override String commandName() { return "test"; }

  @Override Set<ResourceType> types() { return Set.of(ResourceType.TEST, ResourceType.UNIT_TEST); }
}
