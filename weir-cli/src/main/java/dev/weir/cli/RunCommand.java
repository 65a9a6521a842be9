package dev.weir.cli;

import dev.weir.core.project.ResourceType;
import java.util.Set;
import picocli.CommandLine.Command;

@Command(name = "run", mixinStandardHelpOptions = true, description = "Builds the selected models in the warehouse.")
final class RunCommand extends NodeCommand {
  @picocli.CommandLine.Mixin
  Common.EventTimeFlags eventTime;

  @Override dev.weir.core.execute.Options commandOptions(dev.weir.core.execute.Options o) { return eventTime.apply(o); }

  @Override String commandName() { return "run"; }

  @Override Set<ResourceType> types() { return Set.of(ResourceType.MODEL); }
}
