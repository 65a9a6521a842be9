package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input: one clear message, nothing lost. Each test starts from a copy of a project that was
 * built (so every relation exists with known rows), breaks one file, runs the real CLI, and checks
 * the exit code (dbt's: 2 before anything runs, 1 for node failures), the single error line (file,
 * line where the input has one, the reason, the closest name), that no stack trace is printed
 * without --debug, and — queried with JDBC afterwards — that every relation still holds its rows.
 */
class BadInputE2ETest {
  @TempDir
  static Path built;

  @TempDir
  Path tmp;

  @BeforeAll
  static void buildTheGoodProject() {
    BadInputProject p = BadInputProject.write(built);
    p.run("build").noStackTrace();
    p.assertUnchanged();
  }

  private BadInputProject project() {
    return BadInputProject.copyOf(built, tmp.resolve("p"));
  }

  /** Nothing changed in the warehouse and no temporary relation was left behind. */
  private static void nothingLost(BadInputProject p) {
    p.assertUnchanged();
    assertThat(p.relations()).noneMatch(r -> r.contains("__weir"));
  }

  // ------------------------------------------------------------------ YAML

  @Test
  void malformedPropertiesYaml() {
    BadInputProject p = project().file("models/schema.yml", """
        version: 2
        models:
          - name: stg_orders
            description: staged orders
           columns:
            - name: id
        """);
    p.run("build").failsWith(2, "models/schema.yml:5:", "Invalid YAML");
    nothingLost(p);
  }

  @Test
  void malformedProjectYaml() {
    BadInputProject p = project().edit("dbt_project.yml", "profile: shop", "  profile: shop");
    p.run("build").failsWith(2, "dbt_project.yml:4:", "Invalid YAML", "mapping values are not allowed");
    nothingLost(p);
  }

  @Test
  void malformedProfilesYaml() {
    BadInputProject p = project().edit("profiles.yml", "      path: wh.duckdb", "     path: wh.duckdb");
    p.run("build").failsWith(2, "profiles.yml:6:", "Invalid YAML");
    nothingLost(p);
  }

  // ------------------------------------------------------------------ Jinja

  @ParameterizedTest
  @ValueSource(strings = {"build", "run", "seed", "test", "compile", "ls", "parse"})
  void jinjaSyntaxErrorStopsEveryCommandBeforeAnythingRuns(String command) {
    BadInputProject p = project().file("models/staging/stg_orders.sql", "select id,\n  amount\nfrom {{ ref('raw_orders') }\n");
    p.run(command).failsWith(2, "models/staging/stg_orders.sql:3:", "Jinja syntax error", "unexpected '}'");
    nothingLost(p);
  }

  @Test
  void jinjaSyntaxErrorInAMacro() {
    BadInputProject p = project().file("macros/cents.sql", "{% macro cents(x) %}\n  {{ x * }}\n{% endmacro %}\n");
    p.run("build").failsWith(2, "macros/cents.sql:2:", "Jinja syntax error");
    nothingLost(p);
  }

  @Test
  void undefinedNameInJinja() {
    BadInputProject p = project().file("models/staging/stg_orders.sql",
        "select id,\n  {{ no_such_macro(amount) }} as amount\nfrom {{ ref('raw_orders') }}\n");
    p.run("build").failsWith(2, "models/staging/stg_orders.sql:2:", "'no_such_macro' is undefined");
    nothingLost(p);
  }

  @Test
  void debugPrintsTheStackTraceToo() {
    BadInputProject p = project().file("models/staging/stg_orders.sql", "select {{ 1 + }} as id\n");
    BadInputProject.Result r = p.run("build", "--debug");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.errorLines()).as(r.toString()).hasSize(1);
    assertThat(r.err()).as(r.toString()).contains("WeirException").contains("at dev.weir.");
    nothingLost(p);
  }

  @Test
  void absurdlyDeepNestingGivesOneMessageNotAJvmTrace() {
    int n = 100_000;
    BadInputProject p = project().file("models/customers.sql", "select {{ " + "(".repeat(n) + "1" + ")".repeat(n) + " }} as id\n");
    p.run("build").failsWith(2, "models/customers.sql:1:", "nested more than");
    nothingLost(p);
  }

  // ------------------------------------------------------------------ SQL errors from the engine

  @Test
  void sqlErrorKeepsTheOldTableAndUnrelatedModelsStillBuild() {
    BadInputProject p = project()
        .file("models/staging/stg_orders.sql", "select id, amount, no_such_column\nfrom {{ ref('raw_orders') }}\n")
        .file("models/customers.sql", "select 1 as id, 'bob' as name\n");
    BadInputProject.Result r = p.run("build");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.errorLines()).as(r.toString()).containsExactly("Error in model stg_orders (models/staging/stg_orders.sql)");
    assertThat(r.out()).contains("no_such_column").contains("SKIP");
    r.noStackTrace();
    // stg_orders failed, order_totals and order_view were skipped: all keep their rows; customers rebuilt.
    p.assertUnchanged(Map.of("select id, name from customers", List.of("1|bob")));
    assertThat(p.relations()).noneMatch(t -> t.contains("__weir"));
  }

  @Test
  void sqlErrorInAViewKeepsTheOldView() {
    BadInputProject p = project().file("models/order_view.sql",
        "{{ config(materialized='view') }}\nselect id, amount * 2 as doubled, missing_col\nfrom {{ ref('stg_orders') }}\n");
    BadInputProject.Result r = p.run("run");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.errorLines()).as(r.toString()).containsExactly("Error in model order_view (models/order_view.sql)");
    assertThat(r.out()).contains("missing_col");
    r.noStackTrace();
    nothingLost(p);
  }

  // ------------------------------------------------------------------ profiles, targets, env, vars

  @Test
  void missingProfile() {
    BadInputProject p = project().edit("dbt_project.yml", "profile: shop", "profile: shopp");
    p.run("build").failsWith(2, "dbt_project.yml:4:", "Profile 'shopp' is not in", "profiles.yml", "Did you mean 'shop'?");
    nothingLost(p);
  }

  @Test
  void missingTarget() {
    BadInputProject p = project();
    p.run("build", "--target", "prod").failsWith(2, "Target 'prod' is not in profile 'shop'", "profiles.yml", "Targets there: [dev]");
    nothingLost(p);
  }

  @Test
  void missingEnvVarInAModelEvenAfterAGoodParse() {
    BadInputProject p = project().file("models/customers.sql", "select 1 as id, '{{ env_var(\"WEIR_BI_CUSTOMER\") }}' as name\n");
    p.env.put("WEIR_BI_CUSTOMER", "ann");
    p.run("build").noStackTrace();
    assertThat(p.rows("select name from customers")).containsExactly("ann");
    p.env.remove("WEIR_BI_CUSTOMER");
    p.run("build").failsWith(2, "models/customers.sql:1:", "Env var required but not provided: 'WEIR_BI_CUSTOMER'");
    nothingLost(p);
  }

  @Test
  void missingEnvVarInProfiles() {
    BadInputProject p = project().edit("profiles.yml", "path: wh.duckdb", "path: \"{{ env_var('WEIR_BI_DB_PATH') }}\"");
    p.run("build").failsWith(2, "profiles.yml:6:", "Env var required but not provided: 'WEIR_BI_DB_PATH'");
    nothingLost(p);
  }

  @Test
  void unknownVar() {
    BadInputProject p = project().file("models/customers.sql", "select 1 as id,\n  '{{ var(\"start_dat\") }}' as name\n");
    p.run("build").failsWith(2, "models/customers.sql:2:", "Required var 'start_dat' not found", "Did you mean 'start_date'?");
    nothingLost(p);
  }

  @Test
  void malformedCliVars() {
    BadInputProject p = project();
    p.run("build", "--vars", "{start_date: [2024").failsWith(2, "--vars is not valid YAML");
    nothingLost(p);
  }

  // ------------------------------------------------------------------ the graph

  @Test
  void cycleNamesTheWholeCycle() {
    BadInputProject p = project()
        .file("models/customers.sql", "select * from {{ ref('order_totals') }}\n")
        .file("models/staging/stg_orders.sql", "-- {{ ref('customers') }}\nselect id, amount\nfrom {{ ref('raw_orders') }}\n");
    p.run("build").failsWith(2, "Found a cycle:",
        "model.shop.customers --> model.shop.stg_orders --> model.shop.order_totals --> model.shop.customers",
        "models/customers.sql", "models/staging/stg_orders.sql", "models/order_totals.sql");
    nothingLost(p);
  }

  @Test
  void unknownRefNamesFileLineAndClosestName() {
    BadInputProject p = project().file("models/order_totals.sql", "select count(*) as n, sum(amount) as total\n\nfrom {{ ref('stg_order') }}\n");
    p.run("build").failsWith(2, "models/order_totals.sql:3:", "'stg_order' which was not found", "Did you mean 'stg_orders'?");
    nothingLost(p);
  }

  @Test
  void unknownSource() {
    BadInputProject p = project()
        .file("models/sources.yml", "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n")
        .file("models/customers.sql", "select 1 as id, 'x' as name\nfrom {{ source('raw', 'order') }}\n");
    p.run("build").failsWith(2, "models/customers.sql:2:", "source named 'raw.order' which was not found", "Did you mean 'raw.orders'?");
    nothingLost(p);
  }

  @Test
  void relationshipsTestToAnUnknownModel() {
    BadInputProject p = project().edit("models/schema.yml", "          - not_null\n",
        "          - not_null\n          - relationships:\n              to: ref('customer')\n              field: id\n");
    p.run("build").failsWith(2, "models/schema.yml:9:", "'customer' which was not found", "Did you mean 'customers'?");
    nothingLost(p);
  }

  @Test
  void testsOfAModelThatDoesNotExist() {
    BadInputProject p = project().edit("models/schema.yml", "- name: stg_orders", "- name: stg_order");
    p.run("build").failsWith(2, "models/schema.yml:8:", "attached to model 'stg_order'", "Did you mean 'stg_orders'?");
    nothingLost(p);
  }

  @Test
  void propertiesOfAModelThatDoesNotExistWarnOrFailWithStrict() {
    BadInputProject p = project().file("models/more.yml", "version: 2\nmodels:\n  - name: customer\n    description: people\n");
    p.run("build", "--strict").failsWith(2, "models/more.yml:3:", "model 'customer' is described here but no such model exists",
        "Did you mean 'customers'?");
    nothingLost(p);
    p.run("build").warns("models/more.yml:3:", "'customer'", "Did you mean 'customers'?");
    p.assertUnchanged();
  }

  @Test
  void missingEnvVarForTheProfileTarget() {
    BadInputProject p = project().edit("profiles.yml", "  target: dev", "  target: \"{{ env_var('WEIR_BI_TARGET') }}\"");
    p.run("build").failsWith(2, "profiles.yml:2:", "Env var required but not provided: 'WEIR_BI_TARGET'");
    nothingLost(p);
  }

  @Test
  void duplicateModelNames() {
    BadInputProject p = project().file("models/marts/customers.sql", "select 2 as id, 'zed' as name\n");
    p.run("build").failsWith(2, "models/marts/customers.sql", "Duplicate name: 'customers'", "models/customers.sql");
    nothingLost(p);
  }

  @Test
  void modelAndSeedOfOneName() {
    BadInputProject p = project().file("models/raw_orders.sql", "select 9 as id, 9 as amount\n");
    p.run("build").failsWith(2, "Duplicate name: 'raw_orders'", "model models/raw_orders.sql", "seed seeds/raw_orders.csv");
    nothingLost(p);
  }

  // ------------------------------------------------------------------ seeds

  @Test
  void raggedSeedKeepsTheOldSeedTable() {
    BadInputProject p = project()
        .file("seeds/raw_orders.csv", "id,amount\n1,11\n2,22,99\n3,33\n")
        .file("models/customers.sql", "select 1 as id, 'bob' as name\n");
    BadInputProject.Result r = p.run("build");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.errorLines()).as(r.toString()).containsExactly("Error in seed raw_orders (seeds/raw_orders.csv)");
    assertThat(r.out()).contains("seeds/raw_orders.csv:3: row has 3 fields but the header has 2");
    r.noStackTrace();
    p.assertUnchanged(Map.of("select id, name from customers", List.of("1|bob")));
    assertThat(p.relations()).noneMatch(t -> t.contains("__weir"));
  }

  @Test
  void raggedSeedWithTheSeedCommand() {
    BadInputProject p = project().file("seeds/raw_orders.csv", "id,amount\n1,11\n2\n");
    BadInputProject.Result r = p.run("seed");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.errorLines()).as(r.toString()).containsExactly("Error in seed raw_orders (seeds/raw_orders.csv)");
    assertThat(r.out()).contains("seeds/raw_orders.csv:3:");
    r.noStackTrace();
    nothingLost(p);
  }

  // ------------------------------------------------------------------ out of scope

  @Test
  void pythonModelIsOutOfScope() {
    BadInputProject p = project().file("models/scores.py", "def model(dbt, session):\n    return dbt.ref('stg_orders')\n");
    p.run("build").failsWith(2, "models/scores.py", "Python models are not supported", "Java");
    nothingLost(p);
  }

  // ------------------------------------------------------------------ misspelled and misplaced keys

  @Test
  void misspelledProjectConfigWarnsOrFailsWithStrict() {
    BadInputProject p = project().edit("dbt_project.yml", "+materialized: table", "+materialised: table");
    p.run("build", "--strict").failsWith(2, "dbt_project.yml:9:", "'+materialised'", "Did you mean '+materialized'?");
    nothingLost(p);
    p.run("build").warns("dbt_project.yml:9:", "'+materialised'", "Did you mean '+materialized'?");
    p.assertUnchanged();
  }

  @Test
  void unknownProjectKeyWarnsOrFailsWithStrict() {
    BadInputProject p = project().edit("dbt_project.yml", "profile: shop\n", "profile: shop\nmodel-path: [\"models\"]\n");
    p.run("build", "--strict").failsWith(2, "dbt_project.yml:5:", "unknown key 'model-path'", "Did you mean 'model-paths'?");
    nothingLost(p);
    p.run("build").warns("dbt_project.yml:5:", "'model-path'", "Did you mean 'model-paths'?");
    p.assertUnchanged();
  }

  @Test
  void configPathMatchingNoFolderWarnsOrFailsWithStrict() {
    BadInputProject p = project().edit("dbt_project.yml", "    staging:", "    stagng:");
    p.run("build", "--strict").failsWith(2, "dbt_project.yml:10:", "'models.shop.stagng' does not apply to any resource",
        "'models.shop.staging'");
    nothingLost(p);
    p.run("build").warns("dbt_project.yml:10:", "'models.shop.stagng'", "'models.shop.staging'");
    p.assertUnchanged();
  }

  @Test
  void misspelledModelPropertyWarnsOrFailsWithStrict() {
    BadInputProject p = project().edit("models/schema.yml", "description: staged", "descripton: staged");
    p.run("build", "--strict").failsWith(2, "models/schema.yml:4:", "'descripton'", "Did you mean 'description'?");
    nothingLost(p);
    p.run("build").warns("models/schema.yml:4:", "'descripton'", "Did you mean 'description'?");
    p.assertUnchanged();
  }

  @Test
  void misspelledConfigInPropertiesWarnsOrFailsWithStrict() {
    BadInputProject p = project().edit("models/schema.yml", "    description: staged orders\n",
        "    description: staged orders\n    config:\n      materialzed: view\n");
    p.run("build", "--strict").failsWith(2, "models/schema.yml:6:", "'materialzed'", "Did you mean 'materialized'?");
    nothingLost(p);
    p.run("build").warns("models/schema.yml:6:", "'materialzed'", "Did you mean 'materialized'?");
    p.assertUnchanged();
  }

  @Test
  void misspelledInFileConfigWarnsOrFailsWithStrict() {
    BadInputProject p = project().file("models/customers.sql", "{{ config(\n    materialised='view'\n) }}\nselect 1 as id, 'ann' as name\n");
    p.run("build", "--strict").failsWith(2, "models/customers.sql:2:", "'materialised'", "Did you mean 'materialized'?");
    nothingLost(p);
    p.run("build").warns("models/customers.sql:2:", "'materialised'", "Did you mean 'materialized'?");
    p.assertUnchanged();
  }
}
