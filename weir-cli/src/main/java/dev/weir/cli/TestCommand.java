package dev.weir.cli;

import dev.weir.core.project.ResourceType;
import java.util.Set;
import picocli.CommandLine.Command;

@Command(name = "test", mixinStandardHelpOptions = true, description = "Runs data tests on the selected nodes.")
final class TestCommand extends NodeCommand {
  @Override String commandName() { return "test"; }

  @Override Set<ResourceType> types() { return Set.of(ResourceType.TEST); }
}
