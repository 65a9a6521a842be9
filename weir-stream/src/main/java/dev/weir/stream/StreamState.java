package dev.weir.stream;

import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Engine;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.Session;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the workers of one stream share: the relations it writes, the target's known columns
 * (guarded by {@link #ddl}), counters, and the stop / failure flags.
 */
final class StreamState {
  /** Columns every batch carries before the record's own: where the record came from. */
  static final List<String> META = List.of("_kafka_topic", "_kafka_partition", "_kafka_offset", "_kafka_key", "_kafka_timestamp");
  static final List<ColumnKind> META_KINDS = List.of(ColumnKind.VARCHAR, ColumnKind.INTEGER, ColumnKind.BIGINT,
      ColumnKind.VARCHAR, ColumnKind.TIMESTAMP);
  static final String OFFSETS_TABLE = "weir_stream_offsets";

  final StreamSpec spec;
  final Engine engine;
  final String engineType;
  final Relation target;
  final Relation offsets;
  final Relation deadLetters;
  /** Held around schema changes of the target (several workers may see new columns at once). */
  final ReentrantLock ddl = new ReentrantLock();
  /** Held around each batch's warehouse work when the warehouse takes one writer at a time (DuckDB). */
  final Lock writeLock;
  /** The target's columns by name, or null while it does not exist. Read and written under {@link #ddl}. */
  LinkedHashMap<String, ColumnInfo> targetColumns;
  /** Bumped whenever {@link #targetColumns} is read anew (batches prepared against an older version are prepared again). */
  volatile long schemaVersion;
  /** Format debezium without {@code key:}: the primary key's columns, from the first keyed event (null until then). */
  volatile List<String> derivedKey;
  final AtomicLong batches = new AtomicLong();
  final AtomicLong records = new AtomicLong();
  final AtomicLong deadLettered = new AtomicLong();
  volatile boolean stopRequested;
  volatile Throwable failure;

  StreamState(StreamSpec spec, Engine engine, Lock writeLock) {
    this.spec = spec;
    this.engine = engine;
    this.engineType = engine.type();
    this.writeLock = writeLock;
    String schema = spec.targetSchema() != null ? spec.targetSchema() : engine.defaultSchema();
    this.target = Relation.of(engine.defaultDatabase(), schema, spec.targetTable());
    this.offsets = Relation.of(engine.defaultDatabase(), schema, OFFSETS_TABLE);
    String dl = spec.deadLetter().relation();
    int dot = dl.lastIndexOf('.');
    this.deadLetters = Relation.of(engine.defaultDatabase(), dot < 0 ? schema : dl.substring(0, dot), dl.substring(dot + 1));
  }

  /** Creates the schemas, the offsets and dead-letter tables if missing, and reads the target's columns. */
  void setup(Session s) {
    // Another process of the stream's group may be creating the same schema or table at this moment: Postgres then
    // fails "if not exists" with a unique violation in its catalog. Done again, the statements find them.
    ddlWithRetries(() -> setupOnce(s), () -> { });
  }

  /**
   * Runs idempotent DDL under {@link #ddl}, up to three times: the processes of a stream's group create the same
   * schemas, tables and columns, and Postgres answers one of two simultaneous "if not exists" with an error.
   * {@code beforeRetry} runs before each further attempt (e.g. to read the target again).
   */
  void ddlWithRetries(Runnable once, Runnable beforeRetry) {
    ddl.lock();
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          once.run();
          return;
        } catch (RuntimeException e) {
          if (attempt >= 3) throw e;
          beforeRetry.run();
        }
      }
    } finally {
      ddl.unlock();
    }
  }

  private void setupOnce(Session s) {
    var d = s.dialect();
    for (Relation r : List.of(target, offsets, deadLetters)) {
      if (!s.schemaExists(r.database(), r.schema())) s.createSchema(r.database(), r.schema());
    }
    String str = ColumnKind.VARCHAR.sqlType(engineType);
    s.execute("create table if not exists " + d.render(offsets) + " (stream " + str + " not null, topic " + str
        + " not null, partition_id integer not null, next_offset bigint not null, updated_at timestamp,"
        + " primary key (stream, topic, partition_id))");
    s.execute("create table if not exists " + d.render(deadLetters) + " (stream " + str + ", topic " + str
        + ", partition_id integer, record_offset bigint, record_key " + str + ", payload " + str + ", error " + str
        + ", failed_at timestamp)");
    refreshTarget(s);
  }

  void refreshTarget(Session s) {
    schemaVersion++;
    if (s.getRelation(target.database(), target.schema(), target.identifier()).isEmpty()) {
      targetColumns = null;
      return;
    }
    LinkedHashMap<String, ColumnInfo> cols = new LinkedHashMap<>();
    for (ColumnInfo c : s.getColumns(target)) cols.put(c.name(), c);
    targetColumns = cols;
  }

  /**
   * Records the stream's failure and asks its workers to stop. The first real failure is kept: a batch refused
   * only because an earlier one failed ({@link EarlierBatchFailed}) never hides the failure it follows.
   */
  synchronized void fail(Throwable t) {
    if (failure == null || (failure instanceof EarlierBatchFailed && !(t instanceof EarlierBatchFailed))) failure = t;
    stopRequested = true;
  }

  /** A batch not committed because an earlier batch of its worker failed: never the failure to report. */
  static final class EarlierBatchFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    EarlierBatchFailed(String stream) { super("Stream '" + stream + "': an earlier batch failed", null, false, false); }
  }
}
