package dev.weir.engine.duckdb;

import dev.weir.core.engine.Dialect;

/**
 * DuckDB's SQL spelling. Identifiers are always double-quoted (DuckDB matches quoted and unquoted
 * names case-insensitively but preserves the case written, so quoting never changes which relation
 * a name resolves to; it only protects reserved words and odd characters).
 */
public final class DuckDbDialect implements Dialect {

  public static final DuckDbDialect INSTANCE = new DuckDbDialect();

  @Override
  public String createSchemaIfNotExists(String database, String schema) {
    return "create schema if not exists " + schemaName(database, schema);
  }

  /** {@code "db"."schema"}, or just {@code "schema"} when the database is not given. */
  public String schemaName(String database, String schema) {
    return (database == null || database.isEmpty() ? "" : quote(database) + ".") + quote(schema);
  }

  /**
   * Seed column types, as dbt-duckdb's (whole numbers INTEGER, fractions DOUBLE); whole numbers past
   * 32 bits are BIGINT, where dbt-duckdb's load fails.
   */
  @Override
  public String typeFor(SeedType type) {
    return switch (type) {
      case INTEGER -> "INTEGER";
      case BIGINT -> "BIGINT";
      case NUMBER -> "DOUBLE";
      case BOOLEAN -> "BOOLEAN";
      case DATE -> "DATE";
      case TIMESTAMP -> "TIMESTAMP";
      case TEXT -> "VARCHAR";
    };
  }

  /** DuckDB's aliases: every string type is VARCHAR (lengths ignored), FLOAT is REAL, DOUBLE is DOUBLE PRECISION. */
  @Override
  public String normalizeType(String type) {
    String t = Dialect.super.normalizeType(type);
    if (t == null) return null;
    String base = t.contains("(") ? t.substring(0, t.indexOf('(')) : t;
    return switch (base) {
      case "VARCHAR", "TEXT", "STRING", "CHAR", "NVARCHAR" -> "VARCHAR";
      case "FLOAT" -> "REAL";
      case "NUMERIC" -> t.equals("NUMERIC") ? "NUMERIC(18,3)" : t;
      default -> t;
    };
  }

  /** DuckDB reads a subquery in FROM without an alias. */
  @Override
  public boolean subqueryNeedsAlias() { return false; }

  @Override
  public String regexMatches(String expr, String patternLiteral) {
    return "regexp_matches(" + expr + ", " + patternLiteral + ")";
  }

  @Override
  public String percentileCont(String expr, String p) {
    return "quantile_cont(" + expr + ", " + p + ")";
  }
}
