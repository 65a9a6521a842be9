package dev.weir.engine.duckdb;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;

/**
 * One DuckDB connection (a {@code duplicate()} of the engine's), used by one thread at a time.
 *
 * <h2>What DuckDB 2.0 does, and how this class relies on it</h2>
 * <ul>
 *   <li><b>DDL is transactional.</b> CREATE, DROP and ALTER ... RENAME inside {@code BEGIN} are
 *       invisible to other connections until {@code COMMIT} and vanish on {@code ROLLBACK}; a reader
 *       on another connection keeps seeing the old table while a writer has already dropped it in
 *       its open transaction (MVCC on the catalog). An uncommitted transaction never reaches the
 *       WAL, so a process killed mid-transaction leaves the file as of the last commit.</li>
 *   <li><b>Views are not dependency-tracked.</b> DuckDB stores a view as SQL and binds it when it
 *       is queried. Renaming or dropping a table that a view selects from is allowed (no CASCADE
 *       needed or possible) and merely breaks the view until a relation with the old name exists
 *       again. Replacing a table by drop + rename in one transaction therefore keeps dependent
 *       views working: they see the new table from the commit on.</li>
 *   <li><b>Indexes do block a rename</b>: a table with a PRIMARY KEY or an index cannot be renamed
 *       ("Dependency Error: Cannot alter entry ... because there are entries that depend on it"),
 *       but it can be dropped. Replacement only ever renames the freshly built temporary table,
 *       which has none; indexes and constraints belong after the swap (post-hooks).</li>
 *   <li><b>An error aborts the transaction</b>: later statements fail with "Current transaction is
 *       aborted (please ROLLBACK)" and a {@code COMMIT} then <em>succeeds silently but rolls
 *       back</em>. {@link #commit()} detects this and fails loudly instead.</li>
 *   <li><b>Multi-statement strings</b> work with {@code Statement.execute}: statements run in order,
 *       the update count is the last statement's, and a failing statement stops the rest (earlier
 *       ones stay done in autocommit mode).</li>
 *   <li>A failed statement closes its JDBC {@code Statement}; each call uses a fresh one.</li>
 *   <li>The {@link DuckDBAppender} takes part in the connection's explicit transaction (one opened
 *       with SQL {@code BEGIN}; with JDBC {@code setAutoCommit(false)} the transaction only starts
 *       at the next statement, so an appender used first would autocommit). It is strictly typed,
 *       see {@link DuckDbValues}.</li>
 * </ul>
 *
 * <h2>Atomic replacement</h2>
 * {@link #replaceTable} builds {@code <name>__weir_tmp} with CTAS, then drops the old relation
 * (table or view, whichever it is) and renames the new table into place, all in one transaction.
 * The CTAS runs inside that transaction too, so a failure at any step (bad SQL, a type error in the
 * middle of a load, a cancel, an interrupt, a killed process) leaves the old relation exactly as
 * it was and leaves no temporary table behind; a stale {@code __weir_tmp} (from another tool or an
 * older version) is dropped first. Building under a temporary name, rather than dropping first,
 * lets the SELECT read the relation it replaces. Interrupts are honoured between steps; a statement
 * already running inside DuckDB is stopped with {@link #cancel()} (which {@code Thread.interrupt}
 * cannot reach: the JDBC call is native). Views are replaced by drop + create in one
 * transaction: creating a view is instant and validates the SQL, so no temporary is needed.
 */
public final class DuckDbSession implements Session {

  /** Suffix of the relation a replacement is built under. */
  public static final String TMP_SUFFIX = "__weir_tmp";

  private static final Pattern BEGIN = Pattern.compile("(?is)\\s*(begin|start\\s+transaction)\\b[^;]*;?\\s*");
  private static final Pattern END = Pattern.compile("(?is)\\s*(commit|end|rollback|abort)\\b[^;]*;?\\s*");

  private final DuckDbEngine engine;
  private final DuckDBConnection conn;
  private volatile Statement current;
  private volatile boolean cancelRequested;
  private volatile boolean closed;
  private boolean inTransaction;
  private String failureInTransaction;

  DuckDbSession(DuckDbEngine engine, DuckDBConnection conn) {
    this.engine = engine;
    this.conn = conn;
  }

  @Override
  public DuckDbEngine engine() {
    return engine;
  }

  @Override
  public Dialect dialect() {
    return DuckDbDialect.INSTANCE;
  }

  /** The underlying JDBC connection, for engine-specific callers (tests, extensions). */
  public DuckDBConnection connection() {
    return conn;
  }

  // -------------------------------------------------------------------------------- statements

  @Override
  public QueryResult query(String sql, long maxRows) {
    startOperation();
    noteCatalogChange(sql);
    return run(sql, st -> {
      if (!st.execute(sql)) return QueryResult.affected(st.getUpdateCount());
      try (ResultSet rs = st.getResultSet()) {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        List<ColumnInfo> columns = new ArrayList<>(n);
        String[] types = new String[n];
        for (int i = 1; i <= n; i++) {
          types[i - 1] = md.getColumnTypeName(i);
          columns.add(new ColumnInfo(md.getColumnLabel(i), types[i - 1], i, null));
        }
        List<List<Object>> rows = new ArrayList<>();
        boolean truncated = false;
        while (true) {
          if (maxRows >= 0 && rows.size() >= maxRows) {
            truncated = rs.next();
            break;
          }
          if (!rs.next()) break;
          if ((rows.size() & 1023) == 0) checkCancelled();
          Object[] row = new Object[n];
          for (int i = 1; i <= n; i++) row[i - 1] = DuckDbValues.read(rs, i, types[i - 1]);
          rows.add(Collections.unmodifiableList(java.util.Arrays.asList(row)));
        }
        return new QueryResult(List.copyOf(columns), Collections.unmodifiableList(rows), truncated, rows.size());
      }
    });
  }

  @Override
  public long execute(String sql) {
    startOperation();
    noteCatalogChange(sql);
    long n = run(sql, st -> st.execute(sql) ? -1L : (long) st.getUpdateCount());
    // Keep track of transactions opened or closed by hand (dbt macros sometimes do).
    if (BEGIN.matcher(sql).matches()) {
      inTransaction = true;
      failureInTransaction = null;
    } else if (END.matcher(sql).matches()) {
      inTransaction = false;
      failureInTransaction = null;
    }
    return n;
  }

  /** Statements that may change the catalog empty the relation cache (at once, or when their transaction ends). */
  private void noteCatalogChange(String sql) {
    if (RelationCache.readOnly(sql)) return;
    if (inTransaction) catalogDirty = true;
    else engine.relationCache.invalidateAll();
  }

  private boolean catalogDirty;

  private interface Body<T> {
    T run(Statement st) throws SQLException;
  }

  private <T> T run(String sql, Body<T> body) {
    checkCancelled();
    Statement st = null;
    try {
      st = conn.createStatement();
      current = st;
      if (cancelRequested) throw cancelled(null);
      return body.run(st);
    } catch (SQLException e) {
      if (inTransaction && failureInTransaction == null) failureInTransaction = e.getMessage();
      throw translate(e, sql);
    } finally {
      current = null;
      if (st != null) {
        try {
          st.close();
        } catch (SQLException ignored) {
          // a failed statement is already closed
        }
      }
    }
  }

  private void exec(String sql) {
    run(sql, st -> st.execute(sql));
  }

  private long update(String sql) {
    return run(sql, st -> st.execute(sql) ? -1L : (long) st.getUpdateCount());
  }

  private WeirException translate(SQLException e, String sql) {
    String msg = String.valueOf(e.getMessage());
    if (cancelRequested || msg.startsWith("INTERRUPT Error") || e instanceof java.sql.SQLTimeoutException) {
      return cancelled(e);
    }
    return WeirException.runtime(msg, e);
  }

  private WeirException cancelled(Throwable cause) {
    return WeirException.runtime(Thread.currentThread().isInterrupted() ? "Interrupted" : "Query cancelled", cause);
  }

  /** Resets the cancel flag at the start of a public operation. */
  private void startOperation() {
    if (closed) throw new WeirException(WeirException.Kind.INTERNAL, "The DuckDB session is closed");
    cancelRequested = false;
  }

  /** Fails between steps when the operation was cancelled or its thread interrupted. */
  private void checkCancelled() {
    if (closed) throw new WeirException(WeirException.Kind.INTERNAL, "The DuckDB session is closed");
    if (cancelRequested || Thread.currentThread().isInterrupted()) throw cancelled(null);
  }

  @Override
  public double progress() {
    Statement st = current;
    if (!(st instanceof org.duckdb.DuckDBPreparedStatement p)) return -1;
    try {
      double pct = p.getQueryProgress().getPercentage();
      return pct < 0 ? -1 : Math.min(100, pct);
    } catch (SQLException | RuntimeException e) {
      return -1; // the statement ended meanwhile
    }
  }

  @Override
  public void cancel() {
    cancelRequested = true;
    Statement st = current;
    if (st != null) {
      try {
        st.cancel();
      } catch (SQLException | RuntimeException ignored) {
        // the statement finished meanwhile
      }
    }
  }

  // ------------------------------------------------------------------------------ transactions

  @Override
  public void begin() {
    if (inTransaction) {
      throw new WeirException(WeirException.Kind.INTERNAL, "A transaction is already open on this session");
    }
    exec("begin transaction");
    inTransaction = true;
    failureInTransaction = null;
  }

  /**
   * Commits. Because DuckDB turns a COMMIT of an aborted transaction into a silent rollback, this
   * checks first whether an earlier statement failed and the transaction is aborted, and then
   * rolls back and throws instead of pretending to have committed.
   */
  @Override
  public void commit() {
    if (!inTransaction) return;
    if (failureInTransaction != null) {
      boolean aborted;
      try (Statement st = conn.createStatement()) {
        st.execute("select 1");
        aborted = false;
      } catch (SQLException e) {
        aborted = true;
      }
      if (aborted) {
        String cause = failureInTransaction;
        rollbackQuietly();
        throw WeirException.runtime("The transaction was rolled back, not committed: an earlier statement failed ("
            + cause + ")", null);
      }
    }
    try {
      exec("commit");
    } catch (WeirException e) {
      rollbackQuietly();
      throw e;
    } finally {
      inTransaction = false;
      failureInTransaction = null;
      if (catalogDirty) engine.relationCache.invalidateAll();
      catalogDirty = false;
    }
  }

  @Override
  public void rollback() {
    if (!inTransaction) return;
    try (Statement st = conn.createStatement()) {
      st.execute("rollback");
    } catch (SQLException e) {
      if (!String.valueOf(e.getMessage()).contains("no transaction is active")) {
        throw WeirException.runtime(e.getMessage(), e);
      }
    } finally {
      inTransaction = false;
      failureInTransaction = null;
      if (catalogDirty) engine.relationCache.invalidateAll();
      catalogDirty = false;
    }
  }

  private void rollbackQuietly() {
    try {
      rollback();
    } catch (RuntimeException ignored) {
      // best effort
    }
  }

  @Override
  public boolean inTransaction() {
    return inTransaction;
  }

  private interface TxBody<T> {
    T run();
  }

  /** Runs {@code body} in a transaction of its own, or in the caller's when one is open. */
  private <T> T atomically(TxBody<T> body) {
    boolean own = !inTransaction;
    if (own) begin();
    boolean ok = false;
    try {
      T result = body.run();
      checkCancelled();
      if (own) commit();
      ok = true;
      return result;
    } finally {
      if (own && !ok) rollbackQuietly();
    }
  }

  // ---------------------------------------------------------------------------------- catalog

  private String db(String database) {
    return database == null || database.isEmpty() ? engine.defaultDatabase() : database;
  }

  private String schema(String schema) {
    return schema == null || schema.isEmpty() ? engine.defaultSchema() : schema;
  }

  /** The relation with database and schema filled in from the engine's defaults. */
  public Relation qualify(Relation r) {
    return new Relation(db(r.database()), schema(r.schema()), r.identifier(), r.type());
  }

  private static final String RELATIONS_SQL =
      "select database_name, schema_name, table_name, 'TABLE' as kind from duckdb_tables()"
      + " where lower(database_name) = lower(?) and lower(schema_name) = lower(?) %s"
      + " union all select database_name, schema_name, view_name, 'VIEW' from duckdb_views()"
      + " where not internal and lower(database_name) = lower(?) and lower(schema_name) = lower(?) %s"
      + " order by 3";

  @Override
  public Optional<Relation> getRelation(String database, String schema, String identifier) {
    String d = db(database);
    String sc = schema(schema);
    if (!inTransaction) return engine.relationCache.get(d, sc, identifier, () -> relations(d, sc, null));
    List<Relation> found = relations(d, sc, identifier);
    return found.stream().findFirst();
  }

  @Override
  public List<Relation> listRelations(String database, String schema) {
    return relations(db(database), schema(schema), null);
  }

  private List<Relation> relations(String database, String schema, String identifier) {
    checkCancelled();
    String filter = identifier == null ? "" : "and lower(table_name) = lower(?)";
    String sql = String.format(Locale.ROOT, RELATIONS_SQL, filter, filter.replace("table_name", "view_name"));
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      int i = 1;
      for (int part = 0; part < 2; part++) {
        ps.setString(i++, database);
        ps.setString(i++, schema);
        if (identifier != null) ps.setString(i++, identifier);
      }
      List<Relation> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Relation(rs.getString(1), rs.getString(2), rs.getString(3),
              RelationType.valueOf(rs.getString(4))));
        }
      }
      return out;
    } catch (SQLException e) {
      if (inTransaction && failureInTransaction == null) failureInTransaction = e.getMessage();
      throw translate(e, sql);
    }
  }

  /**
   * Columns of a table or view, in order (index from 1), with DuckDB's type names and comments.
   * Names match case-insensitively, as DuckDB resolves them.
   */
  @Override
  public List<ColumnInfo> getColumns(Relation relation) {
    checkCancelled();
    Relation r = qualify(relation);
    String sql = "select column_name, data_type, column_index, comment from duckdb_columns()"
        + " where lower(database_name) = lower(?) and lower(schema_name) = lower(?) and lower(table_name) = lower(?)"
        + " order by column_index";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, r.database());
      ps.setString(2, r.schema());
      ps.setString(3, r.identifier());
      List<ColumnInfo> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(new ColumnInfo(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4)));
      }
      return out;
    } catch (SQLException e) {
      if (inTransaction && failureInTransaction == null) failureInTransaction = e.getMessage();
      throw translate(e, sql);
    }
  }

  @Override
  public boolean schemaExists(String database, String schema) {
    checkCancelled();
    String sql = "select count(*) from duckdb_schemas() where lower(database_name) = lower(?) and lower(schema_name) = lower(?)";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, db(database));
      ps.setString(2, schema(schema));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getLong(1) > 0;
      }
    } catch (SQLException e) {
      throw translate(e, sql);
    }
  }

  @Override
  public void createSchema(String database, String schema) {
    startOperation();
    exec(dialect().createSchemaIfNotExists(db(database), schema(schema)));
  }

  /** Exact row count of a table or view ({@code count(*)}; metadata-only for DuckDB tables). */
  public long rowCount(Relation relation) {
    startOperation();
    String sql = "select count(*) from " + dialect().render(qualify(relation));
    return run(sql, st -> {
      try (ResultSet rs = st.executeQuery(sql)) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  /**
   * DuckDB's estimate of a table's row count ({@code duckdb_tables().estimated_size}), free to
   * read; empty for views and missing tables. Meant for {@code docs generate} stats.
   */
  public OptionalLong estimatedRowCount(Relation relation) {
    checkCancelled();
    Relation r = qualify(relation);
    String sql = "select estimated_size from duckdb_tables() where lower(database_name) = lower(?)"
        + " and lower(schema_name) = lower(?) and lower(table_name) = lower(?)";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, r.database());
      ps.setString(2, r.schema());
      ps.setString(3, r.identifier());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
      }
    } catch (SQLException e) {
      throw translate(e, sql);
    }
  }

  // -------------------------------------------------------------------------------- bulk load

  /**
   * Appends rows through DuckDB's appender. {@code columns} name the values of each row in order;
   * they are matched to the table's columns by name (case-insensitively), and table columns not
   * named get their default. Values are coerced to the table's column types. The load runs in
   * the caller's transaction, or in one of its own (all rows or none) when none is open.
   */
  @Override
  public long bulkLoad(Relation table, List<ColumnInfo> columns, Iterable<Object[]> rows) {
    startOperation();
    Relation t = qualify(table);
    return atomically(() -> append(t, columns, rows));
  }

  private long append(Relation t, List<ColumnInfo> columns, Iterable<Object[]> rows) {
    Relation existing = getRelation(t.database(), t.schema(), t.identifier()).orElseThrow(() ->
        WeirException.runtime("Cannot load rows into " + dialect().render(t) + ": it does not exist", null));
    if (existing.type() != RelationType.TABLE) {
      throw WeirException.runtime("Cannot load rows into " + dialect().render(t) + ": it is a "
          + existing.type().dbtName() + ", not a table", null);
    }
    List<ColumnInfo> tableColumns = getColumns(existing);
    int[] source = new int[tableColumns.size()];
    DuckDbValues.Writer[] writers = new DuckDbValues.Writer[tableColumns.size()];
    boolean appenderOk = true;
    for (int c = 0; c < tableColumns.size(); c++) {
      source[c] = -1;
      if (columns == null || columns.isEmpty()) {
        source[c] = c;
      } else {
        for (int k = 0; k < columns.size(); k++) {
          if (columns.get(k).name().equalsIgnoreCase(tableColumns.get(c).name())) source[c] = k;
        }
      }
      writers[c] = DuckDbValues.writerFor(tableColumns.get(c).dataType());
      if (writers[c] == null && source[c] >= 0) appenderOk = false;
    }
    if (columns != null) {
      for (ColumnInfo col : columns) {
        if (tableColumns.stream().noneMatch(tc -> tc.name().equalsIgnoreCase(col.name()))) {
          throw WeirException.runtime("Cannot load rows into " + dialect().render(existing) + ": it has no column '"
              + col.name() + "'", null);
        }
      }
    }
    return appenderOk ? appendWithAppender(existing, tableColumns, source, writers, rows)
        : appendWithInserts(existing, tableColumns, source, rows);
  }

  private long appendWithAppender(Relation t, List<ColumnInfo> tableColumns, int[] source,
                                  DuckDbValues.Writer[] writers, Iterable<Object[]> rows) {
    long n = 0;
    int c = 0;
    Object value = null;
    try (DuckDBAppender ap = conn.createAppender(t.database(), t.schema(), t.identifier())) {
      for (Object[] row : rows) {
        if ((n & 8191) == 0) checkCancelled();
        ap.beginRow();
        for (c = 0; c < source.length; c++) {
          int s = source[c];
          if (s < 0) {
            ap.appendDefault();
            continue;
          }
          value = s < row.length ? row[s] : null;
          if (value == null) {
            ap.appendNull();
          } else {
            writers[c].append(ap, value);
          }
        }
        ap.endRow();
        n++;
      }
      c = -1;
      ap.flush();
    } catch (SQLException | RuntimeException e) {
      if (e instanceof WeirException we) throw we;
      if (inTransaction && failureInTransaction == null) failureInTransaction = e.getMessage();
      String where = c >= 0 && c < tableColumns.size()
          ? " at row " + (n + 1) + ", column '" + tableColumns.get(c).name() + "' (" + tableColumns.get(c).dataType() + ")"
              + (value == null ? "" : ", value " + dev.weir.core.engine.LoadValues.describe(value))
          : "";
      throw WeirException.runtime("Cannot load rows into " + dialect().render(t) + where + ": " + e.getMessage(), e);
    }
    return n;
  }

  /**
   * Fallback for column types the appender path does not convert (LIST, STRUCT, BLOB, ...): one
   * prepared INSERT per row, values passed to the driver as they are. Slow, but only used by
   * tables with such columns.
   */
  private long appendWithInserts(Relation t, List<ColumnInfo> tableColumns, int[] source, Iterable<Object[]> rows) {
    List<String> names = new ArrayList<>();
    List<Integer> idx = new ArrayList<>();
    for (int c = 0; c < source.length; c++) {
      if (source[c] >= 0) {
        names.add(dialect().quote(tableColumns.get(c).name()));
        idx.add(source[c]);
      }
    }
    String sql = "insert into " + dialect().render(t) + " (" + String.join(", ", names) + ") values ("
        + String.join(", ", Collections.nCopies(names.size(), "?")) + ")";
    long n = 0;
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      for (Object[] row : rows) {
        if ((n & 1023) == 0) checkCancelled();
        for (int i = 0; i < idx.size(); i++) {
          int s = idx.get(i);
          ps.setObject(i + 1, s < row.length ? row[s] : null);
        }
        // not addBatch/executeBatch: the driver wraps a batch in a BEGIN of its own, which fails
        // inside the transaction this load runs in
        ps.execute();
        n++;
      }
      return n;
    } catch (SQLException e) {
      if (inTransaction && failureInTransaction == null) failureInTransaction = e.getMessage();
      throw WeirException.runtime("Cannot load rows into " + dialect().render(t) + " near row " + n + ": "
          + e.getMessage(), e);
    }
  }

  // ----------------------------------------------------------------------------- replacement

  @Override
  public long replaceTable(Relation target, String selectSql) {
    startOperation();
    Relation t = qualify(target);
    Relation tmp = t.withIdentifier(t.identifier() + TMP_SUFFIX);
    boolean outside = !inTransaction;
    Optional<Relation> existing = outside ? getRelation(t.database(), t.schema(), t.identifier()) : null;
    if (outside && (existing.isEmpty() || existing.get().type() == RelationType.TABLE)) {
      // One statement is one transaction in DuckDB: CREATE OR REPLACE evaluates the query against
      // the old table (a model may read its own relation), and a failure or a killed process
      // leaves the old table as it was. It saves the scratch table, the rename and a commit
      // (about 1 ms a model).
      long n = update("create or replace table " + dialect().render(t) + " as (\n" + stripSemicolons(selectSql) + "\n)");
      replaced(t.withType(RelationType.TABLE), true);
      // A scratch table left by an older, killed run of the swap below: tidy it away (the cache makes the check free).
      if (getRelation(tmp.database(), tmp.schema(), tmp.identifier()).isPresent()) {
        clearScratch(tmp);
        engine.relationCache.invalidate(tmp.database(), tmp.schema());
      }
      return n >= 0 ? n : rowCount(t);
    }
    boolean scratchCleared = clearScratch(tmp);
    long rows = atomically(() -> {
      if (!scratchCleared) dropIfPresent(tmp);
      long n = update(dialect().createTableAs(tmp, stripSemicolons(selectSql)));
      checkCancelled();
      swapIn(tmp, t, existing);
      return n >= 0 ? n : rowCount(t);
    });
    replaced(t.withType(RelationType.TABLE), outside);
    return rows;
  }

  @Override
  public void replaceView(Relation target, String selectSql) {
    startOperation();
    Relation t = qualify(target);
    boolean outside = !inTransaction;
    Optional<Relation> existing = outside ? getRelation(t.database(), t.schema(), t.identifier()) : null;
    atomically(() -> {
      drop(t, existing);
      exec(dialect().createViewAs(t, stripSemicolons(selectSql)));
      return null;
    });
    replaced(t.withType(RelationType.VIEW), outside);
  }

  /** After a replacement commits: the cache learns the new relation (or forgets the schema inside a caller's transaction). */
  private void replaced(Relation r, boolean ownTransaction) {
    if (ownTransaction) {
      engine.relationCache.put(r);
    } else {
      engine.relationCache.invalidate(r.database(), r.schema());
      // Another thread may list the schema again before the caller's transaction commits: forget it again then.
      catalogDirty = true;
    }
  }

  /** Drops {@code r}: by the kind a lookup made before the transaction found, or by looking now. */
  private void drop(Relation r, Optional<Relation> known) {
    if (known == null) {
      dropIfPresent(r);
    } else if (known.isPresent()) {
      checkCancelled();
      exec(dialect().dropIfExists(known.get(), known.get().type()));
    }
  }

  @Override
  public long replaceTableWithRows(Relation target, List<ColumnInfo> columns, Iterable<Object[]> rows) {
    startOperation();
    Relation t = qualify(target);
    Relation tmp = t.withIdentifier(t.identifier() + TMP_SUFFIX);
    boolean outside = !inTransaction;
    boolean scratchCleared = clearScratch(tmp);
    Optional<Relation> existing = outside ? getRelation(t.database(), t.schema(), t.identifier()) : null;
    long n = atomically(() -> {
      if (!scratchCleared) dropIfPresent(tmp);
      exec(dialect().createTable(tmp, columns));
      long loaded = append(tmp, columns, rows);
      checkCancelled();
      swapIn(tmp, t, existing);
      return loaded;
    });
    replaced(t.withType(RelationType.TABLE), outside);
    return n;
  }

  /**
   * Removes a leftover scratch relation ({@code <name>__weir_tmp}) before the replacing
   * transaction begins, without a catalog lookup (one lookup costs milliseconds once a schema holds
   * hundreds of tables). Only outside a caller's transaction: a failing DROP in autocommit harms
   * nothing, while inside a transaction it would abort it. Returns whether it ran.
   */
  private boolean clearScratch(Relation tmp) {
    if (inTransaction) return false;
    try {
      exec(dialect().dropIfExists(tmp, RelationType.TABLE));
    } catch (WeirException e) {
      // The leftover is a view: DROP TABLE refuses it.
      exec(dialect().dropIfExists(tmp, RelationType.VIEW));
    }
    return true;
  }

  /** Drops whatever relation (table or view) has this name. */
  private void dropIfPresent(Relation r) {
    Optional<Relation> existing = getRelation(r.database(), r.schema(), r.identifier());
    if (existing.isPresent()) {
      checkCancelled();
      exec(dialect().dropIfExists(existing.get(), existing.get().type()));
    }
  }

  /** Inside the open transaction: drops {@code target} (table or view) and renames the new table into place. */
  private void swapIn(Relation tmp, Relation target, Optional<Relation> existing) {
    drop(target, existing);
    checkCancelled();
    exec(dialect().rename(tmp, RelationType.TABLE, target.identifier()));
  }

  /** Trailing semicolons (and whitespace) would end the statement inside CREATE ... AS ( ... ). */
  static String stripSemicolons(String sql) {
    String s = sql.stripTrailing();
    while (s.endsWith(";")) s = s.substring(0, s.length() - 1).stripTrailing();
    return s;
  }

  // ---------------------------------------------------------------------------------- closing

  @Override
  public void close() {
    if (closed) return;
    try {
      if (inTransaction) rollbackQuietly();
      conn.close();
    } catch (SQLException ignored) {
      // nothing more to release
    } finally {
      closed = true;
      engine.sessionClosed(this);
    }
  }
}
