package dev.weir.orchestrate.store;

import dev.weir.core.WeirException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The metadata store in an embedded SQLite file (default {@code target/weir_meta.sqlite}). The schema is created and
 * upgraded by Flyway (see {@link JdbcStore}), so an older file is upgraded in place. WAL mode and a busy timeout let
 * other processes read and write the same file.
 */
public final class SqliteStore extends JdbcStore {
  private final Path file;

  /** Opens (creating if needed) the store at {@code file} and brings its schema up to date. */
  public SqliteStore(Path file) {
    this(file.toAbsolutePath(), open(file.toAbsolutePath()));
  }

  private SqliteStore(Path file, Connection conn) {
    super(file.toString(), conn);
    this.file = file;
  }

  private static Connection open(Path file) {
    String url = "jdbc:sqlite:" + file;
    try {
      Files.createDirectories(file.getParent());
      migrate(url, null, null, "sqlite", null, file.toString());
      // transactions take the write lock when they begin: a transaction that read first and wrote later could
      // otherwise fail at once with SQLITE_BUSY when another process wrote in between (WAL mode does not wait there)
      org.sqlite.SQLiteConfig cfg = new org.sqlite.SQLiteConfig();
      cfg.setTransactionMode(org.sqlite.SQLiteConfig.TransactionMode.IMMEDIATE);
      Connection conn = DriverManager.getConnection(url, cfg.toProperties());
      try (Statement st = conn.createStatement()) {
        st.execute("pragma busy_timeout = 10000");
        st.execute("pragma journal_mode = wal");
        // WAL with synchronous=normal: a commit survives the process being killed (the scheduler's crash model);
        // only a power loss can lose the last commits. It saves an fsync per step state change.
        st.execute("pragma synchronous = normal");
        st.execute("pragma foreign_keys = on");
      }
      return conn;
    } catch (IOException | SQLException e) {
      throw WeirException.runtime("Cannot open the metadata store " + file + ": " + e.getMessage(), e);
    }
  }

  public Path file() { return file; }
}
