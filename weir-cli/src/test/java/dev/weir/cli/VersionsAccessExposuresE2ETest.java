package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.cli.EngineProject.Engine;
import dev.weir.core.artifacts.ArtifactSchemas;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model versions, access and groups, and exposures. What builds runs on DuckDB and on Postgres;
 * the project errors (found before anything is built) run on DuckDB only.
 */
class VersionsAccessExposuresE2ETest {

  private static EngineProject versioned(Engine engine, Path dir) {
    EngineProject p = EngineProject.create(engine, dir, "vers", null);
    p.file("models/dim_customers_v1.sql", "select 1 as id, 'old' as label\n");
    p.file("models/dim_customers_v2.sql", "select 1 as id, 'new' as label, 10 as score\n");
    p.file("models/uses_latest.sql", "select * from {{ ref('dim_customers') }}\n");
    p.file("models/uses_v1.sql", "select * from {{ ref('dim_customers', v=1) }}\n");
    p.file("models/schema.yml", """
        version: 2
        models:
          - name: dim_customers
            latest_version: 2
            columns:
              - name: id
              - name: label
              - name: score
            versions:
              - v: 1
                columns:
                  - include: all
                    exclude: [score]
              - v: 2
        """);
    return p;
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void versionsAreNodesOfTheirOwnAndRefsPickTheRightOne(Engine engine, @TempDir Path tmp) {
    EngineProject p = versioned(engine, tmp);
    p.run("build").ok();
    assertThat(p.rows("select label from {s}.dim_customers_v1")).containsExactly("old");
    assertThat(p.rows("select label from {s}.dim_customers_v2")).containsExactly("new");
    assertThat(p.rows("select label from {s}.uses_latest")).containsExactly("new");
    assertThat(p.rows("select label from {s}.uses_v1")).containsExactly("old");

    TestProject.Result ls = p.run("ls", "--resource-type", "model", "--output", "json", "--output-keys", "unique_id").ok();
    assertThat(ls.out()).contains("model.vers.dim_customers.v1", "model.vers.dim_customers.v2");

    ArtifactSchemas.assertValid(tmp.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
    JsonNode m = p.json("target/manifest.json");
    JsonNode v1 = m.path("nodes").path("model.vers.dim_customers.v1");
    assertThat(v1.path("version").asInt()).isEqualTo(1);
    assertThat(v1.path("latest_version").asInt()).isEqualTo(2);
    assertThat(v1.path("alias").asText()).isEqualTo("dim_customers_v1");
    assertThat(v1.path("columns").has("score")).isFalse();
    assertThat(m.path("nodes").path("model.vers.dim_customers.v2").path("columns").has("score")).isTrue();
    assertThat(m.path("nodes").path("model.vers.uses_latest").path("depends_on").path("nodes").toString())
        .contains("model.vers.dim_customers.v2");
  }

  @Test
  void aTestDeclaredOnAVersionedModelRunsOnEachVersion(@TempDir Path dir) {
    TestProject p = TestProject.create(dir, "vtests", "")
        .file("models/dim.sql", "select 1 as id union all select 2\n")
        .file("models/dim_v1.sql", "select 1 as id union all select 1\n")
        .file("models/schema.yml", """
            version: 2
            models:
              - name: dim
                latest_version: 2
                columns:
                  - name: id
                    data_tests: [unique]
                versions:
                  - v: 1
                  - v: 2
                    defined_in: dim
            """);
    assertThat(p.run("ls", "--resource-type", "test", "--output", "name").ok().out().lines())
        .containsExactlyInAnyOrder("unique_dim_v1_id", "unique_dim_v2_id");
    TestProject.Result r = p.run("build").exits(1);
    assertThat(r.out()).contains("FAIL 1 test unique_dim_v1_id").containsPattern("PASS test unique_dim_v2_id");
  }

  @Test
  void anUnknownVersionIsAnErrorNamingTheVersionsThatExist(@TempDir Path tmp) {
    Engine engine = Engine.DUCKDB; // an error before anything is built: the engine does not matter
    EngineProject p = versioned(engine, tmp);
    p.file("models/uses_v3.sql", "select 1 as x\nfrom {{ ref('dim_customers', version=3) }}\n");
    TestProject.Result r = p.run("build").exits(2);
    assertThat(r.out() + r.err()).contains("models/uses_v3.sql:2", "version 3", "dim_customers", "1, 2");
  }

  private static EngineProject grouped(Engine engine, Path dir) {
    EngineProject p = EngineProject.create(engine, dir, "acc", null);
    p.file("models/finance_private.sql", "select 1 as amount\n");
    p.file("models/finance_report.sql", "select * from {{ ref('finance_private') }}\n");
    p.file("models/shared.sql", "select 2 as n\n");
    p.file("models/marketing_use_shared.sql", "select * from {{ ref('shared') }}\n");
    p.file("models/schema.yml", """
        version: 2
        groups:
          - name: finance
            owner: {name: Finance, email: finance@example.com}
          - name: marketing
            owner: {name: Marketing}
        models:
          - name: finance_private
            access: private
            group: finance
            columns:
              - name: amount
                data_tests: [not_null]
          - name: finance_report
            config: {group: finance}
          - name: shared
            access: protected
            group: finance
          - name: marketing_use_shared
            group: marketing
        """);
    return p;
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void privateWithinItsGroupAndProtectedWithinTheProjectAreAllowed(Engine engine, @TempDir Path tmp) {
    EngineProject p = grouped(engine, tmp);
    p.run("build").ok();
    assertThat(p.rows("select amount from {s}.finance_report")).containsExactly("1");
    assertThat(p.rows("select n from {s}.marketing_use_shared")).containsExactly("2");
    ArtifactSchemas.assertValid(tmp.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
    JsonNode m = p.json("target/manifest.json");
    assertThat(m.path("nodes").path("model.acc.finance_private").path("access").asText()).isEqualTo("private");
    assertThat(m.path("nodes").path("model.acc.finance_private").path("group").asText()).isEqualTo("finance");
    assertThat(p.run("ls", "-s", "group:finance", "--output", "name").ok().out()).contains("finance_private", "finance_report");
    assertThat(p.run("ls", "-s", "access:private", "--resource-type", "model", "--output", "name").ok().lines())
        .containsExactly("finance_private");
  }

  @Test
  void theManifestListsGroupsAndTheirMembers(@TempDir Path tmp) {
    EngineProject p = grouped(Engine.DUCKDB, tmp);
    p.run("parse").ok();
    ArtifactSchemas.assertValid(tmp.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
    JsonNode m = p.json("target/manifest.json");
    JsonNode finance = m.path("groups").path("group.acc.finance");
    assertThat(finance.path("name").asText()).isEqualTo("finance");
    assertThat(finance.path("resource_type").asText()).isEqualTo("group");
    assertThat(finance.path("package_name").asText()).isEqualTo("acc");
    assertThat(finance.path("original_file_path").asText()).isEqualTo("models/schema.yml");
    assertThat(finance.path("path").asText()).isEqualTo("schema.yml");
    assertThat(finance.path("owner").path("email").asText()).isEqualTo("finance@example.com");
    assertThat(m.path("groups").path("group.acc.marketing").path("owner").path("name").asText()).isEqualTo("Marketing");
    assertThat(m.path("group_map").path("finance").toString())
        .contains("model.acc.finance_private", "model.acc.finance_report", "model.acc.shared");
    assertThat(m.path("group_map").path("marketing").toString()).contains("model.acc.marketing_use_shared")
        .doesNotContain("finance_private");
  }

  @Test
  void deprecationDatesAreWrittenAndRefsToDeprecatedModelsWarn(@TempDir Path tmp) {
    EngineProject p = versioned(Engine.DUCKDB, tmp);
    p.file("models/old_model.sql", "select 1 as x\n");
    p.file("models/soon_model.sql", "select 2 as x\n");
    p.file("models/uses_old.sql", "select * from {{ ref('old_model') }} union all select * from {{ ref('soon_model') }}\n");
    p.file("models/deprecations.yml", """
        version: 2
        models:
          - name: old_model
            deprecation_date: 2020-01-31
          - name: soon_model
            deprecation_date: 2999-12-31 12:00:00
        """);
    p.file("models/schema.yml", p.read("models/schema.yml").replace("      - v: 1\n", "      - v: 1\n        deprecation_date: 2021-06-01\n"));
    TestProject.Result r = p.run("parse").ok();
    String all = r.out() + r.err();
    assertThat(all).contains("model 'model.vers.uses_old' (models/uses_old.sql) refs model 'model.vers.old_model', which is deprecated since 2020-01-31T00:00:00 (deprecation_date in models/deprecations.yml)");
    assertThat(all).contains("refs model 'model.vers.soon_model', which will be deprecated on 2999-12-31T12:00:00");
    assertThat(all).contains("model.vers.uses_v1", "model.vers.dim_customers.v1', which is deprecated since 2021-06-01");
    assertThat(all).contains("model 'model.vers.old_model' (models/old_model.sql) has passed its deprecation date");
    assertThat(all).doesNotContain("model.vers.dim_customers.v2', which");
    ArtifactSchemas.assertValid(tmp.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
    JsonNode m = p.json("target/manifest.json");
    assertThat(m.path("nodes").path("model.vers.old_model").path("deprecation_date").asText()).isEqualTo("2020-01-31T00:00:00");
    assertThat(m.path("nodes").path("model.vers.dim_customers.v1").path("deprecation_date").asText()).isEqualTo("2021-06-01T00:00:00");
    assertThat(m.path("nodes").path("model.vers.dim_customers.v2").path("deprecation_date").isNull()).isTrue();
    assertThat(m.path("nodes").path("model.vers.uses_latest").path("deprecation_date").isNull()).isTrue();

    p.file("models/deprecations.yml", "version: 2\nmodels:\n  - name: old_model\n    deprecation_date: someday\n");
    TestProject.Result bad = p.run("parse").exits(2);
    assertThat(bad.out() + bad.err()).contains("models/deprecations.yml:4", "deprecation_date 'someday' is not a date");
  }

  @Test
  void aPrivateModelRefdFromAnotherGroupIsAnError(@TempDir Path tmp) {
    Engine engine = Engine.DUCKDB; // an error before anything is built: the engine does not matter
    EngineProject p = grouped(engine, tmp);
    p.file("models/marketing_peek.sql", "select *\nfrom {{ ref('finance_private') }}\n");
    p.file("models/more.yml", """
        version: 2
        models:
          - name: marketing_peek
            group: marketing
        """);
    TestProject.Result r = p.run("build").exits(2);
    String all = r.out() + r.err();
    assertThat(all).contains("model.acc.marketing_peek", "models/marketing_peek.sql:2", "private model 'model.acc.finance_private'",
        "models/finance_private.sql", "group 'finance'", "group 'marketing'");
    assertThat(p.relationExists("finance_private")).isFalse();
  }

  @Test
  void anUndeclaredGroupIsAnError(@TempDir Path tmp) {
    Engine engine = Engine.DUCKDB; // an error before anything is built: the engine does not matter
    EngineProject p = grouped(engine, tmp);
    p.file("models/more.yml", """
        version: 2
        models:
          - name: shared_too
            group: financ
        """);
    p.file("models/shared_too.sql", "select 1 as x\n");
    TestProject.Result r = p.run("parse").exits(2);
    assertThat(r.out() + r.err()).contains("group 'financ'", "not declared", "finance");
  }

  private static EngineProject exposed(Engine engine, Path dir) {
    EngineProject p = EngineProject.create(engine, dir, "expo", null);
    p.file("seeds/raw_orders.csv", "id,amount\n1,10\n2,20\n");
    p.file("models/orders.sql", "select * from {{ ref('raw_orders') }}\n");
    p.file("models/revenue.sql", "select sum(amount) as total from {{ ref('orders') }}\n");
    p.file("models/unrelated.sql", "select 1 as x\n");
    p.file("models/exposures.yml", """
        version: 2
        exposures:
          - name: weekly_dashboard
            label: Weekly revenue
            type: dashboard
            maturity: high
            url: https://bi.example.com/weekly
            description: Revenue by week.
            owner:
              name: Analytics
              email: analytics@example.com
            depends_on:
              - ref('revenue')
            tags: [bi]
            meta: {tier: 1}
        """);
    return p;
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void exposuresAreListedSelectableAndNeverRun(Engine engine, @TempDir Path tmp) {
    EngineProject p = exposed(engine, tmp);
    assertThat(p.run("ls").ok().out()).contains("exposure:expo.weekly_dashboard");
    assertThat(p.run("ls", "-s", "exposure:weekly_dashboard", "--output", "name").ok().lines()).containsExactly("weekly_dashboard");
    assertThat(p.run("ls", "-s", "+exposure:weekly_dashboard", "--output", "name").ok().lines())
        .containsExactlyInAnyOrder("raw_orders", "orders", "revenue", "weekly_dashboard");

    p.run("build", "-s", "+exposure:weekly_dashboard").ok();
    assertThat(p.rows("select total from {s}.revenue")).containsExactly("30");
    assertThat(p.relationExists("unrelated")).isFalse();

    ArtifactSchemas.assertValid(tmp.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
    JsonNode e = p.json("target/manifest.json").path("exposures").path("exposure.expo.weekly_dashboard");
    assertThat(e.path("type").asText()).isEqualTo("dashboard");
    assertThat(e.path("owner").path("email").asText()).isEqualTo("analytics@example.com");
    assertThat(e.path("label").asText()).isEqualTo("Weekly revenue");
    assertThat(e.path("maturity").asText()).isEqualTo("high");
    assertThat(e.path("url").asText()).isEqualTo("https://bi.example.com/weekly");
    assertThat(e.path("depends_on").path("nodes").toString()).contains("model.expo.revenue");
    assertThat(p.json("target/manifest.json").path("child_map").path("model.expo.revenue").toString())
        .contains("exposure.expo.weekly_dashboard");
  }

  @Test
  void anExposureOnAMissingModelIsAnError(@TempDir Path tmp) {
    Engine engine = Engine.DUCKDB; // an error before anything is built: the engine does not matter
    EngineProject p = exposed(engine, tmp);
    p.file("models/exposures.yml", """
        version: 2
        exposures:
          - name: broken
            type: notebook
            owner: {name: Someone}
            depends_on: [ref('revenu')]
        """);
    TestProject.Result r = p.run("parse").exits(2);
    assertThat(r.out() + r.err()).contains("models/exposures.yml", "revenu", "revenue");
  }
}
