package dev.weir.cli;

import dev.weir.core.execute.RunSummary;
import dev.weir.core.execute.Runner;
import dev.weir.core.execute.Workspace;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "compile", mixinStandardHelpOptions = true,
    description = "Renders the selected nodes to SQL under target/compiled without building anything.")
final class CompileCommand extends NodeCommand {
  @Option(names = "--inline", description = "Compile this SQL (with Jinja) and print it.")
  String inline;

  @Override String commandName() { return "compile"; }

  @Override Set<ResourceType> types() {
    return Set.of(ResourceType.MODEL, ResourceType.TEST, ResourceType.ANALYSIS, ResourceType.SNAPSHOT);
  }

  @Override boolean compileOnly() { return true; }

  @Override
  int execute(Workspace ws) {
    if (inline != null) {
      ws.loaded();
      Runner runner = new Runner(ws, true);
      String sql = runner.withWarehouse(wh -> runner.compiler().compileInline(inline, wh));
      console.print(sql);
      return 0;
    }
    int code = super.execute(ws);
    // Like dbt: with -s, print the compiled SQL of the selected nodes named in the selection (so
    // "-s my_model" prints my_model even though its tests were selected with it).
    String selectArg = String.join(" ", ws.options().select());
    if (code == 0 && !selectArg.isBlank()) {
      for (String id : ws.select(types())) {
        Node n = ws.project().node(id);
        if (n == null || !selectArg.contains(n.name)) continue;
        console.info("Compiled node '" + n.name + "' is:");
        console.print(n.compiledCode == null ? "" : n.compiledCode);
      }
    }
    return code;
  }

  @SuppressWarnings("unused")
  private static RunSummary none() { return null; }
}
