package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingestion from a real MariaDB server ({@link SharedMariaDb}: MariaDB 11.4 from Maven Central's
 * binaries, started by the test JVM) into DuckDB, driven through the CLI. Each test reads from its
 * own database on the shared server, as its own user with a password that comes from env_var; the
 * server-goes-away test has a server of its own.
 */
class MariaDbIngestE2ETest {
  static final AtomicInteger SEQ = new AtomicInteger();
  static final String PASSWORD = "Maria-S3cret!pw";

  /** A fresh database on the shared server, readable by user {@code reader_<n>}, with {@code sql} run in it. */
  static String sourceDb(String... sql) {
    SharedMariaDb.Server m = SharedMariaDb.get();
    String db = "src_" + SEQ.incrementAndGet();
    m.exec("create database " + db, "create user reader_" + db + "@'127.0.0.1' identified by '" + PASSWORD + "'",
        "grant select, show view on " + db + ".* to reader_" + db + "@'127.0.0.1'");
    List<String> all = new ArrayList<>();
    all.add("use " + db);
    all.addAll(List.of(sql));
    m.exec(all.toArray(String[]::new));
    return db;
  }

  static void exec(String db, String... sql) {
    List<String> all = new ArrayList<>();
    all.add("use " + db);
    all.addAll(List.of(sql));
    SharedMariaDb.get().exec(all.toArray(String[]::new));
  }

  static TestProject project(Path dir, String db, String yml) {
    TestProject p = TestProject.create(dir, "ing", "");
    p.env.put("SRC_USER", "reader_" + db);
    p.env.put("SRC_PASSWORD", PASSWORD);
    p.file("models/ingest.yml", yml);
    return p;
  }

  static String conn(SharedMariaDb.Server m, String db) {
    return "    connection:\n      url: \"" + m.url(db) + "\"\n"
        + "      user: \"{{ env_var('SRC_USER') }}\"\n      password: \"{{ env_var('SRC_PASSWORD') }}\"";
  }

  static JsonNode result(TestProject p, String uniqueId) {
    for (JsonNode r : p.json("target/run_results.json").get("results")) {
      if (r.get("unique_id").asText().equals(uniqueId)) return r;
    }
    throw new AssertionError("no result for " + uniqueId + " in " + p.read("target/run_results.json"));
  }

  static List<String> columns(TestProject p, String schema, String table) {
    return p.rows("select column_name || ' ' || data_type from information_schema.columns where table_schema = '" + schema
        + "' and table_name = '" + table + "' order by ordinal_position");
  }

  @Test
  void fullRefreshOfEveryTypeLandsWithSensibleTypesAndExactValues(@TempDir Path dir) {
    String db = sourceDb(
        "create table all_types (id int primary key, ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned,"
            + " mi mediumint, iu int unsigned, bi bigint, biu bigint unsigned, d decimal(12,3), dbig decimal(50,10), f float,"
            + " db double, dt date, dtm datetime(6), dtm0 datetime, ts timestamp(6) null, tm time, tm6 time(6), y year,"
            + " c char(5), v varchar(40), tx text, bl blob, bn binary(3), vb varbinary(8), b1 bit(1), bo boolean,"
            + " e enum('small','large'), j json, u uuid) default charset = utf8mb4",
        "insert into all_types values (1, -128, 255, -32768, 65535, -8388608, 4294967295, -9223372036854775808,"
            + " 18446744073709551615, -123456789.125, 1234567890123456789012345678901234567890.0123456789, 3.14, 2.718281828459045,"
            + " '2024-02-29', '2024-03-31 02:30:00.123456', '1999-12-31 23:59:59', '2024-06-01 12:34:56.789012', '23:59:59',"
            + " '12:00:00.5', 2024, 'ab', 'h\u00e9llo w\u00f6rld \u4e2d\u6587 \ud83d\ude00', 'multi\\nline \"q\" \\\\ tab\\t',"
            + " x'00ff10', 'abc', x'0102', b'1', true, 'large', '{\"a\": [1, 2], \"b\": null}',"
            + " '123e4567-e89b-12d3-a456-426614174000')",
        "insert into all_types values (2, 127, 0, 32767, 0, 8388607, 0, 9223372036854775807, 0, 0.000, -1.5, -0.5, 1e308,"
            + " '1000-01-01', '9999-12-31 23:59:59.999999', '2000-01-01 00:00:00', '1970-01-01 00:00:01', '00:00:00',"
            + " '00:00:00', 1901, '', '', '', x'', x'000000', x'', b'0', false, 'small', '[]',"
            + " '00000000-0000-0000-0000-000000000000')",
        "insert into all_types (id) values (3)",
        // Values that a warehouse type cannot hold: TIME past 24 hours and a zero date.
        "set sql_mode = ''",
        "create table odd (id int primary key, tm time, dt date)",
        "insert into odd values (1, '10:00:00', '2024-01-01'), (2, '838:59:59', '2024-01-02'), (3, '-01:00:00', '2024-01-03'),"
            + " (4, '11:00:00', '0000-00-00'), (5, '12:00:00', '2024-01-05')");
    SharedMariaDb.Server m = SharedMariaDb.get();
    TestProject p = project(dir, db, """
        ingestions:
          - name: maria
        %s
            schema: raw
            tables:
              - name: all_types
              - name: odd
                bad_rows: {max_fraction: 0.7}
        """.formatted(conn(m, db)));
    p.run("ingest").ok();
    assertThat(columns(p, "raw", "all_types")).containsExactly("id INTEGER", "ti SMALLINT", "tiu SMALLINT", "si SMALLINT",
        "siu INTEGER", "mi INTEGER", "iu BIGINT", "bi BIGINT", "biu DECIMAL(20,0)", "d DECIMAL(12,3)", "dbig DOUBLE", "f DOUBLE",
        "db DOUBLE", "dt DATE", "dtm TIMESTAMP", "dtm0 TIMESTAMP", "ts TIMESTAMP WITH TIME ZONE", "tm TIME", "tm6 TIME",
        "y SMALLINT", "c VARCHAR", "v VARCHAR", "tx VARCHAR", "bl VARCHAR", "bn VARCHAR", "vb VARCHAR", "b1 BOOLEAN",
        "bo BOOLEAN", "e VARCHAR", "j VARCHAR", "u VARCHAR");
    String ints = "select id, ti, tiu, si, siu, mi, iu, bi, cast(biu as varchar), cast(d as varchar) from raw.all_types order by id";
    assertThat(p.rows(ints)).containsExactly(
        "1|-128|255|-32768|65535|-8388608|4294967295|-9223372036854775808|18446744073709551615|-123456789.125",
        "2|127|0|32767|0|8388607|0|9223372036854775807|0|0.000",
        "3|null|null|null|null|null|null|null|null|null");
    assertThat(p.rows("select dbig, f, db from raw.all_types order by id")).containsExactly(
        "1.2345678901234568E39|3.14|2.718281828459045", "-1.5|-0.5|1.0E308", "null|null|null");
    // Dates, datetimes to the microsecond (02:30 on 2024-03-31 does not exist in much of Europe: no time zone touches it),
    // TIMESTAMP as an instant (the session reads it in UTC), times and years.
    String temporal = "select cast(dt as varchar), cast(dtm as varchar), cast(dtm0 as varchar),"
        + " cast(timezone('UTC', ts) as varchar), cast(tm as varchar), cast(tm6 as varchar), y from raw.all_types order by id";
    assertThat(p.rows(temporal)).containsExactly(
        "2024-02-29|2024-03-31 02:30:00.123456|1999-12-31 23:59:59|2024-06-01 12:34:56.789012|23:59:59|12:00:00.5|2024",
        "1000-01-01|9999-12-31 23:59:59.999999|2000-01-01 00:00:00|1970-01-01 00:00:01|00:00:00|00:00:00|1901",
        "null|null|null|null|null|null|null");
    assertThat(p.query("select c, v, tx, bl, bn, vb, b1, bo, e, j, u from raw.all_types order by id")).containsExactly(
        List.of("ab", "h\u00e9llo w\u00f6rld \u4e2d\u6587 \ud83d\ude00", "multi\nline \"q\" \\ tab\t", "\\x00ff10", "\\x616263",
            "\\x0102", true, true, "large", "{\"a\": [1, 2], \"b\": null}", "123e4567-e89b-12d3-a456-426614174000"),
        List.of("", "", "", "\\x", "\\x000000", "\\x", false, false, "small", "[]", "00000000-0000-0000-0000-000000000000"),
        java.util.Arrays.asList(null, null, null, null, null, null, null, null, null, null, null));
    // What no warehouse type holds goes to the dead letters, named, instead of a wrapped time or a made-up date.
    assertThat(p.rows("select id, cast(tm as varchar), cast(dt as varchar) from raw.odd order by id")).containsExactly(
        "1|10:00:00|2024-01-01", "5|12:00:00|2024-01-05");
    assertThat(p.rows("select row_key, error from raw.odd__dead_letter order by row_number")).containsExactly(
        "id=2|column tm: '838:59:59' is not a TIME", "id=3|column tm: '-01:00:00' is not a TIME",
        "id=4|column dt: '0000-00-00' is not a DATE");
  }

  @Test
  void incrementalByCursorReadsOnlyNewRowsAndReplacesByTheSourceKey(@TempDir Path dir) {
    String db = sourceDb(
        "create table orders (id bigint unsigned auto_increment primary key, customer varchar(20), amount decimal(10,2),"
            + " updated_at datetime(6) not null)",
        "insert into orders (customer, amount, updated_at) values ('ann', 10.50, '2024-01-01 10:00:00'),"
            + " ('bob', 20.00, '2024-01-01 11:00:00.250000'), ('cy', 30.25, '2024-01-01 12:00:00')",
        "create table clicks (id int primary key, page varchar(20), at timestamp(6) not null default current_timestamp(6))",
        "insert into clicks values (1, '/a', '2024-05-01 08:00:00'), (2, '/b', '2024-05-01 09:00:00.5')");
    SharedMariaDb.Server m = SharedMariaDb.get();
    TestProject p = project(dir, db, """
        ingestions:
          - name: shop
        %s
            schema: raw_shop
            mode: incremental
            tables:
              - name: orders
                cursor: updated_at
              - name: clicks
                cursor: at
        """.formatted(conn(m, db)));
    p.run("ingest").ok();
    assertThat(p.rows("select id, customer, amount, cast(updated_at as varchar) from raw_shop.orders order by id")).containsExactly(
        "1|ann|10.50|2024-01-01 10:00:00", "2|bob|20.00|2024-01-01 11:00:00.25", "3|cy|30.25|2024-01-01 12:00:00");
    assertThat(p.rows("select table_name, high_water_mark from raw_shop.weir_ingest_state order by table_name")).containsExactly(
        "clicks|2024-05-01 09:00:00.500000+00:00", "orders|2024-01-01 12:00:00.000000");
    // An update and two new rows; nothing changes in clicks but a new click.
    exec(db, "update orders set amount = 11.00, updated_at = '2024-01-02 09:00:00' where id = 1",
        "insert into orders (customer, amount, updated_at) values ('dee', 40.00, '2024-01-02 10:00:00'),"
            + " ('eve', 50.00, '2024-01-02 10:00:00.000001')",
        "insert into clicks values (3, '/c', '2024-05-01 09:00:00.500001')");
    p.run("ingest").ok();
    assertThat(result(p, "ingestion.ing.shop.orders").at("/adapter_response/rows_affected").asLong()).isEqualTo(3);
    assertThat(result(p, "ingestion.ing.shop.clicks").at("/adapter_response/rows_affected").asLong()).isEqualTo(1);
    assertThat(p.rows("select id, customer, amount from raw_shop.orders order by id")).containsExactly(
        "1|ann|11.00", "2|bob|20.00", "3|cy|30.25", "4|dee|40.00", "5|eve|50.00");
    assertThat(p.rows("select count(*) from raw_shop.clicks")).containsExactly("3");
    // Nothing new: nothing read.
    p.run("ingest").ok();
    assertThat(result(p, "ingestion.ing.shop.orders").at("/adapter_response/rows_affected").asLong()).isEqualTo(0);
    assertThat(result(p, "ingestion.ing.shop.clicks").at("/adapter_response/rows_affected").asLong()).isEqualTo(0);
    assertThat(p.rows("select count(*), sum(amount) from raw_shop.orders")).containsExactly("5|151.25");
  }

  @Test
  void upsertByDiscoveredKeyPatternAndQuery(@TempDir Path dir) {
    String db = sourceDb(
        "create table stock (region char(2), sku int, qty int unsigned, primary key (region, sku))",
        "insert into stock values ('eu', 1, 5), ('eu', 2, 6), ('us', 1, 7)",
        "create table audit_login (id int primary key, who varchar(10))",
        "create table audit_pay (id int primary key, amount decimal(8,2))",
        "create table auditx (id int primary key)",
        "insert into audit_login values (1, 'ann'), (2, 'bob')",
        "insert into audit_pay values (1, 9.99)");
    // The same table names in another database: a pattern or key lookup must not see them.
    String other = sourceDb("create table audit_other (id int primary key)",
        "create table stock (region char(2), sku int, qty int, extra int, primary key (extra))");
    SharedMariaDb.Server m = SharedMariaDb.get();
    TestProject p = project(dir, db, """
        ingestions:
          - name: wh
        %s
            schema: raw_wh
            tables:
              - name: stock
                mode: upsert
              - pattern: "audit\\\\_%%"
                name: audit
              - name: big_stock
                query: "select region, sum(qty) as total from stock group by region having sum(qty) > 6"
        """.formatted(conn(m, db)));
    p.run("ingest").ok();
    assertThat(p.rows("select region, sku, qty from raw_wh.stock order by region, sku")).containsExactly(
        "eu|1|5", "eu|2|6", "us|1|7");
    assertThat(p.rows("select table_name from information_schema.tables where table_schema = 'raw_wh' and table_name like 'audit%'"
        + " order by table_name")).containsExactly("audit_login", "audit_pay");
    assertThat(p.rows("select who from raw_wh.audit_login order by id")).containsExactly("ann", "bob");
    assertThat(p.rows("select region, cast(total as varchar) from raw_wh.big_stock order by region")).containsExactly("eu|11", "us|7");
    assertThat(result(p, "ingestion.ing.wh.audit").get("message").asText()).contains("into 2 tables");
    // Upsert replaces by (region, sku), the key MariaDB declares for this database's stock.
    exec(db, "update stock set qty = 50 where region = 'eu' and sku = 2", "insert into stock values ('us', 2, 8)");
    p.run("ingest", "-s", "wh.stock").ok();
    assertThat(p.rows("select region, sku, qty from raw_wh.stock order by region, sku")).containsExactly(
        "eu|1|5", "eu|2|50", "us|1|7", "us|2|8");
    // A pattern with the database named reads that database's tables.
    TestProject q = project(dir.resolve("other"), other, """
        ingestions:
          - name: o
        %s
            tables:
              - pattern: "%s.audit%%"
        """.formatted(conn(m, db), other));
    q.env.put("SRC_USER", "root");
    q.env.put("SRC_PASSWORD", "");
    q.run("ingest").ok();
    assertThat(q.rows("select count(*) from main.audit_other")).containsExactly("0");
  }

  @Test
  void theSharedServerKeepsTheRowBinlogThatCdcReads() throws SQLException {
    try (Connection c = SharedMariaDb.get().connect(null); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("select @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id, @@version")) {
      assertThat(rs.next()).isTrue();
      assertThat(List.of(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4))).containsExactly("1", "ROW", "FULL", "1");
      assertThat(rs.getString(5)).startsWith("11.4.");
    }
  }

  @Test
  void thePasswordComesFromEnvVarAndNeverShows(@TempDir Path dir) throws IOException {
    String db = sourceDb("create table t (id int primary key, v varchar(5))", "insert into t values (1, 'x')");
    SharedMariaDb.Server m = SharedMariaDb.get();
    TestProject p = project(dir, db, """
        ingestions:
          - name: s
        %s
            tables:
              - name: t
        """.formatted(conn(m, db)));
    TestProject.Result ok = p.run("ingest", "--debug").ok();
    assertThat(p.rows("select id, v from main.t")).containsExactly("1|x");
    // A wrong password: refused by the server, and the one given is not printed either.
    p.env.put("SRC_PASSWORD", "Wrong-" + PASSWORD);
    TestProject.Result bad = p.run("ingest").exits(1);
    assertThat(bad.out() + bad.err()).contains("Access denied").contains("reader_" + db);
    for (TestProject.Result r : List.of(ok, bad)) assertThat(r.out() + r.err()).doesNotContain(PASSWORD);
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        if (f.toString().endsWith(".duckdb") || f.toString().endsWith(".wal")) continue;
        assertThat(new String(Files.readAllBytes(f), StandardCharsets.UTF_8)).as(f.toString()).doesNotContain(PASSWORD);
      }
    }
    assertThat(p.exists("target/run_results.json")).isTrue();
  }

  @Test
  void aServerThatGoesAwayMidLoadFailsTheIngestionClearlyAndLeavesTheTargetAlone(@TempDir Path dir) throws Exception {
    SharedMariaDb.Server m = SharedMariaDb.startPrivate("goes-away");
    try {
      m.exec("create database shop", "use shop", "create table big (id bigint primary key, v varchar(20), n double)",
          "insert into big select seq, concat('v', seq), seq * 0.5 from seq_1_to_10");
      TestProject p = TestProject.create(dir, "ing", "");
      p.env.put("SRC_PASSWORD", "");
      p.file("models/ingest.yml", """
          ingestions:
            - name: shop
              connection:
                url: "%s"
                user: root
                password: "{{ env_var('SRC_PASSWORD') }}"
              tables:
                - name: big
          """.formatted(m.url("shop")));
      p.run("ingest").ok();
      m.exec("use shop", "truncate big", "insert into big select seq, concat('v', seq), seq * 0.5 from seq_1_to_1500000");
      // SIGKILL the server once the load's select is streaming rows.
      CompletableFuture<Boolean> killer = CompletableFuture.supplyAsync(() -> {
        try (Connection c = m.connect(null); Statement st = c.createStatement()) {
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
          while (System.nanoTime() < deadline) {
            try (ResultSet rs = st.executeQuery("select count(*) from information_schema.processlist where command = 'Query'"
                + " and id <> connection_id() and info like 'select %from `big`%'")) {
              rs.next();
              if (rs.getInt(1) > 0) {
                m.kill();
                return true;
              }
            }
            Thread.sleep(10);
          }
          return false;
        } catch (SQLException | InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      TestProject.Result r = p.run("ingest").exits(1);
      assertThat(killer.get(60, TimeUnit.SECONDS)).as("the load's select was seen and the server killed").isTrue();
      String out = r.out() + r.err();
      // the driver words the cause by where the kill lands (mid-stream, or between packets)
      assertThat(out).contains("Error in ingestion big (models/ingest.yml)")
          .contains("Reading " + m.url("shop") + " failed (models/ingest.yml:").containsPattern("Error while streaming|[Ss]ocket (error|was closed)")
          .doesNotContain("OK loaded");
      assertThat(out.lines().filter(l -> l.contains("failed (models/ingest.yml:")).count()).isEqualTo(1);
      assertThat(p.rows("select count(*), sum(id) from main.big")).containsExactly("10|55");
      assertThat(result(p, "ingestion.ing.shop.big").get("status").asText()).isEqualTo("error");
    } finally {
      m.stop();
    }
  }
}
