package dev.weir.orchestrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.orchestrate.exec.PipelineExecutor;
import dev.weir.orchestrate.exec.RunListener;
import dev.weir.orchestrate.exec.RunRequest;
import dev.weir.orchestrate.sched.Backfill;
import dev.weir.orchestrate.sched.Scheduler;
import dev.weir.orchestrate.store.Fence;
import dev.weir.orchestrate.store.PipelineRun;
import dev.weir.orchestrate.store.SqliteStore;
import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler with a settable clock on real pipeline files, a real SQLite store and real shell steps: catchup,
 * max_active_runs, depends_on_past, pools, leases with fencing, backfill and clearing.
 */
class SchedulerTest {
  @TempDir
  Path dir;

  /** A clock the test moves. */
  static final class MutableClock extends Clock {
    volatile Instant now;

    MutableClock(String t) { now = Instant.parse(t); }

    @Override public ZoneId getZone() { return ZoneOffset.UTC; }

    @Override public Clock withZone(ZoneId zone) { return this; }

    @Override public Instant instant() { return now; }
  }

  private void file(String rel, String text) throws IOException {
    Path f = dir.resolve(rel);
    Files.createDirectories(f.getParent());
    Files.writeString(f, text);
  }

  private SqliteStore store() { return new SqliteStore(dir.resolve("target/weir_meta.sqlite")); }

  private Scheduler scheduler(SqliteStore store, Clock clock) {
    return new Scheduler(dir, store, clock, Scheduler.Options.defaults().withLeaseTtl(Duration.ofSeconds(5)), null, new Scheduler.Listener() {});
  }

  private static List<String> starts(SqliteStore store, String pipeline) {
    List<String> out = new ArrayList<>();
    for (PipelineRun r : store.keyedRuns(pipeline)) out.add(r.intervalStart() + " " + r.state().dbName());
    return out;
  }

  /** A shell command that logs its start and end (nanoseconds) to {@code f}, sleeping in between. */
  static String timed(String f, String sleep) {
    return "echo \"start $(date +%s%N) $WEIR_LOGICAL_DATE\" >> " + f + "; sleep " + sleep + "; echo \"end $(date +%s%N) $WEIR_LOGICAL_DATE\" >> " + f;
  }

  /** The largest number of start..end spans in the file that were open at the same time. */
  static int maxOverlap(Path f) throws IOException {
    List<long[]> ev = new ArrayList<>();
    for (String l : Files.readAllLines(f)) {
      String[] p = l.split(" ");
      ev.add(new long[] {Long.parseLong(p[1]), p[0].equals("start") ? 1 : -1});
    }
    ev.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    int cur = 0;
    int max = 0;
    for (long[] e : ev) {
      cur += (int) e[1];
      max = Math.max(max, cur);
    }
    return max;
  }

  @Test
  void catchupRunsEveryMissedIntervalWithoutCatchupOnlyTheLatestAndNeverOneTwice() throws Exception {
    String body = """
        schedule:
          cron: "0 * * * *"
          catchup: %s
          start_date: 2024-01-01T00:00:00Z
        max_active_runs: 10
        steps:
          - name: a
            noop: {}
        """;
    file("pipelines/on.yml", body.formatted("true"));
    file("pipelines/off.yml", body.formatted("false"));
    MutableClock clock = new MutableClock("2024-01-01T05:30:00Z");
    try (SqliteStore store = store()) {
      try (Scheduler s = scheduler(store, clock)) {
        assertThat(s.runUntil(() -> s.idle() && store.unfinishedRuns().isEmpty() && store.keyedRuns("off").size() == 1, Duration.ofSeconds(20))).isTrue();
        assertThat(starts(store, "on")).containsExactly("2024-01-01T00:00:00Z success", "2024-01-01T01:00:00Z success",
            "2024-01-01T02:00:00Z success", "2024-01-01T03:00:00Z success", "2024-01-01T04:00:00Z success");
        assertThat(starts(store, "off")).containsExactly("2024-01-01T04:00:00Z success");
        clock.now = Instant.parse("2024-01-01T07:10:00Z");
        assertThat(s.runUntil(() -> store.keyedRuns("on").size() == 7 && store.keyedRuns("off").size() == 2
            && store.unfinishedRuns().isEmpty(), Duration.ofSeconds(20))).isTrue();
        assertThat(starts(store, "off")).containsExactly("2024-01-01T04:00:00Z success", "2024-01-01T06:00:00Z success");
      }
      // A new scheduler on the same store (a restart) creates nothing again.
      try (Scheduler s = scheduler(store, clock)) {
        s.runUntil(() -> false, Duration.ofMillis(600));
        assertThat(store.runs(null, 100)).hasSize(9);
      }
    }
  }

  @Test
  void maxActiveRunsLimitsRunsInProgressAtOnce() throws Exception {
    file("pipelines/p.yml", """
        schedule: {cron: "0 * * * *", catchup: true, start_date: 2024-01-01T00:00:00Z}
        max_active_runs: 2
        steps:
          - name: work
            shell: '%s'
        """.formatted(timed("spans.txt", "0.4")));
    MutableClock clock = new MutableClock("2024-01-01T05:00:00Z");
    try (SqliteStore store = store(); Scheduler s = scheduler(store, clock)) {
      assertThat(s.runUntil(() -> store.keyedRuns("p").size() == 5 && store.unfinishedRuns().isEmpty(), Duration.ofSeconds(30))).isTrue();
      assertThat(store.keyedRuns("p")).allMatch(r -> r.state() == State.SUCCESS);
      assertThat(maxOverlap(dir.resolve("spans.txt"))).isEqualTo(2);
    }
  }

  @Test
  void dependsOnPastMakesAStepWaitForTheSameStepOfThePreviousInterval() throws Exception {
    file("pipelines/p.yml", """
        schedule: {cron: "0 * * * *", catchup: true, start_date: 2024-01-01T00:00:00Z}
        max_active_runs: 3
        steps:
          - name: a
            depends_on_past: true
            shell: '%s'
        """.formatted(timed("spans.txt", "0.3")));
    file("pipelines/q.yml", """
        schedule: {cron: "0 * * * *", catchup: true, start_date: 2024-01-01T00:00:00Z}
        max_active_runs: 3
        depends_on_past: true
        steps:
          - name: b
            shell: 'test "$WEIR_LOGICAL_DATE" != "2024-01-01T00:00:00Z"'
        """);
    MutableClock clock = new MutableClock("2024-01-01T03:00:00Z");
    try (SqliteStore store = store(); Scheduler s = scheduler(store, clock)) {
      assertThat(s.runUntil(() -> store.keyedRuns("p").stream().filter(r -> r.state() == State.SUCCESS).count() == 3, Duration.ofSeconds(30))).isTrue();
      // max_active_runs 3 let all three runs start at once, but step a ran one interval after the other, in order
      assertThat(maxOverlap(dir.resolve("spans.txt"))).isEqualTo(1);
      List<String> order = Files.readAllLines(dir.resolve("spans.txt")).stream().filter(l -> l.startsWith("start")).map(l -> l.split(" ")[2]).toList();
      assertThat(order).containsExactly("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z");
      // q: the first interval's b failed, so the later intervals' b wait instead of running
      s.runUntil(() -> false, Duration.ofSeconds(1));
      List<PipelineRun> q = store.keyedRuns("q");
      assertThat(q).hasSize(3);
      assertThat(q.get(0).state()).isEqualTo(State.FAILED);
      for (PipelineRun r : q.subList(1, 3)) {
        assertThat(r.state()).isEqualTo(State.RUNNING);
        assertThat(store.steps(r.id())).singleElement().satisfies(st -> assertThat(st.state()).isEqualTo(State.QUEUED));
      }
    }
  }

  @Test
  void aPoolLimitsStepsRunningAtOnceAcrossRuns() throws Exception {
    file("pipelines/pools.yml", "pools:\n  db: 2\n");
    StringBuilder steps = new StringBuilder();
    for (int i = 0; i < 3; i++) steps.append("  - name: s").append(i).append("\n    pool: db\n    shell: '").append(timed("spans.txt", "0.3")).append("'\n");
    file("pipelines/p.yml", "max_parallel: 8\nsteps:\n" + steps);
    Map<String, Pipeline> all = PipelineLoader.load(dir);
    try (SqliteStore store = store(); PipelineExecutor ex = new PipelineExecutor(store, dir, all, null)) {
      ex.setPools(PipelineLoader.loadPools(dir));
      Pipeline p = all.get("p");
      // two runs of three steps each: six steps want the pool's two slots
      PipelineExecutor.Handle h1 = ex.start(p, RunRequest.manual(p, null, Map.of(), Instant.now()), null, RunListener.NONE);
      PipelineExecutor.Handle h2 = ex.start(p, RunRequest.manual(p, null, Map.of(), Instant.now()), null, RunListener.NONE);
      assertThat(h1.done().get().state()).isEqualTo(State.SUCCESS);
      assertThat(h2.done().get().state()).isEqualTo(State.SUCCESS);
      assertThat(Files.readAllLines(dir.resolve("spans.txt"))).hasSize(12);
      assertThat(maxOverlap(dir.resolve("spans.txt"))).isEqualTo(2);
    }
  }

  @Test
  void anUnknownPoolIsAnErrorNamingFileAndLine() throws Exception {
    file("pipelines/pools.yml", "pools:\n  db: 2\n");
    file("pipelines/p.yml", "steps:\n  - name: a\n    noop: {}\n  - name: b\n    pool: dbb\n    noop: {}\n");
    assertThatThrownBy(() -> PipelineLoader.load(dir)).isInstanceOf(WeirException.class)
        .satisfies(e -> assertThat(((WeirException) e).describe()).contains("pipelines/p.yml").contains("4").contains("dbb").contains("db"));
  }

  @Test
  void backfillRunsEachMissingIntervalOnceAndRerunsFailedOnesOnlyWhenAsked() throws Exception {
    file("pipelines/p.yml", """
        schedule: {cron: "@daily", start_date: 2024-01-01}
        steps:
          - name: a
            shell: 'echo "a $WEIR_DS" >> trace.txt'
          - name: b
            depends_on: [a]
            shell: 'echo "b $WEIR_DS" >> trace.txt; test "$WEIR_DS" != 2024-01-02 || test -f fixed'
          - name: c
            depends_on: [b]
            shell: 'echo "c $WEIR_DS" >> trace.txt'
        """);
    Map<String, Pipeline> all = PipelineLoader.load(dir);
    Pipeline p = all.get("p");
    Instant from = Instant.parse("2024-01-01T00:00:00Z");
    Instant to = Instant.parse("2024-01-03T00:00:00Z");
    Scheduler.Listener quiet = new Scheduler.Listener() {};
    try (SqliteStore store = store(); PipelineExecutor ex = new PipelineExecutor(store, dir, all, null)) {
      Backfill.Summary s1 = Backfill.run(store, ex, p, from, to, false, 2, Backfill.Order.ASC, "T", Duration.ofSeconds(5), quiet);
      assertThat(s1.succeeded()).isEqualTo(2);
      assertThat(s1.failed()).isEqualTo(1);
      assertThat(starts(store, "p")).containsExactly("2024-01-01T00:00:00Z success", "2024-01-02T00:00:00Z failed", "2024-01-03T00:00:00Z success");
      Backfill.Summary s2 = Backfill.run(store, ex, p, from, to, false, 2, Backfill.Order.ASC, "T", Duration.ofSeconds(5), quiet);
      assertThat(s2.succeeded() + s2.failed()).isZero();
      assertThat(s2.skipped()).hasSize(3);
      assertThat(Files.readAllLines(dir.resolve("trace.txt"))).hasSize(8);
      Files.writeString(dir.resolve("fixed"), "");
      Backfill.Summary s3 = Backfill.run(store, ex, p, from, to, true, 2, Backfill.Order.DESC, "T", Duration.ofSeconds(5), quiet);
      assertThat(s3.succeeded()).isEqualTo(1);
      assertThat(starts(store, "p")).containsOnly("2024-01-01T00:00:00Z success", "2024-01-02T00:00:00Z success", "2024-01-03T00:00:00Z success");
      // only b and c of the failed day ran again; a of that day did not
      assertThat(Files.readAllLines(dir.resolve("trace.txt"))).hasSize(10).containsOnlyOnce("a 2024-01-02").endsWith("b 2024-01-02", "c 2024-01-02");
      PipelineRun day2 = store.runByKey("p@2024-01-02T00:00:00Z").orElseThrow();
      assertThat(store.steps(day2.id()).stream().filter(r -> r.step().equals("b")).map(r -> r.tryNumber() + " " + r.state().dbName()))
          .containsExactly("1 failed", "2 success");
      assertThat(store.runs(null, 100)).hasSize(3);
    }
  }

  @Test
  void aTryLeftRunningByADeadSchedulerIsRetriedWhileTriesRemainElseFailed() throws Exception {
    file("pipelines/p.yml", """
        schedule: {cron: "0 * * * *", catchup: true, start_date: 2024-01-01T00:00:00Z, end_date: 2024-01-01T01:00:00Z}
        max_active_runs: 2
        retry_delay: 50ms
        steps:
          - name: a
            retries: %s
            shell: 'echo "a $WEIR_LOGICAL_DATE" >> trace.txt'
          - name: b
            depends_on: [a]
            shell: 'echo "b $WEIR_LOGICAL_DATE" >> trace.txt'
        """.formatted("0"));
    Instant h0 = Instant.parse("2024-01-01T00:00:00Z");
    Instant h1 = Instant.parse("2024-01-01T01:00:00Z");
    try (SqliteStore store = store()) {
      // what a scheduler killed mid-step leaves: runs 'running', step a 'running' (one with a retry left, one without)
      for (Instant st : List.of(h0, h1)) {
        String key = PipelineExecutor.runKey("p", st);
        Fence f = store.acquireLease(key, "dead", Instant.now().minusSeconds(60), Duration.ofSeconds(1));
        int budget = st.equals(h0) ? 2 : 1;
        long id = store.createRun("p", st, st.plusSeconds(3600), st, Map.of(), "scheduled", key, null, List.of("a", "b"),
            Map.of("a", budget, "b", 1), f);
        store.updateRun(id, State.RUNNING, Instant.now(), null, f);
        store.putStep(new StepRun(id, "a", 1, State.RUNNING, Instant.now(), null, null, null, null, budget), f);
      }
      MutableClock clock = new MutableClock("2024-01-01T02:30:00Z");
      try (Scheduler s = scheduler(store, clock)) {
        assertThat(s.runUntil(() -> store.unfinishedRuns().isEmpty(), Duration.ofSeconds(20))).isTrue();
      }
      assertThat(starts(store, "p")).containsExactly("2024-01-01T00:00:00Z success", "2024-01-01T01:00:00Z failed");
      PipelineRun r0 = store.runByKey(PipelineExecutor.runKey("p", h0)).orElseThrow();
      PipelineRun r1 = store.runByKey(PipelineExecutor.runKey("p", h1)).orElseThrow();
      assertThat(store.steps(r0.id()).stream().map(x -> x.step() + x.tryNumber() + " " + x.state().dbName()))
          .containsExactly("a1 up_for_retry", "a2 success", "b1 success");
      assertThat(store.steps(r1.id()).stream().map(x -> x.step() + x.tryNumber() + " " + x.state().dbName()))
          .containsExactly("a1 failed", "b1 upstream_failed");
      assertThat(store.steps(r1.id()).get(0).error()).contains("interrupted").contains("no retries left");
      assertThat(Files.readAllLines(dir.resolve("trace.txt"))).containsExactly("a 2024-01-01T00:00:00Z", "b 2024-01-01T00:00:00Z");
    }
  }

  @Test
  void aChangedPipelineFileIsPickedUpWhileTheSchedulerRuns() throws Exception {
    file("pipelines/a.yml", "schedule: {cron: \"0 * * * *\", start_date: 2024-01-01T00:00:00Z}\nsteps:\n  - name: x\n    noop: {}\n");
    MutableClock clock = new MutableClock("2024-01-01T03:30:00Z");
    try (SqliteStore store = store();
         Scheduler s = new Scheduler(dir, store, clock, Scheduler.Options.defaults().withReloadInterval(Duration.ofMillis(100)), null,
             new Scheduler.Listener() {})) {
      assertThat(s.runUntil(() -> store.keyedRuns("a").size() == 1 && store.unfinishedRuns().isEmpty(), Duration.ofSeconds(10))).isTrue();
      file("pipelines/b.yml", "schedule: {cron: \"0 * * * *\", catchup: true, start_date: 2024-01-01T01:00:00Z}\nmax_active_runs: 5\n"
          + "steps:\n  - name: y\n    noop: {}\n");
      assertThat(s.runUntil(() -> store.keyedRuns("b").size() == 2 && store.unfinishedRuns().isEmpty(), Duration.ofSeconds(10))).isTrue();
      // a broken file is reported and the loaded pipelines stay
      file("pipelines/c.yml", "steps:\n  - name: z\n    noop: {}\n    depends_on: [nope]\n");
      s.runUntil(() -> false, Duration.ofMillis(400));
      assertThat(s.pipelines()).containsKeys("a", "b").doesNotContainKey("c");
    }
  }
}
