package dev.weir.orchestrate;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.weir.core.WeirException;
import dev.weir.orchestrate.exec.PipelineExecutor;
import dev.weir.orchestrate.exec.RunListener;
import dev.weir.orchestrate.exec.RunRequest;
import dev.weir.orchestrate.store.SqliteStore;
import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sensor steps against real files, a real HTTP server and real runs in a real SQLite store. */
class SensorsTest {
  @TempDir
  Path dir;
  SqliteStore store;
  final List<String> waiting = new CopyOnWriteArrayList<>();
  final RunListener listener = new RunListener() {
    @Override
    public void stepWaiting(long runId, String step, String why) { waiting.add(step + ": " + why); }
  };

  @BeforeEach
  void open() { store = new SqliteStore(dir.resolve("target/weir_meta.sqlite")); }

  @AfterEach
  void close() { store.close(); }

  Map<String, Pipeline> write(String name, String yaml) throws IOException {
    Files.createDirectories(dir.resolve("pipelines"));
    Files.writeString(dir.resolve("pipelines/" + name + ".yml"), yaml);
    return PipelineLoader.load(dir);
  }

  static final Instant DAY = Instant.parse("2024-03-05T00:00:00Z");

  String tries(long runId) {
    return store.steps(runId).stream().map(s -> s.step() + "#" + s.tryNumber() + ":" + s.state().dbName()).collect(Collectors.joining(" "));
  }

  @Test
  void aFileSensorWaitsForTheIntervalsFileThenLetsItsDownstreamRun() throws Exception {
    Map<String, Pipeline> all = write("load", """
        steps:
          - name: wait_file
            sensor:
              file: "landing/{{ ds }}/orders_*.csv"
              poke_interval: 100ms
              timeout: 30s
          - name: load
            depends_on: [wait_file]
            shell: "cat landing/$WEIR_DS/orders_*.csv > loaded.csv"
        """);
    try (PipelineExecutor ex = new PipelineExecutor(store, dir, all, null)) {
      Pipeline p = all.get("load");
      PipelineExecutor.Handle h = ex.start(p, RunRequest.manual(p, DAY, Map.of(), Instant.now()), null, listener);
      Thread.sleep(700);
      assertThat(h.done()).isNotDone();
      assertThat(dir.resolve("loaded.csv")).doesNotExist();
      // another day's file does not count
      Files.createDirectories(dir.resolve("landing/2024-03-04"));
      Files.writeString(dir.resolve("landing/2024-03-04/orders_1.csv"), "old\n");
      Thread.sleep(300);
      assertThat(h.done()).isNotDone();
      Files.createDirectories(dir.resolve("landing/2024-03-05"));
      Files.writeString(dir.resolve("landing/2024-03-05/orders_1.csv"), "id\n1\n");
      PipelineExecutor.Result r = h.done().get(10, TimeUnit.SECONDS);
      assertThat(r.state()).isEqualTo(State.SUCCESS);
      assertThat(Files.readString(dir.resolve("loaded.csv"))).isEqualTo("id\n1\n");
      assertThat(tries(r.runId())).isEqualTo("wait_file#1:success load#1:success");
      assertThat(waiting).singleElement().asString()
          .startsWith("wait_file: sensor waiting: no file matches landing/2024-03-05/orders_*.csv (poke every 0.1s, timeout 30s)");
      String log = Files.readString(dir.resolve(store.steps(r.runId()).get(0).logPath()));
      assertThat(log).contains("poke 1: no file matches landing/2024-03-05/orders_*.csv")
          .contains("condition met").contains("found landing/2024-03-05/orders_1.csv");
      // the log records changes only, not every poke
      assertThat(log.lines().count()).isLessThan(4);
    }
  }

  @Test
  void aSensorThatTimesOutFailsItsTryAndItsDownstreamIsNotRun() throws Exception {
    Map<String, Pipeline> all = write("late", """
        steps:
          - {name: wait, sensor: {file: "never/*.csv", poke_interval: 200ms, timeout: 700ms}}
          - {name: after, depends_on: [wait], shell: "touch after-ran"}
        """);
    long t0 = System.nanoTime();
    try (PipelineExecutor ex = new PipelineExecutor(store, dir, all, null)) {
      Pipeline p = all.get("late");
      PipelineExecutor.Result r = ex.run(p, RunRequest.manual(p, DAY, Map.of(), Instant.now()), RunListener.NONE);
      double secs = (System.nanoTime() - t0) / 1e9;
      assertThat(r.state()).isEqualTo(State.FAILED);
      assertThat(secs).isBetween(0.6, 5.0);
      StepRun wait = store.steps(r.runId()).get(0);
      assertThat(wait.error()).startsWith("sensor timed out after 0.7s (").contains("last: no file matches never/*.csv");
      assertThat(tries(r.runId())).isEqualTo("wait#1:failed after#1:upstream_failed");
      assertThat(dir.resolve("after-ran")).doesNotExist();
    }
  }

  @Test
  void waitingSensorsHoldNoThread() throws Exception {
    StringBuilder y = new StringBuilder("max_parallel: 1000\nsteps:\n");
    int n = 300;
    for (int i = 0; i < n; i++) y.append("  - {name: s").append(i).append(", sensor: {file: \"flag/go\", poke_interval: 150ms}}\n");
    Map<String, Pipeline> all = write("many", y.toString());
    try (PipelineExecutor ex = new PipelineExecutor(store, dir, all, null)) {
      Pipeline p = all.get("many");
      int before = Thread.activeCount();
      PipelineExecutor.Handle h = ex.start(p, RunRequest.manual(p, DAY, Map.of(), Instant.now()), null, listener);
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (waiting.size() < n && System.nanoTime() < deadline) Thread.sleep(50);
      assertThat(waiting).hasSize(n);
      Thread.sleep(600); // several rounds of pokes
      assertThat(h.done()).isNotDone();
      assertThat(ex.running()).isEqualTo(n);
      // 300 sensors waiting at once: the threads are the pool's pokers (a burst may leave some idle), not one per sensor
      long stepThreads = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("weir-step")).count();
      assertThat(Thread.activeCount() - before).isLessThan(n / 3);
      assertThat(stepThreads).isLessThan(n / 3);
      Files.createDirectories(dir.resolve("flag"));
      Files.writeString(dir.resolve("flag/go"), "");
      assertThat(h.done().get(20, TimeUnit.SECONDS).state()).isEqualTo(State.SUCCESS);
    }
  }

  @Test
  void anHttpSensorWaitsForTheStatusAndTheBodyText() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/status", ex -> {
      int c = calls.incrementAndGet();
      int code = c < 3 ? 503 : 200;
      byte[] body = (c < 5 ? "building" : "export ready for " + ex.getRequestURI().getQuery()).getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(code, body.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(body);
      }
    });
    server.start();
    try {
      Map<String, Pipeline> all = write("api", """
          steps:
            - name: wait_api
              sensor:
                http: {url: "http://127.0.0.1:%d/status?day={{ ds }}", expect_status: 200}
                body_contains: ready
                poke_interval: 50ms
          """.formatted(server.getAddress().getPort()));
      try (PipelineExecutor ex = new PipelineExecutor(store, dir, all, null)) {
        Pipeline p = all.get("api");
        PipelineExecutor.Result r = ex.run(p, RunRequest.manual(p, DAY, Map.of(), Instant.now()), RunListener.NONE);
        assertThat(r.state()).isEqualTo(State.SUCCESS);
        assertThat(calls.get()).isEqualTo(5);
        String log = Files.readString(dir.resolve(store.steps(r.runId()).get(0).logPath()));
        assertThat(log).contains("status 503").contains("status 200, body lacks 'ready'")
            .contains("status 200, body contains 'ready': condition met");
      }
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aPipelineSensorWaitsUntilEveryIntervalOfTheOtherPipelineCoveringItsOwnSucceeded() throws Exception {
    write("hourly", """
        schedule: {cron: "@hourly", timezone: UTC}
        steps:
          - {name: load, noop: {}}
        """);
    Map<String, Pipeline> all = write("daily", """
        schedule: {cron: "@daily", timezone: UTC}
        steps:
          - {name: wait_hourly, sensor: {pipeline: hourly, step: load, poke_interval: 100ms, timeout: 30s}}
          - {name: report, depends_on: [wait_hourly], noop: {}}
        """);
    try (PipelineExecutor ex = new PipelineExecutor(store, dir, all, null)) {
      Pipeline daily = all.get("daily");
      Pipeline hourly = all.get("hourly");
      Schedule.Interval day = daily.schedule().intervalFrom(DAY);
      PipelineExecutor.Handle h = ex.start(daily, RunRequest.scheduled(daily, day, "scheduled"), null, listener);
      while (waiting.isEmpty()) Thread.sleep(20);
      Instant t = DAY;
      for (int i = 0; i < 23; i++, t = t.plus(Duration.ofHours(1))) {
        Schedule.Interval iv = hourly.schedule().intervalFrom(t);
        assertThat(ex.run(hourly, RunRequest.scheduled(hourly, iv, "scheduled"), RunListener.NONE).state()).isEqualTo(State.SUCCESS);
      }
      Thread.sleep(500);
      assertThat(h.done()).as("23 of 24 hours done").isNotDone();
      assertThat(waiting).singleElement().asString().contains("step load of pipeline hourly has no run yet for the interval starting 2024-03-05T00:00:00Z");
      ex.run(hourly, RunRequest.scheduled(hourly, hourly.schedule().intervalFrom(t), "scheduled"), RunListener.NONE);
      PipelineExecutor.Result r = h.done().get(10, TimeUnit.SECONDS);
      assertThat(r.state()).isEqualTo(State.SUCCESS);
      assertThat(Files.readString(dir.resolve(store.steps(r.runId()).get(0).logPath())))
          .contains("step load of pipeline hourly succeeded for 24 intervals covering [2024-03-05T00:00:00Z, 2024-03-06T00:00:00Z)");
    }
  }

  @Test
  void aGracefulStopEndsWaitingSensorsAtOnceWithoutUsingATry() throws Exception {
    Map<String, Pipeline> all = write("stop", """
        steps:
          - {name: wait, retries: 0, sensor: {file: "nothing/here", poke_interval: 100ms}}
        """);
    try (PipelineExecutor ex = new PipelineExecutor(store, dir, all, null)) {
      Pipeline p = all.get("stop");
      PipelineExecutor.Handle h = ex.start(p, RunRequest.manual(p, DAY, Map.of(), Instant.now()), null, listener);
      while (waiting.isEmpty()) Thread.sleep(20);
      long t0 = System.nanoTime();
      int stopped = ex.drain(Duration.ofSeconds(30));
      assertThat((System.nanoTime() - t0) / 1e9).as("drain did not wait for the deadline").isLessThan(5);
      assertThat(stopped).isZero();
      assertThat(ex.running()).isZero();
      StepRun w = store.steps(h.runId()).get(0);
      assertThat(w.state()).isEqualTo(State.UP_FOR_RETRY);
      assertThat(w.maxTries()).isEqualTo(2); // the stopped try does not count
    }
  }

  String error(String name, String yaml) throws IOException {
    try {
      write(name, yaml);
      throw new AssertionError("no error for " + name);
    } catch (WeirException e) {
      return e.describe();
    } finally {
      Files.deleteIfExists(dir.resolve("pipelines/" + name + ".yml"));
    }
  }

  @Test
  void sensorMistakesAreReportedWithFileAndLine() throws Exception {
    assertThat(error("a", """
        steps:
          - name: w
            sensor: {file: "x", http: "http://h/"}
        """)).contains("a.yml:3").contains("waits for exactly one of: file, source_freshness, pipeline, http (it has file and http)");
    assertThat(error("b", """
        steps:
          - {name: w, sensor: {pipeline: hourlyy}}
        """)).contains("b.yml:2").contains("waits for pipeline 'hourlyy', which does not exist");
    assertThat(error("c", """
        steps:
          - {name: w, sensor: {source_freshness: orders, poke_intervall: 1s}}
        """)).contains("c.yml:2").contains("Unknown key 'poke_intervall' in sensor").contains("poke_interval");
    assertThat(error("d", """
        steps:
          - {name: w, sensor: {source_freshness: orders}}
        """)).contains("d.yml:2").contains("source_name.table_name, not 'orders'");
  }
}
