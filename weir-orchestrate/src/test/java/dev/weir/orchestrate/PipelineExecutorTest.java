package dev.weir.orchestrate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.orchestrate.exec.PipelineExecutor;
import dev.weir.orchestrate.exec.RunListener;
import dev.weir.orchestrate.exec.RunRequest;
import dev.weir.orchestrate.store.PipelineRun;
import dev.weir.orchestrate.store.SqliteStore;
import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs with real shell steps (real child processes) recorded in a real SQLite file. */
class PipelineExecutorTest {
  @TempDir
  Path dir;
  SqliteStore store;

  @BeforeEach
  void open() { store = new SqliteStore(dir.resolve("target/weir_meta.sqlite")); }

  @AfterEach
  void close() { store.close(); }

  PipelineExecutor.Result run(String name, String yaml, Map<String, Object> params, Instant logicalDate) throws Exception {
    Files.createDirectories(dir.resolve("pipelines"));
    Files.writeString(dir.resolve("pipelines/" + name + ".yml"), yaml);
    Map<String, Pipeline> all = PipelineLoader.load(dir);
    try (PipelineExecutor ex = new PipelineExecutor(store, dir, all, null)) {
      Pipeline p = all.get(name);
      return ex.run(p, RunRequest.manual(p, logicalDate, params, Instant.now()), RunListener.NONE);
    }
  }

  String tries(long runId) {
    return store.steps(runId).stream().map(s -> s.step() + "#" + s.tryNumber() + ":" + s.state().dbName()).collect(Collectors.joining(" "));
  }

  @Test
  void aFailingStepIsRetriedAndSucceedsOnItsThirdTry() throws Exception {
    PipelineExecutor.Result r = run("flaky", """
        retries: 3
        retry_delay: 100ms
        retry_backoff: true
        steps:
          - name: flaky
            shell: |
              n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count
              echo "this is try $n"
              [ "$n" -ge 3 ] || exit 7
          - name: after
            depends_on: [flaky]
            shell: "echo after >> order"
        """, Map.of(), null);
    assertThat(r.state()).isEqualTo(State.SUCCESS);
    assertThat(Files.readString(dir.resolve("count")).trim()).isEqualTo("3");
    assertThat(tries(r.runId())).isEqualTo("flaky#1:up_for_retry flaky#2:up_for_retry flaky#3:success after#1:success");
    List<StepRun> steps = store.steps(r.runId());
    assertThat(steps.get(0).exitCode()).isEqualTo(7);
    assertThat(steps.get(0).error()).isEqualTo("exit code 7");
    // Each try has its own log, under target/runs/<run>/<step>/<try>.log.
    for (int i = 1; i <= 3; i++) {
      Path log = dir.resolve("target/runs/" + r.runId() + "/flaky/" + i + ".log");
      assertThat(steps.get(i - 1).logPath()).isEqualTo("target/runs/" + r.runId() + "/flaky/" + i + ".log");
      assertThat(Files.readString(log)).contains("this is try " + i);
    }
    // The second try waited at least the (jittered) delay after the first.
    assertThat(Duration.between(steps.get(0).endedAt(), steps.get(1).startedAt()).toMillis()).isGreaterThanOrEqualTo(70);
    assertThat(Files.readString(dir.resolve("order"))).isEqualTo("after\n");
    assertThat(store.run(r.runId()).orElseThrow().state()).isEqualTo(State.SUCCESS);
  }

  @Test
  void aTimeoutKillsTheStepsWholeProcessTree() throws Exception {
    long t0 = System.nanoTime();
    PipelineExecutor.Result r = run("slow", """
        steps:
          - name: slow
            timeout: 1s
            shell: "sleep 30 & echo $! > sleep.pid; wait"
          - name: never
            depends_on: [slow]
            shell: "touch never-ran"
        """, Map.of(), null);
    double secs = (System.nanoTime() - t0) / 1e9;
    assertThat(r.state()).isEqualTo(State.FAILED);
    assertThat(secs).isLessThan(8);
    StepRun slow = store.steps(r.runId()).get(0);
    assertThat(slow.state()).isEqualTo(State.FAILED);
    assertThat(slow.error()).isEqualTo("timed out after 1s");
    assertThat(tries(r.runId())).isEqualTo("slow#1:failed never#1:upstream_failed");
    assertThat(dir.resolve("never-ran")).doesNotExist();
    long pid = Long.parseLong(Files.readString(dir.resolve("sleep.pid")).trim());
    // The grandchild `sleep 30` is gone (not merely orphaned), within the kill grace period.
    long deadline = System.nanoTime() + 4_000_000_000L;
    while (running(pid) && System.nanoTime() < deadline) Thread.sleep(50);
    assertThat(running(pid)).as("sleep process " + pid + " still running").isFalse();
  }

  /** Alive and not a zombie waiting to be reaped. */
  static boolean running(long pid) throws IOException {
    Path stat = Path.of("/proc/" + pid + "/stat");
    if (!Files.exists(stat)) return false;
    String s;
    try {
      s = Files.readString(stat);
    } catch (IOException e) {
      return false;
    }
    String state = s.substring(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
    return !state.equals("Z") && !state.equals("X");
  }

  @Test
  void stepsRunAfterTheirDependenciesAndAFailureMarksEveryDescendantUpstreamFailed() throws Exception {
    PipelineExecutor.Result r = run("diamond", """
        steps:
          - {name: a, shell: "sleep 0.2; echo a >> order"}
          - {name: b, shell: "sleep 0.3; echo b >> order", depends_on: [a]}
          - {name: c, shell: "echo c >> order", depends_on: [a]}
          - {name: d, shell: "echo d >> order", depends_on: [b, c]}
          - {name: f, shell: "echo failing; exit 3"}
          - {name: e, shell: "echo e >> order", depends_on: [f]}
          - {name: g, shell: "echo g >> order", depends_on: [e, a]}
        """, Map.of(), null);
    assertThat(r.state()).isEqualTo(State.FAILED);
    assertThat(Files.readAllLines(dir.resolve("order"))).containsExactly("a", "c", "b", "d");
    assertThat(tries(r.runId())).isEqualTo("a#1:success b#1:success c#1:success d#1:success f#1:failed e#1:upstream_failed g#1:upstream_failed");
    StepRun e = store.steps(r.runId()).get(5);
    assertThat(e.error()).isEqualTo("upstream step 'f' failed");
    assertThat(e.startedAt()).isNull();
    PipelineRun run = store.run(r.runId()).orElseThrow();
    assertThat(run.state()).isEqualTo(State.FAILED);
    assertThat(run.endedAt()).isAfterOrEqualTo(run.startedAt());
  }

  @Test
  void shellStepsSeeTheDataIntervalLogicalDateAndParams() throws Exception {
    PipelineExecutor.Result r = run("env", """
        params: {region: eu}
        schedule: {cron: "0 6 * * *", timezone: America/New_York}
        steps:
          - name: show
            shell: 'echo "$WEIR_DATA_INTERVAL_START|$WEIR_DATA_INTERVAL_END|$WEIR_LOGICAL_DATE|$WEIR_DS|$WEIR_PARAM_REGION" > env.txt'
        """, Map.of("region", "us"), Instant.parse("2024-03-10T15:00:00Z"));
    assertThat(r.state()).isEqualTo(State.SUCCESS);
    // 06:00 New York on 2024-03-10 (the DST day) is 10:00Z; the next day's 06:00 is 10:00Z too (EDT).
    assertThat(Files.readString(dir.resolve("env.txt")).trim())
        .isEqualTo("2024-03-10T10:00:00Z|2024-03-11T10:00:00Z|2024-03-10T10:00:00Z|2024-03-10|us");
    PipelineRun run = store.run(r.runId()).orElseThrow();
    assertThat(run.intervalStart()).isEqualTo(Instant.parse("2024-03-10T10:00:00Z"));
    assertThat(run.params()).containsEntry("region", "us");
    assertThat(run.trigger()).isEqualTo("manual");
  }

  @Test
  void aDependentStepStartsWithinMillisecondsOfItsUpstream() throws Exception {
    StringBuilder y = new StringBuilder("steps:\n  - {name: s0, noop: {}}\n");
    for (int i = 1; i < 100; i++) y.append("  - {name: s").append(i).append(", noop: {}, depends_on: [s").append(i - 1).append("]}\n");
    PipelineExecutor.Result r = run("chain", y.toString(), Map.of(), null);
    assertThat(r.state()).isEqualTo(State.SUCCESS);
    List<StepRun> steps = store.steps(r.runId());
    assertThat(steps).hasSize(100);
    List<Long> gaps = new java.util.ArrayList<>();
    for (int i = 1; i < steps.size(); i++) gaps.add(Duration.between(steps.get(i - 1).endedAt(), steps.get(i).startedAt()).toMillis());
    gaps.sort(null);
    assertThat(gaps.get(gaps.size() / 2)).as("median gap ms").isLessThanOrEqualTo(20);
    assertThat(gaps.get(gaps.size() - 1)).as("largest gap ms").isLessThan(500);
  }

  @Test
  void httpStepsSucceedOnTheExpectedStatusAndFailOtherwise() throws Exception {
    com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    List<String> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    server.createContext("/", ex -> {
      seen.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
      int status = ex.getRequestURI().getPath().equals("/created") ? 201 : 500;
      byte[] body = ("status " + status).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      PipelineExecutor.Result r = run("web", """
          steps:
            - {name: create, http: {url: "%s/created", method: post, expect_status: 201}}
            - {name: broken, http: "%s/broken"}
            - {name: after, noop: {}, depends_on: [broken]}
          """.formatted(base, base), Map.of(), null);
      assertThat(r.state()).isEqualTo(State.FAILED);
      assertThat(tries(r.runId())).isEqualTo("create#1:success broken#1:failed after#1:upstream_failed");
      StepRun broken = store.steps(r.runId()).get(1);
      assertThat(broken.exitCode()).isEqualTo(500);
      assertThat(broken.error()).isEqualTo("HTTP status 500, expected 2xx");
      assertThat(seen).contains("POST /created", "GET /broken");
      assertThat(Files.readString(dir.resolve(broken.logPath()))).contains("status 500");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aPipelineStepRunsTheOtherPipelineAsAChildRun() throws Exception {
    Files.createDirectories(dir.resolve("pipelines"));
    Files.writeString(dir.resolve("pipelines/child.yml"), """
        params: {greeting: hello, unused: x}
        steps:
          - {name: say, shell: 'echo "$WEIR_PARAM_GREETING" > child.txt'}
        """);
    PipelineExecutor.Result r = run("parent", """
        params: {greeting: hi}
        steps:
          - {name: sub, pipeline: child}
          - {name: after, shell: "cat child.txt > after.txt", depends_on: [sub]}
        """, Map.of(), null);
    assertThat(r.state()).isEqualTo(State.SUCCESS);
    assertThat(Files.readString(dir.resolve("after.txt")).trim()).isEqualTo("hi");
    PipelineRun child = store.runs("child", 5).get(0);
    assertThat(child.parentRunId()).isEqualTo(r.runId());
    assertThat(child.trigger()).isEqualTo("pipeline:" + r.runId());
    assertThat(child.state()).isEqualTo(State.SUCCESS);
  }
}
