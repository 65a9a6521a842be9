package dev.weir.cli;

import dev.weir.core.execute.Workspace;
import picocli.CommandLine.Command;

@Command(name = "parse", mixinStandardHelpOptions = true,
    description = "Reads the whole project, checks it and writes target/manifest.json.")
final class ParseCommand extends WeirCommand {
  @Override String commandName() { return "parse"; }

  @Override
  int execute(Workspace ws) {
    long t0 = System.nanoTime();
    ws.loaded();
    ws.graph();
    long t1 = System.nanoTime();
    writeManifest(ws);
    long t2 = System.nanoTime();
    header(ws);
    console.info(String.format("Parsed in %.3fs, manifest written in %.3fs: %s", (t1 - t0) / 1e9, (t2 - t1) / 1e9,
        ws.projectDir().relativize(ws.targetDir().resolve("manifest.json"))));
    return 0;
  }
}
