package dev.weir.engine.duckdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DuckDbSessionTest {

  @TempDir Path dir;
  DuckDbEngine engine;
  DuckDbSession s;

  @BeforeEach
  void open() {
    engine = TestSupport.open(dir, Map.of("path", "test.duckdb"));
    s = engine.openSession();
  }

  @AfterEach
  void close() {
    engine.close();
  }

  @Test
  void queryMapsTypesToPlainJavaValues() {
    QueryResult r = s.query("select 1::int i, 2::bigint b, 1.5::double d, 2.5::float f, 1.25::decimal(10,2) dec,"
        + " 'x' v, true bo, date '2020-01-02' dt, timestamp '2020-03-08 02:30:00.123456' ts,"
        + " timestamptz '2020-01-02 03:04:05+00' tz, 7::hugeint h, 3::smallint sm, null::varchar n,"
        + " [1, 2] l, {'a': 1} st, '00000000-0000-0000-0000-000000000001'::uuid u", -1);
    assertThat(r.columns()).extracting(ColumnInfo::name)
        .containsExactly("i", "b", "d", "f", "dec", "v", "bo", "dt", "ts", "tz", "h", "sm", "n", "l", "st", "u");
    assertThat(r.columns().get(4).dataType()).isEqualTo("DECIMAL(10,2)");
    List<Object> row = r.rows().get(0);
    assertThat(row.subList(0, 8)).containsExactly(1L, 2L, 1.5, 2.5, new BigDecimal("1.25"), "x", true,
        LocalDate.of(2020, 1, 2));
    assertThat(row.get(8)).isEqualTo(LocalDateTime.of(2020, 3, 8, 2, 30, 0, 123_456_000));
    assertThat(((OffsetDateTime) row.get(9)).toInstant()).isEqualTo(OffsetDateTime.parse("2020-01-02T03:04:05Z").toInstant());
    assertThat(row.get(10)).isEqualTo(7L);
    assertThat(row.get(11)).isEqualTo(3L);
    assertThat(row.get(12)).isNull();
    assertThat(row.get(13)).isEqualTo(List.of(1L, 2L));
    assertThat(row.get(14)).isEqualTo(Map.of("a", 1L));
    assertThat(row.get(15)).isEqualTo("00000000-0000-0000-0000-000000000001");
  }

  @Test
  void maxRowsTruncates() {
    QueryResult r = s.query("select * from range(10)", 3);
    assertThat(r.rows()).hasSize(3);
    assertThat(r.truncated()).isTrue();
    assertThat(s.query("select * from range(3)", 3).truncated()).isFalse();
    assertThat(s.query("select * from range(3)", 0).rows()).isEmpty();
  }

  @Test
  void executeRunsSeveralStatements() {
    long n = s.execute("create table a(x int); insert into a values (1), (2);\ninsert into a values (3), (4), (5);");
    assertThat(n).isEqualTo(3);
    assertThat(s.query("select count(*) from a", -1).rows().get(0).get(0)).isEqualTo(5L);
    assertThatThrownBy(() -> s.execute("select * from nope")).isInstanceOf(WeirException.class)
        .hasMessageContaining("nope")
        .satisfies(e -> assertThat(((WeirException) e).kind()).isEqualTo(WeirException.Kind.RUNTIME));
    // the session keeps working after an error
    assertThat(s.query("select 1", -1).rows()).hasSize(1);
  }

  @Test
  void transactions() {
    s.execute("create table t(x int)");
    s.begin();
    assertThat(s.inTransaction()).isTrue();
    s.execute("insert into t values (1)");
    try (DuckDbSession other = engine.openSession()) {
      assertThat(other.query("select count(*) from t", -1).rows().get(0).get(0)).isEqualTo(0L);
    }
    s.rollback();
    assertThat(s.inTransaction()).isFalse();
    assertThat(s.query("select count(*) from t", -1).rows().get(0).get(0)).isEqualTo(0L);

    s.begin();
    s.execute("insert into t values (1)");
    s.execute("create table t2 as select 1 as y"); // DDL is transactional too
    s.commit();
    assertThat(s.query("select count(*) from t", -1).rows().get(0).get(0)).isEqualTo(1L);
    assertThat(s.getRelation(null, null, "t2")).isPresent();

    // DuckDB silently rolls back a COMMIT after an error: the session says so instead
    s.begin();
    s.execute("insert into t values (2)");
    assertThatThrownBy(() -> s.execute("select * from nope")).isInstanceOf(WeirException.class);
    assertThatThrownBy(s::commit).isInstanceOf(WeirException.class).hasMessageContaining("rolled back");
    assertThat(s.inTransaction()).isFalse();
    assertThat(s.query("select count(*) from t", -1).rows().get(0).get(0)).isEqualTo(1L);

    // transactions opened by hand are tracked
    s.execute("begin");
    assertThat(s.inTransaction()).isTrue();
    s.execute("insert into t values (3)");
    s.execute("commit");
    assertThat(s.inTransaction()).isFalse();

    // closing a session with an open transaction rolls it back
    DuckDbSession s2 = engine.openSession();
    s2.begin();
    s2.execute("insert into t values (4)");
    s2.close();
    assertThat(s.query("select count(*) from t", -1).rows().get(0).get(0)).isEqualTo(2L);
  }

  @Test
  void cancelFromAnotherThread() throws Exception {
    CompletableFuture<Void> canceller = CompletableFuture.runAsync(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      s.cancel();
    });
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> s.query("select count(*) from range(100000000000) a", -1))
        .isInstanceOf(WeirException.class).hasMessageContaining("cancelled");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(10_000);
    canceller.get();
    assertThat(s.query("select 1", -1).rows()).hasSize(1);
  }

  @Test
  void relationsAndColumnsMatchCaseInsensitively() {
    s.createSchema(null, "Staging");
    assertThat(s.schemaExists(null, "staging")).isTrue();
    assertThat(s.schemaExists(engine.defaultDatabase(), "STAGING")).isTrue();
    assertThat(s.schemaExists(null, "nope")).isFalse();
    s.createSchema(null, "staging"); // idempotent
    s.execute("create table \"Staging\".\"Orders\"(\"Order Id\" bigint, amount decimal(18,2));"
        + " comment on column \"Staging\".\"Orders\".amount is 'in EUR';"
        + " create view staging.v_orders as select * from staging.orders");
    assertThat(s.getRelation(null, "staging", "ORDERS")).contains(
        new Relation("test", "Staging", "Orders", RelationType.TABLE));
    assertThat(s.getRelation("TEST", "staging", "V_Orders")).contains(
        new Relation("test", "Staging", "v_orders", RelationType.VIEW));
    assertThat(s.getRelation(null, "staging", "missing")).isEmpty();
    assertThat(s.listRelations(null, "staging")).extracting(Relation::identifier).containsExactly("Orders", "v_orders");
    assertThat(s.listRelations(null, "main")).isEmpty();
    assertThat(s.getColumns(Relation.of(null, "staging", "orders"))).containsExactly(
        new ColumnInfo("Order Id", "BIGINT", 1, null), new ColumnInfo("amount", "DECIMAL(18,2)", 2, "in EUR"));
    assertThat(s.getColumns(Relation.of(null, "staging", "v_orders"))).extracting(ColumnInfo::name)
        .containsExactly("Order Id", "amount");
    s.execute("insert into staging.orders values (1, 2.5), (2, 3)");
    assertThat(s.rowCount(Relation.of(null, "staging", "orders"))).isEqualTo(2);
    assertThat(s.estimatedRowCount(Relation.of(null, "staging", "orders"))).hasValue(2);
  }

  @Test
  void bulkLoadCoercesTypesAndNulls() {
    s.execute("create table t(a bigint, b double, c decimal(18,3), d varchar, e boolean, f date, g timestamp,"
        + " h integer, i timestamptz)");
    List<ColumnInfo> cols = s.getColumns(Relation.of(null, null, "t"));
    List<Object[]> rows = List.of(
        new Object[] {1L, 1.5, new BigDecimal("1.25"), "x", true, LocalDate.of(2020, 1, 2),
            LocalDateTime.of(2020, 1, 2, 3, 4, 5), 7L, OffsetDateTime.parse("2020-01-02T03:04:05Z")},
        new Object[] {null, null, null, null, null, null, null, null, null},
        new Object[] {"3", 2, 4L, 5, "false", "2021-12-31", "2021-12-31 23:59:59", 8, "2020-01-02T03:04:05Z"});
    assertThat(s.bulkLoad(Relation.of(null, null, "t"), cols, rows)).isEqualTo(3);
    List<List<Object>> back = s.query("select * from t order by a nulls last", -1).rows();
    assertThat(back.get(0)).containsExactly(1L, 1.5, new BigDecimal("1.250"), "x", true, LocalDate.of(2020, 1, 2),
        LocalDateTime.of(2020, 1, 2, 3, 4, 5), 7L, back.get(0).get(8));
    assertThat(((OffsetDateTime) back.get(0).get(8)).toInstant()).isEqualTo(OffsetDateTime.parse("2020-01-02T03:04:05Z").toInstant());
    assertThat(back.get(1).subList(0, 8)).containsExactly(3L, 2.0, new BigDecimal("4.000"), "5", false,
        LocalDate.of(2021, 12, 31), LocalDateTime.of(2021, 12, 31, 23, 59, 59), 8L);
    assertThat(back.get(2)).containsOnlyNulls();

    // columns by name, in another order; unnamed columns get their default
    s.bulkLoad(Relation.of(null, null, "T"), List.of(new ColumnInfo("d", "VARCHAR"), new ColumnInfo("a", "BIGINT")),
        List.<Object[]>of(new Object[] {"by name", 10L}));
    assertThat(s.query("select a, d, b from t where a = 10", -1).rows().get(0)).containsExactly(10L, "by name", null);
  }

  @Test
  void bulkLoadIsAllOrNothingAndNamesTheBadValue() {
    s.execute("create table t(a bigint, b varchar)");
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) rows.add(new Object[] {(long) i, "r" + i});
    rows.add(new Object[] {"not a number", "bad"});
    assertThatThrownBy(() -> s.bulkLoad(Relation.of(null, null, "t"),
        List.of(new ColumnInfo("a", "BIGINT"), new ColumnInfo("b", "VARCHAR")), rows))
        .isInstanceOf(WeirException.class)
        .hasMessageContaining("row 10001").hasMessageContaining("'a'").hasMessageContaining("not a number");
    assertThat(s.query("select count(*) from t", -1).rows().get(0).get(0)).isEqualTo(0L);
    assertThat(s.inTransaction()).isFalse();
    assertThatThrownBy(() -> s.bulkLoad(Relation.of(null, null, "nope"), List.of(), List.of()))
        .isInstanceOf(WeirException.class).hasMessageContaining("does not exist");
  }

  @Test
  void bulkLoadOfAMillionRows() {
    s.execute("create table big(id bigint, name varchar, amount double, day date)");
    int n = 1_000_000;
    LocalDate base = LocalDate.of(2020, 1, 1);
    Iterable<Object[]> rows = () -> new Iterator<>() {
      int i;
      public boolean hasNext() { return i < n; }
      public Object[] next() {
        int k = i++;
        return new Object[] {(long) k, "name " + k, k * 0.5, base.plusDays(k % 1000)};
      }
    };
    List<ColumnInfo> cols = s.getColumns(Relation.of(null, null, "big"));
    long t0 = System.nanoTime();
    long loaded = s.bulkLoad(Relation.of(null, null, "big"), cols, rows);
    long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    System.out.printf("bulkLoad: %,d rows in %,d ms = %,d rows/s%n", loaded, ms, loaded * 1000 / ms);
    assertThat(loaded).isEqualTo(n);
    assertThat(s.query("select count(*), sum(id), max(day) from big", -1).rows().get(0))
        .containsExactly((long) n, (long) n * (n - 1) / 2, base.plusDays(999));
  }

  @Test
  void fallbackInsertPathForTypesTheAppenderDoesNotConvert() {
    s.execute("create table t(a bigint, payload blob)");
    s.bulkLoad(Relation.of(null, null, "t"), List.of(new ColumnInfo("a", "BIGINT"), new ColumnInfo("payload", "BLOB")),
        List.<Object[]>of(new Object[] {1L, new byte[] {1, 2}}, new Object[] {2L, null}));
    assertThat(s.query("select a, payload from t order by a", -1).rows().get(0))
        .containsExactly(1L, new byte[] {1, 2});
  }
}
