package dev.weir.stream;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.Session;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Writes micro-batches of one worker (one consumer thread) to the warehouse, exactly once: the
 * batch's rows, its dead letters and the next offset of every partition it read are committed in
 * one transaction of the worker's own {@link Session}. The offsets read back by
 * {@link #readOffsets()} are therefore always those of the last committed batch.
 *
 * <p>A batch goes in two steps so that the runner can overlap them: {@link #prepare} (decode,
 * schema, conversion, and on DuckDB the batch file; no warehouse work, any thread) and
 * {@link #commit} (schema changes, the load and the transaction; the session's thread). Both may
 * run at the same time for two consecutive batches; each step runs on one thread at a time.
 */
final class WarehouseWriter implements AutoCloseable {
  private final StreamState st;
  private final StreamSpec spec;
  private final Session s;
  private final Dialect d;
  private final Decoder decoder;
  private final Relation stage;
  private final Relation dedup;
  private final boolean duckdb;
  /** Format debezium: rows are change events (deletes remove their key's row, truncates empty the target). */
  private final boolean debezium;
  /** Batch files: two taken in turn by {@link #prepare} (one is written while the other is loaded), one for {@link #commit}. */
  private final BatchFile[] files = new BatchFile[3];
  /** The decoder of batches prepared again by {@link #commit} (decoders are not thread-safe). */
  private Decoder commitDecoder;
  private int nextFile;
  private List<ColumnInfo> stageColumns;
  private DeadLetterTopic deadLetterTopic;

  /** The outcome of one committed batch; {@code phases} in nanoseconds, indexed like {@link BatchReport#PHASES}. */
  record Committed(int records, int rows, int deadLetters, Map<TopicPartition, Long> nextOffsets, long commitMillis, long[] phases) {}

  /** A record that failed, with the reason. */
  record Bad(ConsumerRecord<byte[], byte[]> rec, String error) {}

  /** A decoded batch, ready for {@link #commit}. */
  static final class Prepared {
    final List<ConsumerRecord<byte[], byte[]>> records;
    final long[] phases = new long[BatchReport.PHASES.size()];
    final Map<TopicPartition, Long> next = new LinkedHashMap<>();
    /** The first offset of each partition in the batch (the fence of {@link #checkNotOvertaken}). */
    final Map<TopicPartition, Long> first = new HashMap<>();
    final List<Bad> bad = new ArrayList<>();
    int tombstones;
    /** Debezium truncate events in the batch (format debezium). */
    int truncates;
    int rowCount;
    long schemaVersion;
    List<ColumnInfo> columns;
    /** The rows as Java values: null when the batch file holds them and no transform may need them. */
    List<Object[]> rows;
    List<ConsumerRecord<byte[], byte[]>> rowRecs;
    /** The rows as a batch file (DuckDB), or null: then {@link #rows} go through the engine's bulk load. */
    BatchFile file;

    Prepared(List<ConsumerRecord<byte[], byte[]>> records) { this.records = records; }

    /** Records a run of consecutive records of one partition: offsets {@code first} to {@code next - 1}. */
    void endRun(String topic, int partition, long firstOffset, long nextOffset) {
      TopicPartition tp = new TopicPartition(topic, partition);
      next.merge(tp, nextOffset, Math::max);
      first.merge(tp, firstOffset, Math::min);
    }
  }

  WarehouseWriter(StreamState st, Session s, int worker) {
    this.st = st;
    this.spec = st.spec;
    this.s = s;
    this.d = s.dialect();
    this.decoder = new Decoder(spec);
    this.stage = st.target.withIdentifier("__weir_stage_" + spec.name() + "_" + worker);
    this.dedup = st.target.withIdentifier("__weir_dedup_" + spec.name() + "_" + worker);
    this.duckdb = "duckdb".equals(st.engineType) && !Boolean.getBoolean("weir.stream.appender");
    this.debezium = spec.format() == StreamSpec.Format.DEBEZIUM;
  }

  /** The upsert key: declared, or for Debezium events the primary key their record keys carry (null until seen). */
  private List<String> key() {
    return !spec.key().isEmpty() || !debezium ? spec.key() : st.derivedKey;
  }

  @Override
  public void close() {
    for (BatchFile f : files) if (f != null) f.close();
    if (deadLetterTopic != null) deadLetterTopic.close();
  }

  /** The next offset to read of each partition, as the warehouse last committed it for this stream. */
  Map<TopicPartition, Long> readOffsets() {
    QueryResult r = s.query("select topic, partition_id, next_offset from " + d.render(st.offsets) + " where stream = "
        + d.stringLiteral(spec.name()), -1);
    Map<TopicPartition, Long> out = new HashMap<>();
    for (List<Object> row : r.rows()) {
      out.put(new TopicPartition((String) row.get(0), ((Number) row.get(1)).intValue()), ((Number) row.get(2)).longValue());
    }
    return out;
  }

  /** Decodes and writes one batch; returns what was committed (see {@link #prepare} and {@link #commit}). */
  Committed write(List<ConsumerRecord<byte[], byte[]>> records) {
    return commit(prepare(records));
  }

  /**
   * Decodes and converts one batch, without touching the warehouse. Throws {@link StreamStoppedException}
   * when the share of bad records exceeds the stream's {@code max_fraction} (nothing of it may be committed).
   */
  Prepared prepare(List<ConsumerRecord<byte[], byte[]>> records) {
    int slot = nextFile;
    nextFile = 1 - nextFile;
    return prepare(records, decoder, slot);
  }

  /**
   * {@link #prepare} with a given decoder and batch file slot (the committer thread has its own of both).
   *
   * <p>One pass when the records fit the schema the target already has (the usual case once a stream
   * runs): each record is parsed, checked, converted and appended to the batch file at once, and only
   * the file is kept. The first record that does not fit (a new field, a value needing a wider type)
   * ends the pass: the rest of the batch is inferred and the batch converted again with the widened
   * schema, which is what inferring over the whole batch gives.
   */
  private Prepared prepare(List<ConsumerRecord<byte[], byte[]>> records, Decoder decoder, int slot) {
    long mark = System.nanoTime();
    Map<String, ColumnKind> known = new LinkedHashMap<>();
    long version;
    st.ddl.lock();
    try {
      version = st.schemaVersion;
      if (spec.transform() == null && st.targetColumns != null) {
        for (ColumnInfo c : st.targetColumns.values()) {
          if (StreamState.META.contains(c.name())) continue;
          ColumnKind.Declared k = ColumnKind.parseDeclared(c.dataType());
          known.put(c.name(), k == null ? ColumnKind.VARCHAR : k.kind());
        }
      }
    } finally {
      st.ddl.unlock();
    }
    if (debezium && spec.key().isEmpty() && st.derivedKey == null) {
      // the table's primary key, as Debezium keys its events
      for (ConsumerRecord<byte[], byte[]> r : records) {
        if (r.key() == null) continue; // tombstones carry the key too
        List<String> k = DebeziumEnvelope.keyNames(r.key());
        if (k != null) {
          st.derivedKey = List.copyOf(k);
          break;
        }
      }
    }
    LinkedHashMap<String, ColumnKind> schema = decoder.schemaFor(List.of(), known);
    boolean checkFit = true;
    boolean useFile = duckdb;
    long decodeNanos = 0;
    long schemaNanos = 0;
    while (true) {
      Prepared p = new Prepared(records);
      p.schemaVersion = version;
      for (String m : StreamState.META) {
        if (Decoder.findIgnoreCase(schema, m) != null) {
          throw new StreamStoppedException("Stream '" + spec.name() + "': a record field is named " + m + ", which Weir uses for the record's position");
        }
      }
      List<String> names = new ArrayList<>(StreamState.META);
      names.addAll(schema.keySet());
      List<ColumnKind> kinds = new ArrayList<>(StreamState.META_KINDS);
      kinds.addAll(schema.values());
      List<String> dataNames = new ArrayList<>(schema.keySet());
      List<ColumnKind> dataKinds = new ArrayList<>(schema.values());
      List<ColumnInfo> columns = new ArrayList<>(names.size());
      for (int i = 0; i < names.size(); i++) {
        // a declared decimal(p,s) keeps its precision and scale (the kind alone says decimal(38,9))
        ColumnKind.Declared declared = spec.columns().get(names.get(i));
        // so does a Debezium decimal whose schema gives them
        String hint = kinds.get(i) == ColumnKind.DECIMAL ? decoder.typeHints().get(names.get(i)) : null;
        String type = declared != null && declared.sqlType() != null && declared.kind() == kinds.get(i) ? declared.sqlType()
            : hint != null ? hint : kinds.get(i).sqlType(st.engineType);
        columns.add(new ColumnInfo(names.get(i), type));
      }
      int[] keyIdx = keyIndexes(names);
      BatchFile file = null;
      if (useFile && BatchFile.supports(columns)) {
        if (files[slot] == null) files[slot] = new BatchFile("weir-stream-" + spec.name() + "-");
        file = files[slot];
        file.begin();
      }
      // Rows as Java values are kept only when needed: no batch file, or a transform (whose failures are bisected over them).
      boolean keepRows = file == null || spec.transform() != null;
      List<Object[]> rows = keepRows ? new ArrayList<>(records.size()) : null;
      List<ConsumerRecord<byte[], byte[]>> rowRecs = keepRows ? new ArrayList<>(records.size()) : null;
      Object[] scratch = keepRows ? null : new Object[names.size()];
      JsonRowTranscoder fast = null;
      if (spec.format() == StreamSpec.Format.JSON && file != null && !keepRows && !Boolean.getBoolean("weir.stream.no-fast-json")) {
        int[] dataKeys = null;
        if (keyIdx != null) {
          dataKeys = new int[keyIdx.length];
          for (int k = 0; k < keyIdx.length; k++) dataKeys[k] = keyIdx[k] - StreamState.META.size();
        }
        if (dataKeys == null || java.util.Arrays.stream(dataKeys).allMatch(k -> k >= 0)) {
          fast = new JsonRowTranscoder(dataNames, dataKinds, !spec.columns().isEmpty(), dataKeys);
          if (!fast.useful()) fast = null;
        }
      }
      int misfit = -1;
      boolean fileFailed = false;
      // next offsets: merged per run of records of one partition, not per record
      String lastTopicOfNext = null;
      int lastPartition = -1;
      long lastNext = 0;
      long lastFirst = 0;
      String lastTopic = null;
      for (int i = 0; i < records.size(); i++) {
        ConsumerRecord<byte[], byte[]> r = records.get(i);
        if (r.partition() != lastPartition || !r.topic().equals(lastTopicOfNext)) {
          if (lastTopicOfNext != null) p.endRun(lastTopicOfNext, lastPartition, lastFirst, lastNext);
          lastTopicOfNext = r.topic();
          lastPartition = r.partition();
          lastNext = r.offset() + 1;
          lastFirst = r.offset();
        } else {
          lastNext = Math.max(lastNext, r.offset() + 1);
          lastFirst = Math.min(lastFirst, r.offset());
        }
        if (r.value() == null) {
          p.tombstones++;
          continue;
        }
        // most records: their values copied straight into the batch file (see JsonRowTranscoder); the rest below
        if (fast != null && fast.row(file, r.topic(), r.partition(), r.offset(), r.key(), r.timestamp(), r.value())) {
          p.rowCount++;
          continue;
        }
        long t0 = System.nanoTime();
        Decoder.Parsed parsed;
        try {
          parsed = decoder.parse(r.value(), r.key());
        } catch (ColumnKind.BadValue e) {
          p.bad.add(new Bad(r, e.getMessage()));
          continue;
        } finally {
          decodeNanos += System.nanoTime() - t0;
        }
        if (checkFit && !decoder.fits(parsed, schema)) {
          misfit = i;
          break;
        }
        Object[] row = keepRows ? new Object[names.size()] : scratch;
        // one String per topic and batch, not per row
        if (!r.topic().equals(lastTopic)) lastTopic = r.topic();
        row[0] = lastTopic;
        row[1] = (long) r.partition();
        row[2] = r.offset();
        row[3] = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        // the batch file takes the timestamp as epoch milliseconds
        row[4] = keepRows ? LocalDateTime.ofEpochSecond(Math.floorDiv(r.timestamp(), 1000L),
            (int) Math.floorMod(r.timestamp(), 1000L) * 1_000_000, ZoneOffset.UTC) : null;
        try {
          decoder.toRow(parsed, dataNames, dataKinds, row, StreamState.META.size());
          boolean truncate = debezium && Decoder.op(parsed) == 't';
          if (truncate) p.truncates++;
          if (keyIdx != null && !truncate) {
            for (int k : keyIdx) if (row[k] == null) throw new ColumnKind.BadValue("upsert key column " + names.get(k) + " is null");
          }
        } catch (ColumnKind.BadValue e) {
          p.bad.add(new Bad(r, e.getMessage()));
          continue;
        }
        if (file != null && !file.row(row, names.size(), r.timestamp())) {
          fileFailed = true; // a value the file cannot carry: this batch goes through the bulk load
          break;
        }
        p.rowCount++;
        if (keepRows) {
          rows.add(row);
          rowRecs.add(r);
        }
      }
      if (fileFailed) {
        useFile = false;
        continue;
      }
      if (lastTopicOfNext != null) p.endRun(lastTopicOfNext, lastPartition, lastFirst, lastNext);
      if (misfit >= 0) {
        // Infer over the rest of the batch (the records before it fit), then convert the batch again.
        long t0 = System.nanoTime();
        List<Decoder.Parsed> rest = new ArrayList<>();
        for (int i = misfit; i < records.size(); i++) {
          byte[] v = records.get(i).value();
          if (v == null) continue;
          try {
            rest.add(decoder.parse(v, records.get(i).key()));
          } catch (ColumnKind.BadValue e) {
            // counted in the next pass
          }
        }
        schema = decoder.schemaFor(rest, schema);
        checkFit = false;
        schemaNanos += System.nanoTime() - t0;
        continue;
      }
      checkThreshold(records.size() - p.tombstones, p.bad);
      p.columns = columns;
      p.rows = rows;
      p.rowRecs = rowRecs;
      if (file != null && p.rowCount > 0) {
        file.finish();
        p.file = file;
      }
      long total = System.nanoTime() - mark;
      p.phases[BatchReport.DECODE] = decodeNanos;
      p.phases[BatchReport.SCHEMA] = schemaNanos;
      p.phases[BatchReport.CONVERT] = total - decodeNanos - schemaNanos;
      return p;
    }
  }

  private static long lap(Prepared p, int phase, long mark) {
    long now = System.nanoTime();
    p.phases[phase] += now - mark;
    return now;
  }

  /**
   * Writes a prepared batch in one transaction (with the schema changes it needs first, in autocommit);
   * returns what was committed. A batch prepared against target columns that have changed since is
   * prepared again (its values then convert to the new kinds).
   */
  Committed commit(Prepared p) {
    if (p.schemaVersion != st.schemaVersion && spec.transform() == null) {
      if (commitDecoder == null) commitDecoder = new Decoder(spec);
      Prepared again = prepare(p.records, commitDecoder, 2);
      for (int i = 0; i < p.phases.length; i++) again.phases[i] += p.phases[i];
      p = again;
    }
    final Prepared b = p;
    long mark = System.nanoTime();
    List<ColumnInfo> columns = b.columns;
    List<Object[]> rows = b.rows;
    List<Bad> bad = b.bad;
    int total = b.records.size();
    // Warehouse work: one transaction for rows, dead letters and offsets.
    st.writeLock.lock();
    try {
      mark = System.nanoTime();
      boolean staged = spec.transform() != null || spec.mode() == StreamSpec.Mode.UPSERT || !spec.checks().isEmpty();
      if (!staged) {
        align(columns);
        lap(b, BatchReport.ALIGN, mark);
        return commit(b, () -> load(st.target, columns, rows, b.file), BatchReport.LOAD, total, b.rowCount, bad);
      }
      loadStage(columns, rows, b.file);
      if (b.truncates > 0) dropBeforeTruncates();
      if (!spec.checks().isEmpty()) applyChecks(b, bad);
      mark = lap(b, BatchReport.LOAD, mark);
      String output = outputSql();
      List<ColumnInfo> outCols = describe(output);
      align(outCols);
      lap(b, BatchReport.ALIGN, mark);
      try {
        return commit(b, () -> writeFromStage(output, outCols, b.truncates > 0), BatchReport.INSERT, total, -1, bad);
      } catch (StreamStoppedException e) {
        throw e;
      } catch (RuntimeException e) {
        if (spec.transform() == null) throw e;
        // Some rows fail the transform: find them (bisecting the batch), send them to dead letters, write the rest.
        List<Integer> failing = new ArrayList<>();
        String[] firstError = new String[1];
        findFailing(rows, 0, rows.size(), columns, output, failing, firstError, e, total - b.tombstones - bad.size());
        List<Object[]> good = new ArrayList<>();
        java.util.Set<Integer> failingSet = new java.util.HashSet<>(failing);
        for (int i = 0; i < rows.size(); i++) {
          if (failingSet.contains(i)) bad.add(new Bad(b.rowRecs.get(i), "transform failed: " + firstLine(firstError[0])));
          else good.add(rows.get(i));
        }
        checkThreshold(total - b.tombstones, bad);
        loadStage(columns, good, null);
        if (b.truncates > 0) dropBeforeTruncates();
        return commit(b, () -> writeFromStage(output, outCols, b.truncates > 0), BatchReport.INSERT, total, -1, bad);
      }
    } finally {
      st.writeLock.unlock();
    }
  }

  /**
   * Runs the stream's row checks over the staged batch: records failing one become dead letters naming the check (the
   * first that fails), and leave the stage. Stops the stream when the batch's bad records then pass the threshold.
   *
   * The batch's Java rows (kept when there is a transform, to bisect its failures) lose those records too.
   */
  private void applyChecks(Prepared b, List<Bad> bad) {
    StringBuilder failed = new StringBuilder("case");
    StringBuilder any = new StringBuilder();
    for (StreamSpec.Check c : spec.checks()) {
      String not = "not coalesce((" + c.expression() + "), true)";
      failed.append(" when ").append(not).append(" then ").append(d.stringLiteral(c.name()));
      if (any.length() > 0) any.append(" or ");
      any.append(not);
    }
    failed.append(" end");
    String stageName = d.render(stage);
    QueryResult r;
    try {
      // Debezium deletes (often only a key) and truncates carry no row to check
      String rowsOnly = debezium ? " and " + d.quote(DebeziumEnvelope.OP) + " not in ('d', 't')" : "";
      r = s.query("select _kafka_topic, _kafka_partition, _kafka_offset, " + failed + " from " + stageName + " where (" + any + ")" + rowsOnly, -1);
    } catch (RuntimeException e) {
      throw new StreamStoppedException("Stream '" + spec.name() + "': a check does not run on the batch's columns: " + firstLine(e.getMessage()), e);
    }
    if (r.rows().isEmpty()) return;
    Map<String, ConsumerRecord<byte[], byte[]>> byPosition = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> rec : b.records) byPosition.put(rec.topic() + "/" + rec.partition() + "/" + rec.offset(), rec);
    Map<String, String> expressions = new HashMap<>();
    for (StreamSpec.Check c : spec.checks()) expressions.put(c.name(), c.expression());
    java.util.Set<ConsumerRecord<byte[], byte[]>> failing = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (List<Object> row : r.rows()) {
      ConsumerRecord<byte[], byte[]> rec = byPosition.get(row.get(0) + "/" + ((Number) row.get(1)).intValue() + "/" + ((Number) row.get(2)).longValue());
      String name = String.valueOf(row.get(3));
      String expr = expressions.get(name);
      if (rec == null) continue;
      failing.add(rec);
      bad.add(new Bad(rec, (name.equals(expr) ? "check failed: " : "check " + name + " failed: ") + expr));
    }
    checkThreshold(b.records.size() - b.tombstones, bad);
    s.execute("delete from " + stageName + " where " + any);
    if (b.rows != null) {
      for (int i = b.rows.size() - 1; i >= 0; i--) {
        if (failing.contains(b.rowRecs.get(i))) {
          b.rows.remove(i);
          b.rowRecs.remove(i);
        }
      }
    }
  }

  /** Appends rows to {@code table}: from the batch file in one statement when there is one, else by the engine's bulk load. */
  private void load(Relation table, List<ColumnInfo> columns, List<Object[]> rows, BatchFile file) {
    if (file == null) {
      if (rows == null || rows.isEmpty()) return;
      s.bulkLoad(table, columns, rows);
      return;
    }
    StringBuilder cols = new StringBuilder();
    for (ColumnInfo c : columns) {
      if (cols.length() > 0) cols.append(", ");
      cols.append(d.quote(c.name()));
    }
    s.execute("insert into " + d.render(table) + " (" + cols + ") " + file.select(d, columns));
  }

  private int[] keyIndexes(List<String> names) {
    List<String> key = key();
    if (spec.mode() != StreamSpec.Mode.UPSERT || spec.transform() != null || key == null) return null;
    int[] idx = new int[key.size()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = -1;
      for (int j = 0; j < names.size(); j++) if (names.get(j).equalsIgnoreCase(key.get(i))) idx[i] = j;
      if (idx[i] < 0) return null; // the key is not a batch column (yet): checked by SQL
    }
    return idx;
  }

  private void checkThreshold(int total, List<Bad> bad) {
    if (bad.isEmpty() || total <= 0) return;
    double fraction = (double) bad.size() / total;
    if (fraction > spec.deadLetter().maxFraction()) {
      Bad first = bad.get(0);
      throw new StreamStoppedException(String.format(Locale.ROOT,
          "Stream '%s' stopped: %d of %d records in a batch are bad (%.1f%%, more than dead_letter.max_fraction %s); "
              + "nothing of this batch was committed. First: %s partition %d offset %d: %s",
          spec.name(), bad.size(), total, 100.0 * fraction, spec.deadLetter().maxFraction(), first.rec().topic(),
          first.rec().partition(), first.rec().offset(), first.error()));
    }
  }

  private interface Work { void run(); }

  private Committed commit(Prepared b, Work data, int dataPhase, int records, int rows, List<Bad> bad) {
    long t0 = System.nanoTime();
    long mark = t0;
    s.begin();
    boolean done = false;
    try {
      data.run();
      mark = lap(b, dataPhase, mark);
      if (!bad.isEmpty()) s.bulkLoad(st.deadLetters, DEAD_LETTER_COLUMNS, deadLetterRows(bad));
      if (!bad.isEmpty() && spec.deadLetter().topic() != null) {
        // before the warehouse commit: a crash in between publishes them again (at least once), never loses them
        if (deadLetterTopic == null) deadLetterTopic = new DeadLetterTopic(spec);
        deadLetterTopic.publish(bad);
      }
      Faults.reached(Faults.Point.BEFORE_COMMIT);
      checkNotOvertaken(b.first);
      s.execute(offsetsUpsert(b.next));
      mark = lap(b, BatchReport.OFFSETS, mark);
      Faults.reached(Faults.Point.MID_COMMIT);
      s.commit();
      done = true;
      lap(b, BatchReport.COMMIT, mark);
      Faults.reached(Faults.Point.AFTER_COMMIT);
    } finally {
      if (!done) {
        try {
          s.rollback();
        } catch (RuntimeException ignored) {
          // the original failure matters
        }
      }
    }
    return new Committed(records, rows, bad.size(), b.next, (System.nanoTime() - t0) / 1_000_000, b.phases);
  }

  private static final List<ColumnInfo> DEAD_LETTER_COLUMNS = List.of(new ColumnInfo("stream", "varchar"),
      new ColumnInfo("topic", "varchar"), new ColumnInfo("partition_id", "integer"), new ColumnInfo("record_offset", "bigint"),
      new ColumnInfo("record_key", "varchar"), new ColumnInfo("payload", "varchar"), new ColumnInfo("error", "varchar"),
      new ColumnInfo("failed_at", "timestamp"));

  private List<Object[]> deadLetterRows(List<Bad> bad) {
    LocalDateTime now = LocalDateTime.now(ZoneOffset.UTC);
    List<Object[]> out = new ArrayList<>(bad.size());
    for (Bad b : bad) {
      ConsumerRecord<byte[], byte[]> r = b.rec();
      out.add(new Object[] {spec.name(), r.topic(), (long) r.partition(), r.offset(),
          r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
          r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8), b.error(), now});
    }
    return out;
  }

  /**
   * The fence of a batch's commit, inside its transaction: no partition of the batch may already be committed past the
   * batch's first offset of it. Only a process that lost its partitions while a commit was in flight (frozen past the
   * group's session timeout, then resumed) can see that; it must not write the batch again, so the stream stops here
   * and the transaction rolls back. On Postgres the offset rows are locked ({@code for update}) until the commit.
   */
  private void checkNotOvertaken(Map<TopicPartition, Long> first) {
    if (first.isEmpty()) return;
    QueryResult stored = s.query("select topic, partition_id, next_offset from " + d.render(st.offsets) + " where stream = "
        + d.stringLiteral(spec.name()) + ("duckdb".equals(st.engineType) ? "" : " for update"), -1);
    for (List<Object> row : stored.rows()) {
      TopicPartition tp = new TopicPartition((String) row.get(0), ((Number) row.get(1)).intValue());
      Long from = first.get(tp);
      long committed = ((Number) row.get(2)).longValue();
      if (from != null && committed > from) {
        throw new StreamStoppedException("Stream '" + spec.name() + "': partition " + tp + " was already committed up to offset " + committed
            + " by another consumer while this one held records from offset " + from + " (it lost the partition meanwhile);"
            + " nothing of this batch was written: this process stops, the stream goes on in the others");
      }
    }
  }

  private String offsetsUpsert(Map<TopicPartition, Long> next) {
    StringBuilder sb = new StringBuilder("insert into ").append(d.render(st.offsets))
        .append(" (stream, topic, partition_id, next_offset, updated_at) values ");
    boolean first = true;
    for (Map.Entry<TopicPartition, Long> e : next.entrySet()) {
      if (!first) sb.append(", ");
      first = false;
      sb.append('(').append(d.stringLiteral(spec.name())).append(", ").append(d.stringLiteral(e.getKey().topic())).append(", ")
          .append(e.getKey().partition()).append(", ").append(e.getValue()).append(", current_timestamp)");
    }
    return sb.append(" on conflict (stream, topic, partition_id) do update set next_offset = excluded.next_offset,"
        + " updated_at = excluded.updated_at").toString();
  }

  // ------------------------------------------------------------------------------------------ staging

  private void loadStage(List<ColumnInfo> columns, List<Object[]> rows, BatchFile file) {
    if (!columns.equals(stageColumns)) {
      s.execute(d.dropIfExists(stage, dev.weir.core.engine.RelationType.TABLE));
      s.execute(d.createTable(stage, columns));
      stageColumns = columns;
    } else {
      s.execute("delete from " + d.render(stage));
    }
    load(stage, columns, rows, file);
  }

  /**
   * Format debezium: drops from the stage the events that a later truncate of their partition supersedes (earlier
   * truncates included), before checks and the transform see the batch; the truncate itself empties the target in
   * the batch's transaction ({@link #writeFromStage}).
   */
  private void dropBeforeTruncates() {
    String st = d.render(stage);
    String op = d.quote(DebeziumEnvelope.OP);
    s.execute("delete from " + st + " as weir_s where exists (select 1 from " + st + " as weir_tr where weir_tr." + op + " = 't'"
        + " and weir_tr._kafka_topic = weir_s._kafka_topic and weir_tr._kafka_partition = weir_s._kafka_partition"
        + " and weir_tr._kafka_offset > weir_s._kafka_offset)");
  }

  /** The batch's output query: the transform over {@code batch} (the staged rows), or the staged rows. */
  private String outputSql() {
    String batch = "select * from " + d.render(stage);
    if (spec.transform() == null) return batch;
    String t = spec.transform();
    if (t.regionMatches(true, 0, "with", 0, 4) && t.length() > 4 && Character.isWhitespace(t.charAt(4))) {
      return "with batch as (" + batch + "), " + t.substring(5);
    }
    return "with batch as (" + batch + ")\n" + t;
  }

  private List<ColumnInfo> describe(String output) {
    try {
      return s.query("select * from (" + output + ") as weir_q limit 0", 0).columns();
    } catch (RuntimeException e) {
      throw new StreamStoppedException("Stream '" + spec.name() + "': the transform fails: " + firstLine(e.getMessage()), e);
    }
  }

  /**
   * Writes the batch's output to the target: appended, or upserted by key keeping the latest row per key. With
   * format debezium a key whose latest change is a delete loses its row, and a truncate ({@code truncated}) empties
   * the target first, the changes before it in its partition dropped.
   */
  private void writeFromStage(String output, List<ColumnInfo> outCols, boolean truncated) {
    StringBuilder cols = new StringBuilder();
    for (ColumnInfo c : outCols) {
      if (cols.length() > 0) cols.append(", ");
      cols.append(d.quote(c.name()));
    }
    String t = d.render(st.target);
    if (spec.mode() == StreamSpec.Mode.APPEND) {
      s.execute("insert into " + t + " (" + cols + ") select " + cols + " from (" + output + ") as weir_q");
      return;
    }
    List<String> names = outCols.stream().map(ColumnInfo::name).toList();
    List<String> key = key();
    if ((key == null || key.isEmpty()) && debezium && findName(names, DebeziumEnvelope.OP) != null
        && ((Number) s.query("select count(*) from (" + output + ") as weir_q where " + d.quote(findName(names, DebeziumEnvelope.OP))
            + " <> 't'", 1).rows().get(0).get(0)).longValue() == 0) {
      // no row to match (only truncates, or every record a dead letter) before any event told the key: nothing to merge
      if (truncated) s.execute("delete from " + t);
      return;
    }
    if (key == null || key.isEmpty()) {
      throw new StreamStoppedException("Stream '" + spec.name() + "': format debezium applies changes by the table's primary key, but the"
          + " events carry no key (a table without a primary key?): set 'key:' to the columns rows are matched on, or 'mode: append'");
    }
    String op = debezium ? findName(names, DebeziumEnvelope.OP) : null;
    if (debezium && op == null) {
      throw new StreamStoppedException("Stream '" + spec.name() + "': format debezium needs the column " + DebeziumEnvelope.OP
          + " in the batch's output (the transform must select it)");
    }
    StringBuilder keys = new StringBuilder();
    StringBuilder keyMatch = new StringBuilder();
    StringBuilder notNull = new StringBuilder();
    for (String k : key) {
      String col = findName(names, k);
      if (col == null) throw new StreamStoppedException("Stream '" + spec.name() + "': upsert key column '" + k + "' is not among the batch's columns " + names);
      if (keys.length() > 0) {
        keys.append(", ");
        keyMatch.append(" and ");
        notNull.append(" and ");
      }
      keys.append(d.quote(col));
      keyMatch.append("d.").append(d.quote(col)).append(" = ").append("%1$s.").append(d.quote(col));
      notNull.append(d.quote(col)).append(" is not null");
    }
    String order;
    String ev = null;
    if (spec.eventTime() != null) {
      ev = findName(names, spec.eventTime());
      if (ev == null) throw new StreamStoppedException("Stream '" + spec.name() + "': event_time column '" + spec.eventTime() + "' is not among the batch's columns " + names);
      order = d.quote(ev) + " desc nulls last" + (names.contains("_kafka_offset") ? ", \"_kafka_offset\" desc" : "");
    } else if (names.contains("_kafka_offset")) {
      order = "\"_kafka_offset\" desc";
    } else {
      throw new StreamStoppedException("Stream '" + spec.name() + "': mode upsert keeps the latest row by offset, so the transform must "
          + "select _kafka_offset (or set event_time)");
    }
    // a truncate empties the table (the events before it in its partition already left the stage: dropBeforeTruncates)
    if (truncated) s.execute("delete from " + t);
    s.execute(d.dropIfExists(dedup, dev.weir.core.engine.RelationType.TABLE));
    s.execute("create table " + d.render(dedup) + " as select " + cols + " from (select weir_q.*, row_number() over (partition by "
        + keys + " order by " + order + ") as weir_rn from (" + output + ") as weir_q where " + notNull
        + ") as weir_r where weir_rn = 1");
    String dd = d.render(dedup);
    String match = String.format(keyMatch.toString(), t);
    s.execute("delete from " + t + " where exists (select 1 from " + dd + " as d where " + match
        + (ev == null ? "" : " and " + t + "." + d.quote(ev) + " <= d." + d.quote(ev)) + ")");
    String match2 = String.format(keyMatch.toString(), "weir_t");
    // a key whose latest change is a delete keeps no row
    String live = op == null ? "" : " and d." + d.quote(op) + " <> 'd'";
    s.execute("insert into " + t + " (" + cols + ") select " + cols + " from " + dd + " as d where not exists (select 1 from " + t
        + " as weir_t where " + match2 + ")" + live);
  }

  /** Finds rows of {@code rows[from, to)} that make the transform fail, by halving; stops early past the threshold. */
  private void findFailing(List<Object[]> rows, int from, int to, List<ColumnInfo> columns, String output,
                           List<Integer> failing, String[] firstError, RuntimeException known, int total) {
    if (from >= to || failing.size() > spec.deadLetter().maxFraction() * total) return;
    String err;
    if (known != null) {
      err = known.getMessage();
    } else {
      loadStage(columns, rows.subList(from, to), null);
      try {
        s.query("select * from (" + output + ") as weir_q", -1);
        return;
      } catch (RuntimeException e) {
        err = e.getMessage();
      }
    }
    if (to - from == 1) {
      failing.add(from);
      if (firstError[0] == null) firstError[0] = err;
      return;
    }
    int mid = (from + to) >>> 1;
    findFailing(rows, from, mid, columns, output, failing, firstError, null, total);
    findFailing(rows, mid, to, columns, output, failing, firstError, null, total);
  }

  private static String findName(List<String> names, String want) {
    for (String n : names) if (n.equals(want)) return n;
    for (String n : names) if (n.equalsIgnoreCase(want)) return n;
    return null;
  }

  static String firstLine(String msg) {
    if (msg == null) return "";
    int nl = msg.indexOf('\n');
    return nl < 0 ? msg : msg.substring(0, nl);
  }

  // ------------------------------------------------------------------------------------------ schema drift

  /**
   * Makes the target hold {@code columns}: creates it on the first batch, adds new columns and
   * widens types (bigint → double → varchar) as the data drifts. Runs in autocommit before the
   * batch's transaction (schema changes are idempotent; the data and offsets stay atomic).
   */
  private void align(List<ColumnInfo> columns) {
    // Another process of the stream's group may have created the target or added the column a moment earlier
    // (Postgres: "already exists", or a unique violation in its catalog): read the target again and redo what is
    // still missing.
    st.ddlWithRetries(() -> alignOnce(columns), () -> st.refreshTarget(s));
  }

  private void alignOnce(List<ColumnInfo> columns) {
    if (st.targetColumns == null) {
      st.refreshTarget(s);
      if (st.targetColumns == null) {
        List<ColumnInfo> create = new ArrayList<>();
        for (ColumnInfo c : columns) create.add(new ColumnInfo(c.name(), c.dataType()));
        s.execute(d.createTable(st.target, create));
        st.refreshTarget(s);
        return;
      }
    }
    boolean changed = false;
    for (ColumnInfo c : columns) {
      String existing = Decoder.findIgnoreCase(st.targetColumns, c.name());
      if (existing == null) {
        s.execute("alter table " + d.render(st.target) + " add column " + d.quote(c.name()) + " " + c.dataType());
        changed = true;
        continue;
      }
      ColumnKind.Declared have = ColumnKind.parseDeclared(st.targetColumns.get(existing).dataType());
      ColumnKind.Declared want = ColumnKind.parseDeclared(c.dataType());
      if (have == null || want == null || have.kind() == want.kind()) continue;
      ColumnKind wide = ColumnKind.widen(have.kind(), want.kind());
      if (have.kind() == ColumnKind.INTEGER && wide == ColumnKind.BIGINT && want.kind() == ColumnKind.INTEGER) continue;
      if (wide == have.kind()) continue;
      String type = wide.sqlType(st.engineType);
      s.execute("alter table " + d.render(st.target) + " alter column " + d.quote(existing) + " type " + type + " using "
          + d.quote(existing) + "::" + type);
      changed = true;
    }
    if (changed) st.refreshTarget(s);
  }
}
