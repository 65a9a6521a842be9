package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.core.artifacts.ArtifactSchemas;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weir source freshness} and {@code weir build --check-source-freshness} on real DuckDB:
 * source tables are filled outside Weir with load times relative to now, so each one is fresh,
 * late (warn) or stale (error) by construction.
 */
class FreshnessE2ETest {

  static final String SOURCES = """
      version: 2
      sources:
        - name: raw
          schema: raw
          loaded_at_field: loaded_at
          freshness:
            warn_after: {count: 1, period: hour}
            error_after: {count: 1, period: day}
          tables:
            - name: fresh_orders
            - name: late_orders
              tags: [nightly]
            - name: stale_orders
            - name: real_events
              identifier: events
              freshness:
                filter: kind = 'real'
            - name: all_events
              identifier: events
            - name: tz_events
              loaded_at_query: select max(ts) from raw.tz_events
            - name: tz_events_shifted
              identifier: tz_events
              loaded_at_query: "select max(ts) - interval 5 hour from {{ source('raw', 'tz_events') }}"
            - name: unchecked
              freshness: null
            - name: broken
              loaded_at_field: no_such_column
            - name: configured
              config:
                loaded_at_field: loaded_at
                freshness:
                  error_after: {count: 2, period: hour}
      """;

  /** The source project: every table above exists in schema raw of target/weir.duckdb. */
  static TestProject project(Path dir) {
    TestProject p = TestProject.create(dir, "fresh", "")
        .file("models/sources.yml", SOURCES)
        .file("models/stg_fresh.sql", "select id from {{ source('raw', 'fresh_orders') }}\n")
        .file("models/stg_stale.sql", "select id from {{ source('raw', 'stale_orders') }}\n")
        .file("models/mart_stale.sql", "select count(*) as n from {{ ref('stg_stale') }} join {{ ref('stg_fresh') }} using (id)\n")
        .file("models/stg_late.sql", "select id from {{ source('raw', 'late_orders') }}\n")
        .file("models/standalone.sql", "select 42 as answer\n");
    String utcNow = "(now() at time zone 'UTC')";
    TestProject.execute(p.db(),
        "create schema raw",
        "create table raw.fresh_orders as select 1 as id, " + utcNow + " - interval 10 minute as loaded_at",
        "create table raw.late_orders as select 1 as id, " + utcNow + " - interval 3 hour as loaded_at",
        "create table raw.stale_orders as select 1 as id, " + utcNow + " - interval 2 day as loaded_at",
        // The newest row is a test row; the newest 'real' one is two days old.
        "create table raw.events as select * from (values ('test', " + utcNow + " - interval 5 minute), "
            + "('real', " + utcNow + " - interval 2 day)) v(kind, loaded_at)",
        // A timestamptz: an instant, whatever the session's time zone.
        "create table raw.tz_events as select now() - interval 30 minute as ts",
        "create table raw.unchecked as select 1 as id, " + utcNow + " - interval 300 day as loaded_at",
        "create table raw.broken as select 1 as id",
        "create table raw.configured as select 1 as id, " + utcNow + " - interval 3 hour as loaded_at");
    return p;
  }

  static Map<String, JsonNode> byId(JsonNode sourcesJson) {
    Map<String, JsonNode> out = new HashMap<>();
    for (JsonNode r : sourcesJson.path("results")) out.put(r.path("unique_id").asText(), r);
    return out;
  }

  static String status(Map<String, JsonNode> results, String table) {
    JsonNode r = results.get("source.fresh.raw." + table);
    return r == null ? null : r.path("status").asText();
  }

  static int lineOf(String text, String needle) {
    List<String> lines = text.lines().toList();
    for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(needle)) return i + 1;
    throw new AssertionError(needle + " not in text");
  }

  @Test
  void checksEverySourceWithAFreshnessConfigAndWritesSourcesJson(@TempDir Path tmp) {
    TestProject p = project(tmp);
    TestProject.Result r = p.run("source", "freshness").exits(1);
    List<String> lines = r.lines();

    // dbt's lines: one START and one result per checked source, numbered over the checked ones.
    assertThat(lines.stream().filter(l -> l.matches(".* \\d+ of 9 START freshness of raw\\..*"))).as(r.toString()).hasSize(9);
    assertThat(r.out()).containsPattern("\\d+ of 9 PASS freshness of raw\\.fresh_orders \\.+ \\[PASS in \\d+\\.\\d\\ds\\]");
    assertThat(r.out()).containsPattern("\\d+ of 9 WARN freshness of raw\\.late_orders \\.+ \\[WARN in ");
    assertThat(r.out()).containsPattern("\\d+ of 9 ERROR STALE freshness of raw\\.stale_orders \\.+ \\[ERROR STALE in ");
    assertThat(r.out()).containsPattern("\\d+ of 9 ERROR freshness of raw\\.broken \\.+ \\[ERROR in ");
    // freshness: null turns the inherited config off: not checked at all.
    assertThat(r.out()).doesNotContain("raw.unchecked");
    assertThat(r.out()).contains("Done. PASS=3 WARN=2 ERROR=4 SKIP=0");

    // The runtime error names the source and where it is declared, and says what the warehouse said.
    int brokenLine = lineOf(SOURCES, "- name: broken");
    assertThat(r.out()).contains("Runtime Error in source raw.broken (models/sources.yml:" + brokenLine + ")");
    assertThat(r.out()).containsIgnoringCase("no_such_column");
    // A stale source's message says how old it is and which threshold it broke.
    assertThat(r.out()).containsPattern("source raw\\.stale_orders is stale: last loaded (1d 23h|2d 0h) ago \\(error_after 1 day\\)");

    Path file = tmp.resolve("target/sources.json");
    ArtifactSchemas.assertValid(file, ArtifactSchemas.SOURCES);
    Map<String, JsonNode> results = byId(p.json("target/sources.json"));
    assertThat(results).hasSize(9);
    assertThat(status(results, "fresh_orders")).isEqualTo("pass");
    assertThat(status(results, "late_orders")).isEqualTo("warn");
    assertThat(status(results, "stale_orders")).isEqualTo("error");
    assertThat(status(results, "all_events")).isEqualTo("pass");
    // The filter makes the two-day-old 'real' row the newest one that counts.
    assertThat(status(results, "real_events")).isEqualTo("error");
    assertThat(results.get("source.fresh.raw.real_events").path("criteria").path("filter").asText()).isEqualTo("kind = 'real'");
    assertThat(results.get("source.fresh.raw.real_events").path("criteria").path("warn_after").path("period").asText())
        .isEqualTo("hour");
    // loaded_at_query on a timestamptz column: 30 minutes old, and 5 hours once the query shifts it (Jinja rendered).
    assertThat(status(results, "tz_events")).isEqualTo("pass");
    assertThat(status(results, "tz_events_shifted")).isEqualTo("warn");
    // config: holds loaded_at_field and freshness (dbt 1.9+): 3 hours old against error_after 2 hours.
    assertThat(status(results, "configured")).isEqualTo("error");
    assertThat(status(results, "unchecked")).isNull();
    assertThat(status(results, "broken")).isEqualTo("runtime error");
    assertThat(results.get("source.fresh.raw.broken").path("error").asText()).contains("no_such_column");

    // Ages are measured against now, with a timestamp without time zone read as UTC.
    double lateAge = results.get("source.fresh.raw.late_orders").path("max_loaded_at_time_ago_in_s").asDouble();
    assertThat(lateAge).isBetween(3 * 3600.0 - 5, 3 * 3600.0 + 120);
    double tzAge = results.get("source.fresh.raw.tz_events").path("max_loaded_at_time_ago_in_s").asDouble();
    assertThat(tzAge).isBetween(30 * 60.0 - 5, 30 * 60.0 + 120);

    // The manifest carries the resolved settings: loaded_at_query, the merged freshness, null where turned off.
    ArtifactSchemas.assertValid(tmp.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
    JsonNode manifestSources = p.json("target/manifest.json").path("sources");
    assertThat(manifestSources.path("source.fresh.raw.tz_events").path("loaded_at_query").asText())
        .isEqualTo("select max(ts) from raw.tz_events");
    JsonNode merged = manifestSources.path("source.fresh.raw.real_events").path("freshness");
    assertThat(merged.path("filter").asText()).isEqualTo("kind = 'real'");
    assertThat(merged.path("error_after").path("count").asInt()).isEqualTo(1);
    assertThat(manifestSources.path("source.fresh.raw.unchecked").path("freshness").isNull()).isTrue();
    assertThat(manifestSources.path("source.fresh.raw.configured").path("loaded_at_field").asText()).isEqualTo("loaded_at");
  }

  @Test
  void selectionExcludeAndOutputChooseWhatIsCheckedAndWhereItGoes(@TempDir Path tmp) {
    TestProject p = project(tmp);
    // Only passing and warning sources: exit 0.
    TestProject.Result one = p.run("source", "freshness", "-s", "source:raw.fresh_orders", "source:raw.late_orders").ok();
    assertThat(one.out()).contains("1 of 2 START freshness of raw.fresh_orders").contains("2 of 2 START freshness of raw.late_orders");
    assertThat(one.out()).doesNotContain("stale_orders");
    assertThat(one.out()).contains("Done. PASS=1 WARN=1 ERROR=0 SKIP=0");

    // By tag.
    TestProject.Result tagged = p.run("source", "freshness", "--select", "tag:nightly").ok();
    assertThat(tagged.out()).contains("1 of 1 WARN freshness of raw.late_orders");

    // The whole source minus its failing tables, results to another file.
    p.delete("target/sources.json");
    Path out = tmp.resolve("elsewhere/freshness.json");
    TestProject.Result rest = p.run("source", "freshness", "-s", "source:raw", "--exclude", "source:raw.stale_orders",
        "source:raw.broken", "source:raw.real_events", "source:raw.configured", "-o", out.toString()).ok();
    assertThat(rest.out()).contains("Done. PASS=3 WARN=2 ERROR=0 SKIP=0");
    ArtifactSchemas.assertValid(out, ArtifactSchemas.SOURCES);
    assertThat(byId(TestProject.JSON.valueToTree(readJson(out)))).hasSize(5).doesNotContainKey("source.fresh.raw.stale_orders");
    assertThat(p.exists("target/sources.json")).as("-o replaces target/sources.json").isFalse();

    // A stale source alone: exit 1.
    p.run("source", "freshness", "-s", "source:raw.stale_orders").exits(1);
    // A source without freshness config selected: nothing to check, exit 0.
    TestProject.Result none = p.run("source", "freshness", "-s", "source:raw.unchecked").ok();
    assertThat(none.out()).contains("Nothing to do");
  }

  static JsonNode readJson(Path f) {
    try {
      return TestProject.JSON.readTree(f.toFile());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void buildGateSkipsWhatDependsOnAStaleSourceAndRunsTheRest(@TempDir Path tmp) {
    TestProject p = project(tmp);
    TestProject.Result r = p.run("build", "--check-source-freshness").exits(1);
    // Only the sources the selected models read are checked.
    assertThat(r.out()).contains("Checking the freshness of 3 sources");
    assertThat(r.out()).containsPattern("ERROR STALE freshness of raw\\.stale_orders");
    assertThat(r.out()).containsPattern("WARN freshness of raw\\.late_orders");
    assertThat(r.out()).doesNotContain("freshness of raw.broken");
    assertThat(r.out()).containsPattern("SKIP relation sql view model main\\.stg_stale");
    assertThat(r.out()).containsPattern("SKIP relation sql view model main\\.mart_stale");

    // The fresh and warned branches and the independent model were built; the stale branch was not.
    assertThat(p.relationExists("main", "stg_fresh")).isTrue();
    assertThat(p.relationExists("main", "stg_late")).isTrue();
    assertThat(p.rows("select answer from main.standalone")).containsExactly("42");
    assertThat(p.relationExists("main", "stg_stale")).isFalse();
    assertThat(p.relationExists("main", "mart_stale")).isFalse();

    ArtifactSchemas.assertValid(tmp.resolve("target/run_results.json"), ArtifactSchemas.RUN_RESULTS);
    Map<String, JsonNode> results = new HashMap<>();
    for (JsonNode n : p.json("target/run_results.json").path("results")) results.put(n.path("unique_id").asText(), n);
    for (String skipped : List.of("model.fresh.stg_stale", "model.fresh.mart_stale")) {
      assertThat(results.get(skipped).path("status").asText()).isEqualTo("skipped");
      assertThat(results.get(skipped).path("message").asText())
          .contains("source raw.stale_orders is stale").containsPattern("last loaded (1d 23h|2d 0h) ago");
    }
    assertThat(results.get("model.fresh.stg_fresh").path("status").asText()).isEqualTo("success");
    assertThat(results.get("source.fresh.raw.stale_orders").path("status").asText()).isEqualTo("error");
    assertThat(results.get("source.fresh.raw.late_orders").path("status").asText()).isEqualTo("warn");

    ArtifactSchemas.assertValid(tmp.resolve("target/sources.json"), ArtifactSchemas.SOURCES);
    assertThat(byId(p.json("target/sources.json")).keySet())
        .containsExactlyInAnyOrder("source.fresh.raw.fresh_orders", "source.fresh.raw.late_orders", "source.fresh.raw.stale_orders");

    // Without the stale branch only a warning is left: exit 0, everything built.
    TestProject.Result warnOnly = p.run("build", "--check-source-freshness", "-s", "stg_late", "standalone").ok();
    assertThat(warnOnly.out()).contains("WARN freshness of raw.late_orders");
    assertThat(p.relationExists("main", "stg_late")).isTrue();

    // Without the flag nothing is checked and the stale branch builds.
    TestProject.Result plain = p.run("build").ok();
    assertThat(plain.out()).doesNotContain("freshness of");
    assertThat(p.rows("select n from main.mart_stale")).containsExactly("1");
  }

  @Test
  void aBadFreshnessConfigIsAProjectErrorNamingFileAndLine(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "fresh", "").file("models/sources.yml", """
        version: 2
        sources:
          - name: raw
            loaded_at_field: loaded_at
            tables:
              - name: orders
                freshness:
                  warn_after:
                    count: 3
                    period: fortnight
        """);
    TestProject.Result r = p.run("source", "freshness").exits(2);
    assertThat(r.out() + r.err()).contains("models/sources.yml:10: 'warn_after.period' must be minute, hour or day, got: fortnight");

    // Both ways of reading the load time at one level: which one is meant is unclear.
    p.file("models/sources.yml", """
        version: 2
        sources:
          - name: raw
            tables:
              - name: orders
                config:
                  loaded_at_field: loaded_at
                  loaded_at_query: select now()
                  freshness: {warn_after: {count: 1, period: hour}}
        """);
    assertThat(p.run("source", "freshness").exits(2).out())
        .contains("models/sources.yml:8: set either loaded_at_field or loaded_at_query, not both");
  }
}
