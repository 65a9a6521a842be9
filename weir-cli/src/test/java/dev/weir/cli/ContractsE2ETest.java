package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.cli.EngineProject.Engine;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/** Model contracts (column names, types, constraints) and tests' store_failures, on DuckDB and Postgres. */
class ContractsE2ETest {

  static final String YAML = """
      models:
        - name: orders
          config:
            contract: {enforced: true}
          columns:
            - name: id
              data_type: int
              constraints:
                - type: not_null
                - type: check
                  expression: "id > 0"
            - name: name
              data_type: text
      """;

  @ParameterizedTest
  @EnumSource(Engine.class)
  void contractPassesThenMismatchesFailAndLeaveTheOldTable(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "contracts", "")
        .file("models/schema.yml", YAML)
        .file("models/orders.sql", "{{ config(materialized='table') }}\nselect 1 as id, 'a' as name\n");
    p.run("run").ok();
    assertThat(p.rows("select id, name from {s}.orders")).containsExactly("1|a");
    // The engine's own names for the contract's types.
    String text = engine == Engine.DUCKDB ? "VARCHAR" : "text";
    assertThat(p.rows("select data_type from information_schema.columns where table_schema = '{s}' and table_name = 'orders'"
        + " order by ordinal_position")).containsExactly(engine == Engine.DUCKDB ? "INTEGER" : "integer", text);

    // Type mismatch: the message names the column and both types; the old table stays.
    p.file("models/orders.sql", "{{ config(materialized='table') }}\nselect 'x' as id, 'b' as name\n");
    TestProject.Result r = p.run("run").exits(1);
    assertThat(r.toString()).contains("enforced contract that failed").contains("| id").contains(text).contains("int")
        .contains("data type mismatch");
    assertThat(p.rows("select id, name from {s}.orders")).containsExactly("1|a");

    // Missing and extra columns.
    p.file("models/orders.sql", "{{ config(materialized='table') }}\nselect 1 as id, 'b' as nm\n");
    r = p.run("run").exits(1);
    assertThat(r.toString()).contains("missing in definition").contains("missing in contract").contains("| name").contains("| nm");
    assertThat(p.rows("select id, name from {s}.orders")).containsExactly("1|a");

    // not_null violated: fails, old table intact, no scratch table left.
    p.file("models/orders.sql", "{{ config(materialized='table') }}\nselect cast(null as integer) as id, 'b' as name\n");
    p.run("run").exits(1);
    assertThat(p.rows("select id, name from {s}.orders")).containsExactly("1|a");
    assertThat(p.relationExists("orders__weir_ctmp")).isFalse();

    // check violated.
    p.file("models/orders.sql", "{{ config(materialized='table') }}\nselect -5 as id, 'b' as name\n");
    p.run("run").exits(1);
    assertThat(p.rows("select id, name from {s}.orders")).containsExactly("1|a");

    // Columns in another order still satisfy the contract; the table takes the contract's order.
    p.file("models/orders.sql", "{{ config(materialized='table') }}\nselect 'c' as name, 2 as id\n");
    p.run("run").ok();
    assertThat(p.rows("select * from {s}.orders")).containsExactly("2|c");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void contractOnAViewChecksColumns(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "contracts_view", "")
        .file("models/schema.yml", YAML)
        .file("models/orders.sql", "{{ config(materialized='view') }}\nselect 1 as id, 'a' as name\n");
    p.run("run").ok();
    p.file("models/orders.sql", "{{ config(materialized='view') }}\nselect 1.5 as id, 'a' as name\n");
    TestProject.Result r = p.run("run").exits(1);
    assertThat(r.toString()).contains("data type mismatch");
    assertThat(p.rows("select id from {s}.orders")).containsExactly("1");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void storeFailuresKeepsFailingRows(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "sf", "")
        .file("models/people.sql", "select id, name from {{ ref('people_seed') }}\n")
        .file("seeds/people_seed.csv", "id,name\n1,a\n2,\n3,c\n4,\n")
        .file("models/schema.yml", """
            models:
              - name: people
                columns:
                  - name: id
                    data_tests:
                      - accepted_values:
                          values: [1, 3]
                          quote: false
                          config:
                            store_failures: true
                      - unique:
                          config:
                            store_failures: true
            """)
        .file("tests/null_names.sql", "{{ config(store_failures_as='view') }}\nselect id from {{ ref('people') }} where name is null\n");
    TestProject.Result b = p.run("build").exits(1);
    assertThat(b.toString()).doesNotContain("ERROR creating");
    assertThat(p.rows("select value_field, n_records from {s}_dbt_test__audit.accepted_values_people_id__false__1__3 order by value_field"))
        .containsExactly("2|1", "4|1");
    assertThat(p.relationType("{s}_dbt_test__audit", "null_names")).isEqualTo("VIEW");
    assertThat(p.rows("select id from {s}_dbt_test__audit.null_names order by id")).containsExactly("2", "4");
    // A passing test with store_failures leaves an empty audit table.
    assertThat(p.relationType("{s}_dbt_test__audit", "unique_people_id")).isEqualTo("BASE TABLE");
    assertThat(p.rows("select count(*) from {s}_dbt_test__audit.unique_people_id")).containsExactly("0");

    // show -s on a test that stores failures reads its audit relation.
    TestProject.Result show = p.run("show", "-s", "null_names", "--output", "json").ok();
    assertThat(show.out()).contains("\"id\":\"2\"").contains("\"id\":\"4\"");

    // Fixed data: the audit table is replaced (now empty).
    p.file("seeds/people_seed.csv", "id,name\n1,a\n3,c\n");
    p.run("build").ok();
    assertThat(p.rows("select count(*) from {s}_dbt_test__audit.accepted_values_people_id__false__1__3")).containsExactly("0");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void storeFailuresFlag(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "sf_flag", "")
        .file("models/m.sql", "select 1 as id union all select 1 as id\n")
        .file("models/schema.yml", """
            models:
              - name: m
                columns:
                  - name: id
                    data_tests: [unique]
            """);
    p.run("run").ok();
    p.run("test").exits(1);
    assertThat(p.relationExists("{s}_dbt_test__audit", "unique_m_id")).isFalse();
    p.run("test", "--store-failures").exits(1);
    assertThat(p.rows("select unique_field, n_records from {s}_dbt_test__audit.unique_m_id")).containsExactly("1|2");

    // should_store_failures() in Jinja: the test's own store_failures config when set, else the flag.
    p.file("tests/stores.sql", "select 1 as bad where {{ 'true' if should_store_failures() else 'false' }}\n")
        .file("tests/never_stores.sql", "{{ config(store_failures=false) }}\nselect 1 as bad where {{ 'true' if should_store_failures() else 'false' }}\n");
    assertThat(p.run("test", "-s", "stores", "never_stores").ok().out()).contains("PASS=2");
    TestProject.Result r = p.run("test", "-s", "stores", "never_stores", "--store-failures").exits(1);
    assertThat(r.out()).contains("FAIL 1 test stores").contains("PASS test never_stores").contains("PASS=1");
  }
}
