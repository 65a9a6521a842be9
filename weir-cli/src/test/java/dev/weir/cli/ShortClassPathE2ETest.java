package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher starts {@code parse}, {@code ls}, {@code compile}, {@code clean} and {@code init} with a shorter class
 * path: Weir's jars and the run-time class paths its modules list when built ({@code target/runtime-classpath.txt}),
 * without the jars only change data capture needs. On that class path a project's CDC and stream sources must still be
 * found (their providers are in weir-cdc and weir-stream) and its models parsed and compiled.
 */
class ShortClassPathE2ETest {
  /** The modules whose run-time class paths the launcher keeps (./weir: the same list). */
  private static final List<String> MODULES = List.of("weir-jinja", "weir-core", "weir-engine-duckdb", "weir-engine-postgres",
      "weir-orchestrate", "weir-ingest", "weir-stream");

  /** The class path ./weir gives these commands, from the module builds (Weir's own classes for weir-cli). */
  private static String shortClassPath() throws Exception {
    Path root = TestProject.repoRoot();
    Set<String> cp = new LinkedHashSet<>();
    cp.add(root.resolve("weir-cli/target/classes").toString());
    cp.add(moduleJar(root, "weir-cdc")); // its own jar only: its source provider reads cdc/*.yml
    for (String m : MODULES) {
      cp.add(moduleJar(root, m));
      String line = Files.readString(root.resolve(m).resolve("target/runtime-classpath.txt"), StandardCharsets.UTF_8).strip();
      for (String e : line.split(File.pathSeparator)) if (!e.isBlank()) cp.add(e);
    }
    // weir-cli's own dependencies (picocli, ASM), as the launcher keeps them
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      String name = Path.of(e).getFileName().toString();
      if (name.startsWith("picocli-") || name.startsWith("asm-")) cp.add(e);
    }
    return String.join(File.pathSeparator, cp);
  }

  private static String moduleJar(Path root, String module) throws Exception {
    try (Stream<Path> s = Files.list(root.resolve(module).resolve("target"))) {
      return s.filter(p -> p.getFileName().toString().startsWith(module + "-") && p.getFileName().toString().endsWith(".jar")
          && !p.getFileName().toString().endsWith("-tests.jar") && !p.getFileName().toString().endsWith("-sources.jar"))
          .findFirst().orElseThrow(() -> new AssertionError(module + " is not built")).toString();
    }
  }

  private static String run(String cp, Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        TestProject.childTmp(dir), "-cp", cp, "dev.weir.cli.Main"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--project-dir", dir.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void theExampleWithItsCdcAndStreamSourcesParsesListsAndCompilesOnTheShortClassPath(@TempDir Path tmp) throws Exception {
    String cp = shortClassPath();
    // none of the jars only CDC needs
    assertThat(cp).doesNotContain("debezium").doesNotContain("connect-runtime").doesNotContain("jetty-server");
    TestProject p = TestProject.copyOf(TestProject.repoRoot().resolve("examples").resolve("coffee_shop"), tmp);

    run(cp, p.dir, "parse", "--no-parse-cache");
    assertThat(p.json("target/manifest.json").path("sources").has("source.coffee_shop.shop_db.menu_prices")).isTrue(); // from cdc/
    assertThat(p.json("target/manifest.json").path("sources").has("source.coffee_shop.streams.order_events")).isTrue(); // from streams/
    assertThat(run(cp, p.dir, "ls", "--resource-type", "source"))
        .contains("source:coffee_shop.shop_db.menu_prices").contains("source:coffee_shop.streams.order_events");
    run(cp, p.dir, "compile");
    assertThat(p.dir.resolve("target/compiled/coffee_shop/models")).isDirectory();
  }
}
