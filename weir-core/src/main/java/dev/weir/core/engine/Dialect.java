package dev.weir.core.engine;

import java.util.List;

/**
 * The SQL spelling of one warehouse: quoting, relation names, DDL and the types seeds load as.
 * Implementations are stateless and thread-safe.
 */
public interface Dialect {

  /** Quotes an identifier, doubling embedded quotes: {@code "my ""col"""}. */
  String quote(String identifier);

  /** Quotes a string literal, escaping as the engine needs. */
  default String stringLiteral(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  /**
   * Renders a relation name as it appears in SQL ({@code "db"."schema"."t"}), omitting parts that
   * are null. Quotes each part unless the dialect decides it can be left bare.
   */
  default String render(Relation r) {
    StringBuilder sb = new StringBuilder();
    if (r.database() != null && !r.database().isEmpty()) sb.append(quote(r.database())).append('.');
    if (r.schema() != null && !r.schema().isEmpty()) sb.append(quote(r.schema())).append('.');
    return sb.append(quote(r.identifier())).toString();
  }

  String createSchemaIfNotExists(String database, String schema);

  String createTableAs(Relation target, String selectSql);

  String createViewAs(Relation target, String selectSql);

  /** Drops a relation of the given kind if it exists (never cascades to other relations). */
  String dropIfExists(Relation target, RelationType type);

  /** Renames a relation within its schema. */
  String rename(Relation from, RelationType type, String newIdentifier);

  /** CREATE TABLE with declared columns (seed loads, empty targets). */
  String createTable(Relation target, List<ColumnInfo> columns);

  /** The engine type a seed column of the given inferred kind loads as. */
  String typeFor(SeedType type);

  /** Wraps a query so that it returns at most {@code limit} rows (show, --empty). */
  default String limit(String selectSql, long limit) {
    return "select * from (\n" + selectSql + "\n) as weir_limit_subq limit " + limit;
  }

  /** Whether a subquery in FROM needs an alias (dbt's require_alias; DuckDB needs none, Postgres does). */
  default boolean subqueryNeedsAlias() { return true; }

  /**
   * Whether the engine has GRANT (the {@code grants} config). DuckDB has none, so the default is
   * false and grants are skipped silently; engines with privileges (Postgres) return true.
   */
  default boolean supportsGrants() { return false; }

  /** {@code grant <privilege> on <relation> to <grantees>}, as dbt's default__get_grant_sql spells it. */
  default String grant(Relation target, String privilege, List<String> grantees) {
    return "grant " + privilege + " on " + render(target) + " to " + String.join(", ", grantees);
  }

  /** Kinds of values a CSV seed column can be inferred as. */
  enum SeedType { INTEGER, NUMBER, BOOLEAN, DATE, TIMESTAMP, TEXT }
}
