package dev.weir.engine.duckdb;

import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import java.util.List;
import java.util.stream.Collectors;

/**
 * DuckDB's SQL spelling. Identifiers are always double-quoted (DuckDB matches quoted and unquoted
 * names case-insensitively but preserves the case written, so quoting never changes which relation
 * a name resolves to; it only protects reserved words and odd characters).
 */
public final class DuckDbDialect implements Dialect {

  public static final DuckDbDialect INSTANCE = new DuckDbDialect();

  @Override
  public String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  @Override
  public String createSchemaIfNotExists(String database, String schema) {
    return "create schema if not exists " + schemaName(database, schema);
  }

  /** {@code "db"."schema"}, or just {@code "schema"} when the database is not given. */
  public String schemaName(String database, String schema) {
    return (database == null || database.isEmpty() ? "" : quote(database) + ".") + quote(schema);
  }

  @Override
  public String createTableAs(Relation target, String selectSql) {
    return "create table " + render(target) + " as (\n" + selectSql + "\n)";
  }

  @Override
  public String createViewAs(Relation target, String selectSql) {
    return "create view " + render(target) + " as (\n" + selectSql + "\n)";
  }

  @Override
  public String dropIfExists(Relation target, RelationType type) {
    // DuckDB does not track view -> table dependencies, so a plain DROP never needs CASCADE
    // (and we never want it to cascade).
    return "drop " + kind(type) + " if exists " + render(target);
  }

  @Override
  public String rename(Relation from, RelationType type, String newIdentifier) {
    return "alter " + kind(type) + " " + render(from) + " rename to " + quote(newIdentifier);
  }

  @Override
  public String createTable(Relation target, List<ColumnInfo> columns) {
    return "create table " + render(target) + " ("
        + columns.stream().map(c -> quote(c.name()) + " " + c.dataType()).collect(Collectors.joining(", "))
        + ")";
  }

  /**
   * Seed column types. Integers load as BIGINT: dbt-duckdb's agate inference gives whole numbers
   * a 64-bit type in practice, and BIGINT never overflows on ids or epoch values that INTEGER
   * would reject, while costing nothing noticeable in DuckDB's compressed storage.
   */
  @Override
  public String typeFor(SeedType type) {
    return switch (type) {
      case INTEGER -> "BIGINT";
      case NUMBER -> "DOUBLE";
      case BOOLEAN -> "BOOLEAN";
      case DATE -> "DATE";
      case TIMESTAMP -> "TIMESTAMP";
      case TEXT -> "VARCHAR";
    };
  }

  static String kind(RelationType type) {
    return type == RelationType.VIEW ? "view" : "table";
  }

  /** DuckDB reads a subquery in FROM without an alias. */
  @Override
  public boolean subqueryNeedsAlias() { return false; }
}
