package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerts through the real CLI: {@code weir pipeline trigger} of a pipeline whose step fails sends the failure (with the
 * step's log tail) to a real local HTTP receiver before the command exits, the next successful run sends the recovery,
 * the webhook's secret address shows up nowhere, and a missing env var stops the trigger with file and line.
 */
class AlertsE2ETest {
  private static final String TOKEN = "B07TOKEN-4f9a8c7e6d5b4a39";

  @Test
  void triggerSendsFailureThenRecoveryToAWebhookAndKeepsItsAddressSecret(@TempDir Path tmp) throws Exception {
    BlockingQueue<String[]> got = new LinkedBlockingQueue<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", ex -> {
      got.add(new String[] {ex.getRequestURI().getPath(), new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)});
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      TestProject p = TestProject.create(tmp, "alerting", null)
          .file("pipelines/nightly.yml", """
              alerts:
                - on: [failure, recovery]
                  webhook: "{{ env_var('OPS_HOOK') }}"
              steps:
                - name: extract
                  shell: 'echo "rows read: 0"; test -f ready.flag || { echo "source not ready" >&2; exit 4; }'
                - name: publish
                  shell: "echo published"
                  depends_on: [extract]
              """);
      p.env.put("OPS_HOOK", base + "/hooks/" + TOKEN);

      TestProject.Result failed = p.run("pipeline", "trigger", "nightly").exits(1);
      assertThat(failed.out()).containsPattern("FAILED\\s+extract: exit code 4")
          .containsPattern("ALERT\\s+alert failure of nightly step extract sent to webhook " + base);
      // delivered before the command returned
      assertThat(got).hasSize(1);
      String[] first = got.poll();
      assertThat(first[0]).isEqualTo("/hooks/" + TOKEN);
      JsonNode alert = TestProject.JSON.readTree(first[1]);
      assertThat(alert.get("event").asText()).isEqualTo("failure");
      assertThat(alert.get("pipeline").asText()).isEqualTo("nightly");
      assertThat(alert.get("run_id").asLong()).isEqualTo(1);
      assertThat(alert.get("step").asText()).isEqualTo("extract");
      assertThat(alert.get("error").asText()).isEqualTo("exit code 4");
      assertThat(alert.get("log_path").asText()).isEqualTo("target/runs/1/extract/1.log");
      assertThat(alert.get("log_tail").asText()).contains("rows read: 0").contains("source not ready");

      Files.writeString(tmp.resolve("ready.flag"), "");
      TestProject.Result ok = p.run("pipeline", "trigger", "nightly").ok();
      assertThat(ok.out()).containsPattern("ALERT\\s+alert recovery of nightly sent to webhook " + base);
      assertThat(got).hasSize(1);
      JsonNode recovery = TestProject.JSON.readTree(got.poll()[1]);
      assertThat(recovery.get("event").asText()).isEqualTo("recovery");
      assertThat(recovery.get("run_id").asLong()).isEqualTo(2);
      assertThat(recovery.get("detail").asText()).isEqualTo("The previous run, 1, had failed.");

      // The address (it holds the token) is in no output and no file the runs left: store, step logs.
      assertThat(failed.out() + failed.err() + ok.out() + ok.err()).doesNotContain(TOKEN);
      List<Path> files = new ArrayList<>();
      try (Stream<Path> s = Files.walk(tmp)) {
        s.filter(Files::isRegularFile).forEach(files::add);
      }
      assertThat(files).anySatisfy(f -> assertThat(f.toString()).endsWith("weir_meta.sqlite"));
      for (Path f : files) assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).as(f.toString()).doesNotContain(TOKEN);

      // Without the variable the trigger stops before running anything, naming file and line.
      p.env.remove("OPS_HOOK");
      TestProject.Result missing = p.run("pipeline", "trigger", "nightly").exits(2);
      assertThat(missing.err()).contains("pipelines/nightly.yml:3: The alert reads environment variable OPS_HOOK, which is not set");
      assertThat(p.run("runs").ok().out()).doesNotContain("\n3 ");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void theSchedulerSendsLateAndFailureAlerts(@TempDir Path tmp) throws Exception {
    BlockingQueue<String[]> got = new LinkedBlockingQueue<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", ex -> {
      got.add(new String[] {ex.getRequestURI().getPath(), new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)});
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    server.start();
    Process child = null;
    try {
      // one every-minute interval that ended a minute ago: its 1 s deadline has passed when the scheduler starts it
      java.time.Instant start = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MINUTES).minus(2, java.time.temporal.ChronoUnit.MINUTES);
      Files.createDirectories(tmp.resolve("pipelines"));
      Files.writeString(tmp.resolve("pipelines/minutely.yml"), """
          schedule: {cron: "* * * * *", catchup: true, start_date: "%s", end_date: "%s"}
          late_after: 1s
          alerts:
            - on: [failure, late]
              webhook: "{{ env_var('OPS_HOOK') }}"
          steps:
            - name: a
              shell: "echo about to fail; exit 7"
          """.formatted(start, start));
      Path out = tmp.resolve("scheduler.out");
      ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), TestProject.childTmp(tmp), "-Xmx256m",
          "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "dev.weir.cli.Main", "scheduler", "--project-dir",
          tmp.toString()).redirectErrorStream(true).redirectOutput(out.toFile()).directory(tmp.toFile());
      pb.environment().put("OPS_HOOK", "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/" + TOKEN);
      pb.environment().put("NO_COLOR", "1");
      child = pb.start();
      List<String> events = new ArrayList<>();
      long end = System.nanoTime() + 60_000_000_000L;
      while (events.size() < 2 && System.nanoTime() < end) {
        String[] r = got.poll(1, java.util.concurrent.TimeUnit.SECONDS);
        if (r == null) continue;
        assertThat(r[0]).isEqualTo("/hooks/" + TOKEN);
        JsonNode j = TestProject.JSON.readTree(r[1]);
        events.add(j.get("event").asText() + " " + j.get("interval_start").asText());
      }
      assertThat(events).as(Files.readString(out)).containsExactlyInAnyOrder("late " + start, "failure " + start);
      long deadline = System.nanoTime() + 10_000_000_000L;
      // each target's deliveries are printed as they are confirmed: wait for both lines
      while (!(Files.readString(out).contains("alert failure of minutely step a sent") && Files.readString(out).contains("alert late of minutely sent"))
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      String printed = Files.readString(out);
      assertThat(printed).containsPattern("ALERT\\s+alert late of minutely sent to webhook http://127.0.0.1:")
          .containsPattern("ALERT\\s+alert failure of minutely step a sent to webhook http://127.0.0.1:").doesNotContain(TOKEN);
    } finally {
      if (child != null) {
        child.destroy();
        child.waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
        child.destroyForcibly();
      }
      server.stop(0);
    }
  }

  @Test
  void aLiteralSecretInAnAlertIsRefusedWithFileAndLine(@TempDir Path tmp) throws IOException {
    TestProject p = TestProject.create(tmp, "alerting", null)
        .file("pipelines/nightly.yml", """
            steps:
              - {name: a, noop: {}}
            alerts:
              - slack: https://hooks.slack.com/services/T0001/B0001/abcdefabcdefabcdefabcdef
            """);
    TestProject.Result r = p.run("pipeline", "list").exits(2);
    assertThat(r.err()).contains("pipelines/nightly.yml:4: The Slack webhook address is a secret (it holds the token): give it as "
        + "slack: \"{{ env_var('SLACK_WEBHOOK_URL') }}\"").doesNotContain("abcdefabcdef");
  }
}
