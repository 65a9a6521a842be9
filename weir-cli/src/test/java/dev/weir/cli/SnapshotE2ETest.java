package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.cli.EngineProject.Engine;
import dev.weir.core.artifacts.ArtifactSchemas;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots (SCD type 2) on DuckDB and on Postgres: the source is a seed rewritten between runs,
 * and every run's snapshot rows are asserted exactly (versions, validity ranges, deletion rows).
 * Snapshot times (check strategy, deletes) differ per run: {@link #labelled} names them T1, T2, ...
 * in time order.
 */
class SnapshotE2ETest {

  private static final String TS_SNAPSHOT = """
      {% snapshot snap_ts %}
      {{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
      select * from {{ ref('src') }}
      {% endsnapshot %}
      """;

  @ParameterizedTest
  @EnumSource(Engine.class)
  void timestampStrategyVersionsChangedRowsAndIgnoresDeletes(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "snap_ts_proj", "")
        .file("seeds/src.csv", """
            id,name,updated_at
            1,a,2024-01-01 00:00:00
            2,b,2024-01-01 00:00:00
            3,c,2024-01-01 00:00:00
            """)
        .file("snapshots/snap_ts.sql", TS_SNAPSHOT);
    p.run("seed").ok();
    TestProject.Result r = p.run("snapshot").ok();
    assertThat(r.out()).contains("OK snapshotted " + p.schema + ".snap_ts").contains("1 snapshot");
    String q = "select id, name, cast(dbt_valid_from as varchar), cast(dbt_valid_to as varchar), cast(dbt_updated_at as varchar)"
        + " from {s}.snap_ts order by id, dbt_valid_from";
    assertThat(p.rows(q)).containsExactly(
        "1|a|2024-01-01 00:00:00|null|2024-01-01 00:00:00",
        "2|b|2024-01-01 00:00:00|null|2024-01-01 00:00:00",
        "3|c|2024-01-01 00:00:00|null|2024-01-01 00:00:00");
    // dbt_scd_id = md5(coalesce(cast(id as varchar), '') || '|' || coalesce(cast(updated_at as varchar), ''))
    assertThat(p.rows("select dbt_scd_id from {s}.snap_ts where id = 1")).containsExactly(md5("1|2024-01-01 00:00:00"));
    assertThat(p.rows("select column_name from information_schema.columns where table_schema = '{s}' and table_name = 'snap_ts' order by ordinal_position"))
        .containsExactly("id", "name", "updated_at", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to");

    // 1 updated, 2 changed without a newer updated_at (not a change for this strategy), 3 deleted, 4 new.
    p.file("seeds/src.csv", """
        id,name,updated_at
        1,a2,2024-01-02 00:00:00
        2,b_changed,2024-01-01 00:00:00
        4,d,2024-01-02 00:00:00
        """);
    p.run("seed").ok();
    r = p.run("snapshot").ok();
    assertThat(r.out()).contains("INSERT 2, UPDATE 1");
    List<String> afterSecond = List.of(
        "1|a|2024-01-01 00:00:00|2024-01-02 00:00:00|2024-01-01 00:00:00",
        "1|a2|2024-01-02 00:00:00|null|2024-01-02 00:00:00",
        "2|b|2024-01-01 00:00:00|null|2024-01-01 00:00:00",
        "3|c|2024-01-01 00:00:00|null|2024-01-01 00:00:00",
        "4|d|2024-01-02 00:00:00|null|2024-01-02 00:00:00");
    assertThat(p.rows(q)).containsExactlyElementsOf(afterSecond);
    assertThat(p.rows("select dbt_scd_id from {s}.snap_ts where id = 1 and dbt_valid_to is null"))
        .containsExactly(md5("1|2024-01-02 00:00:00"));

    // Idempotent: the same source again changes nothing (scd ids included).
    List<String> all = p.rows("select * from {s}.snap_ts order by dbt_scd_id");
    r = p.run("snapshot").ok();
    assertThat(r.out()).contains("INSERT 0, UPDATE 0");
    assertThat(p.rows("select * from {s}.snap_ts order by dbt_scd_id")).containsExactlyElementsOf(all);
    assertThat(p.read("target/run/snap_ts_proj/snapshots/snap_ts.sql")).contains("update ").contains("insert into ");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void checkStrategyWithColumnListAndInvalidatedDeletes(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "snap_check", "")
        .file("seeds/src.csv", "id,name,score\n1,a,10\n2,b,20\n3,c,30\n")
        .file("snapshots/people.sql", """
            {% snapshot snap_check %}
            {{ config(unique_key='id', strategy='check', check_cols=['name'], hard_deletes='invalidate') }}
            select * from {{ ref('src') }}
            {% endsnapshot %}
            """);
    p.run("build").ok();
    String cols = "id, name, score";
    assertThat(labelled(p, "{s}.snap_check", cols)).containsExactly("1|a|10|T1|null", "2|b|20|T1|null", "3|c|30|T1|null");
    // check: updated_at is the snapshot time, and the scd id hashes it.
    assertThat(p.rows("select count(*) from {s}.snap_check where dbt_updated_at = dbt_valid_from"
        + " and dbt_scd_id = md5(cast(id as varchar) || '|' || cast(dbt_updated_at as varchar))")).containsExactly("3");

    // 1 renamed (a version), 2's score changed (not a checked column: no version), 3 deleted (invalidated), 4 new.
    p.file("seeds/src.csv", "id,name,score\n1,a2,10\n2,b,99\n4,d,40\n");
    p.run("build").ok();
    List<String> second = List.of("1|a|10|T1|T2", "1|a2|10|T2|null", "2|b|20|T1|null", "3|c|30|T1|T2", "4|d|40|T2|null");
    assertThat(labelled(p, "{s}.snap_check", cols)).containsExactlyElementsOf(second);

    // Idempotent; a deleted row is invalidated once only.
    p.run("build").ok();
    assertThat(labelled(p, "{s}.snap_check", cols)).containsExactlyElementsOf(second);

    // 3 comes back: a new current version.
    p.file("seeds/src.csv", "id,name,score\n1,a2,10\n2,b,99\n3,c,30\n4,d,40\n");
    p.run("build").ok();
    assertThat(labelled(p, "{s}.snap_check", cols)).containsExactly(
        "1|a|10|T1|T2", "1|a2|10|T2|null", "2|b|20|T1|null", "3|c|30|T1|T2", "3|c|30|T3|null", "4|d|40|T2|null");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void checkAllCompositeKeyAndNewRecordDeletes(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "snap_nr", "")
        .file("seeds/src.csv", "k1,k2,val\na,1,x\na,2,y\nb,1,z\n")
        .file("snapshots/s.sql", """
            {% snapshot snap_nr %}
                {{ config(unique_key=['k1', 'k2'], strategy='check', check_cols='all', hard_deletes='new_record') }}
                select * from {{ ref('src') }}
            {% endsnapshot %}
            """);
    p.run("build").ok();
    String cols = "k1, k2, val, dbt_is_deleted";
    String t = "{s}.snap_nr";
    assertThat(labelled(p, t, cols)).containsExactly("a|1|x|False|T1|null", "a|2|y|False|T1|null", "b|1|z|False|T1|null");

    // (a,1) changed, (a,2) deleted, (b,1) unchanged, (b,2) new (same k1 as an existing row).
    p.file("seeds/src.csv", "k1,k2,val\na,1,x2\nb,1,z\nb,2,w\n");
    p.run("build").ok();
    List<String> second = List.of(
        "a|1|x|False|T1|T2", "a|1|x2|False|T2|null",
        "a|2|y|False|T1|T2", "a|2|y|True|T2|null",
        "b|1|z|False|T1|null", "b|2|w|False|T2|null");
    assertThat(labelled(p, t, cols)).containsExactlyElementsOf(second);
    // Scd ids: md5(k1 | k2 | snapshot time) for versions; a deletion row hashes the closed version's id and the time.
    assertThat(p.rows("select count(*) from " + t + " where dbt_is_deleted = 'False' and dbt_scd_id = "
        + "md5(k1 || '|' || cast(k2 as varchar) || '|' || cast(dbt_updated_at as varchar))")).containsExactly("5");
    assertThat(p.rows("select count(*) from " + t + " d join " + t + " o on o.k1 = d.k1 and o.k2 = d.k2 and o.dbt_valid_to = d.dbt_valid_from"
        + " where d.dbt_is_deleted = 'True' and d.dbt_scd_id = md5(o.dbt_scd_id || '|' || cast(d.dbt_valid_from as varchar))"))
        .containsExactly("1");

    // Idempotent: no second deletion row.
    p.run("build").ok();
    assertThat(labelled(p, t, cols)).containsExactlyElementsOf(second);

    // (a,2) returns: the deletion row closes and a live version starts.
    p.file("seeds/src.csv", "k1,k2,val\na,1,x2\na,2,y3\nb,1,z\nb,2,w\n");
    p.run("build").ok();
    assertThat(labelled(p, t, cols)).containsExactly(
        "a|1|x|False|T1|T2", "a|1|x2|False|T2|null",
        "a|2|y|False|T1|T2", "a|2|y|True|T2|T3", "a|2|y3|False|T3|null",
        "b|1|z|False|T1|null", "b|2|w|False|T2|null");

    // A column added to the query: check 'all' sees every row as changed (dbt's rule), the column is added.
    p.file("snapshots/s.sql", p.read("snapshots/s.sql").replace("select * from", "select *, 'n' as extra from"));
    p.run("build").ok();
    assertThat(p.rows("select count(*) from " + t + " where dbt_valid_to is null and extra = 'n'")).containsExactly("4");
    assertThat(p.rows("select count(*) from " + t + " where extra is null")).containsExactly("7");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void yamlSnapshotWithCustomColumnsValidToCurrentTargetSchemaAndLegacyInvalidate(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "snap_yaml", "")
        .file("seeds/src.csv", """
            id,name,updated_at
            1,a,2024-01-01 00:00:00
            2,b,2024-01-01 00:00:00
            """)
        .file("snapshots/props.yml", """
            version: 2
            snapshots:
              - name: snap_yaml
                relation: ref('src')
                description: "History of src"
                config:
                  target_schema: {s}_history
                  unique_key: id
                  strategy: timestamp
                  updated_at: updated_at
                  invalidate_hard_deletes: true
                  dbt_valid_to_current: "cast('9999-12-31' as timestamp)"
                  snapshot_meta_column_names:
                    dbt_valid_from: start_at
                    dbt_valid_to: end_at
                    dbt_scd_id: version_id
                    dbt_updated_at: changed_at
                columns:
                  - name: id
                    data_tests: [not_null]
            """);
    p.run("build").ok();
    assertThat(p.rows("select column_name from information_schema.columns where table_schema = '{s}_history'"
        + " and table_name = 'snap_yaml' order by ordinal_position"))
        .containsExactly("id", "name", "updated_at", "version_id", "changed_at", "start_at", "end_at");
    String q = "select id, name, cast(start_at as varchar), cast(end_at as varchar) from {s}_history.snap_yaml order by id, start_at";
    assertThat(p.rows(q)).containsExactly(
        "1|a|2024-01-01 00:00:00|9999-12-31 00:00:00",
        "2|b|2024-01-01 00:00:00|9999-12-31 00:00:00");

    p.file("seeds/src.csv", "id,name,updated_at\n1,a2,2024-01-03 00:00:00\n");
    p.run("build").ok();
    List<String> rows = p.rows(q);
    assertThat(rows).hasSize(3);
    assertThat(rows.get(0)).isEqualTo("1|a|2024-01-01 00:00:00|2024-01-03 00:00:00");
    assertThat(rows.get(1)).isEqualTo("1|a2|2024-01-03 00:00:00|9999-12-31 00:00:00");
    // 2 was deleted: invalidated at the snapshot time (now), not left current.
    assertThat(p.rows("select count(*) from {s}_history.snap_yaml where id = 2 and end_at > timestamp '2024-06-01'"
        + " and end_at < timestamp '9999-01-01'")).containsExactly("1");
    List<String> all = p.rows("select * from {s}_history.snap_yaml order by version_id");
    p.run("snapshot").ok();
    assertThat(p.rows("select * from {s}_history.snap_yaml order by version_id")).containsExactlyElementsOf(all);

    // The manifest holds the snapshot (and validates against dbt's schema); compiled code is the generated select.
    JsonNode node = p.json("target/manifest.json").path("nodes").path("snapshot.snap_yaml.snap_yaml");
    assertThat(node.path("resource_type").asText()).isEqualTo("snapshot");
    assertThat(node.path("schema").asText()).isEqualTo(p.schema + "_history");
    assertThat(node.path("description").asText()).isEqualTo("History of src");
    assertThat(node.path("raw_code").asText()).isEqualTo("select * from {{ ref('src') }}");
    assertThat(node.path("config").path("strategy").asText()).isEqualTo("timestamp");
    assertThat(node.path("depends_on").path("nodes").toString()).contains("seed.snap_yaml.src");
    ArtifactSchemas.assertValid(tmp.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
    assertThat(p.read("target/compiled/snap_yaml/snapshots/props.yml/snap_yaml.sql")).contains("\"src\"");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void widerSourceColumnsWidenTheSnapshotColumns(Engine engine, @TempDir Path tmp) {
    String model = "{{ config(materialized='table') }}\nselect 1 as id, cast('%s' as varchar(%d)) as name,"
        + " cast(%s as numeric(%d,%d)) as amount, cast('%s' as timestamp) as updated_at\n";
    EngineProject p = EngineProject.create(engine, tmp, "snap_wide", "")
        .file("models/src.sql", model.formatted("short", 10, "12.5", 10, 2, "2024-01-01 00:00:00"))
        .file("snapshots/snap_ts.sql", TS_SNAPSHOT);
    p.run("build").ok();
    String types = "select column_name, coalesce(cast(character_maximum_length as varchar), '-'), coalesce(cast(numeric_precision as varchar), '-'),"
        + " coalesce(cast(numeric_scale as varchar), '-') from information_schema.columns where table_schema = '{s}'"
        + " and table_name = 'snap_ts' and column_name in ('name', 'amount') order by column_name";
    assertThat(p.rows(types)).containsExactly("amount|-|10|2", engine == Engine.POSTGRES ? "name|10|-|-" : "name|-|-|-");

    // The source's varchar grows to 50 and its numeric to (14,4): the snapshot's columns are widened, not failed.
    String longName = "a name much longer than ten characters";
    p.file("models/src.sql", model.formatted(longName, 50, "1234567890.1234", 14, 4, "2024-02-01 00:00:00"));
    p.run("build").ok();
    assertThat(p.rows(types)).containsExactly("amount|-|14|4", engine == Engine.POSTGRES ? "name|50|-|-" : "name|-|-|-");
    assertThat(p.rows("select name, cast(amount as varchar) from {s}.snap_ts order by dbt_valid_from"))
        .containsExactly("short|12.5000", longName + "|1234567890.1234");
    assertThat(p.read("target/run/snap_wide/snapshots/snap_ts.sql"))
        .satisfiesAnyOf(sql -> assertThat(sql).containsIgnoringCase("alter column \"amount\" type numeric(14,4)"),
            sql -> assertThat(sql).containsIgnoringCase("alter column \"amount\" type decimal(14,4)"));
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void aFailingRunLeavesTheSnapshotTableAsItWas(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "snap_fail", "")
        .file("seeds/src.csv", "id,amount,updated_at\n1,10,2024-01-01 00:00:00\n2,20,2024-01-01 00:00:00\n")
        .file("snapshots/snap_ts.sql", TS_SNAPSHOT);
    p.run("build").ok();
    List<String> before = p.rows("select * from {s}.snap_ts order by id");
    assertThat(before).hasSize(2);
    // Row 1 changes and its new amount cannot be stored in the integer column: the version is closed
    // (update) and then the insert fails; the transaction leaves the table as it was.
    p.file("seeds/src.csv", "id,amount,updated_at\n1,x,2024-01-02 00:00:00\n2,20,2024-01-01 00:00:00\n");
    TestProject.Result r = p.run("build").exits(1);
    assertThat(r.out() + r.err()).contains("snap_ts");
    assertThat(p.read("target/run/snap_fail/snapshots/snap_ts.sql")).contains("update ").contains("insert into ");
    assertThat(p.rows("select * from {s}.snap_ts order by id")).containsExactlyElementsOf(before);
    // With a good source again, the run completes from the intact table.
    p.file("seeds/src.csv", "id,amount,updated_at\n1,11,2024-01-02 00:00:00\n2,20,2024-01-01 00:00:00\n");
    p.run("build").ok();
    assertThat(p.rows("select id, amount, dbt_valid_to is null from {s}.snap_ts order by id, dbt_valid_from"))
        .containsExactly("1|10|false", "1|11|true", "2|20|true");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void buildOrderSelectionListingAndRefFromModels(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "snap_dag", """
            snapshots:
              snap_dag:
                more:
                  +tags: ['hist']
            """)
        .file("seeds/src.csv", "id,name,updated_at\n1,a,2024-01-01 00:00:00\n2,b,2024-01-01 00:00:00\n")
        .file("snapshots/snap_ts.sql", TS_SNAPSHOT)
        .file("snapshots/more/two.sql", """
            {% snapshot snap_two %}
            {{ config(unique_key='id', strategy='check', check_cols='all', schema='hist') }}
            select id, name from {{ ref('src') }}
            {% endsnapshot %}

            {% snapshot snap_three %}
            {{ config(unique_key='id', strategy='check', check_cols=['name'], alias='third') }}
            select id, name from {{ ref('src') }} where id = 1
            {% endsnapshot %}
            """)
        .file("models/current_names.sql", """
            {{ config(materialized='table') }}
            select id, name from {{ ref('snap_ts') }} where dbt_valid_to is null
            """);
    TestProject.Result r = p.run("build").ok();
    List<String> lines = r.lines();
    int snap = indexOf(lines, "OK snapshotted " + p.schema + ".snap_ts");
    int model = indexOf(lines, "OK created sql table model " + p.schema + ".current_names");
    int seed = indexOf(lines, "OK loaded seed file " + p.schema + ".src");
    assertThat(seed).isLessThan(snap);
    assertThat(snap).isLessThan(model);
    assertThat(p.rows("select id, name from {s}.current_names order by id")).containsExactly("1|a", "2|b");
    // schema= goes through generate_schema_name (<target schema>_hist); alias names the table.
    assertThat(p.rows("select count(*) from {s}_hist.snap_two")).containsExactly("2");
    assertThat(p.rows("select count(*) from {s}.third")).containsExactly("1");

    assertThat(p.run("ls", "--resource-type", "snapshot").ok().lines())
        .contains("snap_dag.more.snap_three", "snap_dag.more.snap_two", "snap_dag.snap_ts");
    assertThat(p.run("ls", "-s", "resource_type:snapshot", "--output", "name").ok().lines())
        .containsExactlyInAnyOrder("snap_three", "snap_two", "snap_ts");
    assertThat(p.run("ls", "-s", "snap_ts+", "--output", "name").ok().lines()).containsExactlyInAnyOrder("snap_ts", "current_names");
    // dbt_project.yml snapshots: config tree applies per folder.
    assertThat(p.run("ls", "-s", "tag:hist", "--output", "name").ok().lines()).containsExactlyInAnyOrder("snap_three", "snap_two");

    // weir snapshot -s runs the selected snapshot only.
    p.file("seeds/src.csv", "id,name,updated_at\n1,a,2024-01-01 00:00:00\n2,b2,2024-01-05 00:00:00\n");
    p.run("seed").ok();
    r = p.run("snapshot", "-s", "snap_ts").ok();
    assertThat(r.out()).contains("snap_ts").doesNotContain("snap_two");
    assertThat(p.rows("select count(*) from {s}.snap_ts")).containsExactly("3");
    assertThat(p.rows("select count(*) from {s}_hist.snap_two")).containsExactly("2");
    JsonNode results = p.json("target/run_results.json").path("results");
    assertThat(results.size()).isEqualTo(1);
    assertThat(results.get(0).path("unique_id").asText()).isEqualTo("snapshot.snap_dag.snap_ts");
    ArtifactSchemas.assertValid(tmp.resolve("target/manifest.json"), ArtifactSchemas.MANIFEST);
    ArtifactSchemas.assertValid(tmp.resolve("target/run_results.json"), ArtifactSchemas.RUN_RESULTS);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void badSnapshotConfigsAreProjectErrors(Engine engine, @TempDir Path tmp) {
    EngineProject p = EngineProject.create(engine, tmp, "snap_bad", "")
        .file("snapshots/s.sql", """
            {% snapshot s %}
            {{ config(strategy='timestamp', unique_key='id') }}
            select 1 as id
            {% endsnapshot %}
            """);
    TestProject.Result r = p.run("snapshot").exits(2);
    assertThat(r.out() + r.err()).contains("snapshots/s.sql").contains("updated_at");
    p.file("snapshots/s.sql", """
        {% snapshot s %}
        {{ config(strategy='check', unique_key='id', check_cols=['id'], hard_deletes='sometimes') }}
        select 1 as id
        {% endsnapshot %}
        """);
    r = p.run("parse").exits(2);
    assertThat(r.out() + r.err()).contains("snapshots/s.sql:2").contains("hard_deletes");
  }

  // ------------------------------------------------------------------ helpers

  private static int indexOf(List<String> lines, String needle) {
    for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(needle)) return i;
    throw new AssertionError("no line contains '" + needle + "' in:\n" + String.join("\n", lines));
  }

  /**
   * The snapshot's rows as {@code cols|valid_from|valid_to}, ordered by the key columns and
   * valid_from, with every distinct timestamp replaced by T1, T2, ... in time order.
   */
  private static List<String> labelled(EngineProject p, String table, String cols) {
    List<List<Object>> rows = p.query("select " + cols + ", cast(dbt_valid_from as varchar), cast(dbt_valid_to as varchar) from "
        + table + " order by " + cols.split(",")[0] + ", " + cols.split(",")[1] + ", dbt_valid_from");
    TreeSet<String> times = new TreeSet<>();
    for (List<Object> r : rows) {
      for (int i = r.size() - 2; i < r.size(); i++) if (r.get(i) != null) times.add(String.valueOf(r.get(i)));
    }
    List<String> order = new ArrayList<>(times);
    List<String> out = new ArrayList<>();
    for (List<Object> r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < r.size(); i++) {
        if (i > 0) sb.append('|');
        Object v = r.get(i);
        sb.append(i >= r.size() - 2 && v != null ? "T" + (order.indexOf(String.valueOf(v)) + 1) : String.valueOf(v));
      }
      out.add(sb.toString());
    }
    return out;
  }

  private static String md5(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
