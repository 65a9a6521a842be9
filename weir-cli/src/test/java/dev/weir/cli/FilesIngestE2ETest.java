package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File ingestion and exports end to end, through the CLI: real CSV (plain and gzip), NDJSON and
 * Parquet files (the Parquet ones written by DuckDB itself), a real DuckDB warehouse, and once a
 * real Postgres warehouse.
 */
class FilesIngestE2ETest {

  static TestProject project(Path dir, String yml) {
    TestProject p = TestProject.create(dir, "files", "");
    p.file("models/ingest.yml", yml);
    return p;
  }

  static void gzip(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      try (OutputStream os = new GZIPOutputStream(Files.newOutputStream(file))) {
        os.write(text.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code sql} on an in-memory DuckDB (writes Parquet test files, reads exports back). */
  static List<String> duck(String sql) {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      List<String> out = new ArrayList<>();
      if (st.execute(sql)) {
        try (ResultSet rs = st.getResultSet()) {
          int n = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i <= n; i++) sb.append(i > 1 ? "|" : "").append(rs.getObject(i));
            out.add(sb.toString());
          }
        }
      }
      return out;
    } catch (SQLException e) {
      throw new AssertionError(sql + ": " + e.getMessage(), e);
    }
  }

  static JsonNode result(TestProject p, String uniqueId) {
    for (JsonNode r : p.json("target/run_results.json").get("results")) {
      if (r.get("unique_id").asText().equals(uniqueId)) return r;
    }
    throw new AssertionError("no result for " + uniqueId + " in " + p.read("target/run_results.json"));
  }

  static int indexOf(List<String> lines, String part) {
    for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(part)) return i;
    throw new AssertionError("no line with '" + part + "' in " + lines);
  }

  static void touch(Path f, long plusSeconds) throws IOException {
    Files.setLastModifiedTime(f, FileTime.fromMillis(Files.getLastModifiedTime(f).toMillis() + plusSeconds * 1000));
  }

  @Test
  void csvGlobLoadsEachFileOnceReplacesAChangedFileAppendsNewOnesAndAbsorbsDrift(@TempDir Path dir) throws IOException {
    TestProject p = project(dir, """
        ingestions:
          - name: landing
            schema: raw
            files:
              - name: events
                path: "data/events/*.csv*"
        """);
    p.file("data/events/2024-01-01.csv", "id,kind,amount\n1,view,1.5\n2,click,2.5\n");
    gzip(dir.resolve("data/events/2024-01-02.csv.gz"), "id,kind,amount\n3,view,3.5\n4,buy,4.5\n5,view,5.5\n");
    p.file("data/events/notes.txt", "not matched by the glob");
    p.run("ingest").ok();
    assertThat(p.rows("select id, kind, amount, _weir_file from raw.events order by id")).containsExactly(
        "1|view|1.5|data/events/2024-01-01.csv", "2|click|2.5|data/events/2024-01-01.csv",
        "3|view|3.5|data/events/2024-01-02.csv.gz", "4|buy|4.5|data/events/2024-01-02.csv.gz", "5|view|5.5|data/events/2024-01-02.csv.gz");
    assertThat(p.rows("select file_path, rows_loaded, size_bytes > 0, content_hash like 'crc32c:%' from raw.weir_ingest_files"
        + " order by file_path")).containsExactly("data/events/2024-01-01.csv|2|true|true", "data/events/2024-01-02.csv.gz|3|true|true");
    assertThat(result(p, "ingestion.files.landing.events").at("/adapter_response/rows_affected").asLong()).isEqualTo(5);

    // Nothing changed: nothing is read again.
    TestProject.Result again = p.run("ingest").ok();
    assertThat(again.out()).contains("0 rows (2 files unchanged)");
    // Touched but identical: still not reloaded (same content hash).
    touch(dir.resolve("data/events/2024-01-01.csv"), 60);
    p.run("ingest").ok();
    assertThat(p.rows("select count(*) from raw.events")).containsExactly("5");

    // A changed file: its rows are replaced, not appended twice. A new file with a new column: appended, column added.
    p.file("data/events/2024-01-01.csv", "id,kind,amount\n1,view,1.75\n2,click,2.5\n6,click,6.5\n");
    touch(dir.resolve("data/events/2024-01-01.csv"), 120);
    p.file("data/events/2024-01-03.csv", "id,kind,amount,country\n7,view,7.5,NL\n");
    TestProject.Result r = p.run("ingest").ok();
    assertThat(r.out()).contains("4 rows from 2 files (1 changed: rows replaced, 1 unchanged)");
    assertThat(p.rows("select id, amount, country from raw.events order by id")).containsExactly(
        "1|1.75|null", "2|2.5|null", "3|3.5|null", "4|4.5|null", "5|5.5|null", "6|6.5|null", "7|7.5|NL");
    assertThat(result(p, "ingestion.files.landing.events").at("/adapter_response/weir_schema_changes").toString())
        .contains("column country VARCHAR added");
    assertThat(p.rows("select file_path, rows_loaded from raw.weir_ingest_files order by file_path")).containsExactly(
        "data/events/2024-01-01.csv|3", "data/events/2024-01-02.csv.gz|3", "data/events/2024-01-03.csv|1");

    // A file whose 'id' is no longer a number widens the column (drift), and --full-refresh reloads every file.
    p.file("data/events/2024-01-04.csv", "id,kind,amount\nA-8,view,8.5\n");
    p.run("ingest").ok();
    assertThat(p.rows("select data_type from information_schema.columns where table_name = 'events' and column_name = 'id'"))
        .containsExactly("VARCHAR");
    p.run("ingest", "--full-refresh").ok();
    assertThat(p.rows("select count(*), count(distinct _weir_file) from raw.events")).containsExactly("8|4");
    // zstd (written by DuckDB itself) is read like gzip.
    duck("copy (select 9 as id, 'buy' as kind, 9.5 as amount) to '" + dir.resolve("data/events/2024-01-05.csv.zst")
        + "' (header, compression zstd)");
    p.run("ingest").ok();
    assertThat(p.rows("select id, kind, amount from raw.events where _weir_file = 'data/events/2024-01-05.csv.zst'"))
        .containsExactly("9|buy|9.5");
  }

  @Test
  void headerOptionsDeclaredSchemaDeadLettersAndTheBadRowThreshold(@TempDir Path dir) {
    TestProject p = project(dir, """
        ingestions:
          - name: erp
            files:
              - name: payments
                path: data/payments_*.txt
                format: csv
                header: false
                delimiter: ";"
                columns: {id: BIGINT, payer: VARCHAR, amount: "DECIMAL(10,2)", paid_on: DATE}
                bad_rows: {max_fraction: 0.3}
        """);
    p.file("data/payments_1.txt", "1;ann;10.50;2024-01-05\n2;bob;oops;2024-01-06\n3;cy;7.25;2024-01-07\n4;dee;1.00;2024-01-08;extra\n"
        + "5;eve;2.00;2024-01-09\n6;fay;3.00;2024-01-10\n7;gus;4.00;2024-01-11\n");
    p.run("ingest").ok();
    assertThat(p.rows("select id, payer, amount, paid_on from main.payments order by id")).containsExactly(
        "1|ann|10.50|2024-01-05", "3|cy|7.25|2024-01-07", "5|eve|2.00|2024-01-09", "6|fay|3.00|2024-01-10", "7|gus|4.00|2024-01-11");
    assertThat(p.rows("select column_name, data_type from information_schema.columns where table_name = 'payments'"
        + " order by ordinal_position")).containsExactly("id|BIGINT", "payer|VARCHAR", "amount|DECIMAL(10,2)", "paid_on|DATE",
        "_weir_file|VARCHAR");
    // Each bad line is a dead letter with its file, line, raw text and error.
    assertThat(p.rows("select file, line, raw_text from main.payments__dead_letter order by line")).containsExactly(
        "data/payments_1.txt|2|2;bob;oops;2024-01-06", "data/payments_1.txt|4|4;dee;1.00;2024-01-08;extra");
    assertThat(p.rows("select error from main.payments__dead_letter order by line").get(0)).contains("amount").contains("oops");
    TestProject.Result ok = p.run("ingest", "--full-refresh").ok();
    assertThat(ok.out()).contains("2 bad to");

    // A file mostly bad: past max_fraction the load fails and nothing changes (rows, file records, dead letters).
    p.file("data/payments_2.txt", "8;hal;x;2024-01-12\n9;ivy;y;2024-01-13\n10;jo;1.00;2024-01-14\n");
    TestProject.Result fail = p.run("ingest").exits(1);
    assertThat(fail.out()).contains("2 of 3 rows of main.payments do not load").contains("models/ingest.yml:")
        .contains("data/payments_2.txt:1");
    assertThat(p.rows("select count(*) from main.payments")).containsExactly("5");
    assertThat(p.rows("select count(*) from main.weir_ingest_files")).containsExactly("1");
    assertThat(p.rows("select count(*) from main.payments__dead_letter")).containsExactly("4");
    assertThat(p.relationExists("main", "payments__weir_staging")).isFalse();

    // Files of the same columns are read together (one read_csv): dead letters still name each file and line.
    p.file("data/payments_2.txt", "8;hal;x;2024-01-12\n9;ivy;9.00;2024-01-13\n10;jo;1.00;2024-01-14\n");
    p.run("ingest", "--full-refresh").ok();
    assertThat(p.rows("select _weir_file, count(*) from main.payments group by 1 order by 1"))
        .containsExactly("data/payments_1.txt|5", "data/payments_2.txt|2");
    assertThat(p.rows("select file, line from main.payments__dead_letter where loaded_at = (select max(loaded_at) from"
        + " main.payments__dead_letter) order by file, line"))
        .containsExactly("data/payments_1.txt|2", "data/payments_1.txt|4", "data/payments_2.txt|1");
  }

  @Test
  void ndjsonWithBadLinesAndParquetUpsertWrittenByDuckDb(@TempDir Path dir) throws IOException {
    TestProject p = project(dir, """
        ingestions:
          - name: app
            files:
              - name: clicks
                path: "data/clicks/*.ndjson"
                columns: {user_id: BIGINT, page: VARCHAR, at: TIMESTAMP}
                bad_rows: {max_fraction: 0.5}
              - name: logs
                path: "data/logs.jsonl.gz"
              - name: customers
                path: "data/customers/*.parquet"
                mode: upsert
                primary_key: [id]
        """);
    p.file("data/clicks/a.ndjson", """
        {"user_id": 1, "page": "/home", "at": "2024-03-01 10:00:00"}
        {"user_id": "two", "page": "/cart", "at": "2024-03-01 10:01:00"}
        this is not json
        {"user_id": 3, "page": "/pay", "at": "2024-03-01 10:02:00", "extra": true}
        """);
    gzip(dir.resolve("data/logs.jsonl.gz"), "{\"level\":\"info\",\"n\":1,\"tags\":[\"a\"]}\n{\"level\":\"warn\",\"n\":2,\"tags\":[]}\n");
    Files.createDirectories(dir.resolve("data/customers"));
    duck("copy (select range as id, 'name ' || range as name, range * 1.5 as score from range(1, 1001)) to '"
        + dir.resolve("data/customers/part1.parquet") + "' (format parquet)");
    p.run("ingest").ok();
    assertThat(p.rows("select user_id, page, cast(\"at\" as varchar) from main.clicks order by user_id")).containsExactly(
        "1|/home|2024-03-01 10:00:00", "3|/pay|2024-03-01 10:02:00");
    assertThat(p.rows("select file, line, error from main.clicks__dead_letter order by line")).containsExactly(
        "data/clicks/a.ndjson|2|column user_id: 'two' is not a BIGINT", "data/clicks/a.ndjson|3|not a JSON object: malformed line");
    assertThat(p.rows("select level, n from main.logs order by n")).containsExactly("info|1", "warn|2");
    assertThat(p.rows("select count(*), sum(score) from main.customers")).containsExactly("1000|750750.0");

    // A second Parquet file (spelling the key "ID") updates some customers by key and adds new ones.
    duck("copy (select range as \"ID\", 'renamed ' || range as name, 0.0 as score from range(990, 1011)) to '"
        + dir.resolve("data/customers/part2.parquet") + "' (format parquet)");
    p.run("ingest", "-s", "app.customers").ok();
    assertThat(p.rows("select count(*), count(*) filter (where name like 'renamed%') from main.customers")).containsExactly("1010|21");
  }

  @Test
  void jsonArrayAndParquetRowsThatDoNotConvertGoToTheDeadLettersByRow(@TempDir Path dir) throws IOException {
    TestProject p = project(dir, """
        ingestions:
          - name: shop
            files:
              - name: orders
                path: "data/orders.json"
                format: json
                columns: {id: BIGINT, qty: INTEGER, placed: DATE}
                bad_rows: {max_fraction: 0.5}
              - name: prices
                path: "data/prices/*.parquet"
                columns: {sku: VARCHAR, cents: INTEGER}
                bad_rows: {max_fraction: 0.5}
        """);
    p.file("data/orders.json", """
        [{"id": 1, "qty": 2, "placed": "2024-05-01"},
         {"id": 2, "qty": "lots", "placed": "2024-05-02"},
         {"id": 3, "qty": 1, "placed": "not a day"},
         {"id": 4, "qty": 5, "placed": "2024-05-04"}]
        """);
    Files.createDirectories(dir.resolve("data/prices"));
    // cents written as text, one of them not a number
    duck("copy (select 'sku' || range as sku, case when range = 7 then 'n/a' else cast(range * 100 as varchar) end as cents"
        + " from range(1, 11)) to '" + dir.resolve("data/prices/p.parquet") + "' (format parquet)");
    p.run("ingest").ok();
    assertThat(p.rows("select id, qty, cast(placed as varchar) from main.orders order by id")).containsExactly("1|2|2024-05-01", "4|5|2024-05-04");
    assertThat(p.rows("select file, line, error from main.orders__dead_letter order by line")).containsExactly(
        "data/orders.json|2|column qty: 'lots' is not a INTEGER", "data/orders.json|3|column placed: 'not a day' is not a DATE");
    assertThat(p.rows("select raw_text from main.orders__dead_letter order by line").get(0)).contains("\"qty\":\"lots\"");
    assertThat(p.rows("select count(*), sum(cents) from main.prices")).containsExactly("9|4800");
    assertThat(p.rows("select file, line, error from main.prices__dead_letter")).containsExactly(
        "data/prices/p.parquet|7|column cents: 'n/a' is not a INTEGER");
  }

  @Test
  void aLargeFileReportsItsOwnProgressWhileItLoads(@TempDir Path dir) throws IOException {
    TestProject p = project(dir, """
        ingestions:
          - name: bulk
            files:
              - name: events
                path: "data/events.csv"
        """);
    Files.createDirectories(dir.resolve("data"));
    // ~90 MB: above the size from which one file gets progress lines of its own
    duck("copy (select range as id, 'event number ' || range || ' of a large file' as label, range % 1000 as kind from range(2500000))"
        + " to '" + dir.resolve("data/events.csv") + "' (format csv, header true)");
    assertThat(Files.size(dir.resolve("data/events.csv"))).isGreaterThan(64L << 20);
    p.env.put("WEIR_INGEST_PROGRESS_SECONDS", "0.2");
    TestProject.Result r = p.run("ingest").ok();
    assertThat(r.out()).containsPattern("ingesting main\\.events: file 1 of 1 \\(data/events\\.csv\\) \\d+%, [\\d,]+ of \\d+ MB, ETA \\d+s");
    assertThat(p.rows("select count(*), max(id) from main.events")).containsExactly("2500000|2499999");
  }

  @Test
  void checksDeclaredOnAnIngestedFileRunOnEachLoadAndGateWhatBuildsOnIt(@TempDir Path dir) {
    TestProject p = project(dir, """
        ingestions:
          - name: landing
            files:
              - name: deliveries
                path: "data/deliveries.csv"
                data_tests:
                  - unique: {column_name: id}
                  - accepted_values: {column_name: status, values: [ok, late]}
        """);
    p.file("models/late_deliveries.sql", "select id from {{ source('landing', 'deliveries') }} where status = 'late'\n");
    p.file("data/deliveries.csv", "id,status\n1,ok\n2,late\n2,late\n3,lost\n");
    TestProject.Result bad = p.run("build").exits(1);
    assertThat(bad.out()).containsPattern("FAIL 1 test unique_source_landing_deliveries__id")
        .containsPattern("FAIL 1 test accepted_values_source_landing_deliveries__status__ok__late").containsPattern("SKIP .*late_deliveries");
    assertThat(p.relationExists("main", "late_deliveries")).isFalse();
    p.file("data/deliveries.csv", "id,status\n1,ok\n2,late\n3,late\n");
    TestProject.Result good = p.run("build").ok();
    assertThat(good.out()).contains("PASS=4");
    assertThat(p.rows("select id from main.late_deliveries order by id")).containsExactly("2", "3");
  }

  @Test
  void quarantineChecksOnAnIngestedFileKeepBadRowsOutOfTheTable(@TempDir Path dir) {
    TestProject p = project(dir, """
        ingestions:
          - name: landing
            files:
              - name: deliveries
                path: "data/deliveries_*.csv"
                mode: append
                data_tests:
                  - accepted_values: {column_name: status, values: [ok, late], action: quarantine, name: known_status}
                  - values_between: {column_name: km, min_value: 0, action: quarantine, name: km_positive}
        """);
    p.file("models/late_deliveries.sql", "select id from {{ source('landing', 'deliveries') }} where status = 'late'\n");
    p.file("data/deliveries_1.csv", "id,status,km\n1,ok,5\n2,late,7\n3,lost,1\n4,late,-2\n");
    TestProject.Result r = p.run("build").ok();
    assertThat(r.out()).contains("2 rows from 1 file").contains("2 quarantined").containsPattern("WARN 1 test known_status")
        .containsPattern("WARN 1 test km_positive");
    assertThat(p.rows("select id from main.deliveries order by id")).containsExactly("1", "2");
    assertThat(p.rows("select id, weir_check from main.deliveries__quarantine order by id")).containsExactly("3|known_status", "4|km_positive");
    assertThat(p.rows("select id from main.late_deliveries")).containsExactly("2");
    // the next file appends: its good rows join the table, its bad ones the quarantine
    p.file("data/deliveries_2.csv", "id,status,km\n5,late,3\n6,gone,3\n");
    p.run("build").ok();
    assertThat(p.rows("select id from main.deliveries order by id")).containsExactly("1", "2", "5");
    assertThat(p.rows("select id from main.deliveries__quarantine order by id")).containsExactly("3", "4", "6");
    assertThat(p.rows("select id from main.late_deliveries order by id")).containsExactly("2", "5");
  }

  @Test
  void buildRunsIngestModelsTestsThenExportsAtomically(@TempDir Path dir) throws IOException {
    TestProject p = project(dir, """
        ingestions:
          - name: shop
            schema: raw
            files:
              - name: orders
                path: "data/orders_*.csv"
        models:
          - name: orders_by_country
            columns:
              - name: country
                tests: [not_null, unique]
        exports:
          - name: orders_parquet
            model: ref('orders_by_country')
            path: exports/orders
            format: parquet
            partition_by: [country]
          - name: orders_csv
            model: source('shop', 'orders')
            path: exports/orders.csv
        """);
    p.file("models/orders_by_country.sql", "select country, count(*) as orders, sum(amount) as amount\n"
        + "from {{ source('shop', 'orders') }} group by country\n");
    p.file("data/orders_1.csv", "id,country,amount\n1,NL,10\n2,DE,20\n3,NL,30\n4,FR,5\n");
    TestProject.Result b = p.run("build").ok();
    List<String> order = b.lines().stream().filter(l -> l.contains(" OK ") || l.contains(" PASS ")).toList();
    // ingest -> model -> its tests -> the model's export (the source's export needs only the ingestion).
    assertThat(order).hasSize(6);
    assertThat(order.get(0)).contains("ingestion raw.orders");
    int model = indexOf(order, "model main.orders_by_country");
    assertThat(indexOf(order, "test not_null_orders_by_country_country")).isGreaterThan(model);
    assertThat(indexOf(order, "test unique_orders_by_country_country")).isGreaterThan(model);
    assertThat(order.get(5)).contains("export orders_parquet");
    assertThat(indexOf(order, "export orders_csv")).isGreaterThan(0);
    assertThat(b.out()).contains("OK wrote export orders_parquet").contains("[3 rows to exports/orders (parquet, 3 files)");
    // The partitioned export reads back with the same rows as the model.
    String back = "select country, orders, cast(amount as bigint) from read_parquet('" + dir.resolve("exports/orders") + "/**/*.parquet',"
        + " hive_partitioning = true) order by country";
    assertThat(duck(back)).containsExactly("DE|1|20", "FR|1|5", "NL|2|40")
        .isEqualTo(p.rows("select country, orders, cast(amount as bigint) from main.orders_by_country order by country"));
    assertThat(Files.isDirectory(dir.resolve("exports/orders/country=NL"))).isTrue();
    assertThat(duck("select count(*), sum(amount) from read_csv('" + dir.resolve("exports/orders.csv") + "')"))
        .containsExactly("4|65");
    assertThat(result(p, "export.files.orders_parquet").at("/adapter_response/rows_affected").asLong()).isEqualTo(3);
    // Exports are nodes for ls and selection, not manifest nodes.
    assertThat(p.run("ls", "--resource-type", "export").ok().lines()).contains("export:files.orders_csv", "export:files.orders_parquet");
    assertThat(p.run("ls", "-s", "+orders_parquet").ok().lines()).contains("ingestion:files.shop.orders", "files.orders_by_country",
        "export:files.orders_parquet").doesNotContain("export:files.orders_csv");
    assertThat(p.read("target/manifest.json")).doesNotContain("export.files.");

    // New data: `weir export` alone rewrites only what is selected.
    p.file("data/orders_2.csv", "id,country,amount\n5,BE,7\n");
    p.run("ingest").ok();
    p.run("run").ok();
    TestProject.Result e = p.run("export", "-s", "orders_parquet").ok();
    assertThat(e.out()).contains("1 of 1").doesNotContain("orders_csv");
    assertThat(duck(back)).containsExactly("BE|1|7", "DE|1|20", "FR|1|5", "NL|2|40");
    assertThat(duck("select count(*) from read_csv('" + dir.resolve("exports/orders.csv") + "')")).containsExactly("4");

    // A failing export (a partition column the model lacks) leaves the previous files and no temporary folder.
    p.file("models/ingest.yml", p.read("models/ingest.yml").replace("partition_by: [country]", "partition_by: [region]"));
    TestProject.Result f = p.run("export", "-s", "orders_parquet").exits(1);
    assertThat(f.out()).contains("previous export is unchanged").contains("models/ingest.yml:");
    assertThat(duck(back)).containsExactly("BE|1|7", "DE|1|20", "FR|1|5", "NL|2|40");
    try (Stream<Path> l = Files.list(dir.resolve("exports"))) {
      assertThat(l.map(x -> x.getFileName().toString()).sorted().toList()).containsExactly("orders", "orders.csv");
    }
  }

  /** Writes an ORC file with Apache ORC's writer: every primitive family, a list, a struct, nulls. */
  static void writeOrc(Path file, int from, int n) throws IOException {
    Files.createDirectories(file.getParent());
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration(false);
    org.apache.orc.TypeDescription schema = org.apache.orc.TypeDescription.fromString(
        "struct<id:bigint,name:string,amount:decimal(10,2),at:timestamp,day:date,ok:boolean,ratio:double,tags:array<string>,"
            + "dims:struct<w:int,h:int>>");
    try (org.apache.orc.Writer w = org.apache.orc.OrcFile.createWriter(new org.apache.hadoop.fs.Path(file.toUri()),
        org.apache.orc.OrcFile.writerOptions(conf).setSchema(schema).useUTCTimestamp(true))) {
      var b = schema.createRowBatch();
      for (int i = from; i < from + n; i++) {
        int r = b.size++;
        ((org.apache.hadoop.hive.ql.exec.vector.LongColumnVector) b.cols[0]).vector[r] = i;
        var name = (org.apache.hadoop.hive.ql.exec.vector.BytesColumnVector) b.cols[1];
        if (i % 5 == 4) {
          name.noNulls = false;
          name.isNull[r] = true;
        } else {
          name.setVal(r, ("n\u00e9" + i).getBytes(StandardCharsets.UTF_8));
        }
        ((org.apache.hadoop.hive.ql.exec.vector.DecimalColumnVector) b.cols[2]).set(r,
            org.apache.hadoop.hive.common.type.HiveDecimal.create(new java.math.BigDecimal(i).movePointLeft(2)));
        ((org.apache.hadoop.hive.ql.exec.vector.TimestampColumnVector) b.cols[3]).set(r,
            java.sql.Timestamp.valueOf(java.time.LocalDateTime.of(2024, 1, 2, 3, 4, 5, 123456000).plusDays(i)));
        ((org.apache.hadoop.hive.ql.exec.vector.LongColumnVector) b.cols[4]).vector[r] = java.time.LocalDate.of(2024, 3, 1).plusDays(i).toEpochDay();
        ((org.apache.hadoop.hive.ql.exec.vector.LongColumnVector) b.cols[5]).vector[r] = i % 2;
        ((org.apache.hadoop.hive.ql.exec.vector.DoubleColumnVector) b.cols[6]).vector[r] = i / 4.0;
        var tags = (org.apache.hadoop.hive.ql.exec.vector.ListColumnVector) b.cols[7];
        tags.offsets[r] = tags.childCount;
        tags.lengths[r] = 2;
        tags.child.ensureSize((int) tags.childCount + 2, true);
        ((org.apache.hadoop.hive.ql.exec.vector.BytesColumnVector) tags.child).setVal((int) tags.childCount++, ("t" + i).getBytes(StandardCharsets.UTF_8));
        ((org.apache.hadoop.hive.ql.exec.vector.BytesColumnVector) tags.child).setVal((int) tags.childCount++, "x".getBytes(StandardCharsets.UTF_8));
        var dims = (org.apache.hadoop.hive.ql.exec.vector.StructColumnVector) b.cols[8];
        ((org.apache.hadoop.hive.ql.exec.vector.LongColumnVector) dims.fields[0]).vector[r] = i;
        ((org.apache.hadoop.hive.ql.exec.vector.LongColumnVector) dims.fields[1]).vector[r] = 2 * i;
        if (b.size == b.getMaxSize()) {
          w.addRowBatch(b);
          b.reset();
        }
      }
      if (b.size > 0) w.addRowBatch(b);
    }
  }

  @Test
  void orcFilesLoadWithTheirOwnTypes(@TempDir Path dir) throws IOException {
    TestProject p = project(dir, """
        ingestions:
          - name: lake
            files:
              - name: trips
                path: "data/trips_*.orc"
                mode: append
        """);
    writeOrc(dir.resolve("data/trips_1.orc"), 0, 5000);
    p.run("ingest").ok();
    assertThat(p.rows("select count(*), count(name), sum(amount), min(id), max(id) from main.trips")).containsExactly("5000|4000|124975.00|0|4999");
    assertThat(p.rows("select column_name || ' ' || data_type from information_schema.columns where table_name = 'trips'"
        + " and column_name not like '\\_weir%' escape '\\' order by ordinal_position")).containsExactly("id BIGINT", "name VARCHAR",
        "amount DECIMAL(10,2)", "at TIMESTAMP", "day DATE", "ok BOOLEAN", "ratio DOUBLE", "tags VARCHAR", "dims VARCHAR"); // nested values land as text, as from Parquet
    assertThat(p.rows("select id, name, amount, \"at\", day, ok, ratio, tags, dims from main.trips where id in (3, 4) order by id"))
        .containsExactly("3|n\u00e93|0.03|2024-01-05 03:04:05.123456|2024-03-04|true|0.75|[t3, x]|{'w': 3, 'h': 6}",
            "4|null|0.04|2024-01-06 03:04:05.123456|2024-03-05|false|1.0|[t4, x]|{'w': 4, 'h': 8}");
    // a second file appends; a file that is not ORC fails naming it, and the table stays as it was
    writeOrc(dir.resolve("data/trips_2.orc"), 5000, 10);
    p.run("ingest").ok();
    assertThat(p.rows("select count(*) from main.trips")).containsExactly("5010");
    Files.writeString(dir.resolve("data/trips_3.orc"), "not an orc file at all");
    TestProject.Result bad = p.run("ingest").exits(1);
    assertThat(bad.out()).contains("trips_3.orc").contains("models/ingest.yml:");
    assertThat(p.rows("select count(*) from main.trips")).containsExactly("5010");
  }

  /**
   * As the launcher runs Weir: the ORC reader (module weir-orc with Apache ORC and Hadoop's jars) is not on the class
   * path but loaded from the folder weir.orc.lib names; without it, a clear error.
   */
  @Test
  void theOrcReaderLoadsFromItsOwnFolderOffTheClassPath(@TempDir Path dir) throws Exception {
    Path libOrc = TestProject.repoRoot().resolve("weir-orc/target/lib-orc");
    assertThat(libOrc.resolve("weir-orc-0.1.0-SNAPSHOT.jar")).as("weir-orc is packaged before weir-cli's tests").exists();
    TestProject p = project(dir, """
        ingestions:
          - name: lake
            files:
              - name: trips
                path: "data/trips.orc"
        """);
    writeOrc(dir.resolve("data/trips.orc"), 0, 100);
    List<String> cp = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      String name = Path.of(e).getFileName().toString();
      if (e.contains("weir-orc") || name.startsWith("orc-") || name.startsWith("hadoop-") || name.startsWith("hive-storage-api")) continue;
      cp.add(e);
    }
    for (String orcLib : new String[] {libOrc.toString(), dir.resolve("nowhere").toString()}) {
      ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), TestProject.childTmp(dir),
          "-Dweir.orc.lib=" + orcLib,
          "-cp", String.join(java.io.File.pathSeparator, cp), Main.class.getName(), "ingest", "--full-refresh", "--project-dir", dir.toString())
          .redirectErrorStream(true);
      pb.environment().putAll(p.env);
      Process child = pb.start();
      String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      child.waitFor();
      if (orcLib.equals(libOrc.toString())) {
        assertThat(child.exitValue()).as(out).isZero();
        assertThat(p.rows("select count(*), sum(id) from main.trips")).containsExactly("100|4950");
      } else {
        assertThat(child.exitValue()).as(out).isEqualTo(1);
        assertThat(out).contains("ORC support is not installed").contains("nowhere");
      }
    }
  }

  @Test
  void mistakesAreReportedWithFileAndLine(@TempDir Path dir) {
    TestProject p = project(dir, """
        ingestions:
          - name: lake
            files:
              - name: trips
                path: data/trips.xlsx
        """);
    TestProject.Result r = p.run("ingest").exits(2);
    assertThat(r.out() + r.err()).contains("models/ingest.yml:5").contains("Cannot tell the format of 'data/trips.xlsx'");
    p.file("models/ingest.yml", """
        exports:
          - name: out
            model: ref('nope')
            path: exports/out
        """);
    r = p.run("ls").exits(2);
    assertThat(r.out() + r.err()).contains("models/ingest.yml").contains("nope");
    p.file("models/ingest.yml", """
        ingestions:
          - name: lake
            files:
              - name: trips
                path: "data/*.csv"
                delimeter: ";"
        """);
    r = p.run("ls").exits(2);
    assertThat(r.out() + r.err()).contains("models/ingest.yml:6").contains("delimiter");
  }

  @Test
  void postgresAsTheWarehouseReadsFilesWithEmbeddedDuckDbAndExports(@TempDir Path dir) {
    EmbeddedPostgres pg = SharedPostgres.get();
    String schema = "files_pg_" + ProcessHandle.current().pid();
    TestProject p = TestProject.create(dir, "filespg", "");
    p.file("profiles.yml", """
        filespg:
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
        """.formatted(pg.getPort(), schema));
    p.file("models/ingest.yml", """
        ingestions:
          - name: land
            files:
              - name: sales
                path: "data/sales_*.csv"
                columns: {id: INTEGER, item: VARCHAR, price: "DECIMAL(8,2)", sold_at: TIMESTAMP}
                bad_rows: {max_fraction: 0.5}
              - name: events
                path: data/events.ndjson
        exports:
          - name: sales_out
            model: source('land', 'sales')
            path: exports/sales.parquet
        """);
    p.file("data/sales_1.csv", "id,item,price,sold_at\n1,\"tea, green\",2.50,2024-05-01 09:00:00\n2,coffee,bad,2024-05-01 09:05:00\n"
        + "3,\"say \"\"hi\"\"\",1.25,2024-05-01 09:10:00\n");
    p.file("data/events.ndjson", "{\"e\": \"open\", \"n\": 1}\n{\"e\": \"close\", \"n\": 2}\n");
    p.run("build").ok();
    assertThat(pgRows(pg, "select id, item, price, sold_at from " + schema + ".sales order by id")).containsExactly(
        "1|tea, green|2.50|2024-05-01 09:00:00.0", "3|say \"hi\"|1.25|2024-05-01 09:10:00.0");
    assertThat(pgRows(pg, "select file, line from " + schema + ".sales__dead_letter")).containsExactly("data/sales_1.csv|3");
    assertThat(pgRows(pg, "select e, n from " + schema + ".events order by n")).containsExactly("open|1", "close|2");
    // A changed file replaces its rows.
    p.file("data/sales_1.csv", "id,item,price,sold_at\n1,tea,3.00,2024-05-02 09:00:00\n");
    p.run("build").ok();
    assertThat(pgRows(pg, "select id, item, price from " + schema + ".sales order by id")).containsExactly("1|tea|3.00");
    assertThat(duck("select id, item, price from '" + dir.resolve("exports/sales.parquet") + "'")).containsExactly("1|tea|3.00");
  }

  static List<String> pgRows(EmbeddedPostgres pg, String sql) {
    Properties props = new Properties();
    props.setProperty("user", "postgres");
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + pg.getPort() + "/postgres", props);
         Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      List<String> out = new ArrayList<>();
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) sb.append(i > 1 ? "|" : "").append(rs.getObject(i));
        out.add(sb.toString());
      }
      return out;
    } catch (SQLException e) {
      throw new AssertionError(sql + ": " + e.getMessage(), e);
    }
  }
}
