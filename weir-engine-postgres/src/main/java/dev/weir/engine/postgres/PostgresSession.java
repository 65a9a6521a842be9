package dev.weir.engine.postgres;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * One Postgres connection of the engine's pool, used by one thread at a time.
 *
 * <h2>What Postgres does, and how this class relies on it</h2>
 * <ul>
 *   <li><b>DDL is transactional.</b> CREATE, DROP, ALTER ... RENAME inside a transaction are invisible
 *       to other sessions until COMMIT and vanish on ROLLBACK or when the connection dies. DROP and
 *       RENAME take an ACCESS EXCLUSIVE lock, so a reader that reaches the relation during a swap
 *       waits for the commit, then looks the name up again (Postgres re-resolves a name whose OID
 *       was dropped while it waited) and reads the new relation: readers see old or new, never
 *       neither.</li>
 *   <li><b>Views bind to OIDs, not names.</b> A view stores its query as a parse tree pointing at
 *       the OIDs of the relations (and columns) it reads, recorded in {@code pg_depend}. Renaming a
 *       table keeps its views pointing at it under the new name; dropping it is refused ("cannot
 *       drop table t because other objects depend on it") unless CASCADE, which silently drops the
 *       views too (dbt-postgres does exactly that). See <em>Atomic replacement</em> for how Weir
 *       keeps them.</li>
 *   <li><b>An error aborts the transaction</b>: later statements fail with "current transaction is
 *       aborted" (25P02) and a COMMIT answers ROLLBACK. pgJDBC does not raise on that silent
 *       rollback by default, so {@link #commit()} checks the transaction state first and fails
 *       loudly. Inside a caller's transaction, replacements run under a SAVEPOINT, so their failure
 *       leaves the caller's transaction usable.</li>
 *   <li><b>Names are folded to lower case unless quoted</b>, and this engine always quotes. Lookups
 *       ({@link #getRelation}, {@link #getColumns}, {@link #schemaExists}) therefore match names
 *       <em>exactly</em>, as a quoted name denotes them: {@code getRelation(.., "Orders")} finds the
 *       relation created as {@code "Orders"}, not {@code orders} (a table created by hand without
 *       quotes). This is what dbt-postgres does with its default quoting.</li>
 *   <li><b>Names are at most 63 bytes</b>; longer names are silently truncated by Postgres, so the
 *       replacement methods refuse them and shorten their scratch names ({@link #scratchName}).</li>
 *   <li><b>A killed client</b>: the server only notices a vanished client when it next talks to
 *       it, so a long statement would keep running, holding locks and the uncommitted scratch
 *       table (which then blocks the next replacement of the same relation). Connections set
 *       {@code client_connection_check_interval} (see {@link PostgresEngine}) so the server aborts
 *       within a second. Either way the old relation stays as it was: nothing was committed.</li>
 *   <li><b>COPY ... FROM STDIN</b> is the bulk path ({@link #bulkLoad}), in CSV format: a NULL is
 *       an unquoted empty field and every other value is quoted, so empty strings, delimiters,
 *       quotes, newlines and backslashes load as data.</li>
 * </ul>
 *
 * <h2>Atomic replacement, and views that depend on the replaced relation</h2>
 * {@link #replaceTable} runs in one transaction (or under a savepoint of the caller's): it builds
 * {@code <name>__weir_tmp} with CREATE TABLE AS (so the SELECT may read the relation it replaces,
 * and a failure before the swap leaves the old relation untouched), then swaps it in:
 * <ol>
 *   <li>finds every view and materialized view that depends on the old relation, recursively
 *       ({@code pg_depend} → {@code pg_rewrite}, ordered by depth: a view on a view comes after the
 *       view it reads);</li>
 *   <li>locks them outermost first, then the old relation ({@code LOCK ... IN ACCESS EXCLUSIVE
 *       MODE}: the order readers take their locks in, so a reader cannot deadlock with the swap),
 *       and looks again until no new dependent appeared meanwhile;</li>
 *   <li>saves each dependent's definition ({@code pg_get_viewdef} under
 *       {@code search_path = pg_catalog}, so that every name in it is schema-qualified), options
 *       ({@code security_barrier}, {@code check_option}, ...), owner, grants, comments (of the
 *       view and its columns), and for materialized views whether they were populated and their
 *       indexes;</li>
 *   <li>drops the dependents (outermost first), drops the old relation, renames the new table into
 *       place, and re-creates the dependents innermost first, each under a savepoint.</li>
 * </ol>
 * The dependents then read the new table, from the same commit on. A dependent whose definition
 * no longer fits the new table (it names a column the new table lacks, or its {@code select *}
 * was expanded to such a column when it was created) cannot be re-created: it is left dropped and
 * the user is told through {@link dev.weir.core.engine.EngineOptions#notice()} — what dbt-postgres'
 * CASCADE does to every dependent, here only to those that could not survive anyway (a dbt model
 * among them is rebuilt by its own node). Failing the whole replacement instead would make a
 * column removal in one model fail the build because of a downstream {@code select *} view that
 * dbt would have rebuilt. Other dependents (foreign keys referencing the table, functions with SQL
 * bodies) make the DROP fail, and the replacement fails with Postgres' list of them; nothing changes.
 *
 * <p>Why not replace the contents in place (TRUNCATE + INSERT ... SELECT from the scratch table,
 * keeping the table's OID so that views never notice)? It writes every row twice, it holds the
 * ACCESS EXCLUSIVE lock for the whole copy instead of for a rename, it only works when the columns
 * are unchanged, and it keeps what dbt's table materialization promises to make fresh: the old
 * table's indexes, constraints, triggers and grants (indexes created by post-hooks or dbt's
 * {@code indexes} config would pile up run after run). The swap keeps dbt's semantics (a new
 * table every run) and only adds the preservation of dependent views.
 *
 * <p>{@link #replaceView} uses the same swap with a CREATE VIEW in place of the rename, so a view
 * can be replaced by one with different or fewer columns (CREATE OR REPLACE VIEW cannot drop or
 * retype a column), and a table by a view and back, keeping dependents either way.
 * {@link #replaceTableWithRows} creates the scratch table with the declared columns, loads it with
 * COPY and swaps it in the same way.
 *
 * <p>Swaps that find dependent views take turns on a transaction-level advisory lock
 * ({@link #SWAP_LOCK}, also across Weir processes): two threads replacing tables that share a
 * view would otherwise each save the view and then drop the other's re-creation of it. Only the
 * short swap is serialized; the CTAS before it runs in parallel.
 *
 * <p>A deadlock or serialization failure in a replacement that owns its transaction (two threads
 * replacing relations that share a dependent view) is retried, up to three times.
 */
public final class PostgresSession implements Session {

  /** Suffix of the relation a replacement is built under. */
  public static final String TMP_SUFFIX = "__weir_tmp";

  private static final Pattern COPY_LINE = Pattern.compile("COPY [^,]*, line (\\d+)");

  private final PostgresEngine engine;
  private final Connection conn;
  private final BaseConnection base;
  private volatile Statement current;
  private volatile boolean cancelRequested;
  private volatile boolean closed;
  private String lastFailure;
  private int savepoints;

  PostgresSession(PostgresEngine engine, Connection conn) {
    this.engine = engine;
    this.conn = conn;
    try {
      this.base = conn.unwrap(BaseConnection.class);
    } catch (SQLException e) {
      throw new IllegalStateException("not a pgJDBC connection", e);
    }
  }

  @Override
  public PostgresEngine engine() {
    return engine;
  }

  @Override
  public Dialect dialect() {
    return PostgresDialect.INSTANCE;
  }

  private PostgresDialect d() {
    return PostgresDialect.INSTANCE;
  }

  /** The underlying JDBC connection, for engine-specific callers (tests, extensions). */
  public Connection connection() {
    return conn;
  }

  // -------------------------------------------------------------------------------- statements

  @Override
  public QueryResult query(String sql, long maxRows) {
    startOperation();
    return run(sql, st -> {
      if (maxRows >= 0) st.setMaxRows((int) Math.min(Integer.MAX_VALUE, maxRows + 1));
      boolean isRs = st.execute(sql);
      QueryResult last = null;
      while (true) {
        if (isRs) {
          try (ResultSet rs = st.getResultSet()) {
            last = read(rs, maxRows);
          }
        } else {
          int count = st.getUpdateCount();
          if (count == -1) break;
          if (last == null || last.columns().isEmpty()) last = QueryResult.affected(count);
        }
        isRs = st.getMoreResults();
      }
      return last == null ? QueryResult.affected(-1) : last;
    });
  }

  private QueryResult read(ResultSet rs, long maxRows) throws SQLException {
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
      for (int i = 1; i <= n; i++) row[i - 1] = PostgresValues.read(rs, i, types[i - 1]);
      rows.add(Collections.unmodifiableList(Arrays.asList(row)));
    }
    return new QueryResult(List.copyOf(columns), Collections.unmodifiableList(rows), truncated, rows.size());
  }

  /**
   * Runs one or more statements (separated by semicolons; pgJDBC sends them together) and returns
   * the row count of the last one, or -1 when it returned rows or reported none. BEGIN, COMMIT and
   * ROLLBACK written in the SQL are honoured: {@link #inTransaction()} asks the driver for the
   * server's transaction state.
   */
  @Override
  public long execute(String sql) {
    startOperation();
    return run(sql, st -> {
      boolean isRs = st.execute(sql);
      long last = -1;
      while (true) {
        if (isRs) {
          last = -1;
        } else {
          int count = st.getUpdateCount();
          if (count == -1) break;
          last = count;
        }
        isRs = st.getMoreResults();
      }
      return last;
    });
  }

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
      throw translate(e);
    } finally {
      current = null;
      if (st != null) {
        try {
          st.close();
        } catch (SQLException ignored) {
          // closing after a failure
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

  /** A Weir error for a driver error: Postgres' message with its detail, hint and context. */
  private WeirException translate(SQLException e) {
    lastFailure = describe(e);
    if (cancelRequested || "57014".equals(e.getSQLState())) return cancelled(e);
    if (PostgresEngine.isConnectionError(e)) {
      return WeirException.runtime("Lost the connection to Postgres at " + engine.config().display() + ": "
          + lastFailure, e);
    }
    return WeirException.runtime(lastFailure, e);
  }

  private String describe(SQLException e) {
    if (e instanceof PSQLException pe && pe.getServerErrorMessage() != null) {
      ServerErrorMessage m = pe.getServerErrorMessage();
      StringBuilder sb = new StringBuilder(String.valueOf(m.getMessage()));
      if (m.getDetail() != null) sb.append("\n  Detail: ").append(m.getDetail());
      if (m.getHint() != null) sb.append("\n  Hint: ").append(m.getHint());
      if (m.getWhere() != null) sb.append("\n  Where: ").append(m.getWhere());
      return engine.config().scrub(sb.toString());
    }
    return engine.config().scrub(String.valueOf(e.getMessage()));
  }

  private WeirException cancelled(Throwable cause) {
    return WeirException.runtime(Thread.currentThread().isInterrupted() ? "Interrupted" : "Query cancelled", cause);
  }

  /** Resets the cancel flag at the start of a public operation. */
  private void startOperation() {
    if (closed) throw new WeirException(WeirException.Kind.INTERNAL, "The Postgres session is closed");
    cancelRequested = false;
  }

  /** Fails between steps when the operation was cancelled or its thread interrupted. */
  private void checkCancelled() {
    if (closed) throw new WeirException(WeirException.Kind.INTERNAL, "The Postgres session is closed");
    if (cancelRequested || Thread.currentThread().isInterrupted()) throw cancelled(null);
  }

  /**
   * Cancels the running statement (pgJDBC sends Postgres a cancel request on a separate connection;
   * the statement fails with 57014) and makes the operation stop before its next step.
   */
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

  private TransactionState txState() {
    return base.getTransactionState();
  }

  private boolean autoCommit() {
    try {
      return conn.getAutoCommit();
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  @Override
  public void begin() {
    if (closed) throw new WeirException(WeirException.Kind.INTERNAL, "The Postgres session is closed");
    if (inTransaction()) {
      throw new WeirException(WeirException.Kind.INTERNAL, "A transaction is already open on this session");
    }
    try {
      conn.setAutoCommit(false);
      lastFailure = null;
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  /**
   * Commits. Postgres answers the COMMIT of an aborted transaction with a ROLLBACK, which pgJDBC
   * accepts silently; this checks the state first and rolls back and throws instead.
   */
  @Override
  public void commit() {
    if (!inTransaction()) return;
    if (txState() == TransactionState.FAILED) {
      String cause = lastFailure;
      rollbackQuietly();
      throw WeirException.runtime("The transaction was rolled back, not committed: an earlier statement failed"
          + (cause == null ? "" : " (" + cause + ")"), null);
    }
    try {
      if (conn.getAutoCommit()) {
        exec("commit"); // a transaction opened with SQL BEGIN
      } else {
        conn.commit();
      }
    } catch (SQLException e) {
      rollbackQuietly();
      throw translate(e);
    } finally {
      restoreAutoCommit();
    }
  }

  @Override
  public void rollback() {
    if (!inTransaction()) return;
    try {
      if (conn.getAutoCommit()) {
        try (Statement st = conn.createStatement()) {
          st.execute("rollback");
        }
      } else {
        conn.rollback();
      }
    } catch (SQLException e) {
      throw translate(e);
    } finally {
      restoreAutoCommit();
    }
  }

  private void restoreAutoCommit() {
    try {
      if (!conn.isClosed() && !conn.getAutoCommit()) conn.setAutoCommit(true);
    } catch (SQLException ignored) {
      // the connection is gone; close() will not reuse it
    }
  }

  private void rollbackQuietly() {
    try {
      rollback();
    } catch (RuntimeException ignored) {
      // best effort
    }
  }

  /** Whether a transaction is open: one begun here, or one opened with SQL BEGIN through {@link #execute}. */
  @Override
  public boolean inTransaction() {
    if (closed) return false;
    return !autoCommit() || txState() != TransactionState.IDLE;
  }

  private interface TxBody<T> {
    T run();
  }

  /**
   * Runs {@code body} atomically: in a transaction of its own (retrying deadlocks and
   * serialization failures), or under a savepoint of the caller's transaction, so that a failure
   * undoes the body and leaves the caller's transaction usable.
   */
  private <T> T atomically(boolean retry, TxBody<T> body) {
    if (inTransaction()) {
      if (txState() == TransactionState.FAILED) {
        throw WeirException.runtime("The current transaction is aborted by an earlier error"
            + (lastFailure == null ? "" : " (" + lastFailure + ")") + "; roll it back first", null);
      }
      String sp = "weir_sp_" + (++savepoints);
      exec("savepoint " + sp);
      boolean ok = false;
      try {
        T result = body.run();
        checkCancelled();
        exec("release savepoint " + sp);
        ok = true;
        return result;
      } finally {
        savepoints--;
        if (!ok && !closed) {
          try (Statement st = conn.createStatement()) {
            st.execute("rollback to savepoint " + sp);
            st.execute("release savepoint " + sp);
          } catch (SQLException ignored) {
            // the connection is gone: the caller's transaction is lost anyway
          }
        }
      }
    }
    for (int attempt = 1; ; attempt++) {
      begin();
      boolean ok = false;
      try {
        T result = body.run();
        checkCancelled();
        commit();
        ok = true;
        return result;
      } catch (WeirException e) {
        if (retry && attempt < 3 && retryable(e) && !cancelRequested) {
          rollbackQuietly();
          continue;
        }
        throw e;
      } finally {
        if (!ok) rollbackQuietly();
      }
    }
  }

  /**
   * Deadlocks and serialization failures, and a view that appeared on the replaced relation after
   * its dependents were saved ("cannot drop table t because other objects depend on it", whose
   * detail names the view).
   */
  private static boolean retryable(WeirException e) {
    if (!(e.getCause() instanceof SQLException se)) return false;
    String state = se.getSQLState();
    if ("40P01".equals(state) || "40001".equals(state)) return true;
    return "2BP01".equals(state) && se instanceof PSQLException pe && pe.getServerErrorMessage() != null
        && String.valueOf(pe.getServerErrorMessage().getDetail()).startsWith("view ");
  }

  // ---------------------------------------------------------------------------------- catalog

  private String schema(String schema) {
    return schema == null || schema.isEmpty() ? engine.defaultSchema() : schema;
  }

  /** Refuses a database other than the one the connection is on: Postgres cannot reach it. */
  private void checkDatabase(String database) {
    if (database == null || database.isEmpty()) return;
    if (database.equals(engine.currentDatabase()) || database.equals(engine.defaultDatabase())
        || database.equalsIgnoreCase(engine.currentDatabase())) {
      return;
    }
    throw WeirException.runtime("Postgres cannot reach database '" + database + "' from a connection to '"
        + engine.currentDatabase() + "': cross-database references are not supported. Remove the 'database' "
        + "setting or set it to '" + engine.currentDatabase() + "'.", null);
  }

  /** The relation with database and schema filled in from the engine's defaults. */
  public Relation qualify(Relation r) {
    checkDatabase(r.database());
    String db = r.database() == null || r.database().isEmpty() ? engine.defaultDatabase() : r.database();
    return new Relation(db, schema(r.schema()), r.identifier(), r.type());
  }

  private static final String RELATIONS_SQL =
      "select n.nspname, c.relname, c.relkind, c.oid from pg_catalog.pg_class c"
      + " join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
      + " where n.nspname = ? %s and c.relkind in ('r', 'p', 'v', 'm', 'f') order by c.relname";

  static RelationType typeOf(String relkind) {
    return switch (relkind) {
      case "r", "p" -> RelationType.TABLE;
      case "v" -> RelationType.VIEW;
      case "m" -> RelationType.MATERIALIZED_VIEW;
      case "f" -> RelationType.EXTERNAL;
      default -> RelationType.UNKNOWN;
    };
  }

  /** A relation found in the catalog, with its OID and relkind. */
  private record Found(Relation relation, long oid, String relkind) {}

  /**
   * The relation named exactly {@code identifier} (as a quoted name: case matters) in the schema,
   * with its kind (tables and partitioned tables: TABLE; views; materialized views; foreign
   * tables: EXTERNAL).
   */
  @Override
  public Optional<Relation> getRelation(String database, String schema, String identifier) {
    checkCancelled();
    checkDatabase(database);
    return find(database, schema(schema), identifier).map(Found::relation);
  }

  @Override
  public List<Relation> listRelations(String database, String schema) {
    checkCancelled();
    checkDatabase(database);
    List<Relation> out = new ArrayList<>();
    for (Found f : relations(database, schema(schema), null)) out.add(f.relation());
    return out;
  }

  private Optional<Found> find(String database, String schema, String identifier) {
    return relations(database, schema, identifier).stream().findFirst();
  }

  private List<Found> relations(String database, String schema, String identifier) {
    String db = database == null || database.isEmpty() ? engine.defaultDatabase() : database;
    String sql = String.format(Locale.ROOT, RELATIONS_SQL, identifier == null ? "" : "and c.relname = ?");
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, schema);
      if (identifier != null) ps.setString(2, identifier);
      List<Found> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Found(new Relation(db, rs.getString(1), rs.getString(2), typeOf(rs.getString(3))),
              rs.getLong(4), rs.getString(3)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  /**
   * Columns of a table, view or materialized view, in order (index from 1, skipping dropped
   * columns), with their types as {@code format_type} spells them ({@code integer},
   * {@code character varying(20)}, {@code numeric(10,2)}, {@code timestamp without time zone}) and
   * their comments. Names match exactly.
   */
  @Override
  public List<ColumnInfo> getColumns(Relation relation) {
    checkCancelled();
    Relation r = qualify(relation);
    String sql = "select a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
        + " pg_catalog.col_description(a.attrelid, a.attnum)"
        + " from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid = a.attrelid"
        + " join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
        // Schema pg_temp (Postgres' alias of the session's temporary schema) finds the session's temporary tables.
        + " where (n.nspname = ? or (? = 'pg_temp' and n.oid = pg_catalog.pg_my_temp_schema()))"
        + " and c.relname = ? and a.attnum > 0 and not a.attisdropped order by a.attnum";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, r.schema());
      ps.setString(2, r.schema());
      ps.setString(3, r.identifier());
      List<ColumnInfo> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(new ColumnInfo(rs.getString(1), rs.getString(2), out.size() + 1, rs.getString(3)));
      }
      return out;
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  @Override
  public boolean schemaExists(String database, String schema) {
    checkCancelled();
    checkDatabase(database);
    String sql = "select 1 from pg_catalog.pg_namespace where nspname = ?";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, schema(schema));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  /**
   * CREATE SCHEMA IF NOT EXISTS. Two sessions creating the same schema at once make one of them
   * fail with a unique violation (IF NOT EXISTS checks before inserting); that failure is taken as
   * success when the schema exists afterwards.
   */
  @Override
  public void createSchema(String database, String schema) {
    startOperation();
    checkDatabase(database);
    String s = schema(schema);
    checkLength(s);
    try {
      atomically(false, () -> {
        exec(d().createSchemaIfNotExists(null, s));
        return null;
      });
    } catch (WeirException e) {
      if (e.getCause() instanceof SQLException se && ("23505".equals(se.getSQLState()) || "42P06".equals(se.getSQLState()))
          && schemaExists(database, s)) {
        return;
      }
      throw e;
    }
  }

  /** Exact row count of a table or view. */
  public long rowCount(Relation relation) {
    startOperation();
    String sql = "select count(*) from " + d().render(qualify(relation));
    return run(sql, st -> {
      try (ResultSet rs = st.executeQuery(sql)) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  // -------------------------------------------------------------------------------- bulk load

  /**
   * Appends rows with {@code COPY ... FROM STDIN (FORMAT csv)}. {@code columns} name the values of
   * each row in order; they are matched to the table's columns by name (exactly, else ignoring
   * case), and table columns not named get their default. Values are turned into the text the
   * column's type reads ({@link PostgresValues}); a value that does not fit fails with its row and
   * column. COPY is one statement: all rows load or none; it runs in the caller's transaction when
   * one is open.
   */
  @Override
  public long bulkLoad(Relation table, List<ColumnInfo> columns, Iterable<Object[]> rows) {
    startOperation();
    Relation t = qualify(table);
    Found existing = find(t.database(), t.schema(), t.identifier()).orElseThrow(() ->
        WeirException.runtime("Cannot load rows into " + d().render(t) + ": it does not exist", null));
    if (existing.relation().type() != RelationType.TABLE) {
      throw WeirException.runtime("Cannot load rows into " + d().render(t) + ": it is a "
          + existing.relation().type().dbtName() + ", not a table", null);
    }
    List<ColumnInfo> tableColumns = getColumns(existing.relation());
    List<ColumnInfo> target = new ArrayList<>();
    if (columns == null || columns.isEmpty()) {
      target.addAll(tableColumns);
    } else {
      for (ColumnInfo c : columns) {
        ColumnInfo match = tableColumns.stream().filter(tc -> tc.name().equals(c.name())).findFirst()
            .or(() -> tableColumns.stream().filter(tc -> tc.name().equalsIgnoreCase(c.name())).findFirst())
            .orElseThrow(() -> WeirException.runtime("Cannot load rows into " + d().render(t) + ": it has no column '"
                + c.name() + "'", null));
        target.add(match);
      }
    }
    return copy(t, target, rows);
  }

  private long copy(Relation t, List<ColumnInfo> columns, Iterable<Object[]> rows) {
    checkCancelled();
    int n = columns.size();
    PostgresValues.Kind[] kinds = new PostgresValues.Kind[n];
    StringBuilder names = new StringBuilder();
    for (int c = 0; c < n; c++) {
      kinds[c] = PostgresValues.kindOf(columns.get(c).dataType());
      if (c > 0) names.append(", ");
      names.append(d().quote(columns.get(c).name()));
    }
    String sql = "copy " + d().render(t) + " (" + names + ") from stdin with (format csv)";
    CopyIn in = null;
    long row = 0;
    int col = -1;
    Object value = null;
    try {
      in = conn.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
      StringBuilder sb = new StringBuilder(1 << 17);
      for (Object[] r : rows) {
        row++;
        for (col = 0; col < n; col++) {
          if (col > 0) sb.append(',');
          value = col < r.length ? r[col] : null;
          if (value != null) PostgresValues.appendCsv(sb, kinds[col], value);
        }
        col = -1;
        sb.append('\n');
        if (sb.length() >= (1 << 16)) {
          if (cancelRequested || Thread.currentThread().isInterrupted()) throw cancelled(null);
          byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
          in.writeToCopy(bytes, 0, bytes.length);
          sb.setLength(0);
        }
      }
      if (sb.length() > 0) {
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        in.writeToCopy(bytes, 0, bytes.length);
      }
      checkCancelled();
      long loaded = in.endCopy();
      in = null;
      return loaded;
    } catch (SQLException e) {
      WeirException w = translate(e);
      if (w.getMessage().equals("Query cancelled") || w.getMessage().equals("Interrupted")) throw w;
      Matcher m = COPY_LINE.matcher(lastFailure);
      String where = m.find() ? " at row " + m.group(1) : "";
      throw WeirException.runtime("Cannot load rows into " + d().render(t) + where + ": " + lastFailure, e);
    } catch (RuntimeException e) {
      if (e instanceof WeirException we) throw we;
      String where = col >= 0 && col < n
          ? " at row " + row + ", column '" + columns.get(col).name() + "' (" + columns.get(col).dataType() + ")"
              + (value == null ? "" : ", value " + dev.weir.core.engine.LoadValues.describe(value))
          : " at row " + row;
      lastFailure = e.getMessage();
      throw WeirException.runtime("Cannot load rows into " + d().render(t) + where + ": " + e.getMessage(), e);
    } finally {
      if (in != null && in.isActive()) {
        try {
          in.cancelCopy();
        } catch (SQLException ignored) {
          // the copy is over either way
        }
      }
    }
  }

  // ----------------------------------------------------------------------------- replacement

  @Override
  public long replaceTable(Relation target, String selectSql) {
    startOperation();
    Relation t = qualify(target);
    checkLength(t.identifier());
    Relation tmp = t.withIdentifier(scratchName(t.identifier()));
    String sql = stripSemicolons(selectSql);
    return atomically(true, () -> {
      dropIfPresent(tmp);
      long n = update(d().createTableAs(tmp, sql));
      checkCancelled();
      swapIn(t, () -> exec(d().rename(tmp, RelationType.TABLE, t.identifier())));
      return n >= 0 ? n : rowCount(t);
    });
  }

  /**
   * Postgres pins a view to the columns it reads: a column a view reads cannot be retyped or
   * dropped ("cannot alter type of a column used by a view or rule"). The dependent views are
   * saved and dropped, the statements run, and the views re-created, as {@link #swapIn} does for a
   * replaced table; a view that reads a dropped column no longer fits and is left dropped, with a
   * notice. Atomic: under a savepoint of the caller's transaction, or in a transaction of its own.
   */
  @Override
  public void alterTable(Relation table, List<String> statements) {
    startOperation();
    Relation t = qualify(table);
    atomically(true, () -> {
      Optional<Found> old = find(t.database(), t.schema(), t.identifier());
      List<Dependent> deps = old.isPresent() ? saveDependents(old.get()) : List.of();
      for (int i = deps.size() - 1; i >= 0; i--) {
        checkCancelled();
        exec("drop " + deps.get(i).kind() + " if exists " + deps.get(i).render());
      }
      for (String sql : statements) {
        checkCancelled();
        exec(stripSemicolons(sql));
      }
      if (!deps.isEmpty()) recreate(t, deps);
      return null;
    });
  }

  @Override
  public void replaceView(Relation target, String selectSql) {
    startOperation();
    Relation t = qualify(target);
    checkLength(t.identifier());
    String sql = stripSemicolons(selectSql);
    atomically(true, () -> {
      swapIn(t, () -> exec(d().createViewAs(t, sql)));
      return null;
    });
  }

  @Override
  public long replaceTableWithRows(Relation target, List<ColumnInfo> columns, Iterable<Object[]> rows) {
    startOperation();
    Relation t = qualify(target);
    checkLength(t.identifier());
    Relation tmp = t.withIdentifier(scratchName(t.identifier()));
    return atomically(true, () -> {
      dropIfPresent(tmp);
      exec(d().createTable(tmp, columns));
      long loaded = copy(tmp, columns, rows);
      checkCancelled();
      swapIn(t, () -> exec(d().rename(tmp, RelationType.TABLE, t.identifier())));
      return loaded;
    });
  }

  /** {@code <identifier>__weir_tmp}, shortened as {@link PostgresDialect#scratchIdentifier} shortens it. */
  static String scratchName(String identifier) {
    return PostgresDialect.INSTANCE.scratchIdentifier(identifier, TMP_SUFFIX);
  }

  private static int bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static void checkLength(String name) {
    if (bytes(name) > PostgresDialect.MAX_IDENTIFIER_BYTES) {
      throw WeirException.runtime("The name '" + name + "' is " + bytes(name) + " bytes long; Postgres names are "
          + "at most 63 bytes (longer names are truncated). Set a shorter alias.", null);
    }
  }

  /** Drops whatever relation (table, view, materialized view) has this exact name. */
  private void dropIfPresent(Relation r) {
    Optional<Found> f = find(r.database(), r.schema(), r.identifier());
    if (f.isPresent()) exec(d().dropIfExists(r, f.get().relation().type()));
  }

  /** A view or materialized view that depends on a relation being replaced, as saved before dropping it. */
  private record Dependent(long oid, String schema, String name, String relkind, int depth, String definition,
                           List<String> options, String owner, boolean populated, List<String> extras) {
    String render() {
      return PostgresDialect.INSTANCE.quote(schema) + "." + PostgresDialect.INSTANCE.quote(name);
    }

    String kind() {
      return relkind.equals("m") ? "materialized view" : "view";
    }
  }

  /**
   * Inside the open transaction: saves and drops the views depending on {@code target}, drops it,
   * runs {@code create} (which puts the new relation in place under the target's name) and
   * re-creates the views.
   */
  private void swapIn(Relation target, Runnable create) {
    Optional<Found> old = find(target.database(), target.schema(), target.identifier());
    List<Dependent> deps = List.of();
    if (old.isPresent()) {
      deps = saveDependents(old.get());
      for (int i = deps.size() - 1; i >= 0; i--) {
        checkCancelled();
        exec("drop " + deps.get(i).kind() + " if exists " + deps.get(i).render());
      }
      checkCancelled();
      exec(d().dropIfExists(target, old.get().relation().type()));
    }
    checkCancelled();
    create.run();
    if (!deps.isEmpty()) recreate(target, deps);
  }

  private static final String DEPENDENTS_SQL = """
      with recursive dep(oid, depth) as (
        select r.ev_class, 1
        from pg_catalog.pg_depend d join pg_catalog.pg_rewrite r on r.oid = d.objid
        where d.classid = 'pg_catalog.pg_rewrite'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
          and d.refobjid = ? and r.ev_class <> d.refobjid
        union
        select r.ev_class, dep.depth + 1
        from dep join pg_catalog.pg_depend d on d.refobjid = dep.oid
          and d.refclassid = 'pg_catalog.pg_class'::regclass and d.classid = 'pg_catalog.pg_rewrite'::regclass
        join pg_catalog.pg_rewrite r on r.oid = d.objid and r.ev_class <> dep.oid
        where dep.depth < 64
      )
      select c.oid, n.nspname, c.relname, c.relkind, max(dep.depth)
      from dep join pg_catalog.pg_class c on c.oid = dep.oid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('v', 'm')
      group by c.oid, n.nspname, c.relname, c.relkind
      order by max(dep.depth), c.oid""";

  /** The advisory lock key swaps with dependent views take turns on ('weir' 'swap' in ASCII). */
  static final long SWAP_LOCK = 0x7765697273776170L;

  private record DepRef(long oid, String schema, String name, String relkind, int depth) {}

  private List<DepRef> dependents(long oid) {
    try (PreparedStatement ps = conn.prepareStatement(DEPENDENTS_SQL)) {
      ps.setLong(1, oid);
      List<DepRef> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new DepRef(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  /**
   * Finds the dependents of {@code old} and saves their definitions. Nothing is locked here: the
   * DROPs that follow take the locks, outermost view first and the replaced relation last, the
   * order in which a reader of a view locks the view and then what it reads, so that readers
   * cannot deadlock with the swap. (LOCK TABLE on a view is no help: it also locks every relation
   * the view reads, in the view's order, which made two swaps of tables sharing a view deadlock.)
   * A dependent created after this look makes the DROP fail with 2BP01; the replacement is then
   * retried.
   */
  private List<Dependent> saveDependents(Found old) {
    List<DepRef> refs = dependents(old.oid());
    if (refs.isEmpty()) return List.of();
    // Swaps that touch dependent views take turns (a transaction-level advisory lock, so also
    // across Weir processes): two swaps of tables that share a view would otherwise each save the
    // view and drop the other's re-creation of it. Only the short swap waits; the CTAS before it
    // runs in parallel.
    scalar("select pg_catalog.pg_advisory_xact_lock(" + SWAP_LOCK + ")");
    refs = dependents(old.oid());
    String searchPath = scalar("select pg_catalog.current_setting('search_path')");
    // Under an empty search path, pg_get_viewdef qualifies every name with its schema.
    scalar("select pg_catalog.set_config('search_path', 'pg_catalog', true)");
    List<Dependent> out = new ArrayList<>();
    for (DepRef r : refs) {
      Dependent dep = save(r);
      if (dep != null) out.add(dep); // null: dropped meanwhile by someone else
    }
    // (only on success: after a failure the transaction is aborted and its rollback restores it)
    scalar("select pg_catalog.set_config('search_path', " + d().stringLiteral(searchPath) + ", true)");
    return out;
  }

  private Dependent save(DepRef r) {
    String sql = "select pg_catalog.pg_get_viewdef(c.oid), c.reloptions, pg_catalog.pg_get_userbyid(c.relowner),"
        + " c.relispopulated, pg_catalog.obj_description(c.oid, 'pg_class') from pg_catalog.pg_class c where c.oid = ?";
    PostgresDialect dq = PostgresDialect.INSTANCE;
    String name = dq.quote(r.schema()) + "." + dq.quote(r.name());
    String kind = r.relkind().equals("m") ? "materialized view" : "view";
    try {
      String def;
      List<String> options = new ArrayList<>();
      String owner;
      boolean populated;
      List<String> extras = new ArrayList<>();
      try (PreparedStatement ps = conn.prepareStatement(sql)) {
        ps.setLong(1, r.oid());
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) return null;
          def = stripSemicolons(rs.getString(1));
          Array opts = rs.getArray(2);
          if (opts != null) for (Object o : (Object[]) opts.getArray()) options.add(String.valueOf(o));
          owner = rs.getString(3);
          populated = rs.getBoolean(4);
          String comment = rs.getString(5);
          if (comment != null) extras.add("comment on " + kind + " " + name + " is " + dq.stringLiteral(comment));
        }
      }
      String grants = "select a.privilege_type, a.grantee, a.is_grantable,"
          + " case when a.grantee = 0 then 'PUBLIC' else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) end"
          + " from pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a where c.oid = ? and a.grantee <> c.relowner";
      try (PreparedStatement ps = conn.prepareStatement(grants)) {
        ps.setLong(1, r.oid());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            extras.add("grant " + rs.getString(1) + " on " + name + " to " + rs.getString(4)
                + (rs.getBoolean(3) ? " with grant option" : ""));
          }
        }
      }
      String cols = "select a.attname, pg_catalog.col_description(a.attrelid, a.attnum) from pg_catalog.pg_attribute a"
          + " where a.attrelid = ? and a.attnum > 0 and not a.attisdropped"
          + " and pg_catalog.col_description(a.attrelid, a.attnum) is not null";
      try (PreparedStatement ps = conn.prepareStatement(cols)) {
        ps.setLong(1, r.oid());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            extras.add("comment on column " + name + "." + dq.quote(rs.getString(1)) + " is " + dq.stringLiteral(rs.getString(2)));
          }
        }
      }
      if (r.relkind().equals("m")) {
        try (PreparedStatement ps = conn.prepareStatement(
            "select pg_catalog.pg_get_indexdef(indexrelid) from pg_catalog.pg_index where indrelid = ? order by indexrelid")) {
          ps.setLong(1, r.oid());
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) extras.add(rs.getString(1));
          }
        }
      }
      return new Dependent(r.oid(), r.schema(), r.name(), r.relkind(), r.depth(), def, options, owner, populated, extras);
    } catch (SQLException e) {
      throw translate(e);
    }
  }

  /**
   * Re-creates the saved dependents, innermost first, each under a savepoint: one that no longer
   * fits is left dropped (with a notice); its owner, grants, comments and indexes follow under a
   * second savepoint, whose failure is only noticed.
   */
  private void recreate(Relation target, List<Dependent> deps) {
    String currentUser = scalar("select current_user");
    for (Dependent dep : deps) {
      checkCancelled();
      String create = "create " + dep.kind() + " " + dep.render()
          + (dep.options().isEmpty() ? "" : " with (" + String.join(", ", dep.options()) + ")")
          + " as\n" + dep.definition()
          + (dep.relkind().equals("m") && !dep.populated() ? "\nwith no data" : "");
      String failure = underSavepoint(List.of(create));
      if (failure != null) {
        engine.options().notice().accept("Postgres: " + dep.kind() + " " + dep.render() + " depended on "
            + d().render(target) + " and no longer fits its new definition, so it was dropped: " + failure);
        continue;
      }
      List<String> extras = new ArrayList<>();
      if (!dep.owner().equals(currentUser)) {
        extras.add("alter " + (dep.relkind().equals("m") ? "materialized view" : "view") + " " + dep.render()
            + " owner to " + d().quote(dep.owner()));
      }
      extras.addAll(dep.extras());
      if (!extras.isEmpty()) {
        String extraFailure = underSavepoint(extras);
        if (extraFailure != null) {
          engine.options().notice().accept("Postgres: " + dep.kind() + " " + dep.render() + " was re-created after "
              + "replacing " + d().render(target) + ", but not its owner, grants, comments or indexes: " + extraFailure);
        }
      }
    }
  }

  /** Runs statements under a savepoint; returns null, or the failure after rolling back to the savepoint. */
  private String underSavepoint(List<String> statements) {
    String sp = "weir_sp_view";
    exec("savepoint " + sp);
    try {
      for (String s : statements) exec(s);
      exec("release savepoint " + sp);
      return null;
    } catch (WeirException e) {
      if (cancelRequested || !definitionError(e)) throw e;
      exec("rollback to savepoint " + sp);
      exec("release savepoint " + sp);
      return e.getMessage();
    }
  }

  /**
   * Whether a failure is about the statement itself (a column or relation it names is gone, a type
   * no longer matches, a privilege is missing), not about the transaction or the connection
   * (deadlock, serialization, cancel, lost connection, out of resources), which must fail or
   * retry the whole replacement instead.
   */
  private static boolean definitionError(WeirException e) {
    if (!(e.getCause() instanceof SQLException se) || se.getSQLState() == null) return false;
    String cls = se.getSQLState().substring(0, 2);
    return !List.of("40", "57", "08", "53", "54", "55", "58", "25", "XX").contains(cls);
  }

  private String scalar(String sql) {
    return run(sql, st -> {
      try (ResultSet rs = st.executeQuery(sql)) {
        return rs.next() ? rs.getString(1) : null;
      }
    });
  }

  /** Trailing semicolons (and whitespace) would end the statement inside CREATE ... AS ( ... ). */
  static String stripSemicolons(String sql) {
    String s = sql.stripTrailing();
    while (s.endsWith(";")) s = s.substring(0, s.length() - 1).stripTrailing();
    return s;
  }

  // ---------------------------------------------------------------------------------- closing

  /**
   * Rolls back an open transaction and gives the connection back to the engine's pool (or closes
   * it when it is broken or the engine is closing).
   */
  @Override
  public void close() {
    if (closed) return;
    boolean reusable = false;
    try {
      if (!conn.isClosed()) {
        if (inTransaction()) rollbackQuietly();
        restoreAutoCommit();
        reusable = !conn.isClosed() && txState() == TransactionState.IDLE && conn.getAutoCommit();
      }
    } catch (SQLException | RuntimeException ignored) {
      reusable = false;
    } finally {
      closed = true;
      engine.release(this, conn, reusable);
    }
  }
}
