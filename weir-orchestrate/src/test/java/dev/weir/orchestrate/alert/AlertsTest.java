package dev.weir.orchestrate.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetupTest;
import com.sun.net.httpserver.HttpServer;
import dev.weir.core.WeirException;
import dev.weir.orchestrate.Pipeline;
import dev.weir.orchestrate.PipelineLoader;
import dev.weir.orchestrate.exec.PipelineExecutor;
import dev.weir.orchestrate.exec.RunRequest;
import dev.weir.orchestrate.sched.Scheduler;
import dev.weir.orchestrate.store.SqliteStore;
import dev.weir.orchestrate.store.State;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerts end to end inside the module: real pipeline files, a real SQLite store, real shell steps run by the executor
 * (or the scheduler with a clock the test moves), and alerts delivered to a real local HTTP receiver and a real local
 * SMTP server (GreenMail).
 */
class AlertsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Looks like a Slack/webhook token; must never show up outside the request line the receiver sees. */
  private static final String TOKEN = "T0KEN-s3cr3t-9f8e7d6c5b4a3210";

  @TempDir
  Path dir;
  SqliteStore store;
  Receiver hooks;
  final Map<String, String> env = new HashMap<>();
  final List<String> logged = Collections.synchronizedList(new ArrayList<>());

  /** A real HTTP server that keeps every request it gets; paths starting with /fail answer 500. */
  static final class Receiver implements AutoCloseable {
    record Request(String path, String contentType, String body) {
      JsonNode json() throws IOException { return JSON.readTree(body); }
    }

    final HttpServer server;
    final BlockingQueue<Request> got = new LinkedBlockingQueue<>();

    Receiver() throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext("/", ex -> {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        got.add(new Request(ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("Content-Type"), body));
        int status = ex.getRequestURI().getPath().startsWith("/fail") ? 500 : 200;
        byte[] out = (status == 200 ? "ok" : "broken").getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, out.length);
        ex.getResponseBody().write(out);
        ex.close();
      });
      server.start();
    }

    String url(String path) { return "http://127.0.0.1:" + server.getAddress().getPort() + path; }

    Request next() throws InterruptedException {
      Request r = got.poll(15, TimeUnit.SECONDS);
      assertThat(r).as("an alert reached the receiver").isNotNull();
      return r;
    }

    List<Request> drain() {
      List<Request> out = new ArrayList<>();
      got.drainTo(out);
      return out;
    }

    @Override
    public void close() { server.stop(0); }
  }

  @BeforeEach
  void open() throws IOException {
    store = new SqliteStore(dir.resolve("target/weir_meta.sqlite"));
    hooks = new Receiver();
  }

  @AfterEach
  void close() {
    hooks.close();
    store.close();
  }

  private void file(String rel, String text) throws IOException {
    Path f = dir.resolve(rel);
    Files.createDirectories(f.getParent());
    Files.writeString(f, text);
  }

  private Alerter alerter(Map<String, Pipeline> all) {
    return new Alerter(store, dir, () -> all, env::get, logged::add, Duration.ofSeconds(5), 2, Duration.ofMillis(100));
  }

  /** Runs pipeline {@code name} once by hand with an alerter attached; returns the run's state after alerts were flushed. */
  private State trigger(String name) throws Exception {
    Map<String, Pipeline> all = PipelineLoader.load(dir);
    Pipeline p = all.get(name);
    try (PipelineExecutor ex = new PipelineExecutor(store, dir, all, null); Alerter a = alerter(all)) {
      a.check(p);
      PipelineExecutor.Result r = ex.run(p, RunRequest.manual(p, null, Map.of(), Instant.now()), a);
      assertThat(a.flush(Duration.ofSeconds(20))).isTrue();
      return r.state();
    }
  }

  private static final String FAILING = "'for i in $(seq 1 30); do echo \"line $i\"; done; echo \"cannot reach the source\" >&2; exit 3'";

  // ------------------------------------------------------------------ parsing

  @Test
  void mistakesInAlertsAreReportedWithFileAndLine() throws IOException {
    String head = "schedule: \"@hourly\"\nsteps:\n  - {name: a, noop: {}}\nalerts:\n";
    assertError(head + "  - on: [failure]\n    webhok: \"{{ env_var('X') }}\"\n", "pipelines/p.yml:6: Unknown key 'webhok' in alert. Did you mean 'webhook'?");
    assertError(head + "  - on: [failur, retry]\n    webhook: \"{{ env_var('X') }}\"\n", "pipelines/p.yml:5: Unknown alert event 'failur'. Did you mean 'failure'?");
    assertError(head + "  - on: [failure]\n    webhook: \"{{ env_var('X') }}\"\n    slack: \"{{ env_var('Y') }}\"\n",
        "pipelines/p.yml:5: An alert needs exactly one of: webhook, slack, email (it has webhook and slack)");
    assertError(head + "  - slack: https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX\n",
        "pipelines/p.yml:5: The Slack webhook address is a secret");
    assertError(head + "  - webhook: https://ops.example.com/hooks/a8F3kd92LmQ0x7Zt55\n", "pipelines/p.yml:5: The webhook address https://ops.example.com... holds what looks like a credential");
    assertError(head + "  - webhook: https://ops.example.com/alert?key=abc\n", "holds what looks like a credential");
    assertError(head + "  - email: {to: [ops@example.org], from: weir@example.org, smtp_host: mail, username: weir,\n"
        + "             password: hunter2secret}\n", "pipelines/p.yml:6: The SMTP password is a secret");
    assertThatThrownBy(() -> load(head + "  - email: {to: [ops@example.org], from: weir@example.org, smtp_host: mail, username: weir,\n"
        + "             password: hunter2secret}\n")).hasMessageNotContaining("hunter2secret");
    assertError(head + "  - email: {to: ops@example.org, from: weir@example.org}\n", "pipelines/p.yml:5: An email alert needs 'smtp_host:'");
    assertError(head + "  - on: [late]\n    webhook: https://ops.example.com/weir\n", "pipelines/p.yml:6: An alert 'on: [late]' needs 'late_after:'");
    assertError("steps:\n  - {name: a, noop: {}}\nlate_after: 2h\n", "pipelines/p.yml:3: 'late_after' needs a 'schedule:'");
    assertError(head.replace("alerts:\n", "late_after: soon\n"), "pipelines/p.yml:4: 'late_after' must be a positive duration");
    assertError(head + "  - {on: [failure], webhook: \"{{ env_var('X') }}\", email_to: x}\n", "Unknown key 'email_to' in alert");
  }

  private Map<String, Pipeline> load(String yaml) throws IOException {
    file("pipelines/p.yml", yaml);
    return PipelineLoader.load(dir);
  }

  private void assertError(String yaml, String message) {
    assertThatThrownBy(() -> load(yaml)).isInstanceOf(WeirException.class)
        .satisfies(e -> assertThat(((WeirException) e).describe()).contains(message));
  }

  @Test
  void targetsDefaultToFailureAndRecoveryAndTheProjectDefaultsApplyUnlessAPipelineSaysOtherwise() throws IOException {
    file("pipelines/alerts.yml", "alerts:\n  - webhook: https://ops.example.com/weir\nlate_after: 2h\n");
    file("pipelines/inherits.yml", "schedule: \"@daily\"\nsteps:\n  - {name: a, noop: {}}\n");
    file("pipelines/quiet.yml", "alerts: []\nsteps:\n  - {name: a, noop: {}}\n");
    file("pipelines/own.yml", "alerts:\n  - {on: success, slack: {env_var: SLACK_URL}}\nsteps:\n  - {name: a, noop: {}}\n");
    Map<String, Pipeline> all = PipelineLoader.load(dir);
    assertThat(all).containsOnlyKeys("inherits", "quiet", "own"); // alerts.yml is not a pipeline
    AlertSpec inherited = all.get("inherits").alerts();
    assertThat(inherited.targets()).singleElement().satisfies(t -> {
      assertThat(t.on()).containsExactlyInAnyOrder(AlertSpec.Event.FAILURE, AlertSpec.Event.RECOVERY);
      assertThat(t.where()).isEqualTo("pipelines/alerts.yml:2");
    });
    assertThat(inherited.lateAfter()).isEqualTo(Duration.ofHours(2));
    assertThat(all.get("quiet").alerts().targets()).isEmpty();
    AlertSpec own = all.get("own").alerts();
    assertThat(own.targets()).singleElement().satisfies(t -> {
      assertThat(t.kind()).isEqualTo(AlertSpec.Kind.SLACK);
      assertThat(t.on()).containsExactly(AlertSpec.Event.SUCCESS);
      assertThat(t.url()).isEqualTo("{{ env_var('SLACK_URL') }}");
    });
    assertThat(own.lateAfter()).isNull(); // no schedule
  }

  @Test
  void aMissingEnvironmentVariableIsReportedBeforeTheRunWithFileAndLine() throws IOException {
    file("pipelines/p.yml", "steps:\n  - {name: a, noop: {}}\nalerts:\n  - webhook: \"{{ env_var('OPS_HOOK') }}\"\n");
    Map<String, Pipeline> all = PipelineLoader.load(dir);
    try (Alerter a = alerter(all)) {
      assertThatThrownBy(() -> a.check(all.get("p"))).isInstanceOf(WeirException.class)
          .satisfies(e -> assertThat(((WeirException) e).describe())
              .contains("pipelines/p.yml:4: The alert reads environment variable OPS_HOOK, which is not set"));
    }
  }

  // ------------------------------------------------------------------ delivery

  @Test
  void aFailingStepWithRetriesSendsRetryThenFailureWithTheLogTailAndNoSecretLeaks() throws Exception {
    env.put("OPS_HOOK", hooks.url("/hooks/" + TOKEN));
    env.put("BROKEN_HOOK", hooks.url("/fail/" + TOKEN));
    file("pipelines/load.yml", """
        retries: 1
        retry_delay: 100ms
        alerts:
          - on: [failure, retry]
            webhook: "{{ env_var('OPS_HOOK') }}"
          - on: [failure]
            webhook: "{{ env_var('BROKEN_HOOK') }}"
        steps:
          - name: extract
            shell: %s
          - name: report
            shell: "echo never"
            depends_on: [extract]
        """.formatted(FAILING));
    assertThat(trigger("load")).isEqualTo(State.FAILED);

    List<Receiver.Request> got = hooks.drain();
    List<Receiver.Request> ops = got.stream().filter(r -> r.path().startsWith("/hooks/")).toList();
    assertThat(ops).hasSize(2);
    assertThat(ops.get(0).path()).isEqualTo("/hooks/" + TOKEN);
    assertThat(ops.get(0).contentType()).startsWith("application/json");
    JsonNode retry = ops.get(0).json();
    assertThat(retry.get("event").asText()).isEqualTo("retry");
    assertThat(retry.get("pipeline").asText()).isEqualTo("load");
    assertThat(retry.get("step").asText()).isEqualTo("extract");
    assertThat(retry.get("try").asInt()).isEqualTo(1);
    assertThat(retry.get("max_tries").asInt()).isEqualTo(2);
    assertThat(retry.get("state").asText()).isEqualTo("up_for_retry");
    assertThat(retry.get("retry_in_seconds").asDouble()).isEqualTo(0.1);
    assertThat(retry.get("title").asText()).isEqualTo("[weir] load: step extract failed (try 1 of 2), retrying in 100ms, run 1");

    JsonNode failure = ops.get(1).json();
    assertThat(failure.get("event").asText()).isEqualTo("failure");
    assertThat(failure.get("run_id").asLong()).isEqualTo(1);
    assertThat(failure.get("try").asInt()).isEqualTo(2);
    assertThat(failure.get("state").asText()).isEqualTo("failed");
    assertThat(failure.get("error").asText()).isEqualTo("exit code 3");
    assertThat(failure.get("log_path").asText()).isEqualTo("target/runs/1/extract/2.log");
    assertThat(failure.get("logical_date").asText()).isNotEmpty();
    String tail = failure.get("log_tail").asText();
    assertThat(tail).contains("line 30").contains("cannot reach the source").doesNotContain("line 5\n");
    assertThat(tail.split("\n")).hasSizeLessThanOrEqualTo(Alert.TAIL_LINES);
    assertThat(failure.get("text").asText()).contains("Step: extract (try 2 of 2)").contains("Error: exit code 3").contains("line 30");
    // the upstream_failed step does not alert, and one failure = one message per target
    assertThat(got.stream().filter(r -> r.body().contains("\"report\""))).isEmpty();

    // The broken receiver was tried twice, then given up; the run was not affected and the message shows no token.
    assertThat(got.stream().filter(r -> r.path().startsWith("/fail/"))).hasSize(2);
    assertThat(logged).anySatisfy(l -> assertThat(l)
        .startsWith("alert failure of load could not be sent to webhook " + hooks.url("") + " (pipelines/load.yml:7) after 2 attempt(s): HTTP status 500"));
    assertThat(logged).anySatisfy(l -> assertThat(l).isEqualTo("alert retry of load step extract sent to webhook " + hooks.url("")));
    assertNoSecret(TOKEN);
  }

  /** The secret appears in no log line, no file under the project (store, step logs) and no stored error. */
  private void assertNoSecret(String secret) throws IOException {
    assertThat(logged).noneSatisfy(l -> assertThat(l).contains(secret));
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        assertThat(text).as(f.toString()).doesNotContain(secret);
      }
    }
  }

  @Test
  void slackTargetsGetTextAndBlocks() throws Exception {
    env.put("SLACK_WEBHOOK_URL", hooks.url("/services/" + TOKEN));
    file("pipelines/s.yml", """
        alerts:
          - on: [failure]
            slack: "{{ env_var('SLACK_WEBHOOK_URL') }}"
        steps:
          - name: extract
            shell: %s
        """.formatted(FAILING));
    assertThat(trigger("s")).isEqualTo(State.FAILED);
    Receiver.Request r = hooks.next();
    assertThat(r.path()).isEqualTo("/services/" + TOKEN);
    JsonNode body = r.json();
    assertThat(body.get("text").asText()).isEqualTo("[weir] s: step extract failed, run 1");
    JsonNode blocks = body.get("blocks");
    assertThat(blocks.isArray()).isTrue();
    assertThat(blocks.get(0).get("type").asText()).isEqualTo("header");
    assertThat(blocks.get(1).get("type").asText()).isEqualTo("section");
    List<String> fields = new ArrayList<>();
    blocks.get(1).get("fields").forEach(f -> {
      assertThat(f.get("type").asText()).isEqualTo("mrkdwn");
      fields.add(f.get("text").asText());
    });
    assertThat(fields).contains("*Pipeline*\ns", "*Step*\nextract (try 1 of 1)", "*Error*\nexit code 3");
    String last = blocks.get(blocks.size() - 1).get("text").get("text").asText();
    assertThat(last).startsWith("Last lines of `target/runs/1/extract/1.log`:\n```").contains("line 30").endsWith("```");
    assertThat(hooks.drain()).isEmpty();
    assertNoSecret(TOKEN);
  }

  @Test
  void emailGoesThroughARealSmtpServerWithLoginFromTheEnvironment() throws Exception {
    GreenMail smtp = new GreenMail(ServerSetupTest.SMTP.dynamicPort());
    smtp.start();
    try {
      smtp.setUser("weir@example.org", "weir-bot", "pa55-w0rd-for-smtp");
      env.put("SMTP_USER", "weir-bot");
      env.put("SMTP_PASSWORD", "pa55-w0rd-for-smtp");
      file("pipelines/mail.yml", """
          alerts:
            - on: [failure]
              email:
                to: [ops@example.org, oncall@example.org]
                from: weir@example.org
                smtp_host: 127.0.0.1
                smtp_port: %d
                username: "{{ env_var('SMTP_USER') }}"
                password: "{{ env_var('SMTP_PASSWORD') }}"
                starttls: false
          steps:
            - name: load
              shell: %s
          """.formatted(smtp.getSmtp().getPort(), FAILING));
      assertThat(trigger("mail")).isEqualTo(State.FAILED);
      assertThat(smtp.waitForIncomingEmail(10_000, 2)).isTrue();
      MimeMessage[] got = smtp.getReceivedMessages();
      assertThat(got).hasSize(2); // one per recipient
      MimeMessage m = got[0];
      assertThat(m.getSubject()).isEqualTo("[weir] mail: step load failed, run 1");
      assertThat(m.getFrom()[0].toString()).isEqualTo("weir@example.org");
      assertThat(m.getHeader("X-Weir-Event")[0]).isEqualTo("failure");
      String body = String.valueOf(m.getContent());
      assertThat(body).contains("Pipeline: mail").contains("Run: 1").contains("Step: load (try 1 of 1)").contains("State: failed")
          .contains("Error: exit code 3").contains("Last lines of target/runs/1/load/1.log:").contains("line 30")
          .contains("cannot reach the source");
      assertThat(logged).anySatisfy(l -> assertThat(l).startsWith("alert failure of mail step load sent to email to ops@example.org, oncall@example.org"));
      assertNoSecret("pa55-w0rd-for-smtp");

      // A wrong password: the server refuses the login, the alert is given up and reported, the run is as before.
      env.put("SMTP_PASSWORD", "wr0ng-pa55word");
      logged.clear();
      assertThat(trigger("mail")).isEqualTo(State.FAILED);
      assertThat(smtp.getReceivedMessages()).hasSize(2);
      assertThat(logged).anySatisfy(l -> assertThat(l).startsWith("alert failure of mail could not be sent to email to ops@example.org, "
          + "oncall@example.org via 127.0.0.1:" + smtp.getSmtp().getPort() + " (pipelines/mail.yml:3) after 2 attempt(s): SMTP 127.0.0.1:"));
      assertNoSecret("wr0ng-pa55word");
    } finally {
      smtp.stop();
    }
  }

  @Test
  void aSuccessAfterAFailedRunIsARecoveryAndThenPlainSuccesses() throws Exception {
    env.put("HOOK_A", hooks.url("/a"));
    env.put("HOOK_B", hooks.url("/b"));
    file("pipelines/flaky.yml", """
        alerts:
          - webhook: "{{ env_var('HOOK_A') }}"            # default: failure and recovery
          - on: [success, recovery]
            webhook: "{{ env_var('HOOK_B') }}"
        steps:
          - name: check
            shell: "test -f ok.flag"
        """);
    assertThat(trigger("flaky")).isEqualTo(State.FAILED);
    assertThat(events(hooks.drain())).containsExactly("/a failure");

    Files.writeString(dir.resolve("ok.flag"), "");
    assertThat(trigger("flaky")).isEqualTo(State.SUCCESS);
    List<Receiver.Request> second = hooks.drain();
    assertThat(events(second)).containsExactlyInAnyOrder("/a recovery", "/b recovery"); // /b hears both: one message
    JsonNode recovery = second.get(0).json();
    assertThat(recovery.get("run_id").asLong()).isEqualTo(2);
    assertThat(recovery.get("state").asText()).isEqualTo("success");
    assertThat(recovery.get("detail").asText()).isEqualTo("The previous run, 1, had failed.");
    assertThat(recovery.get("title").asText()).isEqualTo("[weir] flaky: recovered: run succeeded, run 2");

    assertThat(trigger("flaky")).isEqualTo(State.SUCCESS);
    assertThat(events(hooks.drain())).containsExactly("/b success");
  }

  private static List<String> events(List<Receiver.Request> rs) throws IOException {
    List<String> out = new ArrayList<>();
    for (Receiver.Request r : rs) out.add(r.path() + " " + r.json().get("event").asText());
    return out;
  }

  @Test
  void aStepsOwnAlertsReplaceThePipelinesForItsFailuresAndRetries() throws Exception {
    env.put("TEAM_HOOK", hooks.url("/team"));
    env.put("DB_HOOK", hooks.url("/db"));
    file("pipelines/two.yml", """
        alerts:
          - on: [failure, success]
            webhook: "{{ env_var('TEAM_HOOK') }}"
        steps:
          - name: load
            shell: "exit 1"
            alerts:
              - webhook: "{{ env_var('DB_HOOK') }}"     # default for a step: failure
          - name: noisy
            shell: "exit 2"
            alerts: []                                # this step's failures alert nobody
          - name: other
            shell: "exit 5"
        """);
    assertThat(trigger("two")).isEqualTo(State.FAILED);
    List<String> got = new ArrayList<>();
    for (Receiver.Request r : hooks.drain()) got.add(r.path() + " " + r.json().get("event").asText() + " " + r.json().get("step").asText());
    assertThat(got).containsExactlyInAnyOrder("/db failure load", "/team failure other");

    file("pipelines/two.yml", "steps:\n  - name: a\n    noop: {}\n    alerts:\n      - {on: [recovery], webhook: https://ops.example.com/weir}\n");
    assertError(Files.readString(dir.resolve("pipelines/two.yml")), "pipelines/p.yml:5: A step's alerts hear only failure and retry ('recovery' is about the whole run");
  }

  @Test
  void aTargetThatDoesNotAnswerHoldsUpNeitherTheRunNorOtherTargets() throws Exception {
    HttpServer stuck = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    stuck.createContext("/", ex -> {
      try {
        Thread.sleep(8000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ex.close();
    });
    stuck.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    stuck.start();
    try {
      env.put("STUCK", "http://127.0.0.1:" + stuck.getAddress().getPort() + "/hook");
      env.put("OPS_HOOK", hooks.url("/ops"));
      file("pipelines/slow.yml", """
          alerts:
            - on: [failure]
              webhook: "{{ env_var('STUCK') }}"
            - on: [failure]
              webhook: "{{ env_var('OPS_HOOK') }}"
          steps:
            - {name: a, shell: "exit 1"}
            - {name: b, shell: "echo fine", depends_on: []}
          """);
      Map<String, Pipeline> all = PipelineLoader.load(dir);
      Pipeline p = all.get("slow");
      try (PipelineExecutor ex = new PipelineExecutor(store, dir, all, null);
           Alerter a = new Alerter(store, dir, () -> all, env::get, logged::add, Duration.ofSeconds(4), 1, Duration.ofMillis(100))) {
        long t0 = System.nanoTime();
        assertThat(ex.run(p, RunRequest.manual(p, null, Map.of(), Instant.now()), a).state()).isEqualTo(State.FAILED);
        // the stuck target's 4 s attempt is still going when the run is over
        assertThat((System.nanoTime() - t0) / 1e9).as("the run did not wait for the stuck target").isLessThan(3.5);
        assertThat(logged).noneSatisfy(l -> assertThat(l).contains("could not be sent"));
        assertThat(hooks.next().path()).isEqualTo("/ops"); // the other target got it while the first one hangs
        assertThat(a.flush(Duration.ofSeconds(10))).isTrue();
      }
      assertThat(logged).anySatisfy(l -> assertThat(l).startsWith("alert failure of slow could not be sent to webhook http://127.0.0.1:"
          + stuck.getAddress().getPort() + " (pipelines/slow.yml:3) after 1 attempt(s): "));
    } finally {
      stuck.stop(0);
    }
  }

  // ------------------------------------------------------------------ lateness

  /** A clock the test moves. */
  static final class MutableClock extends Clock {
    volatile Instant now;

    MutableClock(String t) { now = Instant.parse(t); }

    @Override public ZoneId getZone() { return ZoneOffset.UTC; }

    @Override public Clock withZone(ZoneId zone) { return this; }

    @Override public Instant instant() { return now; }
  }

  @Test
  void anIntervalNotSucceededByItsDeadlineIsReportedLateOnceEvenAcrossSchedulers() throws Exception {
    env.put("OPS_HOOK", hooks.url("/late"));
    file("pipelines/hourly.yml", """
        schedule: "0 * * * *"
        late_after: 30m
        alerts:
          - on: [late]
            webhook: "{{ env_var('OPS_HOOK') }}"
        steps:
          - name: check
            shell: "test -f ok.flag"
        """);
    MutableClock clock = new MutableClock("2024-01-01T05:10:00Z");
    Scheduler.Options opt = Scheduler.Options.defaults().withLeaseTtl(Duration.ofSeconds(5));
    try (Scheduler s = new Scheduler(dir, store, clock, opt, null, new Scheduler.Listener() {});
         Alerter a = new Alerter(store, dir, s::pipelines, env::get, logged::add, Duration.ofSeconds(5), 2, Duration.ofMillis(100))) {
      s.setAlerter(a);
      // 05:10: the run of [04:00, 05:00) starts and fails; its deadline (05:30) has not come; the interval before it
      // never ran (no catchup) and never will: it is not late.
      assertThat(s.runUntil(() -> finished(store, "hourly@2024-01-01T04:00:00Z"), Duration.ofSeconds(20))).isTrue();
      s.pass();
      assertThat(a.flush(Duration.ofSeconds(10))).isTrue();
      assertThat(hooks.drain()).isEmpty();

      clock.now = Instant.parse("2024-01-01T05:31:00Z");
      s.pass();
      Receiver.Request r = hooks.next();
      JsonNode late = r.json();
      assertThat(late.get("event").asText()).isEqualTo("late");
      assertThat(late.get("pipeline").asText()).isEqualTo("hourly");
      assertThat(late.get("interval_start").asText()).isEqualTo("2024-01-01T04:00:00Z");
      assertThat(late.get("interval_end").asText()).isEqualTo("2024-01-01T05:00:00Z");
      assertThat(late.get("state").asText()).isEqualTo("failed");
      assertThat(late.get("run_id").asLong()).isEqualTo(1);
      assertThat(late.get("title").asText()).isEqualTo("[weir] hourly: interval [2024-01-01T04:00:00Z, 2024-01-01T05:00:00Z) is late");
      assertThat(late.get("detail").asText()).contains("should have succeeded by 2024-01-01T05:30:00Z").contains("its run 1 is failed");

      clock.now = Instant.parse("2024-01-01T05:45:00Z");
      s.pass();
      assertThat(a.flush(Duration.ofSeconds(10))).isTrue();
      assertThat(hooks.drain()).as("sent once").isEmpty();
    }
    // A second scheduler on the same store (after a restart, or beside the first) does not send it again.
    MutableClock clock2 = new MutableClock("2024-01-01T05:50:00Z");
    try (Scheduler s = new Scheduler(dir, store, clock2, Scheduler.Options.defaults().withLeaseTtl(Duration.ofSeconds(5)), null,
        new Scheduler.Listener() {});
         Alerter a = new Alerter(store, dir, s::pipelines, env::get, logged::add, Duration.ofSeconds(5), 2, Duration.ofMillis(100))) {
      s.setAlerter(a);
      s.pass();
      assertThat(a.flush(Duration.ofSeconds(10))).isTrue();
      assertThat(hooks.drain()).isEmpty();

      // The next interval succeeds before its deadline: no alert.
      Files.writeString(dir.resolve("ok.flag"), "");
      clock2.now = Instant.parse("2024-01-01T06:01:00Z");
      assertThat(s.runUntil(() -> finished(store, "hourly@2024-01-01T05:00:00Z"), Duration.ofSeconds(20))).isTrue();
      assertThat(store.runByKey("hourly@2024-01-01T05:00:00Z").get().state()).isEqualTo(State.SUCCESS);
      clock2.now = Instant.parse("2024-01-01T06:31:00Z");
      s.pass();
      assertThat(a.flush(Duration.ofSeconds(10))).isTrue();
      assertThat(hooks.drain()).isEmpty();
    }
  }

  @Test
  void everyIntervalWhoseDeadlinePassesBetweenTwoChecksIsReportedButAFirstCheckReportsOnlyTheLatest() throws Exception {
    env.put("OPS_HOOK", hooks.url("/late"));
    file("pipelines/backlog.yml", """
        schedule: {cron: "0 * * * *", catchup: true, start_date: 2024-01-01T00:00:00Z, end_date: 2024-01-01T07:00:00Z}
        late_after: 15m
        alerts:
          - on: [late]
            webhook: "{{ env_var('OPS_HOOK') }}"
        steps:
          - {name: a, noop: {}}
        """);
    Map<String, Pipeline> all = PipelineLoader.load(dir);
    try (Alerter a = alerter(all)) {
      // 03:20: the deadlines of [00,01) .. [02,03) have passed; only the latest is reported at the first check
      assertThat(a.checkLate(all.values(), Instant.parse("2024-01-01T03:20:00Z"))).isEqualTo(Instant.parse("2024-01-01T04:15:00Z"));
      assertThat(a.flush(Duration.ofSeconds(10))).isTrue();
      assertThat(lateStarts()).containsExactly("2024-01-01T02:00:00Z no run");
      // before the next deadline nothing is looked at
      a.checkLate(all.values(), Instant.parse("2024-01-01T04:00:00Z"));
      // 06:16: three more deadlines passed since
      assertThat(a.checkLate(all.values(), Instant.parse("2024-01-01T06:16:00Z"))).isEqualTo(Instant.parse("2024-01-01T07:15:00Z"));
      assertThat(a.flush(Duration.ofSeconds(10))).isTrue();
      assertThat(lateStarts()).containsExactly("2024-01-01T03:00:00Z no run", "2024-01-01T04:00:00Z no run", "2024-01-01T05:00:00Z no run");
      // end_date: the last interval [07,08) still counts, then no more deadlines
      assertThat(a.checkLate(all.values(), Instant.parse("2024-01-02T00:00:00Z"))).isEqualTo(Instant.MAX);
      assertThat(a.flush(Duration.ofSeconds(10))).isTrue();
      assertThat(lateStarts()).containsExactly("2024-01-01T06:00:00Z no run", "2024-01-01T07:00:00Z no run");
    }
  }

  private List<String> lateStarts() throws IOException {
    List<String> out = new ArrayList<>();
    for (Receiver.Request r : hooks.drain()) out.add(r.json().get("interval_start").asText() + " " + r.json().get("state").asText());
    return out;
  }

  private static boolean finished(SqliteStore store, String key) {
    return store.runByKey(key).map(r -> r.state().finished()).orElse(false);
  }
}
