package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.core.artifacts.ArtifactSchemas;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingestion end to end: a real PostgreSQL (one zonky server for the class) and real SQLite files as
 * sources, DuckDB (and once Postgres) as the warehouse, driven through the CLI. Each test reads from
 * its own Postgres schema so that tests never share source tables.
 */
class IngestE2ETest {
  static EmbeddedPostgres pg;
  static final AtomicInteger SEQ = new AtomicInteger();

  @BeforeAll
  static void start() throws IOException {
    Path work = Path.of("target", "embedded-pg").toAbsolutePath();
    Files.createDirectories(work);
    pg = EmbeddedPostgres.builder()
        .setOverrideWorkingDirectory(work.toFile())
        .setDataDirectory(work.resolve("data-ingest-" + ProcessHandle.current().pid()))
        .setCleanDataDirectory(true)
        .start();
  }

  @AfterAll
  static void stop() throws IOException {
    if (pg != null) pg.close();
  }

  /** A fresh source schema on the Postgres server, with {@code sql} run in it. */
  static String sourceSchema(String... sql) {
    String schema = "src_" + SEQ.incrementAndGet();
    pgExec("create schema " + schema);
    List<String> all = new ArrayList<>();
    all.add("set search_path = " + schema);
    all.addAll(List.of(sql));
    pgExec(all.toArray(String[]::new));
    return schema;
  }

  static void pgExec(String... sql) {
    try (Connection c = DriverManager.getConnection(pg.getJdbcUrl("postgres", "postgres"));
         Statement st = c.createStatement()) {
      for (String s : sql) st.execute(s);
    } catch (SQLException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  /** A DuckDB project whose profile has no password, with the source password in env (unused by zonky's trust auth). */
  static TestProject project(Path dir, String yml) {
    TestProject p = TestProject.create(dir, "ing", "");
    p.env.put("SRC_USER", "postgres");
    p.env.put("SRC_PASSWORD", "s3cret-pw");
    p.file("models/ingest.yml", yml);
    return p;
  }

  static String pgConn(String schema) {
    return "    connection:\n      url: \"jdbc:postgresql://localhost:" + pg.getPort() + "/postgres?currentSchema=" + schema + "\"\n"
        + "      user: \"{{ env_var('SRC_USER') }}\"\n      password: \"{{ env_var('SRC_PASSWORD') }}\"";
  }

  static JsonNode result(TestProject p, String uniqueId) {
    for (JsonNode r : p.json("target/run_results.json").get("results")) {
      if (r.get("unique_id").asText().equals(uniqueId)) return r;
    }
    throw new AssertionError("no result for " + uniqueId + " in " + p.read("target/run_results.json"));
  }

  @Test
  void incrementalWithCursorAndLookbackPicksUpLateUpdatesAndKeepsTheMark(@TempDir Path dir) {
    String s = sourceSchema(
        "create table orders (id int primary key, customer text, amount numeric(10,2), updated_at timestamp)",
        "insert into orders values (1, 'ann', 10.50, '2024-01-01 10:00'), (2, 'bob', 20.00, '2024-01-01 11:00'),"
            + " (3, 'cy', 30.25, '2024-01-01 12:00')",
        "create table customers (id int primary key, name text)",
        "insert into customers values (1, 'ann'), (2, 'bob'), (3, E'multi\\nline, \"quoted\" \\\\ back\\ttab \u00e9'),"
            + " (4, ''), (5, null)");
    TestProject p = project(dir, """
        ingestions:
          - name: shop
        %s
            schema: raw_shop
            tables:
              - name: orders
                mode: incremental
                cursor: updated_at
                lookback: "1 hour"
              - name: customers
        """.formatted(pgConn(s)));
    p.run("ingest").ok();
    assertThat(p.rows("select id, customer, amount, cast(updated_at as varchar) from raw_shop.orders order by id")).containsExactly(
        "1|ann|10.50|2024-01-01 10:00:00", "2|bob|20.00|2024-01-01 11:00:00", "3|cy|30.25|2024-01-01 12:00:00");
    // Text with newlines, commas, quotes, backslashes and tabs, an empty string and a null survive the hand-off.
    assertThat(p.query("select name from raw_shop.customers order by id")).extracting(r -> r.get(0)).containsExactly(
        "ann", "bob", "multi\nline, \"quoted\" \\ back\ttab \u00e9", "", null);
    assertThat(p.rows("select high_water_mark from raw_shop.weir_ingest_state where table_name = 'orders'"))
        .containsExactly("2024-01-01 12:00:00.000000");
    // A late update inside the look-back window, one outside it (lost by design), and a new row.
    pgExec("set search_path = " + s, "update orders set amount = 11.00, updated_at = '2024-01-01 11:30' where id = 1",
        "update orders set amount = 99.00, updated_at = '2024-01-01 10:30' where id = 2",
        "insert into orders values (4, 'dee', 40.00, '2024-01-01 13:00')");
    p.run("ingest", "-s", "shop.orders").ok();
    assertThat(p.rows("select id, amount from raw_shop.orders order by id")).containsExactly(
        "1|11.00", "2|20.00", "3|30.25", "4|40.00");
    // Only the window was read: rows 1 (11:30), 3 (12:00) and 4 (13:00).
    assertThat(result(p, "ingestion.ing.shop.orders").at("/adapter_response/rows_affected").asLong()).isEqualTo(3);
    assertThat(p.rows("select high_water_mark from raw_shop.weir_ingest_state where table_name = 'orders'"))
        .containsExactly("2024-01-01 13:00:00.000000");
    // Nothing new: the window is re-read, the table stays the same.
    p.run("ingest", "-s", "shop.orders").ok();
    assertThat(p.rows("select count(*), sum(amount) from raw_shop.orders")).containsExactly("4|101.25");
    // --full-refresh reloads everything (row 2's missed update arrives).
    p.run("ingest", "--full-refresh").ok();
    assertThat(p.rows("select id, amount from raw_shop.orders order by id")).containsExactly(
        "1|11.00", "2|99.00", "3|30.25", "4|40.00");
  }

  @Test
  void quarantineChecksOnAnIngestedTableKeepBadRowsOutAndTheCursorMovesOn(@TempDir Path dir) {
    String s = sourceSchema(
        "create table payments (id int primary key, amount numeric(10,2), updated_at timestamp)",
        "insert into payments values (1, 10, '2024-01-01 10:00'), (2, -3, '2024-01-01 11:00'), (3, null, '2024-01-01 12:00')");
    TestProject p = project(dir, """
        ingestions:
          - name: pay
        %s
            schema: raw_pay
            tables:
              - name: payments
                mode: incremental
                cursor: updated_at
                data_tests:
                  - values_between: {column_name: amount, min_value: 0, action: quarantine}
                  - not_null: {column_name: amount, action: quarantine, name: amount_present}
        """.formatted(pgConn(s)));
    TestProject.Result r = p.run("build").ok();
    assertThat(r.out()).contains("1 row").contains("2 quarantined");
    assertThat(p.rows("select id from raw_pay.payments order by id")).containsExactly("1");
    assertThat(p.rows("select id, weir_check from raw_pay.payments__quarantine order by id"))
        .containsExactly("2|values_between_source_pay_payments__amount__0", "3|amount_present");
    assertThat(result(p, "ingestion.ing.pay.payments").at("/adapter_response/weir_quarantined_rows").asLong()).isEqualTo(2);
    // the cursor moved past the quarantined rows: they are not read again; a good new row lands
    pgExec("set search_path = " + s, "insert into payments values (4, 5, '2024-01-01 13:00')");
    p.run("build").ok();
    assertThat(p.rows("select id from raw_pay.payments order by id")).containsExactly("1", "4");
    assertThat(p.rows("select count(*) from raw_pay.payments__quarantine")).containsExactly("2");
  }

  @Test
  void appendUpsertSplitAndColumnChoices(@TempDir Path dir) {
    String s = sourceSchema(
        "create table items (id bigint primary key, name text, price text, secret text, qty int)",
        "insert into items select g, 'item ' || g, (g % 100) || '.25', 'hush', g % 7 from generate_series(1, 20000) g",
        "create table events (id int, kind text)",
        "insert into events values (1, 'a'), (2, 'b')",
        "create table typed (id int primary key, n numeric(12,3), d double precision, s smallint, t text, ts timestamp,"
            + " tz timestamptz, b boolean, dt date, big bigint)",
        "insert into typed select g, g * 1.125, g / 3.0, g % 100, case when g % 5 = 0 then null else E'x,\"y\"\\n' || g end,"
            + " timestamp '2024-02-29 23:59:59.123456' + g * interval '1 hour', timestamptz '2024-01-01 00:00+00' + g * interval '1 day',"
            + " g % 2 = 0, date '2000-01-01' + g, g * 1000000000000 from generate_series(1, 3000) g");
    TestProject p = project(dir, """
        ingestions:
          - name: src
        %s
            tables:
              - name: items
              - name: items_split
                source_table: items
                split: {column: id, parallelism: 4}
              - name: items_cols
                source_table: items
                columns:
                  exclude: [secret]
                  rename: {name: item_name}
                  types: {price: "DECIMAL(12,2)"}
              - name: items_up
                source_table: items
                mode: upsert
              - name: events
                mode: append
              - name: typed
              - name: typed_split
                source_table: typed
                split: {column: id, parallelism: 2}
        """.formatted(pgConn(s)));
    p.run("ingest").ok();
    assertThat(p.rows("select count(*), sum(id), sum(qty) from main.items_split"))
        .isEqualTo(p.rows("select count(*), sum(id), sum(qty) from main.items"));
    assertThat(p.rows("select count(*) from (select * from main.items except select * from main.items_split)")).containsExactly("0");
    // The Postgres -> DuckDB CSV hand-off (typed) and the JDBC/COPY-text path (typed_split) give the same rows and types.
    assertThat(p.rows("select count(*) from main.typed")).containsExactly("3000");
    assertThat(p.rows("select count(*) from (select * from main.typed except select * from main.typed_split)")).containsExactly("0");
    assertThat(p.rows("select count(*) from (select * from main.typed_split except select * from main.typed)")).containsExactly("0");
    assertThat(p.rows("select column_name || ' ' || data_type from information_schema.columns where table_name = 'typed'"
        + " order by ordinal_position")).isEqualTo(p.rows("select column_name || ' ' || data_type from information_schema.columns"
        + " where table_name = 'typed_split' order by ordinal_position"));
    assertThat(p.rows("select t, cast(ts as varchar), b, n from main.typed where id = 1")).containsExactly(
        "x,\"y\"\n1|2024-03-01 00:59:59.123456|false|1.125");
    assertThat(p.rows("select column_name, data_type from information_schema.columns where table_name = 'items_cols'"
        + " order by ordinal_position")).containsExactly("id|BIGINT", "item_name|VARCHAR", "price|DECIMAL(12,2)", "qty|INTEGER");
    assertThat(p.rows("select sum(price) from main.items_cols")).containsExactly("995000.00");
    // Append adds, upsert replaces by the key discovered from the source.
    pgExec("set search_path = " + s, "update items set name = 'renamed' where id = 5", "insert into events values (3, 'c')");
    p.run("ingest", "-s", "src.items_up", "src.events").ok();
    assertThat(p.rows("select count(*) from main.events")).containsExactly("5");
    assertThat(p.rows("select count(*), max(case when id = 5 then name end) from main.items_up")).containsExactly("20000|renamed");
  }

  @Test
  void schemaDriftWidensAddsAndKeepsColumnsOrFailsWhenAsked(@TempDir Path dir) {
    String s = sourceSchema("create table t (id int, a int, b text)", "insert into t values (1, 1, 'x')",
        "create table strict_t (id int)", "insert into strict_t values (1)");
    TestProject p = project(dir, """
        ingestions:
          - name: src
        %s
            mode: append
            tables:
              - name: t
              - name: strict_t
                on_schema_change: fail
        """.formatted(pgConn(s)));
    p.run("ingest").ok();
    pgExec("set search_path = " + s, "alter table t add column c text", "alter table t alter column a type bigint",
        "alter table t drop column b", "insert into t values (2, 5000000000, 'new')", "delete from t where id = 1",
        "alter table strict_t add column extra int");
    TestProject.Result r = p.run("ingest").exits(1);
    assertThat(r.out()).contains("on_schema_change is 'fail'").contains("column extra INTEGER added");
    assertThat(p.rows("select count(*) from main.strict_t")).containsExactly("1");
    assertThat(p.rows("select column_name, data_type from information_schema.columns where table_name = 't' order by ordinal_position"))
        .containsExactly("id|INTEGER", "a|BIGINT", "b|VARCHAR", "c|VARCHAR");
    assertThat(p.rows("select id, a, b, c from main.t order by id")).containsExactly("1|1|x|null", "2|5000000000|null|new");
    String msg = result(p, "ingestion.ing.src.t").get("message").asText();
    assertThat(msg).contains("column a widened from INTEGER to BIGINT").contains("column c VARCHAR added")
        .contains("column b is no longer in the source");
  }

  @Test
  void badRowsGoToTheDeadLetterTableAndPastTheThresholdNothingChanges(@TempDir Path dir) {
    String s = sourceSchema("create table pay (id int primary key, amount text)",
        "insert into pay values (1, '12.50'), (2, 'garbage'), (3, '7'), (4, '8.125')");
    String yml = """
        ingestions:
          - name: src
        %s
            bad_rows: {max_fraction: %s}
            tables:
              - name: pay
                columns: {types: {amount: "DECIMAL(12,2)"}}
        """;
    TestProject p = project(dir, yml.formatted(pgConn(s), "0.3"));
    p.run("ingest").ok();
    assertThat(p.rows("select id, amount from main.pay order by id")).containsExactly("1|12.50", "3|7.00", "4|8.13");
    assertThat(p.rows("select ingestion, table_name, row_number, row_key, raw_values, error from main.pay__dead_letter"))
        .containsExactly("src|pay|2|id=2|{\"id\": \"2\", \"amount\": \"garbage\"}|column amount: 'garbage' is not a DECIMAL(12,2)");
    assertThat(result(p, "ingestion.ing.src.pay").at("/adapter_response/weir_bad_rows").asLong()).isEqualTo(1);
    // Past the threshold: the load fails, the target keeps its rows.
    pgExec("set search_path = " + s, "insert into pay values (5, 'junk'), (6, 'more junk')");
    p.file("models/ingest.yml", yml.formatted(pgConn(s), "0.1"));
    TestProject.Result r = p.run("ingest").exits(1);
    assertThat(r.out()).contains("3 of 6 rows").contains("nothing was changed").contains("'junk' is not a DECIMAL(12,2)");
    assertThat(p.rows("select count(*) from main.pay")).containsExactly("3");
    assertThat(p.rows("select count(*) from main.pay__dead_letter")).containsExactly("1");
    assertThat(r.out()).doesNotContain("s3cret-pw");
  }

  @Test
  void sqliteSourcePatternAndQueryThenBuildRunsIngestModelsTestsWithSelection(@TempDir Path dir) throws Exception {
    Path lite = dir.resolve("app.sqlite");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + lite); Statement st = c.createStatement()) {
      st.execute("create table audit_a (id integer primary key, what text)");
      st.execute("create table audit_b (id integer primary key, what text, at timestamp)");
      st.execute("create table users (id integer primary key, name text, score real)");
      st.execute("insert into audit_a values (1, 'login'), (2, 'logout')");
      st.execute("insert into audit_b values (1, 'pay', '2024-02-01 09:00:00')");
      st.execute("insert into users values (1, 'ann', 1.5), (2, 'bob', 2.5), (3, null, 3.5)");
    }
    TestProject p = project(dir.resolve("proj"), """
        ingestions:
          - name: app
            connection: {url: "jdbc:sqlite:%s"}
            schema: raw_app
            tables:
              - pattern: "audit_%%"
              - name: named_users
                query: "select id, name, score * 2 as double_score from users where name is not null"
        """.formatted(lite));
    p.file("models/user_scores.sql", "select id, name, double_score from {{ source('app', 'named_users') }}");
    p.file("models/schema.yml", """
        models:
          - name: user_scores
            columns:
              - name: id
                data_tests: [not_null, unique]
        """);
    TestProject.Result ls = p.run("ls", "--resource-type", "ingestion").ok();
    assertThat(ls.out()).contains("ingestion:ing.app.audit").contains("ingestion:ing.app.named_users");
    assertThat(p.run("ls", "-s", "+user_scores").ok().out()).contains("ingestion:ing.app.named_users").doesNotContain("app.audit");
    p.run("build").ok();
    assertThat(p.rows("select id, name, double_score from main.user_scores order by id")).containsExactly("1|ann|3.0", "2|bob|5.0");
    assertThat(p.rows("select count(*) from raw_app.audit_a")).containsExactly("2");
    assertThat(p.rows("select what, cast(\"at\" as varchar) from raw_app.audit_b")).containsExactly("pay|2024-02-01 09:00:00");
    JsonNode rr = p.json("target/run_results.json");
    List<String> order = new ArrayList<>();
    for (JsonNode r : rr.get("results")) order.add(r.get("unique_id").asText());
    assertThat(order).contains("ingestion.ing.app.named_users", "ingestion.ing.app.audit", "model.ing.user_scores");
    assertThat(order.indexOf("ingestion.ing.app.named_users")).isLessThan(order.indexOf("model.ing.user_scores"));
    assertThat(result(p, "ingestion.ing.app.audit").get("message").asText()).contains("into 2 tables");
    ArtifactSchemas.assertValid(p.dir.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
    JsonNode src = p.json("target/manifest.json").at("/sources/source.ing.app.named_users");
    assertThat(src.get("loader").asText()).isEqualTo("weir");
    assertThat(src.get("schema").asText()).isEqualTo("raw_app");
    assertThat(p.json("target/manifest.json").at("/nodes").has("ingestion.ing.app.named_users")).isFalse();
    // build -s +user_scores runs the ingestion upstream, not the pattern one.
    p.run("build", "-s", "+user_scores").ok();
    List<String> ran = new ArrayList<>();
    for (JsonNode r : p.json("target/run_results.json").get("results")) ran.add(r.get("unique_id").asText());
    assertThat(ran).contains("ingestion.ing.app.named_users", "model.ing.user_scores").doesNotContain("ingestion.ing.app.audit");

    // A table the pattern loads is a source too, made when a model names it: lineage runs through the pattern's node.
    p.file("models/audit_counts.sql", "select count(*) as n from {{ source('app', 'audit_a') }}");
    assertThat(p.run("ls", "-s", "+audit_counts").ok().out()).contains("ingestion:ing.app.audit").contains("source:ing.app.audit_a");
    p.run("build", "-s", "+audit_counts").ok();
    assertThat(p.rows("select n from main.audit_counts")).containsExactly("2");
    JsonNode made = p.json("target/manifest.json").at("/sources/source.ing.app.audit_a");
    assertThat(made.get("schema").asText()).isEqualTo("raw_app");
    assertThat(made.get("loader").asText()).isEqualTo("weir");
    ArtifactSchemas.assertValid(p.dir.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
    // a name the pattern does not match is still an unknown source
    p.file("models/audit_counts.sql", "select count(*) as n from {{ source('app', 'users') }}");
    assertThat(p.run("parse").exits(2).toString()).contains("'app.users' which was not found");
  }

  /** A driver Weir does not bundle (H2, on the class path as WEIR_CLASSPATH puts it for the launcher): the generic JDBC path. */
  @Test
  void anyJdbcDriverOnTheClassPathIsASource(@TempDir Path dir) throws Exception {
    String url = "jdbc:h2:file:" + dir.resolve("h2/shop") + ";MODE=Regular";
    try (Connection c = DriverManager.getConnection(url, "sa", "pw"); Statement st = c.createStatement()) {
      st.execute("create table orders (id int primary key, customer varchar(20), amount decimal(10,2), updated_at timestamp)");
      st.execute("insert into orders values (1, 'ann', 10.50, timestamp '2024-01-01 10:00:00'), (2, 'bob', 20.00, timestamp '2024-01-01 11:00:00')");
      st.execute("create table audit_x (id int primary key, what varchar(10))");
      st.execute("insert into audit_x values (1, 'a')");
    }
    TestProject p = project(dir.resolve("proj"), """
        ingestions:
          - name: h2shop
            connection:
              url: "%s"
              user: sa
              password: "{{ env_var('H2_PASSWORD') }}"
            schema: raw_h2
            tables:
              - name: orders
                source_table: PUBLIC.ORDERS
                mode: incremental
                cursor: UPDATED_AT
              - pattern: "PUBLIC.AUDIT%%"
        """.formatted(url));
    p.env.put("H2_PASSWORD", "pw");
    p.run("ingest").ok();
    assertThat(p.rows("select \"ID\", \"CUSTOMER\", \"AMOUNT\" from raw_h2.orders order by 1")).containsExactly("1|ann|10.50", "2|bob|20.00");
    assertThat(p.rows("select count(*) from raw_h2.\"AUDIT_X\"")).containsExactly("1");
    try (Connection c = DriverManager.getConnection(url, "sa", "pw"); Statement st = c.createStatement()) {
      st.execute("update orders set amount = 11.00, updated_at = timestamp '2024-01-01 12:00:00' where id = 1");
      st.execute("insert into orders values (3, 'cy', 5.00, timestamp '2024-01-01 13:00:00')");
    }
    p.run("ingest", "-s", "h2shop.orders").ok();
    assertThat(p.rows("select \"ID\", \"AMOUNT\" from raw_h2.orders order by 1")).containsExactly("1|11.00", "2|20.00", "3|5.00");
    assertThat(result(p, "ingestion.ing.h2shop.orders").at("/adapter_response/rows_affected").asLong()).isEqualTo(2);
    // a driver that is not there: say which and how to add it
    p.file("models/ingest.yml", p.read("models/ingest.yml").replace("jdbc:h2:", "jdbc:nosuchdb:"));
    assertThat(p.run("ingest").exits(1).toString()).contains("No JDBC driver for 'nosuchdb' URLs (models/ingest.yml:").contains("WEIR_CLASSPATH");
  }

  @Test
  void aLiteralPasswordIsRefusedWithFileAndLine(@TempDir Path dir) {
    TestProject p = project(dir, """
        ingestions:
          - name: shop
            connection:
              url: "jdbc:postgresql://localhost:5432/db"
              user: admin
              password: hunter2
            tables:
              - name: orders
        """);
    TestProject.Result r = p.run("ingest").exits(2);
    assertThat(r.out() + r.err()).contains("models/ingest.yml:6").contains("env_var");
  }

  @Test
  void postgresAsTheWarehouse(@TempDir Path dir) {
    String s = sourceSchema("create table k (id int primary key, v text, ts timestamptz)",
        "insert into k values (1, 'a', '2024-01-01 10:00+00'), (2, 'b', '2024-01-01 11:00+00')");
    String wh = "wh_" + SEQ.incrementAndGet();
    TestProject p = project(dir, """
        ingestions:
          - name: src
        %s
            tables:
              - name: k
                mode: incremental
                cursor: ts
        """.formatted(pgConn(s)));
    p.file("profiles.yml", """
        ing:
          target: dev
          outputs:
            dev:
              type: postgres
              host: localhost
              port: %d
              user: postgres
              password: unused
              dbname: postgres
              schema: %s
        """.formatted(pg.getPort(), wh));
    p.run("ingest").ok();
    pgExec("set search_path = " + s, "update k set v = 'b2', ts = '2024-01-01 12:00+00' where id = 2",
        "insert into k values (3, 'c', '2024-01-01 13:00+00')");
    p.run("ingest").ok();
    List<String> got = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(pg.getJdbcUrl("postgres", "postgres")); Statement st = c.createStatement();
         var rs = st.executeQuery("select id, v, ts at time zone 'UTC' from " + wh + ".k order by id")) {
      while (rs.next()) got.add(rs.getInt(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    assertThat(got).containsExactly("1|a|2024-01-01 10:00:00", "2|b2|2024-01-01 12:00:00", "3|c|2024-01-01 13:00:00");
    assertThat(result(p, "ingestion.ing.src.k").at("/adapter_response/rows_affected").asLong()).isEqualTo(2);
  }

  @Test
  void killedMidLoadLeavesTheTargetUnchangedAndTheNextRunIsExact(@TempDir Path dir) throws Exception {
    String s = sourceSchema("create table big (id bigint, v text, n double precision)",
        "insert into big select g, 'v' || g, g * 0.5 from generate_series(1, 10) g");
    TestProject p = project(dir, """
        ingestions:
          - name: src
        %s
            tables:
              - name: big
        """.formatted(pgConn(s)));
    p.run("ingest").ok();
    pgExec("set search_path = " + s, "truncate big", "insert into big select g, 'v' || g, g * 0.5 from generate_series(1, 1500000) g");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), TestProject.childTmp(p.dir), "-cp",
        System.getProperty("java.class.path"), "dev.weir.cli.Main", "ingest", "--project-dir", p.dir.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().putAll(p.env);
    pb.environment().put("WEIR_INGEST_PROGRESS_SECONDS", "0.3");
    Process proc = pb.start();
    StringBuffer out = new StringBuffer();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l = r.readLine(); l != null; l = r.readLine()) out.append(l).append('\n');
      } catch (IOException e) {
        // killed
      }
    });
    reader.setDaemon(true);
    reader.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!out.toString().contains("ingesting ")) {
        if (System.nanoTime() > deadline || !proc.isAlive()) throw new AssertionError("no progress line before the end:\n" + out);
        Thread.sleep(20);
      }
      proc.destroyForcibly(); // SIGKILL
      assertThat(proc.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      if (proc.isAlive()) proc.destroyForcibly();
    }
    assertThat(out.toString()).doesNotContain("OK loaded");
    assertThat(p.rows("select count(*), sum(id) from main.big")).containsExactly("10|55");
    p.run("ingest").ok();
    assertThat(p.rows("select count(*), sum(id), count(distinct v) from main.big")).containsExactly("1500000|1125000750000|1500000");
    assertThat(p.relationExists("main", "big__weir_staging")).isFalse();
  }

  @Test
  void aTableMuchLargerThanTheHeapLoadsInBoundedMemory(@TempDir Path dir) throws Exception {
    // 2,000,000 rows of ~70 bytes (~140 MB as text) through a JVM whose heap is capped at 64 MB: the load streams
    // (COPY chunks handed to the warehouse), it never holds the table
    String s = sourceSchema("create table wide (id bigint, label text, amount numeric(12,2), at timestamp)",
        "insert into wide select g, 'label number ' || g || ' of the generated table', g % 100000 + 0.25,"
            + " timestamp '2024-01-01' + g * interval '1 second' from generate_series(1, 2000000) g");
    TestProject p = project(dir, """
        ingestions:
          - name: src
        %s
            tables:
              - name: wide
        """.formatted(pgConn(s)));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), TestProject.childTmp(p.dir), "-Xmx64m", "-cp",
        System.getProperty("java.class.path"), "dev.weir.cli.Main", "ingest", "--project-dir", p.dir.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().putAll(p.env);
    Process proc = pb.start();
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(proc.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(proc.exitValue()).as(out).isZero();
    assertThat(out).doesNotContain("OutOfMemoryError");
    assertThat(p.rows("select count(*), sum(id), max(label) from main.wide"))
        .containsExactly("2000000|2000001000000|label number 999999 of the generated table");
  }
}
