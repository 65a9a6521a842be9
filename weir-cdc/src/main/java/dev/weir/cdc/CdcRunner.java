package dev.weir.cdc;

import dev.weir.core.engine.Engine;
import dev.weir.core.engine.Session;
import dev.weir.core.util.Secrets;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Runs CDC sources: one Debezium embedded engine per source (Postgres connector with pgoutput, or the
 * MySQL connector reading a MySQL/MariaDB binlog), whose batches are applied to the warehouse by a
 * {@link CdcApplier} before Debezium is told they are processed. The engine starts from the offset the warehouse committed (see {@link WarehouseOffsetStore});
 * acknowledging a batch lets Debezium flush its LSN to the replication slot, so Postgres keeps the
 * WAL of every change not yet committed to the warehouse.
 */
public final class CdcRunner {
  /** Prefix of the logical decoding messages that mark "caught up" for {@code --until-caught-up}. */
  static final String MARKER_PREFIX = "weir_cdc_caught_up";

  /** How a run ends: at the end of the changes committed when it started, after a time, or when stopped. */
  public record Options(boolean untilCaughtUp, long maxSeconds) {}

  /** One committed batch. */
  public record BatchReport(String source, long batch, int received, int applied, int skipped, int historyRows,
                            long millis, String lsn) {}

  /** What a run did, and the first failure if one stopped it. */
  public record Result(long batches, long changes, long skipped, Throwable failure) {}

  /** Progress of a run. */
  public interface Listener {
    void batch(BatchReport r);

    void info(String message);
  }

  private final Engine engine;
  private final List<CdcSpec> specs;
  private final Options options;
  private final Listener listener;
  /** DuckDB takes one writer at a time: sources of one process commit in turn. */
  private final ReentrantLock writeLock = new ReentrantLock();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong changes = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private volatile boolean stopRequested;
  private volatile Throwable failure;
  private final List<Worker> workers = new ArrayList<>();

  public CdcRunner(Engine engine, List<CdcSpec> specs, Options options, Listener listener) {
    this.engine = engine;
    this.specs = specs;
    this.options = options;
    this.listener = listener;
  }

  /** Asks every source to stop after the batch in hand is committed (signal handlers call this). */
  public void stop() {
    stopRequested = true;
    synchronized (workers) {
      for (Worker w : workers) w.wake();
    }
  }

  /** Runs the sources until they stop (see {@link Options}); returns the totals. */
  public Result run() {
    List<Thread> threads = new ArrayList<>();
    for (CdcSpec spec : specs) {
      Worker w = new Worker(spec);
      synchronized (workers) {
        workers.add(w);
      }
      Thread t = new Thread(w, "weir-cdc-" + spec.name());
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stop();
      }
    }
    return new Result(batches.get(), changes.get(), skipped.get(), failure);
  }

  private void fail(Throwable t) {
    if (failure == null) failure = t;
    stop();
  }

  /** What both connectors share: the engine's name, the offsets kept in the warehouse, the server and its login. */
  private static Properties connection(CdcSpec spec, String connectorClass) {
    Properties p = new Properties();
    p.setProperty("name", spec.name());
    p.setProperty("connector.class", connectorClass);
    p.setProperty("offset.storage", WarehouseOffsetStore.class.getName());
    p.setProperty("offset.flush.interval.ms", "0");
    p.setProperty("offset.flush.timeout.ms", "60000");
    p.setProperty("topic.prefix", spec.name());
    // TRUNCATE is captured (Debezium skips it by default): it empties the warehouse table in order with the other changes
    p.setProperty("skipped.operations", "none");
    p.setProperty("database.hostname", spec.host());
    p.setProperty("database.port", String.valueOf(spec.port()));
    p.setProperty("database.user", spec.user());
    p.setProperty("database.password", spec.password());
    return p;
  }

  /** The Debezium properties of a source (the password among them: never log them). */
  static Properties properties(CdcSpec spec) {
    if (spec.binlog()) return binlogProperties(spec);
    Properties p = connection(spec, "io.debezium.connector.postgresql.PostgresConnector");
    p.setProperty("database.dbname", spec.database());
    p.setProperty("plugin.name", "pgoutput");
    p.setProperty("slot.name", spec.slot());
    p.setProperty("publication.name", spec.publication());
    p.setProperty("publication.autocreate.mode", "filtered");
    p.setProperty("table.include.list", spec.includeList());
    p.setProperty("snapshot.mode", spec.snapshot() == CdcSpec.Snapshot.INITIAL ? "initial" : "no_data");
    p.setProperty("tombstones.on.delete", "false");
    p.setProperty("poll.interval.ms", "20");
    p.setProperty("max.batch.size", String.valueOf(spec.maxBatch()));
    p.setProperty("max.queue.size", String.valueOf(Math.max(8192, spec.maxBatch() * 2 + 1)));
    p.setProperty("decimal.handling.mode", "precise");
    p.setProperty("message.prefix.include.list", MARKER_PREFIX);
    p.setProperty("errors.max.retries", "3");
    return p;
  }

  /**
   * The Debezium properties of a MySQL/MariaDB source: the MySQL connector reading the binlog as
   * replica {@code server_id}, through {@link BinlogJdbcDriver}, with the schema history in the
   * warehouse ({@link WarehouseSchemaHistory}) and types kept exact (decimals and unsigned bigints as
   * decimals, times in microseconds, tinyint(1) as boolean).
   */
  static Properties binlogProperties(CdcSpec spec) {
    Properties p = connection(spec, "io.debezium.connector.mysql.MySqlConnector");
    p.setProperty("database.server.id", String.valueOf(spec.serverId()));
    p.setProperty("database.protocol", BinlogJdbcDriver.PROTOCOL);
    p.setProperty("database.jdbc.driver", BinlogJdbcDriver.class.getName());
    p.setProperty("database.include.list", spec.database().replace(".", "\\."));
    p.setProperty("table.include.list", spec.includeList());
    p.setProperty("schema.history.internal", WarehouseSchemaHistory.class.getName());
    p.setProperty(WarehouseSchemaHistory.SOURCE_PROPERTY, spec.name());
    p.setProperty("schema.history.internal.store.only.captured.tables.ddl", "true");
    p.setProperty("schema.history.internal.store.only.captured.databases.ddl", "true");
    p.setProperty("include.schema.changes", "true");
    p.setProperty("snapshot.mode", spec.snapshot() == CdcSpec.Snapshot.INITIAL ? "initial" : "no_data");
    p.setProperty("snapshot.locking.mode", "minimal");
    p.setProperty("tombstones.on.delete", "false");
    p.setProperty("poll.interval.ms", "20");
    p.setProperty("max.batch.size", String.valueOf(spec.maxBatch()));
    p.setProperty("max.queue.size", String.valueOf(Math.max(8192, spec.maxBatch() * 2 + 1)));
    p.setProperty("decimal.handling.mode", "precise");
    p.setProperty("bigint.unsigned.handling.mode", "precise");
    p.setProperty("time.precision.mode", "adaptive_time_microseconds");
    p.setProperty("binary.handling.mode", "bytes");
    p.setProperty("converters", "weirbool");
    p.setProperty("weirbool.type", "io.debezium.connector.binlog.converters.TinyIntOneToBooleanConverter");
    p.setProperty("heartbeat.interval.ms", "500");
    // no reconnects inside the process either (a reconnect may read the transaction in hand again): see errors.max.retries
    p.setProperty("connect.keep.alive", "false");
    // no restart of the connector inside the process (it would resume from Debezium's own offset, inside a
    // transaction): a lost connection stops the source with an error, and the next run resumes from the warehouse
    p.setProperty("errors.max.retries", "0");
    // the server sends a heartbeat every 0.8 x this on an idle binlog: it moves the position on (--until-caught-up)
    p.setProperty("connect.keep.alive.interval.ms", "2000");
    return p;
  }

  static String jdbcUrl(CdcSpec spec) {
    if (spec.binlog()) return BinlogJdbcDriver.load() + "://" + spec.host() + ":" + spec.port() + "/" + spec.database();
    return "jdbc:postgresql://" + spec.host() + ":" + spec.port() + "/" + spec.database();
  }

  /** The binlog's end (file number, position): MySQL 8.2+ and MariaDB (through {@link BinlogJdbcDriver}), or older MySQL. */
  static long[] binlogEnd(Connection c) throws SQLException {
    SQLException first = null;
    for (String sql : List.of("SHOW BINARY LOG STATUS", "SHOW MASTER STATUS")) {
      try (java.sql.Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery(sql)) {
        if (!rs.next()) throw new SQLException(sql + " returned nothing: is the binlog on (log_bin)?");
        return new long[] {binlogIndex(rs.getString(1)), rs.getLong(2)};
      } catch (SQLException e) {
        if (first == null) first = e;
      }
    }
    throw first;
  }

  /**
   * The offset Debezium restarts from. For a binlog source it is rewound to the start of the
   * transaction in hand ({@code event} and {@code row}, the events and rows to skip inside it,
   * dropped), so a restarted source always reads that transaction from its start again. A change's
   * position is (transaction, its number among the transaction's changes as delivered from the
   * transaction's start), which is then the same in every run; the changes of the transaction that
   * were applied already come again and are skipped by that position. (Debezium's own event count
   * is no such identity: resuming inside a transaction, or reconnecting, it counts the events
   * differently — seen with MariaDB, one event apart — and the skipped part would come again under
   * other numbers.)
   */
  static Map<String, ?> restartOffset(CdcSpec spec, Map<String, ?> offset) {
    if (!spec.binlog() || offset == null) return offset;
    Object snap = offset.get("snapshot");
    if (snap != null && !"false".equals(String.valueOf(snap))) return offset;
    if (!offset.containsKey("event") && !offset.containsKey("row")) return offset;
    Map<String, Object> out = new java.util.LinkedHashMap<>(offset);
    out.remove("event");
    out.remove("row");
    return out;
  }

  /** A binlog file's number ({@code mysql-bin.000042} is 42). */
  static long binlogIndex(String file) {
    if (file == null) return 0;
    int dot = file.lastIndexOf('.');
    try {
      return Long.parseLong(file.substring(dot + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * The transaction of a binlog change: {@code file number × 2^33 + pos}, where {@code pos} (from
   * Debezium's offset) is where the transaction begins in the binlog. The binlog holds transactions
   * in commit order, so this grows from one transaction to the next.
   */
  static long binlogTx(String file, long txPos) {
    return (binlogIndex(file) << 33) | txPos;
  }

  /** A binlog position as text ({@code 42:1234 #3}: file number, where the transaction begins, its change number). */
  static String binlogText(long tx, long changeInTx) {
    return (tx >>> 33) + ":" + (tx & ((1L << 33) - 1)) + " #" + changeInTx;
  }

  /** One source: its engine, its warehouse session and its stop conditions. */
  private final class Worker implements Runnable {
    final CdcSpec spec;
    final String runId = UUID.randomUUID().toString();
    final ReentrantLock applyLock = new ReentrantLock();
    final CountDownLatch wakeUp = new CountDownLatch(1);
    final JsonConverter keyConverter = new JsonConverter();
    final JsonConverter valueConverter = new JsonConverter();
    volatile boolean closing;
    volatile boolean caughtUp;
    volatile boolean engineDone;
    volatile long lastChangeNanos = System.nanoTime();
    CdcApplier applier;
    /** Publishes the change events to Kafka ({@code publish:}), or null. */
    CdcPublisher publisher;
    volatile long batch;
    /** Binlog sources: the transaction whose changes are being delivered, and how many of them came so far. */
    long binlogTxInHand = Long.MIN_VALUE;
    long binlogChangesInTx;
    /** Binlog sources with --until-caught-up: the binlog's end when the run started (file number, position). */
    volatile long[] binlogTarget;

    Worker(CdcSpec spec) {
      this.spec = spec;
      keyConverter.configure(Map.of("schemas.enable", "false"), true);
      valueConverter.configure(Map.of("schemas.enable", "false"), false);
    }

    void wake() { wakeUp.countDown(); }

    @Override
    public void run() {
      long t0 = System.nanoTime();
      lastChangeNanos = t0;
      try (Session s = engine.openSession(); CdcPublisher pub = spec.publish() == null ? null : new CdcPublisher(spec)) {
        publisher = pub;
        applier = new CdcApplier(spec, engine, s);
        CdcApplier.Stored stored = applier.setup();
        if (spec.binlog()) {
          if (stored != null && stored.offsetValue() != null && stored.offsetValue().matches(".*\"snapshot\":\\s*\"?true.*")) {
            // killed during the initial snapshot: Debezium cannot resume one, so start over (merges by key are idempotent)
            listener.info(spec.name() + ": the last run stopped inside its initial snapshot; taking the snapshot again");
            stored = null;
          }
          if (stored == null || stored.offsetValue() == null) applier.restartSnapshot();
          applier.history(WarehouseSchemaHistory.preset(spec.name(), applier.storedSchemaHistory()));
        }
        if (stored != null && stored.offsetKey() != null && stored.offsetValue() != null) {
          WarehouseOffsetStore.preset(spec.name(), Map.of(
              ByteBuffer.wrap(stored.offsetKey().getBytes(StandardCharsets.UTF_8)),
              ByteBuffer.wrap(stored.offsetValue().getBytes(StandardCharsets.UTF_8))));
          listener.info(spec.name() + ": resuming after " + (stored.position() == null ? "the snapshot"
              : spec.binlog() ? "binlog " + binlogText(stored.position().commitLsn(), stored.position().lsn())
              : "LSN " + lsnText(stored.position().lsn())) + " (" + stored.events() + " changes applied so far)");
        } else {
          WarehouseOffsetStore.preset(spec.name(), Map.of());
          listener.info(spec.name() + ": no position stored: " + (spec.snapshot() == CdcSpec.Snapshot.INITIAL
              ? "snapshot of the tables first" : "changes from now on (snapshot: never)"));
        }
        CountDownLatch finished = new CountDownLatch(1);
        DebeziumEngine<RecordChangeEvent<SourceRecord>> dbz = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(properties(spec))
            .using((success, message, error) -> {
              engineDone = true;
              if (!success && !closing) {
                String detail = error == null || error.getMessage() == null || error.getMessage().equals(message) ? ""
                    : ": " + Secrets.mask(error.getMessage());
                fail(new CdcStoppedException("CDC source '" + spec.name() + "' stopped: " + Secrets.mask(String.valueOf(message)) + detail, error));
              }
              finished.countDown();
              wake();
            })
            .notifying(this::handleBatch)
            .build();
        ExecutorService exec = Executors.newSingleThreadExecutor(r -> new Thread(r, "weir-cdc-engine-" + spec.name()));
        exec.execute(dbz);
        try (Marker marker = options.untilCaughtUp() ? new Marker() : null) {
          long deadline = options.maxSeconds() > 0 ? t0 + TimeUnit.SECONDS.toNanos(options.maxSeconds()) : Long.MAX_VALUE;
          while (!stopRequested && !caughtUp && !engineDone && System.nanoTime() < deadline) {
            if (marker != null) {
              marker.tick();
              if (marker.idleFallback()) break;
            }
            wakeUp.await(200, TimeUnit.MILLISECONDS);
          }
        }
        // let the batch in hand commit, then close the engine; later batches are not applied
        applyLock.lock();
        try {
          closing = true;
        } finally {
          applyLock.unlock();
        }
        try {
          dbz.close();
        } finally {
          exec.shutdown();
          if (!exec.awaitTermination(60, TimeUnit.SECONDS)) exec.shutdownNow();
          finished.await(10, TimeUnit.SECONDS);
          WarehouseOffsetStore.clear(spec.name());
          WarehouseSchemaHistory.clear(spec.name());
        }
      } catch (Throwable e) {
        fail(e);
      }
    }

    /** Applies one batch in one warehouse transaction, then acknowledges it to Debezium. */
    private void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                             DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
      applyLock.lock();
      try {
        if (closing || failure != null) throw new InterruptedException("CDC source '" + spec.name() + "' is stopping");
        List<CdcApplier.Change> list = new ArrayList<>(records.size());
        List<SourceRecord> listRecords = new ArrayList<>(records.size());
        SourceRecord lastRecord = null;
        CdcApplier.Position lastPos = null;
        long lastTs = 0;
        boolean marker = false;
        for (RecordChangeEvent<SourceRecord> ev : records) {
          SourceRecord r = ev.record();
          if (r.sourceOffset() != null && r.sourcePartition() != null) lastRecord = r;
          if (!(r.value() instanceof Struct v)) continue; // tombstones, heartbeats without a value
          if (v.schema().field("op") == null) continue;
          String op = v.getString("op");
          if ("m".equals(op)) {
            Struct msg = v.getStruct("message");
            Object content = msg == null ? null : msg.get("content");
            String text = content instanceof ByteBuffer bb ? StandardCharsets.UTF_8.decode(bb.duplicate()).toString() : String.valueOf(content);
            if (msg != null && MARKER_PREFIX.equals(msg.getString("prefix")) && text.equals(runId)) marker = true;
            continue;
          }
          if (op == null || op.length() != 1 || "cudrt".indexOf(op.charAt(0)) < 0) continue;
          Struct source = v.getStruct("source");
          boolean snapshot = op.equals("r");
          Map<String, ?> off = r.sourceOffset();
          String table;
          CdcApplier.Position pos;
          long txId;
          if (spec.binlog()) {
            table = source.getString("db") + "." + source.getString("table");
            String file = String.valueOf(off.get("file"));
            long txPos = off.get("pos") instanceof Number n ? n.longValue() : 0;
            if (snapshot) {
              pos = new CdcApplier.Position(-1, 0);
              txId = -1;
            } else {
              // (transaction, number of the change within it as delivered since the transaction's start): see restartOffset
              txId = binlogTx(file, txPos);
              if (txId != binlogTxInHand) {
                binlogTxInHand = txId;
                binlogChangesInTx = 0;
              }
              pos = new CdcApplier.Position(txId, ++binlogChangesInTx);
            }
          } else {
            table = source.getString("schema") + "." + source.getString("table");
            long lsn = off.get("lsn") instanceof Number n ? n.longValue() : (source.get("lsn") instanceof Number n2 ? n2.longValue() : 0);
            long commitLsn = snapshot ? -1 : off.get("lsn_commit") instanceof Number n ? n.longValue() : 0;
            pos = new CdcApplier.Position(commitLsn, lsn);
            Object tx = source.get("txId");
            txId = tx instanceof Number n ? n.longValue() : -1;
          }
          // a truncate ('t') carries no row: it empties the table as of its position
          Struct image = op.equals("t") ? null : op.equals("d") ? v.getStruct("before") : v.getStruct("after");
          Field imageField = op.equals("t") ? null : v.schema().field(op.equals("d") ? "before" : "after");
          org.apache.kafka.connect.data.Schema imageSchema = imageField == null ? null : imageField.schema();
          long ts = source.get("ts_ms") instanceof Number n ? n.longValue() : 0;
          list.add(new CdcApplier.Change(table, op.charAt(0), r.keySchema(), imageSchema, image, pos, txId, ts, snapshot));
          listRecords.add(r);
          lastPos = pos;
          lastTs = ts;
        }
        String key = null;
        String value = null;
        if (lastRecord != null) {
          key = new String(keyConverter.fromConnectData(spec.name(), null, Arrays.asList(spec.name(), lastRecord.sourcePartition())),
              StandardCharsets.UTF_8);
          value = new String(valueConverter.fromConnectData(spec.name(), null, restartOffset(spec, lastRecord.sourceOffset())),
              StandardCharsets.UTF_8);
        }
        if (publisher != null) {
          // to Kafka first, acknowledged, then the warehouse: what the warehouse has, Kafka has (at least once)
          List<String> tables = new ArrayList<>();
          List<SourceRecord> toSend = new ArrayList<>();
          for (int i = 0; i < list.size(); i++) {
            if (applier.alreadyApplied(list.get(i))) continue;
            tables.add(list.get(i).table());
            toSend.add(listRecords.get(i));
          }
          publisher.publish(tables, toSend);
        }
        lastChangeNanos = System.nanoTime();
        CdcApplier.Applied a;
        boolean serial = "duckdb".equals(engine.type());
        if (serial) writeLock.lock();
        try {
          a = applier.apply(list, key, value, lastPos, lastTs);
        } finally {
          if (serial) writeLock.unlock();
        }
        for (RecordChangeEvent<SourceRecord> ev : records) committer.markProcessed(ev);
        committer.markBatchFinished();
        batches.incrementAndGet();
        changes.addAndGet(a.applied());
        skipped.addAndGet(a.skipped());
        batch++;
        if (a.received() > 0) {
          listener.batch(new BatchReport(spec.name(), batch, a.received(), a.applied(), a.skipped(), a.historyRows(), a.millis(),
              a.position() == null ? "-" : spec.binlog() ? "binlog " + binlogText(a.position().commitLsn(), a.position().lsn())
                  : lsnText(a.position().lsn())));
        }
        if (spec.binlog() && lastRecord != null && binlogTarget != null && !caughtUp) {
          // caught up once Debezium's restart position (a heartbeat's too) reaches the binlog's end as it was at the start
          Map<String, ?> off = lastRecord.sourceOffset();
          boolean inSnapshot = off.get("snapshot") != null && !"false".equals(String.valueOf(off.get("snapshot")));
          long idx = binlogIndex(String.valueOf(off.get("file")));
          long p = off.get("pos") instanceof Number n ? n.longValue() : -1;
          if (!inSnapshot && (idx > binlogTarget[0] || (idx == binlogTarget[0] && p >= binlogTarget[1]))) marker = true;
        }
        if (marker) {
          caughtUp = true;
          listener.info(spec.name() + ": caught up");
          wake();
        }
      } catch (InterruptedException e) {
        throw e;
      } catch (RuntimeException e) {
        CdcStoppedException stopped = e instanceof CdcStoppedException cs ? cs
            : new CdcStoppedException("CDC source '" + spec.name() + "': applying a batch failed; nothing of it was committed: "
                + Secrets.mask(String.valueOf(e.getMessage())), e);
        fail(stopped);
        throw stopped;
      } finally {
        applyLock.unlock();
      }
    }

    /**
     * For {@code --until-caught-up}: writes a logical decoding message naming this run into the
     * source's WAL every half second; the changes committed before it arrive before it, so once it
     * is applied the run has caught up with the source as it was when the run started.
     */
    private final class Marker implements AutoCloseable {
      private Connection c;
      private long next;
      private boolean failed;

      void tick() {
        if (failed || System.nanoTime() < next) return;
        next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        try {
          if (c == null) c = DriverManager.getConnection(jdbcUrl(spec), spec.user(), spec.password());
          if (spec.binlog()) {
            // the binlog's end now: applied once Debezium's position reaches it (heartbeats move it on an idle binlog)
            if (binlogTarget == null) {
              binlogTarget = binlogEnd(c);
            }
            return;
          }
          try (PreparedStatement ps = c.prepareStatement("select pg_logical_emit_message(false, ?, ?)")) {
            ps.setString(1, MARKER_PREFIX);
            ps.setString(2, runId);
            ps.execute();
          }
        } catch (SQLException e) {
          failed = true;
          listener.info(spec.name() + ": cannot write the caught-up marker (" + Secrets.mask(e.getMessage())
              + "); stopping after 3 s without a batch instead");
        }
      }

      boolean idleFallback() {
        // the engine takes seconds to start: 15 s for a first batch, then 3 s without one
        return failed && System.nanoTime() - lastChangeNanos > TimeUnit.SECONDS.toNanos(batch == 0 ? 15 : 3);
      }

      @Override
      public void close() {
        if (c != null) {
          try {
            c.close();
          } catch (SQLException ignored) {
            // best effort
          }
        }
      }
    }
  }

  /** An LSN as Postgres prints it ({@code 16/B374D848}). */
  public static String lsnText(long lsn) {
    return (Long.toHexString(lsn >>> 32) + "/" + Long.toHexString(lsn & 0xFFFFFFFFL)).toUpperCase(java.util.Locale.ROOT);
  }
}
