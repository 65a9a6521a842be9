package dev.weir.orchestrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading pipelines/*.yml: every field, and one clear message naming file and line for each mistake. */
class PipelineLoaderTest {
  @TempDir
  Path dir;

  void write(String name, String yaml) throws IOException {
    Files.createDirectories(dir.resolve("pipelines"));
    Files.writeString(dir.resolve("pipelines").resolve(name), yaml);
  }

  String error(String yaml) throws IOException {
    write("bad.yml", yaml);
    try {
      PipelineLoader.load(dir);
    } catch (WeirException e) {
      return e.describe();
    }
    throw new AssertionError("no error for:\n" + yaml);
  }

  @Test
  void readsEveryFieldWithDefaultsAndOverrides() throws IOException {
    write("daily.yml", """
        description: Loads and builds every day
        params:
          region: eu
          limit: 10
        schedule:
          cron: "30 2 * * *"
          timezone: Europe/Berlin
          catchup: true
          start_date: 2024-01-01
          end_date: "2024-12-31T23:00"
        retries: 2
        retry_delay: 30s
        retry_backoff: true
        timeout: 1h
        steps:
          - name: extract
            shell: "echo hi"
          - name: build
            weir: "build -s tag:daily"
            depends_on: [extract]
            retries: 0
            timeout: 90
          - name: ping
            http: {url: "http://localhost:1/x", method: post, expect_status: 204}
            depends_on: build
          - name: wait
            noop: {}
          - name: child
            pipeline: other
        """);
    write("other.yml", "name: other\nsteps:\n  - {name: a, noop: {}}\n");
    Map<String, Pipeline> all = PipelineLoader.load(dir);
    assertThat(all.keySet()).containsExactly("daily", "other");
    Pipeline p = all.get("daily");
    assertThat(p.file()).isEqualTo("pipelines/daily.yml");
    assertThat(p.params()).containsEntry("region", "eu").containsEntry("limit", 10L);
    assertThat(p.schedule().zone()).isEqualTo(ZoneId.of("Europe/Berlin"));
    assertThat(p.schedule().catchup()).isTrue();
    assertThat(p.schedule().startDate()).isEqualTo(Instant.parse("2023-12-31T23:00:00Z"));
    assertThat(p.schedule().endDate()).isEqualTo(Instant.parse("2024-12-31T22:00:00Z"));
    Pipeline.Step extract = p.step("extract");
    assertThat(extract.kind()).isEqualTo(Pipeline.Kind.SHELL);
    assertThat(extract.policy().retries()).isEqualTo(2);
    assertThat(extract.policy().retryDelay()).isEqualTo(Duration.ofSeconds(30));
    assertThat(extract.policy().timeout()).isEqualTo(Duration.ofHours(1));
    Pipeline.Step build = p.step("build");
    assertThat(build.command()).isEqualTo("build -s tag:daily");
    assertThat(build.policy().retries()).isZero();
    assertThat(build.policy().timeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(build.policy().retryBackoff()).isTrue();
    assertThat(p.step("ping").http()).isEqualTo(new Pipeline.Http("http://localhost:1/x", "POST", 204, null));
    assertThat(p.step("ping").dependsOn()).containsExactly("build");
    assertThat(p.step("wait").kind()).isEqualTo(Pipeline.Kind.NOOP);
    assertThat(p.step("child").command()).isEqualTo("other");
    assertThat(p.step("build").line()).isEqualTo(18);
  }

  @Test
  void backoffDoublesTheDelayWithJitterUpToTheCap() {
    Pipeline.Policy pol = new Pipeline.Policy(5, Duration.ofSeconds(10), true, Duration.ofSeconds(60), null);
    java.util.Random r = new java.util.Random(1);
    for (int i = 0; i < 50; i++) {
      assertThat(pol.delayBefore(2, r).toMillis()).isBetween(7_500L, 10_000L);
      assertThat(pol.delayBefore(3, r).toMillis()).isBetween(15_000L, 20_000L);
      assertThat(pol.delayBefore(6, r).toMillis()).isBetween(45_000L, 60_000L);
    }
    assertThat(new Pipeline.Policy(5, Duration.ofSeconds(10), false, Duration.ofSeconds(60), null).delayBefore(4, r)).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void unknownKeysAreNamedWithTheClosestKnownOne() throws IOException {
    assertThat(error("""
        steps:
          - name: a
            shell: "true"
            retrys: 3
        """)).startsWith("pipelines/bad.yml:4: Unknown key 'retrys' in step. Did you mean 'retries'?");
    assertThat(error("""
        schedul: "@daily"
        steps:
          - {name: a, noop: {}}
        """)).startsWith("pipelines/bad.yml:1: Unknown key 'schedul' in pipeline. Did you mean 'schedule'?");
  }

  @Test
  void unknownDependenciesCyclesAndMissingKindsAreErrors() throws IOException {
    assertThat(error("""
        steps:
          - {name: extract, noop: {}}
          - name: load
            noop: {}
            depends_on: [extrct]
        """)).isEqualTo("pipelines/bad.yml:3: Step 'load' depends on 'extrct', which is not a step of pipeline 'bad'. Did you mean 'extract'?");
    assertThat(error("""
        steps:
          - {name: a, noop: {}, depends_on: [c]}
          - {name: b, noop: {}, depends_on: [a]}
          - {name: c, noop: {}, depends_on: [b]}
        """)).isEqualTo("pipelines/bad.yml:2: Steps depend on each other in a cycle: a -> c -> b -> a");
    assertThat(error("""
        steps:
          - name: a
        """)).startsWith("pipelines/bad.yml:2: Step 'a' needs exactly one of: weir, shell, noop, http, pipeline");
    assertThat(error("""
        steps:
          - {name: a, noop: {}, shell: "x"}
        """)).contains("(it has noop and shell)");
    assertThat(error("""
        steps:
          - {name: a, noop: {}}
          - {name: a, noop: {}}
        """)).isEqualTo("pipelines/bad.yml:3: Step 'a' is declared twice (first on line 2)");
    assertThat(error("""
        steps:
          - {name: a, pipeline: nightly}
        """)).startsWith("pipelines/bad.yml:2: Step 'a' runs pipeline 'nightly', which does not exist.");
    assertThat(error("""
        steps:
          - {name: a, pipeline: bad}
        """)).isEqualTo("pipelines/bad.yml:2: Pipelines run each other in a cycle: bad -> bad");
  }

  @Test
  void badCronUnknownZoneAndBadDurationsAreErrors() throws IOException {
    assertThat(error("""
        schedule:
          cron: "0 25 * * *"
        steps:
          - {name: a, noop: {}}
        """)).startsWith("pipelines/bad.yml:2: Bad cron expression: '0 25 * * *' is not a valid cron expression");
    assertThat(error("""
        schedule:
          cron: "@daily"
          timezone: Europe/Berln
        steps:
          - {name: a, noop: {}}
        """)).startsWith("pipelines/bad.yml:3: Unknown time zone 'Europe/Berln' (use a name such as Europe/Berlin or UTC). Did you mean one of: 'Europe/Berlin'");
    assertThat(error("""
        timeout: soon
        steps:
          - {name: a, noop: {}}
        """)).startsWith("pipelines/bad.yml:1: 'timeout' must be a duration such as 30s");
    assertThat(error("""
        schedule: {cron: "@daily", start_date: yesterday}
        steps:
          - {name: a, noop: {}}
        """)).startsWith("pipelines/bad.yml:1: 'start_date': 'yesterday' is not a date");
  }

  @Test
  void durationsInEveryForm() {
    assertThat(PipelineLoader.parseDuration("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(PipelineLoader.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(PipelineLoader.parseDuration("2.5")).isEqualTo(Duration.ofMillis(2500));
    assertThat(PipelineLoader.parseDuration("1d")).isEqualTo(Duration.ofDays(1));
    assertThatThrownBy(() -> PipelineLoader.parseDuration("5 minutes")).isInstanceOf(IllegalArgumentException.class);
  }
}
