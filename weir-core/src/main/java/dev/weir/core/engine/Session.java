package dev.weir.core.engine;

import java.util.List;
import java.util.Optional;

/**
 * One connection to the warehouse, used by one thread at a time. Statements run in autocommit
 * unless {@link #begin()} was called; {@link #commit()} or {@link #rollback()} ends the
 * transaction. Closing a session with an open transaction rolls it back.
 *
 * <p>Table replacement goes through {@link #replaceTable} / {@link #replaceView}, whose contract
 * is atomic: readers see the old relation or the new one, never none and never a partial one, and
 * a failure (or a killed process) leaves the old relation as it was.
 */
public interface Session extends AutoCloseable {

  Engine engine();

  default Dialect dialect() { return engine().dialect(); }

  /** Runs a statement that may return rows; fetches at most {@code maxRows} (negative: all). */
  QueryResult query(String sql, long maxRows);

  /** Runs one or more statements for their effect; returns rows affected by the last (or -1). */
  long execute(String sql);

  void begin();

  void commit();

  void rollback();

  boolean inTransaction();

  /** Cancels the statement running on this session, from another thread. */
  void cancel();

  /**
   * How far the statement running on this session has got, 0 to 100, asked from another thread (progress lines of long
   * loads); -1 when nothing runs or the engine cannot tell.
   */
  default double progress() { return -1; }

  Optional<Relation> getRelation(String database, String schema, String identifier);

  List<Relation> listRelations(String database, String schema);

  List<ColumnInfo> getColumns(Relation relation);

  boolean schemaExists(String database, String schema);

  void createSchema(String database, String schema);

  /**
   * Appends rows to an existing table through the engine's bulk path (DuckDB's appender, Postgres
   * COPY). Values are Java values matching {@code columns}' types. Runs in the caller's transaction.
   */
  long bulkLoad(Relation table, List<ColumnInfo> columns, Iterable<Object[]> rows);

  /**
   * Replaces (or creates) {@code target} with a table holding the result of {@code selectSql},
   * atomically. Returns the row count of the new table when the engine knows it cheaply, else -1.
   */
  long replaceTable(Relation target, String selectSql);

  /** Replaces (or creates) {@code target} with a view over {@code selectSql}, atomically. */
  void replaceView(Relation target, String selectSql);

  /**
   * Runs {@code statements} that alter the table {@code table} in place (an incremental model's
   * on_schema_change: added, dropped and retyped columns), in the caller's transaction. Views on
   * the table must still work afterwards if their columns still fit: by default the statements
   * just run (DuckDB's views bind to names); an engine whose views pin the table's columns
   * (Postgres refuses to retype or drop a column a view reads) saves, drops and re-creates them.
   */
  default void alterTable(Relation table, List<String> statements) {
    for (String sql : statements) execute(sql);
  }

  /**
   * Replaces (or creates) {@code target} with a table of the given columns filled by
   * {@code rows}, atomically (seed loads).
   */
  long replaceTableWithRows(Relation target, List<ColumnInfo> columns, Iterable<Object[]> rows);

  @Override
  void close();
}
