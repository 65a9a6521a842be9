package dev.weir.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.core.engine.Engine;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real parts: a MariaDB 11.4 source (binlog: ROW, FULL), Debezium's MySQL connector embedded, a DuckDB warehouse. */
class MariaDbCdcTest {
  static MariaDbServer.Server db;

  @BeforeAll
  static void start() {
    db = MariaDbServer.get();
    // the privileges the docs name: SELECT, RELOAD (snapshot lock), REPLICATION SLAVE and CLIENT (binlog)
    db.exec("create user if not exists 'weir'@'127.0.0.1' identified by 'weir-pw'",
        "grant select, reload, replication slave, replication client on *.* to 'weir'@'127.0.0.1'");
  }

  CdcSpec spec(String name, String database, String tables, String extra) {
    return CdcSpecs.parse("""
        name: %s
        connector: mariadb
        host: 127.0.0.1
        port: %d
        database: %s
        user: weir
        password: {env_var: MDBPW}
        tables: [%s]
        target_schema: raw_%s
        %s
        """.formatted(name, db.port, database, tables, name, extra), "cdc/" + name + ".yml", Map.of("MDBPW", "weir-pw")).get(0);
  }

  List<String> src(String database, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect(database); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) sb.append(i > 1 ? "|" : "").append(rs.getString(i));
        out.add(sb.toString());
      }
    }
    return out;
  }

  /** Statements in one transaction. */
  static void tx(String... sql) throws SQLException {
    try (Connection c = db.connect(null); Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      for (String q : sql) st.execute(q);
      c.commit();
    }
  }

  private static final String COLS = "id, customer, cast(amount as varchar), qty";
  private static final String SRC_COLS = "id, customer, cast(amount as char), qty";

  @Test
  void snapshotThenChangesMergedByKeyWithHistoryAddedColumnAndRestart(@TempDir Path wdir) throws Exception {
    db.exec("create database shop", "create table shop.orders (id int primary key, customer varchar(40), amount decimal(12,2), qty int)");
    StringBuilder ins = new StringBuilder("insert into shop.orders values ");
    for (int i = 1; i <= 50; i++) ins.append(i > 1 ? ", " : "").append("(").append(i).append(", 'c").append(i).append("', ").append(i * 1.5).append(", ").append(i).append(")");
    db.exec(ins.toString());
    CdcSpec spec = spec("shop", "shop", "shop.orders", "history: true");
    try (Engine e = CdcRunnerTest.duckdb(wdir)) {
      CdcRunner.Result r1 = CdcRunnerTest.run(e, spec);
      assertThat(r1.changes()).isEqualTo(50);
      assertThat(CdcRunnerTest.wh(e, "select " + COLS + " from raw_shop.orders order by id")).isEqualTo(src("shop", "select " + SRC_COLS + " from orders order by id"));
      assertThat(CdcRunnerTest.wh(e, "select count(*), min(_weir_op), max(_weir_op) from raw_shop.orders_history")).containsExactly("50|r|r");

      db.exec("insert into shop.orders values (51, 'new', 9.99, 1)",
          "update shop.orders set qty = qty + 100 where id <= 10",          // one statement: ten rows in one binlog event
          "update shop.orders set qty = qty + 100 where id <= 5",
          "delete from shop.orders where id between 20 and 24",
          "delete from shop.orders where id = 999");
      tx("insert into shop.orders values (52, 'tx', 1, 1)", "update shop.orders set amount = 2 where id = 52",
          "delete from shop.orders where id = 51", "update shop.orders set amount = 3 where id = 52");
      db.exec("update shop.orders set id = 152 where id = 52");                 // a key change: a delete and a create of one row
      CdcRunner.Result r2 = CdcRunnerTest.run(e, spec);
      assertThat(r2.changes()).isEqualTo(1 + 10 + 5 + 5 + 4 + 2);
      assertThat(CdcRunnerTest.wh(e, "select " + COLS + " from raw_shop.orders order by id")).isEqualTo(src("shop", "select " + SRC_COLS + " from orders order by id"));
      assertThat(CdcRunnerTest.wh(e, "select _weir_op, count(*) from raw_shop.orders_history group by 1 order by 1"))
          .containsExactly("c|3", "d|7", "r|50", "u|17");
      assertThat(CdcRunnerTest.wh(e, "select _weir_op, qty, _weir_valid_to is null from raw_shop.orders_history where id = 3 order by _weir_seq"))
          .containsExactly("r|3|false", "u|103|false", "u|203|true");
      assertThat(CdcRunnerTest.wh(e, "select _weir_op, amount, _weir_valid_to is null from raw_shop.orders_history where id = 52 order by _weir_seq"))
          .containsExactly("c|1.00|false", "u|2.00|false", "u|3.00|false", "d|3.00|true");
      // positions strictly increase in source order
      List<String> seqs = CdcRunnerTest.wh(e, "select count(*) from (select _weir_lsn, lag(_weir_lsn) over (order by _weir_seq) as prev,"
          + " _weir_tx_id, lag(_weir_tx_id) over (order by _weir_seq) as prev_tx from raw_shop.orders_history where _weir_op <> 'r')"
          + " where prev is not null and (_weir_tx_id < prev_tx or (_weir_tx_id = prev_tx and _weir_lsn <= prev))");
      assertThat(seqs).containsExactly("0");

      // an added column is followed: added to the warehouse tables, null for older rows
      db.exec("alter table shop.orders add column note varchar(20)", "update shop.orders set note = concat('n', id) where id in (1, 2)",
          "insert into shop.orders values (60, 'late', 3, 3, 'hello')");
      CdcRunnerTest.run(e, spec);
      assertThat(CdcRunnerTest.wh(e, "select id, note from raw_shop.orders where id in (1, 2, 3, 60) order by id"))
          .containsExactly("1|n1", "2|n2", "3|null", "60|hello");

      // a restart with nothing new applies nothing and doubles nothing
      long hist = Long.parseLong(CdcRunnerTest.wh(e, "select count(*) from raw_shop.orders_history").get(0));
      CdcRunner.Result r4 = CdcRunnerTest.run(e, spec);
      assertThat(r4.changes()).isZero();
      assertThat(CdcRunnerTest.wh(e, "select count(*) from raw_shop.orders_history")).containsExactly(String.valueOf(hist));
      // after a restart the schema (with the added column) comes from the warehouse's schema history
      assertThat(CdcRunnerTest.wh(e, "select count(*) > 0 from raw_shop.weir_cdc_schema_history where record like '%add column note%'"))
          .containsExactly("true");
      db.exec("update shop.orders set note = 'after restart' where id = 3", "alter table shop.orders add column extra int",
          "insert into shop.orders values (61, 'x', 1, 1, 'y', 7)");
      CdcRunner.Result r5 = CdcRunnerTest.run(e, spec);
      assertThat(r5.changes()).isEqualTo(2);
      assertThat(CdcRunnerTest.wh(e, "select " + COLS + ", note, extra from raw_shop.orders order by id"))
          .isEqualTo(src("shop", "select " + SRC_COLS + ", note, extra from orders order by id"));
      assertThat(CdcRunnerTest.wh(e, "select source, events, history_rows from raw_shop.weir_cdc_offsets"))
          .containsExactly("shop|" + (hist + 2) + "|" + (hist + 2));
      CdcStatus.Row st = CdcStatus.of(e, spec);
      assertThat(st.changes()).isEqualTo(hist + 2);
      assertThat(st.lsn()).startsWith("binlog ");
      assertThat(st.slotNote()).startsWith("binlog end ");
      System.out.println("status: " + st);

      // TRUNCATE TABLE empties the warehouse table in order with the changes around it
      db.exec("truncate table shop.orders", "insert into shop.orders values (70, 'after', 1, 1, null, null)");
      CdcRunnerTest.run(e, spec);
      assertThat(CdcRunnerTest.wh(e, "select id, customer from raw_shop.orders order by id")).containsExactly("70|after");
      assertThat(CdcRunnerTest.wh(e, "select count(*) from raw_shop.orders_history where _weir_valid_to is null and id <> 70"))
          .containsExactly("0");
    }
  }

  @Test
  void typesKeepTheirValuesFromSnapshotAndBinlog(@TempDir Path wdir) throws Exception {
    db.exec("create database typ", """
        create table typ.t (id int primary key, b bool, ti tinyint, si smallint unsigned, iu int unsigned, bu bigint unsigned,
          bs bigint, d decimal(30,10), f float, db double, dt date, dtm datetime(6), dt0 datetime, ts timestamp(6) null, tm time(6),
          y year, c char(3), vc varchar(100), tx text, bl blob, bin binary(4), e enum('red','green'), st set('a','b','c'),
          j json, bt bit(1), b12 bit(12))""",
        "insert into typ.t values (1, true, -128, 65535, 4294967295, 18446744073709551615, -9223372036854775808,"
            + " 12345678901234567890.0123456789, 1.5, 2.25, '2024-02-29', '2024-01-02 03:04:05.678901', '1999-12-31 23:59:59',"
            + " '2024-06-01 12:00:00.123456', '23:59:59.999999', 2155, 'abc', 'héllo wörld ✓', repeat('x', 300), x'00ff10', x'01020304',"
            + " 'green', 'a,c', '{\"k\": [1, 2]}', b'1', b'101000000001')");
    CdcSpec spec = spec("typ", "typ", "typ.t", "");
    String cols = "id, b, ti, si, iu, cast(bu as varchar), bs, cast(d as varchar), f, db, dt, dtm, dt0, ts, tm, y, c, vc, length(tx),"
        + " hex(bl), hex(bin), e, st, j, bt, b12";
    try (Engine e = CdcRunnerTest.duckdb(wdir)) {
      CdcRunnerTest.run(e, spec);
      db.exec("insert into typ.t select 2, b, ti, si, iu, bu, bs, d, f, db, dt, dtm, dt0, ts, tm, y, c, vc, tx, bl, bin, e, st, j, bt, b12 from typ.t where id = 1",
          "insert into typ.t (id, b, ti) values (3, false, 5)");
      CdcRunnerTest.run(e, spec);
      List<String> rows = CdcRunnerTest.wh(e, "select " + cols + " from raw_typ.t order by id");
      System.out.println("types: " + rows + "\n" + CdcRunnerTest.wh(e, "select column_name, data_type from information_schema.columns"
          + " where table_schema = 'raw_typ' and table_name = 't' order by ordinal_position"));
      String expected = "|true|-128|65535|4294967295|18446744073709551615|-9223372036854775808|12345678901234567890.0123456789|1.5|2.25"
          + "|2024-02-29|2024-01-02T03:04:05.678901|1999-12-31T23:59:59|2024-06-01T12:00:00.123456Z|23:59:59.999999|2155|abc|héllo wörld ✓|300"
          + "|00FF10|01020304|green|a,c|{\"k\": [1, 2]}|true|2561";
      assertThat(rows.get(0)).isEqualTo("1" + expected);
      assertThat(rows.get(1)).isEqualTo("2" + expected);
      assertThat(rows.get(2)).startsWith("3|false|5|null");
    }
  }

  @Test
  void snapshotNeverStreamsOnlyChangesFromTheStart(@TempDir Path wdir) throws Exception {
    db.exec("create database nev", "create table nev.t (id int primary key, v varchar(10))", "insert into nev.t values (1, 'old')");
    CdcSpec spec = spec("nev", "nev", "nev.t", "snapshot: never");
    try (Engine e = CdcRunnerTest.duckdb(wdir)) {
      assertThat(CdcRunnerTest.run(e, spec).changes()).isZero();
      db.exec("insert into nev.t values (2, 'new')", "update nev.t set v = 'changed' where id = 1");
      assertThat(CdcRunnerTest.run(e, spec).changes()).isEqualTo(2);
      assertThat(CdcRunnerTest.wh(e, "select id, v, _weir_op from raw_nev.t order by id")).containsExactly("1|changed|u", "2|new|c");
    }
  }
}
