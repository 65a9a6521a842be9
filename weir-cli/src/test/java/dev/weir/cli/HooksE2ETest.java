package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model pre/post hooks, on-run-start/on-run-end, and grants on an engine without GRANT. */
class HooksE2ETest {

  private static final String PROJECT_HOOKS = """
      on-run-start:
        - "create schema if not exists audit"
        - "create table if not exists audit.model_log (model varchar, what varchar)"
        - "create table if not exists audit.runs (phase varchar, n_schemas integer, schemas varchar)"
        - "insert into audit.runs values ('start', {{ schemas | length }}, '{{ schemas | join(',') }}')"
      on-run-end:
        - "create table if not exists audit.results (node varchar, status varchar, rtype varchar)"
        - "{% for r in results %}insert into audit.results values ('{{ r.node.name }}', '{{ r.status }}', '{{ r.node.resource_type }}');{% endfor %}"
      models:
        hooks:
          +post-hook: "insert into audit.model_log values ('{{ this.name }}', 'project post-hook')"
      """;

  @Test
  void modelHooksAndRunHooks(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "hooks", PROJECT_HOOKS)
        .file("seeds/src.csv", "id\n1\n2\n")
        .file("models/with_hooks.sql", """
            {{ config(
                materialized='table',
                pre_hook="create schema if not exists side_effects",
                post_hook=[
                  "insert into audit.model_log select '{{ this.name }}', 'rows=' || count(*) from {{ this }}",
                  {"sql": "insert into audit.model_log values ('{{ this.name }}', 'after commit')", "transaction": false}
                ],
                grants={'select': ['reporter']}
            ) }}
            select id from {{ ref('src') }}
            """)
        .file("models/plain_view.sql", "select id * 10 as id from {{ ref('with_hooks') }}\n")
        .file("models/bad_hook.sql", """
            {{ config(materialized='table', post_hook="insert into audit.no_such_table values (1)") }}
            select 1 as id
            """);
    TestProject.Result r = p.run("build").exits(1);
    assertThat(r.out()).contains("Running 4 on-run-start hooks").contains("1 of 4 START hook: hooks.on-run-start.0")
        .contains("4 of 4 OK hook: hooks.on-run-start.3").contains("Running 2 on-run-end hooks")
        .contains("Error in post-hook 2 of model bad_hook").contains("no_such_table");

    // The pre-hook created a schema; the post-hooks saw the built table (2 rows) and ran in order.
    assertThat(p.rows("select count(*) from information_schema.schemata where schema_name = 'side_effects'")).containsExactly("1");
    assertThat(p.rows("select what from audit.model_log where model = 'with_hooks'"))
        .containsExactlyInAnyOrder("project post-hook", "rows=2", "after commit");
    assertThat(p.rows("select what from audit.model_log where model = 'plain_view'")).containsExactly("project post-hook");
    // A failing inside-transaction post-hook rolls the model back: no table, no log row.
    assertThat(p.relationExists("main", "bad_hook")).isFalse();
    assertThat(p.rows("select count(*) from audit.model_log where model = 'bad_hook'")).containsExactly("0");
    // on-run-start saw the schemas being built; on-run-end wrote every result.
    assertThat(p.rows("select phase, n_schemas, schemas from audit.runs")).containsExactly("start|1|main");
    assertThat(p.rows("select node, status, rtype from audit.results order by node"))
        .containsExactly("bad_hook|error|model", "plain_view|success|model", "src|success|seed", "with_hooks|success|model");
    // grants on DuckDB (no GRANT) are skipped silently.
    assertThat(p.rows("select count(*) from main.with_hooks")).containsExactly("2");

    // The run hooks run once per invocation of seed/test too.
    p.run("seed").ok();
    assertThat(p.rows("select count(*) from audit.runs")).containsExactly("2");
    // compile runs no hooks.
    p.run("compile").ok();
    assertThat(p.rows("select count(*) from audit.runs")).containsExactly("2");
  }

  @Test
  void failingRunHooksFailTheInvocation(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "badstart", """
        on-run-start:
          - "select * from no_such_table"
        """)
        .file("models/m.sql", "select 1 as id\n");
    TestProject.Result r = p.run("run").exits(1);
    assertThat(r.out()).contains("Error in on-run-start hook 1 (dbt_project.yml)").contains("no_such_table").contains("SKIP=1");
    assertThat(p.relationExists("main", "m")).isFalse();
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
    assertThat(p.rows("select id from main.m")).containsExactly("1");
  }
}
