package dev.weir.cli;

import dev.weir.core.project.ResourceType;
import java.util.Set;
import picocli.CommandLine.Command;

/** {@code weir export}: runs the selected exports (relations written to Parquet or CSV files) alone. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Writes the relations declared under 'exports:' to Parquet or CSV files (atomically replacing the previous ones).")
final class ExportCommand extends NodeCommand {
  @Override String commandName() { return "export"; }

  @Override Set<ResourceType> types() { return Set.of(ResourceType.EXPORT); }
}
