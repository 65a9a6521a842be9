package dev.weir.engine.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PostgresSessionTest {

  static String db;
  static PostgresEngine engine;
  PostgresSession s;

  @BeforeAll
  static void open() {
    db = TestingPostgres.createDatabase("session");
    engine = TestingPostgres.open(db, null);
    try (PostgresSession s = engine.openSession()) {
      s.createSchema(null, "analytics");
    }
  }

  @AfterAll
  static void closeEngine() {
    engine.close();
  }

  @BeforeEach
  void session() {
    s = engine.openSession();
  }

  @AfterEach
  void closeSession() {
    s.close();
  }

  private List<List<Object>> rows(String sql) {
    return s.query(sql, -1).rows();
  }

  private Object one(String sql) {
    return rows(sql).get(0).get(0);
  }

  @Test
  void valuesComeBackAsPlainJavaTypes() {
    QueryResult r = s.query("""
        select 1::int2 as a, 2::int4 as b, 3::int8 as c, 1.5::float8 as d, 0.1::float4 as e, 12.340::numeric(10,3) as f,
               'x'::text as g, 'y'::varchar(3) as h, true as i, date '2024-02-29' as j,
               timestamp '2024-03-31 02:30:00.123456' as k, timestamptz '2024-01-02 03:04:05+02' as l,
               null::int as m, '{"k": 1}'::jsonb as n, array[1,2,3] as o, interval '1 day' as p,
               'NaN'::numeric as q, gen_random_uuid() is not null as r
        """, -1);
    List<Object> row = r.rows().get(0);
    assertThat(row.get(0)).isEqualTo(1L);
    assertThat(row.get(1)).isEqualTo(2L);
    assertThat(row.get(2)).isEqualTo(3L);
    assertThat(row.get(3)).isEqualTo(1.5d);
    assertThat(row.get(4)).isEqualTo(0.1d);
    assertThat(row.get(5)).isEqualTo(new BigDecimal("12.340"));
    assertThat(row.get(6)).isEqualTo("x");
    assertThat(row.get(7)).isEqualTo("y");
    assertThat(row.get(8)).isEqualTo(true);
    assertThat(row.get(9)).isEqualTo(LocalDate.of(2024, 2, 29));
    assertThat(row.get(10)).isEqualTo(LocalDateTime.of(2024, 3, 31, 2, 30, 0, 123_456_000));
    assertThat(row.get(11)).isInstanceOf(OffsetDateTime.class);
    assertThat(((OffsetDateTime) row.get(11)).toInstant())
        .isEqualTo(OffsetDateTime.of(2024, 1, 2, 1, 4, 5, 0, ZoneOffset.UTC).toInstant());
    assertThat(row.get(12)).isNull();
    assertThat(row.get(13)).isEqualTo("{\"k\": 1}");
    assertThat(row.get(14)).isEqualTo(List.of(1L, 2L, 3L));
    assertThat(row.get(15)).isEqualTo("1 day");
    assertThat(row.get(16)).isEqualTo(Double.NaN);
    assertThat(row.get(17)).isEqualTo(true);
    assertThat(r.columns().get(0).name()).isEqualTo("a");
    assertThat(r.columns().get(11).dataType()).isEqualTo("timestamptz");
  }

  @Test
  void maxRowsTruncatesAndMultipleStatementsReturnTheLast() {
    QueryResult r = s.query("select g from generate_series(1, 100) g", 10);
    assertThat(r.rows()).hasSize(10);
    assertThat(r.truncated()).isTrue();
    assertThat(s.query("select 1 union all select 2", 2).truncated()).isFalse();
    assertThat(s.query("set local work_mem = '8MB'; select 42 as x", -1).rows()).containsExactly(List.of(42L));
    s.execute("create table analytics.m (id int)");
    assertThat(s.execute("insert into analytics.m values (1), (2); insert into analytics.m values (3)")).isEqualTo(1);
    assertThat(s.execute("delete from analytics.m")).isEqualTo(3);
    assertThat(s.query("update analytics.m set id = 2", -1).rowsAffected()).isEqualTo(0);
    s.execute("drop table analytics.m");
  }

  @Test
  void errorsCarryPostgresMessageAndHint() {
    assertThatThrownBy(() -> s.query("select * from no_such_table", -1)).isInstanceOf(WeirException.class)
        .hasMessageContaining("relation \"no_such_table\" does not exist");
    assertThatThrownBy(() -> s.execute("select 1/0")).hasMessageContaining("division by zero");
  }

  @Test
  void transactionsCommitRollbackAndRefuseToCommitAnAbortedOne() {
    s.execute("create table analytics.tx (id int)");
    s.begin();
    assertThat(s.inTransaction()).isTrue();
    s.execute("insert into analytics.tx values (1)");
    s.rollback();
    assertThat(s.inTransaction()).isFalse();
    assertThat(one("select count(*) from analytics.tx")).isEqualTo(0L);

    s.begin();
    s.execute("insert into analytics.tx values (2)");
    try (PostgresSession other = engine.openSession()) {
      assertThat(other.query("select count(*) from analytics.tx", -1).rows().get(0).get(0)).isEqualTo(0L);
    }
    s.commit();
    assertThat(one("select count(*) from analytics.tx")).isEqualTo(1L);

    // an error aborts the transaction; commit must not pretend
    s.begin();
    s.execute("insert into analytics.tx values (3)");
    assertThatThrownBy(() -> s.execute("insert into analytics.tx values ('x')")).isInstanceOf(WeirException.class);
    assertThatThrownBy(() -> s.commit()).hasMessageContaining("rolled back, not committed")
        .hasMessageContaining("invalid input syntax");
    assertThat(s.inTransaction()).isFalse();
    assertThat(one("select count(*) from analytics.tx")).isEqualTo(1L);

    // BEGIN / COMMIT written in SQL are tracked
    s.execute("begin");
    assertThat(s.inTransaction()).isTrue();
    s.execute("insert into analytics.tx values (4)");
    s.execute("commit");
    assertThat(s.inTransaction()).isFalse();
    s.begin();
    assertThatThrownBy(() -> s.begin()).hasMessageContaining("already open");
    s.rollback();

    // closing a session with an open transaction rolls it back, and the pooled connection is clean
    PostgresSession t = engine.openSession();
    t.begin();
    t.execute("insert into analytics.tx values (5)");
    t.close();
    try (PostgresSession again = engine.openSession()) {
      assertThat(again.inTransaction()).isFalse();
      assertThat(again.query("select count(*) from analytics.tx", -1).rows().get(0).get(0)).isEqualTo(2L);
    }
    s.execute("drop table analytics.tx");
  }

  @Test
  void cancelStopsASleepFromAnotherThread() throws Exception {
    Thread canceller = new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        return;
      }
      s.cancel();
    });
    long t0 = System.nanoTime();
    canceller.start();
    assertThatThrownBy(() -> s.query("select pg_sleep(30)", -1)).isInstanceOf(WeirException.class)
        .hasMessageContaining("cancelled");
    canceller.join();
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5000);
    // the session works afterwards
    assertThat(one("select 1")).isEqualTo(1L);
  }

  @Test
  void introspectionMatchesNamesExactly() {
    s.execute("create table analytics.lower_t (id int, \"Name\" varchar(20), amount numeric(10,2), ts timestamp)");
    s.execute("create table analytics.\"Mixed\" (id bigint)");
    s.execute("create table analytics.Unquoted (id int)"); // folded to lower case: unquoted
    s.execute("create view analytics.v as select * from analytics.lower_t");
    s.execute("create materialized view analytics.mv as select 1 as x");
    s.execute("comment on column analytics.lower_t.id is 'the key'");

    assertThat(s.getRelation(db, "analytics", "lower_t")).contains(new Relation(db, "analytics", "lower_t", RelationType.TABLE));
    assertThat(s.getRelation(null, null, "v").map(Relation::type)).contains(RelationType.VIEW);
    assertThat(s.getRelation(null, null, "mv").map(Relation::type)).contains(RelationType.MATERIALIZED_VIEW);
    assertThat(s.getRelation(null, null, "Mixed")).isPresent();
    assertThat(s.getRelation(null, null, "mixed")).isEmpty();
    assertThat(s.getRelation(null, null, "unquoted")).isPresent();
    assertThat(s.getRelation(null, null, "Unquoted")).isEmpty();
    assertThat(s.getRelation(null, "no_schema", "x")).isEmpty();
    assertThat(s.listRelations(null, "analytics")).extracting(Relation::identifier)
        .contains("Mixed", "lower_t", "mv", "unquoted", "v");

    List<ColumnInfo> cols = s.getColumns(Relation.of(null, null, "lower_t"));
    assertThat(cols).extracting(ColumnInfo::name).containsExactly("id", "Name", "amount", "ts");
    assertThat(cols).extracting(ColumnInfo::dataType)
        .containsExactly("integer", "character varying(20)", "numeric(10,2)", "timestamp without time zone");
    assertThat(cols.get(0).comment()).isEqualTo("the key");
    assertThat(cols).extracting(ColumnInfo::index).containsExactly(1, 2, 3, 4);
    assertThat(s.getColumns(Relation.of(null, null, "v"))).hasSize(4);

    assertThat(s.schemaExists(null, "analytics")).isTrue();
    assertThat(s.schemaExists(null, "Analytics")).isFalse();
    s.createSchema(null, "Analytics");
    assertThat(s.schemaExists(db, "Analytics")).isTrue();
    s.createSchema(null, "Analytics"); // again: no error

    assertThatThrownBy(() -> s.getRelation("other_db", "analytics", "v")).hasMessageContaining("cross-database");
  }

  @Test
  void concurrentCreateSchemaOfTheSameName() throws Exception {
    List<Thread> threads = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int i = 0; i < 4; i++) {
      threads.add(new Thread(() -> {
        try (PostgresSession w = engine.openSession()) {
          w.createSchema(null, "raced");
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) t.join();
    assertThat(failure.get()).isNull();
    assertThat(s.schemaExists(null, "raced")).isTrue();
  }

  @Test
  void bulkLoadWithNullsQuotesNewlinesAndUnicode() {
    s.execute("create table analytics.bl (id bigint, name text, price float8, ok boolean, d date, ts timestamp,"
        + " tz timestamptz, amount numeric(10,2), note varchar(50) default 'dflt')");
    List<ColumnInfo> cols = List.of(new ColumnInfo("id", "bigint"), new ColumnInfo("name", "text"),
        new ColumnInfo("price", "float8"), new ColumnInfo("ok", "boolean"), new ColumnInfo("d", "date"),
        new ColumnInfo("ts", "timestamp"), new ColumnInfo("tz", "timestamptz"), new ColumnInfo("amount", "numeric"));
    List<Object[]> data = List.of(
        new Object[] {1L, "plain", 1.5, true, LocalDate.of(2024, 1, 2), LocalDateTime.of(2024, 1, 2, 3, 4, 5),
            OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHours(2)), new BigDecimal("12.34")},
        new Object[] {2L, "with \"quotes\", commas\nand a newline\r\nand \\backslash", null, false, null, null, null, null},
        new Object[] {3L, "", 2.0, null, "2024-02-29", "2024-02-29 10:00:00", null, 7L},
        new Object[] {4L, null, 3, "true", null, null, null, 0.5},
        new Object[] {5.0, "ünïcødé ✓ 𝄞 日本", Double.NaN, 1, null, null, null, "1.239"});
    assertThat(s.bulkLoad(Relation.of(null, null, "bl"), cols, data)).isEqualTo(5);
    List<List<Object>> r = rows("select id, name, price, ok, d, ts, tz, amount, note from analytics.bl order by id");
    assertThat(r.get(0)).containsExactly(1L, "plain", 1.5, true, LocalDate.of(2024, 1, 2), LocalDateTime.of(2024, 1, 2, 3, 4, 5),
        OffsetDateTime.of(2024, 1, 2, 1, 4, 5, 0, ZoneOffset.UTC), new BigDecimal("12.34"), "dflt");
    assertThat(r.get(1).get(1)).isEqualTo("with \"quotes\", commas\nand a newline\r\nand \\backslash");
    assertThat(r.get(1).subList(2, 8)).containsOnly(false, (Object) null);
    assertThat(r.get(2).get(1)).isEqualTo(""); // empty string is not null
    assertThat(r.get(2).get(4)).isEqualTo(LocalDate.of(2024, 2, 29));
    assertThat(r.get(2).get(7)).isEqualTo(new BigDecimal("7.00"));
    assertThat(r.get(3).get(1)).isNull();
    assertThat(r.get(3).get(3)).isEqualTo(true);
    assertThat(r.get(4).get(0)).isEqualTo(5L);
    assertThat(r.get(4).get(1)).isEqualTo("ünïcødé ✓ 𝄞 日本");
    assertThat(r.get(4).get(2)).isEqualTo(Double.NaN);
    assertThat(r.get(4).get(7)).isEqualTo(new BigDecimal("1.24"));

    // a bad value names row and column; nothing of the load stays
    assertThatThrownBy(() -> s.bulkLoad(Relation.of(null, null, "bl"), cols.subList(0, 2),
        List.of(new Object[] {6L, "ok"}, new Object[] {"seven", "bad"})))
        .hasMessageContaining("row 2").hasMessageContaining("column 'id'");
    assertThatThrownBy(() -> s.bulkLoad(Relation.of(null, null, "bl"), List.of(new ColumnInfo("d", "text")),
        List.of(new Object[] {"2024-01-01"}, new Object[] {"not a date"})))
        .hasMessageContaining("row 2").hasMessageContaining("not a date");
    assertThat(one("select count(*) from analytics.bl")).isEqualTo(5L);
    assertThatThrownBy(() -> s.bulkLoad(Relation.of(null, null, "bl"), List.of(new ColumnInfo("nope", "text")),
        List.<Object[]>of())).hasMessageContaining("no column 'nope'");
    assertThatThrownBy(() -> s.bulkLoad(Relation.of(null, null, "missing"), cols, List.<Object[]>of()))
        .hasMessageContaining("does not exist");

    // in the caller's transaction: rolled back with it
    s.begin();
    s.bulkLoad(Relation.of(null, null, "bl"), cols.subList(0, 1), List.<Object[]>of(new Object[] {100L}));
    s.rollback();
    assertThat(one("select count(*) from analytics.bl")).isEqualTo(5L);
  }

  @Test
  void bulkLoadAMillionRows() {
    s.execute("create table analytics.big (id bigint, name text, price float8, d date)");
    List<ColumnInfo> cols = List.of(new ColumnInfo("id", "bigint"), new ColumnInfo("name", "text"),
        new ColumnInfo("price", "float8"), new ColumnInfo("d", "date"));
    int n = 1_000_000;
    LocalDate base = LocalDate.of(2020, 1, 1);
    Iterable<Object[]> gen = () -> new Iterator<>() {
      int i;

      @Override
      public boolean hasNext() {
        return i < n;
      }

      @Override
      public Object[] next() {
        i++;
        return new Object[] {(long) i, "name " + i, i * 0.5, base.plusDays(i % 1000)};
      }
    };
    long t0 = System.nanoTime();
    long loaded = s.bulkLoad(Relation.of(null, null, "big"), cols, gen);
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf("COPY bulk load: %d rows in %.2f s = %.0f rows/s%n", loaded, secs, loaded / secs);
    assertThat(loaded).isEqualTo(n);
    assertThat(rows("select count(*), sum(id), max(d) from analytics.big").get(0))
        .containsExactly((long) n, new BigDecimal(((long) n) * (n + 1) / 2), base.plusDays(999));
    s.execute("drop table analytics.big");
  }

  @Test
  void poolReusesConnectionsAndCloseReleasesThem() throws Exception {
    String other = TestingPostgres.createDatabase("pool");
    PostgresEngine e = TestingPostgres.open(other, null);
    List<PostgresSession> open = new ArrayList<>();
    for (int i = 0; i < 3; i++) open.add(e.openSession());
    assertThat(e.openConnections()).isEqualTo(3);
    open.forEach(PostgresSession::close);
    assertThat(e.openConnections()).isEqualTo(3); // idle, kept
    try (PostgresSession again = e.openSession()) {
      assertThat(again.query("select 1", -1).rows()).hasSize(1);
      assertThat(e.openConnections()).isEqualTo(3);
    }
    // a statement running on another thread is cancelled by close
    PostgresSession busy = e.openSession();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        busy.query("select pg_sleep(30)", -1);
      } catch (Throwable ex) {
        thrown.set(ex);
      }
    });
    t.start();
    Thread.sleep(300);
    e.close();
    t.join(10_000);
    assertThat(t.isAlive()).isFalse();
    assertThat(thrown.get()).isNotNull();
    assertThat(e.openConnections()).isZero();
    try (var c = TestingPostgres.superuser("postgres"); var st = c.createStatement();
         var rs = st.executeQuery("select count(*) from pg_stat_activity where datname = '" + other + "'")) {
      rs.next();
      long left = rs.getLong(1);
      for (int i = 0; i < 50 && left > 0; i++) { // backends exit asynchronously
        Thread.sleep(50);
        try (var rs2 = st.executeQuery("select count(*) from pg_stat_activity where datname = '" + other + "'")) {
          rs2.next();
          left = rs2.getLong(1);
        }
      }
      assertThat(left).isZero();
    }
    assertThatThrownBy(e::openSession).hasMessageContaining("closed");
  }
}
