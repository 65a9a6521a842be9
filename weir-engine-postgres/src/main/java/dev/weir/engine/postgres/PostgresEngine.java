package dev.weir.engine.postgres;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Engine;
import dev.weir.core.engine.EngineOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

/**
 * An open Postgres target: a small pool of JDBC connections, one per open {@link PostgresSession}.
 * Each thread of a command opens its own session; a closed session gives its connection back (with
 * any open transaction rolled back) and the next session reuses it, so a run with {@code --threads 4}
 * holds at most four connections. {@link #close()} cancels running statements and closes every
 * connection, idle or in use.
 *
 * <p>Every connection is prepared the same way: {@code SET ROLE} when the profile names a role,
 * the profile's {@code search_path}, and {@code client_connection_check_interval} (Postgres 14+),
 * so that the server notices within a second when a Weir process dies in the middle of a long
 * statement and rolls its transaction back, instead of running the statement to its end while
 * holding locks (a killed {@code weir build} would otherwise block the next one).
 */
public final class PostgresEngine implements Engine {

  private final PostgresConfig config;
  private final EngineOptions options;
  private final String currentDatabase;
  private final int serverVersion;
  private final Deque<Connection> idle = new ArrayDeque<>();
  private final Set<PostgresSession> sessions = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private PostgresEngine(PostgresConfig config, EngineOptions options, Connection first) throws SQLException {
    this.config = config;
    this.options = options;
    try (Statement st = first.createStatement();
         ResultSet rs = st.executeQuery("select current_database(), current_setting('server_version_num')::int")) {
      rs.next();
      this.currentDatabase = rs.getString(1);
      this.serverVersion = rs.getInt(2);
    }
    idle.push(first);
  }

  static PostgresEngine open(PostgresConfig config, EngineOptions options) {
    Connection first = connect(config, options);
    try {
      return new PostgresEngine(config, options, first);
    } catch (SQLException e) {
      closeQuietly(first);
      throw WeirException.runtime("Cannot prepare Postgres connection to " + config.display() + ": "
          + config.scrub(e.getMessage()), null);
    }
  }

  /**
   * Connects and prepares one connection, retrying {@code retries} times (with a short pause) when
   * the server cannot be reached. Authentication and unknown-database errors are not retried.
   * Messages name user, host, port and database, never the password; the driver's exception is not
   * attached as the cause (its text is scrubbed into the message instead).
   */
  static Connection connect(PostgresConfig config, EngineOptions options) {
    SQLException last = null;
    for (int attempt = 0; attempt <= config.retries(); attempt++) {
      if (attempt > 0) {
        try {
          Thread.sleep(Math.min(2000, 250L << attempt));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      Connection c = null;
      try {
        c = DriverManager.getConnection(config.url(), config.properties());
        prepare(c, config);
        return c;
      } catch (SQLException e) {
        closeQuietly(c);
        last = e;
        if (c != null || !unreachable(e)) break;
      }
    }
    throw connectError(config, last);
  }

  private static boolean unreachable(SQLException e) {
    String state = e.getSQLState();
    return state == null || state.startsWith("08") && !PSQLState.CONNECTION_REJECTED.getState().equals(state);
  }

  private static WeirException connectError(PostgresConfig config, SQLException e) {
    String state = e == null ? null : e.getSQLState();
    String raw = e == null ? "unknown error" : config.scrub(e.getMessage());
    String who = "user '" + config.user() + "' at " + config.host() + ":" + config.port() + ", database '"
        + config.dbname() + "'";
    String hint;
    if ("28P01".equals(state) || "28000".equals(state)) {
      hint = "The server refused the login: check 'user' and 'password' (the password itself is not shown).";
    } else if ("3D000".equals(state)) {
      hint = "The database does not exist on that server: check 'dbname'.";
    } else if (state != null && state.startsWith("08") || e != null && e.getCause() instanceof java.net.ConnectException) {
      hint = "The server cannot be reached: check 'host' and 'port', and that Postgres is running and accepts "
          + "TCP connections.";
    } else {
      hint = "";
    }
    return new WeirException(WeirException.Kind.RUNTIME, "Cannot connect to Postgres as " + who + " ("
        + config.where() + "): " + raw + (hint.isEmpty() ? "" : ". " + hint), null);
  }

  private static void prepare(Connection c, PostgresConfig config) throws SQLException {
    PostgresDialect d = PostgresDialect.INSTANCE;
    try (Statement st = c.createStatement()) {
      if (config.role() != null) st.execute("set role " + d.quote(config.role()));
      if (config.searchPath() != null) {
        try (PreparedStatement ps = c.prepareStatement("select set_config('search_path', ?, false)")) {
          ps.setString(1, config.searchPath());
          ps.execute();
        }
      }
      if (c.getMetaData().getDatabaseMajorVersion() >= 14) st.execute("set client_connection_check_interval = 1000");
    }
  }

  static void closeQuietly(Connection c) {
    if (c == null) return;
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing anyway
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Override
  public String type() {
    return PostgresEngineFactory.TYPE;
  }

  @Override
  public Dialect dialect() {
    return PostgresDialect.INSTANCE;
  }

  /** The database of the profile ({@code dbname}), which is the one every connection is on. */
  @Override
  public String defaultDatabase() {
    return config.dbname();
  }

  @Override
  public String defaultSchema() {
    return config.schema();
  }

  /** The database the server says the connections are on ({@code current_database()}). */
  public String currentDatabase() {
    return currentDatabase;
  }

  /** The server's version as {@code server_version_num} (e.g. 170011). */
  public int serverVersion() {
    return serverVersion;
  }

  PostgresConfig config() {
    return config;
  }

  EngineOptions options() {
    return options;
  }

  /** Connections currently open (idle plus in use by sessions). */
  public int openConnections() {
    synchronized (idle) {
      return idle.size() + sessions.size();
    }
  }

  @Override
  public PostgresSession openSession() {
    if (closed) throw new WeirException(WeirException.Kind.INTERNAL, "The Postgres engine is closed");
    Connection c;
    synchronized (idle) {
      c = idle.poll();
    }
    if (c == null) c = connect(config, options);
    PostgresSession s = new PostgresSession(this, c);
    sessions.add(s);
    if (closed) { // closed meanwhile
      s.close();
      throw new WeirException(WeirException.Kind.INTERNAL, "The Postgres engine is closed");
    }
    return s;
  }

  /** A session is done with its connection: keep it for the next session, unless broken or closing. */
  void release(PostgresSession s, Connection c, boolean reusable) {
    sessions.remove(s);
    if (reusable && !closed) {
      synchronized (idle) {
        if (!closed) {
          idle.push(c);
          return;
        }
      }
    }
    closeQuietly(c);
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) return;
      closed = true;
    }
    for (PostgresSession s : Set.copyOf(sessions)) {
      try {
        s.cancel(); // a statement still running on another thread is stopped, not waited for
        s.close();
      } catch (RuntimeException ignored) {
        // keep closing
      }
    }
    synchronized (idle) {
      for (Connection c : idle) closeQuietly(c);
      idle.clear();
    }
  }

  static boolean isConnectionError(SQLException e) {
    String state = e.getSQLState();
    return state != null && state.startsWith("08") || e instanceof PSQLException pe && pe.getSQLState() == null;
  }

  @Override
  public String toString() {
    return "PostgresEngine[" + config.user() + "@" + config.display() + "]";
  }
}
