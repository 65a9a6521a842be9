package dev.weir.engine.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.EngineFactory;
import dev.weir.core.engine.Engines;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PostgresEngineFactoryTest {

  static String db;
  final EngineFactory factory = Engines.forType("postgres");

  @BeforeAll
  static void database() {
    db = TestingPostgres.createDatabase("factory");
  }

  private static Map<String, Object> with(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  @Test
  void registeredWithItsKeysAndSecrets() {
    assertThat(Engines.available()).containsKey("postgres");
    assertThat(factory).isInstanceOf(PostgresEngineFactory.class);
    assertThat(factory.secretKeys()).contains("password", "pass", "sslpassword");
    assertThat(factory.knownKeys()).contains("host", "port", "user", "password", "dbname", "database", "schema",
        "threads", "sslmode", "connect_timeout", "keepalives_idle", "search_path", "role", "application_name");
  }

  @Test
  void dialectWithoutConnecting() {
    // a target pointing nowhere: the dialect must not connect
    Dialect d = factory.dialect(TestingPostgres.target(db, with("host", "no-such-host.invalid")));
    assertThat(d.quote("My \"col\"")).isEqualTo("\"My \"\"col\"\"\"");
    assertThat(d.subqueryNeedsAlias()).isTrue();
    assertThat(d.typeFor(Dialect.SeedType.INTEGER)).isEqualTo("integer");
    assertThat(d.typeFor(Dialect.SeedType.BIGINT)).isEqualTo("bigint");
  }

  @Test
  void opensAndReportsDefaults() {
    try (PostgresEngine e = (PostgresEngine) factory.open(TestingPostgres.target(db, null), TestingPostgres.options(null));
         PostgresSession s = e.openSession()) {
      assertThat(e.type()).isEqualTo("postgres");
      assertThat(e.defaultDatabase()).isEqualTo(db);
      assertThat(e.defaultSchema()).isEqualTo("analytics");
      assertThat(e.serverVersion()).isGreaterThanOrEqualTo(170000);
      assertThat(s.query("select current_user, current_setting('application_name')", -1).rows().get(0))
          .containsExactly("weir", "weir");
      assertThat(e.toString()).doesNotContain(TestingPostgres.PASSWORD);
    }
  }

  @Test
  void missingRequiredKeysNameTheKey() {
    for (String key : List.of("host", "user", "schema")) {
      assertThatThrownBy(() -> factory.open(TestingPostgres.target(db, with(key, null)), TestingPostgres.options(null)))
          .isInstanceOf(WeirException.class)
          .hasMessageContaining("key '" + key + "'")
          .hasMessageContaining("profile 'p', target 'dev'")
          .satisfies(e -> assertThat(((WeirException) e).kind()).isEqualTo(WeirException.Kind.PROJECT));
    }
    // dbname, or its alias database
    Map<String, Object> noDb = with("dbname", null);
    assertThatThrownBy(() -> factory.open(new dev.weir.core.engine.TargetConfig("p", "dev", "postgres", null, "analytics",
        1, TestingPostgres.target(db, noDb).settings(), null), TestingPostgres.options(null)))
        .hasMessageContaining("key 'dbname'");
    try (var e = factory.open(new dev.weir.core.engine.TargetConfig("p", "dev", "postgres", null, "analytics", 1,
        TestingPostgres.target(db, with("dbname", null, "database", db)).settings(), null), TestingPostgres.options(null))) {
      assertThat(e.defaultDatabase()).isEqualTo(db);
    }
  }

  @Test
  void badValuesNameTheKey() {
    assertThatThrownBy(() -> factory.open(TestingPostgres.target(db, with("port", "54x")), TestingPostgres.options(null)))
        .hasMessageContaining("key 'port'").hasMessageContaining("54x");
    assertThatThrownBy(() -> factory.open(TestingPostgres.target(db, with("port", 70000)), TestingPostgres.options(null)))
        .hasMessageContaining("key 'port'");
    assertThatThrownBy(() -> factory.open(TestingPostgres.target(db, with("sslmode", "sometimes")), TestingPostgres.options(null)))
        .hasMessageContaining("key 'sslmode'");
  }

  @Test
  void wrongPasswordIsClearAndNeverShowsThePassword() {
    String wrong = "Wr0ng-Secret-Value";
    assertThatThrownBy(() -> factory.open(TestingPostgres.target(db, with("password", wrong)), TestingPostgres.options(null)))
        .isInstanceOf(WeirException.class)
        .hasMessageContaining("user 'weir'")
        .hasMessageContaining("localhost:" + TestingPostgres.port())
        .hasMessageContaining("database '" + db + "'")
        .hasMessageContaining("password authentication failed")
        .satisfies(e -> {
          assertThat(describeAll(e)).doesNotContain(wrong).doesNotContain(TestingPostgres.PASSWORD);
        });
    // the 'pass' alias works
    try (var e = factory.open(TestingPostgres.target(db, with("password", null, "pass", TestingPostgres.PASSWORD)),
        TestingPostgres.options(null))) {
      assertThat(e.openSession().query("select 1", -1).rows()).hasSize(1);
    }
  }

  @Test
  void unknownDatabaseIsClear() {
    assertThatThrownBy(() -> factory.open(TestingPostgres.target("no_such_db", null), TestingPostgres.options(null)))
        .hasMessageContaining("database 'no_such_db'").hasMessageContaining("does not exist");
  }

  @Test
  void unreachableServerNamesHostPortAndDatabase() throws Exception {
    int freePort;
    try (ServerSocket ss = new ServerSocket(0)) {
      freePort = ss.getLocalPort();
    }
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> factory.open(TestingPostgres.target(db, with("port", freePort, "retries", 0)),
        TestingPostgres.options(null)))
        .isInstanceOf(WeirException.class)
        .hasMessageContaining("localhost:" + freePort)
        .hasMessageContaining("database '" + db + "'")
        .hasMessageContaining("cannot be reached")
        .satisfies(e -> assertThat(describeAll(e)).doesNotContain(TestingPostgres.PASSWORD));
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5000);
  }

  @Test
  void roleSearchPathAndApplicationName() throws Exception {
    try (PostgresEngine e = (PostgresEngine) factory.open(TestingPostgres.target(db, with("role", "reporter",
        "search_path", "analytics, public", "application_name", "weir-e2e", "keepalives_idle", 30, "connect_timeout", 5)),
        TestingPostgres.options(null));
         PostgresSession s = e.openSession()) {
      assertThat(s.query("select current_user, current_setting('search_path'), current_setting('application_name')", -1)
          .rows().get(0)).containsExactly("reporter", "analytics, public", "weir-e2e");
    }
  }

  private static String describeAll(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) sb.append(t).append('\n');
    return sb.toString();
  }
}
