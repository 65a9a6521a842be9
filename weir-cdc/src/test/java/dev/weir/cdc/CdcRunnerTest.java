package dev.weir.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.core.engine.Engine;
import dev.weir.core.engine.EngineOptions;
import dev.weir.core.engine.Engines;
import dev.weir.core.engine.Session;
import dev.weir.core.engine.TargetConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real parts: a Postgres 17 source with logical replication, Debezium's embedded engine, a DuckDB warehouse. */
class CdcRunnerTest {
  @TempDir static Path dir;
  static CdcSource src;

  @BeforeAll
  static void start() throws Exception {
    src = CdcSource.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    if (src != null) {
      for (String n : List.of("weir_shop", "weir_shoppg", "weir_soft", "weir_trunc")) src.dropSlot(n, n);
      src.close();
    }
  }

  static Engine duckdb(Path d) {
    Map<String, Object> s = new HashMap<>();
    s.put("type", "duckdb");
    s.put("path", d.resolve("warehouse.duckdb").toString());
    TargetConfig t = new TargetConfig("p", "dev", "duckdb", null, "main", 1, s, d);
    return Engines.forType("duckdb").open(t, new EngineOptions(d.resolve("target"), false, Duration.ofSeconds(30), "weir test", null));
  }

  CdcSpec spec(String name, String tables, String extra) {
    return CdcSpecs.parse("""
        name: %s
        host: localhost
        port: %d
        database: postgres
        user: postgres
        password: {env_var: PGPW}
        tables: [%s]
        target_schema: raw_%s
        %s
        """.formatted(name, src.port(), tables, name, extra), "cdc/" + name + ".yml", Map.of("PGPW", "x")).get(0);
  }

  static final List<String> LOG = new ArrayList<>();

  static CdcRunner.Result run(Engine e, CdcSpec spec) {
    CdcRunner.Result r = new CdcRunner(e, List.of(spec), new CdcRunner.Options(true, 120), new CdcRunner.Listener() {
      @Override public void batch(CdcRunner.BatchReport b) { LOG.add(b.toString()); }

      @Override public void info(String message) { LOG.add(message); }
    }).run();
    if (r.failure() != null) throw new AssertionError("CDC run failed: " + LOG, r.failure());
    return r;
  }

  static List<String> wh(Engine e, String sql) {
    List<String> out = new ArrayList<>();
    try (Session s = e.openSession()) {
      for (List<Object> row : s.query(sql, -1).rows()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < row.size(); i++) sb.append(i > 0 ? "|" : "").append(row.get(i));
        out.add(sb.toString());
      }
    }
    return out;
  }

  private static final String COLS = "id, customer, cast(amount as varchar), qty";

  @Test
  void snapshotThenChangesMergedByKeyWithHistoryAddedColumnsAndRestart(@TempDir Path wdir) throws Exception {
    try (Engine e = duckdb(wdir)) {
      scenario(e, "orders", "shop");
    }
  }

  @Test
  void theSameOnAPostgresWarehouse() throws Exception {
    src.sql("create database wh");
    Map<String, Object> t = new HashMap<>();
    t.put("type", "postgres");
    t.put("host", "localhost");
    t.put("port", src.port());
    t.put("user", "postgres");
    t.put("password", "x");
    t.put("dbname", "wh");
    t.put("schema", "public");
    t.put("threads", 1);
    try (Engine e = Engines.forType("postgres").open(new TargetConfig("p", "dev", "postgres", "wh", "public", 1, t, dir),
        new EngineOptions(dir.resolve("target"), false, Duration.ofSeconds(30), "weir test", null))) {
      scenario(e, "orders_pg", "shoppg");
    }
  }

  private void scenario(Engine e, String table, String name) throws Exception {
    src.sql("create table public." + table + " (id int primary key, customer text, amount numeric(12,2), qty int)",
        "insert into public." + table + " select g, 'c' || g, g * 1.5, g from generate_series(1, 50) g");
    CdcSpec spec = spec(name, "public." + table, "history: true");
    {
      CdcRunner.Result r1 = run(e, spec);
      assertThat(r1.changes()).isEqualTo(50);
      assertThat(wh(e, "select " + COLS + " from raw_" + name + "." + table + " order by id"))
          .isEqualTo(src.rows("select " + COLS + " from public." + table + " order by id"));
      assertThat(wh(e, "select count(*), min(_weir_op), max(_weir_op) from raw_" + name + "." + table + "_history")).containsExactly("50|r|r");

      src.sql("insert into public." + table + " values (51, 'new', 9.99, 1)",
          "update public." + table + " set qty = qty + 100 where id <= 10",
          "update public." + table + " set qty = qty + 100 where id <= 5",
          "delete from public." + table + " where id between 20 and 24",
          "begin; insert into public." + table + " values (52, 'tx', 1, 1); update public." + table + " set amount = 2 where id = 52;"
              + " delete from public." + table + " where id = 51; commit");
      CdcRunner.Result r2 = run(e, spec);
      assertThat(r2.changes()).isEqualTo(1 + 10 + 5 + 5 + 3);
      assertThat(wh(e, "select " + COLS + " from raw_" + name + "." + table + " order by id"))
          .isEqualTo(src.rows("select " + COLS + " from public." + table + " order by id"));
      assertThat(wh(e, "select _weir_op, count(*) from raw_" + name + "." + table + "_history group by 1 order by 1"))
          .containsExactly("c|2", "d|6", "r|50", "u|16");
      // every change of id 3: the snapshot row and two updates, validity chained
      assertThat(wh(e, "select _weir_op, qty, _weir_valid_to is null from raw_" + name + "." + table + "_history where id = 3 order by _weir_seq"))
          .containsExactly("r|3|false", "u|103|false", "u|203|true");
      assertThat(wh(e, "select _weir_op, amount, _weir_valid_to is null from raw_" + name + "." + table + "_history where id = 52 order by _weir_seq"))
          .containsExactly("c|1.00|false", "u|2.00|true");

      // an added column follows the drift rules: added to the warehouse table, null for older rows
      src.sql("alter table public." + table + " add column note text", "update public." + table + " set note = 'n' || id where id in (1, 2)",
          "insert into public." + table + " values (60, 'late', 3, 3, 'hello')");
      run(e, spec);
      assertThat(wh(e, "select id, note from raw_" + name + "." + table + " where id in (1, 2, 3, 60) order by id"))
          .containsExactly("1|n1", "2|n2", "3|null", "60|hello");
      assertThat(wh(e, "select " + COLS + ", note from raw_" + name + "." + table + " order by id"))
          .isEqualTo(src.rows("select " + COLS + ", note from public." + table + " order by id"));

      // a restart with nothing new applies nothing and doubles nothing
      long hist = Long.parseLong(wh(e, "select count(*) from raw_" + name + "." + table + "_history").get(0));
      CdcRunner.Result r4 = run(e, spec);
      assertThat(r4.changes()).isZero();
      assertThat(wh(e, "select count(*) from raw_" + name + "." + table + "_history")).containsExactly(String.valueOf(hist));
      assertThat(wh(e, "select source, events, history_rows from raw_" + name + ".weir_cdc_offsets"))
          .containsExactly(name + "|" + hist + "|" + hist);
      CdcStatus.Row st = CdcStatus.of(e, spec);
      assertThat(st.changes()).isEqualTo(hist);
      // the server notices the replication connection is gone a moment after the run returns
      for (long until = System.nanoTime() + 15_000_000_000L; Boolean.TRUE.equals(st.slotActive()) && System.nanoTime() < until; ) {
        Thread.sleep(200);
        st = CdcStatus.of(e, spec);
      }
      assertThat(st.slotActive()).isFalse();
      assertThat(st.lagBytes()).isNotNull();
    }
  }

  @Test
  void anUnreachableSourceStopsTheRunWithAnErrorAndNoSecret(@TempDir Path wdir) {
    CdcSpec spec = CdcSpecs.parse("""
        name: gone
        port: 1
        database: postgres
        user: postgres
        password: {env_var: PGPW}
        tables: [public.nothing]
        """, "cdc/gone.yml", Map.of("PGPW", "pw-not-to-be-shown")).get(0);
    try (Engine e = duckdb(wdir)) {
      long t0 = System.nanoTime();
      CdcRunner.Result r = new CdcRunner(e, List.of(spec), new CdcRunner.Options(true, 60), new CdcRunner.Listener() {
        @Override public void batch(CdcRunner.BatchReport b) { }

        @Override public void info(String message) { }
      }).run();
      assertThat(r.failure()).isNotNull();
      System.out.println("unreachable source: " + r.failure().getMessage());
      assertThat(String.valueOf(r.failure().getMessage())).contains("gone").doesNotContain("pw-not-to-be-shown");
      assertThat((System.nanoTime() - t0) / 1_000_000_000).isLessThan(55);
    }
  }

  @Test
  void softDeletesKeepTheRowFlagged(@TempDir Path wdir) throws Exception {
    src.sql("create table public.items (id int primary key, name text)",
        "insert into public.items values (1, 'a'), (2, 'b'), (3, 'c')",
        "create table public.tags (item int, tag text, weight double precision, at timestamp, primary key (item, tag))",
        "insert into public.tags values (1, 'x', 0.5, '2024-01-02 03:04:05.678901')");
    CdcSpec spec = spec("soft", "public.items, public.tags", "soft_delete: true");
    try (Engine e = duckdb(wdir)) {
      run(e, spec);
      src.sql("delete from public.items where id = 2", "insert into public.items values (4, 'd')", "delete from public.items where id = 4",
          "update public.items set name = 'cc' where id = 3",
          "begin; insert into public.tags values (1, 'y', 1.25, null); update public.items set name = 'aa' where id = 1;"
              + " delete from public.tags where item = 1 and tag = 'x'; commit");
      run(e, spec);
      // two tables in one source, a composite key, a timestamp with microseconds
      assertThat(wh(e, "select item, tag, weight, \"at\", _weir_deleted from raw_soft.tags order by tag"))
          .containsExactly("1|x|0.5|2024-01-02T03:04:05.678901|true", "1|y|1.25|null|false");
      assertThat(wh(e, "select id, name, _weir_deleted from raw_soft.items order by id"))
          .containsExactly("1|aa|false", "2|b|true", "3|cc|false", "4|d|true");
      src.sql("insert into public.items values (2, 'again')");
      run(e, spec);
      assertThat(wh(e, "select id, name, _weir_deleted from raw_soft.items where id = 2")).containsExactly("2|again|false");

      // TRUNCATE, in order with the changes around it: rows before it are gone (flagged here), rows after it stay
      src.sql("begin; insert into public.items values (5, 'e'); commit", "truncate public.items",
          "insert into public.items values (7, 'g')");
      run(e, spec);
      assertThat(wh(e, "select id, name, _weir_deleted, _weir_op from raw_soft.items order by id"))
          .containsExactly("1|aa|true|t", "2|again|true|t", "3|cc|true|t", "4|d|true|d", "5|e|true|t", "7|g|false|c");
    }
  }

  @Test
  void aTruncateEmptiesTheTableAndEndsEveryOpenVersion(@TempDir Path wdir) throws Exception {
    src.sql("create table public.stock (sku int primary key, qty int)", "insert into public.stock values (1, 10), (2, 20)");
    CdcSpec spec = spec("trunc", "public.stock", "history: true");
    try (Engine e = duckdb(wdir)) {
      run(e, spec);
      // a batch holding changes, the truncate and changes after it; then a truncate alone
      src.sql("update public.stock set qty = 11 where sku = 1", "truncate public.stock", "insert into public.stock values (3, 30)");
      CdcRunner.Result r = run(e, spec);
      assertThat(r.changes()).isEqualTo(3);
      assertThat(wh(e, "select sku, qty from raw_trunc.stock order by sku")).containsExactly("3|30");
      assertThat(wh(e, "select sku, qty, _weir_op, _weir_valid_to is null from raw_trunc.stock_history order by _weir_seq"))
          .containsExactly("1|10|r|false", "2|20|r|false", "1|11|u|false", "3|30|c|true");
      src.sql("truncate public.stock");
      run(e, spec);
      assertThat(wh(e, "select count(*) from raw_trunc.stock")).containsExactly("0");
      assertThat(wh(e, "select count(*) from raw_trunc.stock_history where _weir_valid_to is null")).containsExactly("0");
      // a restart applies nothing twice
      src.sql("insert into public.stock values (4, 40)");
      run(e, spec);
      assertThat(wh(e, "select sku, qty from raw_trunc.stock order by sku")).containsExactly("4|40");
    }
  }
}
