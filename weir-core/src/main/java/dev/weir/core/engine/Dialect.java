package dev.weir.core.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * The SQL spelling of one warehouse: quoting, relation names, DDL and the types seeds load as.
 * Implementations are stateless and thread-safe.
 */
public interface Dialect {

  /** Quotes an identifier, doubling embedded quotes: {@code "my ""col"""} (standard SQL). */
  default String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

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

  /**
   * The name of a scratch relation that belongs to {@code identifier}: {@code identifier + suffix}
   * (e.g. an incremental run's {@code <model>__dbt_tmp}). An engine with a limit on name length
   * shortens it, so that the engine never truncates it into a name another relation may have.
   */
  default String scratchIdentifier(String identifier, String suffix) {
    return identifier + suffix;
  }

  default String createTableAs(Relation target, String selectSql) {
    return "create table " + render(target) + " as (\n" + selectSql + "\n)";
  }

  default String createViewAs(Relation target, String selectSql) {
    return "create view " + render(target) + " as (\n" + selectSql + "\n)";
  }

  /** Drops a relation of the given kind if it exists (never cascades to other relations). */
  default String dropIfExists(Relation target, RelationType type) {
    return "drop " + kind(type) + " if exists " + render(target);
  }

  /** Renames a relation within its schema. */
  default String rename(Relation from, RelationType type, String newIdentifier) {
    return "alter " + kind(type) + " " + render(from) + " rename to " + quote(newIdentifier);
  }

  /** CREATE TABLE with declared columns (seed loads, empty targets). */
  default String createTable(Relation target, List<ColumnInfo> columns) {
    StringBuilder sb = new StringBuilder("create table ").append(render(target)).append(" (");
    for (int i = 0; i < columns.size(); i++) {
      if (i > 0) sb.append(", ");
      sb.append(quote(columns.get(i).name())).append(' ').append(columns.get(i).dataType());
    }
    return sb.append(')').toString();
  }

  /** The SQL keyword for a relation kind in DDL ("table", "view", ...). */
  default String kind(RelationType type) {
    return switch (type) {
      case VIEW -> "view";
      case MATERIALIZED_VIEW -> "materialized view";
      default -> "table";
    };
  }

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

  /**
   * A query for the privileges that roles other than the owner hold on {@code target}: rows of
   * (grantee, privilege), or null when the engine has no GRANT. Used to revoke what the grants
   * config of an incremental model or a snapshot no longer names (a rebuilt relation starts
   * without grants).
   */
  default String showGrants(Relation target) { return null; }

  /** {@code revoke <privilege> on <relation> from <grantees>} (grantees as the catalog names them). */
  default String revoke(Relation target, String privilege, List<String> grantees) {
    List<String> quoted = new ArrayList<>();
    for (String g : grantees) quoted.add(g.equalsIgnoreCase("public") ? "public" : quote(g));
    return "revoke " + privilege + " on " + render(target) + " from " + String.join(", ", quoted);
  }

  /** {@code grant <privilege> on <relation> to <grantees>}, as dbt's default__get_grant_sql spells it. */
  default String grant(Relation target, String privilege, List<String> grantees) {
    return "grant " + privilege + " on " + render(target) + " to " + String.join(", ", grantees);
  }

  /**
   * A type name in one canonical spelling, so that a contract's {@code data_type} and the type the
   * engine reports for a query column compare equal when they mean the same type ({@code int},
   * {@code int4}, {@code integer} all become {@code INTEGER}). Parameters are kept
   * ({@code NUMERIC(10,2)}); engines override to fold their own aliases.
   */
  default String normalizeType(String type) {
    if (type == null) return null;
    String t = type.strip().replaceAll("\\s+", " ").toUpperCase(java.util.Locale.ROOT);
    int p = t.indexOf('(');
    String base = p < 0 ? t : t.substring(0, p).strip();
    String params = p < 0 ? "" : t.substring(p).replace(" ", "");
    String canon = switch (base) {
      case "INT", "INT4", "INTEGER", "SIGNED" -> "INTEGER";
      case "INT8", "BIGINT", "LONG" -> "BIGINT";
      case "INT2", "SMALLINT", "SHORT" -> "SMALLINT";
      case "FLOAT8", "DOUBLE", "DOUBLE PRECISION" -> "DOUBLE PRECISION";
      case "FLOAT4", "REAL" -> "REAL";
      case "BOOL", "BOOLEAN", "LOGICAL" -> "BOOLEAN";
      case "NUMERIC", "DECIMAL" -> "NUMERIC";
      case "VARCHAR", "CHARACTER VARYING" -> "VARCHAR";
      case "CHAR", "CHARACTER", "BPCHAR" -> "CHAR";
      case "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE", "DATETIME" -> "TIMESTAMP";
      case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE" -> "TIMESTAMPTZ";
      default -> base;
    };
    return canon + params;
  }

  /** A boolean expression: does {@code patternLiteral} (a SQL string literal) match anywhere in {@code expr}? */
  default String regexMatches(String expr, String patternLiteral) {
    return "regexp_like(" + expr + ", " + patternLiteral + ")";
  }

  /** The continuous percentile {@code p} (0..1) of {@code expr}, as an aggregate. */
  default String percentileCont(String expr, String p) {
    return "percentile_cont(" + p + ") within group (order by " + expr + ")";
  }

  /** Kinds of values a CSV seed column can be inferred as. */
  enum SeedType { INTEGER, BIGINT, NUMBER, BOOLEAN, DATE, TIMESTAMP, TEXT }
}
