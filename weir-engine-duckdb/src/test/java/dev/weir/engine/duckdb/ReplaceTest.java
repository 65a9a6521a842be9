package dev.weir.engine.duckdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplaceTest {

  @TempDir Path dir;
  DuckDbEngine engine;
  DuckDbSession s;
  final Relation t = Relation.of(null, null, "orders");

  @BeforeEach
  void open() {
    engine = TestSupport.open(dir, Map.of("path", "test.duckdb"));
    s = engine.openSession();
  }

  @AfterEach
  void close() {
    engine.close();
  }

  private List<List<Object>> rows(String sql) {
    return s.query(sql, -1).rows();
  }

  private RelationType typeOf(String name) {
    return s.getRelation(null, null, name).map(Relation::type).orElse(null);
  }

  @Test
  void createsThenReplacesAndReturnsRowCount() {
    assertThat(s.replaceTable(t, "select range as id from range(3);")).isEqualTo(3);
    assertThat(s.replaceTable(t, "select range as id, 'x' as extra from range(5)\n-- trailing comment")).isEqualTo(5);
    assertThat(rows("select count(*), max(extra) from orders").get(0)).containsExactly(5L, "x");
    assertThat(typeOf("orders__weir_tmp")).isNull();
  }

  @Test
  void selectMayReadTheRelationItReplaces() {
    s.replaceTable(t, "select range as id from range(3)");
    assertThat(s.replaceTable(t, "select id from orders union all select id + 10 from orders")).isEqualTo(6);
  }

  @Test
  void oldTableSurvivesAFailingSelect() {
    s.replaceTable(t, "select range as id from range(3)");
    assertThatThrownBy(() -> s.replaceTable(t, "select * from no_such_table")).isInstanceOf(WeirException.class)
        .hasMessageContaining("no_such_table");
    assertThatThrownBy(() -> s.replaceTable(t, "select 1/0 as x, 'a'::int as y")).isInstanceOf(WeirException.class);
    assertThat(rows("select count(*) from orders").get(0).get(0)).isEqualTo(3L);
    assertThat(typeOf("orders")).isEqualTo(RelationType.TABLE);
    assertThat(typeOf("orders__weir_tmp")).isNull();
    assertThat(s.inTransaction()).isFalse();
  }

  @Test
  void viewToTableAndBack() {
    s.replaceView(t, "select 1 as id");
    assertThat(typeOf("orders")).isEqualTo(RelationType.VIEW);
    assertThat(s.replaceTable(t, "select range as id from range(4)")).isEqualTo(4);
    assertThat(typeOf("orders")).isEqualTo(RelationType.TABLE);
    s.replaceView(t, "select 42 as id");
    assertThat(typeOf("orders")).isEqualTo(RelationType.VIEW);
    assertThat(rows("select id from orders")).containsExactly(List.of(42L));
    // and a failing switch leaves the view as it was
    assertThatThrownBy(() -> s.replaceTable(t, "select nonsense")).isInstanceOf(WeirException.class);
    assertThat(typeOf("orders")).isEqualTo(RelationType.VIEW);
    assertThatThrownBy(() -> s.replaceView(t, "select * from nowhere")).isInstanceOf(WeirException.class);
    assertThat(rows("select id from orders")).containsExactly(List.of(42L));
  }

  @Test
  void dependentViewsKeepWorkingAcrossAReplacement() {
    s.replaceTable(t, "select range as id from range(3)");
    s.replaceView(Relation.of(null, null, "big_orders"), "select * from orders where id > 0");
    s.replaceTable(t, "select range as id from range(10)");
    assertThat(rows("select count(*) from big_orders").get(0).get(0)).isEqualTo(9L);
  }

  @Test
  void staleTemporaryFromAnEarlierRunDoesNotBreakTheNextReplace() {
    s.replaceTable(t, "select 1 as id");
    s.execute("create table orders__weir_tmp as select 'stale' as junk");
    assertThat(s.replaceTable(t, "select range as id from range(2)")).isEqualTo(2);
    s.execute("create view orders__weir_tmp as select 'stale view' as junk");
    assertThat(s.replaceTable(t, "select range as id from range(7)")).isEqualTo(7);
    assertThat(typeOf("orders__weir_tmp")).isNull();
  }

  @Test
  void replaceTableWithRowsIsAtomicToo() {
    List<ColumnInfo> cols = List.of(new ColumnInfo("id", "BIGINT"), new ColumnInfo("name", "VARCHAR"));
    assertThat(s.replaceTableWithRows(t, cols, List.of(new Object[] {1L, "a"}, new Object[] {2L, "b"}))).isEqualTo(2);
    assertThat(rows("select name from orders order by id")).containsExactly(List.of("a"), List.of("b"));
    // a type error in the middle of the load leaves the old seed table untouched
    assertThatThrownBy(() -> s.replaceTableWithRows(t, cols,
        List.of(new Object[] {3L, "c"}, new Object[] {"four", "d"}))).isInstanceOf(WeirException.class)
        .hasMessageContaining("row 2");
    assertThat(rows("select name from orders order by id")).containsExactly(List.of("a"), List.of("b"));
    assertThat(typeOf("orders__weir_tmp")).isNull();
  }

  @Test
  void readersSeeTheOldOrTheNewTableNeverNone() throws Exception {
    s.replaceTable(t, "select range as id from range(100)");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      try (DuckDbSession r = engine.openSession()) {
        while (!stop.get()) {
          long n = (Long) r.query("select count(*) from orders", -1).rows().get(0).get(0);
          if (n != 100 && n != 200) throw new AssertionError("saw " + n + " rows");
        }
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    reader.start();
    for (int i = 0; i < 20; i++) {
      s.replaceTable(t, "select range as id from range(" + (i % 2 == 0 ? 200 : 100) + ")");
      s.replaceView(Relation.of(null, null, "v"), "select * from orders");
    }
    stop.set(true);
    reader.join();
    assertThat(failure.get()).isNull();
  }

  @Test
  void threadsReplaceDifferentRelationsConcurrently() throws Exception {
    List<Thread> threads = new java.util.ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int k = 0; k < 4; k++) {
      int id = k;
      threads.add(new Thread(() -> {
        try (DuckDbSession w = engine.openSession()) {
          for (int i = 1; i <= 5; i++) {
            w.replaceTable(Relation.of(null, null, "t" + id), "select range as id from range(" + (1000 * i) + ")");
            w.replaceView(Relation.of(null, null, "v" + id), "select count(*) as n from t" + id);
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread th : threads) th.join();
    assertThat(failure.get()).isNull();
    for (int k = 0; k < 4; k++) assertThat(rows("select n from v" + k)).containsExactly(List.of(5000L));
  }

  @Test
  void interruptAndCancelLeaveTheOldTable() throws Exception {
    s.replaceTable(t, "select range as id from range(3)");
    // interrupt: the replacement notices between steps and rolls back
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread th = new Thread(() -> {
      Thread.currentThread().interrupt();
      try {
        s.replaceTable(t, "select range as id from range(10)");
      } catch (Throwable e) {
        thrown.set(e);
      }
    });
    th.start();
    th.join();
    assertThat(thrown.get()).isInstanceOf(WeirException.class).hasMessageContaining("Interrupted");
    // cancel: a long CTAS is stopped from another thread
    Thread canceller = new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        return;
      }
      s.cancel();
    });
    canceller.start();
    assertThatThrownBy(() -> s.replaceTable(t, "select count(*) as n from range(100000000000)"))
        .isInstanceOf(WeirException.class).hasMessageContaining("cancelled");
    canceller.join();
    assertThat(rows("select count(*) from orders").get(0).get(0)).isEqualTo(3L);
    assertThat(typeOf("orders__weir_tmp")).isNull();
  }

  @Test
  void runsInsideTheCallersTransaction() {
    s.replaceTable(t, "select 1 as id");
    s.begin();
    s.replaceTable(t, "select range as id from range(5)");
    s.rollback();
    assertThat(rows("select count(*) from orders").get(0).get(0)).isEqualTo(1L);
  }

  @Test
  void killedProcessLeavesTheOldTable() throws Exception {
    s.replaceTable(t, "select range as id from range(3)");
    engine.close(); // the child needs the write lock
    try (TestSupport.Child child = new TestSupport.Child(ReplaceChildMain.class, dir.toString(), "test.duckdb",
        "orders", "50000000")) {
      child.await("STARTED", Duration.ofSeconds(20));
      Thread.sleep(1500);
      assertThat(child.process.isAlive()).as("child still building the 50M-row table").isTrue();
      child.process.destroyForcibly();
      child.process.waitFor();
    }
    engine = TestSupport.open(dir, Map.of("path", "test.duckdb"));
    s = engine.openSession();
    assertThat(rows("select count(*), sum(id) from orders").get(0)).containsExactly(3L, 3L);
    assertThat(typeOf("orders__weir_tmp")).isNull();
    assertThat(s.replaceTable(t, "select range as id from range(4)")).isEqualTo(4);
  }
}
