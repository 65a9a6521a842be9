package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.cli.EngineProject.Engine;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model pre/post hooks, on-run-start/on-run-end, and grants, on DuckDB and Postgres. Grants are
 * applied on Postgres; DuckDB has no GRANT, so Weir skips them there.
 */
class HooksE2ETest {

  private static final String PROJECT_HOOKS = """
      on-run-start:
        - "create schema if not exists {s}_audit"
        - "create table if not exists {s}_audit.model_log (model varchar, what varchar)"
        - "create table if not exists {s}_audit.runs (phase varchar, n_schemas integer, schemas varchar)"
        - "insert into {s}_audit.runs values ('start', {{ schemas | length }}, '{{ schemas | join(',') }}')"
      on-run-end:
        - "create table if not exists {s}_audit.results (node varchar, status varchar, rtype varchar)"
        - "{% for r in results %}insert into {s}_audit.results values ('{{ r.node.name }}', '{{ r.status }}', '{{ r.node.resource_type }}');{% endfor %}"
      models:
        hooks:
          +post-hook: "insert into {s}_audit.model_log values ('{{ this.name }}', 'project post-hook')"
      """;

  @ParameterizedTest
  @EnumSource(Engine.class)
  void modelHooksAndRunHooks(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "hooks", PROJECT_HOOKS)
        .file("seeds/src.csv", "id\n1\n2\n")
        .file("models/with_hooks.sql", """
            {{ config(
                materialized='table',
                pre_hook="create schema if not exists {s}_side",
                post_hook=[
                  "insert into {s}_audit.model_log select '{{ this.name }}', 'rows=' || count(*) from {{ this }}",
                  {"sql": "insert into {s}_audit.model_log values ('{{ this.name }}', 'after commit')", "transaction": false}
                ],
                grants={'select': ['{s}_reporter']}
            ) }}
            select id from {{ ref('src') }}
            """)
        .file("models/plain_view.sql", "select id * 10 as id from {{ ref('with_hooks') }}\n")
        .file("models/bad_hook.sql", """
            {{ config(materialized='table', post_hook="insert into {s}_audit.no_such_table values (1)") }}
            select 1 as id
            """);
    if (engine == Engine.POSTGRES) {
      // Roles are global to the server: ones named after the test's schema.
      p.execute("create role {s}_reporter", "create role {s}_other");
    }
    TestProject.Result r = p.run("build").exits(1);
    assertThat(r.out()).contains("Running 4 on-run-start hooks").contains("1 of 4 START hook: hooks.on-run-start.0")
        .contains("4 of 4 OK hook: hooks.on-run-start.3").contains("Running 2 on-run-end hooks")
        .contains("Error in post-hook 2 of model bad_hook").contains("no_such_table");

    // The pre-hook created a schema; the post-hooks saw the built table (2 rows) and ran in order.
    assertThat(p.rows("select count(*) from information_schema.schemata where schema_name = '{s}_side'")).containsExactly("1");
    assertThat(p.rows("select what from {s}_audit.model_log where model = 'with_hooks'"))
        .containsExactlyInAnyOrder("project post-hook", "rows=2", "after commit");
    assertThat(p.rows("select what from {s}_audit.model_log where model = 'plain_view'")).containsExactly("project post-hook");
    // A failing inside-transaction post-hook rolls the model back: no table, no log row.
    assertThat(p.relationExists("bad_hook")).isFalse();
    assertThat(p.rows("select count(*) from {s}_audit.model_log where model = 'bad_hook'")).containsExactly("0");
    // on-run-start saw the schemas being built; on-run-end wrote every result.
    assertThat(p.rows("select phase, n_schemas, schemas from {s}_audit.runs")).containsExactly("start|1|" + p.schema);
    assertThat(p.rows("select node, status, rtype from {s}_audit.results order by node"))
        .containsExactly("bad_hook|error|model", "plain_view|success|model", "src|success|seed", "with_hooks|success|model");
    assertThat(p.rows("select count(*) from {s}.with_hooks")).containsExactly("2");
    if (engine == Engine.POSTGRES) {
      // grants={'select': [reporter]}: the role may read the table and nothing else.
      assertThat(p.rows("select has_table_privilege('{s}_reporter', '{s}.with_hooks', 'select'),"
          + " has_table_privilege('{s}_reporter', '{s}.with_hooks', 'insert'),"
          + " has_table_privilege('{s}_reporter', '{s}.plain_view', 'select')")).containsExactly("true|false|false");
    }
    // On DuckDB (no GRANT) grants are skipped silently: the build above did not fail on them.

    // The run hooks run once per invocation of seed/test too.
    p.run("seed").ok();
    assertThat(p.rows("select count(*) from {s}_audit.runs")).containsExactly("2");
    // compile runs no hooks.
    p.run("compile").ok();
    assertThat(p.rows("select count(*) from {s}_audit.runs")).containsExactly("2");

    if (engine == Engine.POSTGRES) {
      // The grant moves to another role: the rebuilt table carries the new grant only.
      p.file("models/with_hooks.sql", p.read("models/with_hooks.sql").replace("_reporter'", "_other'"));
      p.run("run", "-s", "with_hooks").ok();
      assertThat(p.rows("select has_table_privilege('{s}_reporter', '{s}.with_hooks', 'select'),"
          + " has_table_privilege('{s}_other', '{s}.with_hooks', 'select')")).containsExactly("false|true");
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void grantsOnAnIncrementalModelFollowItsConfig(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "grants_inc", "");
    if (engine == Engine.POSTGRES) p.execute("create role {s}_r1", "create role {s}_r2");
    String model = "{{ config(materialized='incremental', grants=%s) }}\nselect 1 as id\n";
    p.file("models/inc.sql", model.formatted("{'select': ['{s}_r1'], 'insert': ['{s}_r1']}"));
    p.run("run").ok();
    // The incremental run keeps the table: the grants the config no longer names are revoked (dbt's should_revoke).
    p.file("models/inc.sql", model.formatted("{'select': ['{s}_r2']}"));
    p.run("run").ok();
    assertThat(p.rows("select count(*) from {s}.inc")).containsExactly("2");
    if (engine == Engine.POSTGRES) {
      assertThat(p.rows("select has_table_privilege('{s}_r1', '{s}.inc', 'select'), has_table_privilege('{s}_r1', '{s}.inc', 'insert'),"
          + " has_table_privilege('{s}_r2', '{s}.inc', 'select')")).containsExactly("false|false|true");
    }
    // DuckDB has no GRANT: the config is skipped there and the runs above succeed.
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void snapshotsRunTheirHooksAndGrants(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "snap_hooks", """
        on-run-start:
          - "create schema if not exists {s}"
          - "create table if not exists {s}.hook_log (what varchar)"
        snapshots:
          snap_hooks:
            +post-hook: "insert into {s}.hook_log values ('project {{ this.name }}')"
        """)
        .file("seeds/src.csv", "id,name,updated_at\n1,a,2024-01-01 00:00:00\n")
        .file("snapshots/blk.sql", """
            {% snapshot blk %}
            {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at',
                      pre_hook="insert into {s}.hook_log values ('own pre {{ this.name }}')",
                      post_hook="insert into {s}.hook_log select 'own post rows=' || count(*) from {{ this }}",
                      grants={'select': ['{s}_r1']}) }}
            select * from {{ ref('src') }}
            {% endsnapshot %}
            """)
        .file("snapshots/more.yml", """
            snapshots:
              - name: yml
                relation: ref('src')
                config: {unique_key: id, strategy: timestamp, updated_at: updated_at}
            """);
    if (engine == Engine.POSTGRES) p.execute("create role {s}_r1", "create role {s}_r2");
    p.run("build").ok();
    // The project's post-hook runs for both snapshots, the snapshot's own hooks around its build.
    assertThat(p.rows("select what from {s}.hook_log")).containsExactlyInAnyOrder(
        "own pre blk", "own post rows=1", "project blk", "project yml");
    if (engine == Engine.POSTGRES) {
      assertThat(p.rows("select has_table_privilege('{s}_r1', '{s}.blk', 'select')")).containsExactly("true");
      // A snapshot keeps its table: a grantee the config no longer names is revoked.
      p.file("snapshots/blk.sql", p.read("snapshots/blk.sql").replace("_r1'", "_r2'"));
      p.run("snapshot", "-s", "blk").ok();
      assertThat(p.rows("select has_table_privilege('{s}_r1', '{s}.blk', 'select'),"
          + " has_table_privilege('{s}_r2', '{s}.blk', 'select')")).containsExactly("false|true");
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void failingRunHooksFailTheInvocation(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "badstart", """
        on-run-start:
          - "select * from no_such_table"
        """)
        .file("models/m.sql", "select 1 as id\n");
    TestProject.Result r = p.run("run").exits(1);
    assertThat(r.out()).contains("Error in on-run-start hook 1 (dbt_project.yml)").contains("no_such_table").contains("SKIP=1");
    assertThat(p.relationExists("m")).isFalse();
    JsonNode results = p.json("target/run_results.json").get("results");
    assertThat(results.get(0).get("unique_id").asText()).isEqualTo("operation.badstart.badstart-on-run-start-0");
    assertThat(results.get(0).get("status").asText()).isEqualTo("error");

    p.file("dbt_project.yml", """
        name: badstart
        version: "1.0.0"
        config-version: 2
        profile: badstart
        on-run-end:
          - "{{ exceptions.raise_compiler_error('end hook says no') }}"
        """);
    TestProject.Result r2 = p.run("run").exits(1);
    assertThat(r2.out()).contains("end hook says no");
    // The models ran before on-run-end failed.
    assertThat(p.rows("select id from {s}.m")).containsExactly("1");
  }
}
