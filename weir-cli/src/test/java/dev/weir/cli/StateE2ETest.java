package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.cli.EngineProject.Engine;
import dev.weir.core.artifacts.ArtifactSchemas;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * State selection (state:new, state:modified and its sub-selectors), --defer / --favor-state,
 * result: selection and retry, through the real CLI on DuckDB and Postgres. On DuckDB prod and dev
 * are two database files (dev attaches prod); on Postgres they are two schemas of one database, so
 * deferred references name prod's schema instead of prod's database.
 */
class StateE2ETest {

  private static final String PROFILES = """
      st:
        target: prod
        outputs:
          prod:
            type: duckdb
            path: prod.duckdb
            database: prod
            schema: main
          dev:
            type: duckdb
            path: dev.duckdb
            database: dev
            schema: main
            attach:
              - path: prod.duckdb
                alias: prod
                read_only: true
      """;

  /** Postgres: prod and dev are schemas {@code <s>_prod} and {@code <s>_dev} of one database. */
  private static String postgresProfiles(String s) {
    return "st:\n  target: prod\n  outputs:\n    prod:\n" + EngineProject.postgresOutput(s + "_prod")
        + "    dev:\n" + EngineProject.postgresOutput(s + "_dev");
  }

  /** The model names {@code ls --output name} prints (other lines, e.g. warnings, left out). */
  private static Set<String> names(TestProject.Result r, Set<String> universe) {
    Set<String> out = new TreeSet<>();
    for (String line : r.lines()) if (universe.contains(line.trim())) out.add(line.trim());
    return out;
  }

  private static void copy(Path from, Path toDir) throws IOException {
    Files.createDirectories(toDir);
    Files.copy(from, toDir.resolve(from.getFileName()), StandardCopyOption.REPLACE_EXISTING);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void stateModifiedSelectsWhatChangedAndDeferReadsTheStateRelations(Engine engine, @TempDir Path tmp) throws IOException {
    Path dir = tmp.resolve("proj");
    EngineProject p = EngineProject.create(engine, dir, "st", """
        models:
          st:
            m_c:
              +materialized: view
        """);
    p.file("profiles.yml", engine == Engine.DUCKDB ? PROFILES : postgresProfiles(p.schema));
    // How compiled SQL names the prod and the dev relations: the database on DuckDB, the schema on Postgres.
    String prod = engine == Engine.DUCKDB ? "\"prod\"" : "\"" + p.schema + "_prod\"";
    String devName = engine == Engine.DUCKDB ? "\"dev\"" : "\"" + p.schema + "_dev\"";
    p.file("models/m_a.sql", "{{ config(materialized='table') }}\nselect 1 as id union all select 2 as id\n");
    p.file("models/m_b.sql", "{{ config(materialized='table') }}\nselect id * 10 as v from {{ ref('m_a') }}\n");
    p.file("models/m_c.sql", "select v + 1 as w from {{ ref('m_b') }}\n");
    p.file("models/m_d.sql", "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('m_a') }}\n");
    p.file("models/m_f.sql", "{{ config(materialized='table') }}\nselect v from {{ ref('m_b') }}\n");
    p.run("run", "--profiles-dir", dir.toString()).ok();
    Path state = tmp.resolve("state");
    copy(dir.resolve("target/manifest.json"), state);

    // Nothing changed yet: nothing is modified, everything is old.
    Set<String> all = Set.of("m_a", "m_b", "m_c", "m_d", "m_e", "m_f");
    String[] ls = {"ls", "--profiles-dir", dir.toString(), "--output", "name", "--state", state.toString(), "-s"};
    assertThat(names(p.run(concat(ls, "state:modified")).ok(), all)).isEmpty();
    assertThat(names(p.run(concat(ls, "state:old")).ok(), all)).containsExactly("m_a", "m_b", "m_c", "m_d", "m_f");

    // One body change (m_b), one config change (m_c's materialization in dbt_project.yml), one new model (m_e).
    p.file("models/m_b.sql", "{{ config(materialized='table') }}\nselect id * 100 as v from {{ ref('m_a') }}\n");
    p.file("dbt_project.yml", p.read("dbt_project.yml").replace("+materialized: view", "+materialized: table"));
    p.file("models/m_e.sql", "{{ config(materialized='table') }}\nselect w * 2 as x from {{ ref('m_c') }}\n");

    assertThat(names(p.run(concat(ls, "state:modified")).ok(), all)).containsExactly("m_b", "m_c", "m_e");
    assertThat(names(p.run(concat(ls, "state:new")).ok(), all)).containsExactly("m_e");
    assertThat(names(p.run(concat(ls, "state:modified.body")).ok(), all)).containsExactly("m_b");
    assertThat(names(p.run(concat(ls, "state:modified.configs")).ok(), all)).containsExactly("m_c");
    assertThat(names(p.run(concat(ls, "state:modified.relation")).ok(), all)).isEmpty();
    assertThat(names(p.run(concat(ls, "state:modified.macros")).ok(), all)).isEmpty();
    assertThat(names(p.run(concat(ls, "state:unmodified")).ok(), all)).containsExactly("m_a", "m_d", "m_f");
    // Descendants: m_f (child of m_b) joins; m_d (child of the unmodified m_a) does not.
    assertThat(names(p.run(concat(ls, "state:modified+")).ok(), all)).containsExactly("m_b", "m_c", "m_e", "m_f");
    // Without --state the method names the flag.
    TestProject.Result noState = p.run("ls", "--profiles-dir", dir.toString(), "-s", "state:modified").exits(2);
    assertThat(noState.out() + noState.err()).contains("--state");

    // A fresh target (dev.duckdb, prod.duckdb attached): the modified models and their descendants
    // build; their unselected parent m_a does not exist in dev, so ref('m_a') reads prod's relation.
    p.run("run", "--profiles-dir", dir.toString(), "--target", "dev", "-s", "state:modified+", "--defer",
        "--state", state.toString()).ok();
    JsonNode rr = p.json("target/run_results.json");
    Set<String> ran = new TreeSet<>();
    for (JsonNode r : rr.path("results")) ran.add(r.path("unique_id").asText());
    assertThat(ran).containsExactly("model.st.m_b", "model.st.m_c", "model.st.m_e", "model.st.m_f");
    String compiledB = p.read("target/compiled/st/models/m_b.sql");
    assertThat(compiledB).contains(prod).contains("m_a").doesNotContain(devName);
    // m_c is selected, so m_e reads dev's own m_c (not deferred).
    assertThat(p.read("target/compiled/st/models/m_e.sql")).contains(devName).doesNotContain(prod);
    assertThat(devRelationExists(p, "m_a")).isFalse();
    assertThat(devRows(p, "select v from {dev}.m_b order by v")).containsExactly("100", "200");
    assertThat(devRows(p, "select x from {dev}.m_e order by x")).containsExactly("202", "402");
    assertThat(devRows(p, "select v from {dev}.m_f order by v")).containsExactly("100", "200");
    ArtifactSchemas.assertValid(dir.resolve("target/run_results.json"), ArtifactSchemas.RUN_RESULTS);
    assertThat(rr.path("args").path("defer").asBoolean()).isTrue();

    // Once m_a exists in dev, --defer reads dev's own; --favor-state still reads prod's.
    p.run("run", "--profiles-dir", dir.toString(), "--target", "dev", "-s", "m_a").ok();
    p.run("compile", "--profiles-dir", dir.toString(), "--target", "dev", "-s", "m_b", "--defer",
        "--state", state.toString()).ok();
    assertThat(p.read("target/compiled/st/models/m_b.sql")).contains(devName).doesNotContain(prod);
    p.run("compile", "--profiles-dir", dir.toString(), "--target", "dev", "-s", "m_b", "--defer", "--favor-state",
        "--state", state.toString()).ok();
    assertThat(p.read("target/compiled/st/models/m_b.sql")).contains(prod).doesNotContain(devName);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void resultSelectionAndRetry(Engine engine, @TempDir Path tmp) throws IOException {
    Path dir = tmp.resolve("proj");
    EngineProject p = EngineProject.create(engine, dir, "rt", null);
    p.file("models/r_a.sql", "{{ config(materialized='table') }}\nselect 1 as id\n");
    p.file("models/r_bad.sql", "{{ config(materialized='table') }}\nselect * from {{ ref('r_a') }}\n");
    p.file("models/r_child.sql", "{{ config(materialized='table') }}\nselect id + 1 as id from {{ ref('r_bad') }}\n");
    p.file("models/r_other.sql", "{{ config(materialized='table') }}\nselect 7 as id\n");
    p.file("tests/t_fail.sql", "select * from {{ ref('r_other') }} where id = 7\n");

    // A build whose singular test fails: result:fail (against the --state folder) selects it.
    p.run("build").exits(1);
    Path state = tmp.resolve("state");
    copy(dir.resolve("target/run_results.json"), state);
    copy(dir.resolve("target/manifest.json"), state);
    Set<String> all = Set.of("r_a", "r_bad", "r_child", "r_other", "t_fail");
    String[] ls = {"ls", "--output", "name", "--state", state.toString(), "-s"};
    assertThat(names(p.run(concat(ls, "result:fail")).ok(), all)).containsExactly("t_fail");
    // Eager indirect selection adds the tests of the selected models, as in dbt: t_fail tests r_other.
    assertThat(names(p.run(concat(ls, "result:success")).ok(), all))
        .containsExactly("r_a", "r_bad", "r_child", "r_other", "t_fail");
    assertThat(names(p.run(concat(ls, "result:success", "--resource-type", "model")).ok(), all))
        .containsExactly("r_a", "r_bad", "r_child", "r_other");
    assertThat(names(p.run(concat(ls, "result:error")).ok(), all)).isEmpty();

    // A build where r_bad errors and its child is skipped.
    p.delete("tests/t_fail.sql");
    p.file("models/r_bad.sql", "{{ config(materialized='table') }}\nselect * from {{ ref('r_a') }} join no_such_table using (id)\n");
    p.run("build").exits(1);
    JsonNode first = p.json("target/run_results.json");
    List<String> statuses = new ArrayList<>();
    for (JsonNode r : first.path("results")) statuses.add(r.path("unique_id").asText() + "=" + r.path("status").asText());
    assertThat(statuses).contains("model.rt.r_bad=error", "model.rt.r_child=skipped", "model.rt.r_a=success");

    // Fixed, retry runs exactly those two, with the previous command (build).
    p.file("models/r_bad.sql", "{{ config(materialized='table') }}\nselect id * 5 as id from {{ ref('r_a') }}\n");
    p.run("retry").ok();
    JsonNode rr = p.json("target/run_results.json");
    List<String> ran = new ArrayList<>();
    for (JsonNode r : rr.path("results")) ran.add(r.path("unique_id").asText() + "=" + r.path("status").asText());
    assertThat(ran).containsExactlyInAnyOrder("model.rt.r_bad=success", "model.rt.r_child=success");
    assertThat(rr.path("args").path("which").asText()).isEqualTo("build");
    ArtifactSchemas.assertValid(dir.resolve("target/run_results.json"), ArtifactSchemas.RUN_RESULTS);
    assertThat(p.rows("select id from {s}.r_child")).containsExactly("6");

    // Nothing left to retry: says so, exits 0.
    TestProject.Result again = p.run("retry").ok();
    assertThat(again.out()).contains("Nothing to retry");
  }

  @org.junit.jupiter.api.Test
  void stateModifiedMacrosFollowsCallsAndDispatchAndDeferRecordsTheStateRelation(@TempDir Path tmp) throws IOException {
    Path dir = tmp.resolve("proj");
    EngineProject p = EngineProject.create(Engine.DUCKDB, dir, "st", null);
    p.file("profiles.yml", PROFILES);
    p.file("macros/fmt.sql", """
        {% macro fmt(x) %}{{ return(adapter.dispatch('fmt', 'st')(x)) }}{% endmacro %}
        {% macro default__fmt(x) %}({{ x }} + 1){% endmacro %}
        {% macro plain(x) %}({{ x }} * 2){% endmacro %}
        """);
    p.file("models/m_a.sql", "{{ config(materialized='table') }}\nselect 1 as id\n");
    p.file("models/m_fmt.sql", "{{ config(materialized='table') }}\nselect {{ fmt('id') }} as v from {{ ref('m_a') }}\n");
    p.file("models/m_plain.sql", "{{ config(materialized='table') }}\nselect {{ plain('id') }} as v from {{ ref('m_a') }}\n");
    p.run("run", "--profiles-dir", dir.toString()).ok();
    JsonNode m = p.json("target/manifest.json");
    assertThat(m.path("nodes").path("model.st.m_fmt").path("depends_on").path("macros").toString()).contains("macro.st.fmt")
        .doesNotContain("plain");
    assertThat(m.path("nodes").path("model.st.m_plain").path("depends_on").path("macros").toString()).contains("macro.st.plain");
    assertThat(m.path("macros").path("macro.st.fmt").path("depends_on").path("macros").toString()).contains("macro.st.default__fmt");
    assertThat(m.path("macros").path("macro.st.plain").path("macro_sql").asText()).isEqualTo("{% macro plain(x) %}({{ x }} * 2){% endmacro %}");
    Path state = tmp.resolve("state");
    copy(dir.resolve("target/manifest.json"), state);

    Set<String> all = Set.of("m_a", "m_fmt", "m_plain");
    String[] ls = {"ls", "--profiles-dir", dir.toString(), "--output", "name", "--state", state.toString(), "-s"};
    assertThat(names(p.run(concat(ls, "state:modified")).ok(), all)).isEmpty();
    // Only the dispatched implementation changes: the model calling fmt() is modified, through dispatch.
    p.file("macros/fmt.sql", p.read("macros/fmt.sql").replace("+ 1", "+ 2"));
    assertThat(names(p.run(concat(ls, "state:modified.macros")).ok(), all)).containsExactly("m_fmt");
    assertThat(names(p.run(concat(ls, "state:modified")).ok(), all)).containsExactly("m_fmt");
    p.file("macros/fmt.sql", p.read("macros/fmt.sql").replace("* 2", "* 3"));
    assertThat(names(p.run(concat(ls, "state:modified.macros")).ok(), all)).containsExactly("m_fmt", "m_plain");

    // --defer: the manifest records the state's relation of each node the state has.
    p.run("run", "--profiles-dir", dir.toString(), "--target", "dev", "-s", "m_fmt", "--defer", "--state", state.toString()).ok();
    assertThat(TestProject.rows(dir.resolve("dev.duckdb"), "select v from main.m_fmt")).containsExactly("3");
    ArtifactSchemas.assertValid(dir.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
    JsonNode deferred = p.json("target/manifest.json").path("nodes").path("model.st.m_a").path("defer_relation");
    assertThat(deferred.path("database").asText()).isEqualTo("prod");
    assertThat(deferred.path("schema").asText()).isEqualTo("main");
    assertThat(deferred.path("alias").asText()).isEqualTo("m_a");
    assertThat(deferred.path("relation_name").asText()).isEqualTo("\"prod\".\"main\".\"m_a\"");
    assertThat(deferred.path("resource_type").asText()).isEqualTo("model");
    // Without --defer there is none.
    p.run("parse", "--profiles-dir", dir.toString()).ok();
    assertThat(p.json("target/manifest.json").path("nodes").path("model.st.m_a").path("defer_relation").isNull()).isTrue();
  }

  @org.junit.jupiter.api.Test
  void retryReusesThePreviousVarsTargetThreadsAndSelection(@TempDir Path tmp) {
    Path dir = tmp.resolve("proj");
    EngineProject p = EngineProject.create(Engine.DUCKDB, dir, "rv", null);
    p.file("profiles.yml", """
        rv:
          target: prod
          outputs:
            prod: {type: duckdb, path: prod.duckdb, schema: main}
            dev: {type: duckdb, path: dev.duckdb, schema: main, threads: 1}
        """);
    p.file("models/r_a.sql", "{{ config(materialized='table') }}\nselect {{ var('factor') }} as id\n");
    p.file("models/r_bad.sql", "{{ config(materialized='table') }}\nselect * from {{ ref('r_a') }} join no_such_table using (id)\n");
    p.file("models/r_other.sql", "{{ config(materialized='table') }}\nselect 1 as id\n");
    p.run("run", "--target", "dev", "--threads", "3", "--vars", "{factor: 5}", "-s", "r_a+").exits(1);
    JsonNode first = p.json("target/run_results.json");
    assertThat(first.path("args").path("vars").path("factor").asInt()).isEqualTo(5);

    // Fixed, retry without --vars: the var (no default) still resolves, in the dev target.
    p.file("models/r_bad.sql", "{{ config(materialized='table') }}\nselect id * {{ var('factor') }} as id from {{ ref('r_a') }}\n");
    TestProject.Result r = p.run("retry").ok();
    assertThat(r.out()).contains("3 threads (target='dev')");
    JsonNode rr = p.json("target/run_results.json");
    List<String> ran = new ArrayList<>();
    for (JsonNode x : rr.path("results")) ran.add(x.path("unique_id").asText() + "=" + x.path("status").asText());
    assertThat(ran).containsExactly("model.rv.r_bad=success");
    JsonNode args = rr.path("args");
    assertThat(args.path("which").asText()).isEqualTo("run");
    assertThat(args.path("vars").path("factor").asInt()).isEqualTo(5);
    assertThat(args.path("target").asText()).isEqualTo("dev");
    assertThat(args.path("threads").asInt()).isEqualTo(3);
    assertThat(args.path("select").toString()).contains("r_a+");
    assertThat(TestProject.rows(dir.resolve("dev.duckdb"), "select id from main.r_bad")).containsExactly("25");
    assertThat(TestProject.relationExists(dir.resolve("prod.duckdb"), "main", "r_bad")).isFalse();

    // --vars given to retry wins over the recorded ones.
    p.file("models/r_bad.sql", "{{ config(materialized='table') }}\nselect * from no_such_table\n");
    p.run("run", "--target", "dev", "--vars", "{factor: 5}", "-s", "r_bad").exits(1);
    p.file("models/r_bad.sql", "{{ config(materialized='table') }}\nselect {{ var('factor') }} as id\n");
    p.run("retry", "--vars", "{factor: 7}").ok();
    assertThat(TestProject.rows(dir.resolve("dev.duckdb"), "select id from main.r_bad")).containsExactly("7");
  }

  /** Rows in the dev target ({@code {dev}} stands for its schema): dev.duckdb's main, or Postgres' {@code <s>_dev}. */
  private static List<String> devRows(EngineProject p, String sql) {
    if (p.engine == Engine.DUCKDB) return TestProject.rows(p.dir().resolve("dev.duckdb"), sql.replace("{dev}", "main"));
    return p.rows(sql.replace("{dev}", "{s}_dev"));
  }

  private static boolean devRelationExists(EngineProject p, String name) {
    if (p.engine == Engine.DUCKDB) return TestProject.relationExists(p.dir().resolve("dev.duckdb"), "main", name);
    return p.relationExists("{s}_dev", name);
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
