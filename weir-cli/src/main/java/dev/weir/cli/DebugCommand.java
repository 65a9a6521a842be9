package dev.weir.cli;

import dev.weir.core.engine.Engine;
import dev.weir.core.engine.Engines;
import dev.weir.core.engine.Session;
import dev.weir.core.execute.Workspace;
import dev.weir.core.project.Profiles;
import picocli.CommandLine.Command;

@Command(name = "debug", mixinStandardHelpOptions = true,
    description = "Checks the project, the profile and the warehouse connection.")
final class DebugCommand extends WeirCommand {
  @Override String commandName() { return "debug"; }

  @Override
  int execute(Workspace ws) {
    console.print("weir version: " + Main.VERSION);
    console.print("java: " + System.getProperty("java.version"));
    console.print("engines available: " + String.join(", ", Engines.available().keySet()));
    console.print("project folder: " + ws.projectDir());
    console.print("  dbt_project.yml file [" + ok(true) + " found and valid] (project " + ws.settings().name() + ")");
    Profiles.Located loc = Profiles.locate(ws.projectDir(), ws.options().profilesDir(), ws.options().env()::get);
    console.print("  profiles.yml file [" + (loc.file() == null ? "not found: using the default DuckDB target" : ok(true) + " found at " + loc.file()) + "]");
    var t = ws.target();
    console.print("Connection:");
    console.print("  profile: " + t.profileName() + ", target: " + t.name() + ", type: " + t.type());
    console.print("  database: " + t.database() + ", schema: " + t.schema() + ", threads: " + t.threads());
    if (t.settings().get("path") != null) console.print("  path: " + t.settings().get("path"));
    Engine e = ws.engine(false);
    try (Session s = e.openSession()) {
      s.query("select 1", 1);
    }
    console.print("  Connection test: [" + ok(true) + "]");
    console.print("All checks passed!");
    return 0;
  }

  private String ok(boolean b) { return b ? console.paint(dev.weir.core.util.Console.GREEN, "OK") : "ERROR"; }
}
