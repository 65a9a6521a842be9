package dev.weir.cli;

import dev.weir.core.project.ResourceType;
import java.util.Set;
import picocli.CommandLine.Command;

/** {@code weir ingest}: runs the selected ingestions (tables loaded from other databases) alone. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Loads the tables declared under 'ingestions:' from their databases into the warehouse.")
final class IngestCommand extends NodeCommand {
  @Override String commandName() { return "ingest"; }

  @Override Set<ResourceType> types() { return Set.of(ResourceType.INGESTION); }
}
