package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.cli.EngineProject.Engine;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/** Incremental models end to end on DuckDB and Postgres: strategies, keys, predicates, schema changes, microbatch, overrides. */
class IncrementalE2ETest {

  private static final String RUN1 = "id,part,val,n\n1,a,x,10\n2,a,y,20\n2,b,z,30\n";
  /** (1,a) and (2,a) changed, (2,b) gone from the source, (3,a) new. */
  private static final String RUN2 = "id,part,val,n\n1,a,X,11\n2,a,Y,21\n3,a,w,40\n";

  private static String model(String config, String where) {
    return "{{ config(materialized='incremental', " + config + ") }}\nselect id, part, val, n from {{ ref('src') }}\n"
        + (where == null ? "" : "{% if is_incremental() %} where " + where + " {% endif %}\n");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void strategiesKeysPredicatesAndUpdateColumns(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "strat", "")
        .file("seeds/src.csv", RUN1)
        .file("models/m_append.sql", model("incremental_strategy='append'", "n > 20"))
        .file("models/m_merge.sql", model("incremental_strategy='merge', unique_key=['id', 'part']", null))
        .file("models/m_merge_cols.sql", model("incremental_strategy='merge', unique_key=['id', 'part'], merge_update_columns=['val']", null))
        .file("models/m_merge_excl.sql", model("incremental_strategy='merge', unique_key=['id', 'part'], merge_exclude_columns=['n']", null))
        .file("models/m_merge_nokey.sql", model("incremental_strategy='merge'", "n > 20"))
        .file("models/m_di.sql", model("incremental_strategy='delete+insert', unique_key=['id', 'part']", null))
        .file("models/m_di1.sql", model("incremental_strategy='delete+insert', unique_key='id'", null))
        .file("models/m_pred.sql", model("incremental_strategy='merge', unique_key=['id', 'part'], "
            + "incremental_predicates=['DBT_INTERNAL_DEST.id > 1']", null))
        .file("models/m_di_pred.sql", model("incremental_strategy='delete+insert', unique_key='id', "
            + "incremental_predicates=['n >= 20']", null));
    p.run("build").ok();
    for (String m : new String[] {"m_append", "m_merge", "m_di", "m_pred"}) {
      assertThat(p.rows("select id, part, val, n from {s}." + m + " order by 1, 2, 3, 4")).containsExactly("1|a|x|10", "2|a|y|20", "2|b|z|30");
    }

    p.file("seeds/src.csv", RUN2);
    p.run("seed").ok();
    p.run("run").ok();
    // append: the filtered new rows are added, nothing is replaced.
    assertThat(p.rows("select id, part, val, n from {s}.m_append order by 1, 2, 3, 4"))
        .containsExactly("1|a|x|10", "2|a|Y|21", "2|a|y|20", "2|b|z|30", "3|a|w|40");
    // merge on a composite key: matched rows updated, new rows inserted, rows gone from the source kept.
    assertThat(p.rows("select id, part, val, n from {s}.m_merge order by 1, 2, 3, 4"))
        .containsExactly("1|a|X|11", "2|a|Y|21", "2|b|z|30", "3|a|w|40");
    // merge_update_columns / merge_exclude_columns: only val is updated, n keeps its old value.
    for (String m : new String[] {"m_merge_cols", "m_merge_excl"}) {
      assertThat(p.rows("select id, part, val, n from {s}." + m + " order by 1, 2, 3, 4"))
          .as(m).containsExactly("1|a|X|10", "2|a|Y|20", "2|b|z|30", "3|a|w|40");
    }
    // merge without unique_key inserts (dbt: on FALSE).
    assertThat(p.rows("select id, part, val, n from {s}.m_merge_nokey order by 1, 2, 3, 4"))
        .containsExactly("1|a|x|10", "2|a|Y|21", "2|a|y|20", "2|b|z|30", "3|a|w|40");
    // delete+insert on (id, part): same rows as merge.
    assertThat(p.rows("select id, part, val, n from {s}.m_di order by 1, 2, 3, 4"))
        .containsExactly("1|a|X|11", "2|a|Y|21", "2|b|z|30", "3|a|w|40");
    // delete+insert on id alone: every row of ids 1..3 is replaced, so (2, b) goes.
    assertThat(p.rows("select id, part, val, n from {s}.m_di1 order by 1, 2, 3, 4"))
        .containsExactly("1|a|X|11", "2|a|Y|21", "3|a|w|40");
    // merge predicate DBT_INTERNAL_DEST.id > 1: id 1 never matches, so the new (1, a) is inserted next to the old.
    assertThat(p.rows("select id, part, val, n from {s}.m_pred order by 1, 2, 3, 4"))
        .containsExactly("1|a|X|11", "1|a|x|10", "2|a|Y|21", "2|b|z|30", "3|a|w|40");
    // delete+insert predicate n >= 20: the old (1, a, x, 10) survives the delete.
    assertThat(p.rows("select id, part, val, n from {s}.m_di_pred order by 1, 2, 3, 4"))
        .containsExactly("1|a|X|11", "1|a|x|10", "2|a|Y|21", "3|a|w|40");
    String compiled = p.read("target/run/strat/models/m_merge.sql");
    assertThat(compiled).contains("merge into").contains("DBT_INTERNAL_SOURCE").contains("m_merge__dbt_tmp");
    // The scratch table is gone.
    assertThat(p.relationExists("m_merge__dbt_tmp")).isFalse();

    // --full-refresh rebuilds; a model with full_refresh: false is left incremental.
    p.file("models/m_di1.sql", model("incremental_strategy='delete+insert', unique_key='id', full_refresh=false", null));
    p.run("run", "--full-refresh", "-s", "m_append", "m_di1").ok();
    assertThat(p.rows("select id, part, val, n from {s}.m_append order by 1, 2, 3, 4")).containsExactly("1|a|X|11", "2|a|Y|21", "3|a|w|40");
    assertThat(p.rows("select count(*) from {s}.m_di1")).containsExactly("3");
    // full_refresh: true rebuilds on every run.
    p.file("models/m_append.sql", model("incremental_strategy='append', full_refresh=true", null));
    p.run("run", "-s", "m_append").ok();
    p.run("run", "-s", "m_append").ok();
    assertThat(p.rows("select count(*) from {s}.m_append")).containsExactly("3");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void onSchemaChangeModes(Engine engine, @TempDir Path tmp) {
    String filter = "{% if is_incremental() %} where id > (select max(id) from {{ this }}) {% endif %}\n";
    EngineProject p = EngineProject.create(engine, tmp, "osc", "")
        .file("seeds/src.csv", "id\n1\n2\n");
    for (String mode : new String[] {"ignore", "fail", "append_new_columns", "sync_all_columns"}) {
      p.file("models/osc_" + mode + ".sql", "{{ config(materialized='incremental', on_schema_change='" + mode + "') }}\n"
          + "select id, 'v' as a, 1 as b from {{ ref('src') }}\n" + filter);
    }
    p.run("build").ok();
    p.file("seeds/src.csv", "id\n1\n2\n3\n");
    p.run("seed").ok();
    // ignore: a new column c is not added; the table keeps id, a, b.
    p.file("models/osc_ignore.sql", "{{ config(materialized='incremental', on_schema_change='ignore') }}\n"
        + "select id, 'v2' as a, 1 as b, 'new' as c from {{ ref('src') }}\n" + filter);
    // fail: any difference fails the model, listing it.
    p.file("models/osc_fail.sql", "{{ config(materialized='incremental', on_schema_change='fail') }}\n"
        + "select id, 'v2' as a, 1 as b, 'new' as c from {{ ref('src') }}\n" + filter);
    // append_new_columns: c is added, b (gone from the model) stays and is NULL in new rows.
    p.file("models/osc_append_new_columns.sql", "{{ config(materialized='incremental', on_schema_change='append_new_columns') }}\n"
        + "select id, 'v2' as a, 'new' as c from {{ ref('src') }}\n" + filter);
    // sync_all_columns: a dropped, c added, b changes type (integer -> varchar, old values cast).
    p.file("models/osc_sync_all_columns.sql", "{{ config(materialized='incremental', on_schema_change='sync_all_columns') }}\n"
        + "select id, cast(id as varchar) || 'x' as b, 'new' as c from {{ ref('src') }}\n" + filter);
    TestProject.Result r = p.run("run").exits(1);
    // The types in messages are the engine's own names.
    String text = engine == Engine.POSTGRES ? "text" : "VARCHAR";
    String integer = engine == Engine.POSTGRES ? "integer" : "INTEGER";
    assertThat(r.out()).contains("out of sync").contains("Source columns not in target: c (" + text + ")");

    assertThat(p.columnNames("osc_ignore")).isEqualTo("id,a,b");
    assertThat(p.rows("select id, a, b from {s}.osc_ignore order by id")).containsExactly("1|v|1", "2|v|1", "3|v2|1");

    assertThat(p.columnNames("osc_fail")).isEqualTo("id,a,b");
    assertThat(p.rows("select id, a, b from {s}.osc_fail order by id")).containsExactly("1|v|1", "2|v|1");

    assertThat(p.columnNames("osc_append_new_columns")).isEqualTo("id,a,b,c");
    assertThat(p.rows("select id, a, b, c from {s}.osc_append_new_columns order by id"))
        .containsExactly("1|v|1|null", "2|v|1|null", "3|v2|null|new");

    assertThat(p.columnNames("osc_sync_all_columns")).isEqualTo("id,b,c");
    assertThat(p.columns("osc_sync_all_columns")).containsExactly("id:int", "b:text", "c:text");
    assertThat(p.rows("select id, b, c from {s}.osc_sync_all_columns order by id")).containsExactly("1|1|null", "2|1|null", "3|3x|new");

    // ignore with a column removed from the model: a clear error, the table untouched.
    p.file("models/osc_ignore.sql", "{{ config(materialized='incremental') }}\nselect id, 'v3' as a from {{ ref('src') }}\n");
    TestProject.Result r2 = p.run("run", "-s", "osc_ignore").exits(1);
    assertThat(r2.out()).contains("Column(s) b (" + integer + ")").contains("append_new_columns");
    assertThat(p.rows("select count(*) from {s}.osc_ignore")).containsExactly("3");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void schemaChangesKeepTheViewsOnTheTable(Engine engine, @TempDir Path tmp) {
    // Postgres pins a view to the columns it reads (no retype or drop under it); DuckDB binds by name.
    String filter = "{% if is_incremental() %} where id > (select max(id) from {{ this }}) {% endif %}\n";
    EngineProject p = EngineProject.create(engine, tmp, "oscv", "")
        .file("seeds/src.csv", "id,b\n1,1\n2,2\n")
        .file("models/inc.sql", "{{ config(materialized='incremental', on_schema_change='sync_all_columns') }}\n"
            + "select id, b, 'a' as a from {{ ref('src') }}\n" + filter)
        .file("models/v.sql", "{{ config(materialized='view') }}\nselect id, b from {{ ref('inc') }}\n");
    p.run("build").ok();
    p.file("seeds/src.csv", "id,b\n1,1\n2,2\n3,3\n");
    p.run("seed").ok();
    // b becomes text and a goes, under the view, which is not rebuilt (only inc is selected).
    p.file("models/inc.sql", "{{ config(materialized='incremental', on_schema_change='sync_all_columns') }}\n"
        + "select id, cast(b as varchar) || 'x' as b from {{ ref('src') }}\n" + filter);
    p.run("run", "-s", "inc").ok();
    assertThat(p.columns("inc")).containsExactly("id:int", "b:text");
    assertThat(p.rows("select id, b from {s}.v order by id")).containsExactly("1|1", "2|2", "3|3x");
    assertThat(p.relationType("v")).isEqualTo("VIEW");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void aFailingIncrementalRunLeavesTheTableIntact(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "atomic", "")
        .file("seeds/src.csv", RUN1)
        .file("models/inc.sql", model("unique_key='id'", null));
    p.run("build").ok();
    p.file("seeds/src.csv", RUN2);
    p.run("seed").ok();
    // The delete and insert run, then an inside-transaction post-hook fails: all of it rolls back.
    p.file("models/inc.sql", model("unique_key='id', post_hook='insert into {s}.no_such_table values (1)'", null));
    TestProject.Result r = p.run("run").exits(1);
    assertThat(r.out()).contains("Error in post-hook 1 of model inc").contains("no_such_table");
    assertThat(p.rows("select id, part, val, n from {s}.inc order by 1, 2, 3, 4")).containsExactly("1|a|x|10", "2|a|y|20", "2|b|z|30");
    assertThat(p.relationExists("inc__dbt_tmp")).isFalse();
    // A model whose SQL fails at run time (a bad cast of one row) leaves the table too.
    p.file("models/inc.sql", "{{ config(materialized='incremental', unique_key='id') }}\n"
        + "select id, part, case when id = 3 then cast('boom' as integer) else 1 end as val, n from {{ ref('src') }}\n");
    p.run("run").exits(1);
    assertThat(p.rows("select id, part, val, n from {s}.inc order by 1, 2, 3, 4")).containsExactly("1|a|x|10", "2|a|y|20", "2|b|z|30");
    // And the same run with good SQL goes through.
    p.file("models/inc.sql", model("unique_key='id'", null));
    p.run("run").ok();
    assertThat(p.rows("select id, part, val, n from {s}.inc order by 1, 2, 3, 4")).containsExactly("1|a|X|11", "2|a|Y|21", "3|a|w|40");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void microbatchBatchesLookbackAndEventTimeFlags(Engine engine, @TempDir Path tmp) {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    String d2 = today.minusDays(2).toString();
    String d1 = today.minusDays(1).toString();
    String d0 = today.toString();
    String old = today.minusDays(5).toString();
    EngineProject p = EngineProject.create(engine, tmp, "mb", """
        seeds:
          mb:
            events:
              +event_time: ts
              +column_types: {ts: timestamp}
        """)
        .file("seeds/events.csv", "id,ts,val\n0," + old + " 10:00:00,too-old\n1," + d2 + " 10:00:00,a\n2," + d1 + " 10:00:00,b\n3,"
            + d0 + " 00:30:00,c\n")
        .file("seeds/fixed.csv", "id,ts,val\n1,2024-01-01 05:00:00,a\n2,2024-01-02 05:00:00,b\n3,2024-01-03 05:00:00,c\n")
        .file("seeds/fixed.yml", "seeds:\n  - name: fixed\n    config:\n      event_time: ts\n      column_types: {ts: timestamp}\n")
        .file("models/mb_daily.sql", """
            {{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts',
                      batch_size='day', begin='%s', lookback=1) }}
            select id, ts, val, {{ 1 if is_incremental() else 0 }} as inc from {{ ref('events') }}
            """.formatted(d2))
        .file("models/mb_fixed.sql", """
            {{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts',
                      batch_size='day', begin='2024-01-01') }}
            select id, ts, val from {{ ref('fixed') }}
            """);
    p.run("seed").ok();
    TestProject.Result r = p.run("run", "-s", "mb_daily").ok();
    // Three daily batches from begin to today; the row from before begin is filtered out of ref('events').
    assertThat(r.out()).contains("Batch 1 of 3 START batch " + d2 + " of " + p.schema + ".mb_daily")
        .contains("Batch 3 of 3 OK created batch " + d0 + " of " + p.schema + ".mb_daily");
    assertThat(p.rows("select id, val, inc from {s}.mb_daily order by id")).containsExactly("1|a|0", "2|b|1", "3|c|1");
    assertThat(p.read("target/compiled/mb/models/mb_daily.sql")).contains("ts >= cast('" + d0 + " 00:00:00' as timestamp)");

    // Late data for every day; lookback 1 rebuilds yesterday and today only.
    p.file("seeds/events.csv", "id,ts,val\n0," + old + " 10:00:00,too-old\n1," + d2 + " 10:00:00,A\n2," + d1 + " 10:00:00,B\n3,"
        + d0 + " 00:30:00,C\n4," + d0 + " 00:10:00,d\n");
    p.run("seed").ok();
    TestProject.Result r2 = p.run("run", "-s", "mb_daily").ok();
    assertThat(r2.out()).contains("Batch 1 of 2 START batch " + d1).contains("Batch 2 of 2 START batch " + d0);
    assertThat(p.rows("select id, val, inc from {s}.mb_daily order by id")).containsExactly("1|a|0", "2|B|1", "3|C|1", "4|d|1");

    // --event-time-start/--event-time-end: only the given window is built.
    p.run("run", "-s", "mb_fixed", "--event-time-start", "2024-01-01", "--event-time-end", "2024-01-03").ok();
    assertThat(p.rows("select id, val from {s}.mb_fixed order by id")).containsExactly("1|a", "2|b");
    p.file("seeds/fixed.csv", "id,ts,val\n1,2024-01-01 05:00:00,A\n2,2024-01-02 05:00:00,B\n3,2024-01-03 05:00:00,C\n");
    p.run("seed").ok();
    TestProject.Result r3 = p.run("run", "-s", "mb_fixed", "--event-time-start", "2024-01-02 00:00:00", "--event-time-end",
        "2024-01-04").ok();
    assertThat(r3.out()).contains("Batch 1 of 2 START batch 2024-01-02").contains("Batch 2 of 2 START batch 2024-01-03");
    assertThat(p.rows("select id, val from {s}.mb_fixed order by id")).containsExactly("1|a", "2|B", "3|C");

    // The flags go together.
    p.run("run", "-s", "mb_fixed", "--event-time-start", "2024-01-02").exits(2);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void projectOverridesOfStrategyMacros(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "ovr", """
        on-run-start:
          - "create schema if not exists {s}"
          - "create table if not exists {s}.append_log (model varchar)"
        """)
        .file("seeds/src.csv", "id,val\n1,a\n2,b\n")
        .file("macros/merge_override.sql", """
            {# insert-only merge: existing keys are never updated #}
            {% macro get_incremental_merge_sql(arg_dict) %}
              {%- set cols = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
              insert into {{ arg_dict['target_relation'] }} ({{ cols }})
              select {{ cols }} from {{ arg_dict['temp_relation'] }}
              where {{ arg_dict['unique_key'] }} not in (select {{ arg_dict['unique_key'] }} from {{ arg_dict['target_relation'] }})
            {% endmacro %}

            {# the built-in append, plus a log row #}
            {% macro default__get_incremental_append_sql(arg_dict) %}
              {{ return(dbt.default__get_incremental_append_sql(arg_dict) ~ ";\\ninsert into {s}.append_log values ('"
                 ~ arg_dict['target_relation'].identifier ~ "')") }}
            {% endmacro %}

            {% macro get_incremental_keep_first_sql(arg_dict) %}
              insert into {{ arg_dict['target_relation'] }}
              select * from {{ arg_dict['temp_relation'] }} where false
            {% endmacro %}
            """)
        .file("models/merged.sql", "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id') }}\n"
            + "select id, val from {{ ref('src') }}\n")
        .file("models/appended.sql", "{{ config(materialized='incremental', incremental_strategy='append') }}\n"
            + "select id, val from {{ ref('src') }}\n{% if is_incremental() %} where id > 2 {% endif %}\n")
        .file("models/custom.sql", "{{ config(materialized='incremental', incremental_strategy='keep_first') }}\n"
            + "select id, val from {{ ref('src') }}\n");
    p.run("build").ok();
    p.file("seeds/src.csv", "id,val\n1,A\n2,B\n3,c\n");
    p.run("seed").ok();
    p.run("run").ok();
    // The project's merge never updates: 1 and 2 keep their values, 3 is added.
    assertThat(p.rows("select id, val from {s}.merged order by id")).containsExactly("1|a", "2|b", "3|c");
    assertThat(p.read("target/run/ovr/models/merged.sql")).contains("not in (select id from");
    // The default__ override delegated to the built-in append and logged.
    assertThat(p.rows("select id, val from {s}.appended order by id")).containsExactly("1|a", "2|b", "3|c");
    assertThat(p.rows("select model from {s}.append_log")).containsExactly("appended");
    // A custom strategy is a macro get_incremental_<name>_sql.
    assertThat(p.rows("select id, val from {s}.custom order by id")).containsExactly("1|a", "2|b");
    // An unknown strategy without a macro is a clear error.
    p.file("models/custom.sql", "{{ config(materialized='incremental', incremental_strategy='mergee', unique_key='id') }}\n"
        + "select id, val from {{ ref('src') }}\n");
    TestProject.Result r = p.run("run", "-s", "custom").exits(1);
    assertThat(r.out()).contains("Incremental strategy 'mergee'").contains("get_incremental_mergee_sql");
  }
}
