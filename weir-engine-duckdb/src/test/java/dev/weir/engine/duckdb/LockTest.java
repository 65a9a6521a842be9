package dev.weir.engine.duckdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer per file, with a second JVM holding the file. */
class LockTest {

  @TempDir Path dir;
  final DuckDbEngineFactory factory = new DuckDbEngineFactory();

  @BeforeEach
  void createWarehouse() {
    try (DuckDbEngine e = TestSupport.open(dir, Map.of("path", "target/wh.duckdb"));
         DuckDbSession s = e.openSession()) {
      s.execute("create table t as select 1 as x");
    }
  }

  private Engine open(boolean readOnly, Duration timeout, List<String> notices) {
    return factory.open(TestSupport.target(dir, Map.of("path", "target/wh.duckdb")),
        TestSupport.options(dir, readOnly, timeout, readOnly ? "weir show" : "weir run", notices));
  }

  private TestSupport.Child holder(String mode, long holdMillis, String command) throws Exception {
    TestSupport.Child c = new TestSupport.Child(HolderMain.class, dir.toString(), "target/wh.duckdb", mode,
        Long.toString(holdMillis), command);
    c.await("READY", Duration.ofSeconds(20));
    return c;
  }

  @Test
  @SuppressWarnings("try")
  void waitsForTheWriterThenOpens() throws Exception {
    List<String> notices = new CopyOnWriteArrayList<>();
    try (TestSupport.Child child = holder("rw", 2500, "weir build")) {
      long t0 = System.nanoTime();
      try (Engine e = open(false, Duration.ofSeconds(30), notices)) {
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThan(Duration.ofMillis(500));
        assertThat(child.process.isAlive()).isFalse();
      }
      assertThat(notices).hasSize(1);
      assertThat(notices.get(0))
          .startsWith("Warehouse target/wh.duckdb is in use by PID " + child.pid() + " (weir build, since ")
          .endsWith("); waiting up to 30s...");
    }
  }

  @Test
  void timesOutWithAClearError() throws Exception {
    List<String> notices = new CopyOnWriteArrayList<>();
    try (TestSupport.Child child = holder("rw", 60_000, "weir build --select orders")) {
      assertThatThrownBy(() -> open(false, Duration.ofMillis(1200), notices))
          .isInstanceOf(WeirException.class)
          .satisfies(ex -> assertThat(((WeirException) ex).kind()).isEqualTo(WeirException.Kind.RUNTIME))
          .hasMessageContaining("target/wh.duckdb")
          .hasMessageContaining("PID " + child.pid())
          .hasMessageContaining("weir build --select orders")
          .hasMessageContaining("not released within 1.2s")
          .hasMessageContaining("Wait for that command to finish")
          .hasMessageNotContaining("Could not set lock");
      assertThat(notices).hasSize(1);
      // a read-only open is refused the same way while a writer holds the file
      assertThatThrownBy(() -> open(true, Duration.ZERO, null))
          .isInstanceOf(WeirException.class).hasMessageContaining("PID " + child.pid());
    }
  }

  @Test
  void readersShareTheFileAndBlockWriters() throws Exception {
    try (TestSupport.Child child = holder("ro", 60_000, "weir docs serve")) {
      try (Engine e = open(true, Duration.ofSeconds(5), null);
           DuckDbSession s = (DuckDbSession) e.openSession()) {
        assertThat(s.query("select x from t", -1).rows()).hasSize(1);
      }
      assertThatThrownBy(() -> open(false, Duration.ZERO, null))
          .isInstanceOf(WeirException.class)
          .hasMessageContaining("PID " + child.pid() + " (weir docs serve");
    }
  }

  @Test
  @SuppressWarnings("try")
  void staleLockInfoOfADeadProcessIsIgnored() throws Exception {
    try (TestSupport.Child child = holder("rw", 60_000, "weir build")) {
      child.process.destroyForcibly();
      child.process.waitFor();
    }
    assertThat(Files.exists(dir.resolve("target/wh.duckdb.weir-lock"))).as("killed holder leaves its info").isTrue();
    List<String> notices = new CopyOnWriteArrayList<>();
    try (Engine e = open(false, Duration.ofSeconds(5), notices)) {
      assertThat(notices).isEmpty();
      assertThat(LockFile.read(dir.resolve("target/wh.duckdb.weir-lock")).orElseThrow().pid())
          .isEqualTo(ProcessHandle.current().pid());
    }
    assertThat(Files.exists(dir.resolve("target/wh.duckdb.weir-lock"))).isFalse();
  }
}
