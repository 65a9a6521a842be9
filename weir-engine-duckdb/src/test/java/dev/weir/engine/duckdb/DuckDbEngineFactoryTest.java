package dev.weir.engine.duckdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Engines;
import dev.weir.core.engine.Relation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DuckDbEngineFactoryTest {

  @TempDir Path dir;

  @Test
  void registeredAsService() {
    assertThat(Engines.forType("duckdb")).isInstanceOf(DuckDbEngineFactory.class);
    assertThat(new DuckDbEngineFactory().knownKeys())
        .contains("type", "path", "database", "schema", "threads", "settings", "extensions", "attach", "read_only");
  }

  @Test
  void defaultFileUnderTargetDirAndCatalogNamedAfterIt() {
    try (DuckDbEngine e = TestSupport.open(dir, Map.of())) {
      assertThat(e.file()).isEqualTo(dir.resolve("target/weir.duckdb").toAbsolutePath());
      assertThat(e.defaultDatabase()).isEqualTo("weir");
      assertThat(e.defaultSchema()).isEqualTo("main");
      assertThat(Files.exists(dir.resolve("target/weir.duckdb"))).isTrue();
      assertThat(Files.exists(dir.resolve("target/weir.duckdb.weir-lock"))).isTrue();
    }
    assertThat(Files.exists(dir.resolve("target/weir.duckdb.weir-lock"))).as("sidecar removed on close").isFalse();
  }

  @Test
  void relativePathDatabaseAndSchema() {
    try (DuckDbEngine e = TestSupport.open(dir, Map.of("path", "data/Jaffle.duckdb", "database", "jaffle",
        "schema", "analytics", "threads", 4))) {
      assertThat(e.file()).isEqualTo(dir.resolve("data/Jaffle.duckdb").toAbsolutePath());
      assertThat(e.defaultDatabase()).isEqualTo("Jaffle");
      assertThat(e.defaultSchema()).isEqualTo("analytics");
    }
  }

  @Test
  void memoryDatabase() {
    try (DuckDbEngine e = TestSupport.open(dir, Map.of("path", ":memory:"));
         DuckDbSession s = e.openSession()) {
      assertThat(e.defaultDatabase()).isEqualTo("memory");
      s.execute("create table t as select 1 as x");
      assertThat(s.getRelation(null, null, "T")).isPresent();
    }
  }

  @Test
  void databaseThatMatchesNeitherFileNorAliasIsRejected() {
    assertThatThrownBy(() -> TestSupport.open(dir, Map.of("path", "a.duckdb", "database", "other")))
        .isInstanceOf(WeirException.class)
        .hasMessageContaining("key 'database'").hasMessageContaining("'a'");
  }

  @Test
  void settingsAreApplied() {
    try (DuckDbEngine e = TestSupport.open(dir, Map.of("settings", Map.of("threads", 1, "memory_limit", "512MB",
        "default_null_order", "nulls_first")));
         DuckDbSession s = e.openSession()) {
      List<Object> row = s.query("select current_setting('threads'), current_setting('memory_limit'),"
          + " current_setting('default_null_order')", -1).rows().get(0);
      assertThat(row.get(0)).isEqualTo(1L);
      assertThat((String) row.get(1)).contains("MiB");
      assertThat(((String) row.get(2)).toLowerCase()).isEqualTo("nulls_first");
    }
    assertThatThrownBy(() -> TestSupport.open(dir, Map.of("settings", Map.of("no_such_setting", 1))))
        .isInstanceOf(WeirException.class).hasMessageContaining("settings.no_such_setting");
    assertThatThrownBy(() -> TestSupport.open(dir, Map.of("settings", Map.of("x; drop table y", 1))))
        .isInstanceOf(WeirException.class).hasMessageContaining("not a valid DuckDB setting name");
  }

  @Test
  void bundledExtensionsLoadOthersAreRejected() {
    try (DuckDbEngine e = TestSupport.open(dir, Map.of("extensions", List.of("parquet", "json", "icu")));
         DuckDbSession s = e.openSession()) {
      s.execute("copy (select 42 as answer) to '" + dir.resolve("a.parquet") + "' (format parquet)");
      assertThat(s.query("select answer from '" + dir.resolve("a.parquet") + "'", -1).rows().get(0).get(0)).isEqualTo(42L);
    }
    assertThatThrownBy(() -> TestSupport.open(dir, Map.of("extensions", List.of("parquet", "httpfs"))))
        .isInstanceOf(WeirException.class)
        .satisfies(ex -> assertThat(((WeirException) ex).kind()).isEqualTo(WeirException.Kind.PROJECT))
        .hasMessageContaining("'httpfs'")
        .hasMessageContaining("only the bundled parquet, json and icu extensions are available offline");
  }

  @Test
  void unsupportedDbtDuckdbKeysAreRejectedClearly() {
    assertThatThrownBy(() -> TestSupport.open(dir, Map.of("plugins", List.of(Map.of("module", "x")))))
        .isInstanceOf(WeirException.class).hasMessageContaining("'plugins'").hasMessageContaining("does not support");
    assertThatThrownBy(() -> TestSupport.open(dir, Map.of("path", "md:my_db")))
        .isInstanceOf(WeirException.class).hasMessageContaining("MotherDuck");
  }

  @Test
  void attachResolvesRelativePathsAndCanBecomeTheDefaultDatabase() {
    // make a second file with a table
    try (DuckDbEngine e = TestSupport.open(dir, Map.of("path", "raw/source.duckdb"));
         DuckDbSession s = e.openSession()) {
      s.execute("create table customers as select range as id from range(3)");
    }
    try (DuckDbEngine e = TestSupport.open(dir, Map.of("path", "main.duckdb", "database", "lake",
        "attach", List.of(Map.of("path", "raw/source.duckdb", "alias", "src", "read_only", true),
            Map.of("path", "lake.duckdb"))));
         DuckDbSession s = e.openSession()) {
      assertThat(e.defaultDatabase()).isEqualTo("lake");
      assertThat(s.query("select count(*) from src.main.customers", -1).rows().get(0).get(0)).isEqualTo(3L);
      assertThatThrownBy(() -> s.execute("create table src.main.x as select 1"))
          .isInstanceOf(WeirException.class).hasMessageContaining("read-only");
      // unqualified SQL goes to the default database
      s.execute("create table made_here as select 1 as x");
      assertThat(s.getRelation("lake", "main", "made_here")).isPresent();
      assertThat(s.listRelations("main", "main")).isEmpty();
      s.replaceTable(Relation.of(null, null, "t"), "select * from src.main.customers");
      assertThat(s.getRelation("lake", "main", "t")).isPresent();
    }
    assertThatThrownBy(() -> TestSupport.open(dir, Map.of("attach", List.of(Map.of("path", "x.sqlite", "type", "sqlite")))))
        .isInstanceOf(WeirException.class).hasMessageContaining("attach.type");
  }

  @Test
  void readOnlyOnAMissingFileSeesAnEmptyCatalogAndCreatesNothing() {
    try (DuckDbEngine e = (DuckDbEngine) new DuckDbEngineFactory().open(
        TestSupport.target(dir, Map.of("path", "nothing_yet.duckdb")),
        TestSupport.options(dir, true, java.time.Duration.ofSeconds(1), "weir ls", null));
         DuckDbSession s = e.openSession()) {
      assertThat(e.defaultDatabase()).isEqualTo("nothing_yet");
      assertThat(s.listRelations(null, null)).isEmpty();
      assertThat(s.schemaExists(null, "main")).isTrue();
    }
    assertThat(Files.exists(dir.resolve("nothing_yet.duckdb"))).isFalse();
  }

  @Test
  void readOnlyProfileKeyOpensReadOnly() {
    try (DuckDbEngine e = TestSupport.open(dir, Map.of("path", "ro.duckdb"));
         DuckDbSession s = e.openSession()) {
      s.execute("create table t as select 1 as x");
    }
    try (DuckDbEngine e = TestSupport.open(dir, Map.of("path", "ro.duckdb", "read_only", true));
         DuckDbSession s = e.openSession()) {
      assertThat(e.readWrite()).isFalse();
      assertThat(s.query("select x from t", -1).rows()).hasSize(1);
      assertThatThrownBy(() -> s.execute("create table u as select 1")).isInstanceOf(WeirException.class)
          .hasMessageContaining("read-only");
    }
  }

  @Test
  void sameFileTwiceInOneProcessSharesTheInstance() {
    try (DuckDbEngine rw = TestSupport.open(dir, Map.of("path", "shared.duckdb"));
         DuckDbSession s = rw.openSession()) {
      s.execute("create table t as select 1 as x");
      try (DuckDbEngine ro = (DuckDbEngine) new DuckDbEngineFactory().open(
          TestSupport.target(dir, Map.of("path", "shared.duckdb")),
          TestSupport.options(dir, true, java.time.Duration.ofSeconds(1), "weir show", null));
           DuckDbSession r = ro.openSession()) {
        assertThat(r.query("select x from t", -1).rows()).hasSize(1);
      }
      // the first engine is unaffected by the second one closing
      assertThat(s.query("select x from t", -1).rows()).hasSize(1);
      assertThat(Files.exists(dir.resolve("shared.duckdb.weir-lock"))).isTrue();
    }
  }
}
