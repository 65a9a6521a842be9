package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.core.execute.Workspace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

@Command(name = "clean", mixinStandardHelpOptions = true,
    description = "Deletes the folders listed in clean-targets (default: the target path).")
final class CleanCommand extends WeirCommand {
  @Override String commandName() { return "clean"; }

  @Override
  int execute(Workspace ws) throws IOException {
    List<String> targets = new ArrayList<>(ws.settings().cleanTargets());
    if (targets.isEmpty()) targets.add(ws.settings().targetPath());
    for (String t : targets) {
      Path p = ws.projectDir().resolve(t).normalize();
      if (!p.startsWith(ws.projectDir()) || p.equals(ws.projectDir())) {
        throw WeirException.usage("Refusing to clean '" + t + "': clean-targets must be folders inside the project");
      }
      if (!Files.exists(p)) {
        console.info("Nothing to clean at " + t);
        continue;
      }
      try (Stream<Path> s = Files.walk(p)) {
        for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
      }
      console.info("Cleaned " + t + "/");
    }
    console.info("Finished cleaning all paths.");
    return 0;
  }
}
