package dev.weir.core.engine;

/**
 * An open warehouse: the SPI every engine (DuckDB, Postgres, Spark) implements. Weir's core
 * reaches engines only through this interface and {@link EngineFactory}, found with
 * {@link java.util.ServiceLoader}; it never imports an engine's classes.
 *
 * <p>An Engine is shared by all threads of a command; each thread opens its own {@link Session}.
 * Closing the engine closes its sessions and releases any lock it holds on the warehouse.
 */
public interface Engine extends AutoCloseable {

  /** The profile type this engine serves, e.g. "duckdb". */
  String type();

  Dialect dialect();

  /** The database (catalog) relations go to when a node sets none. */
  String defaultDatabase();

  /** The schema relations go to when a node sets none. */
  String defaultSchema();

  Session openSession();

  @Override
  void close();
}
