package dev.weir.engine.duckdb;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Engine;
import dev.weir.core.engine.EngineOptions;
import dev.weir.core.engine.Session;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.duckdb.DuckDBConnection;

/**
 * One open DuckDB database. The engine holds a single {@link DuckDBConnection} (and so a single
 * DuckDB database instance); every {@link Session} is a {@code duplicate()} of it, so all threads
 * of a command share the instance, its buffer pool and its file lock.
 *
 * <h2>Locking</h2>
 * DuckDB lets one process open a file read-write, or several processes read-only, and reports a
 * conflict as a raw "Could not set lock on file" IO error. The engine turns that into a wait: it
 * tells the user once who holds the file (from the {@link LockFile} sidecar other Weir processes
 * write, else the PID DuckDB reports), retries with backoff up to
 * {@link EngineOptions#lockTimeout()}, then fails with a {@link WeirException} that names the file,
 * the holder and what to do. Read-only commands open with {@code access_mode=READ_ONLY} so that
 * they neither take nor need the write lock (DuckDB still refuses them while a writer holds the
 * file, which is handled the same way).
 *
 * <p>Within one JVM DuckDB shares one database instance per file and refuses a second open with a
 * different access mode ("Can't open a connection to same database file with a different
 * configuration"). The engine therefore keeps a per-process registry: a read-only open of a file
 * this process already has open read-write simply shares the read-write instance.
 */
public final class DuckDbEngine implements Engine {

  private static final Pattern PID = Pattern.compile("PID (\\d+)");

  /** Files this JVM has open, with how many engines and whether any opened it read-write. */
  private static final Map<Path, Shared> OPEN_FILES = new HashMap<>();

  private static final class Shared {
    int refs;
    boolean readWrite;
  }

  private final DuckDbConfig config;
  private final EngineOptions options;
  private final DuckDBConnection connection;
  private final Path file;          // null: in-memory
  private final Path registeredFile; // the file counted in OPEN_FILES (null for in-memory stand-ins)
  private final boolean readWrite;  // this engine's instance took the write lock
  private final String mainCatalog;
  private final String defaultDatabase;
  private final boolean useCatalog; // sessions must USE defaultDatabase
  private final Set<DuckDbSession> sessions = ConcurrentHashMap.newKeySet();
  final RelationCache relationCache = new RelationCache();
  private volatile boolean closed;

  private DuckDbEngine(DuckDbConfig config, EngineOptions options, DuckDBConnection connection, Path file,
                       Path registeredFile, boolean readWrite, String mainCatalog, String defaultDatabase, boolean useCatalog) {
    this.config = config;
    this.options = options;
    this.connection = connection;
    this.file = file;
    this.registeredFile = registeredFile;
    this.readWrite = readWrite;
    this.mainCatalog = mainCatalog;
    this.defaultDatabase = defaultDatabase;
    this.useCatalog = useCatalog;
  }

  static DuckDbEngine open(DuckDbConfig config, EngineOptions options, Path projectDir) {
    Path file = config.file() == null ? null : config.file().toAbsolutePath().normalize();
    String display = display(file, projectDir);
    DuckDBConnection conn;
    boolean readWrite = false;
    boolean registered = false;
    boolean memoryStandIn = false;
    boolean ok = false;

    if (file == null) {
      conn = connect("jdbc:duckdb:", new Properties(), display);
    } else if (config.readOnly() && !Files.exists(file)) {
      // A read-only command before anything was built: there is nothing to read and nothing may be
      // created. Stand in an empty in-memory catalog with the file's name, so that relations render
      // as they will once the file exists and introspection simply finds nothing.
      conn = connect("jdbc:duckdb:", new Properties(), display);
      memoryStandIn = true;
    } else {
      boolean wantWrite;
      synchronized (OPEN_FILES) {
        Shared shared = OPEN_FILES.get(file);
        if (shared != null && !shared.readWrite && !config.readOnly()) {
          throw WeirException.runtime("Warehouse " + display + " is already open read-only in this process; "
              + "DuckDB cannot reopen it read-write until that command closes it.", null);
        }
        wantWrite = !config.readOnly() || (shared != null && shared.readWrite);
      }
      if (wantWrite) {
        try {
          Path parent = file.getParent();
          if (parent != null) Files.createDirectories(parent);
        } catch (IOException e) {
          throw WeirException.runtime("Cannot create the folder for warehouse " + display + ": " + e.getMessage(), e);
        }
      }
      Properties props = new Properties();
      if (!wantWrite) props.setProperty("access_mode", "READ_ONLY");
      conn = openWaiting(file, display, props, options);
      readWrite = wantWrite;
      synchronized (OPEN_FILES) {
        Shared shared = OPEN_FILES.computeIfAbsent(file, f -> new Shared());
        if (shared.refs == 0 || (readWrite && !shared.readWrite)) LockFile.write(file, readWrite, options.command());
        shared.refs++;
        shared.readWrite |= readWrite;
      }
      registered = true;
    }

    try {
      if (memoryStandIn) {
        String alias = DuckDbConfig.stem(file);
        execute(conn, "attach ':memory:' as " + DuckDbDialect.INSTANCE.quote(alias));
        execute(conn, "use " + DuckDbDialect.INSTANCE.quote(alias));
      }
      String mainCatalog = memoryStandIn ? DuckDbConfig.stem(file) : scalar(conn, "select current_database()");

      for (String ext : config.extensions()) {
        try {
          execute(conn, "load " + ext);
        } catch (SQLException e) {
          throw DuckDbConfig.error(config.where(), "extensions", "extension '" + ext + "' could not be loaded: "
              + e.getMessage());
        }
      }
      for (Map.Entry<String, Object> s : config.settings().entrySet()) {
        try {
          execute(conn, "set " + s.getKey() + " = " + settingValue(s.getValue()));
        } catch (SQLException e) {
          throw DuckDbConfig.error(config.where(), "settings." + s.getKey(), "was refused by DuckDB: " + e.getMessage());
        }
      }
      for (DuckDbConfig.Attachment a : config.attach()) {
        attach(conn, a, options, projectDir, config);
      }

      String defaultDb = mainCatalog;
      boolean use = memoryStandIn;
      if (config.database() != null && !config.database().equalsIgnoreCase(mainCatalog)) {
        String alias = config.attach().stream().map(DuckDbConfig.Attachment::alias)
            .filter(al -> al.equalsIgnoreCase(config.database())).findFirst().orElse(null);
        if (alias == null) {
          throw DuckDbConfig.error(config.where(), "database", "is '" + config.database() + "' but the database "
              + (file == null ? "':memory:'" : "file " + display) + " is the catalog '" + mainCatalog
              + "' (DuckDB names a file's catalog after its base name). Set database to '" + mainCatalog
              + "', remove it, or attach a file with alias '" + config.database() + "'.");
        }
        defaultDb = alias;
        use = true;
      }
      DuckDbEngine engine = new DuckDbEngine(config, options, conn, file, registered ? file : null, readWrite,
          mainCatalog, defaultDb, use);
      ok = true; // the engine now owns the connection and the registration
      return engine;
    } catch (SQLException e) {
      throw WeirException.runtime("Cannot prepare warehouse " + display + ": " + e.getMessage(), e);
    } finally {
      if (!ok) {
        try {
          conn.close();
        } catch (SQLException ignored) {
          // closing after a failed open
        }
        if (registered) release(file, readWrite);
      }
    }
  }

  private static void attach(DuckDBConnection conn, DuckDbConfig.Attachment a, EngineOptions options, Path projectDir,
                             DuckDbConfig config) {
    Dialect d = DuckDbDialect.INSTANCE;
    if (a.file() != null && !a.readOnly()) {
      try {
        Path parent = a.file().toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
      } catch (IOException e) {
        throw DuckDbConfig.error(config.where(), "attach.path", "folder cannot be created: " + e.getMessage());
      }
    }
    if (a.file() != null && a.readOnly() && !Files.exists(a.file())) {
      throw DuckDbConfig.error(config.where(), "attach.path", "'" + a.path() + "' does not exist (resolved to "
          + a.file() + ") and cannot be created read-only");
    }
    String target = a.file() == null ? a.path() : a.file().toString();
    String sql = "attach if not exists " + d.stringLiteral(target) + " as " + d.quote(a.alias())
        + (a.readOnly() ? " (read_only)" : "");
    String display = a.file() == null ? a.path() : display(a.file().toAbsolutePath(), projectDir);
    waitForLock(a.file(), display, options, () -> {
      execute(conn, sql);
      return null;
    }, e -> DuckDbConfig.error(config.where(), "attach", "'" + a.path() + "' cannot be attached: " + e.getMessage()));
  }

  private static DuckDBConnection connect(String url, Properties props, String display) {
    try {
      return (DuckDBConnection) DriverManager.getConnection(url, props);
    } catch (SQLException e) {
      throw WeirException.runtime("Cannot open warehouse " + display + ": " + e.getMessage(), e);
    }
  }

  private static DuckDBConnection openWaiting(Path file, String display, Properties props, EngineOptions options) {
    return waitForLock(file, display, options,
        () -> (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + file, props),
        e -> WeirException.runtime("Cannot open warehouse " + display + ": " + e.getMessage(), e));
  }

  interface SqlAction<T> {
    T run() throws SQLException;
  }

  /**
   * Runs {@code action} (an open or attach of {@code file}), waiting while another process holds
   * the file's lock: one notice, retries with backoff, then a clear timeout error.
   */
  static <T> T waitForLock(Path file, String display, EngineOptions options, SqlAction<T> action,
                           java.util.function.Function<SQLException, RuntimeException> otherError) {
    Duration timeout = options.lockTimeout();
    long deadline = System.nanoTime() + timeout.toNanos();
    long backoffMs = 50;
    boolean noticed = false;
    while (true) {
      try {
        return action.run();
      } catch (SQLException e) {
        if (!isLockConflict(e)) throw otherError.apply(e);
        Long pid = null;
        Matcher m = PID.matcher(String.valueOf(e.getMessage()));
        if (m.find()) pid = Long.parseLong(m.group(1));
        String holder = file == null ? (pid == null ? "another process" : "PID " + pid)
            : LockFile.findHolder(file, pid).map(LockFile.Holder::describe).orElse("another process");
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw WeirException.runtime("Warehouse " + display + " is in use by " + holder + " and was not released within "
              + seconds(timeout) + ". DuckDB lets one process write to a database file at a time (or several "
              + "read it" + (options.readOnly() ? ", but not while one writes" : "") + "). Wait for that command to "
              + "finish or stop it, then run this command again" + (timeout.isZero() ? "" : " (or allow a longer lock wait)")
              + ".", e);
        }
        if (!noticed) {
          options.notice().accept("Warehouse " + display + " is in use by " + holder + "; waiting up to "
              + seconds(timeout) + "...");
          noticed = true;
        }
        try {
          Thread.sleep(Math.max(1, Math.min(backoffMs, left / 1_000_000)));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw WeirException.runtime("Interrupted while waiting for warehouse " + display + " (held by " + holder + ")", ie);
        }
        backoffMs = Math.min(backoffMs * 2, 1000);
      }
    }
  }

  static boolean isLockConflict(SQLException e) {
    String msg = String.valueOf(e.getMessage());
    return msg.contains("Could not set lock on file") || msg.contains("Conflicting lock is held");
  }

  private static String seconds(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + "s" : String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
  }

  static String display(Path file, Path projectDir) {
    if (file == null) return ":memory:";
    if (projectDir != null) {
      Path base = projectDir.toAbsolutePath().normalize();
      if (file.startsWith(base)) return base.relativize(file).toString();
    }
    return file.toString();
  }

  private static String settingValue(Object v) {
    if (v == null) return "null";
    if (v instanceof Boolean || v instanceof Number) return String.valueOf(v);
    return DuckDbDialect.INSTANCE.stringLiteral(String.valueOf(v));
  }

  static void execute(DuckDBConnection conn, String sql) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(sql);
    }
  }

  static String scalar(DuckDBConnection conn, String sql) throws SQLException {
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static void release(Path file, boolean readWrite) {
    if (file == null) return;
    synchronized (OPEN_FILES) {
      Shared shared = OPEN_FILES.get(file);
      if (shared == null) return;
      if (--shared.refs <= 0) {
        OPEN_FILES.remove(file);
        LockFile.remove(file, shared.readWrite);
        LockFile.remove(file, false);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Override
  public String type() {
    return DuckDbEngineFactory.TYPE;
  }

  @Override
  public Dialect dialect() {
    return DuckDbDialect.INSTANCE;
  }

  @Override
  public String defaultDatabase() {
    return defaultDatabase;
  }

  @Override
  public String defaultSchema() {
    return config.schema();
  }

  /** The catalog of the main database (the file's base name, or {@code memory}). */
  public String mainCatalog() {
    return mainCatalog;
  }

  /** The database file, or null for {@code :memory:}. */
  public Path file() {
    return file;
  }

  /** Whether this engine opened its file read-write (holds DuckDB's write lock). */
  public boolean readWrite() {
    return readWrite;
  }

  @Override
  public DuckDbSession openSession() {
    if (closed) throw new WeirException(WeirException.Kind.INTERNAL, "The DuckDB engine is closed");
    DuckDBConnection dup;
    try {
      synchronized (connection) {
        dup = connection.duplicate();
      }
      if (useCatalog) execute(dup, "use " + DuckDbDialect.INSTANCE.quote(defaultDatabase));
    } catch (SQLException e) {
      throw WeirException.runtime("Cannot open a DuckDB session: " + e.getMessage(), e);
    }
    DuckDbSession s = new DuckDbSession(this, dup);
    sessions.add(s);
    return s;
  }

  void sessionClosed(DuckDbSession s) {
    sessions.remove(s);
  }

  EngineOptions options() {
    return options;
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) return;
      closed = true;
    }
    for (DuckDbSession s : Set.copyOf(sessions)) {
      try {
        s.cancel(); // a statement still running on another thread is stopped, not waited for
        s.close();
      } catch (RuntimeException ignored) {
        // keep closing
      }
    }
    try {
      connection.close();
    } catch (SQLException ignored) {
      // nothing more to release
    } finally {
      release(registeredFile, readWrite);
    }
  }

  @Override
  public String toString() {
    return "DuckDbEngine[" + (file == null ? ":memory:" : file) + (readWrite ? "" : ", read-only") + "]";
  }
}
