package dev.weir.stream;

import dev.weir.core.engine.Engine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The stream benchmark (bench/stream.sh; not part of mvn verify): in one run, against one broker
 * started here, (1) the raw consumption rate of a topic of 100-byte JSON messages with a plain
 * KafkaConsumer loop, (2) Weir's exactly-once rate into DuckDB on the same topic, (3) end-to-end
 * latency (produce timestamp to warehouse commit) at a steady rate. Args: messages (0: latency only), rate/s, seconds, out dir.
 */
public final class StreamBench {
  private StreamBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    Path out = Path.of(args.length > 3 ? args[3] : "bench/out");
    Files.createDirectories(out);
    Path work = Files.createTempDirectory(out, "stream-bench-");
    try (KafkaBroker broker = KafkaBroker.start(work.resolve("kafka"))) {
      double rawRate = 0, weir = 0, rawCpu = 0, weirCpu = 0;
      if (n > 0) {
        broker.createTopic("bench", 1);
        long t = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> p = broker.producer(true)) {
          for (int i = 0; i < n; i++) p.send(new ProducerRecord<>("bench", null, message(i)));
          p.flush();
        }
        double produceSecs = (System.nanoTime() - t) / 1e9;
        System.out.printf(Locale.ROOT, "produced %d messages of %d bytes in %.1f s%n", n, message(0).length, produceSecs);

        // Two rounds of each, interleaved; the better of two counts for both (as a stream runs for long, its steady
        // state matters: the first Weir round also pays the JIT compiling its code, ~4 CPU-s here, the raw loop's is small).
        long c0 = cpuNanos();
        double raw1 = raw(broker, n);
        long c1 = cpuNanos();
        double weir1 = weir(broker, work.resolve("wh1"), n, "bench");
        long c2 = cpuNanos();
        String breakdown1 = breakdown(n);
        double raw2 = raw(broker, n);
        long c3 = cpuNanos();
        double weir2 = weir(broker, work.resolve("wh1b"), n, "bench_again");
        long c4 = cpuNanos();
        String weirBreakdown = breakdown(n);
        rawCpu = Math.min(c1 - c0, c3 - c2) / 1e9 * 1_000_000 / n;
        weirCpu = Math.min(c2 - c1, c4 - c3) / 1e9 * 1_000_000 / n;
        rawRate = Math.max(raw1, raw2);
        weir = Math.max(weir1, weir2);
        System.out.printf(Locale.ROOT, "raw KafkaConsumer: %,.0f msg/s (runs: %,.0f and %,.0f)%n", rawRate, raw1, raw2);
        System.out.printf(Locale.ROOT, "weir exactly-once into DuckDB: %,.0f msg/s = %.2fx raw (runs: %,.0f and %,.0f)%n", weir, weir / rawRate,
            weir1, weir2);
        System.out.println("weir breakdown, first run: " + breakdown1);
        double[] alone = duckdbAlone(work.resolve("wh-alone"), n);
        System.out.printf(Locale.ROOT, "DuckDB alone, the same rows in 100,000-row batch files, one transaction each: %,.0f rows/s, %.1f CPU-s per 1M"
            + " (a ceiling: %.2fx raw)%n", alone[0], alone[1], alone[0] / rawRate);
        System.out.println("weir breakdown, second run: " + weirBreakdown);
        // CPU time of the whole process (broker included) per 1M messages: unlike msg/s, it hardly depends on other load.
        System.out.printf(Locale.ROOT, "process CPU per 1M messages: raw %.1f s, weir %.1f s (raw/weir %.2f)%n", rawCpu, weirCpu, rawCpu / weirCpu);
      }
      long[] lat = latency(broker, work.resolve("wh2"), rate, seconds);
      System.out.printf(Locale.ROOT, "latency at %,d msg/s for %d s: p50 %d ms, p99 %d ms, max %d ms (%d records)%n",
          rate, seconds, lat[0], lat[1], lat[2], lat[3]);
      System.out.println("latency breakdown: " + breakdown(lat[3]));
      String json = String.format(Locale.ROOT, "{\"messages\": %d, \"message_bytes\": %d, \"raw_msgs_per_s\": %.0f, \"weir_msgs_per_s\": %.0f,"
          + " \"ratio\": %.3f, \"raw_cpu_s_per_1m\": %.1f, \"weir_cpu_s_per_1m\": %.1f, \"latency_rate\": %d, \"latency_seconds\": %d, \"latency_p50_ms\": %d, \"latency_p99_ms\": %d, \"latency_max_ms\": %d}%n",
          n, message(0).length, rawRate, weir, rawRate > 0 ? weir / rawRate : 0, rawCpu, weirCpu, rate, seconds, lat[0], lat[1], lat[2]);
      Files.writeString(out.resolve("stream.json"), json);
      System.out.print(json);
    } finally {
      deleteTree(work);
    }
  }

  /** CPU time of the live Java threads by name (digits dropped), ns. */
  static Map<String, Long> threadCpu() {
    var mx = java.lang.management.ManagementFactory.getThreadMXBean();
    Map<String, Long> out = new java.util.TreeMap<>();
    for (var ti : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (ti == null) continue;
      long c = mx.getThreadCpuTime(ti.getThreadId());
      if (c > 0) out.merge(ti.getThreadName().replaceAll("\\d+", "N"), c, Long::sum);
    }
    return out;
  }

  /** Per OS thread of this process (tid, name as the OS knows it): CPU ticks (utime + stime), from /proc (Linux only; else empty). */
  static Map<String, long[]> tasks() {
    Map<String, long[]> out = new java.util.HashMap<>();
    try (var dirs = Files.list(Path.of("/proc/self/task"))) {
      for (Path d : (Iterable<Path>) dirs::iterator) {
        try {
          String stat = Files.readString(d.resolve("stat"));
          int close = stat.lastIndexOf(')');
          String name = stat.substring(stat.indexOf('(') + 1, close);
          String[] f = stat.substring(close + 2).split(" ");
          out.put(d.getFileName() + " " + name, new long[] {Long.parseLong(f[11]) + Long.parseLong(f[12])});
        } catch (java.io.IOException | RuntimeException ignored) {
          // a thread that ended meanwhile
        }
      }
    } catch (java.io.IOException e) {
      return out;
    }
    return out;
  }

  /** CPU seconds per thread name (digits dropped) between two {@link #tasks} snapshots, threads present in both. */
  static String taskDelta(Map<String, long[]> before, Map<String, long[]> after) {
    Map<String, Long> by = new java.util.TreeMap<>();
    for (var e : after.entrySet()) {
      long[] b = before.get(e.getKey());
      if (b == null) continue;
      String name = e.getKey().substring(e.getKey().indexOf(' ') + 1).replaceAll("\\d+", "N");
      by.merge(name, e.getValue()[0] - b[0], Long::sum);
    }
    StringBuilder sb = new StringBuilder();
    by.entrySet().stream().filter(x -> x.getValue() > 0).sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
        .forEach(x -> sb.append(String.format(Locale.ROOT, " %s %.2f s;", x.getKey(), x.getValue() / 100.0)));
    return sb.toString();
  }

  /** CPU time of this process (all threads, DuckDB's native ones too), ns. */
  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** A JSON message of exactly 100 bytes. */
  static byte[] message(int i) {
    String base = String.format(Locale.ROOT, "{\"id\":%d,\"user\":\"u%d\",\"amount\":%d.%02d,\"country\":\"%s\",\"pad\":\"",
        i, i % 100_000, i % 1000, i % 100, i % 2 == 0 ? "FR" : "DE");
    StringBuilder sb = new StringBuilder(base);
    while (sb.length() < 98) sb.append('x');
    return sb.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
  }

  static double raw(KafkaBroker broker, int n) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      TopicPartition tp = new TopicPartition("bench", 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long t = System.nanoTime();
      long seen = 0, bytes = 0;
      while (seen < n) {
        ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(200));
        for (var r : rs) bytes += r.value().length;
        seen += rs.count();
      }
      double secs = (System.nanoTime() - t) / 1e9;
      if (bytes == 0) throw new IllegalStateException();
      return seen / secs;
    }
  }

  private static StreamSpec spec(KafkaBroker broker, String name, String topic, String trigger) {
    return StreamSpecs.parse("name: " + name + "\nkafka: {bootstrap_servers: '" + broker.bootstrapServers() + "'}\ntopics: [" + topic
        + "]\ntarget: raw." + name + "\ntrigger: " + trigger + "\n", "streams/" + name + ".yml", Map.of()).get(0);
  }

  /** Sums the batches' phases (reset per run). */
  static final long[] PHASES = new long[BatchReport.PHASES.size()];
  static long batches;
  static BatchReport slowest;
  static final Map<String, Long> WEIR_THREADS = new java.util.TreeMap<>();

  private static final StreamRunner.Listener QUIET = new StreamRunner.Listener() {
    @Override public synchronized void batch(BatchReport r) {
      for (int i = 0; i < PHASES.length; i++) PHASES[i] += r.phaseNanos()[i];
      batches++;
      if (slowest == null || r.p99Millis() > slowest.p99Millis()) slowest = r;
      var mx = java.lang.management.ManagementFactory.getThreadMXBean();
      for (var ti : mx.getThreadInfo(mx.getAllThreadIds())) {
        if (ti == null || !ti.getThreadName().startsWith("weir-stream-bench")) continue;
        long c = mx.getThreadCpuTime(ti.getThreadId());
        if (c > 0) WEIR_THREADS.put(ti.getThreadName().replaceFirst("^weir-stream-bench-\\d+", "worker"), c);
      }
    }
    @Override public void info(String m) {
      if (m.contains("checkpoint")) System.out.println(m);
    }
  };

  /**
   * The warehouse side alone: the rows Weir writes for these messages, as the batch files it writes, loaded into a fresh
   * DuckDB file one 100,000-row transaction at a time (as the stream does, without Kafka or decoding). Returns rows/s and
   * process CPU seconds per 1M rows.
   */
  static double[] duckdbAlone(Path dir, int n) throws Exception {
    Files.createDirectories(dir);
    List<dev.weir.core.engine.ColumnInfo> cols = List.of(new dev.weir.core.engine.ColumnInfo("_kafka_topic", "varchar"),
        new dev.weir.core.engine.ColumnInfo("_kafka_partition", "integer"), new dev.weir.core.engine.ColumnInfo("_kafka_offset", "bigint"),
        new dev.weir.core.engine.ColumnInfo("_kafka_key", "varchar"), new dev.weir.core.engine.ColumnInfo("_kafka_timestamp", "timestamp"),
        new dev.weir.core.engine.ColumnInfo("id", "bigint"), new dev.weir.core.engine.ColumnInfo("user", "varchar"),
        new dev.weir.core.engine.ColumnInfo("amount", "double"), new dev.weir.core.engine.ColumnInfo("country", "varchar"),
        new dev.weir.core.engine.ColumnInfo("pad", "varchar"));
    int batch = 100_000;
    List<BatchFile> files = new java.util.ArrayList<>();
    try (Engine e = TestWarehouse.duckdb(dir); dev.weir.core.engine.Session s = e.openSession()) {
      for (int start = 0; start < n; start += batch) {
        BatchFile f = new BatchFile("weir-bench-");
        f.begin();
        for (int i = start; i < Math.min(n, start + batch); i++) {
          com.fasterxml.jackson.databind.JsonNode m = new com.fasterxml.jackson.databind.ObjectMapper().readTree(message(i));
          f.row(new Object[] {"bench", 0L, (long) i, null, null, m.get("id").longValue(), m.get("user").textValue(),
              m.get("amount").doubleValue(), m.get("country").textValue(), m.get("pad").textValue()}, cols.size(), 1_700_000_000_000L + i);
        }
        f.finish();
        files.add(f);
      }
      dev.weir.core.engine.Relation t = dev.weir.core.engine.Relation.of(e.defaultDatabase(), e.defaultSchema(), "alone");
      s.execute("set checkpoint_threshold = '256MB'"); // as the stream sets it
      s.execute(s.dialect().createTable(t, cols));
      long t0 = System.nanoTime();
      long c0 = cpuNanos();
      for (BatchFile f : files) {
        s.begin();
        s.execute("insert into " + s.dialect().render(t) + " " + f.select(s.dialect(), cols));
        s.commit();
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      double cpu = (cpuNanos() - c0) / 1e9;
      return new double[] {n / secs, cpu * 1_000_000 / n};
    } finally {
      for (BatchFile f : files) f.close();
    }
  }

  static String breakdown(long records) {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%d batches; per 1M records:", batches));
    for (int i = 0; i < PHASES.length; i++) {
      sb.append(String.format(Locale.ROOT, " %s %.0f ms", BatchReport.PHASES.get(i), PHASES[i] / 1e6 * 1_000_000.0 / Math.max(1, records)));
    }
    if (slowest != null) {
      sb.append(String.format(Locale.ROOT, "; slowest batch: %d records, p99 %d ms, cut to commit %d ms (%s)", slowest.records(),
          slowest.p99Millis(), slowest.millis(), slowest.describePhases()));
    }
    java.util.Arrays.fill(PHASES, 0);
    batches = 0;
    slowest = null;
    return sb.toString();
  }

  static double weir(KafkaBroker broker, Path dir, int n, String name) throws Exception {
    Files.createDirectories(dir);
    try (Engine e = TestWarehouse.duckdb(dir)) {
      StreamRunner r = new StreamRunner(e, List.of(spec(broker, name, "bench", "{max_records: 100000, max_interval: 1s}")),
          new StreamRunner.Options(true, 0, 1), QUIET);
      long t = System.nanoTime();
      Map<String, long[]> tasks0 = tasks();
      long cpu0 = cpuNanos();
      StreamRunner.Result res = r.run();
      // the worker threads are gone by now: their CPU time was sampled by the listener at the last batch
      long cpu = cpuNanos() - cpu0;
      System.out.println("weir run CPU of the threads alive before and after it (OS view; DuckDB's and the JVM's own threads): "
          + taskDelta(tasks0, tasks()));
      StringBuilder sb = new StringBuilder();
      long javaWeir = 0;
      for (var th : WEIR_THREADS.entrySet()) {
        sb.append(String.format(Locale.ROOT, " %s %.1f s", th.getKey(), th.getValue() / 1e9));
        javaWeir += th.getValue();
      }
      System.out.printf(Locale.ROOT, "weir run CPU: process %.1f s; weir threads:%s; rest (broker, GC, JIT, DuckDB's own threads) %.1f s%n",
          cpu / 1e9, sb, (cpu - javaWeir) / 1e9);
      WEIR_THREADS.clear();
      double secs = (System.nanoTime() - t) / 1e9;
      if (res.failure() != null) throw new IllegalStateException(res.failure());
      Object rows = TestWarehouse.scalar(e, "select count(*) from raw." + name);
      if (((Number) rows).longValue() != n) throw new IllegalStateException("rows " + rows + " != " + n);
      return n / secs;
    }
  }

  static long[] latency(KafkaBroker broker, Path dir, int rate, int seconds) throws Exception {
    broker.createTopic("steady", 1);
    Files.createDirectories(dir);
    try (Engine e = TestWarehouse.duckdb(dir)) {
      StreamRunner r = new StreamRunner(e, List.of(spec(broker, "steady", "steady", "{max_records: 20000, max_interval: 200ms}")),
          StreamRunner.Options.forever(), QUIET);
      Thread runner = new Thread(() -> {
        try {
          r.run();
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
        }
      });
      runner.start();
      try (KafkaProducer<byte[], byte[]> p = broker.producer(false)) {
        long start = System.nanoTime();
        long sent = 0;
        long warm = 3;
        boolean reset = false;
        while (true) {
          long elapsed = System.nanoTime() - start;
          if (elapsed > Duration.ofSeconds(seconds + warm).toNanos()) break;
          if (!reset && elapsed > Duration.ofSeconds(warm).toNanos()) {
            r.latencies().reset();
            reset = true;
          }
          long due = elapsed * rate / 1_000_000_000L;
          while (sent < due) p.send(new ProducerRecord<>("steady", null, message((int) sent++)));
          Thread.sleep(1);
        }
        p.flush();
      }
      Thread.sleep(1500);
      r.stop();
      runner.join();
      Latencies l = r.latencies();
      return new long[] {l.quantile(0.5), l.quantile(0.99), l.quantile(1.0), l.count()};
    }
  }

  private static void deleteTree(Path p) {
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (java.io.IOException ignored) {
      // best effort
    }
  }
}
