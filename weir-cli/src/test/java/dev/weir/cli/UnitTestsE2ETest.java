package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.cli.EngineProject.Engine;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/** dbt unit tests: given inputs as fixtures, overrides, expected rows compared as multisets; on DuckDB and Postgres. */
class UnitTestsE2ETest {

  static EngineProject project(Engine engine, Path dir, String unitTests) {
    return EngineProject.create(engine, dir, "ut", """
        vars:
          factor: 1
        """)
        .file("seeds/orders.csv", "id,amount,status\n1,10,paid\n2,20,open\n3,30,paid\n")
        .file("models/sources.yml", """
            version: 2
            sources:
              - name: raw
                schema: {s}
                tables:
                  - name: orders
                    identifier: orders
            """)
        .file("models/paid.sql", "select id, amount * {{ var('factor') }} as amount from {{ ref('orders') }} where status = 'paid'\n")
        .file("models/from_src.sql", "select id, upper(status) as status from {{ source('raw', 'orders') }}\n")
        .file("models/incr.sql", """
            {{ config(materialized='incremental') }}
            select id, amount from {{ ref('orders') }}
            {% if is_incremental() %} where id > (select max(id) from {{ this }}) {% endif %}
            """)
        .file("models/unit.yml", "version: 2\nunit_tests:\n" + unitTests);
  }

  static final String PASSING = """
        - name: paid_only
          model: paid
          given:
            - input: ref('orders')
              rows:
                - {id: 1, amount: 5, status: paid}
                - {id: 2, amount: 7, status: open}
          expect:
            rows:
              - {id: 1, amount: 5}
        - name: paid_csv
          model: paid
          given:
            - input: ref('orders')
              format: csv
              rows: |
                id,amount,status
                1,5,paid
                4,6,paid
          expect:
            format: csv
            rows: |
              id,amount
              4,6
              1,5
        - name: paid_sql
          model: paid
          given:
            - input: ref('orders')
              format: sql
              rows: select 9 as id, 3 as amount, 'paid' as status
          expect:
            format: sql
            rows: select 9 as id, 3 as amount
        - name: paid_vars
          model: paid
          overrides:
            vars: {factor: 10}
          given:
            - input: ref('orders')
              rows: [{id: 1, amount: 5, status: paid}]
          expect:
            rows: [{amount: 50}]
        - name: src_upper
          model: from_src
          given:
            - input: source('raw', 'orders')
              rows: [{id: 1, status: paid}]
          expect:
            rows: [{id: 1, status: PAID}]
        - name: incr_full
          model: incr
          overrides:
            macros: {is_incremental: false}
          given:
            - input: ref('orders')
              rows: [{id: 1, amount: 1}, {id: 5, amount: 2}]
            - input: this
              rows: [{id: 3, amount: 0}]
          expect:
            rows: [{id: 1}, {id: 5}]
        - name: incr_incremental
          model: incr
          overrides:
            macros: {is_incremental: true}
          given:
            - input: ref('orders')
              rows: [{id: 1, amount: 1}, {id: 5, amount: 2}]
            - input: this
              rows: [{id: 3, amount: 0}]
          expect:
            rows: [{id: 5, amount: 2}]
      """;

  static final String FAILING = """
        - name: paid_wrong
          model: paid
          given:
            - input: ref('orders')
              rows: [{id: 1, amount: 5, status: paid}, {id: 2, amount: 7, status: paid}]
          expect:
            rows: [{id: 1, amount: 5}, {id: 3, amount: 8}]
      """;

  @ParameterizedTest
  @EnumSource(Engine.class)
  void passingUnitTestsInEveryFormatAndOverride(Engine engine, @TempDir Path tmp) {
    EngineProject p = project(engine, tmp, PASSING);
    p.run("seed").ok();
    TestProject.Result r = p.run("test", "--select", "test_type:unit").ok();
    assertThat(r.out()).contains("PASS=7").contains("ERROR=0");
    // Real tables untouched: the seed is as loaded, the models were never built.
    assertThat(p.rows("select count(*) from {s}.orders")).containsExactly("3");
    assertThat(p.relationExists("paid")).isFalse();
    assertThat(p.relationExists("incr")).isFalse();
    // The manifest lists them under unit_tests, valid against dbt's v12 schema.
    com.fasterxml.jackson.databind.JsonNode ut = p.json("target/manifest.json").get("unit_tests");
    assertThat(ut.size()).isEqualTo(7);
    ut.fields().forEachRemaining(e -> assertThat(e.getValue().get("given").isArray()).isTrue());
    dev.weir.core.artifacts.ArtifactSchemas.assertValid(p.dir().resolve("target/manifest.json"), dev.weir.core.artifacts.ArtifactSchemas.MANIFEST);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void failingUnitTestShowsTheDiffAndExitsOne(Engine engine, @TempDir Path tmp) {
    EngineProject p = project(engine, tmp, FAILING);
    p.run("seed").ok();
    TestProject.Result r = p.run("test", "--select", "resource_type:unit_test").exits(1);
    assertThat(r.out()).contains("FAIL").contains("paid_wrong").contains("| -   | 3  | 8      |").contains("| +   | 2  | 7      |");
    JsonNode res = p.json("target/run_results.json").get("results").get(0);
    assertThat(res.get("unique_id").asText()).isEqualTo("unit_test.ut.paid.paid_wrong");
    assertThat(res.get("status").asText()).isEqualTo("fail");
    assertThat(res.get("message").asText()).contains("actual differs from expected");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void buildRunsUnitTestsBeforeTheirModelAndAFailureSkipsIt(Engine engine, @TempDir Path tmp) {
    EngineProject p = project(engine, tmp, FAILING);
    TestProject.Result r = p.run("build", "--exclude", "from_src").exits(1);
    assertThat(r.out()).contains("SKIP");
    assertThat(p.relationExists("paid")).isFalse();
    assertThat(p.rows("select count(*) from {s}.orders")).containsExactly("3");

    EngineProject ok = project(engine, tmp.resolve("ok"), PASSING);
    TestProject.Result r2 = ok.run("build", "--exclude", "from_src", "test_name:src_upper").ok();
    int unit = r2.out().indexOf("unit_test paid_only");
    int model = r2.out().indexOf("START sql table model " + ok.schema + ".paid");
    if (model < 0) model = r2.out().indexOf("model " + ok.schema + ".paid");
    assertThat(unit).isGreaterThanOrEqualTo(0);
    assertThat(model).isGreaterThan(unit);
    assertThat(ok.rows("select count(*) from {s}.paid")).containsExactly("2");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void unknownModelOrUnreferencedInputIsAProjectError(Engine engine, @TempDir Path tmp) {
    EngineProject p = project(engine, tmp, """
        - name: bad
          model: nope
          given: []
          expect: {rows: []}
      """);
    TestProject.Result r = p.run("parse").exits(2);
    assertThat(r.out() + r.err()).contains("models/unit.yml").contains("nope");
    EngineProject q = project(engine, tmp.resolve("q"), """
        - name: bad_input
          model: paid
          given:
            - input: ref('incr')
              rows: []
          expect: {rows: []}
      """);
    TestProject.Result r2 = q.run("parse").exits(2);
    assertThat(r2.out() + r2.err()).contains("models/unit.yml").contains("does not reference");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void givenRowsAndExpectationsFromFixtureFiles(Engine engine, @TempDir Path tmp) {
    EngineProject p = project(engine, tmp, """
        - name: paid_from_fixtures
          model: paid
          given:
            - input: ref('orders')
              format: csv
              fixture: orders_mixed
          expect:
            format: sql
            fixture: paid_expected
        - name: paid_wrong_fixture
          model: paid
          given:
            - input: ref('orders')
              format: csv
              fixture: orders_mixed
          expect:
            format: csv
            fixture: paid_wrong
      """)
        .file("tests/fixtures/orders_mixed.csv", "id,amount,status\n1,5,paid\n2,7,open\n3,9,paid\n")
        .file("tests/fixtures/nested/paid_expected.sql", "select 1 as id, 5 as amount union all select 3 as id, 9 as amount\n")
        .file("tests/fixtures/paid_wrong.csv", "id,amount\n1,5\n2,7\n");
    TestProject.Result r = p.run("test", "--select", "test_type:unit").exits(1);
    assertThat(r.out()).contains("PASS=1").contains("ERROR=1").contains("FAIL 2 unit_test paid_wrong_fixture")
        .contains("| +   | 3  | 9      |").contains("| -   | 2  | 7      |");
    // fixtures are not singular tests: nothing else ran
    assertThat(r.out()).doesNotContain("orders_mixed").doesNotContain("paid_expected ");

    EngineProject q = project(engine, tmp.resolve("q"), """
        - name: missing
          model: paid
          given:
            - input: ref('orders')
              format: csv
              fixture: orders_mixd
          expect: {rows: []}
      """).file("tests/fixtures/orders_mixed.csv", "id,amount,status\n");
    TestProject.Result r2 = q.run("parse").exits(2);
    assertThat(r2.out() + r2.err()).contains("models/unit.yml").contains("fixture 'orders_mixd' not found").contains("orders_mixed");
  }
}
