package dev.weir.cli;

import dev.weir.core.project.ResourceType;
import java.util.Set;
import picocli.CommandLine.Command;

@Command(name = "snapshot", mixinStandardHelpOptions = true,
    description = "Runs the selected snapshots: records changed rows of their queries as new versions (SCD type 2).")
final class SnapshotCommand extends NodeCommand {
  @Override String commandName() { return "snapshot"; }

  @Override Set<ResourceType> types() { return Set.of(ResourceType.SNAPSHOT); }
}
