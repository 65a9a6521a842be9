package dev.weir.orchestrate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.orchestrate.exec.LogRetention;
import dev.weir.orchestrate.store.SqliteStore;
import dev.weir.orchestrate.store.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Old step logs go, recent ones and those of unfinished runs stay; the runs' records stay in the store. */
class LogRetentionTest {
  @Test
  void logsOfRunsThatEndedBeforeTheRetentionAreRemoved(@TempDir Path dir) throws Exception {
    Instant now = Instant.parse("2024-06-30T12:00:00Z");
    try (SqliteStore store = new SqliteStore(dir.resolve("target/weir_meta.sqlite"))) {
      long old = store.createRun("p", null, null, now, Map.of(), "manual", null, null, List.of("a"));
      store.updateRun(old, State.SUCCESS, now.minus(Duration.ofDays(40)), now.minus(Duration.ofDays(40)));
      long recent = store.createRun("p", null, null, now, Map.of(), "manual", null, null, List.of("a"));
      store.updateRun(recent, State.FAILED, now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(2)));
      long running = store.createRun("p", null, null, now, Map.of(), "manual", null, null, List.of("a"));
      store.updateRun(running, State.RUNNING, now.minus(Duration.ofDays(50)), null);
      for (long id : List.of(old, recent, running, 999L)) {
        Path log = dir.resolve("target/runs/" + id + "/a/1.log");
        Files.createDirectories(log.getParent());
        Files.writeString(log, "log of " + id);
      }
      Files.createDirectories(dir.resolve("target/runs/notes"));

      assertThat(LogRetention.prune(dir, store, Duration.ofDays(30), now)).isEqualTo(1);
      assertThat(dir.resolve("target/runs/" + old)).doesNotExist();
      assertThat(dir.resolve("target/runs/" + recent + "/a/1.log")).exists();
      assertThat(dir.resolve("target/runs/" + running + "/a/1.log")).exists();
      assertThat(dir.resolve("target/runs/999/a/1.log")).as("unknown to the store: kept").exists();
      assertThat(dir.resolve("target/runs/notes")).exists();
      assertThat(store.run(old)).isPresent();
      assertThat(LogRetention.prune(dir, store, Duration.ofDays(1), now)).isEqualTo(1);
      assertThat(dir.resolve("target/runs/" + recent)).doesNotExist();
    }
  }
}
