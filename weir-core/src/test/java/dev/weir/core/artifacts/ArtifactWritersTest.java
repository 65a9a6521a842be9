package dev.weir.core.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.execute.NodeResult;
import dev.weir.core.execute.NodeResult.Status;
import dev.weir.core.execute.RunSummary;
import dev.weir.core.project.Project;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ArtifactWritersTest {
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123456Z");
  static final String INVOCATION = "6f0c2a1e-0000-4000-8000-000000000001";
  static final SecretMasker MASK = SecretMasker.fromEnvironment(Map.of("DBT_ENV_SECRET_PW", TestProjects.SECRET,
      "HOME", "/root"));

  @TempDir Path dir;

  private Path writeManifest(Project p) {
    Path f = dir.resolve("target").resolve(ManifestWriter.FILE_NAME);
    new ManifestWriter(MASK, Artifacts.DBT_VERSION, Map.of("team", "data")).write(p, INVOCATION, T0, "duckdb", f);
    return f;
  }

  @Test
  void manifestConformsToSchemaV12() {
    Path f = writeManifest(TestProjects.shop());
    ArtifactSchemas.assertValid(f, ArtifactSchemas.MANIFEST);
  }

  @Test
  void manifestContentUsersRelyOn() throws Exception {
    JsonNode m = MAPPER.readTree(writeManifest(TestProjects.shop()).toFile());
    JsonNode meta = m.get("metadata");
    assertThat(meta.get("dbt_schema_version").asText()).isEqualTo("https://schemas.getdbt.com/dbt/manifest/v12.json");
    assertThat(meta.get("project_name").asText()).isEqualTo("shop");
    assertThat(meta.get("project_id").asText()).isEqualTo(ManifestWriter.projectId("shop")).hasSize(32);
    assertThat(meta.get("adapter_type").asText()).isEqualTo("duckdb");
    assertThat(meta.get("generated_at").asText()).isEqualTo("2025-03-01T10:00:00.123456Z");
    assertThat(meta.get("env").get("team").asText()).isEqualTo("data");
    assertThat(meta.get("user_id").isNull()).isTrue();
    assertThat(meta.get("send_anonymous_usage_stats").asBoolean()).isFalse();

    JsonNode nodes = m.get("nodes");
    assertThat(nodes.has("exposure.shop.weekly_dashboard")).isFalse();
    assertThat(m.get("exposures").has("exposure.shop.weekly_dashboard")).isTrue();

    JsonNode orders = nodes.get("model.shop.orders");
    assertThat(orders.get("compiled").asBoolean()).isTrue();
    assertThat(orders.get("compiled_code").asText()).startsWith("with __dbt__cte__eph_customers as").contains("*****");
    assertThat(orders.get("extra_ctes").get(0).get("id").asText()).isEqualTo("model.shop.eph_customers");
    assertThat(orders.get("config").get("materialized").asText()).isEqualTo("table");
    assertThat(orders.get("config").get("tags").get(0).asText()).isEqualTo("finance");
    assertThat(orders.get("config").get("post-hook").get(0).get("sql").asText()).startsWith("grant select");
    assertThat(orders.get("config").get("pre-hook").get(0).get("transaction").asBoolean()).isFalse();
    assertThat(orders.get("config").get("contract").get("enforced").asBoolean()).isTrue();
    assertThat(orders.get("config").get("on_schema_change").asText()).isEqualTo("ignore");
    assertThat(orders.get("depends_on").get("nodes")).hasSize(2);
    assertThat(orders.get("refs").get(1).get("version").asInt()).isEqualTo(2);
    assertThat(orders.get("checksum").get("name").asText()).isEqualTo("sha256");
    assertThat(orders.get("checksum").get("checksum").asText()).hasSize(64);
    assertThat(orders.get("access").asText()).isEqualTo("protected");

    assertThat(nodes.get("model.shop.eph_customers").get("relation_name").isNull()).isTrue();
    JsonNode seed = nodes.get("seed.shop.countries");
    assertThat(seed.has("compiled")).isFalse();
    assertThat(seed.has("language")).isFalse();
    assertThat(seed.get("config").get("delimiter").asText()).isEqualTo(";");
    JsonNode singular = nodes.get("test.shop.assert_positive_total");
    assertThat(singular.has("compiled")).as("not compiled: compiled fields omitted").isFalse();
    assertThat(singular.has("test_metadata")).isFalse();
    assertThat(singular.get("config").get("schema").asText()).isEqualTo("dbt_test__audit");
    JsonNode generic = nodes.get("test.shop.not_null_orders_id");
    assertThat(generic.get("test_metadata").get("name").asText()).isEqualTo("not_null");
    assertThat(generic.get("test_metadata").get("kwargs").get("column_name").asText()).isEqualTo("id");
    assertThat(generic.get("attached_node").asText()).isEqualTo("model.shop.orders");
    assertThat(generic.get("config").get("severity").asText()).isEqualTo("warn");

    assertThat(m.get("sources").get("source.shop.raw.orders").get("freshness").get("warn_after").get("count").asInt())
        .isEqualTo(12);
    assertThat(m.get("macros").get("macro.shop.cents_to_dollars").get("arguments").get(0).get("name").asText())
        .isEqualTo("col");
    assertThat(m.get("docs").get("doc.shop.orders_status").get("block_contents").asText()).startsWith("Order status");
    assertThat(m.get("selectors").get("nightly").get("definition").get("method").asText()).isEqualTo("tag");
    assertThat(m.get("disabled").get("model.shop.old_model").get(0).get("config").get("enabled").asBoolean()).isFalse();

    // parent_map / child_map: sorted lists, every node and source has an entry
    assertThat(texts(m.get("parent_map").get("model.shop.orders")))
        .containsExactly("model.shop.eph_customers", "model.shop.stg_orders");
    assertThat(texts(m.get("parent_map").get("source.shop.raw.orders"))).isEmpty();
    assertThat(texts(m.get("child_map").get("source.shop.raw.orders"))).containsExactly("model.shop.stg_orders");
    assertThat(texts(m.get("child_map").get("model.shop.orders"))).containsExactly(
        "analysis.shop.revenue", "exposure.shop.weekly_dashboard", "snapshot.shop.orders_snapshot",
        "test.shop.assert_positive_total", "test.shop.not_null_orders_id");
    assertThat(texts(m.get("child_map").get("exposure.shop.weekly_dashboard"))).isEmpty();
    assertThat(m.get("parent_map").has("model.shop.old_model")).isFalse();
  }

  @Test
  void secretsNeverReachAnyArtifact() throws Exception {
    Project p = TestProjects.shop();
    Path manifest = writeManifest(p);
    Path rr = dir.resolve("run_results.json");
    new RunResultsWriter(MASK).write(summary(), T0, rr);
    Path cat = dir.resolve("catalog.json");
    new CatalogWriter(MASK).write(catalog(), List.of("could not read " + TestProjects.SECRET), INVOCATION, T0, cat);
    for (Path f : List.of(manifest, rr, cat)) {
      String text = Files.readString(f);
      assertThat(text).as(f.getFileName().toString()).doesNotContain(TestProjects.SECRET).contains("*****");
    }
    // the raw code keeps the env_var() call; only its value is secret
    JsonNode m = MAPPER.readTree(manifest.toFile());
    assertThat(m.get("nodes").get("model.shop.orders").get("raw_code").asText()).contains("env_var('DBT_ENV_SECRET_PW')");
    assertThat(m.get("nodes").get("model.shop.orders").get("config").get("meta").get("token").asText()).isEqualTo("*****");
  }

  @Test
  void secretMaskerReplacesLongestFirstAndIgnoresEmpty() {
    SecretMasker m = SecretMasker.forValues(List.of("abc", "abcdef", ""));
    assertThat(m.mask("x abcdef y abc")).isEqualTo("x ***** y *****");
    assertThat(m.mask(null)).isNull();
    assertThat(SecretMasker.fromEnvironment(Map.of("DBT_ENV_SECRET_X", "", "OTHER", "abc")).mask("abc")).isEqualTo("abc");
    assertThat(Artifacts.customEnv(Map.of("DBT_ENV_CUSTOM_ENV_run", "1", "PATH", "/bin"))).containsExactly(Map.entry("run", "1"));
  }

  static RunSummary summary() {
    Instant c0 = T0, c1 = T0.plusMillis(5), e0 = T0.plusMillis(6), e1 = T0.plusMillis(250);
    List<NodeResult> results = new ArrayList<>();
    results.add(new NodeResult("model.shop.stg_orders", Status.SUCCESS, "OK", null, c0, c1, e0, e1, 0.25, "Thread-1",
        Map.of("_message", "OK", "rows_affected", 0), "select * from \"dev\".\"raw\".\"orders\"", "\"dev\".\"main\".\"stg_orders\""));
    results.add(new NodeResult("model.shop.orders", Status.ERROR,
        "Binder Error: column pw = " + TestProjects.SECRET + " not found", null, c0, c1, e0, e1, 0.1, "Thread-2",
        Map.of(), "select '" + TestProjects.SECRET + "'", "\"dev\".\"main\".\"orders\""));
    results.add(new NodeResult("seed.shop.countries", Status.SUCCESS, "INSERT 3", null, null, null, e0, e1, 0.05,
        "Thread-1", Map.of("_message", "INSERT 3", "rows_affected", 3), null, "\"dev\".\"main\".\"countries\""));
    results.add(new NodeResult("test.shop.not_null_orders_id", Status.PASS, null, 0L, c0, c1, e0, e1, 0.01, "Thread-1",
        Map.of(), "select 1", null));
    results.add(new NodeResult("test.shop.assert_positive_total", Status.FAIL, "Got 3 results, configured to fail if != 0",
        3L, c0, c1, e0, e1, 0.01, "Thread-1", Map.of(), "select 2", null));
    results.add(new NodeResult("test.shop.warned", Status.WARN, "Got 1 result", 1L, c0, c1, e0, e1, 0.01, "Thread-1",
        Map.of(), "select 3", null));
    results.add(new NodeResult("snapshot.shop.orders_snapshot", Status.SKIPPED, "SKIP relation because of error upstream",
        null, null, null, null, null, 0, "Thread-1", Map.of(), null, null));
    results.add(new NodeResult("test.shop.broken", Status.RUNTIME_ERROR, "Runtime Error in test broken", null, c0, c1,
        null, null, 0, "Thread-3", Map.of(), null, null));
    return new RunSummary(INVOCATION, "build", T0.plusSeconds(1), 1.5, results,
        Map.of("select", List.of("orders+"), "target", "dev", "vars", Map.of("pw", TestProjects.SECRET)));
  }

  static List<CatalogTable> catalog() {
    return List.of(
        new CatalogTable("model.shop.orders", new Relation("dev", "main", "orders", RelationType.TABLE), null, null,
            "Orders", List.of(new ColumnInfo("id", "INTEGER", 1, "the id"), new ColumnInfo("total", "DOUBLE", 2, null)),
            Map.of()),
        new CatalogTable("model.shop.stg_orders", new Relation("dev", "main", "stg_orders", RelationType.VIEW),
            List.of(new ColumnInfo("id", "INTEGER"), new ColumnInfo("status", "VARCHAR"))),
        new CatalogTable("source.shop.raw.orders", Relation.of("dev", "raw", "orders"), "BASE TABLE", "admin", null,
            List.of(new ColumnInfo("id", "INTEGER")),
            Map.of("row_count", new CatalogTable.Stat("row_count", "Row Count", 42, true, "Approximate rows"))));
  }

  @Test
  void runResultsConformToSchemaV6() throws Exception {
    Path f = dir.resolve("target/run_results.json");
    new RunResultsWriter(MASK).write(summary(), T0, f);
    ArtifactSchemas.assertValid(f, ArtifactSchemas.RUN_RESULTS);
    JsonNode rr = MAPPER.readTree(f.toFile());
    List<String> statuses = new ArrayList<>();
    rr.get("results").forEach(r -> statuses.add(r.get("status").asText()));
    assertThat(statuses).containsExactly("success", "error", "success", "pass", "fail", "warn", "skipped", "runtime error");
    JsonNode first = rr.get("results").get(0);
    assertThat(first.get("timing")).hasSize(2);
    assertThat(first.get("timing").get(0).get("name").asText()).isEqualTo("compile");
    assertThat(first.get("timing").get(1).get("completed_at").asText()).isEqualTo("2025-03-01T10:00:00.373456Z");
    assertThat(first.get("compiled").asBoolean()).isTrue();
    assertThat(first.get("adapter_response").get("rows_affected").asInt()).isZero();
    assertThat(rr.get("results").get(2).get("compiled").asBoolean()).isFalse();
    assertThat(rr.get("results").get(4).get("failures").asInt()).isEqualTo(3);
    assertThat(rr.get("results").get(6).get("timing")).isEmpty();
    assertThat(rr.get("elapsed_time").asDouble()).isEqualTo(1.5);
    assertThat(rr.get("args").get("which").asText()).isEqualTo("build");
    assertThat(rr.get("metadata").get("invocation_id").asText()).isEqualTo(INVOCATION);
  }

  @Test
  void catalogConformsToSchemaV1() throws Exception {
    Path f = dir.resolve("target/catalog.json");
    new CatalogWriter(MASK).write(catalog(), null, INVOCATION, T0, f);
    ArtifactSchemas.assertValid(f, ArtifactSchemas.CATALOG);
    JsonNode c = MAPPER.readTree(f.toFile());
    assertThat(c.get("nodes").size()).isEqualTo(2);
    assertThat(c.get("sources").get("source.shop.raw.orders").get("stats").get("row_count").get("value").asInt()).isEqualTo(42);
    JsonNode stg = c.get("nodes").get("model.shop.stg_orders");
    assertThat(stg.get("metadata").get("type").asText()).isEqualTo("VIEW");
    assertThat(stg.get("columns").get("status").get("index").asInt()).isEqualTo(2);
    assertThat(stg.get("stats").get("has_stats").get("value").asBoolean()).isFalse();
    assertThat(c.get("errors").isNull()).isTrue();
  }

  @Test
  void sourcesConformToSchemaV3() throws Exception {
    Path f = dir.resolve("target/sources.json");
    Instant now = T0.plusSeconds(60);
    List<SourcesWriter.FreshnessResult> results = List.of(
        SourcesWriter.FreshnessResult.checked("source.shop.raw.orders", "warn", T0.minusSeconds(13 * 3600), now,
            Map.of("warn_after", Map.of("count", 12, "period", "hour"), "error_after", Map.of("count", 1, "period", "day")),
            now, now.plusMillis(20), "Thread-1"),
        SourcesWriter.FreshnessResult.error("source.shop.raw.customers", "Binder Error: " + TestProjects.SECRET));
    new SourcesWriter(MASK).write(results, 0.5, INVOCATION, now, f);
    ArtifactSchemas.assertValid(f, ArtifactSchemas.SOURCES);
    JsonNode s = MAPPER.readTree(f.toFile());
    JsonNode first = s.get("results").get(0);
    assertThat(first.get("status").asText()).isEqualTo("warn");
    assertThat(first.get("max_loaded_at_time_ago_in_s").asDouble()).isEqualTo(13 * 3600 + 60.0);
    assertThat(s.get("results").get(1).get("status").asText()).isEqualTo("runtime error");
    assertThat(Files.readString(f)).doesNotContain(TestProjects.SECRET);
  }

  @Test
  void schemaValidationRejectsBrokenArtifacts() throws Exception {
    Path f = dir.resolve("bad.json");
    Files.writeString(f, "{\"metadata\": {\"dbt_schema_version\": 12}, \"results\": []}");
    assertThat(ArtifactSchemas.validate(f, ArtifactSchemas.RUN_RESULTS)).isNotEmpty();
  }

  @Test
  void largeManifestIsFast() throws Exception {
    Project big = TestProjects.large(10_000);
    ManifestWriter w = new ManifestWriter(MASK);
    for (int i = 0; i < 3; i++) w.write(big, INVOCATION, T0, "duckdb", new ByteArrayOutputStream()); // warm-up
    // Wall time depends on machine load (CI runners share CPUs); the assertion uses this thread's CPU time.
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long best = Long.MAX_VALUE, bestCpu = Long.MAX_VALUE;
    Path f = dir.resolve("big/manifest.json");
    for (int i = 0; i < 5; i++) {
      long t0 = System.nanoTime(), c0 = threads.getCurrentThreadCpuTime();
      w.write(big, INVOCATION, T0, "duckdb", f);
      best = Math.min(best, System.nanoTime() - t0);
      bestCpu = Math.min(bestCpu, threads.getCurrentThreadCpuTime() - c0);
    }
    System.out.printf("[timing] manifest.json for 10,000 models: %d ms wall, %d ms CPU (best of 5, warm), %,d bytes%n",
        best / 1_000_000, bestCpu / 1_000_000, Files.size(f));
    assertThat(bestCpu / 1_000_000).isLessThan(1000);
    JsonNode m = MAPPER.readTree(f.toFile());
    assertThat(m.get("nodes").size()).isEqualTo(10_000);
    assertThat(texts(m.get("child_map").get("model.shop.model_0"))).containsExactly("model.shop.model_1");
    List<String> ids = new ArrayList<>();
    m.get("nodes").fieldNames().forEachRemaining(ids::add);
    assertThat(ids).as("nodes in the project's order (serialized in parallel chunks)").containsExactlyElementsOf(big.nodes().keySet());
    // a slice of the same shape validates (validating all 10k nodes is slow and adds nothing); 300 nodes
    // take the parallel path too
    ByteArrayOutputStream small = new ByteArrayOutputStream();
    w.write(TestProjects.large(300), INVOCATION, T0, "duckdb", small);
    JsonNode sm = MAPPER.readTree(small.toString(StandardCharsets.UTF_8));
    assertThat(sm.get("nodes").size()).isEqualTo(300);
    assertThat(ArtifactSchemas.validate(sm, ArtifactSchemas.MANIFEST)).isEmpty();
  }

  private static List<String> texts(JsonNode arr) {
    List<String> out = new ArrayList<>();
    arr.forEach(n -> out.add(n.asText()));
    return out;
  }
}
