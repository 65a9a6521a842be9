package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.core.execute.Runner;
import dev.weir.core.execute.Workspace;
import dev.weir.core.render.Renderer;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run-operation", mixinStandardHelpOptions = true, description = "Runs a macro (with a live warehouse connection).")
final class RunOperationCommand extends WeirCommand {
  @Parameters(index = "0", description = "The macro to run, e.g. grant_select or my_package.my_macro.")
  String macro;

  @Option(names = "--args", description = "The macro's keyword arguments as a YAML mapping, e.g. '{role: reporter}'.")
  String args;

  @Override String commandName() { return "run-operation"; }

  @Override
  int execute(Workspace ws) {
    Map<String, Object> kwargs = Common.parseVars(args);
    ws.loaded();
    started = true;
    Runner runner = new Runner(ws, false);
    try {
      runner.withWarehouse(wh -> {
        wh.session().begin();
        try {
          ws.renderer().callMacro(macro, null, Renderer.Mode.EXECUTE, wh, List.of(), kwargs);
          wh.session().commit();
        } catch (RuntimeException e) {
          if (wh.session().inTransaction()) wh.session().rollback();
          throw e;
        }
        return null;
      });
    } catch (WeirException e) {
      console.error("Encountered an error while running operation: " + e.describe());
      return e.kind() == WeirException.Kind.COMPILE && e.getMessage().startsWith("No macro named") ? 2 : 1;
    }
    return 0;
  }
}
