package dev.weir.cli;

import dev.weir.core.execute.Workspace;
import dev.weir.core.project.Packages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "deps", mixinStandardHelpOptions = true,
    description = "Installs the packages listed in packages.yml (or dependencies.yml) into packages-install-path "
        + "(default dbt_packages/), with their own packages transitively, and writes package-lock.yml; when "
        + "package-lock.yml matches packages.yml, installs exactly what it pins. Local packages are symlinked; git, hub "
        + "and tarball packages are downloaded.")
final class DepsCommand extends WeirCommand {
  @Option(names = {"-U", "--upgrade"}, description = "Resolve packages.yml again instead of installing what package-lock.yml pins.")
  boolean upgrade;

  @Override String commandName() { return "deps"; }

  @Override
  int execute(Workspace ws) throws Exception {
    java.nio.file.Path lockFile = ws.projectDir().resolve("package-lock.yml");
    String before = java.nio.file.Files.isRegularFile(lockFile) ? java.nio.file.Files.readString(lockFile) : null;
    var lock = Packages.install(ws.projectDir(), ws.settings(), console::info, upgrade);
    if (lock.isEmpty()) return 0;
    boolean written = upgrade || before == null || !before.equals(java.nio.file.Files.readString(lockFile));
    console.info("Installed " + lock.size() + " package" + (lock.size() == 1 ? "" : "s")
        + (written ? "; wrote package-lock.yml" : " (package-lock.yml unchanged)"));
    return 0;
  }
}
