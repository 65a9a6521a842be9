package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.core.artifacts.ArtifactSchemas;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * manifest.json, run_results.json and catalog.json written by real commands conform to dbt's
 * published schemas and say what happened; secrets never reach logs or artifacts; clean.
 */
class ArtifactsE2ETest {

  /** A project with every kind of node the artifacts describe. */
  static TestProject rich(Path dir) {
    return TestProject.create(dir, "arts", """
        vars:
          limit_n: 10
        models:
          arts:
            +materialized: table
        """)
        .file("seeds/items.csv", "id,name,price\n1,tea,2.5\n2,cake,4\n")
        .file("models/sources.yml", """
            version: 2
            sources:
              - name: ops
                schema: main
                description: Operational tables.
                tables:
                  - name: items_src
                    identifier: items
                    columns:
                      - name: id
                        data_tests: [not_null]
            """)
        .file("models/stg_items.sql", "{{ config(materialized='view', tags=['staging']) }}\nselect * from {{ source('ops', 'items_src') }}\n")
        .file("models/eph.sql", "{{ config(materialized='ephemeral') }}\nselect id, price from {{ ref('stg_items') }}\n")
        .file("models/priced.sql", "select id, price * 2 as double_price from {{ ref('eph') }} limit {{ var('limit_n') }}\n")
        .file("models/schema.yml", """
            version: 2
            models:
              - name: priced
                description: '{{ doc("priced_doc") }}'
                columns:
                  - name: id
                    description: The item.
                    data_tests: [unique, not_null]
                  - name: double_price
                    data_tests:
                      - accepted_values:
                          arguments:
                            values: [5, 8]
                          config:
                            severity: warn
            """)
        .file("models/docs.md", "{% docs priced_doc %}\nItems at double price.\n{% enddocs %}\n")
        .file("tests/no_free_items.sql", "select * from {{ ref('priced') }} where double_price <= 0\n")
        .file("analyses/an.sql", "select count(*) from {{ ref('priced') }}\n")
        .file("macros/m.sql", "{% macro twice(x) %}{{ x }} * 2{% endmacro %}\n");
  }

  @Test
  void artifactsOfABuildConformToDbtSchemas(@TempDir Path tmp) {
    TestProject p = rich(tmp);
    p.run("seed").ok();
    TestProject.Result r = p.run("build").ok();
    assertThat(r.out()).contains("Completed successfully");
    ArtifactSchemas.assertValid(tmp.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
    ArtifactSchemas.assertValid(tmp.resolve("target/run_results.json"), ArtifactSchemas.RUN_RESULTS);

    JsonNode m = p.json("target/manifest.json");
    assertThat(m.path("metadata").path("dbt_schema_version").asText()).isEqualTo("https://schemas.getdbt.com/dbt/manifest/v12.json");
    JsonNode priced = m.path("nodes").path("model.arts.priced");
    assertThat(priced.path("description").asText().strip()).isEqualTo("Items at double price.");
    assertThat(priced.path("columns").path("id").path("description").asText()).isEqualTo("The item.");
    assertThat(priced.path("depends_on").path("nodes").toString()).contains("model.arts.eph");
    assertThat(priced.path("config").path("materialized").asText()).isEqualTo("table");
    assertThat(m.path("nodes").path("model.arts.stg_items").path("depends_on").path("nodes").toString())
        .contains("source.arts.ops.items_src");
    assertThat(m.path("nodes").path("model.arts.stg_items").path("tags").toString()).contains("staging");
    assertThat(m.path("sources").has("source.arts.ops.items_src")).isTrue();
    assertThat(m.path("macros").has("macro.arts.twice")).isTrue();
    assertThat(m.path("nodes").has("analysis.arts.an")).isTrue();
    assertThat(m.path("nodes").has("test.arts.no_free_items")).isTrue();
    assertThat(m.path("parent_map").path("model.arts.priced").toString()).contains("model.arts.eph");
    assertThat(m.path("child_map").path("model.arts.priced").toString()).contains("test.arts.no_free_items");

    // run_results: every node that ran, with dbt's statuses. 1 view + 1 table (the ephemeral does not run),
    // 4 tests on priced, 1 source test, 1 singular test. Seeds are part of build too.
    JsonNode rr = p.json("target/run_results.json");
    Map<String, String> status = new HashMap<>();
    rr.path("results").forEach(n -> status.put(n.path("unique_id").asText(), n.path("status").asText()));
    assertThat(status).containsEntry("model.arts.priced", "success").containsEntry("model.arts.stg_items", "success")
        .containsEntry("seed.arts.items", "success").containsEntry("test.arts.no_free_items", "pass")
        .doesNotContainKey("model.arts.eph");
    // 2 * 2.5 = 5 and 2 * 4 = 8: the accepted values test passes.
    assertThat(status.entrySet().stream().filter(e -> e.getKey().startsWith("test.arts.accepted_values")).map(Map.Entry::getValue))
        .containsExactly("pass");
    assertThat(rr.path("args").path("which").asText()).isEqualTo("build");
    assertThat(rr.path("elapsed_time").asDouble()).isPositive();
    for (JsonNode n : rr.path("results")) {
      assertThat(n.path("timing").isArray()).isTrue();
      assertThat(n.path("thread_id").asText()).isNotEmpty();
    }
    JsonNode pricedResult = null;
    for (JsonNode n : rr.path("results")) if (n.path("unique_id").asText().equals("model.arts.priced")) pricedResult = n;
    assertThat(pricedResult.path("adapter_response").path("rows_affected").asLong()).isEqualTo(2);
    assertThat(pricedResult.path("compiled_code").asText()).contains("__dbt__cte__eph").contains("limit 10");

    // docs generate: catalog with relations and their columns.
    p.run("docs", "generate").ok();
    ArtifactSchemas.assertValid(tmp.resolve("target/catalog.json"), ArtifactSchemas.CATALOG);
    JsonNode cat = p.json("target/catalog.json");
    JsonNode t = cat.path("nodes").path("model.arts.priced");
    assertThat(t.path("metadata").path("type").asText()).isEqualToIgnoringCase("BASE TABLE");
    assertThat(t.path("columns").path("id").path("index").asInt()).isEqualTo(1);
    assertThat(t.path("columns").path("double_price").path("index").asInt()).isEqualTo(2);
    assertThat(t.path("stats").path("has_stats").isMissingNode()).isFalse();
    assertThat(cat.path("nodes").has("model.arts.eph")).isFalse();
    assertThat(cat.path("nodes").path("seed.arts.items").path("columns").has("price")).isTrue();
    assertThat(cat.path("sources").path("source.arts.ops.items_src").path("columns").has("name")).isTrue();
  }

  @Test
  void artifactsOfAFailedBuildAndOfParseConform(@TempDir Path tmp) {
    TestProject p = rich(tmp).file("tests/no_free_items.sql", "select * from {{ ref('priced') }} where double_price > 0\n")
        .file("models/after.sql", "select * from {{ ref('priced') }}\n")
        .file("models/broken.sql", "select * from nowhere_at_all\n");
    p.run("seed").ok();
    p.run("build").exits(1);
    ArtifactSchemas.assertValid(tmp.resolve("target/run_results.json"), ArtifactSchemas.RUN_RESULTS);
    Map<String, String> status = new HashMap<>();
    Map<String, String> message = new HashMap<>();
    p.json("target/run_results.json").path("results").forEach(n -> {
      status.put(n.path("unique_id").asText(), n.path("status").asText());
      message.put(n.path("unique_id").asText(), n.path("message").asText());
    });
    assertThat(status).containsEntry("test.arts.no_free_items", "fail").containsEntry("model.arts.after", "skipped")
        .containsEntry("model.arts.broken", "error");
    assertThat(message.get("model.arts.broken")).contains("nowhere_at_all");
    JsonNode failures = null;
    for (JsonNode n : p.json("target/run_results.json").path("results")) {
      if (n.path("unique_id").asText().equals("test.arts.no_free_items")) failures = n.path("failures");
    }
    assertThat(failures.asLong()).isEqualTo(2);

    p.delete("target/manifest.json");
    p.run("parse").ok();
    ArtifactSchemas.assertValid(tmp.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
  }

  @Test
  void secretsNeverReachLogsOrArtifacts(@TempDir Path tmp) {
    String secret = "s3cr3t-Value-8271";
    String plain = "plain-value-5519";
    TestProject p = TestProject.create(tmp, "sec", "")
        .file("models/uses_secret.sql", """
            {{ log("the token is " ~ env_var('DBT_ENV_SECRET_TOKEN'), info=True) }}
            {{ log("the plain value is " ~ env_var('WEIR_TEST_PLAIN'), info=True) }}
            select '{{ env_var("DBT_ENV_SECRET_TOKEN") }}' as tok, '{{ env_var("WEIR_TEST_PLAIN") }}' as plain
            """)
        .file("models/fails_with_secret.sql", "select * from {{ env_var('DBT_ENV_SECRET_TOKEN') | replace('-', '_') }}_and_{{ env_var('DBT_ENV_SECRET_TOKEN') }}\n");
    p.env.put("DBT_ENV_SECRET_TOKEN", secret);
    p.env.put("WEIR_TEST_PLAIN", plain);
    TestProject.Result r = p.run("run", "--debug");
    r.exits(1);
    // The query ran with the real value.
    assertThat(p.rows("select tok, plain from main.uses_secret")).containsExactly(secret + "|" + plain);

    assertThat(r.out()).contains("the token is *****").contains("the plain value is " + plain);
    assertThat(r.out() + r.err()).doesNotContain(secret);
    assertThat(p.read("logs/weir.log")).doesNotContain(secret).contains("the token is *****");
    assertThat(p.read("target/manifest.json")).doesNotContain(secret);
    assertThat(p.read("target/run_results.json")).doesNotContain(secret);
    assertThat(p.readAll("target/compiled")).doesNotContain(secret).contains("*****");
    assertThat(p.readAll("target/run")).doesNotContain(secret);
    // Only DBT_ENV_SECRET_* values are masked.
    assertThat(p.read("target/manifest.json") + p.readAll("target/compiled")).contains(plain);

    TestProject.Result json = p.run("run", "-s", "uses_secret", "--log-format", "json").ok();
    assertThat(json.out()).doesNotContain(secret).contains("the token is *****");
    p.run("docs", "generate").ok();
    assertThat(p.read("target/catalog.json")).doesNotContain(secret);
  }

  @Test
  void cleanRemovesTheTargetFolder(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "cl", "clean-targets: [target, logs]\n").file("models/m.sql", "select 1 as x\n");
    p.run("run").ok();
    assertThat(p.exists("target/manifest.json")).isTrue();
    assertThat(p.exists("logs/weir.log")).isTrue();
    TestProject.Result r = p.run("clean").ok();
    assertThat(r.out()).contains("Finished cleaning");
    assertThat(p.exists("target")).isFalse();
    assertThat(p.exists("logs")).isFalse();
    assertThat(p.exists("models/m.sql")).isTrue();
    // Cleaning again is fine.
    p.run("clean").ok();

    // A clean-target outside the project is refused.
    TestProject q = TestProject.create(tmp.resolve("q"), "cl2", "clean-targets: ['..']\n");
    q.run("clean").exits(2);
    assertThat(q.exists("dbt_project.yml")).isTrue();
  }
}
