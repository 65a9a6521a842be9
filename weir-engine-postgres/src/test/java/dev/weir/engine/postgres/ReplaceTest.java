package dev.weir.engine.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

class ReplaceTest {

  static String db;
  static PostgresEngine engine;
  static final List<String> notices = new CopyOnWriteArrayList<>();
  PostgresSession s;
  String schema;
  Relation t;

  @BeforeAll
  static void open() {
    db = TestingPostgres.createDatabase("replace");
    engine = TestingPostgres.open(db, notices);
  }

  @AfterAll
  static void closeEngine() {
    engine.close();
  }

  /** Each test in a schema of its own, which is also the session's default for unqualified names in SQL. */
  @BeforeEach
  void session(TestInfo info) {
    s = engine.openSession();
    schema = "analytics";
    s.createSchema(null, schema);
    s.execute("drop schema if exists analytics cascade; create schema analytics; set search_path = analytics");
    notices.clear();
    t = Relation.of(null, null, "orders");
  }

  @AfterEach
  void close() {
    s.execute("reset search_path");
    s.close();
  }

  private List<List<Object>> rows(String sql) {
    return s.query(sql, -1).rows();
  }

  private Object one(String sql) {
    return rows(sql).get(0).get(0);
  }

  private RelationType typeOf(String name) {
    return s.getRelation(null, null, name).map(Relation::type).orElse(null);
  }

  @Test
  void createsThenReplacesAndReturnsRowCount() {
    assertThat(s.replaceTable(t, "select g as id from generate_series(1, 3) g;")).isEqualTo(3);
    assertThat(s.replaceTable(t, "select g as id, 'x' as extra from generate_series(1, 5) g\n-- trailing comment"))
        .isEqualTo(5);
    assertThat(rows("select count(*), max(extra) from orders").get(0)).containsExactly(5L, "x");
    assertThat(typeOf("orders__weir_tmp")).isNull();
    assertThat(s.inTransaction()).isFalse();
  }

  @Test
  void selectMayReadTheRelationItReplaces() {
    s.replaceTable(t, "select g as id from generate_series(1, 3) g");
    assertThat(s.replaceTable(t, "select id from orders union all select id + 10 from orders")).isEqualTo(6);
  }

  @Test
  void oldTableSurvivesAFailingSelect() {
    s.replaceTable(t, "select g as id from generate_series(1, 3) g");
    assertThatThrownBy(() -> s.replaceTable(t, "select * from no_such_table")).isInstanceOf(WeirException.class)
        .hasMessageContaining("no_such_table");
    assertThatThrownBy(() -> s.replaceTable(t, "select 1/0 as x")).isInstanceOf(WeirException.class)
        .hasMessageContaining("division by zero");
    assertThat(one("select count(*) from orders")).isEqualTo(3L);
    assertThat(typeOf("orders")).isEqualTo(RelationType.TABLE);
    assertThat(typeOf("orders__weir_tmp")).isNull();
    assertThat(s.inTransaction()).isFalse();
  }

  @Test
  void viewToTableAndBack() {
    s.replaceView(t, "select 1 as id");
    assertThat(typeOf("orders")).isEqualTo(RelationType.VIEW);
    assertThat(s.replaceTable(t, "select g as id from generate_series(1, 4) g")).isEqualTo(4);
    assertThat(typeOf("orders")).isEqualTo(RelationType.TABLE);
    s.replaceView(t, "select 42 as id");
    assertThat(typeOf("orders")).isEqualTo(RelationType.VIEW);
    assertThat(rows("select id from orders")).containsExactly(List.of(42L));
    // a failing switch leaves the view as it was
    assertThatThrownBy(() -> s.replaceTable(t, "select nonsense")).isInstanceOf(WeirException.class);
    assertThat(typeOf("orders")).isEqualTo(RelationType.VIEW);
    assertThatThrownBy(() -> s.replaceView(t, "select * from nowhere")).isInstanceOf(WeirException.class);
    assertThat(rows("select id from orders")).containsExactly(List.of(42L));
    // a materialized view (made by hand) is replaced too
    s.execute("drop view orders; create materialized view orders as select 7 as id");
    assertThat(typeOf("orders")).isEqualTo(RelationType.MATERIALIZED_VIEW);
    s.replaceTable(t, "select 8 as id");
    assertThat(rows("select id from orders")).containsExactly(List.of(8L));
  }

  @Test
  void viewByAViewWithFewerOrRetypedColumns() {
    s.replaceView(t, "select 1 as id, 'a' as name, 2.5 as amount");
    // CREATE OR REPLACE VIEW could neither drop 'name' nor turn id into text
    s.replaceView(t, "select 'x'::text as id");
    assertThat(s.getColumns(t)).extracting(ColumnInfo::name, ColumnInfo::dataType).containsExactly(
        org.assertj.core.groups.Tuple.tuple("id", "text"));
    s.replaceView(t, "select 1 as b, 2 as a");
    assertThat(rows("select a, b from orders")).containsExactly(List.of(2L, 1L));
  }

  @Test
  void dependentViewsSurviveAndShowTheNewRows() throws Exception {
    s.replaceTable(t, "select g as id, g * 10 as amount from generate_series(1, 3) g");
    // views made by hand (not by Weir): a view, a view on the view, one in another schema, a
    // materialized view with an index, with options, grants and comments
    s.execute("""
        create view big_orders with (security_barrier = true) as select id, amount from orders where amount > 10;
        create view big_count as select count(*) as n, sum(amount) as total from big_orders;
        create schema if not exists reporting;
        create view reporting.all_orders as select o.* from analytics.orders o;
        create materialized view order_stats as select count(*) as n from orders;
        create index order_stats_n on order_stats (n);
        comment on view big_orders is 'orders over 10';
        comment on column big_orders.amount is 'in cents';
        grant select on big_count to viewer;
        """);
    assertThat(rows("select n, total::bigint from big_count")).containsExactly(List.of(2L, 50L));

    // replace the table: more rows and an extra column
    assertThat(s.replaceTable(t, "select g as id, g * 10 as amount, 'new' as tag from generate_series(1, 6) g"))
        .isEqualTo(6);
    assertThat(rows("select n, total::bigint from big_count")).containsExactly(List.of(5L, 200L));
    assertThat(one("select count(*) from reporting.all_orders")).isEqualTo(6L);
    assertThat(one("select n from order_stats")).isEqualTo(6L); // re-created, so re-populated
    assertThat(one("select count(*) from pg_indexes where indexname = 'order_stats_n'")).isEqualTo(1L);
    assertThat(one("select obj_description('analytics.big_orders'::regclass, 'pg_class')")).isEqualTo("orders over 10");
    assertThat(one("select col_description('analytics.big_orders'::regclass, 2)")).isEqualTo("in cents");
    assertThat(one("select reloptions::text from pg_class where oid = 'analytics.big_orders'::regclass"))
        .isEqualTo("{security_barrier=true}");
    assertThat(one("select has_table_privilege('viewer', 'analytics.big_count', 'select')")).isEqualTo(true);
    assertThat(notices).isEmpty();

    // the same through replaceTableWithRows (a seed) and a switch to a view and back
    s.replaceTableWithRows(t, List.of(new ColumnInfo("id", "bigint"), new ColumnInfo("amount", "bigint")),
        List.of(new Object[] {1L, 100L}, new Object[] {2L, 5L}));
    assertThat(rows("select n, total::bigint from big_count")).containsExactly(List.of(1L, 100L));
    s.replaceView(t, "select 9 as id, 99 as amount");
    assertThat(rows("select n, total::bigint from big_count")).containsExactly(List.of(1L, 99L));
    s.replaceView(t, "select 9 as id, 999 as amount, 'x' as more");
    assertThat(rows("select total::bigint from big_count")).containsExactly(List.of(999L));
    s.replaceTable(t, "select 1 as id, 11 as amount");
    assertThat(rows("select total::bigint from big_count")).containsExactly(List.of(11L));
    assertThat(notices).isEmpty();
  }

  @Test
  void aDependentThatNoLongerFitsIsDroppedWithANotice() {
    s.replaceTable(t, "select 1 as id, 2 as amount");
    s.execute("create view uses_amount as select amount from orders; create view on_top as select * from uses_amount;"
        + " create view uses_id as select id from orders");
    s.replaceTable(t, "select 1 as id"); // amount is gone
    assertThat(typeOf("uses_amount")).isNull();
    assertThat(typeOf("on_top")).isNull();
    assertThat(rows("select id from uses_id")).containsExactly(List.of(1L));
    assertThat(notices).hasSize(2);
    assertThat(notices.get(0)).contains("\"analytics\".\"uses_amount\"").contains("no longer fits").contains("amount");
  }

  @Test
  void otherDependentsMakeTheReplacementFailAndChangeNothing() {
    s.execute("create table orders (id int primary key); insert into orders values (1), (2);"
        + " create table lines (order_id int references orders (id))");
    assertThatThrownBy(() -> s.replaceTable(t, "select 5 as id")).isInstanceOf(WeirException.class)
        .hasMessageContaining("depend");
    assertThat(one("select count(*) from orders")).isEqualTo(2L);
    assertThat(typeOf("orders__weir_tmp")).isNull();
  }

  @Test
  void staleScratchFromAnEarlierRunDoesNotBreakTheNextReplace() {
    s.replaceTable(t, "select 1 as id");
    s.execute("create table orders__weir_tmp as select 'stale' as junk");
    assertThat(s.replaceTable(t, "select g as id from generate_series(1, 2) g")).isEqualTo(2);
    s.execute("create view orders__weir_tmp as select 'stale view' as junk");
    assertThat(s.replaceTable(t, "select g as id from generate_series(1, 7) g")).isEqualTo(7);
    assertThat(typeOf("orders__weir_tmp")).isNull();
  }

  @Test
  void longNames() {
    String name63 = "n".repeat(63);
    Relation r = Relation.of(null, null, name63);
    assertThat(s.replaceTable(r, "select 1 as id")).isEqualTo(1);
    s.execute("create view dep_long as select * from " + name63);
    assertThat(s.replaceTable(r, "select 1 as id union all select 2")).isEqualTo(2);
    assertThat(one("select count(*) from dep_long")).isEqualTo(2L);
    assertThat(PostgresSession.scratchName(name63)).hasSizeLessThanOrEqualTo(63).endsWith("__weir_tmp");
    assertThat(PostgresSession.scratchName("ü".repeat(40)).getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(63);
    // The core's scratch relations (an incremental run's __dbt_tmp, ...) are shortened the same way:
    // short names keep the plain suffix, long ones never collide with the name Postgres would truncate to.
    PostgresDialect d = PostgresDialect.INSTANCE;
    assertThat(d.scratchIdentifier("orders", "__dbt_tmp")).isEqualTo("orders__dbt_tmp");
    String a = d.scratchIdentifier("m".repeat(60), "__dbt_tmp");
    String b = d.scratchIdentifier("m".repeat(59) + "x", "__dbt_tmp");
    assertThat(a).hasSizeLessThanOrEqualTo(63).endsWith("__dbt_tmp").isNotEqualTo(b);
    assertThat(d.scratchIdentifier("é".repeat(30), "__weir_snapshot_staging").getBytes(StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(63);
    assertThatThrownBy(() -> s.replaceTable(Relation.of(null, null, "n".repeat(64)), "select 1"))
        .hasMessageContaining("63 bytes");
  }

  @Test
  void insideTheCallersTransactionAFailureLeavesItUsable() {
    s.replaceTable(t, "select 1 as id");
    s.begin();
    s.execute("create table side (x int)");
    assertThatThrownBy(() -> s.replaceTable(t, "select nonsense")).isInstanceOf(WeirException.class);
    assertThat(s.inTransaction()).isTrue();
    s.replaceView(Relation.of(null, null, "v_in_tx"), "select 3 as x");
    s.replaceTable(t, "select 2 as id");
    s.commit();
    assertThat(rows("select id from orders")).containsExactly(List.of(2L));
    assertThat(typeOf("side")).isEqualTo(RelationType.TABLE);
    assertThat(typeOf("v_in_tx")).isEqualTo(RelationType.VIEW);
    // and a rollback undoes a replacement made in the transaction
    s.begin();
    s.replaceTable(t, "select 3 as id");
    s.rollback();
    assertThat(rows("select id from orders")).containsExactly(List.of(2L));
  }

  @Test
  void replaceTableWithRowsIsAtomicToo() {
    List<ColumnInfo> cols = List.of(new ColumnInfo("id", "bigint"), new ColumnInfo("name", "text"));
    assertThat(s.replaceTableWithRows(t, cols, List.of(new Object[] {1L, "a"}, new Object[] {2L, "b"}))).isEqualTo(2);
    assertThat(rows("select name from orders order by id")).containsExactly(List.of("a"), List.of("b"));
    assertThatThrownBy(() -> s.replaceTableWithRows(t, cols,
        List.of(new Object[] {3L, "c"}, new Object[] {"four", "d"}))).isInstanceOf(WeirException.class)
        .hasMessageContaining("row 2");
    assertThat(rows("select name from orders order by id")).containsExactly(List.of("a"), List.of("b"));
    assertThat(typeOf("orders__weir_tmp")).isNull();
  }

  @Test
  void readersSeeTheOldOrTheNewTableNeverNone() throws Exception {
    s.replaceTable(t, "select g as id from generate_series(1, 100) g");
    s.replaceView(Relation.of(null, null, "v"), "select * from orders");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Long> seen = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      try (PostgresSession r = engine.openSession()) {
        while (!stop.get()) {
          long a = (Long) r.query("select count(*) from analytics.orders", -1).rows().get(0).get(0);
          long b = (Long) r.query("select count(*) from analytics.v", -1).rows().get(0).get(0);
          for (long n : new long[] {a, b}) if (n != 100 && n != 200) throw new AssertionError("saw " + n + " rows");
          seen.add(a);
        }
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    reader.start();
    for (int i = 0; i < 20; i++) {
      s.replaceTable(t, "select g as id from generate_series(1, " + (i % 2 == 0 ? 200 : 100) + ") g");
    }
    stop.set(true);
    reader.join();
    assertThat(failure.get()).isNull();
    assertThat(seen).isNotEmpty();
  }

  @Test
  void fourThreadsReplaceDifferentTablesConcurrently() throws Exception {
    for (int k = 0; k < 4; k++) s.replaceTable(Relation.of(null, null, "t" + k), "select 1 as id");
    // one view reads all four tables: every replacement must re-create it
    s.execute("create view all_t as select (select count(*) from t0) as a, (select count(*) from t1) as b,"
        + " (select count(*) from t2) as c, (select count(*) from t3) as d");
    List<Thread> threads = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int k = 0; k < 4; k++) {
      int id = k;
      threads.add(new Thread(() -> {
        try (PostgresSession w = engine.openSession()) {
          for (int i = 1; i <= 5; i++) {
            w.replaceTable(Relation.of(null, null, "t" + id), "select g as id from generate_series(1, " + (1000 * i) + ") g");
            w.replaceView(Relation.of(null, null, "v" + id), "select count(*) as n from analytics.t" + id);
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread th : threads) th.join();
    if (failure.get() != null) failure.get().printStackTrace();
    assertThat(failure.get()).isNull();
    for (int k = 0; k < 4; k++) assertThat(rows("select n from v" + k)).containsExactly(List.of(5000L));
    assertThat(rows("select a, b, c, d from all_t")).containsExactly(List.of(5000L, 5000L, 5000L, 5000L));
    assertThat(notices).isEmpty();
  }

  @Test
  void cancelAndInterruptLeaveTheOldTable() throws Exception {
    s.replaceTable(t, "select g as id from generate_series(1, 3) g");
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread th = new Thread(() -> {
      Thread.currentThread().interrupt();
      try {
        s.replaceTable(t, "select g as id from generate_series(1, 10) g");
      } catch (Throwable e) {
        thrown.set(e);
      }
    });
    th.start();
    th.join();
    assertThat(thrown.get()).isInstanceOf(WeirException.class).hasMessageContaining("Interrupted");
    Thread canceller = new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        return;
      }
      s.cancel();
    });
    canceller.start();
    assertThatThrownBy(() -> s.replaceTable(t, "select 1 as id from pg_sleep(30)"))
        .isInstanceOf(WeirException.class).hasMessageContaining("cancelled");
    canceller.join();
    assertThat(one("select count(*) from orders")).isEqualTo(3L);
    assertThat(typeOf("orders__weir_tmp")).isNull();
    assertThat(s.inTransaction()).isFalse();
  }

  @Test
  void aKilledProcessLeavesTheOldTable() throws Exception {
    s.replaceTable(t, "select g as id, 'old' as tag from generate_series(1, 3) g");
    s.execute("create view tags as select distinct tag from orders");
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
        "-cp", System.getProperty("java.class.path"), ReplaceChildMain.class.getName(),
        String.valueOf(TestingPostgres.port()), db, "orders", "60");
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    Thread pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          synchronized (out) {
            out.append(line).append('\n');
          }
        }
      } catch (java.io.IOException ignored) {
        // gone
      }
    });
    pump.setDaemon(true);
    pump.start();
    try (Connection su = TestingPostgres.superuser(db); Statement st = su.createStatement()) {
      // wait until the child's CTAS is running inside its transaction
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      boolean running = false;
      while (!running && System.nanoTime() < deadline && child.isAlive()) {
        try (ResultSet rs = st.executeQuery("select count(*) from pg_stat_activity where datname = '" + db
            + "' and query like 'create table%orders__weir_tmp%pg_sleep%' and state = 'active'")) {
          rs.next();
          running = rs.getLong(1) > 0;
        }
        if (!running) Thread.sleep(50);
      }
      synchronized (out) {
        assertThat(running).as("child CTAS running; child said:\n" + out).isTrue();
      }
      child.destroyForcibly();
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();

      // the old rows are intact at once, and the view still works
      assertThat(rows("select count(*), max(tag) from orders").get(0)).containsExactly(3L, "old");
      assertThat(rows("select tag from tags")).containsExactly(List.of("old"));
      // the server notices the dead client within about a second (client_connection_check_interval)
      // and rolls its transaction back; a new replacement then goes through
      long t0 = System.nanoTime();
      assertThat(s.replaceTable(t, "select g as id, 'new' as tag from generate_series(1, 4) g")).isEqualTo(4);
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(10_000);
      assertThat(rows("select tag from tags")).containsExactly(List.of("new"));
      assertThat(typeOf("orders__weir_tmp")).isNull();
    } finally {
      child.destroyForcibly();
    }
  }
}
