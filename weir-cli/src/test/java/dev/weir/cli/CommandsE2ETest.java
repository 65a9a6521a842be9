package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * dbt's commands on one small project built once: debug, parse, compile, ls, show,
 * run-operation, docs generate (each test leaves the built tables as they are).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CommandsE2ETest {
  TestProject p;

  /** Three people in two teams: red = ann 10 + cid 30 = 40, blue = bob 20. */
  static TestProject shop(Path dir) {
    return TestProject.create(dir, "shop", "")
        .file("seeds/people.csv", """
            id,name,team,score
            1,ann,red,10
            2,bob,blue,20
            3,cid,red,30
            """)
        .file("models/stg_people.sql", """
            {{ config(materialized='view') }}
            select id, name, team, score from {{ ref('people') }}
            """)
        .file("models/team_scores.sql", """
            {{ config(materialized='table') }}
            select team, sum(score) as total, count(*) as members
            from {{ ref('stg_people') }}
            group by team
            """)
        .file("models/schema.yml", """
            version: 2
            models:
              - name: stg_people
                columns:
                  - name: id
                    data_tests: [unique, not_null]
              - name: team_scores
                columns:
                  - name: team
                    data_tests: [unique]
            """)
        .file("macros/make_numbers.sql", """
            {% macro make_numbers(name, n=3) %}
              {% do run_query("create or replace table main." ~ name ~ " as select range as i from range(" ~ n ~ ")") %}
              {{ log("made " ~ name, info=True) }}
            {% endmacro %}

            {% macro copy_with_statement(source_table, name) %}
              {% call statement('copy') -%}
                create or replace table main.{{ name }} as select * from {{ ref(source_table) }} where team = 'red'
              {%- endcall %}
              {% call statement('count_it', fetch_result=True) -%}
                select count(*) as n from main.{{ name }}
              {%- endcall %}
              {{ log("copied " ~ load_result('count_it')['data'][0][0] ~ " rows", info=True) }}
            {% endmacro %}
            """);
  }

  @BeforeAll
  void buildOnce(@TempDir Path tmp) {
    p = shop(tmp);
    p.run("build").ok();
  }

  @Test
  void buildLoadsSeedAndModels() {
    assertThat(p.rows("select team, total, members from main.team_scores order by team")).containsExactly("blue|20|1", "red|40|2");
    assertThat(p.relationType("main", "stg_people")).isEqualTo("VIEW");
    assertThat(p.relationType("main", "people")).isEqualTo("BASE TABLE");
  }

  @Test
  void debugChecksTheConnection() {
    TestProject.Result r = p.run("debug").ok();
    assertThat(r.out()).contains("All checks passed!").contains("Connection test: [OK]");
  }

  @Test
  void debugOutsideAProjectFailsWithExitTwo(@TempDir Path empty) {
    new TestProject(empty).run("debug").exits(2);
  }

  @Test
  void parseWritesTheManifest() {
    p.delete("target/manifest.json");
    p.run("parse").ok();
    JsonNode m = p.json("target/manifest.json");
    assertThat(m.path("nodes").has("model.shop.team_scores")).isTrue();
    assertThat(m.path("nodes").has("seed.shop.people")).isTrue();
    assertThat(m.path("nodes").path("model.shop.team_scores").path("depends_on").path("nodes").toString())
        .contains("model.shop.stg_people");
    assertThat(m.path("metadata").path("project_name").asText()).isEqualTo("shop");
  }

  @Test
  void compileWritesCompiledSqlWithSchemaQualifiedRefs() {
    p.run("compile").ok();
    String sql = p.read("target/compiled/shop/models/team_scores.sql");
    assertThat(sql).doesNotContain("{{").containsPattern("\"?main\"?\\.\"?stg_people\"?");
    // compile builds nothing new.
    assertThat(p.relationExists("main", "inline_query")).isFalse();
  }

  @Test
  void compileInlinePrintsTheRenderedSql() {
    TestProject.Result r = p.run("compile", "--inline", "select {{ 1 + 1 }} as x").ok();
    assertThat(r.lines()).contains("select 2 as x");
  }

  @Test
  void compileOneModelPrintsItsSql() {
    TestProject.Result r = p.run("compile", "-s", "team_scores").ok();
    assertThat(r.out()).contains("Compiled node 'team_scores' is:").contains("group by team").containsPattern("\"?main\"?\\.\"?stg_people\"?");
  }

  @Test
  void lsDefaultOutputIsSelectors() {
    TestProject.Result r = p.run("ls").ok();
    assertThat(r.lines()).contains("shop.people", "shop.stg_people", "shop.team_scores");
    assertThat(r.lines().stream().filter(l -> l.startsWith("shop.unique_stg_people_id")).count()).isEqualTo(1);
    // 1 seed + 2 models + 3 tests, nothing else printed.
    assertThat(r.lines()).hasSize(6);
  }

  @Test
  void lsResourceTypeAndOutputs() {
    assertThat(p.run("ls", "--resource-type", "model", "--output", "name").ok().lines())
        .containsExactlyInAnyOrder("stg_people", "team_scores");
    assertThat(p.run("ls", "--resource-type", "seed", "--output", "path").ok().lines())
        .containsExactly("seeds/people.csv");
    assertThat(p.run("ls", "--resource-type", "test", "--output", "name").ok().lines())
        .containsExactlyInAnyOrder("unique_stg_people_id", "not_null_stg_people_id", "unique_team_scores_team");
    List<String> json = p.run("ls", "-s", "team_scores", "--resource-type", "model", "--output", "json").ok().lines();
    assertThat(json).hasSize(1);
    JsonNode n = parse(json.get(0));
    assertThat(n.path("unique_id").asText()).isEqualTo("model.shop.team_scores");
    assertThat(n.path("resource_type").asText()).isEqualTo("model");
    assertThat(n.path("config").path("materialized").asText()).isEqualTo("table");
    assertThat(n.path("depends_on").path("nodes").toString()).contains("model.shop.stg_people");
    List<String> keys = p.run("ls", "-s", "team_scores", "--resource-type", "model", "--output", "json", "--output-keys", "name")
        .ok().lines();
    assertThat(keys).containsExactly("{\"name\":\"team_scores\"}");
  }

  @Test
  void lsUnknownResourceTypeIsAUsageError() {
    p.run("ls", "--resource-type", "modle").exits(2);
  }

  @Test
  void showInlineWithLimit() {
    TestProject.Result r = p.run("show", "--inline", "select name, score from {{ ref('people') }} order by id", "--limit", "2").ok();
    assertThat(r.out()).contains("| name | score |").contains("| ann  | 10    |").contains("| bob  | 20    |").doesNotContain("cid");
  }

  @Test
  void showSelectedModelRunsItsQuery() {
    TestProject.Result r = p.run("show", "-s", "team_scores").ok();
    assertThat(r.out()).contains("Previewing team_scores").containsPattern("\\| red +\\| 40 +\\| 2 +\\|");
    TestProject.Result j = p.run("show", "--inline", "select 7 as n", "--output", "json").ok();
    JsonNode doc = parse(j.lines().get(j.lines().size() - 1));
    assertThat(doc.path("show").get(0).path("n").asText()).isEqualTo("7");
  }

  @Test
  void showWithSeveralNodesIsAUsageError() {
    p.run("show", "-s", "stg_people", "team_scores").exits(2);
  }

  @Test
  void runOperationRunsAProjectMacroWithArgs() {
    TestProject.Result r = p.run("run-operation", "make_numbers", "--args", "{name: ops_numbers, n: 5}").ok();
    assertThat(r.out()).contains("made ops_numbers");
    assertThat(p.rows("select count(*), sum(i) from main.ops_numbers")).containsExactly("5|10");
  }

  @Test
  void runOperationWithStatementAndLoadResult() {
    TestProject.Result r = p.run("run-operation", "copy_with_statement", "--args", "{source_table: people, name: red_people}").ok();
    assertThat(r.out()).contains("copied 2 rows");
    assertThat(p.rows("select name from main.red_people order by id")).containsExactly("ann", "cid");
  }

  @Test
  void runOperationOfAnUnknownMacroFails() {
    TestProject.Result r = p.run("run-operation", "no_such_macro");
    assertThat(r.exitCode()).as(r.toString()).isNotZero();
    assertThat(r.out() + r.err()).contains("no_such_macro");
  }

  @Test
  void docsGenerateWritesTheCatalog() {
    p.run("docs", "generate").ok();
    JsonNode c = p.json("target/catalog.json");
    JsonNode t = c.path("nodes").path("model.shop.team_scores");
    assertThat(t.isMissingNode()).as(c.toString()).isFalse();
    assertThat(t.path("metadata").path("schema").asText()).isEqualTo("main");
    assertThat(t.path("metadata").path("name").asText()).isEqualTo("team_scores");
    List<String> cols = new ArrayList<>();
    t.path("columns").fieldNames().forEachRemaining(cols::add);
    assertThat(cols).containsExactlyInAnyOrder("team", "total", "members");
    assertThat(c.path("nodes").path("model.shop.stg_people").path("metadata").path("type").asText()).isEqualToIgnoringCase("view");
    assertThat(c.path("nodes").has("seed.shop.people")).isTrue();
  }

  @Test
  void helpAndVersion() {
    assertThat(TestProject.runRaw(p.env, "--version").ok().out()).contains("weir");
    assertThat(TestProject.runRaw(p.env, "build", "--help").ok().out()).contains("--select").contains("--full-refresh");
    // An unknown flag is a usage error.
    TestProject.runRaw(p.env, "build", "--no-such-flag").exits(2);
  }

  static JsonNode parse(String line) {
    try {
      return TestProject.JSON.readTree(line);
    } catch (java.io.IOException e) {
      throw new AssertionError("not JSON: " + line, e);
    }
  }
}
