package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.orchestrate.store.PipelineRun;
import dev.weir.orchestrate.store.MetadataStore;
import dev.weir.orchestrate.store.PostgresStore;
import dev.weir.orchestrate.store.SqliteStore;
import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code weir scheduler} as real child processes ({@code java -cp <test class path> dev.weir.cli.Main scheduler}) on one
 * SQLite store: killed with SIGKILL mid-run and restarted, frozen with SIGSTOP past its lease while a second scheduler
 * takes over, stopped with SIGTERM; plus {@code weir backfill} and {@code weir runs clear} through the CLI.
 */
class SchedulerE2ETest {
  @TempDir
  Path dir;
  /** The PostgreSQL metadata store's URL when a test runs on it (schedulers get it as WEIR_METADATA_STORE), else null: SQLite. */
  String pgUrl;

  /** Switches this test to a PostgreSQL metadata store (its own schema on the shared server) when {@code kind} says so. */
  private void useStore(String kind) {
    if (kind.equals("postgres")) {
      pgUrl = "jdbc:postgresql://localhost:" + SharedPostgres.get().getPort() + "/postgres?user=postgres&currentSchema=sched_"
          + Long.toHexString(System.nanoTime());
    }
  }

  private final List<Process> children = new ArrayList<>();

  @AfterEach
  void killChildren() throws InterruptedException {
    for (Process c : children) {
      List<ProcessHandle> tree = c.descendants().toList();
      c.destroyForcibly();
      for (ProcessHandle h : tree) h.destroyForcibly();
      c.waitFor(20, TimeUnit.SECONDS);
    }
  }

  /** A scheduler child process and what it printed so far. */
  record Child(Process process, Path log) {
    /** What it printed so far. */
    String out() {
      try {
        return Files.readString(log);
      } catch (IOException e) {
        return "";
      }
    }

    void signal(String sig) throws Exception {
      new ProcessBuilder("kill", "-" + sig, String.valueOf(process.pid())).inheritIO().start().waitFor();
    }
  }

  private Child scheduler(Map<String, String> env, String... extra) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        TestProject.childTmp(dir), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "dev.weir.cli.Main",
        "scheduler", "--project-dir", dir.toString(), "--lease-ttl", "2s", "--reload-interval", "500ms"));
    cmd.addAll(List.of(extra));
    Path log = Files.createTempFile(dir, "scheduler-", ".out");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).directory(dir.toFile());
    pb.environment().putAll(env);
    if (pgUrl != null) pb.environment().put("WEIR_METADATA_STORE", pgUrl);
    pb.environment().put("NO_COLOR", "1");
    Process p = pb.start();
    children.add(p);
    return new Child(p, log);
  }

  private static boolean await(BooleanSupplier cond, long seconds) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      if (cond.getAsBoolean()) return true;
      Thread.sleep(50);
    }
    return cond.getAsBoolean();
  }

  private List<String> trace() {
    try {
      Path f = dir.resolve("trace.txt");
      return Files.exists(f) ? Files.readAllLines(f) : List.of();
    } catch (IOException e) {
      return List.of();
    }
  }

  private void write(String rel, String text) throws IOException {
    Path f = dir.resolve(rel);
    Files.createDirectories(f.getParent());
    Files.writeString(f, text);
  }

  /** A schedule every minute with exactly {@code n} intervals, all already due. */
  private static String everyMinute(int n) {
    Instant start = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(n + 1, ChronoUnit.MINUTES);
    return "schedule: {cron: \"* * * * *\", catchup: true, start_date: \"" + start + "\", end_date: \"" + start.plus(n - 1, ChronoUnit.MINUTES) + "\"}\n";
  }

  private MetadataStore store() {
    return pgUrl != null ? new PostgresStore(pgUrl, null, null) : new SqliteStore(dir.resolve("target/weir_meta.sqlite"));
  }

  private List<PipelineRun> runs(String pipeline) {
    try (MetadataStore s = store()) {
      return s.keyedRuns(pipeline);
    }
  }

  private List<String> tries(long runId, String step) {
    try (MetadataStore s = store()) {
      return s.steps(runId).stream().filter(r -> r.step().equals(step))
          .map(r -> r.tryNumber() + " " + r.state().dbName() + (r.error() == null ? "" : " " + r.error())).toList();
    }
  }

  private static long count(List<String> lines, String line) { return lines.stream().filter(line::equals).count(); }

  @Test
  void afterSigkillARestartedSchedulerRerunsNoFinishedStepAndRetriesTheInterruptedOne() throws Exception {
    write("pipelines/chain.yml", everyMinute(2) + """
        retries: 1
        retry_delay: 100ms
        steps:
          - name: s1
            shell: 'echo "s1 $WEIR_LOGICAL_DATE" >> trace.txt'
          - name: s2
            depends_on: [s1]
            shell: 'echo "s2 $WEIR_LOGICAL_DATE" >> trace.txt; sleep $SLEEP'
          - name: s3
            depends_on: [s2]
            shell: 'echo "s3 $WEIR_LOGICAL_DATE" >> trace.txt'
        """);
    Child a = scheduler(Map.of("SLEEP", "30"));
    assertThat(await(() -> trace().stream().anyMatch(l -> l.startsWith("s2 ")), 30)).as(a.out()).isTrue();
    Thread.sleep(200);
    List<ProcessHandle> orphans = a.process().descendants().toList();
    a.process().destroyForcibly(); // SIGKILL: no shutdown hook, no last write
    a.process().waitFor(10, TimeUnit.SECONDS);
    orphans.forEach(ProcessHandle::destroyForcibly);
    assertThat(runs("chain")).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(State.RUNNING));

    Child b = scheduler(Map.of("SLEEP", "0"));
    assertThat(await(() -> runs("chain").size() == 2 && runs("chain").stream().allMatch(r -> r.state() == State.SUCCESS), 40))
        .as(b.out()).isTrue();
    assertThat(b.out()).contains("resuming run 1 of chain");
    List<String> t = trace();
    String first = runs("chain").get(0).logicalDate().toString();
    String second = runs("chain").get(1).logicalDate().toString();
    assertThat(count(t, "s1 " + first)).as("s1 had finished before the kill: not rerun").isEqualTo(1);
    assertThat(count(t, "s2 " + first)).as("s2 was interrupted: retried once").isEqualTo(2);
    assertThat(count(t, "s3 " + first)).isEqualTo(1);
    assertThat(t).containsOnlyOnce("s1 " + second, "s2 " + second, "s3 " + second);
    long run1 = runs("chain").get(0).id();
    assertThat(tries(run1, "s1")).containsExactly("1 success");
    assertThat(tries(run1, "s2")).hasSize(2).first().asString().startsWith("1 up_for_retry interrupted");
    assertThat(tries(run1, "s2").get(1)).isEqualTo("2 success");
  }

  @ParameterizedTest(name = "{0} store")
  @ValueSource(strings = {"sqlite", "postgres"})
  void aSchedulerFrozenPastItsLeaseNeitherRunsNorRecordsTheIntervalAfterAnotherTookItOver(String storeKind) throws Exception {
    useStore(storeKind);
    write("pipelines/once.yml", everyMinute(1) + """
        retries: 1
        retry_delay: 100ms
        steps:
          - name: s1
            shell: 'echo "s1 $WHO" >> trace.txt; sleep 2'
          - name: s2
            depends_on: [s1]
            shell: 'echo "s2 $WHO" >> trace.txt'
          - name: s3
            depends_on: [s2]
            shell: 'echo "s3 $WHO" >> trace.txt'
        """);
    Child a = scheduler(Map.of("WHO", "A"));
    assertThat(await(() -> trace().contains("s1 A"), 30)).as(a.out()).isTrue();
    a.signal("STOP");
    try {
      Child b = scheduler(Map.of("WHO", "B"));
      assertThat(await(() -> runs("once").size() == 1 && runs("once").get(0).state() == State.SUCCESS, 40)).as(b.out()).isTrue();
      assertThat(b.out()).contains("resuming run 1 of once");
    } finally {
      a.signal("CONT");
    }
    // A wakes up: its step s1 has ended meanwhile, its lease is gone: its writes are rejected and it lets the run go
    assertThat(await(() -> a.out().contains("RUN LOST") || a.out().contains("lost the lease"), 15))
        .as(a.out()).isTrue();
    Thread.sleep(1500);
    assertThat(trace()).containsExactly("s1 A", "s1 B", "s2 B", "s3 B");
    List<PipelineRun> r = runs("once");
    assertThat(r).singleElement().satisfies(x -> assertThat(x.state()).isEqualTo(State.SUCCESS));
    assertThat(tries(r.get(0).id(), "s1")).hasSize(2).first().asString().startsWith("1 up_for_retry interrupted");
    assertThat(tries(r.get(0).id(), "s2")).containsExactly("1 success");
    assertThat(a.process().isAlive()).as("A goes on as a scheduler").isTrue();
  }

  @Test
  void sigtermLetsRunningStepsFinishUntilTheDrainTimeoutThenStopsAndMarksTheRestForRetry() throws Exception {
    write("pipelines/drain.yml", everyMinute(1) + """
        steps:
          - name: short
            shell: 'echo short-start >> trace.txt; sleep 1; echo short-end >> trace.txt'
          - name: long
            shell: 'echo long-start >> trace.txt; sleep $LONG; echo long-end >> trace.txt'
          - name: after
            depends_on: [short]
            shell: 'echo after >> trace.txt'
        """);
    Child a = scheduler(Map.of("LONG", "60"), "--drain-timeout", "3s");
    assertThat(await(() -> trace().contains("short-start") && trace().contains("long-start"), 30)).as(a.out()).isTrue();
    long t0 = System.nanoTime();
    a.process().destroy(); // SIGTERM
    assertThat(a.process().waitFor(15, TimeUnit.SECONDS)).as(a.out()).isTrue();
    double took = (System.nanoTime() - t0) / 1e9;
        assertThat(took).isBetween(2.5, 12.0);
    assertThat(a.out()).as("exit " + a.process().exitValue() + " " + trace()).contains("stopping: no new steps start").contains("marked up_for_retry");
    assertThat(trace()).contains("short-end").doesNotContain("after", "long-end");
    long id = runs("drain").get(0).id();
    assertThat(runs("drain").get(0).state()).isEqualTo(State.RUNNING);
    assertThat(tries(id, "short")).containsExactly("1 success");
    assertThat(tries(id, "long")).singleElement().asString().startsWith("1 up_for_retry stopped by a graceful stop");
    assertThat(tries(id, "after")).containsExactly("1 queued");

    Child b = scheduler(Map.of("LONG", "0"));
    assertThat(await(() -> runs("drain").get(0).state() == State.SUCCESS, 30)).as(b.out()).isTrue();
    assertThat(count(trace(), "short-start")).isEqualTo(1);
    assertThat(tries(id, "long")).hasSize(2).last().isEqualTo("2 success");
    assertThat(trace()).contains("after");
  }

  @Test
  void backfillAndRunsClearThroughTheCli() throws Exception {
    write("pipelines/daily.yml", """
        schedule: {cron: "@daily", start_date: 2024-01-01}
        steps:
          - name: a
            shell: 'echo "a $WEIR_DS" >> trace.txt'
          - name: b
            depends_on: [a]
            shell: 'echo "b $WEIR_DS" >> trace.txt; test "$WEIR_DS" != 2024-01-02 || test -f fixed'
        """);
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("NO_COLOR", "1");
    String d = dir.toString();
    TestProject.Result r1 = TestProject.runRaw(env, "backfill", "daily", "--from", "2024-01-01", "--to", "2024-01-03", "--project-dir", d);
    assertThat(r1.exitCode()).as(r1.toString()).isEqualTo(1);
    assertThat(r1.out()).contains("3 interval(s)").contains("2 succeeded, 1 failed, 0 skipped");
    TestProject.Result r2 = TestProject.runRaw(env, "backfill", "daily", "--from", "2024-01-01", "--to", "2024-01-03", "--project-dir", d);
    assertThat(r2.out()).as(r2.toString()).contains("0 succeeded, 0 failed, 3 skipped").contains("use --rerun-failed");
    assertThat(trace()).hasSize(6);
    Files.writeString(dir.resolve("fixed"), "");
    TestProject.Result r3 = TestProject.runRaw(env, "backfill", "daily", "--from", "2024-01-01", "--to", "2024-01-03", "--rerun-failed",
        "--order", "parallel", "--project-dir", d);
    assertThat(r3.exitCode()).as(r3.toString()).isZero();
    assertThat(r3.out()).contains("1 succeeded, 0 failed, 2 skipped");
    assertThat(trace()).hasSize(7).endsWith("b 2024-01-02");

    long day1 = runs("daily").get(0).id();
    TestProject.Result c = TestProject.runRaw(env, "runs", "clear", String.valueOf(day1), "--step", "a", "--project-dir", d);
    assertThat(c.exitCode()).as(c.toString()).isZero();
    assertThat(c.out()).contains("Cleared in run " + day1 + " of daily: a, b");
    assertThat(trace()).hasSize(9).endsWith("a 2024-01-01", "b 2024-01-01");
    assertThat(tries(day1, "a")).containsExactly("1 success", "2 success");
    TestProject.Result bad = TestProject.runRaw(env, "runs", "clear", String.valueOf(day1), "--step", "x", "--project-dir", d);
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("has no step 'x'");
  }
}
