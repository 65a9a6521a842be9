package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * dbt's selection syntax through {@code ls} (cheap) and {@code run} (what gets built). The graph:
 *
 * <pre>
 *   seed raw_a ------> stg_a --+--> fct --> rpt
 *   source raw.events -> stg_b +
 *                      stg_a ----> dim
 * </pre>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SelectionE2ETest {
  TestProject p;

  @BeforeAll
  void write(@TempDir Path tmp) {
    p = TestProject.create(tmp, "sel", """
        models:
          sel:
            staging:
              +materialized: view
              +tags: [staging]
            marts:
              +materialized: table
        """)
        .file("seeds/raw_a.csv", "id,v\n1,10\n2,20\n")
        .file("models/staging/sources.yml", """
            version: 2
            sources:
              - name: raw
                schema: raw_data
                tables:
                  - name: events
            """)
        .file("models/staging/stg_a.sql", "select id, v from {{ ref('raw_a') }}\n")
        .file("models/staging/stg_b.sql", "select id, kind from {{ source('raw', 'events') }}\n")
        .file("models/marts/fct.sql", """
            {{ config(tags=['nightly']) }}
            select a.id, a.v, count(b.kind) as events
            from {{ ref('stg_a') }} a left join {{ ref('stg_b') }} b using (id)
            group by a.id, a.v
            """)
        .file("models/marts/dim.sql", "select distinct id from {{ ref('stg_a') }}\n")
        .file("models/marts/rpt.sql", "{{ config(materialized='view') }}\nselect sum(events) as e from {{ ref('fct') }}\n")
        .file("models/marts/schema.yml", """
            version: 2
            models:
              - name: fct
                columns:
                  - name: id
                    data_tests: [unique]
            """)
        .file("selectors.yml", """
            selectors:
              - name: nightly
                definition: "tag:nightly"
              - name: staging_and_dim
                definition:
                  union:
                    - method: tag
                      value: staging
                    - method: fqn
                      value: dim
              - name: all_but_reports
                default: true
                definition:
                  union:
                    - method: fqn
                      value: "*"
                    - exclude:
                        - method: fqn
                          value: rpt
            """);
  }

  /** Names of the selected models and seeds. */
  List<String> models(String... selection) {
    List<String> args = new ArrayList<>(List.of("ls", "--resource-type", "model", "seed", "--output", "name"));
    args.addAll(List.of(selection));
    return p.run(args.toArray(String[]::new)).ok().lines();
  }

  @Test
  void byName() {
    assertThat(models("-s", "fct")).containsExactlyInAnyOrder("fct");
    assertThat(models("-s", "stg_a", "dim")).containsExactlyInAnyOrder("stg_a", "dim");
    assertThat(models("-s", "stg_a", "-s", "dim")).containsExactlyInAnyOrder("stg_a", "dim");
  }

  @Test
  void graphOperators() {
    assertThat(models("-s", "+fct")).containsExactlyInAnyOrder("raw_a", "stg_a", "stg_b", "fct");
    assertThat(models("-s", "fct+")).containsExactlyInAnyOrder("fct", "rpt");
    assertThat(models("-s", "1+fct")).containsExactlyInAnyOrder("stg_a", "stg_b", "fct");
    assertThat(models("-s", "raw_a+1")).containsExactlyInAnyOrder("raw_a", "stg_a");
    // @stg_b: stg_b, its descendants (fct, rpt) and all their ancestors (stg_a, raw_a) - not dim.
    assertThat(models("-s", "@stg_b")).containsExactlyInAnyOrder("raw_a", "stg_a", "stg_b", "fct", "rpt");
  }

  @Test
  void methods() {
    assertThat(models("-s", "tag:staging")).containsExactlyInAnyOrder("stg_a", "stg_b");
    assertThat(models("-s", "tag:nightly")).containsExactlyInAnyOrder("fct");
    assertThat(models("-s", "path:models/marts")).containsExactlyInAnyOrder("fct", "dim", "rpt");
    assertThat(models("-s", "path:models/staging/stg_a.sql")).containsExactlyInAnyOrder("stg_a");
    assertThat(models("-s", "config.materialized:view")).containsExactlyInAnyOrder("stg_a", "stg_b", "rpt");
    assertThat(models("-s", "config.materialized:table")).containsExactlyInAnyOrder("fct", "dim");
    assertThat(models("-s", "resource_type:seed")).containsExactlyInAnyOrder("raw_a");
    assertThat(models("-s", "source:raw+")).containsExactlyInAnyOrder("stg_b", "fct", "rpt");
    assertThat(models("-s", "sel.marts.*")).containsExactlyInAnyOrder("fct", "dim", "rpt");
    assertThat(p.run("ls", "-s", "source:raw").ok().lines()).containsExactly("source:sel.staging.raw.events"); // fqn holds the YAML file's folder, as in dbt
  }

  @Test
  void intersectionAndExclude() {
    assertThat(models("-s", "+dim,tag:staging")).containsExactlyInAnyOrder("stg_a");
    assertThat(models("-s", "path:models/marts,config.materialized:table")).containsExactlyInAnyOrder("fct", "dim");
    assertThat(models("-s", "path:models", "--exclude", "tag:staging")).containsExactlyInAnyOrder("fct", "dim", "rpt");
    assertThat(models("-s", "+rpt", "--exclude", "stg_b+")).containsExactlyInAnyOrder("raw_a", "stg_a");
  }

  @Test
  void testsFollowTheirModels() {
    List<String> withTests = p.run("ls", "-s", "fct", "--output", "name").ok().lines();
    assertThat(withTests).containsExactlyInAnyOrder("fct", "unique_fct_id");
    List<String> empty = p.run("ls", "-s", "fct", "--output", "name", "--indirect-selection", "empty").ok().lines();
    assertThat(empty).containsExactly("fct");
  }

  @Test
  void selectorsFromSelectorsYml() {
    assertThat(models("--selector", "nightly")).containsExactlyInAnyOrder("fct");
    assertThat(models("--selector", "staging_and_dim")).containsExactlyInAnyOrder("stg_a", "stg_b", "dim");
    // No -s: the default selector applies (everything but rpt).
    assertThat(models()).containsExactlyInAnyOrder("raw_a", "stg_a", "stg_b", "fct", "dim");
    // An explicit -s overrides the default selector.
    assertThat(models("-s", "rpt")).containsExactly("rpt");
    p.run("ls", "--selector", "no_such_selector").exits(2);
  }

  @Test
  void runBuildsOnlyTheSelection(@TempDir Path tmp) {
    TestProject q = TestProject.copyOf(p.dir, tmp);
    q.delete("selectors.yml");
    TestProject.execute(q.db(), "create schema raw_data",
        "create table raw_data.events as select * from (values (1, 'click'), (1, 'view'), (2, 'click')) t(id, kind)");
    q.run("build", "-s", "+dim").ok();
    assertThat(q.relationExists("main", "dim")).isTrue();
    assertThat(q.relationExists("main", "stg_a")).isTrue();
    assertThat(q.relationExists("main", "fct")).isFalse();
    assertThat(q.relationExists("main", "stg_b")).isFalse();
    q.run("run", "-s", "fct+", "stg_b").ok();
    // Source rows: id 1 has two events, id 2 one.
    assertThat(q.rows("select id, v, events from main.fct order by id")).containsExactly("1|10|2", "2|20|1");
    assertThat(q.rows("select e from main.rpt")).containsExactly("3");
  }

  @Test
  void aSelectionThatMatchesNothingWarns() {
    TestProject.Result r = p.run("run", "-s", "no_such_model").ok();
    assertThat(r.out()).contains("does not match any enabled nodes").contains("Nothing to do");
  }
}
