package dev.weir.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** dbt's {@code source} command group; its one subcommand is {@code freshness}. */
@Command(name = "source", mixinStandardHelpOptions = true, description = "Commands on sources: freshness.",
    subcommands = {SourceFreshnessCommand.class})
final class SourceCommand implements Runnable {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
