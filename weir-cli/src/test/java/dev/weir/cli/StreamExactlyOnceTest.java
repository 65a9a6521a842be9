package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.stream.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exactly-once proof: N keyed messages carrying a checksum go through {@code weir stream run}
 * in a real child JVM that is SIGKILLed at random moments and halted at each named fault point
 * inside the commit, restarted each time; the warehouse must end with exactly N rows, N distinct
 * (partition, offset) pairs and the same checksum. N is 200,000 here
 * ({@code -Dweir.stream.proof.n=1000000} for the full proof, see bench/stream.sh).
 */
class StreamExactlyOnceTest {
  @Test
  void killedAndFaultedAtEveryPointTheStreamNeitherLosesNorDoublesARecord(@TempDir Path dir) throws Exception {
    int n = Integer.getInteger("weir.stream.proof.n", 200_000);
    int batch = Math.max(2000, n / 100);
    int total = n;
    long checksum = 0;
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"))) {
      broker.createTopic("proof", 4);
      checksum += produce(broker, 0, n);
      TestProject proj = TestProject.create(dir.resolve("project"), "proof", "");
      proj.env.put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
      proj.file("streams/proof.yml", """
          name: proof
          kafka:
            bootstrap_servers: "{{ env_var('KAFKA_BOOTSTRAP') }}"
            # rebalances among the 4 consumer threads in seconds, not in heartbeats of 3 s
            properties: {heartbeat.interval.ms: 100}
          topics: [proof]
          target: raw.proof
          trigger: {max_records: %d, max_interval: 200ms}
          """.formatted(Math.max(2000, n / 100)));
      Random rnd = new Random(42);
      long t0 = System.nanoTime();
      int realKills = 0;
      List<String> history = new ArrayList<>();
      for (int k = 0; k < 5; k++) {
        if (k > 0) {
          // Fresh records before each later kill run too: a fast stream may have consumed every partition to its
          // end before the previous kill, and a run with nothing left exits before it can be killed (more than the
          // random wait below lets a fast child consume).
          int more = Math.min(80_000, 4 * 10 * batch);
          checksum += produce(broker, total, more);
          total += more;
        }
        Process child = start(proj, dir.resolve("run-kill-" + k + ".log"), null);
        waitForBatch(child, dir.resolve("run-kill-" + k + ".log"));
        Thread.sleep(50 + rnd.nextInt(600));
        if (child.isAlive()) realKills++;
        child.destroyForcibly(); // SIGKILL
        child.waitFor(30, TimeUnit.SECONDS);
        history.add("kill " + k + ": exit " + child.exitValue() + ", rows " + rows(proj) + " at " + (System.nanoTime() - t0) / 1_000_000 + " ms");
      }
      for (String point : List.of("before_commit", "mid_commit", "after_commit")) {
        // Fresh records before each fault run, so it has at least 3 batches to commit whatever the
        // kills left (on a quiet machine they may have consumed every partition to its end).
        int more = 4 * 3 * batch;
        checksum += produce(broker, total, more);
        total += more;
        Path log = dir.resolve("run-" + point + ".log");
        Process child = start(proj, log, point + ":3");
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("halted at %s: %s", point, Files.readString(log)).isEqualTo(137);
        assertThat(Files.readString(log)).contains("halting at " + point);
        history.add(point + ": exit 137, rows " + rows(proj) + " at " + (System.nanoTime() - t0) / 1_000_000 + " ms");
      }
      Path last = dir.resolve("run-final.log");
      Process child = start(proj, last, null);
      assertThat(child.waitFor(180, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).as(Files.readString(last)).isEqualTo(0);
      history.add("final at " + (System.nanoTime() - t0) / 1_000_000 + " ms");
      System.out.println("exactly-once proof (n=" + total + "): " + history);
      assertThat(realKills).as("kills that hit a running stream: %s", history).isGreaterThanOrEqualTo(5);
    }
    TestProject proj = new TestProject(dir.resolve("project"));
    assertThat(proj.rows("select count(*), count(distinct (_kafka_partition, _kafka_offset)), count(distinct id), sum(v) from raw.proof"))
        .containsExactly(total + "|" + total + "|" + total + "|" + checksum);
    assertThat(proj.rows("select sum(next_offset) from raw.weir_stream_offsets where stream = 'proof'")).containsExactly(String.valueOf(total));
  }

  /** Sends records {@code from .. from+count-1} (keyed); returns the sum of their {@code v}. */
  private static long produce(KafkaBroker broker, int from, int count) {
    long sum = 0;
    try (KafkaProducer<byte[], byte[]> p = broker.producer(true)) {
      for (int i = from; i < from + count; i++) {
        long v = (i * 7919L) % 1_000_003L;
        sum += v;
        p.send(new ProducerRecord<>("proof", ("k" + i).getBytes(StandardCharsets.UTF_8),
            ("{\"id\": " + i + ", \"v\": " + v + ", \"pad\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}").getBytes(StandardCharsets.UTF_8)));
      }
      p.flush();
    }
    return sum;
  }

  private static String rows(TestProject p) {
    try {
      return String.join(",", p.rows("select count(*) from raw.proof"));
    } catch (RuntimeException e) {
      return "-";
    }
  }

  /** Starts {@code weir stream run --until-caught-up} as a child JVM on the test class path. */
  private static Process start(TestProject p, Path log, String fault) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add(TestProject.childTmp(p.dir));
    cmd.add("-Xmx768m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1"); // short-lived children: C1 only starts faster and leaves the cores to the others
    if (fault != null) cmd.add("-Dweir.stream.fault=" + fault);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of("stream", "run", "--until-caught-up", "--project-dir", p.dir.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().clear();
    pb.environment().putAll(p.env);
    return pb.start();
  }

  private static void waitForBatch(Process child, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && child.isAlive()) {
      if (Files.exists(log) && Files.readString(log).contains(" batch ")) return;
      Thread.sleep(20);
    }
  }
}
