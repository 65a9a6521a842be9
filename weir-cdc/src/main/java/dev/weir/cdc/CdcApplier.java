package dev.weir.cdc;

import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Engine;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Applies batches of change events of one CDC source to the warehouse, exactly once: each batch's
 * merges into the current tables, its history rows and the source position of its last event are
 * committed in one transaction of the applier's own {@link Session}.
 *
 * <p>Idempotence: every streamed change has a position {@code (commit_lsn, lsn)} — the commit LSN of
 * the transaction before it (constant within a transaction, growing from one to the next) and its own
 * WAL LSN (growing within a transaction) — that strictly increases in the order pgoutput delivers
 * changes. A change whose position is not above the stored one was applied already and is skipped.
 * Snapshot reads carry no order; they are merged by key (idempotent by nature), and history keeps one
 * snapshot row per key. Binlog sources use (transaction, number of the change within it) instead (see
 * {@link CdcRunner#restartOffset}), and also commit Debezium's schema history records here ({@link WarehouseSchemaHistory}).
 */
final class CdcApplier {
  static final String OFFSETS_TABLE = "weir_cdc_offsets";
  /** Binlog sources: Debezium's schema history, one row per record, written with the data. */
  static final String SCHEMA_HISTORY_TABLE = "weir_cdc_schema_history";
  /** Columns Weir adds to the current tables (besides {@code _weir_deleted} with soft deletes). */
  static final List<String> META = List.of("_weir_op", "_weir_seq", "_weir_lsn", "_weir_tx_id", "_weir_commit_ts");

  /** A position in the change stream, compared as (commit LSN, LSN); snapshot positions have commitLsn -1. */
  record Position(long commitLsn, long lsn) implements Comparable<Position> {
    @Override
    public int compareTo(Position o) {
      int c = Long.compare(commitLsn, o.commitLsn);
      return c != 0 ? c : Long.compare(lsn, o.lsn);
    }
  }

  /** One change: the table, the operation (c, u, d, r) and the row image (after, or before for d). */
  record Change(String table, char op, Schema keySchema, Schema imageSchema, Struct image, Position position,
                long txId, long tsMs, boolean snapshot) {}

  /** What the warehouse holds of this source: the engine's offset (JSON key and value) and counters. */
  record Stored(String offsetKey, String offsetValue, Position position, long events, long historyRows) {}

  /** What a committed batch did. */
  record Applied(int received, int applied, int skipped, int historyRows, Position position, long millis) {}

  private final CdcSpec spec;
  private final Session s;
  private final Dialect d;
  private final String engineType;
  private final String database;
  private final Relation offsets;
  private final Map<String, TableState> tables = new HashMap<>();
  private final Relation schemaHistory;
  private WarehouseSchemaHistory.Store historyStore;
  private boolean resetSchemaHistory;
  private long schemaHistorySeq;
  private Position stored;
  private long events;
  private long historyRows;
  /** Whether the offsets table has this source's row: then a plain UPDATE stores the position (an upsert costs ~3x more on DuckDB). */
  private boolean offsetRowExists;

  private static final class TableState {
    Relation target;
    Relation history;
    Relation stage;
    LinkedHashMap<String, String> targetColumns;
    LinkedHashMap<String, String> historyColumns;
    List<ColumnInfo> stageColumns;
    String source;
  }

  CdcApplier(CdcSpec spec, Engine engine, Session s) {
    this.spec = spec;
    this.s = s;
    this.d = s.dialect();
    this.engineType = engine.type();
    this.database = engine.defaultDatabase();
    this.offsets = Relation.of(database, spec.targetSchema(), OFFSETS_TABLE);
    this.schemaHistory = Relation.of(database, spec.targetSchema(), SCHEMA_HISTORY_TABLE);
  }

  private String str() { return "postgres".equals(engineType) ? "text" : "varchar"; }

  /** Creates the target schema and the offsets table if missing; reads the stored position. */
  Stored setup() {
    if (!s.schemaExists(database, spec.targetSchema())) s.createSchema(database, spec.targetSchema());
    s.execute("create table if not exists " + d.render(offsets) + " (source " + str() + " not null primary key, slot " + str()
        + ", offset_key " + str() + ", offset_value " + str() + ", commit_lsn bigint, lsn bigint, tx_id bigint, events bigint,"
        + " history_rows bigint, last_commit_ts timestamp, applied_at timestamp)");
    if (spec.binlog()) {
      s.execute("create table if not exists " + d.render(schemaHistory) + " (source " + str() + " not null, seq bigint not null, record "
          + str() + ", primary key (source, seq))");
    }
    Stored st = read(s, d, offsets, spec.name());
    stored = st == null ? null : st.position();
    events = st == null ? 0 : st.events();
    historyRows = st == null ? 0 : st.historyRows();
    offsetRowExists = st != null;
    return st;
  }

  /** Binlog sources: the schema history records the warehouse holds, in order. */
  List<String> storedSchemaHistory() {
    List<String> out = new ArrayList<>();
    if (resetSchemaHistory) return out;
    for (List<Object> row : s.query("select seq, record from " + d.render(schemaHistory) + " where source = "
        + d.stringLiteral(spec.name()) + " order by seq", -1).rows()) {
      schemaHistorySeq = Math.max(schemaHistorySeq, num(row.get(0)));
      out.add((String) row.get(1));
    }
    return out;
  }

  /** Binlog sources: where Debezium's schema history records wait for the next commit. */
  void history(WarehouseSchemaHistory.Store store) {
    this.historyStore = store;
  }

  /**
   * Binlog sources killed inside the initial snapshot: it is taken again from the start, so the
   * stored position is forgotten and the schema history is replaced at the next commit.
   */
  void restartSnapshot() {
    stored = null;
    resetSchemaHistory = true;
  }

  static Stored read(Session s, Dialect d, Relation offsets, String source) {
    QueryResult r = s.query("select offset_key, offset_value, commit_lsn, lsn, events, history_rows from " + d.render(offsets)
        + " where source = " + d.stringLiteral(source), -1);
    if (r.rows().isEmpty()) return null;
    List<Object> row = r.rows().get(0);
    Position p = row.get(3) == null ? null : new Position(((Number) row.get(2)).longValue(), ((Number) row.get(3)).longValue());
    return new Stored((String) row.get(0), (String) row.get(1), p, num(row.get(4)), num(row.get(5)));
  }

  private static long num(Object o) { return o == null ? 0 : ((Number) o).longValue(); }

  /**
   * Applies {@code changes} (in source order) and stores {@code offsetKey}/{@code offsetValue} (the
   * engine's offset after the batch's last record) in one transaction.
   */
  /** Whether the warehouse holds this change already (its position is not above the stored one): it is skipped. */
  boolean alreadyApplied(Change c) {
    return !c.snapshot() && stored != null && c.position().compareTo(stored) <= 0;
  }

  Applied apply(List<Change> changes, String offsetKey, String offsetValue, Position last, long lastTsMs) {
    long t0 = System.nanoTime();
    List<Change> todo = new ArrayList<>(changes.size());
    int skipped = 0;
    for (Change c : changes) {
      if (alreadyApplied(c)) {
        skipped++;
        continue;
      }
      todo.add(c);
    }
    // group by table, keeping source order inside each
    Map<String, List<Change>> byTable = new LinkedHashMap<>();
    // publish.warehouse false: the changes went to Kafka only; the transaction stores the position alone
    if (spec.writesTables()) for (Change c : todo) byTable.computeIfAbsent(c.table(), k -> new ArrayList<>()).add(c);
    else for (Change c : todo) if (c.op() != 't' && c.keySchema() == null) throw noPrimaryKey(c.table());
    Map<String, Object[]> prepared = new LinkedHashMap<>();
    long seq = events;
    // by identity: a record's hashCode would hash the whole row image and its schema (a tenth of the applier's CPU)
    Map<Change, Long> seqOf = new IdentityHashMap<>();
    for (Change c : todo) seqOf.put(c, ++seq);
    for (Map.Entry<String, List<Change>> e : byTable.entrySet()) {
      List<Change> rows = new ArrayList<>();
      for (Change c : e.getValue()) if (c.op() != 't') rows.add(c);
      if (!rows.isEmpty()) prepared.put(e.getKey(), align(e.getKey(), rows));
      else state(e.getKey());
    }
    Position newPos = last == null ? stored : (stored != null && last.compareTo(stored) < 0 && last.commitLsn() >= 0 ? stored : last);
    int hist = 0;
    List<String> schemaRecords = historyStore == null ? List.of() : historyStore.drain();
    long schemaSeq = schemaHistorySeq;
    s.begin();
    boolean done = false;
    try {
      if (resetSchemaHistory) {
        s.execute("delete from " + d.render(schemaHistory) + " where source = " + d.stringLiteral(spec.name()));
      }
      for (String rec : schemaRecords) {
        s.execute("insert into " + d.render(schemaHistory) + " (source, seq, record) values (" + d.stringLiteral(spec.name()) + ", "
            + (++schemaSeq) + ", " + d.stringLiteral(rec) + ")");
      }
      for (Map.Entry<String, List<Change>> e : byTable.entrySet()) {
        Object[] p = prepared.get(e.getKey());
        @SuppressWarnings("unchecked") List<String> cols = p == null ? List.of() : (List<String>) p[1];
        @SuppressWarnings("unchecked") List<String> keys = p == null ? List.of() : (List<String>) p[2];
        TableState t = tables.get(e.getKey());
        // the changes between truncates merge as usual; a truncate empties the table as of its place in the order
        List<Change> run = new ArrayList<>();
        for (Change c : e.getValue()) {
          if (c.op() != 't') {
            run.add(c);
            continue;
          }
          if (!run.isEmpty()) hist += applyTable(t, run, cols, keys, seqOf);
          run = new ArrayList<>();
          truncate(t, c, seqOf.get(c));
        }
        if (!run.isEmpty()) hist += applyTable(t, run, cols, keys, seqOf);
      }
      CdcFaults.reached(CdcFaults.Point.BEFORE_COMMIT);
      long newEvents = seq;
      long newHist = historyRows + hist;
      String slotLit = d.stringLiteral(spec.binlog() ? "server_id " + spec.serverId() : spec.slot());
      String commitLsnLit = newPos == null ? "null" : String.valueOf(newPos.commitLsn());
      String lsnLit = newPos == null ? "null" : String.valueOf(newPos.lsn());
      String txLit = todo.isEmpty() ? "null" : String.valueOf(todo.get(todo.size() - 1).txId());
      String commitTsLit = lastTsMs <= 0 ? "null" : tsLit(lastTsMs);
      long updated = !offsetRowExists ? 0 : s.execute("update " + d.render(offsets) + " set slot = " + slotLit + ", offset_key = "
          + lit(offsetKey) + ", offset_value = " + lit(offsetValue) + ", commit_lsn = " + commitLsnLit + ", lsn = " + lsnLit
          + ", tx_id = coalesce(" + txLit + ", tx_id), events = " + newEvents + ", history_rows = " + newHist
          + ", last_commit_ts = coalesce(" + commitTsLit + ", last_commit_ts), applied_at = current_timestamp where source = "
          + d.stringLiteral(spec.name()));
      if (updated != 1) {
        s.execute("insert into " + d.render(offsets) + " (source, slot, offset_key, offset_value, commit_lsn, lsn, tx_id, events,"
            + " history_rows, last_commit_ts, applied_at) values (" + d.stringLiteral(spec.name()) + ", " + slotLit
            + ", " + lit(offsetKey) + ", " + lit(offsetValue) + ", " + commitLsnLit + ", " + lsnLit + ", " + txLit + ", "
            + newEvents + ", " + newHist + ", " + commitTsLit + ", current_timestamp)"
            + " on conflict (source) do update set slot = excluded.slot, offset_key = excluded.offset_key,"
            + " offset_value = excluded.offset_value, commit_lsn = excluded.commit_lsn, lsn = excluded.lsn,"
            + " tx_id = coalesce(excluded.tx_id, " + d.render(offsets) + ".tx_id), events = excluded.events,"
            + " history_rows = excluded.history_rows, last_commit_ts = coalesce(excluded.last_commit_ts, " + d.render(offsets)
            + ".last_commit_ts), applied_at = excluded.applied_at");
      }
      CdcFaults.reached(CdcFaults.Point.MID_COMMIT);
      s.commit();
      done = true;
      offsetRowExists = true;
      resetSchemaHistory = false;
      schemaHistorySeq = schemaSeq;
      if (historyStore != null) historyStore.committed(schemaRecords);
      stored = newPos;
      events = newEvents;
      historyRows = newHist;
      CdcFaults.reached(CdcFaults.Point.AFTER_COMMIT);
    } finally {
      if (!done) {
        if (historyStore != null) historyStore.undrain(schemaRecords);
        try {
          s.rollback();
        } catch (RuntimeException ignored) {
          // the original failure matters
        }
      }
    }
    return new Applied(changes.size(), todo.size(), skipped, hist, newPos, (System.nanoTime() - t0) / 1_000_000);
  }

  private CdcStoppedException noPrimaryKey(String table) {
    return new CdcStoppedException("CDC source '" + spec.name() + "': table " + table + " has no primary key; changes are merged by"
        + " primary key, so add one (or leave the table out of 'tables')");
  }

  private String lit(String v) { return v == null ? "null" : d.stringLiteral(v); }

  private String tsLit(long ms) {
    return "cast(" + d.stringLiteral(LocalDateTime.ofEpochSecond(Math.floorDiv(ms, 1000L), (int) Math.floorMod(ms, 1000L) * 1_000_000,
        ZoneOffset.UTC).toString().replace('T', ' ')) + " as timestamp)";
  }

  // ------------------------------------------------------------------------------------------ schema

  /**
   * Creates or widens the table's target, history and stage tables for the columns the batch's
   * changes carry (in autocommit: schema changes are idempotent, the data and position stay atomic).
   * Returns {stage columns, source column names, key column names}.
   */
  private Object[] align(String table, List<Change> changes) {
    LinkedHashMap<String, String> cols = new LinkedHashMap<>();
    List<String> keys = new ArrayList<>();
    for (Change c : changes) {
      for (Field f : c.imageSchema().fields()) {
        String type = CdcTypes.sqlType(f.schema(), engineType);
        String had = cols.putIfAbsent(f.name(), type);
        if (had != null && !had.equals(type)) cols.put(f.name(), widen(had, type));
      }
      if (keys.isEmpty() && c.keySchema() != null) for (Field f : c.keySchema().fields()) keys.add(f.name());
    }
    if (keys.isEmpty()) throw noPrimaryKey(table);
    TableState t = tables.get(table);
    String ident = table.substring(table.indexOf('.') + 1);
    if (t == null) {
      for (TableState o : tables.values()) {
        if (o.target.identifier().equalsIgnoreCase(ident)) {
          throw new CdcStoppedException("CDC source '" + spec.name() + "': tables " + o.source + " and " + table + " would both land in "
              + spec.targetSchema() + "." + ident + "; capture them with two sources (two target schemas)");
        }
      }
      t = new TableState();
      t.source = table;
      t.target = Relation.of(database, spec.targetSchema(), ident);
      t.history = Relation.of(database, spec.targetSchema(), ident + "_history");
      t.stage = Relation.of(database, spec.targetSchema(), "__weir_cdc_stage_" + ident);
      tables.put(table, t);
    }
    // current table
    LinkedHashMap<String, String> want = new LinkedHashMap<>(cols);
    want.put("_weir_op", str());
    want.put("_weir_seq", "bigint");
    want.put("_weir_lsn", "bigint");
    want.put("_weir_tx_id", "bigint");
    want.put("_weir_commit_ts", "timestamp");
    if (spec.softDelete()) want.put("_weir_deleted", "boolean");
    t.targetColumns = ensure(t.target, t.targetColumns, want);
    if (spec.history()) {
      LinkedHashMap<String, String> h = new LinkedHashMap<>(want);
      h.remove("_weir_deleted");
      h.put("_weir_valid_from", "timestamp");
      h.put("_weir_valid_to", "timestamp");
      t.historyColumns = ensure(t.history, t.historyColumns, h);
    }
    // stage: the batch's columns as the target now has them, plus the change's metadata
    List<ColumnInfo> stageCols = new ArrayList<>();
    for (String c : cols.keySet()) stageCols.add(new ColumnInfo(c, t.targetColumns.get(c)));
    stageCols.add(new ColumnInfo("_weir_op", str()));
    stageCols.add(new ColumnInfo("_weir_seq", "bigint"));
    stageCols.add(new ColumnInfo("_weir_lsn", "bigint"));
    stageCols.add(new ColumnInfo("_weir_tx_id", "bigint"));
    stageCols.add(new ColumnInfo("_weir_commit_ts", "timestamp"));
    if (!stageCols.equals(t.stageColumns)) {
      s.execute(d.dropIfExists(t.stage, RelationType.TABLE));
      s.execute(d.createTable(t.stage, stageCols));
      t.stageColumns = stageCols;
    }
    return new Object[] {stageCols, new ArrayList<>(cols.keySet()), keys};
  }

  /** Makes {@code rel} have the columns {@code want} (creating it, adding columns, widening types); returns its columns. */
  private LinkedHashMap<String, String> ensure(Relation rel, LinkedHashMap<String, String> known, Map<String, String> want) {
    if (known == null) known = columnsOf(rel);
    if (known == null) {
      List<ColumnInfo> create = new ArrayList<>();
      for (Map.Entry<String, String> e : want.entrySet()) create.add(new ColumnInfo(e.getKey(), e.getValue()));
      s.execute(d.createTable(rel, create));
      return columnsOf(rel);
    }
    boolean changed = false;
    for (Map.Entry<String, String> e : want.entrySet()) {
      String have = findIgnoreCase(known, e.getKey());
      if (have == null) {
        s.execute("alter table " + d.render(rel) + " add column " + d.quote(e.getKey()) + " " + e.getValue());
        changed = true;
        continue;
      }
      String haveType = known.get(have);
      if (sameType(haveType, e.getValue())) continue;
      String wide = widen(haveType, e.getValue());
      if (sameType(wide, haveType)) continue;
      s.execute("alter table " + d.render(rel) + " alter column " + d.quote(have) + " type " + wide + " using "
          + d.quote(have) + "::" + wide);
      changed = true;
    }
    return changed ? columnsOf(rel) : known;
  }

  private LinkedHashMap<String, String> columnsOf(Relation rel) {
    if (s.getRelation(rel.database(), rel.schema(), rel.identifier()).isEmpty()) return null;
    LinkedHashMap<String, String> out = new LinkedHashMap<>();
    for (ColumnInfo c : s.getColumns(rel)) out.put(c.name(), c.dataType());
    return out;
  }

  private static String findIgnoreCase(Map<String, String> m, String name) {
    if (m.containsKey(name)) return name;
    for (String k : m.keySet()) if (k.equalsIgnoreCase(name)) return k;
    return null;
  }

  private boolean sameType(String a, String b) {
    return d.normalizeType(a).equals(d.normalizeType(b));
  }

  /** The drift rule: integers widen to wider integers, numbers to double; anything else mismatched becomes text. */
  private String widen(String have, String want) {
    int a = CdcTypes.numericRank(have);
    int b = CdcTypes.numericRank(want);
    if (a > 0 && b > 0) {
      if (a <= 3 && b <= 3) return b > a ? want : have;
      if (a == 4 && b == 4) return want;
      return "postgres".equals(engineType) ? "double precision" : "double";
    }
    return str();
  }

  // ------------------------------------------------------------------------------------------ data

  private int applyTable(TableState t, List<Change> changes, List<String> cols, List<String> keys, Map<Change, Long> seqOf) {
    List<ColumnInfo> stageCols = t.stageColumns;
    List<Object[]> rows = new ArrayList<>(changes.size());
    for (Change c : changes) {
      Object[] row = new Object[stageCols.size()];
      Struct img = c.image();
      for (int i = 0; i < cols.size(); i++) {
        Field f = img == null ? null : c.imageSchema().field(cols.get(i));
        row[i] = f == null ? null : CdcTypes.value(f.schema(), img.get(f));
      }
      int m = cols.size();
      row[m] = String.valueOf(c.op());
      row[m + 1] = seqOf.get(c);
      row[m + 2] = c.position().lsn();
      row[m + 3] = c.txId() < 0 ? null : c.txId();
      row[m + 4] = c.tsMs() <= 0 ? null : LocalDateTime.ofEpochSecond(Math.floorDiv(c.tsMs(), 1000L),
          (int) Math.floorMod(c.tsMs(), 1000L) * 1_000_000, ZoneOffset.UTC);
      rows.add(row);
    }
    String st = d.render(t.stage);
    String tg = d.render(t.target);
    s.execute("delete from " + st);
    s.bulkLoad(t.stage, stageCols, rows);

    StringBuilder keyList = new StringBuilder();
    for (String k : keys) keyList.append(keyList.length() == 0 ? "" : ", ").append(d.quote(k));
    StringBuilder all = new StringBuilder();
    for (ColumnInfo c : stageCols) all.append(all.length() == 0 ? "" : ", ").append(d.quote(c.name()));
    String latest = "select * from " + st + " where _weir_seq in (select max(_weir_seq) from " + st + " group by " + keyList + ")";
    if (!spec.softDelete()) {
      s.execute("delete from " + tg + " as weir_t where exists (select 1 from " + st + " as weir_s where " + match("weir_s", "weir_t", keys) + ")");
      s.execute("insert into " + tg + " (" + all + ") select " + all + " from (" + latest + ") as weir_l where _weir_op <> 'd'");
    } else {
      String lastImage = "select * from " + st + " where _weir_seq in (select max(_weir_seq) from " + st
          + " where _weir_op <> 'd' group by " + keyList + ")";
      // keys with a row image in the batch: the last image, flagged deleted when the key's last change is a delete
      s.execute("delete from " + tg + " as weir_t where exists (select 1 from " + st + " as weir_s where weir_s._weir_op <> 'd' and "
          + match("weir_s", "weir_t", keys) + ")");
      StringBuilder sel = new StringBuilder();
      for (String c : cols) sel.append("weir_i.").append(d.quote(c)).append(", ");
      s.execute("insert into " + tg + " (" + all + ", _weir_deleted) select " + sel
          + "weir_l._weir_op, weir_l._weir_seq, weir_l._weir_lsn, weir_l._weir_tx_id, weir_l._weir_commit_ts, weir_l._weir_op = 'd' from ("
          + lastImage + ") as weir_i join (" + latest + ") as weir_l on " + match("weir_l", "weir_i", keys));
      // keys only deleted in this batch: flag the row the warehouse has, or keep the delete's image
      String onlyDeleted = "select * from (" + latest + ") as weir_l0 where _weir_op = 'd' and not exists (select 1 from " + st
          + " as weir_s where weir_s._weir_op <> 'd' and " + match("weir_s", "weir_l0", keys) + ")";
      s.execute("update " + tg + " as weir_t set _weir_deleted = true, _weir_op = weir_d._weir_op, _weir_seq = weir_d._weir_seq,"
          + " _weir_lsn = weir_d._weir_lsn, _weir_tx_id = weir_d._weir_tx_id, _weir_commit_ts = weir_d._weir_commit_ts from ("
          + onlyDeleted + ") as weir_d where " + match("weir_d", "weir_t", keys));
      s.execute("insert into " + tg + " (" + all + ", _weir_deleted) select " + all + ", true from (" + onlyDeleted
          + ") as weir_d2 where not exists (select 1 from " + tg + " as weir_t where " + match("weir_t", "weir_d2", keys) + ")");
    }
    if (!spec.history()) return 0;
    String hg = d.render(t.history);
    // a snapshot read again (the snapshot restarted after a crash) replaces the earlier snapshot row of the key
    s.execute("delete from " + hg + " as weir_h where _weir_op = 'r' and exists (select 1 from " + st + " as weir_s where weir_s._weir_op = 'r' and "
        + match("weir_s", "weir_h", keys) + ")");
    // the open version of each key ends where the batch's first change of the key begins
    s.execute("update " + hg + " as weir_h set _weir_valid_to = weir_f.ts from (select " + keyList + ", min(_weir_commit_ts) as ts from " + st
        + " group by " + keyList + ") as weir_f where " + match("weir_f", "weir_h", keys) + " and weir_h._weir_valid_to is null");
    long n = s.execute("insert into " + hg + " (" + all + ", _weir_valid_from, _weir_valid_to) select " + all
        + ", _weir_commit_ts, lead(_weir_commit_ts) over (partition by " + keyList + " order by _weir_seq) from " + st);
    return n >= 0 ? (int) n : rows.size();
  }

  /** The table's state without changing the warehouse (a batch with only truncates of it). */
  private TableState state(String table) {
    TableState t = tables.get(table);
    if (t != null) return t;
    String ident = table.substring(table.indexOf('.') + 1);
    t = new TableState();
    t.source = table;
    t.target = Relation.of(database, spec.targetSchema(), ident);
    t.history = Relation.of(database, spec.targetSchema(), ident + "_history");
    t.stage = Relation.of(database, spec.targetSchema(), "__weir_cdc_stage_" + ident);
    t.targetColumns = columnsOf(t.target);
    if (spec.history()) t.historyColumns = columnsOf(t.history);
    tables.put(table, t);
    return t;
  }

  /**
   * A TRUNCATE of the source table: the current table is emptied (with soft_delete, every row still present is flagged
   * deleted by the truncate), and with history every open version ends at the truncate's commit time. Nothing to do
   * while the warehouse has no table for it yet.
   */
  private void truncate(TableState t, Change c, long seq) {
    if (t.targetColumns == null) t.targetColumns = columnsOf(t.target);
    if (t.targetColumns == null) return;
    String ts = c.tsMs() <= 0 ? "null" : tsLit(c.tsMs());
    if (!spec.softDelete()) {
      s.execute("delete from " + d.render(t.target));
    } else {
      s.execute("update " + d.render(t.target) + " set _weir_deleted = true, _weir_op = 't', _weir_seq = " + seq + ", _weir_lsn = "
          + c.position().lsn() + ", _weir_tx_id = " + (c.txId() < 0 ? "null" : c.txId()) + ", _weir_commit_ts = " + ts
          + " where coalesce(_weir_deleted, false) = false");
    }
    if (spec.history()) {
      if (t.historyColumns == null) t.historyColumns = columnsOf(t.history);
      if (t.historyColumns != null) {
        s.execute("update " + d.render(t.history) + " set _weir_valid_to = " + (c.tsMs() <= 0 ? "current_timestamp" : ts)
            + " where _weir_valid_to is null");
      }
    }
  }

  private String match(String a, String b, List<String> keys) {
    StringBuilder sb = new StringBuilder();
    for (String k : keys) {
      if (sb.length() > 0) sb.append(" and ");
      sb.append(a).append('.').append(d.quote(k)).append(" = ").append(b).append('.').append(d.quote(k));
    }
    return sb.toString();
  }
}
