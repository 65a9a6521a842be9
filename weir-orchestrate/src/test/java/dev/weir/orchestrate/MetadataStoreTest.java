package dev.weir.orchestrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.orchestrate.exec.PipelineExecutor;
import dev.weir.orchestrate.exec.RunListener;
import dev.weir.orchestrate.exec.RunRequest;
import dev.weir.orchestrate.store.Fence;
import dev.weir.orchestrate.store.JdbcStore;
import dev.weir.orchestrate.store.PipelineRun;
import dev.weir.orchestrate.store.PostgresStore;
import dev.weir.orchestrate.store.SqliteStore;
import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The metadata store's contract on both stores: an SQLite file, and a real PostgreSQL 17 (zonky's embedded server,
 * one per class; each test in its own schema). Runs and tries survive reopening, a scheduled interval is recorded once,
 * a taken-over lease fences its old holder off, sent alerts are recorded once, and concurrent schedulers on separate
 * connections never both take a lease.
 */
class MetadataStoreTest {
  enum Kind { SQLITE, POSTGRES }

  static EmbeddedPostgres pg;
  static final AtomicInteger SEQ = new AtomicInteger();

  @TempDir
  Path dir;

  static synchronized EmbeddedPostgres pg() throws IOException {
    if (pg == null) {
      Path work = Path.of("target", "embedded-pg").toAbsolutePath();
      Files.createDirectories(work);
      pg = EmbeddedPostgres.builder().setOverrideWorkingDirectory(work.toFile())
          .setDataDirectory(work.resolve("data-" + ProcessHandle.current().pid())).setCleanDataDirectory(true).start();
    }
    return pg;
  }

  @AfterAll
  static void stop() throws IOException {
    if (pg != null) pg.close();
    pg = null;
  }

  /** Opens the store of this test (the same one each time: the same file, or the same schema). */
  final class Stores {
    final Kind kind;
    final String schema = "meta_" + SEQ.incrementAndGet();

    Stores(Kind kind) { this.kind = kind; }

    JdbcStore open() throws IOException {
      if (kind == Kind.SQLITE) return new SqliteStore(dir.resolve("target/weir_meta.sqlite"));
      return new PostgresStore(url(), "postgres", null);
    }

    String url() throws IOException { return "jdbc:postgresql://localhost:" + pg().getPort() + "/postgres?currentSchema=" + schema; }

    Connection raw() throws Exception {
      if (kind == Kind.SQLITE) return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("target/weir_meta.sqlite"));
      return DriverManager.getConnection(url(), "postgres", "");
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void runsAndStepTriesSurviveClosingAndReopening(Kind kind) throws Exception {
    Stores stores = new Stores(kind);
    Instant s = Instant.parse("2024-01-01T00:00:00Z");
    Instant e = Instant.parse("2024-01-02T00:00:00Z");
    long id;
    try (JdbcStore store = stores.open()) {
      id = store.createRun("daily", s, e, s, Map.of("region", "eu", "limit", 5), "manual", null, null, List.of("extract", "load", "report"));
      store.updateRun(id, State.RUNNING, Instant.parse("2024-01-02T00:00:01Z"), null);
      store.putStep(new StepRun(id, "load", 1, State.UP_FOR_RETRY, Instant.parse("2024-01-02T00:00:01Z"),
          Instant.parse("2024-01-02T00:00:02.5Z"), 3, "exit code 3", "target/runs/1/load/1.log"));
      store.putStep(new StepRun(id, "load", 2, State.SUCCESS, Instant.parse("2024-01-02T00:00:03Z"),
          Instant.parse("2024-01-02T00:00:04Z"), 0, null, "target/runs/1/load/2.log"));
      store.putStep(new StepRun(id, "extract", 1, State.SUCCESS, Instant.parse("2024-01-02T00:00:00Z"),
          Instant.parse("2024-01-02T00:00:01Z"), 0, null, "target/runs/1/extract/1.log"));
      store.updateRun(id, State.SUCCESS, null, Instant.parse("2024-01-02T00:00:05Z"));
      store.createRun("other", null, null, s, Map.of(), "manual", null, null, List.of("x"));
    }
    try (JdbcStore store = stores.open()) {
      PipelineRun r = store.run(id).orElseThrow();
      assertThat(r.pipeline()).isEqualTo("daily");
      assertThat(r.intervalStart()).isEqualTo(s);
      assertThat(r.intervalEnd()).isEqualTo(e);
      assertThat(r.params()).containsEntry("region", "eu").containsEntry("limit", 5);
      assertThat(r.state()).isEqualTo(State.SUCCESS);
      assertThat(r.startedAt()).isEqualTo(Instant.parse("2024-01-02T00:00:01Z"));
      assertThat(r.endedAt()).isEqualTo(Instant.parse("2024-01-02T00:00:05Z"));
      List<StepRun> steps = store.steps(id);
      // Declaration order, then tries; report never ran and is still queued.
      assertThat(steps).extracting(x -> x.step() + "#" + x.tryNumber() + ":" + x.state().dbName())
          .containsExactly("extract#1:success", "load#1:up_for_retry", "load#2:success", "report#1:queued");
      assertThat(steps.get(1).exitCode()).isEqualTo(3);
      assertThat(steps.get(1).error()).isEqualTo("exit code 3");
      assertThat(steps.get(1).seconds()).isEqualTo(1.5);
      assertThat(steps.get(2).logPath()).isEqualTo("target/runs/1/load/2.log");
      assertThat(store.runs(null, 10)).extracting(PipelineRun::pipeline).containsExactly("other", "daily");
      assertThat(store.runs("daily", 10)).hasSize(1);
      assertThat(store.run(999)).isEmpty();
    }
    // The schema is versioned: Flyway recorded every migration.
    try (Connection c = stores.raw();
         ResultSet rs = c.createStatement().executeQuery("select version from flyway_schema_history where version is not null and success order by installed_rank")) {
      List<String> versions = new ArrayList<>();
      while (rs.next()) versions.add(rs.getString(1));
      assertThat(versions).containsExactly("1", "2", "3", "4");
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aScheduledIntervalIsRecordedOnlyOnceAndAnAlertOnlyOnce(Kind kind) throws Exception {
    try (JdbcStore store = new Stores(kind).open()) {
      Instant s = Instant.parse("2024-01-01T00:00:00Z");
      store.createRun("daily", s, s.plusSeconds(86400), s, Map.of(), "scheduled", "daily@" + s, null, List.of("a"));
      assertThatThrownBy(() -> store.createRun("daily", s, s.plusSeconds(86400), s, Map.of(), "scheduled", "daily@" + s, null, List.of("a")))
          .hasMessageContaining("recording a run of daily");
      assertThat(store.runs("daily", 10)).hasSize(1);
      assertThat(store.markAlertSent("daily", "late", s, s)).isTrue();
      assertThat(store.markAlertSent("daily", "late", s, s.plusSeconds(5))).isFalse();
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aTakenOverLeaseFencesOffTheOldHoldersWrites(Kind kind) throws Exception {
    try (JdbcStore store = new Stores(kind).open()) {
      Instant t0 = Instant.parse("2024-01-01T00:00:00Z");
      Fence a = store.acquireLease("p@x", "A", t0, Duration.ofSeconds(2));
      assertThat(a).isNotNull();
      assertThat(store.acquireLease("p@x", "B", t0.plusSeconds(1), Duration.ofSeconds(2))).isNull();
      long id = store.createRun("p", t0, t0.plusSeconds(60), t0, Map.of(), "scheduled", "p@x", null, List.of("s"), Map.of(), a);
      assertThat(id).isPositive();
      assertThat(store.putStep(new StepRun(id, "s", 1, State.RUNNING, t0, null, null, null, null), a)).isTrue();
      Fence b = store.acquireLease("p@x", "B", t0.plusSeconds(3), Duration.ofSeconds(2));
      assertThat(b.token()).isGreaterThan(a.token());
      assertThat(store.renewLease(a, "A", t0.plusSeconds(3), Duration.ofSeconds(2))).isFalse();
      assertThat(store.putStep(new StepRun(id, "s", 1, State.SUCCESS, t0, t0, 0, null, null), a)).isFalse();
      assertThat(store.updateRun(id, State.SUCCESS, null, t0, a)).isFalse();
      assertThat(store.createRun("p", t0, t0, t0, Map.of(), "scheduled", "p@y", null, List.of("s"), Map.of(), a)).isEqualTo(-1);
      assertThat(store.steps(id)).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(State.RUNNING));
      assertThat(store.putStep(new StepRun(id, "s", 1, State.SUCCESS, t0, t0, 0, null, null), b)).isTrue();
      store.releaseLease(b, "B");
      Fence c = store.acquireLease("p@x", "C", t0.plusSeconds(3), Duration.ofSeconds(2));
      assertThat(c.token()).isGreaterThan(b.token());
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void schedulersRacingOnSeparateConnectionsNeverBothTakeALease(Kind kind) throws Exception {
    Stores stores = new Stores(kind);
    int resources = 40;
    Map<String, String> winners = new ConcurrentHashMap<>();
    AtomicInteger wins = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    List<JdbcStore> opened = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    Instant now = Instant.now();
    for (String owner : List.of("A", "B", "C")) {
      JdbcStore store = stores.open();
      opened.add(store);
      threads.add(new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < resources; i++) {
          if (store.acquireLease("r" + i, owner, now, Duration.ofMinutes(1)) != null) {
            wins.incrementAndGet();
            winners.merge("r" + i, owner, (x, y) -> x + "+" + y);
          }
        }
      }));
    }
    threads.forEach(Thread::start);
    go.countDown();
    for (Thread t : threads) t.join();
    opened.forEach(JdbcStore::close);
    assertThat(wins.get()).isEqualTo(resources);
    assertThat(winners).hasSize(resources).allSatisfy((r, w) -> assertThat(w).hasSize(1));
  }

  @Test
  void aPipelineRunsAndResumesOnThePostgresStore() throws Exception {
    Stores stores = new Stores(Kind.POSTGRES);
    Files.createDirectories(dir.resolve("pipelines"));
    Files.writeString(dir.resolve("pipelines/p.yml"), """
        steps:
          - {name: a, shell: "echo a >> out"}
          - {name: b, depends_on: [a], shell: "echo b >> out"}
        """);
    Map<String, Pipeline> all = PipelineLoader.load(dir);
    long id;
    try (JdbcStore store = stores.open(); PipelineExecutor ex = new PipelineExecutor(store, dir, all, null)) {
      Pipeline p = all.get("p");
      PipelineExecutor.Result r = ex.run(p, RunRequest.manual(p, Instant.parse("2024-03-01T00:00:00Z"), Map.of(), Instant.now()), RunListener.NONE);
      assertThat(r.state()).isEqualTo(State.SUCCESS);
      id = r.runId();
    }
    assertThat(Files.readAllLines(dir.resolve("out"))).containsExactly("a", "b");
    try (JdbcStore store = stores.open()) {
      assertThat(store.steps(id)).extracting(x -> x.step() + ":" + x.state().dbName()).containsExactly("a:success", "b:success");
    }
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aPoolsSlotsAreSharedByProcessesOnTheSameStore(Kind kind) throws Exception {
    Stores stores = new Stores(kind);
    Files.createDirectories(dir.resolve("pipelines"));
    Files.writeString(dir.resolve("pipelines/pools.yml"), "pools:\n  source_db: 2\n");
    StringBuilder y = new StringBuilder("max_parallel: 10\nsteps:\n");
    for (int i = 0; i < 4; i++) y.append("  - {name: q").append(i).append(", pool: source_db, shell: '").append(SchedulerTest.timed("spans", "0.4")).append("'}\n");
    Files.writeString(dir.resolve("pipelines/load.yml"), y.toString());
    Map<String, Pipeline> all = PipelineLoader.load(dir);
    Pipeline p = all.get("load");
    // two executors on two connections: two schedulers' worth of processes sharing the store
    try (JdbcStore s1 = stores.open(); JdbcStore s2 = stores.open();
         PipelineExecutor e1 = new PipelineExecutor(s1, dir, all, null); PipelineExecutor e2 = new PipelineExecutor(s2, dir, all, null)) {
      e1.setPools(Map.of("source_db", 2));
      e2.setPools(Map.of("source_db", 2));
      PipelineExecutor.Handle h1 = e1.start(p, RunRequest.manual(p, Instant.parse("2024-03-01T00:00:00Z"), Map.of(), Instant.now()), null, RunListener.NONE);
      PipelineExecutor.Handle h2 = e2.start(p, RunRequest.manual(p, Instant.parse("2024-03-02T00:00:00Z"), Map.of(), Instant.now()), null, RunListener.NONE);
      assertThat(h1.done().get(60, java.util.concurrent.TimeUnit.SECONDS).state()).isEqualTo(State.SUCCESS);
      assertThat(h2.done().get(60, java.util.concurrent.TimeUnit.SECONDS).state()).isEqualTo(State.SUCCESS);
    }
    assertThat(Files.readAllLines(dir.resolve("spans")).stream().filter(l -> l.startsWith("start"))).hasSize(8);
    assertThat(SchedulerTest.maxOverlap(dir.resolve("spans"))).as("8 steps, 2 slots across both processes").isEqualTo(2);
    try (Connection c = stores.raw(); ResultSet rs = c.createStatement().executeQuery("select count(*) from pool_slots")) {
      rs.next();
      assertThat(rs.getInt(1)).as("every slot given back").isZero();
    }
  }
}
