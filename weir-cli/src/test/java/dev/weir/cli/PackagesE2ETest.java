package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.cli.EngineProject.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * dbt packages end to end: a local package written here (not copied from dbt_utils) that uses
 * the patterns dbt_utils relies on — adapter.dispatch with a macro namespace and default__
 * fallback, macros returning values, dbt.* cross-database macros, adapter.get_columns_in_relation,
 * package-scoped vars — installed with {@code weir deps} and built from a root project that calls
 * its macros, refs its model and seed, configures its models and overrides its dispatch — on
 * DuckDB and on Postgres (the failures of deps itself do not depend on the engine).
 */
class PackagesE2ETest {

  static void writePackage(Path dir) {
    new TestProject(dir)
        .file("dbt_project.yml", """
            name: helpers_pkg
            version: "1.0.0"
            config-version: 2
            vars:
              helpers_pkg:
                greeting: hello
                multiplier: 2
            models:
              helpers_pkg:
                +materialized: view
            """)
        .file("macros/helpers.sql", """
            {% macro double_it(col) %}{{ return(adapter.dispatch('double_it', 'helpers_pkg')(col)) }}{% endmacro %}
            {% macro default__double_it(col) %}({{ col }} * 2){% endmacro %}

            {% macro label(x) %}{{ return(adapter.dispatch('label', 'helpers_pkg')(x)) }}{% endmacro %}
            {% macro default__label(x) %}'pkg:' || {{ x }}{% endmacro %}

            {% macro column_list(relation) %}
              {%- set cols = adapter.get_columns_in_relation(relation) -%}
              {{ return(cols | map(attribute='name') | join(', ')) }}
            {% endmacro %}

            {% macro greet() %}{{ return(var('greeting') ~ '!') }}{% endmacro %}
            """)
        .file("seeds/pkg_codes.csv", "code,meaning\nA,alpha\nB,beta\n")
        .file("models/pkg_numbers.sql", """
            select n, {{ double_it('n') }} as doubled, n * {{ var('multiplier') }} as scaled,
              '{{ var('greeting') }}' as greeting, '{{ greet() }}' as greet,
              {{ dbt.datediff("cast('2024-01-01' as date)", "cast('2024-01-11' as date)", 'day') }} as days
            from (select 1 as n union all select 2) t
            """);
  }

  static EngineProject rootProject(Engine engine, Path dir) {
    return EngineProject.create(engine, dir, "shop", """
        vars:
          helpers_pkg:
            multiplier: 10
        models:
          helpers_pkg:
            +materialized: table
        dispatch:
          - macro_namespace: helpers_pkg
            search_order: [shop, helpers_pkg]
        """)
        .file("packages.yml", """
            packages:
              - local: ../pkgs/helpers_pkg
            """)
        .file("macros/overrides.sql", "{% macro duckdb__label(x) %}'root:' || {{ x }}{% endmacro %}\n"
            + "{% macro postgres__label(x) %}'root:' || {{ x }}{% endmacro %}\n")
        .file("models/report.sql", """
            {{ config(materialized='table') }}
            select n, doubled, scaled, greeting, greet, days,
              {{ helpers_pkg.label("'x'") }} as label,
              '{{ helpers_pkg.column_list(ref('helpers_pkg', 'pkg_numbers')) }}' as cols,
              {{ dbt.concat(["'a'", "'b'"]) }} as ab,
              (select meaning from {{ ref('pkg_codes') }} where code = 'B') as b
            from {{ ref('helpers_pkg', 'pkg_numbers') }}
            """);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void depsInstallsALocalPackageAndBuildRunsItsModelsAndMacros(Engine engine, @TempDir Path tmp) throws Exception {
    writePackage(tmp.resolve("pkgs/helpers_pkg"));
    EngineProject p = rootProject(engine, tmp.resolve("root"));

    TestProject.Result deps = p.run("deps").ok();
    assertThat(deps.out()).contains("helpers_pkg");
    assertThat(Files.isSymbolicLink(p.dir().resolve("dbt_packages/helpers_pkg"))).isTrue();
    String lock = p.read("package-lock.yml");
    assertThat(lock).contains("packages:\n  - local: ../pkgs/helpers_pkg\n    name: helpers_pkg\n").containsPattern("sha1_hash: [0-9a-f]{40}");

    p.run("build").ok();
    // doubled by the package's default__ (no override); scaled by the root's var over the package's
    // default (10, not 2); greeting from the package's own vars; label from the root's duckdb__ or
    // postgres__ override (the engine's prefix) found first by the dispatch search order; cols from
    // get_columns_in_relation.
    assertThat(p.rows("select n, doubled, scaled, greeting, greet, days, label, cols, ab, b from {s}.report order by n"))
        .containsExactly("1|2|10|hello|hello!|10|root:x|n, doubled, scaled, greeting, greet, days|ab|beta",
            "2|4|20|hello|hello!|10|root:x|n, doubled, scaled, greeting, greet, days|ab|beta");
    // the root project's models: {helpers_pkg: {+materialized: table}} beats the package's view
    assertThat(p.relationType("pkg_numbers")).isEqualTo("BASE TABLE");
    assertThat(p.rows("select code from {s}.pkg_codes order by code")).containsExactly("A", "B");

    JsonNode node = p.json("target/manifest.json").path("nodes").path("model.helpers_pkg.pkg_numbers");
    assertThat(node.path("package_name").asText()).isEqualTo("helpers_pkg");
    assertThat(node.path("fqn").toString()).isEqualTo("[\"helpers_pkg\",\"pkg_numbers\"]");
    assertThat(p.json("target/manifest.json").path("nodes").path("model.shop.report").path("depends_on").path("nodes").toString())
        .contains("model.helpers_pkg.pkg_numbers", "seed.helpers_pkg.pkg_codes");
  }

  /** Runs git in {@code repo} (a local repository the test makes), returning what it printed. */
  static String git(Path repo, String... args) throws Exception {
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("git", "-c", "user.name=weir-test", "-c", "user.email=test@weir.invalid",
        "-c", "init.defaultBranch=main", "-C", repo.toString()));
    cmd.addAll(java.util.List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor()).as(String.join(" ", cmd) + "\n" + out).isZero();
    return out;
  }

  @Test
  void gitPackagesInstallTheCommitOrTagTheyPin(@TempDir Path dir) throws Exception {
    // a package in a real git repository (file:// url): two commits, the second tagged v2
    Path repo = dir.resolve("greetings");
    Files.createDirectories(repo.resolve("macros"));
    Files.writeString(repo.resolve("dbt_project.yml"), "name: greetings\nversion: '1.0'\nconfig-version: 2\n");
    Files.writeString(repo.resolve("macros/hello.sql"), "{% macro hello() %}'hello one'{% endmacro %}\n");
    git(repo, "init", "--quiet");
    git(repo, "add", ".");
    git(repo, "commit", "--quiet", "-m", "one");
    String first = git(repo, "rev-parse", "HEAD");
    Files.writeString(repo.resolve("macros/hello.sql"), "{% macro hello() %}'hello two'{% endmacro %}\n");
    git(repo, "commit", "--quiet", "-am", "two");
    git(repo, "tag", "v2");

    TestProject p = TestProject.create(dir.resolve("proj"), "gitpkg", "")
        .file("models/greeting.sql", "{{ config(materialized='table') }}\nselect {{ greetings.hello() }} as g\n")
        .file("packages.yml", "packages:\n  - git: \"" + repo.toUri() + "\"\n    revision: " + first + "\n");
    p.run("deps").ok();
    assertThat(p.read("package-lock.yml")).contains(first);
    p.run("run").ok();
    assertThat(p.rows("select g from main.greeting")).containsExactly("hello one");

    p.file("packages.yml", "packages:\n  - git: \"" + repo.toUri() + "\"\n    revision: v2\n");
    p.run("deps").ok();
    p.run("run").ok();
    assertThat(p.rows("select g from main.greeting")).containsExactly("hello two");
  }

  @Test
  void aListedPackageThatIsNotInstalledAsksForDeps(@TempDir Path tmp) {
    writePackage(tmp.resolve("pkgs/helpers_pkg"));
    // Fails before anything is built: the engine does not matter.
    EngineProject p = rootProject(Engine.DUCKDB, tmp.resolve("root"));
    TestProject.Result r = p.run("build").exits(2);
    assertThat(r.out() + r.err()).contains("../pkgs/helpers_pkg", "not installed", "Run 'weir deps'");
  }

  /** helpers_pkg with a packages.yml of its own: base_pkg (a local path relative to helpers_pkg). */
  private static void writeTransitive(Path pkgs) {
    writePackage(pkgs.resolve("helpers_pkg"));
    new TestProject(pkgs.resolve("helpers_pkg"))
        .file("packages.yml", "packages:\n  - local: ../base_pkg\n")
        .file("models/pkg_uses_base.sql", "select n, {{ base_pkg.shout(\"'hi'\") }} as s from {{ ref('base_pkg', 'base_numbers') }}\n");
    new TestProject(pkgs.resolve("base_pkg"))
        .file("dbt_project.yml", "name: base_pkg\nversion: \"1.0.0\"\nconfig-version: 2\n")
        .file("macros/shout.sql", """
            {% macro shout(x) %}{{ return(adapter.dispatch('shout', 'base_pkg')(x)) }}{% endmacro %}
            {% macro default__shout(x) %}upper({{ x }}){% endmacro %}
            """)
        .file("models/base_numbers.sql", "select 5 as n\n");
  }

  @Test
  void depsInstallsTransitivePackagesAndHonoursTheLock(@TempDir Path tmp) {
    writeTransitive(tmp.resolve("pkgs"));
    EngineProject p = rootProject(Engine.DUCKDB, tmp.resolve("root"));
    p.file("dbt_project.yml", p.read("dbt_project.yml") + "  - macro_namespace: base_pkg\n    search_order: [shop, base_pkg]\n");
    p.file("macros/shout.sql", "{% macro duckdb__shout(x) %}'root:' || {{ x }}{% endmacro %}\n");
    p.file("models/from_base.sql", "select * from {{ ref('helpers_pkg', 'pkg_uses_base') }}\n");

    TestProject.Result deps = p.run("deps").ok();
    assertThat(deps.out()).contains("into dbt_packages/helpers_pkg", "into dbt_packages/base_pkg", "Installed 2 packages; wrote package-lock.yml");
    assertThat(Files.isSymbolicLink(p.dir().resolve("dbt_packages/base_pkg"))).isTrue();
    assertThat(p.read("package-lock.yml")).contains("  - local: ../pkgs/helpers_pkg\n    name: helpers_pkg\n",
        "  - local: ../pkgs/base_pkg\n    name: base_pkg\n");

    p.run("build").ok();
    // base_pkg's dispatch finds the root's duckdb__shout first (the root's search order), from a helpers_pkg model.
    assertThat(p.rows("select n, s from {s}.from_base")).containsExactly("5|root:hi");
    assertThat(p.json("target/manifest.json").path("nodes").path("model.base_pkg.base_numbers").path("package_name").asText())
        .isEqualTo("base_pkg");

    // A new dependency of base_pkg: deps installs what the lock pins (not extra_pkg) and says so; --upgrade resolves again.
    new TestProject(tmp.resolve("pkgs/extra_pkg")).file("dbt_project.yml", "name: extra_pkg\nversion: \"1.0.0\"\nconfig-version: 2\n");
    new TestProject(tmp.resolve("pkgs/base_pkg")).file("packages.yml", "packages:\n  - local: ../extra_pkg\n");
    String lock = p.read("package-lock.yml");
    TestProject.Result pinned = p.run("deps").ok();
    assertThat(pinned.out()).contains("Installing the 2 packages pinned in package-lock.yml", "(package-lock.yml unchanged)");
    assertThat(p.exists("dbt_packages/extra_pkg")).isFalse();
    assertThat(p.read("package-lock.yml")).isEqualTo(lock);

    TestProject.Result upgraded = p.run("deps", "--upgrade").ok();
    assertThat(upgraded.out()).contains("into dbt_packages/extra_pkg", "Installed 3 packages; wrote package-lock.yml");
    assertThat(p.read("package-lock.yml")).contains("  - local: ../pkgs/extra_pkg\n    name: extra_pkg\n");

    // packages.yml changed since the lock was written: resolved again.
    p.file("packages.yml", "packages:\n  - local: ../pkgs/base_pkg\n");
    TestProject.Result changed = p.run("deps").ok();
    assertThat(changed.out()).contains("package-lock.yml was written for another packages.yml", "Installed 2 packages; wrote package-lock.yml");
    assertThat(p.read("package-lock.yml")).doesNotContain("helpers_pkg");
  }

  @Test
  void aGitPackageOnAnUnreachableHostFailsClearly(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "shop", "")
        .file("packages.yml", """
            packages:
              - git: "https://git.invalid/acme/acme_utils.git"
                revision: 1.0.0
            """);
    TestProject.Result r = p.run("deps");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.out() + r.err()).contains("https://git.invalid/acme/acme_utils.git", "git.invalid is unreachable");
    assertThat(p.exists("package-lock.yml")).isFalse();
  }
}
