package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Weir's expectation library (built-in generic tests in expectations.sql) on real DuckDB and a real
 * embedded PostgreSQL 17: one project declares every check; built on clean data every check passes,
 * then the seed is replaced by crafted bad data and each check must report exactly the failures
 * the data holds (status and failures in target/run_results.json), including {@code mostly},
 * {@code where}, severity warn and the {@code weir.} namespace. The bad-input cases check that
 * mistakes in the YAML stop {@code weir parse} with exit 2 and the YAML file and line.
 */
class ExpectationsE2ETest {

  enum Engine { DUCKDB, POSTGRES }

  static EmbeddedPostgres pg;
  static final AtomicInteger SEQ = new AtomicInteger();

  @BeforeAll
  static void start() {
    pg = SharedPostgres.get();
  }

  // ------------------------------------------------------------------ the data

  static final String CLEAN = """
      id,amount,status,email,code,age_hours,region
      1,10,placed,a@x.com,AB-1,1,eu
      2,20,shipped,b@x.com,AB-2,2,us
      3,30,placed,c@x.com,AB-3,3,apac
      4,40,shipped,d@x.com,AB-4,4,eu
      5,50,placed,,AB-5,5,us
      6,60,returned,f@x.com,AB-6,6,apac
      7,70,placed,g@x.com,AB-7,7,eu
      8,80,shipped,h@x.com,AB-8,8,us
      9,90,placed,i@x.com,AB-9,9,apac
      10,100,placed,j@x.com,AB-10,10,eu
      """;

  /** Each bad value is commented in {@link #EXPECTED_BAD}; 11 rows, 3 null emails, amount no longer integer. */
  static final String BAD = """
      id,amount,status,email,code,age_hours,region
      1,-5,placed,a@x.com,AB-1,-48,eu
      2,500,shipped,nobody,ab_3,2000,us
      3,13.5,test,c@x.com,XX-9,3,apac
      4,40,shipped,,AB-12345,4,eu
      5,50,placed,,AB-5,5,us
      6,60,returned,f@x.com,AB-6,6,apac
      7,70,placed,,AB-7,7,eu
      8,80,shipped,h@x.com,AB-8,8,us
      9,90,placed,i@x.com,AB-9,9,apac
      10,100,placed,j@x.com,AB-10,10,eu
      10,100,placed,k@x.com,AB-11,10,mars
      """;

  static final String MODEL = """
      {{ config(materialized='table') }}
      select id, amount, status, email, code, age_hours, region,
          {{ dbt.dateadd('hour', '0 - age_hours', 'cast(current_timestamp as timestamp)') }} as created_at,
          cast({{ dbt.dateadd('hour', '0 - age_hours', 'cast(current_timestamp as timestamp)') }} as date) as created_day
      from {{ ref('orders') }}
      """;

  /** Every check, each with its own name (so run_results can be read by name). */
  static String schemaYml(String schema, String textType) {
    return """
        version: 2
        models:
          - name: orders_m
            data_tests:
              - expression_is_true: {name: expr_model, expression: "amount * 2 < 1000"}
              - row_count_between: {name: row_count, min_value: 1, max_value: 10}
              - unique_combination: {name: uniq_combo, columns: [id, status]}
            columns:
              - name: id
                data_tests:
                  - distinct_fraction: {name: distinct_ids, min_value: 1}
              - name: amount
                data_tests:
                  - values_between: {name: vb_plain, min_value: 0, max_value: 100}
                  - values_between: {name: vb_mostly_80, min_value: 0, max_value: 100, mostly: 0.8}
                  - values_between: {name: vb_mostly_90, min_value: 0, max_value: 100, mostly: 0.9}
                  - values_between: {name: vb_where, min_value: 0, max_value: 100, config: {where: "id > 2"}}
                  - values_between: {name: vb_exclusive, min_value: -10, max_value: 500, inclusive: false}
                  - expression_is_true: {name: expr_column, expression: "< 400"}
                  - min_between: {name: min_amount, min_value: 0}
                  - weir.min_between: {name: min_amount_ns, min_value: 0}
                  - max_between: {name: max_amount_warn, max_value: 100, severity: warn}
                  - mean_between: {name: mean_amount, min_value: 10, max_value: 90}
                  - stddev_between: {name: stddev_amount, max_value: 50}
                  - sum_between: {name: sum_amount, min_value: 0, max_value: 1000}
                  - percentile_between: {name: median_amount, p: 0.5, min_value: 50, max_value: 60}
                  - column_type: {name: amount_is_integer, type: integer}
                  - column_type: {name: amount_is_numeric, type: numeric}
              - name: status
                data_tests:
                  - not_accepted_values: {name: no_test_status, values: [deleted, test]}
                  - column_type: {name: status_is_string, type: string}
                  - column_type: {name: status_exact, type: %s}
                  - column_type: {name: status_not_bool, type: boolean, severity: warn}
              - name: email
                data_tests:
                  - matches_regex: {name: email_has_at, regex: "@"}
                  - null_fraction: {name: email_nulls, max_value: 0.2}
              - name: code
                data_tests:
                  - matches_regex: {name: code_pattern, regex: "^[A-Z]{2}-[0-9]+$"}
                  - not_matches_regex: {name: code_not_xx, regex: "^XX"}
                  - length_between: {name: code_length, min_length: 3, max_length: 6}
              - name: created_at
                data_tests:
                  - not_in_future: {name: created_not_future}
                  - not_older_than: {name: created_30_days, days: 30}
                  - recency: {name: created_recent, hours: 2.5, config: {where: "age_hours >= 0"}}
                  - recency: {name: recency_empty, days: 1, config: {where: "1 = 0", severity: warn}}
                  - column_type: {name: created_is_timestamp, type: timestamp}
              - name: created_day
                data_tests:
                  - column_type: {name: day_is_date, type: date}
              - name: region
                data_tests:
                  - relationships: {name: region_known, to: %s.allowed_regions, field: region}
        """.formatted(textType, schema);
  }

  /** name → "status failures" on clean data: everything passes but two warnings (empty recency, status is no boolean). */
  static final Map<String, String> EXPECTED_CLEAN = new LinkedHashMap<>();
  /** name → "status failures" on the bad data. */
  static final Map<String, String> EXPECTED_BAD = new LinkedHashMap<>();

  static {
    EXPECTED_BAD.put("expr_model", "fail 1");          // 500 * 2
    EXPECTED_BAD.put("row_count", "fail 1");           // 11 rows
    EXPECTED_BAD.put("uniq_combo", "fail 1");          // (10, placed) twice
    EXPECTED_BAD.put("distinct_ids", "fail 1");        // 10 / 11
    EXPECTED_BAD.put("vb_plain", "fail 2");            // -5 and 500
    EXPECTED_BAD.put("vb_mostly_80", "pass 0");        // 2 bad <= 0.2 * 11
    EXPECTED_BAD.put("vb_mostly_90", "fail 2");        // 2 bad > 0.1 * 11
    EXPECTED_BAD.put("vb_where", "pass 0");            // ids 1 and 2 filtered out
    EXPECTED_BAD.put("vb_exclusive", "fail 1");        // 500 is not < 500
    EXPECTED_BAD.put("expr_column", "fail 1");         // 500
    EXPECTED_BAD.put("min_amount", "fail 1");          // -5
    EXPECTED_BAD.put("min_amount_ns", "fail 1");
    EXPECTED_BAD.put("max_amount_warn", "warn 1");     // 500
    EXPECTED_BAD.put("mean_amount", "fail 1");         // 99.86
    EXPECTED_BAD.put("stddev_amount", "fail 1");
    EXPECTED_BAD.put("sum_amount", "fail 1");          // 1098.5
    EXPECTED_BAD.put("median_amount", "fail 1");       // 70
    EXPECTED_BAD.put("amount_is_integer", "fail 1");   // 13.5
    EXPECTED_BAD.put("amount_is_numeric", "pass 0");
    EXPECTED_BAD.put("no_test_status", "fail 1");      // 'test'
    EXPECTED_BAD.put("status_is_string", "pass 0");
    EXPECTED_BAD.put("status_exact", "pass 0");         // the engine's own name, in another case
    EXPECTED_BAD.put("status_not_bool", "warn 1");
    EXPECTED_BAD.put("email_has_at", "fail 1");        // 'nobody'; nulls are not bad
    EXPECTED_BAD.put("email_nulls", "fail 1");         // 3 / 11
    EXPECTED_BAD.put("code_pattern", "fail 1");        // 'ab_3'
    EXPECTED_BAD.put("code_not_xx", "fail 1");         // 'XX-9'
    EXPECTED_BAD.put("code_length", "fail 1");         // 'AB-12345'
    EXPECTED_BAD.put("created_not_future", "fail 1");  // 48 hours ahead
    EXPECTED_BAD.put("created_30_days", "fail 1");     // 2000 hours old
    EXPECTED_BAD.put("created_recent", "fail 1");      // newest (age >= 0) is 3 hours old
    EXPECTED_BAD.put("recency_empty", "warn 1");
    EXPECTED_BAD.put("created_is_timestamp", "pass 0");
    EXPECTED_BAD.put("day_is_date", "pass 0");
    EXPECTED_BAD.put("region_known", "fail 1");        // 'mars'
    for (String k : EXPECTED_BAD.keySet()) EXPECTED_CLEAN.put(k, "pass 0");
    EXPECTED_CLEAN.put("recency_empty", "warn 1");
    EXPECTED_CLEAN.put("status_not_bool", "warn 1");
  }

  /** A project on one engine building into its own schema. */
  static final class Proj {
    final Engine engine;
    final TestProject p;
    final String schema;

    Proj(Engine engine, Path dir) {
      this.engine = engine;
      this.schema = "exp_" + SEQ.incrementAndGet();
      this.p = TestProject.create(dir, "exp", "");
      String output = engine == Engine.DUCKDB
          ? "      type: duckdb\n      path: '%s'\n      schema: %s\n".formatted(dir.resolve("warehouse.duckdb").toAbsolutePath(), schema)
          : "      type: postgres\n      host: localhost\n      port: %d\n      user: postgres\n      password: unused\n"
              .formatted(pg.getPort()) + "      dbname: postgres\n      schema: %s\n      threads: 2\n".formatted(schema);
      p.file("profiles.yml", "exp:\n  target: dev\n  outputs:\n    dev:\n" + output);
    }

    /** Runs statements outside Weir (a table no dbt node builds). */
    void execute(String... sql) {
      if (engine == Engine.DUCKDB) {
        TestProject.execute(p.dir.resolve("warehouse.duckdb"), sql);
        return;
      }
      Properties props = new Properties();
      props.setProperty("user", "postgres");
      try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + pg.getPort() + "/postgres", props);
           Statement st = c.createStatement()) {
        for (String s : sql) st.execute(s);
      } catch (SQLException e) {
        throw new AssertionError(e);
      }
    }

    /** name → "status failures" of every test in target/run_results.json. */
    Map<String, String> testResults() {
      Map<String, String> out = new LinkedHashMap<>();
      for (JsonNode r : p.json("target/run_results.json").path("results")) {
        String id = r.path("unique_id").asText();
        if (!id.startsWith("test.exp.")) continue;
        out.put(id.split("\\.")[2], r.path("status").asText() + " " + r.path("failures").asLong());
      }
      return out;
    }
  }

  // ------------------------------------------------------------------ every check, both engines

  @ParameterizedTest
  @EnumSource(Engine.class)
  void everyCheckPassesOnCleanDataAndFailsOnBadData(Engine engine, @TempDir Path dir) {
    Proj p = new Proj(engine, dir);
    p.execute("create schema if not exists " + p.schema,
        "create table " + p.schema + ".allowed_regions as select * from (values ('eu'), ('us'), ('apac')) t(region)");
    p.p.file("seeds/orders.csv", CLEAN)
        .file("models/orders_m.sql", MODEL)
        .file("models/schema.yml", schemaYml(p.schema, engine == Engine.DUCKDB ? "varchar" : "TEXT"));

    // --no-fusion: each check runs its own SQL from expectations.sql (the subject of this test).
    TestProject.Result clean = p.p.run("build", "--no-fusion");
    clean.ok();
    assertThat(p.testResults()).as("clean data on %s%n%s", engine, clean).isEqualTo(EXPECTED_CLEAN);

    p.p.file("seeds/orders.csv", BAD);
    TestProject.Result bad = p.p.run("build", "--no-fusion");
    bad.exits(1);
    assertThat(p.testResults()).as("bad data on %s%n%s", engine, bad).isEqualTo(EXPECTED_BAD);
    // weir test with the fused scan (the default) reaches the same verdicts on the same data.
    TestProject.Result fused = p.p.run("test");
    fused.exits(1);
    assertThat(p.testResults()).as("fused, bad data on %s%n%s", engine, fused).isEqualTo(EXPECTED_BAD);
    // The failing rows themselves, as a user sees them: the test's compiled SQL selects them.
    String compiled = p.p.readAll("target/compiled");
    assertThat(compiled).contains(engine == Engine.POSTGRES ? "percentile_cont(0.5) within group" : "quantile_cont(amount, 0.5)");
  }

  // ------------------------------------------------------------------ bad input: exit 2 with file:line

  static Stream<Arguments> badChecks() {
    return Stream.of(
        Arguments.of("- values_betwen: {min_value: 1}", "Unknown generic test 'values_betwen'", "Did you mean 'values_between'"),
        Arguments.of("- weir.nope", "Unknown generic test 'weir.nope'", "no macro 'test_nope'"),
        Arguments.of("- values_between: {inclusive: false}", "needs at least one of 'min_value' and 'max_value'", ""),
        Arguments.of("- values_between: {min_value: ten}", "'min_value' of test 'values_between' must be a number, got 'ten'", ""),
        Arguments.of("- values_between: {min_value: 5, max_value: 1}", "min_value (5) is greater than max_value (1)", ""),
        Arguments.of("- values_between: {min_value: 0, mostly: 1.5}", "'mostly' of test 'values_between' must be in (0, 1]", ""),
        Arguments.of("- values_between: {min_value: 0, mostly: 0}", "'mostly' of test 'values_between' must be in (0, 1]", ""),
        Arguments.of("- percentile_between: {p: 2, max_value: 1}", "'p' of test 'percentile_between' must be in [0, 1]", ""),
        Arguments.of("- values_between: {min_value: 0, max_valu: 3}", "Unknown argument 'max_valu'", "Did you mean 'max_value'"),
        Arguments.of("- matches_regex: {regex: \"[a-\"}", "Invalid regex in test 'matches_regex'", "[a-"),
        Arguments.of("- not_older_than: {days: 1, hours: 2}", "needs exactly one of days, hours or minutes", "days and hours"),
        Arguments.of("- recency: {minutes: -5}", "'minutes' of test 'recency' must be positive", ""),
        Arguments.of("- row_count_between: {min_value: 1}", "checks the whole relation", ""));
  }

  /** A seed people(id, name) and a column test on its id, broken one way per case. */
  @ParameterizedTest
  @MethodSource("badChecks")
  void badCheckArgumentsStopParseWithFileAndLine(String test, String message, String more, @TempDir Path dir) {
    TestProject p = duckProject(dir);
    p.file("seeds/seeds.yml", """
        version: 2
        seeds:
          - name: people
            columns:
              - name: id
                data_tests:
                  %s
        """.formatted(test));
    TestProject.Result r = p.run("parse");
    r.exits(2);
    assertThat(r.out() + r.err()).contains("seeds/seeds.yml:7", message, more);
  }

  @Test
  void columnsKnownAtParseTimeMustExist(@TempDir Path dir) {
    TestProject p = duckProject(dir);
    // a seed's CSV header
    p.file("seeds/seeds.yml", """
        version: 2
        seeds:
          - name: people
            columns:
              - name: nmae
                data_tests:
                  - not_null
        """);
    TestProject.Result r = p.run("parse");
    r.exits(2);
    assertThat(r.out() + r.err()).contains("seeds/seeds.yml:7", "column 'nmae'", "seed 'people'", "Did you mean 'name'");
    // unique_combination's columns on a seed
    p.file("seeds/seeds.yml", """
        version: 2
        seeds:
          - name: people
            data_tests:
              - unique_combination: {columns: [id, surname]}
        """);
    r = p.run("parse");
    r.exits(2);
    assertThat(r.out() + r.err()).contains("seeds/seeds.yml:5", "column 'surname'");
    // a model with an enforced contract: its YAML columns are the full list
    p.delete("seeds/seeds.yml");
    p.file("models/contracted.sql", "select 1 as id, 'a' as label\n").file("models/schema.yml", """
        version: 2
        models:
          - name: contracted
            config:
              contract: {enforced: true}
            columns:
              - name: id
                data_type: integer
              - name: label
                data_type: varchar
            data_tests:
              - expression_is_true: {expression: "id > 0"}
              - values_between: {column_name: lable, min_value: 0}
        """);
    r = p.run("parse");
    r.exits(2);
    assertThat(r.out() + r.err()).contains("models/schema.yml:13", "column 'lable'", "enforced contract", "Did you mean 'label'");
    // the same column on a model without a contract is only known when it runs: parse succeeds
    p.file("models/schema.yml", """
        version: 2
        models:
          - name: contracted
            data_tests:
              - values_between: {column_name: lable, min_value: 0}
        """);
    p.run("parse").ok();
  }

  @Test
  void relationshipsToAnUnknownModelNamesTheYamlLine(@TempDir Path dir) {
    TestProject p = duckProject(dir);
    p.file("seeds/seeds.yml", """
        version: 2
        seeds:
          - name: people
            columns:
              - name: id
                data_tests:
                  - relationships: {to: ref('peopel'), field: id}
        """);
    TestProject.Result r = p.run("parse");
    r.exits(2);
    assertThat(r.out() + r.err()).contains("seeds/seeds.yml:7", "'peopel'", "was not found", "Did you mean 'people'");
  }

  /** A DuckDB project (warehouse in target/) with a seed people(id, name). */
  private static TestProject duckProject(Path dir) {
    return TestProject.create(dir, "bad", "")
        .file("profiles.yml", "bad:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/weir.duckdb\n")
        .file("seeds/people.csv", "id,name\n1,Ann\n2,Bob\n");
  }
}
