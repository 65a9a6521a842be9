package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** run, seed, test and build: what runs, what is skipped, exit codes, and what the terminal shows. */
class BuildE2ETest {

  /** A chain seed -> base (view) -> mid (table) -> top (table), plus a side model. */
  static TestProject chain(Path dir) {
    return TestProject.create(dir, "chain", """
        models:
          chain:
            +materialized: table
        """)
        .file("seeds/nums.csv", """
            n,label
            1,one
            2,two
            3,three
            4,four
            """)
        .file("models/base.sql", "{{ config(materialized='view') }}\nselect n, label from {{ ref('nums') }}\n")
        .file("models/mid.sql", "select n * 10 as n10, label from {{ ref('base') }}\n")
        .file("models/top.sql", "select sum(n10) as total from {{ ref('mid') }}\n")
        .file("models/side.sql", "select count(*) as c from {{ ref('nums') }}\n");
  }

  @Test
  void testsOnADisabledModelAreDisabledWithIt(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "toggles", "")
        .file("models/live.sql", "{{ config(enabled=var('live', false)) }}\nselect 1 as id\n")
        .file("models/always.sql", "select 2 as id\n")
        .file("models/schema.yml", """
            version: 2
            models:
              - name: live
                columns:
                  - name: id
                    data_tests: [unique, not_null]
              - name: always
                columns:
                  - name: id
                    data_tests: [unique]
            """);
    TestProject.Result off = p.run("build").ok();
    assertThat(off.out()).contains("PASS=2").doesNotContain("live");
    assertThat(p.run("ls", "--resource-type", "test", "--output", "name").ok().out().lines()).containsExactly("unique_always_id");
    TestProject.Result on = p.run("build", "--vars", "{live: true}").ok();
    assertThat(on.out()).contains("PASS=5");
  }

  @Test
  void buildPrintsOneStartAndOneResultLinePerNodeAndTheSummary(@TempDir Path tmp) {
    TestProject p = chain(tmp);
    TestProject.Result r = p.run("build").ok();
    // 1 seed + 4 models (base is a view: no table for it, but it is a node that runs).
    List<String> lines = r.lines();
    for (String node : List.of("main.nums", "main.base", "main.mid", "main.top", "main.side")) {
      assertThat(lines.stream().filter(l -> l.contains(" START ") && l.contains(node + " ")).count()).as(node).isEqualTo(1);
      assertThat(lines.stream().filter(l -> l.matches(".*\\d+ of 5 OK .*") && l.contains(node + " ")).count()).as(node).isEqualTo(1);
    }
    // "N of 5" numbers each START once, 1..5.
    Pattern start = Pattern.compile("(\\d+) of 5 START");
    List<Integer> idx = lines.stream().map(start::matcher).filter(Matcher::find).map(m -> Integer.parseInt(m.group(1))).sorted().toList();
    assertThat(idx).containsExactly(1, 2, 3, 4, 5);
    assertThat(r.out()).contains("Done. PASS=5 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=5");
    // Not a terminal and NO_COLOR: no escape codes.
    assertThat(r.out()).doesNotContain("\u001b[");
    // The seed line says how many rows were loaded.
    assertThat(lines.stream().filter(l -> l.contains("OK loaded seed file main.nums")).findFirst().orElseThrow()).contains("INSERT 4");
    // The table line reports its rows.
    assertThat(r.out()).containsPattern("OK created sql table model main\\.mid \\.+ \\[4 rows");

    assertThat(p.rows("select total from main.top")).containsExactly("100");
    assertThat(p.rows("select c from main.side")).containsExactly("4");
    assertThat(p.read("logs/weir.log")).contains("Done. PASS=5");
  }

  @Test
  void seedRunAndTestCommandsEachDoTheirPart(@TempDir Path tmp) {
    TestProject p = chain(tmp).file("models/schema.yml", """
        version: 2
        models:
          - name: mid
            columns:
              - name: n10
                data_tests: [unique, not_null]
        """);
    TestProject.Result seed = p.run("seed").ok();
    assertThat(seed.out()).contains("TOTAL=1");
    assertThat(p.rows("select count(*) from main.nums")).containsExactly("4");
    assertThat(p.relationExists("main", "mid")).isFalse();

    TestProject.Result run = p.run("run").ok();
    assertThat(run.out()).contains("TOTAL=4").doesNotContain("unique_mid_n10");
    assertThat(p.rows("select n10 from main.mid order by n10")).containsExactly("10", "20", "30", "40");

    TestProject.Result test = p.run("test").ok();
    assertThat(test.out()).contains("PASS=2").contains("TOTAL=2");
    assertThat(test.lines().stream().filter(l -> l.contains("PASS") && l.contains("unique_mid_n10")).count()).isEqualTo(1);
  }

  @Test
  void aFailingTestExitsOneAndAWarnTestExitsZero(@TempDir Path tmp) {
    TestProject p = chain(tmp)
        // Two labels are longer than 3 characters: three, four.
        .file("tests/short_labels.sql", "select * from {{ ref('mid') }} where length(label) > 3\n");
    p.run("build").exits(1);
    TestProject.Result r = p.run("test");
    r.exits(1);
    assertThat(r.lines().stream().filter(l -> l.contains("FAIL 2") && l.contains("short_labels")).count()).as(r.toString()).isEqualTo(1);
    // dbt's result line: "HH:MM:SS  N of M FAIL 2 ..." (no "Error:" in front of it).
    assertThat(r.lines()).anyMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d  1 of 1 FAIL 2 .*short_labels.*"));
    assertThat(r.out()).contains("Failure in test short_labels").contains("ERROR=1");

    p.file("tests/short_labels.sql", "{{ config(severity='warn') }}\nselect * from {{ ref('mid') }} where length(label) > 3\n");
    TestProject.Result w = p.run("test").ok();
    assertThat(w.lines().stream().filter(l -> l.contains("WARN 2") && l.contains("short_labels")).count()).as(w.toString()).isEqualTo(1);
    assertThat(w.out()).contains("WARN=1").contains("ERROR=0");

    // warn_if / error_if thresholds from YAML config: error only above 5 failures.
    p.file("tests/short_labels.sql", "{{ config(error_if='>5', warn_if='>1') }}\nselect * from {{ ref('mid') }} where length(label) > 3\n");
    TestProject.Result t = p.run("test").ok();
    assertThat(t.out()).contains("WARN=1");
  }

  @Test
  void buildSkipsWhatDependsOnAFailingTest(@TempDir Path tmp) {
    TestProject p = chain(tmp).file("models/schema.yml", """
        version: 2
        models:
          - name: mid
            columns:
              - name: label
                data_tests:
                  - accepted_values:
                      arguments:
                        values: ['one', 'two', 'three']
        """);
    TestProject.Result r = p.run("build");
    r.exits(1);
    // mid is built; its test fails (four is not accepted); top depends on mid and is skipped.
    assertThat(p.rows("select count(*) from main.mid")).containsExactly("4");
    assertThat(p.relationExists("main", "top")).isFalse();
    assertThat(p.rows("select c from main.side")).containsExactly("4");
    assertThat(r.out()).contains("SKIP=1").contains("ERROR=1");
    assertThat(r.lines().stream().filter(l -> l.contains("SKIP") && l.contains("main.top")).count()).isEqualTo(1);

    JsonNode results = p.json("target/run_results.json").path("results");
    Map<String, String> status = new HashMap<>();
    results.forEach(n -> status.put(n.path("unique_id").asText(), n.path("status").asText()));
    assertThat(status).containsEntry("model.chain.top", "skipped").containsEntry("model.chain.mid", "success")
        .containsEntry("model.chain.side", "success");
    assertThat(status.entrySet().stream().filter(e -> e.getKey().startsWith("test.chain.accepted_values")).map(Map.Entry::getValue))
        .containsExactly("fail");

    // With old rows in top, a failing build leaves them in place: top is skipped, not rebuilt.
    p.file("models/schema.yml", "version: 2\n");
    p.run("build").ok();
    assertThat(p.rows("select total from main.top")).containsExactly("100");
    p.file("seeds/nums.csv", "n,label\n1,one\n2,two\n3,three\n4,four\n5,five\n");
    p.file("models/schema.yml", """
        version: 2
        models:
          - name: mid
            columns:
              - name: label
                data_tests:
                  - accepted_values:
                      arguments:
                        values: ['one', 'two', 'three', 'four']
        """);
    p.run("build").exits(1);
    assertThat(p.rows("select count(*) from main.mid")).containsExactly("5");
    assertThat(p.rows("select total from main.top")).containsExactly("100");
  }

  @Test
  void aModelThatFailsAtRuntimeKeepsItsPreviousTable(@TempDir Path tmp) {
    TestProject p = chain(tmp);
    p.run("build").ok();
    assertThat(p.rows("select count(*) from main.mid")).containsExactly("4");

    p.file("seeds/nums.csv", "n,label\n1,one\n");
    // Valid Jinja, but the SQL fails in DuckDB (no such column).
    p.file("models/mid.sql", "select n * 10 as n10, label, no_such_column from {{ ref('base') }}\n");
    TestProject.Result r = p.run("build");
    r.exits(1);
    assertThat(r.out()).contains("Error in model mid").contains("no_such_column");
    // The old table and its four rows are still there; top was skipped and kept its rows.
    assertThat(p.rows("select n10 from main.mid order by n10")).containsExactly("10", "20", "30", "40");
    assertThat(p.rows("select total from main.top")).containsExactly("100");
    // The seed itself did reload: one row now.
    assertThat(p.rows("select count(*) from main.nums")).containsExactly("1");

    // A view that fails keeps the old view too.
    p.file("models/base.sql", "{{ config(materialized='view') }}\nselect n, label, nope from {{ ref('nums') }}\n");
    p.run("run", "-s", "base").exits(1);
    assertThat(p.rows("select count(*) from main.base")).containsExactly("1");
  }

  @Test
  void failFastStopsAfterTheFirstFailure(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "ff", "")
        .file("models/bad.sql", "{{ config(materialized='table') }}\nselect * from no_such_table\n");
    // Ten independent good models; with one thread, at most the ones before 'bad' run.
    for (int i = 0; i < 10; i++) p.file("models/good_" + i + ".sql", "{{ config(materialized='table') }}\nselect " + i + " as i\n");
    TestProject.Result r = p.run("run", "--fail-fast", "--threads", "1");
    r.exits(1);
    JsonNode results = p.json("target/run_results.json").path("results");
    assertThat(results.size()).isEqualTo(11);
    long errors = 0, skipped = 0, success = 0;
    for (JsonNode n : results) {
      switch (n.path("status").asText()) {
        case "error" -> errors++;
        case "skipped" -> skipped++;
        case "success" -> success++;
        default -> throw new AssertionError(n.toString());
      }
    }
    assertThat(errors).isEqualTo(1);
    // Nodes run in unique-id order on one thread, so bad runs first: what had not started is skipped
    // (at most the one node already started when bad failed may finish).
    assertThat(success + skipped).isEqualTo(10);
    assertThat(success).as(r.toString()).isLessThanOrEqualTo(1);
    assertThat(r.out()).contains("ERROR=1").containsPattern("SKIP=(9|10) ");

    // Without --fail-fast every good model is built.
    p.run("run", "--threads", "1").exits(1);
    assertThat(p.rows("select count(*) from information_schema.tables where table_name like 'good_%'")).containsExactly("10");
  }

  @Test
  void oneAndFourThreadsBuildTheSameRows(@TempDir Path a, @TempDir Path b) {
    TestProject one = chain(a);
    TestProject four = chain(b);
    for (int i = 0; i < 6; i++) {
      String sql = "select n + " + i + " as v from {{ ref('mid') }}\n".replace("mid", "base");
      one.file("models/w_" + i + ".sql", sql);
      four.file("models/w_" + i + ".sql", sql);
    }
    TestProject.Result r1 = one.run("build", "--threads", "1").ok();
    TestProject.Result r4 = four.run("build", "--threads", "4").ok();
    assertThat(r1.out()).contains("Concurrency: 1 threads");
    assertThat(r4.out()).contains("Concurrency: 4 threads");
    String q = "select table_name from information_schema.tables where table_schema = 'main' order by 1";
    assertThat(four.rows(q)).isEqualTo(one.rows(q));
    for (int i = 0; i < 6; i++) {
      String s = "select sum(v) from main.w_" + i;
      // sum(n + i) over n = 1..4 = 10 + 4i.
      assertThat(one.rows(s)).containsExactly(String.valueOf(10 + 4 * i));
      assertThat(four.rows(s)).isEqualTo(one.rows(s));
    }
  }

  @Test
  void emptyBuildsRelationsWithoutRows(@TempDir Path tmp) {
    TestProject p = chain(tmp);
    p.run("seed").ok();
    TestProject.Result r = p.run("run", "--empty");
    r.ok();
    // Refs read nothing: the models exist with their columns but no rows.
    assertThat(p.rows("select count(*) from main.mid")).containsExactly("0");
    assertThat(p.rows("select column_name from information_schema.columns where table_name = 'mid' order by ordinal_position"))
        .containsExactly("n10", "label");
    // The seed itself was loaded by seed and keeps its rows.
    assertThat(p.rows("select count(*) from main.nums")).containsExactly("4");
  }

  @Test
  void logFormatJsonPrintsOneObjectPerLine(@TempDir Path tmp) {
    TestProject p = chain(tmp);
    TestProject.Result r = p.run("build", "--log-format", "json").ok();
    assertThat(r.lines()).isNotEmpty();
    int nodeEvents = 0;
    for (String line : r.lines()) {
      JsonNode o = CommandsE2ETest.parse(line);
      assertThat(o.has("level")).as(line).isTrue();
      assertThat(o.has("msg")).as(line).isTrue();
      assertThat(o.path("msg").asText()).doesNotContain("\u001b[");
      if (o.has("node") && o.has("status")) nodeEvents++;
    }
    assertThat(nodeEvents).isEqualTo(5);
    assertThat(r.out()).contains("Done. PASS=5");
    // The id in the log lines is the run's invocation id (as in run_results.json).
    String id = p.json("target/run_results.json").path("metadata").path("invocation_id").asText();
    for (String line : r.lines()) {
      JsonNode o = CommandsE2ETest.parse(line);
      if (o.has("invocation_id")) assertThat(o.path("invocation_id").asText()).as(line).isEqualTo(id);
    }
  }

  @Test
  void debugFlagPrintsDebugLines(@TempDir Path tmp) {
    TestProject p = chain(tmp);
    TestProject.Result quiet = p.run("ls").ok();
    TestProject.Result loud = p.run("ls", "--debug").ok();
    assertThat(loud.lines().size()).isGreaterThan(quiet.lines().size());
    assertThat(loud.out()).contains("Loaded project chain");
    assertThat(quiet.out()).doesNotContain("Loaded project chain");
  }

  @Test
  void aCompileErrorBeforeAnythingRunsExitsTwo(@TempDir Path tmp) {
    TestProject p = chain(tmp).file("models/broken.sql", "select {{ ref('does_not_exist') }}\n");
    TestProject.Result r = p.run("build");
    r.exits(2);
    assertThat(r.out()).contains("does_not_exist");
    assertThat(p.exists("target/weir.duckdb") && p.relationExists("main", "mid")).isFalse();
  }
}
