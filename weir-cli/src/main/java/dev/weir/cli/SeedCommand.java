package dev.weir.cli;

import dev.weir.core.project.ResourceType;
import java.util.Set;
import picocli.CommandLine.Command;

@Command(name = "seed", mixinStandardHelpOptions = true, description = "Loads the CSV files in seed-paths as tables.")
final class SeedCommand extends NodeCommand {
  @Override String commandName() { return "seed"; }

  @Override Set<ResourceType> types() { return Set.of(ResourceType.SEED); }
}
