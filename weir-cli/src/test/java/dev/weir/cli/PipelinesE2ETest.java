package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pipelines through the real CLI on a DuckDB project: a Weir build step (run in-process) and a shell step,
 * the data interval and params reaching both, and the run history in target/weir_meta.sqlite.
 */
class PipelinesE2ETest {

  static TestProject project(Path dir) {
    return TestProject.create(dir, "pipes", null)
        .file("seeds/nums.csv", "n\n1\n2\n3\n")
        .file("models/daily_counts.sql", """
            {{ config(materialized='table', tags=['daily']) }}
            select '{{ var("ds") }}' as ds, '{{ var("data_interval_start") }}' as interval_start,
                   '{{ var("region", "none") }}' as region, count(*) as n
            from {{ ref('nums') }}
            """)
        .file("models/not_daily.sql", "{{ config(materialized='table') }}\nselect 1 as x\n")
        .file("pipelines/daily.yml", """
            description: Builds the daily models, then reports
            params:
              region: eu
            schedule:
              cron: "@daily"
              timezone: Europe/Berlin
            retries: 1
            retry_delay: 100ms
            steps:
              - name: seed
                weir: "seed"
              - name: build
                weir: "build -s tag:daily"
                depends_on: [seed]
              - name: report
                shell: 'echo "$WEIR_DS $WEIR_DATA_INTERVAL_START $WEIR_PARAM_REGION" > report.txt'
                depends_on: [build]
            """);
  }

  @Test
  void triggerRunsWeirAndShellStepsWithTheIntervalAndRecordsTheRun(@TempDir Path tmp) {
    TestProject p = project(tmp);
    TestProject.Result list = p.run("pipeline", "list").ok();
    assertThat(list.out()).contains("daily").contains("@daily (Europe/Berlin)").contains("pipelines/daily.yml")
        .contains("Builds the daily models, then reports");

    TestProject.Result r = p.run("pipeline", "trigger", "daily", "--param", "region=us", "--logical-date", "2024-01-31").ok();
    assertThat(r.out()).contains("Run 1 of pipeline daily: interval [2024-01-30T23:00:00Z, 2024-01-31T23:00:00Z)")
        .contains("(ds 2024-01-31)")
        .containsPattern("START\\s+seed").containsPattern("OK\\s+build in").containsPattern("OK\\s+report in")
        .contains("Run 1 of daily succeeded: 3 success")
        .doesNotContain("Done. PASS"); // the build's own output went to its log file
    // The Weir step built only the tagged model, and Jinja saw the interval and the param through var().
    assertThat(p.rows("select ds, interval_start, region, n from main.daily_counts"))
        .containsExactly("2024-01-31|2024-01-30T23:00:00Z|us|3");
    assertThat(p.relationExists("main", "not_daily")).isFalse();
    assertThat(p.read("report.txt").trim()).isEqualTo("2024-01-31 2024-01-30T23:00:00Z us");
    assertThat(p.read("target/runs/1/build/1.log")).contains("Done. PASS=1").contains("daily_counts");

    TestProject.Result runs = p.run("runs").ok();
    assertThat(runs.out()).containsPattern("1\\s+daily\\s+success\\s+manual\\s+2024-01-30T23:00:00Z");
    TestProject.Result show = p.run("runs", "show", "1").ok();
    assertThat(show.out()).contains("Run 1 of pipeline daily: success")
        .contains("data interval: [2024-01-30T23:00:00Z, 2024-01-31T23:00:00Z)")
        .contains("params:        {region=us}")
        .containsPattern("seed\\s+1\\s+success\\s+\\d+\\.\\d\\ds\\s+0\\s+target/runs/1/seed/1.log")
        .containsPattern("build\\s+1\\s+success\\s+\\d+\\.\\d\\ds\\s+0\\s+target/runs/1/build/1.log")
        .containsPattern("report\\s+1\\s+success");
  }

  @Test
  void aFailingWeirStepFailsTheRunAfterItsRetriesAndSkipsWhatDependsOnIt(@TempDir Path tmp) {
    TestProject p = project(tmp).file("models/daily_counts.sql", "{{ config(tags=['daily']) }}\nselect * from no_such_table\n");
    TestProject.Result r = p.run("pipeline", "trigger", "daily").exits(1);
    assertThat(r.out()).containsPattern("UP_FOR_RETRY\\s+build: weir build exited with 1")
        .containsPattern("FAILED\\s+build: weir build exited with 1")
        .containsPattern("UPSTREAM_FAILED\\s+report: upstream step 'build' failed")
        .contains("Run 1 of daily failed: 1 success, 1 failed, 1 upstream_failed");
    assertThat(p.exists("report.txt")).isFalse();
    assertThat(p.read("target/runs/1/build/2.log")).contains("no_such_table");
    TestProject.Result show = p.run("runs", "show", "1").ok();
    assertThat(show.out()).contains("Run 1 of pipeline daily: failed")
        .containsPattern("build\\s+1\\s+up_for_retry\\s+\\S+\\s+1\\s+weir build exited with 1\\s+target/runs/1/build/1.log")
        .containsPattern("build\\s+2\\s+failed\\s+\\S+\\s+1\\s+weir build exited with 1\\s+target/runs/1/build/2.log")
        .containsPattern("report\\s+1\\s+upstream_failed\\s+upstream step 'build' failed");
  }

  @Test
  void aWeirStepThatOverrunsItsTimeoutIsInterruptedAndTheNextStepsRun(@TempDir Path tmp) {
    TestProject p = project(tmp)
        .file("models/slow.sql", "{{ config(materialized='table') }}\nselect count(*) as n from range(40000000000) t(i) where i % 7 = 3\n")
        .file("pipelines/slow.yml", """
            steps:
              - {name: slow, weir: "run -s slow", timeout: 2s}
              - {name: cleanup, shell: "echo done > cleanup.txt", depends_on: []}
              - {name: fast, weir: "run -s not_daily", depends_on: [cleanup]}
            """);
    long t0 = System.nanoTime();
    TestProject.Result r = p.run("pipeline", "trigger", "slow").exits(1);
    double secs = (System.nanoTime() - t0) / 1e9;
    assertThat(r.out()).containsPattern("FAILED\\s+slow: timed out after 2s").containsPattern("OK\\s+fast in");
    // The query alone would take minutes: the step was stopped, and the warehouse was free for the next Weir step.
    assertThat(secs).isLessThan(30);
    assertThat(p.rows("select x from main.not_daily")).containsExactly("1");
    assertThat(p.relationExists("main", "slow")).isFalse();
  }

  @Test
  void mistakesGetOneClearMessage(@TempDir Path tmp) {
    TestProject p = project(tmp);
    TestProject.Result unknown = p.run("pipeline", "trigger", "dayly").exits(2);
    assertThat(unknown.err()).contains("No pipeline named 'dayly'. Did you mean 'daily'?");
    TestProject.Result param = p.run("pipeline", "trigger", "daily", "--param", "regoin=x").exits(2);
    assertThat(param.err()).contains("Pipeline 'daily' has no parameter 'regoin'. Did you mean 'region'?");
    TestProject.Result noRun = p.run("runs", "show", "7").exits(2);
    assertThat(noRun.err()).contains("No run 7");
    p.file("pipelines/broken.yml", "steps:\n  - name: a\n    shel: 'true'\n");
    TestProject.Result broken = p.run("pipeline", "list").exits(2);
    assertThat(broken.err()).contains("pipelines/broken.yml:3: Unknown key 'shel' in step. Did you mean 'shell'?");
  }

  @Test
  void aSourceFreshnessSensorHoldsItsDownstreamUntilTheSourceIsFresh(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "sensing", null)
        .file("models/sources.yml", """
            version: 2
            sources:
              - name: raw
                schema: main
                loaded_at_field: loaded_at
                freshness:
                  error_after: {count: 1, period: hour}
                tables:
                  - name: events
            """)
        .file("models/events.sql", "{{ config(materialized='table') }}\nselect 1 as id, now() as loaded_at\n")
        .file("pipelines/fresh.yml", """
            steps:
              - name: wait_fresh
                sensor: {source_freshness: raw.events, poke_interval: 200ms, timeout: 2m}
              - {name: report, depends_on: [wait_fresh], shell: "date +%s%N > report-ran"}
              - {name: pause, shell: "sleep 1"}
              - {name: load, depends_on: [pause], weir: "run -s events"}
            """);
    TestProject.Result r = p.run("pipeline", "trigger", "fresh").ok();
    assertThat(r.out()).contains("sensor waiting: source freshness of raw.events did not pass")
        .contains("Run 1 of fresh succeeded: 4 success");
    String log = p.read("target/runs/1/wait_fresh/1.log");
    assertThat(log).contains("source freshness of raw.events did not pass").contains("source freshness of raw.events passed: condition met");
    // the downstream step started only after the table was loaded
    TestProject.Result show = p.run("runs", "show", "1").ok();
    assertThat(show.out()).containsPattern("wait_fresh\\s+1\\s+success").containsPattern("report\\s+1\\s+success");
    assertThat(p.read("target/runs/1/load/1.log")).contains("events");
    assertThat(p.read("report-ran")).isNotBlank();
  }

  @Test
  void runsAreRecordedInAPostgresMetadataStoreWhenOneIsGiven(@TempDir Path tmp) {
    TestProject p = project(tmp);
    String url = "jdbc:postgresql://localhost:" + SharedPostgres.get().getPort() + "/postgres?user=postgres&currentSchema=meta_pipes";
    p.run("pipeline", "trigger", "daily", "--logical-date", "2024-01-31", "--metadata-store", url).ok();
    p.env.put("WEIR_METADATA_STORE", url);
    assertThat(p.run("runs", "show", "1").ok().out()).contains("Run 1 of pipeline daily: success").containsPattern("report\\s+1\\s+success");
    assertThat(p.dir.resolve("target/weir_meta.sqlite")).doesNotExist();
    TestProject.Result bad = p.run("runs", "--metadata-store", "jdbc:postgresql://localhost:1/x?user=u&password=hunter2");
    bad.exits(2);
    assertThat(bad.err()).contains("holds a password").doesNotContain("hunter2");
  }
}
