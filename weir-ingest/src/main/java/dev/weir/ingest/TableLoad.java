package dev.weir.ingest;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import dev.weir.core.util.Console;
import dev.weir.core.util.Secrets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Loads one source table (or query) into one warehouse table: reads the source's columns, applies
 * the column selection, renames and type overrides, compares with the target (schema drift),
 * streams the rows into a staging table through the engine's bulk path, and then makes them visible
 * in one transaction together with the high-water mark and the dead letters. A failure or a killed
 * process before that transaction leaves the target as it was; the staging table is replaced on
 * the next run.
 */
final class TableLoad {
  static final String STATE_TABLE = "weir_ingest_state";
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  private final Map<String, Object> spec;
  private final SourceDb db;
  private final Session s;
  private final Dialect d;
  private final Console console;
  private final String invocationId;
  private final boolean fullRefreshFlag;
  private final String file;
  private final int line;
  /** Seconds between progress lines (env WEIR_INGEST_PROGRESS_SECONDS, default 2). */
  double progressSeconds = 2.0;
  /** Where the Postgres → DuckDB hand-off writes its chunk files (one folder per table). */
  java.nio.file.Path tmpRoot = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "weir-ingest");

  /** What one load did, for the run result. */
  record Result(String target, long rows, long read, long bad, List<String> changes, String mark, String mode, long quarantined) {}

  /**
   * Called inside the publishing transaction with (target table name, staging table): moves the staged rows failing
   * the table's quarantine checks aside and returns how many ({@link dev.weir.core.execute.LoadQuarantine}).
   */
  interface Quarantine {
    long divert(String table, dev.weir.core.engine.Relation staging);
  }

  Quarantine quarantine;

  TableLoad(Map<String, Object> spec, SourceDb db, Session s, Console console, String invocationId, boolean fullRefreshFlag) {
    this.spec = spec;
    this.db = db;
    this.s = s;
    this.d = s.dialect();
    this.console = console;
    this.invocationId = invocationId;
    this.fullRefreshFlag = fullRefreshFlag;
    this.file = String.valueOf(spec.get("file"));
    this.line = ((Number) spec.get("line")).intValue();
  }

  private WeirException bad(String msg) { return WeirException.project(file, line, msg); }

  @SuppressWarnings("unchecked")
  Result load(String sourceTable, String query, String targetName) throws SQLException {
    String ingestion = String.valueOf(spec.get("ingestion"));
    String schema = String.valueOf(spec.get("schema"));
    String database = (String) spec.get("database");
    String mode = String.valueOf(spec.get("mode"));
    if (fullRefreshFlag) mode = "full_refresh";
    Map<String, Object> cols = (Map<String, Object>) spec.get("columns");
    List<String> include = (List<String>) cols.get("include");
    List<String> exclude = (List<String>) cols.get("exclude");
    Map<String, String> rename = (Map<String, String>) cols.get("rename");
    Map<String, String> types = (Map<String, String>) cols.get("types");
    String engine = s.engine().type();

    Relation target = new Relation(database, schema, targetName, RelationType.TABLE);
    // The staging table lives in the target schema (a TEMP table in DuckDB was tried: no faster,
    // and held in memory until DuckDB's limit), so that a full refresh publishes by a rename.
    Relation staging = new Relation(database, schema, targetName + "__weir_staging", RelationType.TABLE);
    Relation deadLetter = new Relation(database, schema, targetName + "__dead_letter", RelationType.TABLE);
    Relation state = new Relation(database, schema, STATE_TABLE, RelationType.TABLE);

    List<SourceDb.SourceColumn> srcCols;
    List<String> pk;
    String base;
    long estimate;
    try (Connection c = db.open()) {
      base = query != null ? "select * from (" + query + ") weir_src" : "select * from " + db.quote(c, sourceTable);
      srcCols = db.columns(c, base);
      pk = new ArrayList<>();
      if (spec.get("primary_key") != null) pk.addAll((List<String>) spec.get("primary_key"));
      else if (sourceTable != null) pk.addAll(db.primaryKey(c, sourceTable));
      estimate = query == null && sourceTable != null ? db.estimateRows(c, sourceTable) : -1;
      // Columns chosen, renamed, typed.
      for (String inc : include) {
        if (srcCols.stream().noneMatch(sc -> sc.name().equalsIgnoreCase(inc))) {
          throw bad("columns.include names '" + inc + "', which " + (sourceTable != null ? sourceTable : "the query")
              + " does not have (it has " + String.join(", ", srcCols.stream().map(SourceDb.SourceColumn::name).toList()) + ")");
        }
      }
      List<String> readCols = new ArrayList<>();
      Map<String, ColumnType> wanted = new LinkedHashMap<>(); // target name -> type
      Map<String, String> targetOf = new LinkedHashMap<>();  // source name -> target name
      for (SourceDb.SourceColumn sc : srcCols) {
        boolean in = include.isEmpty() || include.stream().anyMatch(x -> x.equalsIgnoreCase(sc.name()));
        if (!in || exclude.stream().anyMatch(x -> x.equalsIgnoreCase(sc.name()))) continue;
        String tn = rename.getOrDefault(sc.name(), sc.name());
        ColumnType ct = sc.type();
        String override = types.getOrDefault(tn, types.get(sc.name()));
        if (override != null) {
          ct = ColumnType.parse(override);
          if (ct == null) throw bad("columns.types: '" + override + "' is not a type ingestion knows (BIGINT, INTEGER, DECIMAL(p,s),"
              + " DOUBLE, BOOLEAN, DATE, TIMESTAMP, TIMESTAMPTZ, TIME, VARCHAR)");
        }
        readCols.add(sc.name());
        wanted.put(tn, ct);
        targetOf.put(sc.name(), tn);
      }
      if (readCols.isEmpty()) throw bad("No column of " + (sourceTable != null ? sourceTable : "the query") + " is left to load");

      // Schema drift against the existing target.
      Optional<Relation> existing = s.getRelation(database, schema, targetName);
      List<String> changes = new ArrayList<>();
      List<String> alters = new ArrayList<>();
      List<String[]> finalCols = new ArrayList<>(); // name, ddl
      Map<String, ColumnType> finalTypes = new LinkedHashMap<>();
      if (existing.isPresent()) {
        for (ColumnInfo ci : s.getColumns(existing.get())) {
          ColumnType have = ColumnType.parse(ci.dataType());
          String srcName = wanted.keySet().stream().filter(w -> w.equalsIgnoreCase(ci.name())).findFirst().orElse(null);
          if (srcName == null) {
            changes.add("column " + ci.name() + " is no longer in the source: kept, loaded as nulls");
            finalCols.add(new String[] {ci.name(), ci.dataType()});
            finalTypes.put(ci.name(), have == null ? ColumnType.VARCHAR : have);
            continue;
          }
          ColumnType in = wanted.get(srcName);
          ColumnType t = have == null ? in : have.widen(in);
          if (have != null && !t.equals(have)) {
            changes.add("column " + ci.name() + " widened from " + have + " to " + t);
            alters.add("alter table " + d.render(target) + " alter column " + d.quote(ci.name()) + " type " + t.ddl(engine));
          }
          finalCols.add(new String[] {ci.name(), have == null ? ci.dataType() : t.ddl(engine)});
          finalTypes.put(ci.name(), have == null ? in : t);
          if (!srcName.equals(ci.name())) { // the target spells it differently: keep the target's spelling
            ColumnType ty = wanted.remove(srcName);
            wanted.put(ci.name(), ty);
            for (Map.Entry<String, String> e : targetOf.entrySet()) if (e.getValue().equals(srcName)) e.setValue(ci.name());
          }
        }
        for (Map.Entry<String, ColumnType> w : wanted.entrySet()) {
          if (finalTypes.containsKey(w.getKey())) continue;
          changes.add("column " + w.getKey() + " " + w.getValue() + " added");
          alters.add("alter table " + d.render(target) + " add column " + d.quote(w.getKey()) + " " + w.getValue().ddl(engine));
          finalCols.add(new String[] {w.getKey(), w.getValue().ddl(engine)});
          finalTypes.put(w.getKey(), w.getValue());
        }
        if (!changes.isEmpty() && "fail".equals(spec.get("on_schema_change"))) {
          throw WeirException.runtime("The source of " + d.render(target) + " changed shape and on_schema_change is 'fail' ("
              + file + ":" + line + "):\n  - " + String.join("\n  - ", changes), null);
        }
      } else {
        for (Map.Entry<String, ColumnType> w : wanted.entrySet()) {
          finalCols.add(new String[] {w.getKey(), w.getValue().ddl(engine)});
          finalTypes.put(w.getKey(), w.getValue());
        }
      }
      boolean targetExists = existing.isPresent();

      // Keys, by target name.
      List<String> keys = new ArrayList<>();
      for (String k : pk) {
        String src = readCols.stream().filter(x -> x.equalsIgnoreCase(k)).findFirst().orElse(null);
        String tn = src != null ? targetOf.get(src) : finalTypes.keySet().stream().filter(x -> x.equalsIgnoreCase(k)).findFirst().orElse(null);
        if (tn == null) throw bad("primary_key column '" + k + "' is not among the loaded columns");
        keys.add(tn);
      }
      if (mode.equals("upsert") && keys.isEmpty()) {
        throw bad("Table " + targetName + " loads in mode upsert but has no primary key: the source declares none; set"
            + " primary_key: [col, ...]");
      }

      // Incremental: the filter from the high-water mark.
      String cursor = (String) spec.get("cursor");
      String cursorSrc = null;
      String cursorTarget = null;
      String where = null;
      String oldMark = null;
      boolean incremental = mode.equals("incremental");
      if (cursor != null) {
        cursorSrc = readCols.stream().filter(x -> x.equalsIgnoreCase(cursor)).findFirst().orElse(null);
        if (cursorSrc == null) throw bad("cursor column '" + cursor + "' is not among the loaded columns");
        cursorTarget = targetOf.get(cursorSrc);
      }
      ensureState(state);
      if (incremental && targetExists) {
        oldMark = readMark(state, ingestion, targetName);
        if (oldMark != null) {
          ColumnType ct = finalTypes.get(cursorTarget);
          long lookback = spec.get("lookback_seconds") == null ? 0 : ((Number) spec.get("lookback_seconds")).longValue();
          where = db.quote(c, cursorSrc) + " > " + markLiteral(ct, oldMark, lookback);
        }
      }

      // The selects (one per key range when split).
      StringBuilder sel = new StringBuilder("select ");
      for (int i = 0; i < readCols.size(); i++) sel.append(i > 0 ? ", " : "").append(db.quote(c, readCols.get(i)));
      String from = query != null ? " from (" + query + ") weir_src" : " from " + db.quote(c, sourceTable);
      List<String> selects = new ArrayList<>();
      Map<String, Object> split = (Map<String, Object>) spec.get("split");
      if (split != null && ((Number) split.get("parallelism")).intValue() > 1) {
        String sc = db.quote(c, String.valueOf(split.get("column")));
        int par = ((Number) split.get("parallelism")).intValue();
        long lo;
        long hi;
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select min(" + sc + "), max(" + sc + ")" + from + (where == null ? "" : " where " + where))) {
          rs.next();
          lo = rs.getLong(1);
          hi = rs.getLong(2);
        }
        long step = Math.max(1, (hi - lo + par) / par);
        for (int i = 0; i < par; i++) {
          long a = lo + i * step;
          String range = i == 0 ? "(" + sc + " < " + (a + step) + " or " + sc + " is null)"
              : i == par - 1 ? sc + " >= " + a : sc + " >= " + a + " and " + sc + " < " + (a + step);
          selects.add(sel + from + " where " + range + (where == null ? "" : " and " + where));
        }
      } else {
        selects.add(sel + from + (where == null ? "" : " where " + where));
      }

      // Staging: the final columns, filled through the bulk path.
      List<ColumnInfo> stagingCols = new ArrayList<>();
      for (String[] fc : finalCols) stagingCols.add(new ColumnInfo(fc[0], fc[1]));
      s.execute(d.dropIfExists(staging, RelationType.TABLE));
      s.execute(d.createTable(staging, stagingCols));
      List<String> names = new ArrayList<>(finalTypes.keySet());
      int[] targetIdx = new int[readCols.size()];
      ColumnType[] castTo = new ColumnType[readCols.size()];
      for (int i = 0; i < readCols.size(); i++) {
        String tn = targetOf.get(readCols.get(i));
        targetIdx[i] = names.indexOf(tn);
        castTo[i] = finalTypes.get(tn);
      }
      int[] keyIdx = keys.stream().mapToInt(k -> {
        for (int i = 0; i < readCols.size(); i++) if (targetOf.get(readCols.get(i)).equals(k)) return i;
        return -1;
      }).filter(i -> i >= 0).toArray();
      RowStream.Plan plan = new RowStream.Plan(readCols, targetIdx, castTo, names.size(), keyIdx);
      int fetch = spec.get("fetch_size") == null ? 10_000 : ((Number) spec.get("fetch_size")).intValue();
      long loaded;
      long read;
      long badRows;
      List<RowStream.DeadLetter> dead;
      String desc = schema + "." + targetName;
      long t0 = System.nanoTime();
      long total = incremental && oldMark != null ? -1 : estimate;
      if (db.postgres && "duckdb".equals(engine) && selects.size() == 1) {
        // Postgres into DuckDB: COPY as CSV into chunk files, loaded by DuckDB's parallel read_csv.
        List<String> tnames = new ArrayList<>();
        List<ColumnType> ttypes = new ArrayList<>();
        for (int i = 0; i < readCols.size(); i++) {
          tnames.add(names.get(targetIdx[i]));
          ttypes.add(castTo[i]);
        }
        AtomicLongHolder seen = new AtomicLongHolder();
        Progress progress = new Progress(console, desc, total, () -> seen.value, (long) (progressSeconds * 1e9));
        progress.sink = v -> seen.value = v;
        CsvHandOff.Result r;
        try {
          CsvHandOff h = new CsvHandOff(db, s, tmpRoot.resolve(schema + "." + targetName));
          h.debug = console::debug;
          r = h.run(selects.get(0), readCols, tnames, ttypes, keyIdx,
              staging, progress);
        } catch (java.io.IOException e) {
          throw WeirException.runtime("Cannot write the load's temporary files under " + tmpRoot + ": " + e.getMessage(), e);
        }
        loaded = r.loaded();
        read = r.read();
        badRows = r.bad();
        dead = r.deadLetters();
      } else {
        try (RowStream rows = new RowStream(db, selects, plan, fetch)) {
          Progress progress = new Progress(console, desc, total, rows::rowsRead, (long) (progressSeconds * 1e9));
          loaded = s.bulkLoad(staging, stagingCols, () -> progress.wrap(rows.iterator()));
          read = rows.rowsRead();
          badRows = rows.badRows();
          dead = new ArrayList<>(rows.deadLetters);
        }
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      console.debug(String.format(Locale.ROOT, "ingest %s: %d rows staged in %.2fs (%.0f rows/s)", desc, loaded, secs, loaded / Math.max(secs, 1e-9)));
      double maxFraction = ((Number) spec.get("max_bad_fraction")).doubleValue();
      if (badRows > 0 && (read == 0 || (double) badRows / read > maxFraction)) {
        s.execute(d.dropIfExists(staging, RelationType.TABLE));
        StringBuilder sample = new StringBuilder();
        dead.stream().limit(3).forEach(dl -> sample.append("\n  - row ").append(dl.rowNumber())
            .append(dl.key() == null ? "" : " (" + dl.key() + ")").append(": ").append(dl.error()));
        throw WeirException.runtime(String.format(Locale.ROOT, "%d of %d rows of %s do not load (%.2f%%, more than bad_rows.max_fraction"
            + " %s, %s:%d): nothing was changed. First errors:%s", badRows, read, desc, 100.0 * badRows / Math.max(read, 1),
            maxFraction, file, line, Secrets.mask(sample.toString())), null);
      }

      // New high-water mark.
      String newMark = oldMark;
      if (cursorTarget != null) {
        QueryResult qr = s.query("select max(" + d.quote(cursorTarget) + ") from " + d.render(staging), 1);
        Object m = qr.rows().isEmpty() ? null : qr.rows().get(0).get(0);
        if (m != null) newMark = formatMark(m);
        if (oldMark != null && newMark != null && compareMarks(finalTypes.get(cursorTarget), oldMark, newMark) > 0) newMark = oldMark;
      }

      // Dead letters table (created outside the transaction; rows go in with the load).
      List<ColumnInfo> dlCols = List.of(new ColumnInfo("ingestion", ColumnType.VARCHAR.ddl(engine)),
          new ColumnInfo("table_name", ColumnType.VARCHAR.ddl(engine)), new ColumnInfo("row_number", "bigint"),
          new ColumnInfo("row_key", ColumnType.VARCHAR.ddl(engine)), new ColumnInfo("raw_values", ColumnType.VARCHAR.ddl(engine)),
          new ColumnInfo("error", ColumnType.VARCHAR.ddl(engine)), new ColumnInfo("invocation_id", ColumnType.VARCHAR.ddl(engine)),
          new ColumnInfo("loaded_at", "timestamp"));
      if (!dead.isEmpty() && s.getRelation(database, schema, deadLetter.identifier()).isEmpty()) {
        s.execute(d.createTable(deadLetter, dlCols));
      }

      // Publish: one transaction (one at a time in this process: they share the state table).
      String colList = String.join(", ", names.stream().map(d::quote).toList());
      long quarantined = 0;
      synchronized (PUBLISH) {
      s.begin();
      try {
        if (quarantine != null) quarantined = quarantine.divert(targetName, staging);
        if (!targetExists || mode.equals("full_refresh")) {
          if (targetExists) s.execute(d.dropIfExists(target, RelationType.TABLE));
          s.execute(d.rename(staging, RelationType.TABLE, targetName));
        } else {
          for (String a : alters) s.execute(a);
          if (!keys.isEmpty() && !mode.equals("append")) {
            deleteMatchingKeys(s, d, target, staging, keys);
          }
          s.execute("insert into " + d.render(target) + " (" + colList + ") select " + colList + " from " + d.render(staging));
          s.execute(d.dropIfExists(staging, RelationType.TABLE));
        }
        s.execute("delete from " + d.render(state) + " where ingestion = " + d.stringLiteral(ingestion) + " and table_name = "
            + d.stringLiteral(targetName));
        s.execute("insert into " + d.render(state) + " values (" + d.stringLiteral(ingestion) + ", " + d.stringLiteral(targetName) + ", "
            + (cursorTarget == null ? "null" : d.stringLiteral(cursorTarget)) + ", " + (newMark == null ? "null" : d.stringLiteral(newMark))
            + ", " + (loaded - quarantined) + ", " + d.stringLiteral(invocationId) + ", current_timestamp)");
        if (!dead.isEmpty()) {
          LocalDateTime now = LocalDateTime.now(java.time.ZoneOffset.UTC);
          List<Object[]> dlRows = new ArrayList<>();
          for (RowStream.DeadLetter dl : dead) {
            dlRows.add(new Object[] {ingestion, targetName, dl.rowNumber(), dl.key(), dl.raw(), dl.error(), invocationId, now});
          }
          s.bulkLoad(deadLetter, dlCols, dlRows);
        }
        s.commit();
      } catch (RuntimeException e) {
        if (s.inTransaction()) s.rollback();
        throw e;
      }
      }
      return new Result(desc, loaded - quarantined, read, badRows, changes, newMark, mode, quarantined);
    }
  }

  private static final Object PUBLISH = new Object();

  /** A mutable count shared between the hand-off and its progress line. */
  private static final class AtomicLongHolder {
    volatile long value;
  }

  private void ensureState(Relation state) {
    synchronized (PUBLISH) {
      ensureStateLocked(state);
    }
  }

  private void ensureStateLocked(Relation state) {
    if (s.getRelation(state.database(), state.schema(), state.identifier()).isPresent()) return;
    String v = "postgres".equals(s.engine().type()) ? "text" : "varchar";
    s.execute("create table if not exists " + d.render(state) + " (ingestion " + v + ", table_name " + v + ", cursor_column " + v
        + ", high_water_mark " + v + ", rows_loaded bigint, invocation_id " + v + ", updated_at timestamp)");
  }

  private String readMark(Relation state, String ingestion, String table) {
    QueryResult r = s.query("select high_water_mark from " + d.render(state) + " where ingestion = " + d.stringLiteral(ingestion)
        + " and table_name = " + d.stringLiteral(table), 1);
    return r.rows().isEmpty() || r.rows().get(0).get(0) == null ? null : String.valueOf(r.rows().get(0).get(0));
  }

  /** A mark as text: timestamps as 'yyyy-MM-dd HH:mm:ss.ffffff', the rest as printed. */
  static String formatMark(Object m) {
    if (m instanceof LocalDateTime t) return TS.format(t);
    if (m instanceof OffsetDateTime o) return TS.format(o.withOffsetSameInstant(java.time.ZoneOffset.UTC).toLocalDateTime()) + "+00:00";
    if (m instanceof java.sql.Timestamp ts) return TS.format(ts.toLocalDateTime());
    if (m instanceof java.math.BigDecimal b) return b.toPlainString();
    return String.valueOf(m);
  }

  private static int compareMarks(ColumnType t, String a, String b) {
    return switch (t.kind()) {
      case SMALLINT, INTEGER, BIGINT, DECIMAL, DOUBLE -> new java.math.BigDecimal(a).compareTo(new java.math.BigDecimal(b));
      default -> a.compareTo(b);
    };
  }

  /** The SQL literal of the mark minus the look-back, for the source's WHERE. */
  private String markLiteral(ColumnType t, String mark, long lookbackSeconds) {
    switch (t.kind()) {
      case SMALLINT, INTEGER, BIGINT, DECIMAL, DOUBLE -> { return mark; }
      case TIMESTAMP -> {
        LocalDateTime ts = ColumnType.parseTimestamp(mark).minusSeconds(lookbackSeconds);
        return "'" + tsText(ts) + "'";
      }
      case TIMESTAMPTZ -> {
        OffsetDateTime o = ColumnType.parseTimestampTz(mark).minusSeconds(lookbackSeconds);
        // MariaDB has no offsets in literals; its connection is in UTC.
        return "'" + tsText(o.withOffsetSameInstant(java.time.ZoneOffset.UTC).toLocalDateTime()) + (db.mariadb ? "'" : "+00:00'");
      }
      case DATE -> { return "'" + LocalDate.parse(mark.substring(0, 10)).minusDays(lookbackSeconds / 86400) + "'"; }
      default -> { return "'" + mark.replace("'", "''") + "'"; }
    }
  }

  /** Without the fraction when it is zero: SQLite compares timestamps as text. */
  private static String tsText(LocalDateTime t) {
    String s = TS.format(t);
    return t.getNano() == 0 ? s.substring(0, 19) : s;
  }

  /** Prints rows so far, rows/s and the ETA (when the total is known), at most every 2 seconds after the first 2. */
  static final class Progress {
    private final Console console;
    private final String what;
    private final long total;
    private final java.util.function.LongSupplier readSoFar;
    private final long start = System.nanoTime();
    private long last = start;
    private final long intervalNanos;

    Progress(Console console, String what, long total, java.util.function.LongSupplier readSoFar, long intervalNanos) {
      this.intervalNanos = intervalNanos;
      this.console = console;
      this.what = what;
      this.total = total;
      this.readSoFar = readSoFar;
    }

    Iterator<Object[]> wrap(Iterator<Object[]> it) {
      return new Iterator<>() {
        long n;

        @Override public boolean hasNext() { return it.hasNext(); }

        @Override public Object[] next() {
          Object[] r = it.next();
          if ((++n & 4095) == 0) tick();
          return r;
        }
      };
    }

    /** Where {@link #report} stores the count that {@code readSoFar} returns (hand-off path). */
    java.util.function.LongConsumer sink = v -> { };

    /** Reports rows so far (prints when the interval has passed). */
    void report(long rowsSoFar) {
      sink.accept(rowsSoFar);
      tick();
    }

    private void tick() {
      long now = System.nanoTime();
      if (now - last < intervalNanos) return;
      last = now;
      long rows = readSoFar.getAsLong();
      double secs = (now - start) / 1e9;
      double rate = rows / secs;
      String eta = total > 0 && rows < total ? String.format(Locale.ROOT, ", ETA %ds", Math.round((total - rows) / Math.max(rate, 1)))
          : "";
      console.info(String.format(Locale.ROOT, "  ingesting %s: %,d rows%s, %,.0f rows/s%s", what, rows,
          total > 0 ? String.format(Locale.ROOT, " of ~%,d", total) : "", rate, eta));
    }
  }

  /** Deletes the target's rows whose key a staged row has (upsert's delete before the insert, in the caller's transaction). */
  static void deleteMatchingKeys(dev.weir.core.engine.Session s, dev.weir.core.engine.Dialect d,
                                 dev.weir.core.engine.Relation target, dev.weir.core.engine.Relation staging, List<String> keys) {
    StringBuilder match = new StringBuilder();
    for (String k : keys) {
      if (match.length() > 0) match.append(" and ");
      match.append(d.render(target)).append('.').append(d.quote(k)).append(" = weir_new.").append(d.quote(k));
    }
    s.execute("delete from " + d.render(target) + " where exists (select 1 from " + d.render(staging) + " weir_new where "
        + match + ")");
  }
}
