package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parse cache and the up-to-date manifest check must never serve stale results: whatever a
 * model's parse depends on (its file, macros, vars, env vars, dbt_project.yml) changes the outcome.
 */
class ParseCacheE2ETest {

  static TestProject project(Path dir) {
    return TestProject.create(dir, "pc", "vars:\n  project_tag: from_project\n")
        .file("models/a.sql", "select 1 as id\n")
        .file("models/b.sql", "select 2 as id\n")
        .file("macros/pick.sql", "{% macro pick() %}{{ return(ref('a')) }}{% endmacro %}\n")
        .file("models/picked.sql", "{{ config(materialized=var('mat', 'view')) }}\nselect id from {{ pick() }}\n");
  }

  private static String dependsOn(TestProject p, String model) {
    return p.json("target/manifest.json").path("nodes").path("model.pc." + model).path("depends_on").path("nodes").toString();
  }

  @Test
  void anotherTargetPathIsCheckedAgainstItsOwnFiles(@TempDir Path tmp) {
    // the up-to-date snapshot starts before the command line is read, for target/: with target-path out/ it is taken again
    TestProject p = TestProject.create(tmp, "tp", "target-path: out\n").file("models/a.sql", "select 1 as id\n");
    p.run("parse").ok();
    assertThat(p.run("parse").ok().out()).contains("up to date").contains("out/manifest.json");
    p.file("models/a.sql", "select 2 as id\n");
    assertThat(p.run("parse").ok().out()).doesNotContain("up to date");
    assertThat(p.run("parse").ok().out()).contains("up to date");
  }

  @Test
  void parseTwiceIsUpToDateAndAnEditedFileIsParsedAgain(@TempDir Path tmp) {
    TestProject p = project(tmp);
    p.run("parse").ok();
    TestProject.Result again = p.run("parse").ok();
    assertThat(again.out()).contains("up to date");
    p.file("models/b.sql", "select id from {{ ref('a') }}\n");
    TestProject.Result edited = p.run("parse").ok();
    assertThat(edited.out()).doesNotContain("up to date");
    assertThat(dependsOn(p, "b")).contains("model.pc.a");
    // A new file, then a deleted one.
    p.file("models/c.sql", "select * from {{ ref('b') }}\n");
    p.run("parse").ok();
    assertThat(p.json("target/manifest.json").path("nodes").has("model.pc.c")).isTrue();
    p.delete("models/c.sql");
    p.run("parse").ok();
    assertThat(p.json("target/manifest.json").path("nodes").has("model.pc.c")).isFalse();
  }

  @Test
  void varsOnTheCommandLineAreNotServedFromTheCache(@TempDir Path tmp) {
    TestProject p = project(tmp);
    p.run("run").ok();
    assertThat(p.relationType("main", "picked")).isEqualTo("VIEW");
    p.run("run", "--vars", "{mat: table}").ok();
    assertThat(p.relationType("main", "picked")).isEqualTo("BASE TABLE");
    p.run("parse", "--vars", "{mat: view}").ok();
    assertThat(p.json("target/manifest.json").path("nodes").path("model.pc.picked").path("config").path("materialized").asText())
        .isEqualTo("view");
  }

  @Test
  void aChangedMacroChangesWhatAModelDependsOn(@TempDir Path tmp) {
    TestProject p = project(tmp);
    p.run("run").ok();
    assertThat(dependsOn(p, "picked")).contains("model.pc.a").doesNotContain("model.pc.b");
    assertThat(p.rows("select id from main.picked")).containsExactly("1");
    p.file("macros/pick.sql", "{% macro pick() %}{{ return(ref('b')) }}{% endmacro %}\n");
    p.run("run").ok();
    assertThat(p.rows("select id from main.picked")).containsExactly("2");
    assertThat(dependsOn(p, "picked")).contains("model.pc.b").doesNotContain("model.pc.a");
    p.run("parse").ok();
    assertThat(dependsOn(p, "picked")).contains("model.pc.b").doesNotContain("model.pc.a");
  }

  @Test
  void envVarsAndProjectVarsInvalidateTheCache(@TempDir Path tmp) {
    TestProject p = project(tmp)
        .file("models/tagged.sql", "{{ config(tags=[env_var('WEIR_TEST_TAG', 'dflt'), var('project_tag')]) }}\nselect 1 as x\n");
    p.run("parse").ok();
    assertThat(p.run("ls", "-s", "tag:dflt", "--output", "name").ok().lines()).containsExactly("tagged");
    p.env.put("WEIR_TEST_TAG", "from_env");
    TestProject.Result r = p.run("parse").ok();
    assertThat(r.out()).doesNotContain("up to date");
    assertThat(p.json("target/manifest.json").path("nodes").path("model.pc.tagged").path("tags").toString()).contains("from_env");
    assertThat(p.run("ls", "-s", "tag:from_env", "--output", "name").ok().lines()).containsExactly("tagged");

    // Parse again after an unrelated edit (tagged.sql now comes from the cache), then change the env var:
    // the manifest is not "up to date" and the tag follows the env var.
    p.file("models/b.sql", "select 3 as id\n");
    p.run("parse").ok();
    p.env.put("WEIR_TEST_TAG", "second_value");
    assertThat(p.run("parse").ok().out()).doesNotContain("up to date");
    assertThat(p.json("target/manifest.json").path("nodes").path("model.pc.tagged").path("tags").toString()).contains("second_value");

    p.file("dbt_project.yml", p.read("dbt_project.yml").replace("from_project", "changed_in_project"));
    p.run("parse").ok();
    assertThat(p.json("target/manifest.json").path("nodes").path("model.pc.tagged").path("tags").toString()).contains("changed_in_project");
    assertThat(p.run("ls", "-s", "tag:changed_in_project", "--output", "name").ok().lines()).containsExactly("tagged");
  }
}
