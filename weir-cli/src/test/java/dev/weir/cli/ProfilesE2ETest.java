package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.core.project.Profiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** profiles.yml: where it is found, which target is used, and env_var in it. */
class ProfilesE2ETest {

  static final String TWO_TARGETS = """
      prof:
        target: dev
        outputs:
          dev:
            type: duckdb
            path: dev.duckdb
            threads: 3
          prod:
            type: duckdb
            path: prod.duckdb
            schema: reporting
            threads: 1
      """;

  static TestProject project(Path dir) {
    return TestProject.create(dir, "prof", "")
        .file("models/which.sql", "select '{{ target.name }}' as target_name, '{{ target.schema }}' as target_schema\n");
  }

  @Test
  void targetChoosesAnOutputOfTheProfile(@TempDir Path tmp) {
    TestProject p = project(tmp).file("profiles.yml", TWO_TARGETS);
    TestProject.Result dev = p.run("run").ok();
    assertThat(dev.out()).contains("Concurrency: 3 threads (target='dev')");
    assertThat(TestProject.rows(tmp.resolve("dev.duckdb"), "select target_name, target_schema from main.which"))
        .containsExactly("dev|main");
    assertThat(Files.exists(tmp.resolve("prod.duckdb"))).isFalse();
    assertThat(Files.exists(p.db())).as("the default target/weir.duckdb is not used").isFalse();

    TestProject.Result prod = p.run("run", "--target", "prod").ok();
    assertThat(prod.out()).contains("target='prod'");
    assertThat(TestProject.rows(tmp.resolve("prod.duckdb"), "select target_name, target_schema from reporting.which"))
        .containsExactly("prod|reporting");
    // --threads overrides the profile's threads.
    assertThat(p.run("run", "-t", "prod", "--threads", "2").ok().out()).contains("Concurrency: 2 threads");

    TestProject.Result bad = p.run("run", "--target", "staging");
    bad.exits(2);
    assertThat(bad.out()).contains("staging").contains("dev").contains("prod");
  }

  @Test
  void profilesDirFlagAndEnvironment(@TempDir Path tmp) throws Exception {
    TestProject p = project(tmp.resolve("proj"));
    Path flagDir = tmp.resolve("flag_profiles");
    Path weirDir = tmp.resolve("weir_profiles");
    Path dbtDir = tmp.resolve("dbt_profiles");
    for (Path d : new Path[] {flagDir, weirDir, dbtDir}) {
      Files.createDirectories(d);
      String name = d.getFileName().toString();
      // Each profiles.yml writes to its own absolute file so that we can see which was used.
      Files.writeString(d.resolve("profiles.yml"), """
          prof:
            target: dev
            outputs:
              dev:
                type: duckdb
                path: '%s'
          """.formatted(tmp.resolve(name + ".duckdb")));
    }
    p.run("run", "--profiles-dir", flagDir.toString()).ok();
    assertThat(Files.exists(tmp.resolve("flag_profiles.duckdb"))).isTrue();

    p.env.put("DBT_PROFILES_DIR", dbtDir.toString());
    p.run("run").ok();
    assertThat(Files.exists(tmp.resolve("dbt_profiles.duckdb"))).isTrue();

    // WEIR_PROFILES_DIR wins over DBT_PROFILES_DIR; --profiles-dir wins over both.
    p.env.put("WEIR_PROFILES_DIR", weirDir.toString());
    p.run("run").ok();
    assertThat(Files.exists(tmp.resolve("weir_profiles.duckdb"))).isTrue();
    Files.delete(tmp.resolve("flag_profiles.duckdb"));
    p.run("run", "--profiles-dir", flagDir.toString()).ok();
    assertThat(Files.exists(tmp.resolve("flag_profiles.duckdb"))).isTrue();
    assertThat(TestProject.rows(tmp.resolve("flag_profiles.duckdb"), "select target_name from main.which")).containsExactly("dev");

    // debug names the file it found.
    assertThat(p.run("debug").ok().out()).contains(weirDir.resolve("profiles.yml").toString());

    // A --profiles-dir without profiles.yml is an error before anything runs.
    p.run("run", "--profiles-dir", tmp.resolve("nowhere").toString()).exits(2);
  }

  @Test
  void locateSearchOrderWithACustomEnvironment(@TempDir Path tmp) throws Exception {
    Path project = Files.createDirectories(tmp.resolve("project"));
    Path home = Files.createDirectories(tmp.resolve("home"));
    Path w = Files.createDirectories(tmp.resolve("w"));
    Path d = Files.createDirectories(tmp.resolve("d"));
    Files.createDirectories(home.resolve(".dbt"));
    Files.writeString(home.resolve(".dbt/profiles.yml"), "x: {}\n");
    Map<String, String> env = new java.util.HashMap<>(Map.of("HOME", home.toString()));

    // Nothing but ~/.dbt.
    assertThat(Profiles.locate(project, null, env::get).file()).isEqualTo(home.resolve(".dbt/profiles.yml"));
    // The project folder comes before ~/.dbt.
    Files.writeString(project.resolve("profiles.yml"), "x: {}\n");
    assertThat(Profiles.locate(project, null, env::get).file()).isEqualTo(project.resolve("profiles.yml"));
    // DBT_PROFILES_DIR before the project folder, WEIR_PROFILES_DIR before DBT_PROFILES_DIR.
    Files.writeString(d.resolve("profiles.yml"), "x: {}\n");
    Files.writeString(w.resolve("profiles.yml"), "x: {}\n");
    env.put("DBT_PROFILES_DIR", d.toString());
    assertThat(Profiles.locate(project, null, env::get).file()).isEqualTo(d.resolve("profiles.yml"));
    env.put("WEIR_PROFILES_DIR", w.toString());
    assertThat(Profiles.locate(project, null, env::get).file()).isEqualTo(w.resolve("profiles.yml"));
    // The flag wins; a flag folder without the file is an error.
    assertThat(Profiles.locate(project, d, env::get).file()).isEqualTo(d.resolve("profiles.yml"));
    assertThatThrownBy(() -> Profiles.locate(project, tmp.resolve("none"), env::get)).isInstanceOf(WeirException.class);
    // No file anywhere: none found (the default DuckDB target is used).
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertThat(Profiles.locate(empty, null, Map.of("HOME", empty.toString())::get).file()).isNull();
  }

  @Test
  void envVarInProfilesYml(@TempDir Path tmp) {
    TestProject p = project(tmp).file("profiles.yml", """
        prof:
          target: "{{ env_var('WEIR_TEST_TARGET', 'dev') }}"
          outputs:
            dev:
              type: duckdb
              path: "{{ env_var('WEIR_TEST_DB_FILE', 'fallback.duckdb') }}"
            other:
              type: duckdb
              path: other.duckdb
        """);
    p.run("run").ok();
    assertThat(TestProject.rows(tmp.resolve("fallback.duckdb"), "select target_name from main.which")).containsExactly("dev");
    p.env.put("WEIR_TEST_DB_FILE", "from_env.duckdb");
    p.run("run").ok();
    assertThat(TestProject.rows(tmp.resolve("from_env.duckdb"), "select target_name from main.which")).containsExactly("dev");
    p.env.put("WEIR_TEST_TARGET", "other");
    p.run("run").ok();
    assertThat(TestProject.rows(tmp.resolve("other.duckdb"), "select target_name from main.which")).containsExactly("other");
  }

  @Test
  void noProfileUsesTheDefaultDuckDbFile(@TempDir Path tmp) {
    TestProject p = project(tmp);
    TestProject.Result debug = p.run("debug").ok();
    assertThat(debug.out()).contains("not found: using the default DuckDB target");
    p.run("run").ok();
    assertThat(p.rows("select target_name, target_schema from main.which")).containsExactly("dev|main");
    // Asking for a target that cannot exist without a profile is a usage error.
    p.run("run", "--target", "prod").exits(2);
  }
}
