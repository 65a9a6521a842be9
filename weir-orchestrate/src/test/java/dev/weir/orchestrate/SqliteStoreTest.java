package dev.weir.orchestrate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.orchestrate.store.PipelineRun;
import dev.weir.orchestrate.store.SqliteStore;
import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite store on a real file: runs and step tries written, the file closed, reopened and read back. */
class SqliteStoreTest {

  @Test
  void runsAndStepTriesSurviveClosingAndReopeningTheFile(@TempDir Path tmp) throws Exception {
    Path file = tmp.resolve("target").resolve("weir_meta.sqlite");
    Instant s = Instant.parse("2024-01-01T00:00:00Z");
    Instant e = Instant.parse("2024-01-02T00:00:00Z");
    long id;
    try (SqliteStore store = new SqliteStore(file)) {
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
    try (SqliteStore store = new SqliteStore(file)) {
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
    // The schema is versioned: Flyway recorded migration 1 in the file.
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
         ResultSet rs = c.createStatement().executeQuery("select version, success from flyway_schema_history where version is not null")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("1");
      assertThat(rs.getBoolean(2)).isTrue();
    }
  }

  @Test
  void aScheduledIntervalCanBeRecordedOnlyOnce(@TempDir Path tmp) {
    try (SqliteStore store = new SqliteStore(tmp.resolve("m.sqlite"))) {
      Instant s = Instant.parse("2024-01-01T00:00:00Z");
      store.createRun("daily", s, s.plusSeconds(86400), s, Map.of(), "scheduled", "daily@" + s, null, List.of("a"));
      org.assertj.core.api.Assertions.assertThatThrownBy(() ->
          store.createRun("daily", s, s.plusSeconds(86400), s, Map.of(), "scheduled", "daily@" + s, null, List.of("a")))
          .hasMessageContaining("UNIQUE");
      assertThat(store.runs("daily", 10)).hasSize(1);
    }
  }
}
