package dev.weir.cli;

import dev.weir.core.execute.Workspace;
import dev.weir.core.project.Packages;
import picocli.CommandLine.Command;

@Command(name = "deps", mixinStandardHelpOptions = true,
    description = "Installs the packages listed in packages.yml (or dependencies.yml) into packages-install-path "
        + "(default dbt_packages/) and writes package-lock.yml. Local packages are symlinked; git, hub and tarball "
        + "packages are downloaded.")
final class DepsCommand extends WeirCommand {
  @Override String commandName() { return "deps"; }

  @Override
  int execute(Workspace ws) throws Exception {
    var lock = Packages.install(ws.projectDir(), ws.settings(), console::info);
    if (!lock.isEmpty()) console.info("Installed " + lock.size() + " package" + (lock.size() == 1 ? "" : "s") + "; wrote package-lock.yml");
    return 0;
  }
}
