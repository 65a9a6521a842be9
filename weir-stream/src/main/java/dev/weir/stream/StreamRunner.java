package dev.weir.stream;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Engine;
import dev.weir.core.engine.Session;
import dev.weir.core.util.Secrets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Runs streams: for each, consumer threads of one group (one {@link KafkaConsumer} and one
 * warehouse {@link Session} per thread), cutting micro-batches by the stream's trigger and writing
 * each through a {@link WarehouseWriter} exactly once. The consumers never trust Kafka's committed
 * group offsets: on every partition assignment they seek to the offsets the warehouse holds.
 * On a warehouse that takes one writer at a time (DuckDB) the batches' warehouse work is
 * serialized; decoding still runs on all threads.
 */
public final class StreamRunner {
  /** How long to run. {@code threads} overrides the streams' own setting when positive. */
  public record Options(boolean untilCaughtUp, long maxBatches, int threads) {
    public static Options forever() { return new Options(false, 0, 0); }
  }

  /** Receives progress. Called from worker threads. */
  public interface Listener {
    void batch(BatchReport report);

    void info(String message);
  }

  /** Totals of a run. */
  public record Result(long batches, long records, long deadLetters, Throwable failure) {}

  private final Engine engine;
  private final List<StreamSpec> specs;
  private final Options options;
  private final Listener listener;
  private final Latencies latencies = new Latencies();
  private final List<StreamState> states = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stopping;

  public StreamRunner(Engine engine, List<StreamSpec> specs, Options options, Listener listener) {
    this.engine = engine;
    this.specs = specs;
    this.options = options;
    this.listener = listener;
  }

  /** End-to-end latencies of all records committed so far. */
  public Latencies latencies() { return latencies; }

  /** Asks every worker to finish its current batch, commit it and stop (any thread; returns at once). */
  public void stop() {
    stopping = true;
    for (StreamState s : states) s.stopRequested = true;
  }

  /** Whether the warehouse takes concurrent writers (DuckDB does not: one writing transaction at a time). */
  static boolean concurrentWriters(Engine engine) {
    return !"duckdb".equals(engine.type());
  }

  /** Runs until stopped, caught up (option) or failed. Returns the totals; the failure, if any, is in the result. */
  public Result run() throws InterruptedException {
    Lock writeLock = concurrentWriters(engine) ? new NoLock() : new ReentrantLock();
    try (Session s = engine.openSession()) {
      raiseCheckpointThreshold(s);
      for (StreamSpec spec : specs) {
        StreamState st = new StreamState(spec, engine, writeLock);
        st.setup(s);
        states.add(st);
      }
    }
    for (StreamState st : states) {
      if (stopping) st.stopRequested = true;
      int n = threadCount(st.spec);
      listener.info("Stream " + st.spec.name() + ": " + describeSource(st.spec) + " -> " + st.spec.target() + " ("
          + st.spec.mode().name().toLowerCase() + ", " + n + (n == 1 ? " thread" : " threads") + ")");
      AtomicLong batchNo = new AtomicLong();
      for (int i = 0; i < n; i++) {
        Worker w = new Worker(st, i, batchNo);
        Thread t = new Thread(w, "weir-stream-" + st.spec.name() + "-" + i);
        t.setDaemon(true);
        threads.add(t);
        t.start();
      }
    }
    for (Thread t : threads) t.join();
    Throwable failure = null;
    long b = 0, r = 0, dl = 0;
    for (StreamState st : states) {
      if (failure == null && st.failure != null) failure = st.failure;
      b += st.batches.get();
      r += st.records.get();
      dl += st.deadLettered.get();
    }
    return new Result(b, r, dl, failure);
  }

  /** DuckDB's default checkpoint threshold, as {@code current_setting} spells it. */
  private static final java.util.Set<String> DEFAULT_CHECKPOINT_THRESHOLD = java.util.Set.of("16.0 MiB", "16.0MiB", "16.7 MB", "16MB", "16 MiB");

  /**
   * On DuckDB, raises {@code checkpoint_threshold} from its default (16 MiB of WAL) to 256 MB unless the
   * profile's settings changed it: the automatic checkpoint runs inside the COMMIT that crosses the
   * threshold, and with the default a steady stream stalls for a checkpoint (~1–2 s) every ~15 s,
   * which alone breaks a 1 s latency p99.
   */
  private void raiseCheckpointThreshold(Session s) {
    if (!"duckdb".equals(engine.type())) return;
    try {
      Object v = s.query("select current_setting('checkpoint_threshold')", 1).rows().get(0).get(0);
      if (v != null && DEFAULT_CHECKPOINT_THRESHOLD.contains(v.toString().strip())) {
        s.execute("set checkpoint_threshold = '256MB'");
        listener.info("DuckDB checkpoint_threshold raised from " + v + " to 256MB for streaming (set it in the profile's settings to choose)");
      }
    } catch (RuntimeException e) {
      listener.info("Could not read DuckDB's checkpoint_threshold: " + WarehouseWriter.firstLine(e.getMessage()));
    }
  }

  private static String describeSource(StreamSpec spec) {
    return spec.topicPattern() != null ? "topics matching /" + spec.topicPattern().pattern() + "/" : String.join(", ", spec.topics());
  }

  private int threadCount(StreamSpec spec) {
    int wanted = options.threads() > 0 ? options.threads() : spec.threads();
    int partitions = partitionCount(spec);
    if (wanted <= 0) wanted = Math.min(4, Math.max(1, partitions));
    return Math.max(1, partitions > 0 ? Math.min(wanted, partitions) : 1);
  }

  private int partitionCount(StreamSpec spec) {
    Properties p = consumerProps(spec);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      int n = 0;
      if (spec.topicPattern() != null) {
        for (Map.Entry<String, List<PartitionInfo>> e : c.listTopics(Duration.ofSeconds(30)).entrySet()) {
          if (spec.topicPattern().matcher(e.getKey()).matches()) n += e.getValue().size();
        }
      } else {
        for (String t : spec.topics()) {
          List<PartitionInfo> ps = c.partitionsFor(t, Duration.ofSeconds(30));
          if (ps != null) n += ps.size();
        }
      }
      return n;
    } catch (RuntimeException e) {
      throw WeirException.runtime("Stream '" + spec.name() + "': cannot reach Kafka at " + spec.kafka().bootstrapServers() + ": "
          + Secrets.mask(e.getMessage()), e);
    }
  }

  /** This process's name among the group's static members: WEIR_STREAM_INSTANCE, else the host name. */
  static String instanceName() {
    String v = System.getenv("WEIR_STREAM_INSTANCE");
    if (v != null && !v.isBlank()) return v;
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "weir";
    }
  }

  static Properties consumerProps(StreamSpec spec) {
    Properties p = new Properties();
    p.putAll(spec.kafka().properties());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, spec.kafka().bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, spec.kafka().groupId());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, spec.startFrom());
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(Math.max(1, Math.min(spec.trigger().maxRecords(), 10_000))));
    p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "weir-" + spec.name());
    p.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  /** Batches a worker may have decoding or committing at once (the writer's two batch files are taken in turn). */
  private static final int MAX_IN_FLIGHT = 2;

  /**
   * One consumer thread of a stream, with a decoder and a committer thread of its own: a three-stage
   * pipeline where the consumer polls batch k+2 while the decoder prepares batch k+1 and the committer
   * writes batch k. Batches commit one at a time and in order (at most two in flight); once one fails
   * no later one commits. Every rebalance callback first waits for the batches in flight, so offsets
   * are read back (and partitions handed over) only after their commit or rollback.
   */
  private final class Worker implements Runnable, ConsumerRebalanceListener {
    private final StreamState st;
    private final int index;
    private final AtomicLong batchNo;
    private final List<ConsumerRecord<byte[], byte[]>> buffer = new ArrayList<>();
    private long bufferBytes;
    private long bufferSince;
    private long pollNanos;
    private KafkaConsumer<byte[], byte[]> consumer;
    private WarehouseWriter writer;
    private ExecutorService decoder;
    private ExecutorService committer;
    /** Batches handed to the decoder and committer, oldest first (at most {@link #MAX_IN_FLIGHT}). */
    private final java.util.ArrayDeque<Future<Done>> inFlight = new java.util.ArrayDeque<>();
    /** Set (on the committer thread) when a batch failed: later batches are not committed. */
    private boolean broken;

    Worker(StreamState st, int index, AtomicLong batchNo) {
      this.st = st;
      this.index = index;
      this.batchNo = batchNo;
    }

    @Override
    public void run() {
      Properties p = consumerProps(st.spec);
      p.put(ConsumerConfig.CLIENT_ID_CONFIG, p.getProperty(ConsumerConfig.CLIENT_ID_CONFIG) + "-" + index);
      // Static membership: a restarted process (after a crash or kill) takes its members' places at once
      // instead of waiting for the dead members' sessions to expire.
      p.putIfAbsent(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, st.spec.kafka().groupId() + "-" + instanceName() + "-" + index);
      try (Session s = engine.openSession(); KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p);
           WarehouseWriter w = new WarehouseWriter(st, s, index)) {
        consumer = c;
        writer = w;
        String name = Thread.currentThread().getName();
        decoder = Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, name + "-decode");
          t.setDaemon(true);
          return t;
        });
        committer = Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, name + "-commit");
          t.setDaemon(true);
          return t;
        });
        try {
          loop(c);
        } finally {
          // Never leave a commit running on the session about to close.
          for (Future<Done> f : inFlight) {
            try {
              f.get();
            } catch (ExecutionException e) {
              st.fail(e.getCause());
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          inFlight.clear();
          decoder.shutdownNow();
          committer.shutdownNow();
        }
      } catch (Throwable t) {
        st.fail(t);
      } finally {
        consumer = null;
      }
    }

    private void loop(KafkaConsumer<byte[], byte[]> c) {
      if (st.spec.topicPattern() != null) c.subscribe(st.spec.topicPattern(), this);
      else c.subscribe(st.spec.topics(), this);
      StreamSpec.Trigger trig = st.spec.trigger();
      long intervalNanos = trig.maxInterval().toNanos();
      long emptySince = System.nanoTime();
      while (!st.stopRequested) {
        // Poll no longer than the time left to the batch's max_interval (but at least 1 ms, at most 50 ms).
        long waitMs = 50;
        if (!buffer.isEmpty()) waitMs = Math.max(1, Math.min(50, (bufferSince + intervalNanos - System.nanoTime()) / 1_000_000));
        long p0 = System.nanoTime();
        ConsumerRecords<byte[], byte[]> recs = c.poll(Duration.ofMillis(waitMs));
        if (!recs.isEmpty() || !buffer.isEmpty()) pollNanos += System.nanoTime() - p0;
        for (ConsumerRecord<byte[], byte[]> r : recs) {
          if (buffer.isEmpty()) bufferSince = System.nanoTime();
          buffer.add(r);
          bufferBytes += Math.max(0, r.serializedValueSize()) + Math.max(0, r.serializedKeySize());
        }
        if (!buffer.isEmpty() && (buffer.size() >= trig.maxRecords() || bufferBytes >= trig.maxBytes()
            || System.nanoTime() - bufferSince >= intervalNanos)) {
          flush();
          if (options.maxBatches() > 0 && st.batches.get() + inFlight.size() >= options.maxBatches()) break;
        }
        while (!inFlight.isEmpty() && inFlight.peekFirst().isDone()) finish(); // report committed batches promptly
        if (options.untilCaughtUp() && buffer.isEmpty() && recs.isEmpty()) {
          Set<TopicPartition> assigned = c.assignment();
          if (assigned.isEmpty()) {
            if (System.nanoTime() - emptySince > Duration.ofSeconds(30).toNanos()) break;
          } else {
            emptySince = System.nanoTime();
            if (caughtUp(c, assigned)) break;
          }
        }
      }
      // Graceful stop: finish the batch in hand (commit it) rather than leave it.
      if (!buffer.isEmpty() && st.failure == null) flush();
      finishAll();
    }

    private void finishAll() {
      while (!inFlight.isEmpty()) finish();
    }

    /**
     * {@link #finishAll} inside a rebalance callback: Kafka wraps what a callback throws ("User rebalance callback
     * throws an error"), so a batch's failure is recorded as the stream's first, as itself, before it is rethrown.
     */
    private void finishInCallback() {
      try {
        finishAll();
      } catch (RuntimeException | Error e) {
        st.fail(e);
        throw e;
      }
    }

    private boolean caughtUp(KafkaConsumer<byte[], byte[]> c, Set<TopicPartition> assigned) {
      Map<TopicPartition, Long> end = c.endOffsets(assigned, Duration.ofSeconds(10));
      for (TopicPartition tp : assigned) {
        if (c.position(tp, Duration.ofSeconds(10)) < end.getOrDefault(tp, 0L)) return false;
      }
      return true;
    }

    /** A committed batch as the committer thread hands it back. */
    private record Done(WarehouseWriter.Committed committed, long cutNanos, long pollNanos, long p99) {}

    /** Cuts the buffer into a batch and hands it to the decoder and then the committer (after the batches before it). */
    private void flush() {
      List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>(buffer);
      long cut = System.nanoTime();
      long polled = pollNanos;
      pollNanos = 0;
      buffer.clear();
      bufferBytes = 0;
      while (inFlight.size() >= MAX_IN_FLIGHT) finish();
      if (st.failure != null) return;
      Future<WarehouseWriter.Prepared> prepared = decoder.submit(() -> writer.prepare(batch));
      inFlight.addLast(committer.submit(() -> {
        if (broken) throw new StreamState.EarlierBatchFailed(st.spec.name());
        WarehouseWriter.Committed done;
        try {
          done = writer.commit(prepared.get());
        } catch (ExecutionException e) {
          broken = true;
          throw e.getCause() instanceof Exception ex ? ex : e;
        } catch (Throwable t) {
          broken = true;
          throw t;
        }
        long commitMs = System.currentTimeMillis();
        // Latency: record timestamp to commit, in 1 ms resolution (grouped: batches hold many equal values).
        Map<Long, Long> lat = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : batch) lat.merge(Math.max(0, commitMs - r.timestamp()), 1L, Long::sum);
        Latencies mine = new Latencies();
        lat.forEach(mine::add);
        lat.forEach(latencies::add);
        st.batches.incrementAndGet();
        st.records.addAndGet(done.records());
        st.deadLettered.addAndGet(done.deadLetters());
        return new Done(done, cut, polled, mine.quantile(0.99));
      }));
    }

    /** Waits for the oldest batch in flight (if any), then tells Kafka and the listener about it; rethrows its failure. */
    private void finish() {
      Future<Done> f = inFlight.pollFirst();
      if (f == null) return;
      Done d;
      try {
        d = f.get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException re) throw re;
        if (cause instanceof Error er) throw er;
        throw new IllegalStateException(cause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StreamStoppedException("Stream '" + st.spec.name() + "': interrupted");
      }
      WarehouseWriter.Committed done = d.committed();
      // Informational only (lag tools read it): the warehouse holds the offsets that count.
      Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
      Set<TopicPartition> assigned = consumer.assignment();
      done.nextOffsets().forEach((tp, off) -> {
        if (assigned.contains(tp)) commit.put(tp, new OffsetAndMetadata(off));
      });
      if (!commit.isEmpty()) consumer.commitAsync(commit, null);
      long lag = 0;
      for (TopicPartition tp : assigned) {
        var l = consumer.currentLag(tp);
        if (l.isEmpty()) {
          lag = -1;
          break;
        }
        lag += l.getAsLong();
      }
      long[] phases = done.phases().clone();
      phases[BatchReport.POLL] = d.pollNanos();
      List<BatchReport.Position> positions = new ArrayList<>();
      done.nextOffsets().forEach((tp, off) -> positions.add(new BatchReport.Position(tp.topic(), tp.partition(), off)));
      listener.batch(new BatchReport(st.spec.name(), index, batchNo.incrementAndGet(), done.records(), done.deadLetters(),
          (System.nanoTime() - d.cutNanos()) / 1_000_000, lag, d.p99(), phases, positions));
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) return;
      listener.info("Stream " + st.spec.name() + " [thread " + index + "]: assigned " + partitions.stream().map(TopicPartition::toString)
          .sorted().collect(java.util.stream.Collectors.joining(", ")));
      finishInCallback();
      Map<TopicPartition, Long> stored = writer.readOffsets();
      List<TopicPartition> fresh = new ArrayList<>();
      for (TopicPartition tp : partitions) {
        Long off = stored.get(tp);
        if (off != null) consumer.seek(tp, off);
        else fresh.add(tp);
      }
      if (!fresh.isEmpty()) {
        if ("latest".equals(st.spec.startFrom())) consumer.seekToEnd(fresh);
        else consumer.seekToBeginning(fresh);
      }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      abandon(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      abandon(partitions);
    }

    /**
     * Lets the batch in flight commit (its records were read while this worker owned their partitions),
     * then drops buffered records of partitions this worker no longer owns: their offsets stay where the
     * warehouse has them.
     */
    private void abandon(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) return;
      finishInCallback();
      if (buffer.isEmpty()) return;
      Set<TopicPartition> gone = new HashSet<>(partitions);
      buffer.removeIf(r -> gone.contains(new TopicPartition(r.topic(), r.partition())));
      bufferBytes = 0;
      for (ConsumerRecord<byte[], byte[]> r : buffer) bufferBytes += Math.max(0, r.serializedValueSize());
    }
  }

  /** The write lock of warehouses with concurrent writers: no locking. */
  private static final class NoLock implements Lock {
    @Override public void lock() {}
    @Override public void lockInterruptibly() {}
    @Override public boolean tryLock() { return true; }
    @Override public boolean tryLock(long time, java.util.concurrent.TimeUnit unit) { return true; }
    @Override public void unlock() {}
    @Override public java.util.concurrent.locks.Condition newCondition() { throw new UnsupportedOperationException(); }
  }
}
