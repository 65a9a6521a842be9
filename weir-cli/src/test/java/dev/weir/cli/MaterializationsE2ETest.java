package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.cli.EngineProject.Engine;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/** What each materialization leaves in the warehouse, and how seeds are loaded, on DuckDB and Postgres. */
class MaterializationsE2ETest {

  @ParameterizedTest
  @EnumSource(Engine.class)
  void viewsTablesAndEphemeralModels(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "mats", "")
        .file("seeds/src.csv", "id,val\n1,a\n2,b\n3,c\n")
        .file("models/v.sql", "{{ config(materialized='view') }}\nselect id, val from {{ ref('src') }}\n")
        .file("models/t.sql", "{{ config(materialized='table') }}\nselect id, upper(val) as val from {{ ref('v') }}\n")
        .file("models/eph_inner.sql", "{{ config(materialized='ephemeral') }}\nselect id from {{ ref('src') }} where id > 1\n")
        .file("models/eph_outer.sql", "{{ config(materialized='ephemeral') }}\nselect id * 100 as big from {{ ref('eph_inner') }}\n")
        .file("models/uses_eph.sql", """
            {{ config(materialized='table') }}
            with extra as (select 1 as one)
            select big, one from {{ ref('eph_outer') }}, extra
            """);
    p.run("build").ok();
    assertThat(p.relationType("v")).isEqualTo("VIEW");
    assertThat(p.relationType("t")).isEqualTo("BASE TABLE");
    assertThat(p.rows("select id, val from {s}.t order by id")).containsExactly("1|A", "2|B", "3|C");
    // Ephemeral models have no relation and are inlined as CTEs (inner before outer).
    assertThat(p.relationExists("eph_inner")).isFalse();
    assertThat(p.relationExists("eph_outer")).isFalse();
    assertThat(p.rows("select big, one from {s}.uses_eph order by big")).containsExactly("200|1", "300|1");
    String compiled = p.read("target/compiled/mats/models/uses_eph.sql");
    assertThat(compiled).contains("__dbt__cte__eph_inner").contains("__dbt__cte__eph_outer");
    assertThat(compiled.indexOf("__dbt__cte__eph_inner as")).isLessThan(compiled.indexOf("__dbt__cte__eph_outer as"));
    // A view then a table under the same name: the table replaces the view.
    p.file("models/v.sql", "{{ config(materialized='table') }}\nselect id, val from {{ ref('src') }}\n");
    p.run("run", "-s", "v").ok();
    assertThat(p.relationType("v")).isEqualTo("BASE TABLE");
    assertThat(p.rows("select count(*) from {s}.v")).containsExactly("3");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void incrementalAppendUniqueKeyAndFullRefresh(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "inc", "")
        .file("seeds/src.csv", "id,val\n1,a\n2,b\n")
        .file("models/inc_append.sql", """
            {{ config(materialized='incremental') }}
            select id, val, '{{ var("batch", "b1") }}' as batch, {{ 1 if is_incremental() else 0 }} as was_incremental
            from {{ ref('src') }}
            {% if is_incremental() %}
            where id > (select max(id) from {{ this }})
            {% endif %}
            """)
        .file("models/inc_key.sql", """
            {{ config(materialized='incremental', unique_key='id') }}
            select id, val from {{ ref('src') }}
            """)
        .file("models/inc_keys.sql", """
            {{ config(materialized='incremental', unique_key=['id', 'part'], incremental_strategy='delete+insert') }}
            select id, 'p' as part, val from {{ ref('src') }}
            """);
    p.run("build").ok();
    assertThat(p.rows("select id, val, batch, was_incremental from {s}.inc_append order by id"))
        .containsExactly("1|a|b1|0", "2|b|b1|0");
    assertThat(p.rows("select id, val from {s}.inc_key order by id")).containsExactly("1|a", "2|b");

    // New data: id 2 changed, id 3 added.
    p.file("seeds/src.csv", "id,val\n1,a\n2,B\n3,c\n");
    p.run("seed").ok();
    p.run("run", "--vars", "{batch: b2}").ok();
    // Append: only the new id (the filter ran because is_incremental() was true).
    assertThat(p.rows("select id, val, batch, was_incremental from {s}.inc_append order by id"))
        .containsExactly("1|a|b1|0", "2|b|b1|0", "3|c|b2|1");
    // unique_key: id 2 replaced, id 3 added, no duplicates.
    assertThat(p.rows("select id, val from {s}.inc_key order by id")).containsExactly("1|a", "2|B", "3|c");
    assertThat(p.rows("select id, part, val from {s}.inc_keys order by id")).containsExactly("1|p|a", "2|p|B", "3|p|c");

    // --full-refresh rebuilds from scratch.
    p.run("run", "--full-refresh", "-s", "inc_append", "--vars", "{batch: b3}").ok();
    assertThat(p.rows("select id, val, batch, was_incremental from {s}.inc_append order by id"))
        .containsExactly("1|a|b3|0", "2|B|b3|0", "3|c|b3|0");
    // A model whose SQL changes shape without --full-refresh keeps its existing columns.
    assertThat(p.rows("select count(*) from {s}.inc_key")).containsExactly("3");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void incrementalRunTwiceIsStable(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "inc2", "")
        .file("models/counter.sql", """
            {{ config(materialized='incremental') }}
            select {{ 2 if is_incremental() else 1 }} as run_no
            """);
    p.run("run").ok();
    p.run("run").ok();
    p.run("run").ok();
    // Each run appends one row: 1 on the first, 2 on the later (incremental) runs.
    assertThat(p.rows("select run_no from {s}.counter order by run_no")).containsExactly("1", "2", "2");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void seedsInferTypesAndHonourTheirConfigs(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "seeds", """
        seeds:
          seeds:
            overridden:
              +column_types:
                code: varchar
                amount: decimal(10,2)
            semi:
              +delimiter: ";"
            quoted:
              +quote_columns: true
            elsewhere:
              +schema: extra
        """)
        .file("seeds/typed.csv", """
            i,f,d,ts,b,s
            1,1.5,2024-01-02,2024-01-02 03:04:05,true,hello
            2,2.25,2024-02-29,2024-02-29 23:59:00,false,world
            """)
        .file("seeds/overridden.csv", "code,amount\n007,1.5\n042,2\n")
        .file("seeds/semi.csv", "a;b\n1;x,y\n2;z\n")
        .file("seeds/quoted.csv", "Order ID,Customer Name\n1,Ann\n")
        .file("seeds/elsewhere.csv", "x\n1\n")
        .file("seeds/with_nulls.csv", "id,note\n1,\n2,present\n")
        .file("seeds/wide.csv", "n\n1\n3000000000\n");
    TestProject.Result r = p.run("seed").ok();
    assertThat(r.out()).contains("TOTAL=7");

    // The engine's own type for each inferred seed type: whole numbers are integer, as dbt-duckdb and dbt-postgres make them.
    List<String> typed = p.rows("select column_name, data_type from information_schema.columns where table_schema = '{s}'"
        + " and table_name = 'typed' order by ordinal_position");
    if (engine == Engine.DUCKDB) {
      assertThat(typed).containsExactly("i|INTEGER", "f|DOUBLE", "d|DATE", "ts|TIMESTAMP", "b|BOOLEAN", "s|VARCHAR");
    } else {
      assertThat(typed).containsExactly("i|integer", "f|double precision", "d|date", "ts|timestamp without time zone",
          "b|boolean", "s|text");
    }
    // past 32 bits a column is bigint (dbt's load fails there)
    assertThat(p.rows("select lower(data_type) from information_schema.columns where table_schema = '{s}' and table_name = 'wide'"))
        .containsExactly("bigint");
    assertThat(p.rows("select n from {s}.wide order by n")).containsExactly("1", "3000000000");
    assertThat(p.rows("select i, f, cast(d as varchar), cast(ts as varchar), b, s from {s}.typed order by i"))
        .containsExactly("1|1.5|2024-01-02|2024-01-02 03:04:05|true|hello", "2|2.25|2024-02-29|2024-02-29 23:59:00|false|world");

    // column_types: the leading zeros survive as text; amount is a decimal.
    assertThat(p.rows("select data_type from information_schema.columns where table_schema = '{s}'"
        + " and table_name = 'overridden' order by ordinal_position"))
        .containsExactlyElementsOf(engine == Engine.DUCKDB ? List.of("VARCHAR", "DECIMAL(10,2)") : List.of("character varying", "numeric"));
    assertThat(p.rows("select code, cast(amount as varchar) from {s}.overridden order by code")).containsExactly("007|1.50", "042|2.00");
    // delimiter ';': the comma is part of the value.
    assertThat(p.rows("select a, b from {s}.semi order by a")).containsExactly("1|x,y", "2|z");
    // quote_columns: names with spaces and capitals kept as written.
    assertThat(p.rows("select \"Order ID\", \"Customer Name\" from {s}.quoted")).containsExactly("1|Ann");
    assertThat(p.rows("select column_name from information_schema.columns where table_schema = '{s}' and table_name = 'quoted' order by ordinal_position"))
        .containsExactly("Order ID", "Customer Name");
    // +schema on a seed with the default generate_schema_name: <target schema>_<custom>.
    assertThat(p.rows("select x from {s}_extra.elsewhere")).containsExactly("1");
    // An empty field is NULL.
    assertThat(p.rows("select id from {s}.with_nulls where note is null")).containsExactly("1");

    // Seeding again replaces the rows (not appends).
    p.file("seeds/with_nulls.csv", "id,note\n9,only\n");
    p.run("seed", "-s", "with_nulls").ok();
    assertThat(p.rows("select id, note from {s}.with_nulls")).containsExactly("9|only");
  }
}
