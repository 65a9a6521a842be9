package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.stream.KafkaBroker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streams into a PostgreSQL warehouse (a real PostgreSQL 17 and a real KRaft broker): two {@code weir stream run}
 * processes in one consumer group share the topic's partitions, each committing its rows and offsets in its own
 * transactions, and together they write every record exactly once.
 */
class StreamPostgresE2ETest {
  static KafkaBroker broker;

  @BeforeAll
  static void startBroker(@TempDir Path dir) throws Exception {
    broker = KafkaBroker.start(dir.resolve("kafka"));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (broker != null) broker.close();
  }

  /** A `weir stream run` child process and what it printed so far. */
  record Child(Process process, StringBuffer out) {}

  static Child start(EngineProject p, String instance) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), TestProject.childTmp(p.dir()), "-Xmx256m",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "dev.weir.cli.Main", "stream", "run",
        "--project-dir", p.dir().toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(p.p.env);
    pb.environment().put("WEIR_STREAM_INSTANCE", instance); // static membership: one id per process
    pb.environment().put("NO_COLOR", "1");
    Process proc = pb.start();
    StringBuffer out = new StringBuffer();
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l = r.readLine(); l != null; l = r.readLine()) out.append(l).append('\n');
      } catch (IOException e) {
        // ended
      }
    });
    t.setDaemon(true);
    t.start();
    return new Child(proc, out);
  }

  /** Rows in the target so far; 0 before the first batch has created it. */
  static long rowsSoFar(EngineProject p) {
    try {
      return Long.parseLong(p.rows("select count(*) from {s}.payments").get(0));
    } catch (AssertionError e) {
      return 0; // no batch committed yet: the table does not exist
    }
  }

  /** The partitions the child's latest "assigned" line names (empty before its first assignment). */
  static List<String> lastAssignment(Child c) {
    String out = c.out().toString();
    int i = out.lastIndexOf("assigned ");
    if (i < 0) return List.of();
    int end = out.indexOf('\n', i);
    return List.of(out.substring(i + "assigned ".length(), end < 0 ? out.length() : end).strip().split(",\\s*"));
  }

  static boolean await(java.util.function.BooleanSupplier c, int seconds) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      if (c.getAsBoolean()) return true;
      Thread.sleep(200);
    }
    return c.getAsBoolean();
  }

  @Test
  void twoProcessesInOneGroupShareThePartitionsAndWriteEveryRecordOnce(@TempDir Path dir) throws Exception {
    broker.createTopic("payments_pg", 4);
    EngineProject p = EngineProject.create(EngineProject.Engine.POSTGRES, dir, "paypg");
    p.p.env.put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
    p.file("streams/payments.yml", """
        name: payments
        kafka:
          bootstrap_servers: "{{ env_var('KAFKA_BOOTSTRAP') }}"
          group_id: weir-payments-pg
        topics: [payments_pg]
        schema: {id: bigint, cents: integer}
        target: {s}.payments
        threads: 1
        trigger: {max_records: 500, max_interval: 100ms}
        """);
    Child a = start(p, "a");
    Child b = start(p, "b");
    try {
      // both members hold partitions before any data comes
      // (the first to join may hold all four until the second joins and the group rebalances)
      assertThat(await(() -> lastAssignment(a).size() + lastAssignment(b).size() == 4 && !lastAssignment(a).isEmpty()
          && !lastAssignment(b).isEmpty(), 90)).as("A:\n" + a.out() + "\nB:\n" + b.out()).isTrue();
      List<String[]> msgs = new ArrayList<>();
      for (int i = 0; i < 20_000; i++) msgs.add(new String[] {"k" + i, "{\"id\": " + i + ", \"cents\": " + (i % 997) + "}"});
      broker.produce("payments_pg", msgs);
      assertThat(await(() -> rowsSoFar(p) == 20_000, 120))
          .as("A:\n" + a.out() + "\nB:\n" + b.out()).isTrue();
      assertThat(a.out().toString()).as(a.out().toString()).contains("payments batch");
      assertThat(b.out().toString()).as(b.out().toString()).contains("payments batch");
    } finally {
      a.process().destroy(); // SIGTERM: each commits the batch in hand and stops
      b.process().destroy();
      a.process().waitFor(30, TimeUnit.SECONDS);
      b.process().waitFor(30, TimeUnit.SECONDS);
    }
    assertThat(a.process().exitValue()).as(a.out().toString()).isZero();
    assertThat(b.process().exitValue()).as(b.out().toString()).isZero();
    long expectedSum = 0;
    for (int i = 0; i < 20_000; i++) expectedSum += i % 997;
    assertThat(p.rows("select count(*), count(distinct id), count(distinct (_kafka_partition, _kafka_offset)), sum(cents) from {s}.payments"))
        .containsExactly("20000|20000|20000|" + expectedSum);
    assertThat(p.rows("select sum(next_offset) from {s}.weir_stream_offsets where stream = 'payments'")).containsExactly("20000");
  }
}
