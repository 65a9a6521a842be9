package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing lost when a build is killed, and a clear word when two Weir processes want one DuckDB
 * file: real child JVMs ({@code java -cp <this class path> dev.weir.cli.Main build ...}) running
 * a model whose SQL runs for as long as the test wants (a huge cross join), killed with
 * {@link Process#destroyForcibly()}.
 */
class BadInputProcessE2ETest {
  /** Runs until killed: 10^18 rows to count. */
  static final String ENDLESS = "select 42 + 0 * count(*) as answer\nfrom range(1000000000) a, range(1000000000) b\n";

  @TempDir
  static Path built;

  @TempDir
  Path tmp;

  private final List<Process> children = new ArrayList<>();

  @BeforeAll
  static void buildTheGoodProject() {
    BadInputProject p = BadInputProject.write(built);
    p.run("build").noStackTrace();
    p.assertUnchanged();
  }

  @AfterEach
  void killChildren() throws InterruptedException {
    for (Process c : children) {
      c.destroyForcibly();
      c.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** A Weir child process and everything it has printed so far. */
  record Child(Process process, StringBuffer out) {
    long pid() { return process.pid(); }
  }

  private Child start(BadInputProject p, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add(TestProject.childTmp(p.dir));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.weir.cli.Main");
    cmd.addAll(List.of(args));
    cmd.add("--project-dir");
    cmd.add(p.dir.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().putAll(p.env);
    Process proc = pb.start();
    children.add(proc);
    StringBuffer out = new StringBuffer();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l = r.readLine(); l != null; l = r.readLine()) out.append(l).append('\n');
      } catch (IOException e) {
        // the child was killed
      }
    });
    reader.setDaemon(true);
    reader.start();
    return new Child(proc, out);
  }

  private static void await(String what, Supplier<String> output, String fragment, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!output.get().contains(fragment)) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for '" + fragment + "' from " + what + ":\n" + output.get());
      Thread.sleep(50);
    }
  }

  private static void kill(Child c) throws InterruptedException {
    c.process().destroyForcibly();
    assertThat(c.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void killedBuildLeavesTheOldTableAndTheNextBuildSucceeds() throws Exception {
    BadInputProject p = BadInputProject.copyOf(built, tmp.resolve("p")).file("models/slow.sql", ENDLESS);
    Child child = start(p, "build");
    await("the child build", child.out()::toString, "START sql table model main.slow", Duration.ofSeconds(30));
    Thread.sleep(500); // well inside the CREATE TABLE ... AS of the replacement
    assertThat(child.process().isAlive()).as(child.out().toString()).isTrue();
    kill(child);

    p.assertUnchanged();
    assertThat(p.relations()).noneMatch(t -> t.contains("__weir"));

    p.file("models/slow.sql", "select 43 as answer\n");
    BadInputProject.Result r = p.run("build");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    r.noStackTrace();
    p.assertUnchanged(Map.of("select answer from slow", List.of("43")));
    assertThat(p.relations()).noneMatch(t -> t.contains("__weir"));
  }

  @Test
  void secondProcessNamesTheHolderWaitsAndFailsAfterTheLockTimeout() throws Exception {
    BadInputProject p = BadInputProject.copyOf(built, tmp.resolve("p")).file("models/slow.sql", ENDLESS)
        .file("models/customers.sql", "select 1 as id, 'bob' as name\n");
    Child first = start(p, "build");
    await("the first build", first.out()::toString, "START sql table model main.slow", Duration.ofSeconds(30));

    long t0 = System.nanoTime();
    BadInputProject.Result r = p.run("run", "-s", "customers", "--lock-timeout", "2");
    double secs = (System.nanoTime() - t0) / 1e9;
    assertThat(secs).as("waited for the lock").isGreaterThanOrEqualTo(1.9);
    // One notice saying who holds it while waiting, then one error.
    assertThat(r.out()).contains("is in use by PID " + first.pid() + " (weir build").contains("waiting up to 2s");
    r.failsWith(2, "wh.duckdb", "in use by PID " + first.pid() + " (weir build", "was not released within 2s");
    assertThat(first.process().isAlive()).isTrue();
    kill(first);
    // The first build was killed in the middle of slow: customers may have been rebuilt by it, nothing else changed.
    List<String> customers = p.rows("select id, name from customers");
    assertThat(customers).isIn(List.of("1|ann"), List.of("1|bob"));
    p.assertUnchanged(Map.of("select id, name from customers", customers));
  }

  @Test
  void secondProcessWaitsAndSucceedsOnceTheFirstExits() throws Exception {
    BadInputProject p = BadInputProject.copyOf(built, tmp.resolve("p")).file("models/slow.sql", ENDLESS);
    Child first = start(p, "build", "-s", "slow");
    await("the first build", first.out()::toString, "START sql table model main.slow", Duration.ofSeconds(30));

    p.file("models/customers.sql", "select 1 as id, 'cy' as name\n");
    ByteArrayOutputStream live = new ByteArrayOutputStream();
    CompletableFuture<BadInputProject.Result> second =
        CompletableFuture.supplyAsync(() -> p.run(live, "run", "-s", "customers", "--lock-timeout", "60"));
    await("the second run", () -> live.toString(StandardCharsets.UTF_8), "is in use by PID " + first.pid(), Duration.ofSeconds(30));
    assertThat(second).isNotDone();
    kill(first);

    BadInputProject.Result r = second.get(60, TimeUnit.SECONDS);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    r.noStackTrace();
    assertThat(r.out()).contains("waiting up to 60s");
    p.assertUnchanged(Map.of("select id, name from customers", List.of("1|cy")));
  }
}
