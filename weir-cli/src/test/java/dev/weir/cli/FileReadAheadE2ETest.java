package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.core.execute.Options;
import dev.weir.core.execute.Workspace;
import dev.weir.core.project.FilePrefetch;
import dev.weir.core.project.Node;
import dev.weir.core.project.Project;
import dev.weir.core.project.UpToDate;
import dev.weir.core.util.Console;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weir parse} reads, hashes and parses a project's SQL files on a thread of its own while the command line is
 * read: the project it loads from them must be the project a load without them gives, and a file that does not parse
 * must be reported as it is without them.
 */
class FileReadAheadE2ETest {

  private static TestProject project(Path dir) {
    TestProject p = TestProject.create(dir, "ra", "vars:\n  factor: 3\n")
        .file("macros/times.sql", "{% macro times(x) %}({{ x }} * {{ var('factor') }}){% endmacro %}\n")
        .file("models/base.sql", "select 1 as id, 10 as amount\n")
        .file("snapshots/snap.sql", "\n{% snapshot snap %}\n{{ config(unique_key='id', strategy='check', check_cols='all', target_schema='main') }}\n"
            + "select * from {{ ref('base') }}\n{% endsnapshot %}\n")
        .file("tests/positive.sql", "select * from {{ ref('base') }} where amount < 0\n")
        .file("analyses/look.sql", "select count(*) from {{ ref('base') }}\n");
    for (int i = 0; i < 60; i++) {
      p.file("models/g" + (i % 3) + "/m" + i + ".sql", "{{ config(tags=['t" + (i % 4) + "']) }}\n"
          + "{% set cols = ['id', 'amount'] %}\n"
          + "select {% for c in cols %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}, {{ times('amount') }} as scaled\n"
          + "from {{ ref('" + (i == 0 ? "base" : "m" + (i - 1)) + "') }}\n");
    }
    return p;
  }

  private static Workspace workspace(Path dir) {
    Console quiet = new Console(new PrintStream(OutputStream.nullOutputStream()), false, Console.Format.TEXT, false, true, "test");
    return new Workspace(Options.defaults("parse", dir, Map.of("HOME", dir.resolve("no-home").toString())), quiet);
  }

  /** Everything the parse decides about each node, by id. */
  private static Map<String, String> described(Project p) {
    Map<String, String> out = new TreeMap<>();
    for (Node n : p.nodes().values()) {
      out.put(n.uniqueId, String.join(" | ", n.originalFilePath, String.valueOf(n.checksum), String.valueOf(n.rawCode),
          String.valueOf(new TreeMap<>(n.config)), String.valueOf(new ArrayList<>(n.dependsOnNodes)),
          String.valueOf(new ArrayList<>(n.dependsOnMacros)), String.valueOf(n.relationName)));
    }
    return out;
  }

  private static Map<String, long[]> snapshot(Path dir) {
    try {
      return UpToDate.snapshot(dir.toAbsolutePath().normalize(), "target");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aProjectLoadedFromFilesReadAheadIsTheProjectLoadedWithoutThem(@TempDir Path tmp) throws Exception {
    Path dir = project(tmp).dir;
    FilePrefetch ahead = new FilePrefetch(dir.toAbsolutePath().normalize());
    // what the command gives it: the project's files as the up-to-date snapshot found them (its folders listed from it)
    ahead.start(() -> snapshot(dir));
    assertThat(ahead.await(30_000)).isTrue();
    assertThat(ahead.parsed()).isEqualTo(65); // every .sql file (61 models, a macro, a snapshot, a test, an analysis), not the YAML

    Workspace with = workspace(dir);
    with.useFilePrefetch(ahead);
    Project read = with.loaded().project();
    assertThat(ahead.taken()).isEqualTo(65); // each file was taken from what was read ahead, not read again
    Workspace without = workspace(dir);
    Project plain = without.loaded().project();

    assertThat(read.nodes()).hasSize(64); // 61 models, a snapshot, a singular test, an analysis
    assertThat(described(read)).isEqualTo(described(plain));
    // and what rendering a node from a template parsed ahead gives
    Node m3 = read.nodes().get("model.ra.m3");
    assertThat(m3.dependsOnNodes).containsExactly("model.ra.m2");
    assertThat(m3.tags).containsExactly("t3");
    with.close();
    without.close();
  }

  @Test
  void aFileThatDoesNotParseIsReportedAsWithoutReadingAhead(@TempDir Path tmp) throws Exception {
    TestProject p = project(tmp).file("models/broken.sql", "select 1\n{% if %}\nas x\n");
    Path dir = p.dir;
    FilePrefetch ahead = new FilePrefetch(dir.toAbsolutePath().normalize());
    ahead.start(() -> Map.of("models/broken.sql", new long[] {0, 0, 1}, "models/base.sql", new long[] {0, 0, 1}));
    assertThat(ahead.await(30_000)).isTrue();
    assertThat(ahead.parsed()).isEqualTo(1); // base.sql; broken.sql is left to the loader

    Workspace with = workspace(dir);
    with.useFilePrefetch(ahead);
    Workspace without = workspace(dir);
    String plainMessage;
    try {
      without.loaded();
      throw new AssertionError("the broken model loaded");
    } catch (WeirException e) {
      plainMessage = e.describe();
    }
    assertThat(plainMessage).contains("models/broken.sql").contains("2");
    assertThatThrownBy(with::loaded).isInstanceOf(WeirException.class)
        .satisfies(e -> assertThat(((WeirException) e).describe()).isEqualTo(plainMessage));
    with.close();
    without.close();
  }

  @Test
  void theCommandGivesTheSameManifestWhateverWasReadAhead(@TempDir Path tmp) {
    TestProject p = project(tmp);
    p.run("parse", "--no-parse-cache").ok();
    String first = p.json("target/manifest.json").path("nodes").toString();
    p.file("models/g1/m7.sql", "select 7 as id from {{ ref('base') }}\n");
    p.run("parse").ok();
    assertThat(p.json("target/manifest.json").path("nodes").path("model.ra.m7").path("depends_on").path("nodes").toString())
        .isEqualTo("[\"model.ra.base\"]");
    p.file("models/g1/m7.sql", "{{ config(tags=['t3']) }}\n{% set cols = ['id', 'amount'] %}\n"
        + "select {% for c in cols %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}, {{ times('amount') }} as scaled\n"
        + "from {{ ref('m6') }}\n");
    p.run("parse").ok();
    String nodes = p.json("target/manifest.json").path("nodes").toString();
    // the same nodes as the first parse, created_at aside
    assertThat(nodes.replaceAll("\"created_at\":[0-9.E]+", "")).isEqualTo(first.replaceAll("\"created_at\":[0-9.E]+", ""));
  }
}
