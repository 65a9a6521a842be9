package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.cli.EngineProject.Engine;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The same projects, built on embedded DuckDB and on a real PostgreSQL 17 (the JVM's shared server),
 * must leave the same rows. Each test gets its own schema ({@link EngineProject}); SQL in the projects
 * and in the assertions is portable, and rows are read back as text from whichever engine built them.
 */
class BothEnginesE2ETest {

  // ------------------------------------------------------------------ seeds, view, table, ephemeral

  @ParameterizedTest
  @EnumSource(Engine.class)
  void contractsAndUnitTests(Engine engine, @TempDir Path dir) {
    EngineProject p = EngineProject.create(engine, dir, "gates")
        .file("models/orders.sql", "{{ config(materialized='table') }}\nselect 1 as id, 'a' as name\n")
        .file("models/big_orders.sql", "select id, upper(name) as name from {{ ref('orders') }} where id > {{ var('min_id', 0) }}\n")
        .file("models/schema.yml", """
            models:
              - name: orders
                config:
                  contract: {enforced: true}
                columns:
                  - name: id
                    data_type: integer
                    constraints: [{type: not_null}]
                  - name: name
                    data_type: text
            unit_tests:
              - name: uppercases_and_filters
                model: big_orders
                overrides:
                  vars: {min_id: 1}
                given:
                  - input: ref('orders')
                    rows: [{id: 1, name: x}, {id: 2, name: y}]
                expect:
                  rows: [{id: 2, name: Y}]
            """);
    p.run("build").ok();
    assertThat(p.rows("select id, name from {s}.orders")).containsExactly("1|a");
    // A type mismatch fails the contract and leaves the old table; the unit test still runs without real tables.
    p.file("models/orders.sql", "{{ config(materialized='table') }}\nselect 'x' as id, 'b' as name\n");
    TestProject.Result r = p.run("run", "-s", "orders").exits(1);
    assertThat(r.toString()).contains("data type mismatch").contains("| id");
    assertThat(p.rows("select id, name from {s}.orders")).containsExactly("1|a");
    p.file("models/big_orders.sql", "select id, name from {{ ref('orders') }} where id > {{ var('min_id', 0) }}\n");
    r = p.run("test", "-s", "test_type:unit").exits(1);
    assertThat(r.toString()).contains("uppercases_and_filters");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void checksFusedInOneScanMatchEachCheckAlone(Engine engine, @TempDir Path dir) {
    EngineProject p = EngineProject.create(engine, dir, "fusion")
        .file("models/orders.sql", ChecksFusionE2ETest.ORDERS)
        .file("models/customers.sql", ChecksFusionE2ETest.CUSTOMERS)
        .file("models/ten.sql", ChecksFusionE2ETest.TEN.replace("range(10)", "generate_series(0, 9) as g(range)"))
        .file("models/nothing.sql", ChecksFusionE2ETest.NOTHING)
        .file("models/schema.yml", ChecksFusionE2ETest.SCHEMA);
    p.run("run").ok();
    p.run("test", "--no-fusion").exits(1);
    var alone = ChecksFusionE2ETest.outcomes(p.p);
    p.run("test", "--fusion").exits(1);
    var fused = ChecksFusionE2ETest.outcomes(p.p);
    assertThat(fused).isEqualTo(alone).containsEntry("unique_orders_id", "fail 1").containsEntry("amount_mostly_ok", "pass 0")
        .containsEntry("known_customer_early", "pass 0").containsEntry("email_has_at", "fail 1");
    assertThat(p.rows("select count(distinct invocation_id) from {s}_weir.weir_check_history")).containsExactly("2");

    // Quarantine on this engine too: bad rows aside, good rows replace the table.
    p.file("models/pay.sql", "{{ config(materialized='table') }}\nselect * from (values (1, 10.0), (2, -5.0)) as t(id, amount)")
        .file("models/pay.yml", """
            models:
              - name: pay
                columns:
                  - name: amount
                    data_tests:
                      - values_between: {min_value: 0, action: quarantine, name: pay_positive}
            """);
    p.run("build", "-s", "pay").ok();
    assertThat(p.rows("select id from {s}.pay order by id")).containsExactly("1");
    assertThat(p.rows("select id, weir_check from {s}.pay__quarantine")).containsExactly("2|pay_positive");

    // ... and on an incremental model: its first build like a table, then each step merges only the good new rows.
    p.file("models/pay_inc.sql", """
            {{ config(materialized='incremental', unique_key='id') }}
            {% if var('batch', 1) == 1 %}
            select * from (values (1, 10), (2, -5)) as t(id, amount)
            {% else %}
            select * from (values (1, 11), (3, -1), (4, 4)) as t(id, amount)
            {% endif %}
            """)
        .file("models/pay_inc.yml", """
            models:
              - name: pay_inc
                columns:
                  - name: amount
                    data_tests:
                      - values_between: {min_value: 0, action: quarantine, name: inc_positive}
            """);
    p.run("build", "-s", "pay_inc").ok();
    assertThat(p.rows("select id, amount from {s}.pay_inc order by id")).containsExactly("1|10");
    TestProject.Result step = p.run("build", "-s", "pay_inc", "--vars", "{batch: 2}").ok();
    assertThat(step.out()).contains("1 row quarantined");
    assertThat(p.rows("select id, amount from {s}.pay_inc order by id")).containsExactly("1|11", "4|4");
    assertThat(p.rows("select id, weir_check from {s}.pay_inc__quarantine order by id")).containsExactly("2|inc_positive", "3|inc_positive");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void seedsViewTableAndEphemeral(Engine engine, @TempDir Path dir) {
    EngineProject p = EngineProject.create(engine, dir, "mats")
        .file("seeds/customers.csv", """
            id,name,signed_up,vip,score,seen_at
            1,Ann,2024-01-02,true,1.5,2024-01-02 10:00:00
            2,"Bob, Jr.",2024-02-03,false,2,2024-02-03 11:30:00
            3,Cy,2024-03-04,,,2024-03-04 12:00:00
            """)
        .file("models/stg_customers.sql", "{{ config(materialized='view') }}\n"
            + "select id, name, signed_up, vip, score from {{ ref('customers') }}\n")
        .file("models/vip_flags.sql", "{{ config(materialized='ephemeral') }}\n"
            + "select id, coalesce(vip, false) as is_vip from {{ ref('stg_customers') }}\n")
        .file("models/customer_summary.sql", "{{ config(materialized='table') }}\n"
            + "select c.id, c.name, f.is_vip, c.signed_up from {{ ref('stg_customers') }} c"
            + " join {{ ref('vip_flags') }} f on f.id = c.id\n");
    p.run("build").ok();
    assertThat(p.columns("customers")).containsExactly(
        "id:int", "name:text", "signed_up:date", "vip:bool", "score:float", "seen_at:ts");
    assertThat(p.rows("select id, name, cast(signed_up as varchar), vip, cast(score * 2 as integer),"
        + " cast(seen_at as varchar) from {s}.customers order by id")).containsExactly(
        "1|Ann|2024-01-02|true|3|2024-01-02 10:00:00",
        "2|Bob, Jr.|2024-02-03|false|4|2024-02-03 11:30:00",
        "3|Cy|2024-03-04|null|null|2024-03-04 12:00:00");
    assertThat(p.relations()).containsExactly(
        "customer_summary:BASE TABLE", "customers:BASE TABLE", "stg_customers:VIEW");
    assertThat(p.rows("select id, name, is_vip, cast(signed_up as varchar) from {s}.customer_summary order by id"))
        .containsExactly("1|Ann|true|2024-01-02", "2|Bob, Jr.|false|2024-02-03", "3|Cy|false|2024-03-04");
    // a rebuild replaces the table and the view in place
    p.file("seeds/customers.csv", "id,name,signed_up,vip,score,seen_at\n4,Dee,2024-04-05,true,1,2024-04-05 00:00:00\n");
    p.run("build").ok();
    assertThat(p.rows("select id, name, is_vip from {s}.customer_summary order by id")).containsExactly("4|Dee|true");
    assertThat(p.rows("select count(*) from {s}.stg_customers")).containsExactly("1");
  }

  // ------------------------------------------------------------------ incremental

  @ParameterizedTest
  @EnumSource(Engine.class)
  void incrementalAppendDeleteInsertAndMerge(Engine engine, @TempDir Path dir) {
    String geFilter = "{% if is_incremental() %} where id >= (select max(id) from {{ this }}) {% endif %}\n";
    EngineProject p = EngineProject.create(engine, dir, "incr")
        .file("seeds/events.csv", "id,kind,amount\n1,a,10\n2,b,20\n")
        .file("models/events_append.sql", "{{ config(materialized='incremental') }}\n"
            + "select id, kind, amount from {{ ref('events') }}\n"
            + "{% if is_incremental() %} where id > (select max(id) from {{ this }}) {% endif %}\n")
        .file("models/events_di.sql", "{{ config(materialized='incremental', unique_key='id',"
            + " incremental_strategy='delete+insert') }}\nselect id, kind, amount from {{ ref('events') }}\n" + geFilter)
        .file("models/events_merge.sql", "{{ config(materialized='incremental', unique_key='id',"
            + " incremental_strategy='merge') }}\nselect id, kind, amount from {{ ref('events') }}\n" + geFilter);
    p.run("build").ok();
    for (String t : List.of("events_append", "events_di", "events_merge")) {
      assertThat(p.rows("select id, kind, amount from {s}." + t + " order by id")).as(t).containsExactly("1|a|10", "2|b|20");
    }
    p.file("seeds/events.csv", "id,kind,amount\n1,a,10\n2,b,21\n3,c,30\n");
    p.run("build").ok();
    // append: only the new row; 2 keeps its old amount
    assertThat(p.rows("select id, kind, amount from {s}.events_append order by id"))
        .containsExactly("1|a|10", "2|b|20", "3|c|30");
    for (String t : List.of("events_di", "events_merge")) {
      assertThat(p.rows("select id, kind, amount from {s}." + t + " order by id")).as(t)
          .containsExactly("1|a|10", "2|b|21", "3|c|30");
    }
    // a full refresh rebuilds from scratch
    p.run("run", "--full-refresh", "--select", "events_append").ok();
    assertThat(p.rows("select id, amount from {s}.events_append order by id")).containsExactly("1|10", "2|21", "3|30");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void incrementalAppendNewColumns(Engine engine, @TempDir Path dir) {
    String filter = "{% if is_incremental() %} where id > (select max(id) from {{ this }}) {% endif %}\n";
    EngineProject p = EngineProject.create(engine, dir, "osc")
        .file("seeds/src.csv", "id\n1\n2\n")
        .file("models/osc.sql", "{{ config(materialized='incremental', on_schema_change='append_new_columns') }}\n"
            + "select id, cast('v' as varchar(10)) as a, 1 as b from {{ ref('src') }}\n" + filter);
    p.run("build").ok();
    p.file("seeds/src.csv", "id\n1\n2\n3\n");
    p.run("seed").ok();
    // c is added, b (gone from the model) stays and is null in new rows
    p.file("models/osc.sql", "{{ config(materialized='incremental', on_schema_change='append_new_columns') }}\n"
        + "select id, cast('v2' as varchar(10)) as a, cast('new' as varchar(10)) as c from {{ ref('src') }}\n" + filter);
    p.run("run").ok();
    assertThat(p.columns("osc")).containsExactly("id:int", "a:text", "b:int", "c:text");
    assertThat(p.rows("select id, a, b, c from {s}.osc order by id"))
        .containsExactly("1|v|1|null", "2|v|1|null", "3|v2|null|new");
  }

  // ------------------------------------------------------------------ snapshot

  @ParameterizedTest
  @EnumSource(Engine.class)
  void timestampSnapshotWithUpdateAndInvalidatedDelete(Engine engine, @TempDir Path dir) {
    EngineProject p = EngineProject.create(engine, dir, "snap")
        .file("seeds/src.csv", """
            id,name,updated_at
            1,a,2024-01-01 00:00:00
            2,b,2024-01-01 00:00:00
            3,c,2024-01-01 00:00:00
            """)
        .file("snapshots/snap_ts.sql", """
            {% snapshot snap_ts %}
            {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='invalidate') }}
            select * from {{ ref('src') }}
            {% endsnapshot %}
            """);
    p.run("build").ok();
    String q = "select id, name, cast(dbt_valid_from as varchar), cast(dbt_valid_to as varchar),"
        + " cast(dbt_updated_at as varchar) from {s}.snap_ts order by id, dbt_valid_from";
    assertThat(p.rows(q)).containsExactly(
        "1|a|2024-01-01 00:00:00|null|2024-01-01 00:00:00",
        "2|b|2024-01-01 00:00:00|null|2024-01-01 00:00:00",
        "3|c|2024-01-01 00:00:00|null|2024-01-01 00:00:00");
    assertThat(p.columns("snap_ts")).containsExactly("id:int", "name:text", "updated_at:ts",
        "dbt_scd_id:text", "dbt_updated_at:ts", "dbt_valid_from:ts", "dbt_valid_to:ts");

    // 1 updated, 2 changed without a newer updated_at (no version), 3 deleted (invalidated), 4 new
    p.file("seeds/src.csv", """
        id,name,updated_at
        1,a2,2024-01-02 00:00:00
        2,b_changed,2024-01-01 00:00:00
        4,d,2024-01-02 00:00:00
        """);
    p.run("build").ok();
    List<String> second = List.of(
        "1|a|2024-01-01 00:00:00|2024-01-02 00:00:00",
        "1|a2|2024-01-02 00:00:00|null",
        "2|b|2024-01-01 00:00:00|null",
        "3|c|2024-01-01 00:00:00|closed",
        "4|d|2024-01-02 00:00:00|null");
    String q2 = "select id, name, cast(dbt_valid_from as varchar),"
        + " case when id = 3 and dbt_valid_to is not null then 'closed' else cast(dbt_valid_to as varchar) end"
        + " from {s}.snap_ts order by id, dbt_valid_from";
    assertThat(p.rows(q2)).containsExactlyElementsOf(second);
    assertThat(p.rows("select count(distinct dbt_scd_id), count(*) from {s}.snap_ts")).containsExactly("5|5");

    // idempotent: the same source again changes nothing (a deleted row is invalidated once)
    List<String> all = p.rows("select dbt_scd_id, cast(dbt_valid_to as varchar) from {s}.snap_ts order by dbt_scd_id");
    p.run("snapshot").ok();
    assertThat(p.rows("select dbt_scd_id, cast(dbt_valid_to as varchar) from {s}.snap_ts order by dbt_scd_id"))
        .containsExactlyElementsOf(all);
  }

  // ------------------------------------------------------------------ generic tests

  @ParameterizedTest
  @EnumSource(Engine.class)
  void genericTestsPassAndOneFails(Engine engine, @TempDir Path dir) {
    EngineProject p = EngineProject.create(engine, dir, "tests")
        .file("seeds/customers.csv", "id,name\n1,Ann\n2,Bob\n3,Cy\n")
        .file("seeds/orders.csv", "id,customer_id,status\n10,1,placed\n11,2,shipped\n12,2,placed\n13,3,\n")
        .file("models/orders_enriched.sql", "select o.id, o.customer_id, o.status from {{ ref('orders') }} o\n")
        .file("models/schema.yml", """
            version: 2
            seeds:
              - name: customers
                columns:
                  - name: id
                    data_tests: [unique, not_null]
            models:
              - name: orders_enriched
                columns:
                  - name: id
                    data_tests: [unique, not_null]
                  - name: customer_id
                    data_tests:
                      - not_null
                      - relationships:
                          arguments: {to: ref('customers'), field: id}
                  - name: status
                    data_tests:
                      - accepted_values:
                          arguments: {values: ['placed', 'shipped']}
            """);
    TestProject.Result r = p.run("build").ok();
    assertThat(r.out()).contains("PASS=");
    // status must not be null: order 13 has none
    String schemaYml = p.p.read("models/schema.yml");
    String withNotNull = schemaYml.replace("- accepted_values:", "- not_null\n          - accepted_values:");
    assertThat(withNotNull).isNotEqualTo(schemaYml);
    p.file("models/schema.yml", withNotNull);
    r = p.run("test").exits(1);
    assertThat(r.out()).contains("FAIL 1 test not_null_orders_enriched_status").contains("PASS=7 WARN=0 ERROR=1");
    // a customer that does not exist breaks the relationship; an unknown status breaks accepted_values
    p.file("seeds/orders.csv", "id,customer_id,status\n10,1,placed\n11,9,shipped\n12,1,lost\n13,1,lost\n");
    p.run("seed").ok();
    p.run("run").ok();
    r = p.run("test").exits(1);
    assertThat(r.out()).contains("FAIL 1 test relationships_orders_enriched_customer_id")
        .contains("FAIL 1 test accepted_values_orders_enriched_status").contains("PASS=6 WARN=0 ERROR=2");
  }

  // ------------------------------------------------------------------ atomic replace

  @ParameterizedTest
  @EnumSource(Engine.class)
  void aFailingModelLeavesTheOldTable(Engine engine, @TempDir Path dir) {
    EngineProject p = EngineProject.create(engine, dir, "atomic")
        .file("seeds/src.csv", "id,name\n1,a\n2,b\n")
        .file("models/summary.sql", "{{ config(materialized='table') }}\nselect id, name from {{ ref('src') }}\n")
        .file("models/summary_view.sql", "{{ config(materialized='view') }}\nselect id, name from {{ ref('src') }}\n");
    p.run("build").ok();
    // fails at run time on one row: a bad cast
    p.file("models/summary.sql", "{{ config(materialized='table') }}\n"
        + "select id, case when id = 2 then cast(name as integer) else 0 end as name from {{ ref('src') }}\n");
    p.file("models/summary_view.sql", "{{ config(materialized='view') }}\nselect id, no_such_column from {{ ref('src') }}\n");
    p.run("run").exits(1);
    assertThat(p.rows("select id, name from {s}.summary order by id")).containsExactly("1|a", "2|b");
    assertThat(p.rows("select id, name from {s}.summary_view order by id")).containsExactly("1|a", "2|b");
    assertThat(p.relations()).containsExactly("src:BASE TABLE", "summary:BASE TABLE", "summary_view:VIEW");
  }

  // ------------------------------------------------------------------ long names

  /** A 60-character name: Postgres takes up to 63 bytes, so no scratch suffix fits behind it. */
  static String longName(String prefix) {
    return (prefix + "_with_a_name_long_enough_to_leave_no_room_for_a_suffix_at_all_really").substring(0, 60);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void namesNearPostgresLimitBuildEveryMaterialization(Engine engine, @TempDir Path dir) {
    String seed = longName("seed");
    String table = longName("table");
    String inc = longName("incr");
    String snap = longName("snap");
    EngineProject p = EngineProject.create(engine, dir, "longnames")
        .file("seeds/" + seed + ".csv", "id,name,updated_at\n1,a,2024-01-01 00:00:00\n2,b,2024-01-01 00:00:00\n")
        .file("models/" + table + ".sql", "{{ config(materialized='table') }}\n"
            + "select cast(id as integer) as id, name from {{ ref('" + seed + "') }}\n")
        .file("models/" + inc + ".sql", "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge',"
            + " on_schema_change='append_new_columns') }}\nselect id, name from {{ ref('" + seed + "') }}\n")
        .file("models/schema.yml", """
            models:
              - name: %s
                config:
                  contract: {enforced: true}
                columns:
                  - name: id
                    data_type: integer
                  - name: name
                    data_type: text
            """.formatted(table))
        .file("snapshots/snap.sql", """
            {%% snapshot %s %%}
            {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
            select * from {{ ref('%s') }}
            {%% endsnapshot %%}
            """.formatted(snap, seed));
    p.run("build").ok();
    // Second run: the seed is reloaded, the table replaced, the incremental merged, the snapshot versions a change.
    p.file("seeds/" + seed + ".csv", "id,name,updated_at\n1,a,2024-01-01 00:00:00\n2,B,2024-01-02 00:00:00\n3,c,2024-01-02 00:00:00\n");
    p.run("build").ok();
    assertThat(p.rows("select id, name from {s}." + table + " order by id")).containsExactly("1|a", "2|B", "3|c");
    assertThat(p.rows("select id, name from {s}." + inc + " order by id")).containsExactly("1|a", "2|B", "3|c");
    assertThat(p.rows("select id, name, dbt_valid_to is null from {s}." + snap + " order by id, dbt_valid_from"))
        .containsExactly("1|a|true", "2|b|false", "2|B|true", "3|c|true");
    // Only the model relations are left: no scratch table under a truncated name.
    assertThat(p.relations()).containsExactly(inc + ":BASE TABLE", seed + ":BASE TABLE", snap + ":BASE TABLE",
        table + ":BASE TABLE");
  }
}
