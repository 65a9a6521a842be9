package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * dbt's Jinja context inside models, built once with {@code weir build}: each model exercises one
 * feature and each test checks that model's rows (a broken feature shows up as its own failure).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JinjaContextE2ETest {
  TestProject p;
  TestProject.Result build;

  @BeforeAll
  void buildOnce(@TempDir Path tmp) {
    p = TestProject.create(tmp, "ctx", """
        vars:
          project_var: from_project
          threshold: 15
        seeds:
          ctx:
            countries:
              +schema: landing
        models:
          ctx:
            +materialized: table
            precedence:
              +materialized: view
              +flavor: project
        """);
    p.env.put("WEIR_TEST_COLOR", "blue");
    p.env.remove("WEIR_TEST_NOT_SET");
    p.file("seeds/people.csv", "id,name,score\n1,ann,10\n2,bob,20\n3,cid,30\n")
        .file("seeds/countries.csv", "code,name\nfr,France\njp,Japan\n")
        // --- macros
        .file("macros/schema_and_alias.sql", """
            {% macro generate_schema_name(custom_schema_name, node) -%}
              {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
            {%- endmacro %}

            {% macro generate_alias_name(custom_alias_name=none, node=none) -%}
              {%- if custom_alias_name -%}{{ custom_alias_name | trim }}
              {%- elif node.config.get('versioned_alias') -%}{{ node.name ~ '_v2' }}
              {%- else -%}{{ node.name }}{%- endif -%}
            {%- endmacro %}
            """)
        .file("macros/helpers.sql", """
            {% macro greet() %}{{ return(adapter.dispatch('greet', 'ctx')()) }}{% endmacro %}
            {% macro default__greet() %}'default'{% endmacro %}
            {% macro duckdb__greet() %}'duck'{% endmacro %}

            {% macro farewell() %}{{ return(adapter.dispatch('farewell', 'ctx')()) }}{% endmacro %}
            {% macro default__farewell() %}'default'{% endmacro %}

            {% macro double(x) %}{{ return(x * 2) }}{% endmacro %}

            {% macro count_rows(rel) %}
              {% if execute %}
                {% set r = run_query('select count(*) as n from ' ~ rel) %}
                {{ return(r.columns[0].values()[0]) }}
              {% else %}
                {{ return(-1) }}
              {% endif %}
            {% endmacro %}
            """)
        .file("macros/docs.md", """
            {% docs people_doc %}
            One row per **person**.
            {% enddocs %}
            """)
        // --- sources: a seed in another schema, and a table made outside Weir
        .file("models/sources.yml", """
            version: 2
            sources:
              - name: landing
                tables:
                  - name: countries
              - name: ext
                schema: external_data
                tables:
                  - name: orders
                    identifier: raw_orders_table
            """)
        .file("models/from_seed_source.sql", "select code, name from {{ source('landing', 'countries') }}\n")
        .file("models/from_ext_source.sql", "select sum(amount) as total from {{ source('ext', 'orders') }}\n")
        // --- config precedence: dbt_project.yml < YAML < config() in the file
        .file("models/precedence/prec_project.sql", "select '{{ config.get(\"flavor\") }}' as flavor\n")
        .file("models/precedence/prec_yaml.sql", "select '{{ config.get(\"flavor\") }}' as flavor\n")
        .file("models/precedence/prec_file.sql",
            "{{ config(materialized='view', flavor='file') }}\nselect '{{ config.get(\"flavor\") }}' as flavor\n")
        .file("models/precedence/precedence.yml", """
            version: 2
            models:
              - name: prec_yaml
                config:
                  materialized: table
                  flavor: yaml
              - name: prec_file
                config:
                  materialized: table
                  flavor: yaml
            """)
        .file("models/ctx_config_get.sql",
            "select '{{ config.get(\"missing_key\", \"dflt\") }}' as with_default, '{{ config.get(\"materialized\") }}' as mat\n")
        .file("models/ctx_vars.sql", """
            select '{{ var("project_var") }}' as project_var,
                   '{{ var("undefined_var", "fallback") }}' as defaulted,
                   {{ var("threshold") }} as threshold
            """)
        .file("models/ctx_env.sql", """
            select '{{ env_var("WEIR_TEST_COLOR") }}' as color,
                   '{{ env_var("WEIR_TEST_NOT_SET", "dflt") }}' as defaulted
            """)
        .file("models/ctx_this_target.sql", """
            select '{{ this }}' as this_rendered, '{{ this.schema }}' as this_schema, '{{ this.identifier }}' as this_identifier,
                   '{{ target.name }}' as target_name, '{{ target.schema }}' as target_schema, '{{ target.type }}' as target_type
            """)
        .file("models/ctx_dispatch.sql", "select {{ greet() }} as overridden, {{ farewell() }} as fallback\n")
        .file("models/ctx_introspect.sql", """
            {%- set rel = adapter.get_relation(database=target.database, schema='main', identifier='people') -%}
            {%- set missing = adapter.get_relation(database=target.database, schema='main', identifier='no_such_table') -%}
            {%- set cols = adapter.get_columns_in_relation(ref('people')) -%}
            select {{ 'true' if rel is not none else 'false' }} as found,
                   {{ 'true' if missing is none else 'false' }} as missing_is_none,
                   '{{ cols | map(attribute="name") | join(",") }}' as cols
            """)
        .file("models/ctx_run_query.sql", "select {{ count_rows(ref('people')) }} as n\n")
        .file("models/ctx_statement.sql", """
            {% call statement('mx', fetch_result=True) -%}
              select max(score) as m from {{ ref('people') }}
            {%- endcall %}
            {% set mx = load_result('mx')['data'][0][0] if execute else 0 %}
            select {{ mx }} as max_score
            """)
        .file("models/ctx_return_do_log.sql", """
            {% set items = [] %}
            {% do items.append(5) %}
            {% do items.append(double(21)) %}
            {{ log("hello from the log of " ~ this.name, info=True) }}
            select {{ items[0] }} as first_item, {{ items[1] }} as doubled, {{ items | length }} as n
            """)
        .file("models/ctx_modules.sql", """
            {% set d = modules.datetime.date(2024, 2, 29) %}
            {% set js = fromjson('{"a": [1, 2], "b": "x"}') %}
            select '{{ d.strftime("%Y-%m-%d") }}' as leap_day,
                   {{ js['a'][1] }} as second,
                   '{{ js.b }}' as b,
                   '{{ tojson({"k": "v"}) }}' as json_text,
                   '{{ run_started_at.strftime("%Y") }}' as started_year,
                   '{{ invocation_id }}' as invocation_id,
                   {{ execute }} as executing
            """)
        .file("models/ctx_graph.sql", """
            {% set seeds = [] %}
            {% if execute %}
              {% for n in graph.nodes.values() %}{% if n.resource_type == 'seed' %}{% do seeds.append(n.name) %}{% endif %}{% endfor %}
            {% endif %}
            select {{ seeds | length }} as seeds, '{{ seeds | sort | join(",") }}' as names
            """)
        .file("models/custom_schema_model.sql", "{{ config(schema='analytics') }}\nselect 1 as one\n")
        .file("models/aliased.sql", "{{ config(versioned_alias=true) }}\nselect 7 as seven\n")
        .file("models/uses_aliased.sql", "select seven * 2 as fourteen from {{ ref('aliased') }}\n")
        .file("models/docs.yml", """
            version: 2
            models:
              - name: ctx_vars
                description: '{{ doc("people_doc") }}'
            """);
    // The "ext" source: a table created in the warehouse before Weir runs.
    TestProject.execute(p.db(), "create schema external_data",
        "create table external_data.raw_orders_table as select * from (values (1, 2.5), (2, 4.0)) t(id, amount)");
    // A source over a seed has no edge to it (as in dbt): load the seeds first.
    p.run("seed").ok();
    build = p.run("build");
  }

  private String out() { return build.toString(); }

  @Test
  void buildSucceeds() {
    build.ok();
  }

  @Test
  void sourcesResolveToTheirSchemas() {
    // The seed with +schema: landing went to schema "landing" (generate_schema_name override, no prefix).
    assertThat(p.rows("select code, name from main.from_seed_source order by code")).as(out()).containsExactly("fr|France", "jp|Japan");
    assertThat(p.rows("select total from main.from_ext_source")).as(out()).containsExactly("6.5");
    assertThat(p.read("target/compiled/ctx/models/from_ext_source.sql")).contains("external_data").contains("raw_orders_table");
  }

  @Test
  void configPrecedence() {
    assertThat(p.relationType("main", "prec_project")).as(out()).isEqualTo("VIEW");
    assertThat(p.relationType("main", "prec_yaml")).isEqualTo("BASE TABLE");
    assertThat(p.relationType("main", "prec_file")).isEqualTo("VIEW");
    assertThat(p.rows("select flavor from main.prec_project")).containsExactly("project");
    assertThat(p.rows("select flavor from main.prec_yaml")).containsExactly("yaml");
    assertThat(p.rows("select flavor from main.prec_file")).containsExactly("file");
    assertThat(p.rows("select with_default, mat from main.ctx_config_get")).containsExactly("dflt|table");
  }

  @Test
  void varsAndEnvVars() {
    assertThat(p.rows("select project_var, defaulted, threshold from main.ctx_vars")).as(out())
        .containsExactly("from_project|fallback|15");
    assertThat(p.rows("select color, defaulted from main.ctx_env")).as(out()).containsExactly("blue|dflt");
  }

  @Test
  void thisAndTarget() {
    assertThat(p.rows("select this_schema, this_identifier, target_name, target_schema, target_type from main.ctx_this_target"))
        .as(out()).containsExactly("main|ctx_this_target|dev|main|duckdb");
    String rendered = p.rows("select this_rendered from main.ctx_this_target").get(0);
    assertThat(rendered).matches("(\"?weir\"?\\.)?\"?main\"?\\.\"?ctx_this_target\"?");
  }

  @Test
  void adapterDispatchPrefersTheAdapterImplementation() {
    assertThat(p.rows("select overridden, fallback from main.ctx_dispatch")).as(out()).containsExactly("duck|default");
  }

  @Test
  void adapterIntrospection() {
    assertThat(p.rows("select found, missing_is_none, cols from main.ctx_introspect")).as(out()).containsExactly("true|true|id,name,score");
  }

  @Test
  void runQueryStatementAndLoadResult() {
    assertThat(p.rows("select n from main.ctx_run_query")).as(out()).containsExactly("3");
    assertThat(p.rows("select max_score from main.ctx_statement")).as(out()).containsExactly("30");
  }

  @Test
  void returnDoAndLog() {
    assertThat(p.rows("select first_item, doubled, n from main.ctx_return_do_log")).as(out()).containsExactly("5|42|2");
    assertThat(build.out()).contains("hello from the log of ctx_return_do_log");
    assertThat(p.read("logs/weir.log")).contains("hello from the log of ctx_return_do_log");
  }

  @Test
  void modulesJsonAndRunInfo() {
    assertThat(p.rows("select leap_day, second, b, json_text, executing from main.ctx_modules")).as(out())
        .containsExactly("2024-02-29|2|x|{\"k\": \"v\"}|true");
    String year = String.valueOf(ZonedDateTime.now(ZoneOffset.UTC).getYear());
    assertThat(p.rows("select started_year from main.ctx_modules").get(0)).isIn(year, String.valueOf(Integer.parseInt(year) - 1));
    String invocation = p.rows("select invocation_id from main.ctx_modules").get(0);
    assertThat(invocation).matches("[0-9a-f-]{36}");
    assertThat(p.json("target/run_results.json").path("metadata").path("invocation_id").asText()).isEqualTo(invocation);
    assertThat(p.json("target/manifest.json").path("metadata").path("invocation_id").asText()).isEqualTo(invocation);
  }

  @Test
  void graphNodes() {
    assertThat(p.rows("select seeds, names from main.ctx_graph")).as(out()).containsExactly("2|countries,people");
  }

  @Test
  void docBlocksFillDescriptions() {
    JsonNode node = p.json("target/manifest.json").path("nodes").path("model.ctx.ctx_vars");
    assertThat(node.path("description").asText().strip()).isEqualTo("One row per **person**.");
    assertThat(p.json("target/manifest.json").path("docs").has("doc.ctx.people_doc")).isTrue();
  }

  @Test
  void projectMacrosOverrideSchemaAndAliasNaming() {
    assertThat(p.rows("select one from analytics.custom_schema_model")).as(out()).containsExactly("1");
    assertThat(p.relationExists("main_analytics", "custom_schema_model")).isFalse();
    assertThat(p.rows("select code from landing.countries order by code")).containsExactly("fr", "jp");
    assertThat(p.rows("select seven from main.aliased_v2")).as(out()).containsExactly("7");
    assertThat(p.relationExists("main", "aliased")).isFalse();
    assertThat(p.rows("select fourteen from main.uses_aliased")).containsExactly("14");
  }

  @Test
  void raiseCompilerErrorFailsTheNodeWithItsMessage(@TempDir Path tmp) {
    TestProject q = TestProject.create(tmp, "boom", "")
        .file("models/ok_model.sql", "select 1 as x\n")
        .file("models/explodes.sql", """
            {% if execute %}
              {{ exceptions.raise_compiler_error("the widget count is wrong") }}
            {% endif %}
            select 1 as x
            """);
    TestProject.Result r = q.run("run");
    r.exits(1);
    assertThat(r.out()).contains("the widget count is wrong").contains("ERROR=1").contains("PASS=1");
    assertThat(q.relationExists("main", "ok_model")).isTrue();
    assertThat(q.relationExists("main", "explodes")).isFalse();

    // Raised while parsing (outside "if execute"): nothing runs, exit code 2.
    q.file("models/explodes.sql", "{{ exceptions.raise_compiler_error('broken at parse time') }}\nselect 1 as x\n");
    TestProject.Result parse = q.run("run");
    parse.exits(2);
    assertThat(parse.out()).contains("broken at parse time").contains("explodes");
  }

  @Test
  void datetimeArithmetic(@TempDir Path tmp) {
    TestProject q = TestProject.create(tmp, "dt", "")
        .file("models/d.sql", """
            {% set d = modules.datetime.date(2024, 2, 28) + modules.datetime.timedelta(days=1) %}
            {% set t = modules.datetime.datetime(2024, 3, 1, 0, 30) - modules.datetime.timedelta(hours=1) %}
            {% set yesterday = run_started_at - modules.datetime.timedelta(days=1) %}
            select '{{ d }}' as d, '{{ t.strftime("%Y-%m-%d %H:%M") }}' as t,
                   {{ (run_started_at - yesterday).days }} as one_day, {{ yesterday < run_started_at }} as before
            """);
    q.run("run").ok();
    assertThat(q.rows("select d, t, one_day, before from main.d")).containsExactly("2024-02-29|2024-02-29 23:30|1|true");
  }

  @Test
  void varsFromTheCommandLineOverrideProjectVars(@TempDir Path tmp) {
    TestProject q = TestProject.create(tmp, "vv", "vars:\n  greeting: hello\n  n: 1\n")
        .file("models/v.sql", "select '{{ var(\"greeting\") }}' as greeting, {{ var('n') }} as n\n");
    q.run("run").ok();
    assertThat(q.rows("select greeting, n from main.v")).containsExactly("hello|1");
    q.run("run", "--vars", "{greeting: bonjour, n: 42}").ok();
    assertThat(q.rows("select greeting, n from main.v")).containsExactly("bonjour|42");
    q.run("run", "--vars", "greeting: hola").ok();
    assertThat(q.rows("select greeting, n from main.v")).containsExactly("hola|1");
    q.run("run", "--vars", "[not, a, mapping]").exits(2);
    // A var with no value anywhere is an error naming it.
    q.file("models/v.sql", "select '{{ var(\"nowhere\") }}' as x\n");
    TestProject.Result r = q.run("run");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.out()).contains("nowhere");
  }
}
