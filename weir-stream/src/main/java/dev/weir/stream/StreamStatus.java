package dev.weir.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.weir.core.util.Secrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * What a running stream reports about itself, for {@code weir stream status} and for metrics: totals, the last minute's
 * rate, latency and dead letters, and each partition's committed position. {@code weir stream run} feeds it every
 * committed batch and writes it to {@code target/streams/<name>.status.json} (at most once a second, atomically), so
 * another process can read it while the warehouse is held by the running stream (DuckDB takes one process at a time).
 * Lag is computed by the reader against the partitions' end offsets in Kafka.
 */
public final class StreamStatus {
  /** The window of the "last minute" figures. */
  static final Duration WINDOW = Duration.ofMinutes(1);
  /** A running stream's file not written for this long is reported as not responding. */
  public static final Duration STALE = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final String stream;
  private final String target;
  private final Path file;
  private final Instant startedAt = Instant.now();
  private final long pid = ProcessHandle.current().pid();
  private final ArrayDeque<long[]> recent = new ArrayDeque<>(); // {epoch ms, records, dead letters, p99 ms}
  private final Map<String, Long> positions = new TreeMap<>(); // "topic/partition" -> next offset
  private final Map<Integer, Long> lagByWorker = new TreeMap<>();
  private long batches;
  private long records;
  private long deadLetters;
  private long lastBatchMillis;
  private long lastWrite;
  private String state = "running";
  private String error;

  /** A status for {@code stream} (landing in {@code target}), written to {@code dir/<stream>.status.json}. */
  public StreamStatus(String stream, String target, Path dir) {
    this.stream = stream;
    this.target = target;
    this.file = dir.resolve(stream + ".status.json");
  }

  /** The file the status goes to. */
  public Path file() { return file; }

  /** Takes a committed batch into account; writes the file when the last write is a second old. */
  public synchronized void batch(BatchReport r) {
    long now = System.currentTimeMillis();
    batches++;
    records += r.records();
    deadLetters += r.deadLetters();
    lastBatchMillis = now;
    recent.addLast(new long[] {now, r.records(), r.deadLetters(), r.p99Millis()});
    for (BatchReport.Position p : r.committed()) positions.put(p.topic() + "/" + p.partition(), p.nextOffset());
    lagByWorker.put(r.worker(), r.lag());
    if (now - lastWrite >= 1000) write();
  }

  /** The stream ended: {@code stopped}, or {@code failed} with the error. Writes the file. */
  public synchronized void ended(Throwable failure) {
    state = failure == null ? "stopped" : "failed";
    error = failure == null ? null : Secrets.mask(String.valueOf(failure.getMessage()));
    write();
  }

  /** Records per second over the last minute. */
  public synchronized double recordsPerSecond() {
    trim(System.currentTimeMillis());
    long n = 0;
    for (long[] b : recent) n += b[1];
    return n / (double) WINDOW.toSeconds();
  }

  /** The highest batch p99 latency (record timestamp to commit) over the last minute, ms; -1 without batches. */
  public synchronized long latencyP99Millis() {
    trim(System.currentTimeMillis());
    long max = -1;
    for (long[] b : recent) max = Math.max(max, b[3]);
    return max;
  }

  /** Dead letters over the last minute. */
  public synchronized long deadLettersLastMinute() {
    trim(System.currentTimeMillis());
    long n = 0;
    for (long[] b : recent) n += b[2];
    return n;
  }

  /** Records still to read on this process's partitions after each thread's last batch (-1 unknown). */
  public synchronized long lag() {
    long t = 0;
    for (long l : lagByWorker.values()) {
      if (l < 0) return -1;
      t += l;
    }
    return t;
  }

  public synchronized long records() { return records; }

  public synchronized long deadLetters() { return deadLetters; }

  public synchronized long batches() { return batches; }

  /** The committed next offset of each partition ("topic/partition"). */
  public synchronized Map<String, Long> positions() { return new TreeMap<>(positions); }

  public String stream() { return stream; }

  private void trim(long now) {
    while (!recent.isEmpty() && recent.peekFirst()[0] < now - WINDOW.toMillis()) recent.pollFirst();
  }

  private void write() {
    long now = System.currentTimeMillis();
    lastWrite = now;
    trim(now);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("stream", stream);
    m.put("target", target);
    m.put("state", state);
    m.put("error", error);
    m.put("pid", pid);
    m.put("host", host());
    m.put("started_at", startedAt.toString());
    m.put("updated_at", Instant.ofEpochMilli(now).toString());
    m.put("last_batch_at", lastBatchMillis == 0 ? null : Instant.ofEpochMilli(lastBatchMillis).toString());
    m.put("batches", batches);
    m.put("records", records);
    m.put("dead_letters", deadLetters);
    long n = 0, dl = 0, p99 = -1;
    for (long[] b : recent) {
      n += b[1];
      dl += b[2];
      p99 = Math.max(p99, b[3]);
    }
    m.put("records_per_second_1m", Math.round(n * 10.0 / WINDOW.toSeconds()) / 10.0);
    m.put("latency_p99_ms_1m", p99 < 0 ? null : p99);
    m.put("dead_letters_1m", dl);
    List<Map<String, Object>> parts = new ArrayList<>();
    positions.forEach((k, v) -> {
      int slash = k.lastIndexOf('/');
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("topic", k.substring(0, slash));
      p.put("partition", Integer.parseInt(k.substring(slash + 1)));
      p.put("next_offset", v);
      parts.add(p);
    });
    m.put("partitions", parts);
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      JSON.writeValue(tmp.toFile(), m);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      // status is best effort: the stream itself goes on
    }
  }

  static String host() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "?";
    }
  }

  // ------------------------------------------------------------------ reading (weir stream status)

  /** A stream's status as another process sees it. {@code lag} is -1 per partition when Kafka could not be asked. */
  public record Report(String stream, String target, String state, String error, Long pid, String updatedAt, String lastBatchAt,
      long records, long deadLetters, double recordsPerSecond, Long latencyP99Millis, long deadLettersLastMinute,
      List<PartitionLag> partitions, String kafkaError) {
    /** The sum of the partitions' lags, or -1 when any is unknown. */
    public long totalLag() {
      long t = 0;
      for (PartitionLag p : partitions) {
        if (p.lag() < 0) return -1;
        t += p.lag();
      }
      return t;
    }
  }

  /** One partition: committed next offset (-1: nothing committed yet), end offset in Kafka (-1 unknown) and lag. */
  public record PartitionLag(String topic, int partition, long nextOffset, long endOffset, long lag) {}

  /**
   * The status of {@code spec}: its status file (if it ever ran here) and the end offsets of its partitions in Kafka.
   * A file saying "running" whose process is gone or that was not written for {@link #STALE} reads "not running" or
   * "not responding".
   */
  public static Report read(StreamSpec spec, Path dir) {
    Path f = dir.resolve(spec.name() + ".status.json");
    JsonNode j = null;
    if (Files.exists(f)) {
      try {
        j = JSON.readTree(f.toFile());
      } catch (IOException e) {
        j = null;
      }
    }
    String state = j == null ? "never run" : j.path("state").asText();
    if (j != null && state.equals("running")) {
      long pid = j.path("pid").asLong();
      boolean alive = host().equals(j.path("host").asText()) ? ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) : true;
      Instant updated = Instant.parse(j.path("updated_at").asText());
      if (!alive) state = "not running (process " + pid + " ended without stopping)";
      else if (updated.isBefore(Instant.now().minus(STALE)) && j.path("last_batch_at").isTextual()) {
        state = "running (no batch committed since " + j.path("last_batch_at").asText() + ")";
      }
    }
    Map<String, Long> committed = new TreeMap<>();
    if (j != null) for (JsonNode p : j.path("partitions")) committed.put(p.path("topic").asText() + "/" + p.path("partition").asInt(), p.path("next_offset").asLong());
    List<PartitionLag> parts = new ArrayList<>();
    String kafkaError = null;
    try {
      for (Map.Entry<TopicPartition, Long> e : endOffsets(spec).entrySet()) {
        TopicPartition tp = e.getKey();
        Long next = committed.remove(tp.topic() + "/" + tp.partition());
        long end = e.getValue();
        parts.add(new PartitionLag(tp.topic(), tp.partition(), next == null ? -1 : next, end, next == null ? end : Math.max(0, end - next)));
      }
    } catch (RuntimeException e) {
      kafkaError = Secrets.mask(String.valueOf(e.getMessage()));
    }
    committed.forEach((k, v) -> {
      int slash = k.lastIndexOf('/');
      parts.add(new PartitionLag(k.substring(0, slash), Integer.parseInt(k.substring(slash + 1)), v, -1, -1));
    });
    if (j == null) {
      return new Report(spec.name(), spec.target(), state, null, null, null, null, 0, 0, 0, null, 0, parts, kafkaError);
    }
    return new Report(spec.name(), spec.target(), state, j.path("error").isTextual() ? j.path("error").asText() : null,
        j.path("pid").asLong(), j.path("updated_at").asText(), j.path("last_batch_at").isTextual() ? j.path("last_batch_at").asText() : null,
        j.path("records").asLong(), j.path("dead_letters").asLong(), state.startsWith("running") ? j.path("records_per_second_1m").asDouble() : 0,
        j.path("latency_p99_ms_1m").isNumber() ? j.path("latency_p99_ms_1m").asLong() : null, j.path("dead_letters_1m").asLong(), parts,
        kafkaError);
  }

  /** The end offsets (read_committed: the last stable offset) of every partition of the stream's topics. */
  private static Map<TopicPartition, Long> endOffsets(StreamSpec spec) {
    Properties p = StreamRunner.consumerProps(spec);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "weir-status-" + spec.name());
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = new ArrayList<>();
      if (spec.topicPattern() != null) {
        for (Map.Entry<String, List<PartitionInfo>> e : c.listTopics(Duration.ofSeconds(10)).entrySet()) {
          if (spec.topicPattern().matcher(e.getKey()).matches()) for (PartitionInfo pi : e.getValue()) tps.add(new TopicPartition(pi.topic(), pi.partition()));
        }
      } else {
        for (String t : spec.topics()) {
          List<PartitionInfo> ps = c.partitionsFor(t, Duration.ofSeconds(10));
          if (ps != null) for (PartitionInfo pi : ps) tps.add(new TopicPartition(pi.topic(), pi.partition()));
        }
      }
      tps.sort(java.util.Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
      Map<TopicPartition, Long> out = new LinkedHashMap<>();
      Map<TopicPartition, Long> ends = c.endOffsets(tps, Duration.ofSeconds(10));
      for (TopicPartition tp : tps) out.put(tp, ends.get(tp));
      return out;
    }
  }
}
