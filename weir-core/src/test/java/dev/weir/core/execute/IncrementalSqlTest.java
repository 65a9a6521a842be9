package dev.weir.core.execute;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import dev.weir.core.render.EventTimeWindow;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine-neutral pieces of incremental models, hooks and grants. */
class IncrementalSqlTest {
  /** A dialect with GRANT, as Postgres will be. */
  static final Dialect PG_LIKE = new Dialect() {
    @Override public String quote(String id) { return "\"" + id.replace("\"", "\"\"") + "\""; }
    @Override public String createSchemaIfNotExists(String database, String schema) { return ""; }
    @Override public String createTableAs(Relation target, String selectSql) { return ""; }
    @Override public String createViewAs(Relation target, String selectSql) { return ""; }
    @Override public String dropIfExists(Relation target, RelationType type) { return ""; }
    @Override public String rename(Relation from, RelationType type, String newIdentifier) { return ""; }
    @Override public String createTable(Relation target, List<ColumnInfo> columns) { return ""; }
    @Override public String typeFor(SeedType type) { return "text"; }
    @Override public boolean supportsGrants() { return true; }
  };

  private static Node model(Map<String, Object> config) {
    Node n = new Node("model.p.m", ResourceType.MODEL, "p", "m");
    n.config.putAll(config);
    return n;
  }

  @Test
  void batchesFollowDbtsMicrobatchBuilder() {
    LocalDateTime start = LocalDateTime.parse("2024-09-16T00:00");
    LocalDateTime end = Incremental.ceiling(LocalDateTime.parse("2024-09-17T16:06"), Incremental.BatchSize.DAY);
    assertThat(end).isEqualTo(LocalDateTime.parse("2024-09-18T00:00"));
    List<EventTimeWindow> b = Incremental.batches(start, end, Incremental.BatchSize.DAY);
    assertThat(b).containsExactly(new EventTimeWindow(start, LocalDateTime.parse("2024-09-17T00:00")),
        new EventTimeWindow(LocalDateTime.parse("2024-09-17T00:00"), end));
    assertThat(Incremental.offset(LocalDateTime.parse("2024-03-31T10:00"), Incremental.BatchSize.MONTH, -1))
        .isEqualTo(LocalDateTime.parse("2024-02-01T00:00"));
    assertThat(Incremental.truncate(LocalDateTime.parse("2024-09-17T16:06"), Incremental.BatchSize.YEAR))
        .isEqualTo(LocalDateTime.parse("2024-01-01T00:00"));
    assertThat(Incremental.batches(LocalDateTime.parse("2024-09-17T15:00"), LocalDateTime.parse("2024-09-17T16:30"),
        Incremental.BatchSize.HOUR)).hasSize(2);
    assertThat(EventTimeWindow.parse("2024-01-02T03:04:05+02:00")).isEqualTo(LocalDateTime.parse("2024-01-02T01:04:05"));
    assertThat(EventTimeWindow.parse("2024-01-02")).isEqualTo(LocalDateTime.parse("2024-01-02T00:00"));
  }

  @Test
  void mergeAndDeleteInsertSql() {
    Node n = model(Map.of("merge_exclude_columns", List.of("loaded_at")));
    String merge = Incremental.builtIn(n, "merge", PG_LIKE, "t", "s", List.of("id", "part"), List.of("id", "part", "v", "loaded_at"),
        List.of("DBT_INTERNAL_DEST.d > 1")).get(0);
    assertThat(merge).contains("merge into t as DBT_INTERNAL_DEST\nusing s as DBT_INTERNAL_SOURCE\n"
            + "on (DBT_INTERNAL_DEST.d > 1) and (DBT_INTERNAL_SOURCE.id = DBT_INTERNAL_DEST.id and DBT_INTERNAL_SOURCE.part = DBT_INTERNAL_DEST.part)")
        .contains("\"v\" = DBT_INTERNAL_SOURCE.\"v\"").doesNotContain("\"loaded_at\" = ")
        .contains("when not matched then insert (\"id\", \"part\", \"v\", \"loaded_at\")");
    List<String> di = Incremental.builtIn(n, "delete+insert", PG_LIKE, "t", "s", List.of("id"), List.of("id"), List.of("x > 1"));
    assertThat(di).hasSize(2);
    assertThat(di.get(0)).startsWith("delete from t\nwhere exists (").contains("DBT_INTERNAL_SOURCE.id = t.id").endsWith("and (x > 1)");
  }

  @Test
  void hooksAndGrants() {
    List<Hooks.Hook> hooks = Hooks.parse(List.of("select 1", Map.of("sql", "select 2", "transaction", false)));
    assertThat(hooks).containsExactly(new Hooks.Hook("select 1", true), new Hooks.Hook("select 2", false));
    Node n = model(Map.of("grants", Map.of("select", List.of("reporter", "bi"))));
    assertThat(Hooks.grants(n, PG_LIKE)).isEqualTo(Map.of("select", List.of("reporter", "bi")));
    assertThat(PG_LIKE.grant(Relation.of("db", "s", "t"), "select", List.of("reporter", "bi")))
        .isEqualTo("grant select on \"db\".\"s\".\"t\" to reporter, bi");
    // Engines without GRANT (DuckDB) skip grants.
    Dialect noGrants = new Dialect() {
      @Override public String quote(String id) { return id; }
      @Override public String createSchemaIfNotExists(String database, String schema) { return ""; }
      @Override public String createTableAs(Relation target, String selectSql) { return ""; }
      @Override public String createViewAs(Relation target, String selectSql) { return ""; }
      @Override public String dropIfExists(Relation target, RelationType type) { return ""; }
      @Override public String rename(Relation from, RelationType type, String newIdentifier) { return ""; }
      @Override public String createTable(Relation target, List<ColumnInfo> columns) { return ""; }
      @Override public String typeFor(SeedType type) { return "text"; }
    };
    assertThat(Hooks.grants(n, noGrants)).isEmpty();
  }
}
