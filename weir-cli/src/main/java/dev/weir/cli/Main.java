package dev.weir.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Weir's command line: dbt's commands, names and flags, on Weir's engine. */
@Command(name = "weir", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Weir: a data platform declared as files. Runs dbt projects on embedded DuckDB (default) or Postgres.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:a node or test failed", "2:an error before anything ran (project, profile, usage)"})
public final class Main implements Runnable {
  public static final String VERSION = "0.1.0";

  /** The subcommands, in the order help lists them. */
  static final java.util.List<Class<?>> SUBCOMMANDS = java.util.List.of(DebugCommand.class, ParseCommand.class, CompileCommand.class,
      RunCommand.class, SeedCommand.class, TestCommand.class, SnapshotCommand.class, BuildCommand.class, ListCommand.class, ShowCommand.class,
      RunOperationCommand.class, CleanCommand.class, InitCommand.class, DocsCommand.class, DepsCommand.class, RetryCommand.class,
      SourceCommand.class, PipelineCommand.class, RunsCommand.class, SchedulerCommand.class, BackfillCommand.class, IngestCommand.class,
      ExportCommand.class, StreamCommand.class, CdcCommand.class, CommandLine.HelpCommand.class);

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns the exit code (tests call this in-process). */
  public static int run(String... args) {
    // The version needs no command model: answer before picocli reflects over every command.
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      for (String line : new Version().getVersion()) System.out.println(line);
      return 0;
    }
    if (args.length > 0 && args[0].equals("parse")) ParseCommand.prefetch(args);
    try {
      return runCommand(args);
    } finally {
      // a large artifact's old file is deleted on a thread of its own while the command finishes
      dev.weir.core.artifacts.Artifacts.awaitDeletes();
      ParseCommand.Prefetch left = ParseCommand.PREFETCH.get();
      if (left != null) left.contents().stop(); // the command ended before using it
      ParseCommand.PREFETCH.remove();
    }
  }

  private static int runCommand(String... args) {
    CommandLine cl = new CommandLine(new Main());
    // picocli reflects over every command it is given (~0.15 s for all of Weir's): give it only the one named,
    // and all of them when none is named or the name is unknown (help, suggestions).
    Class<?> named = args.length > 0 ? subcommandNamed(args[0]) : null;
    for (Class<?> c : SUBCOMMANDS) {
      if (named == null || c == named) cl.addSubcommand(c);
    }
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setParameterExceptionHandler((ex, a) -> {
      System.err.println("Error: " + ex.getMessage());
      CommandLine.UnmatchedArgumentException.printSuggestions(ex, System.err);
      System.err.println("Run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
      return 2;
    });
    if (Common.env().get("NO_COLOR") != null) cl.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
    return cl.execute(args);
  }

  private static Class<?> subcommandNamed(String arg) {
    for (Class<?> c : SUBCOMMANDS) {
      Command cmd = c.getAnnotation(Command.class);
      if (cmd == null || c == CommandLine.HelpCommand.class) continue;
      if (cmd.name().equals(arg) || java.util.Arrays.asList(cmd.aliases()).contains(arg)) return c;
    }
    return null;
  }

  /** Runs the CLI with {@code env} instead of the process environment (in-process tests). */
  static int run(java.util.Map<String, String> env, String... args) {
    Common.ENV.set(env);
    try {
      return run(args);
    } finally {
      Common.ENV.remove();
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"weir " + VERSION + " (dbt-compatible: manifest v12, run_results v6)"};
    }
  }
}
