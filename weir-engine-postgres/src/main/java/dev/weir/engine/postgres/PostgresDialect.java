package dev.weir.engine.postgres;

import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * PostgreSQL's SQL spelling.
 *
 * <p><b>Names.</b> Every identifier is double-quoted, as dbt-postgres does with its default quote
 * policy. Postgres folds <em>unquoted</em> names to lower case but keeps quoted names exactly, so a
 * model {@code Orders} becomes the relation {@code "Orders"}, and a table created by hand as
 * {@code create table Orders} is {@code orders}. Quoting everything means a name always denotes the
 * relation spelled exactly so. A relation name is {@code "db"."schema"."name"}; Postgres accepts
 * the database part only when it is the database the connection is on (no cross-database
 * references).
 *
 * <p><b>DDL.</b> CREATE SCHEMA takes no database part. DROP never cascades (a cascade would silently
 * drop views of other models or of users; {@link PostgresSession} keeps dependent views instead).
 * Identifiers longer than 63 bytes are truncated by Postgres; {@link PostgresSession} refuses them.
 *
 * <p><b>Seed types</b>, compared with dbt-postgres (which maps agate's types to integer, float8,
 * boolean, date, timestamp without time zone and text):
 * <ul>
 *   <li>INTEGER → {@code bigint}, not dbt-postgres' {@code integer}: Weir infers INTEGER for every
 *       whole number that fits a Java long, and an id or epoch value above 2<sup>31</sup> would make
 *       an {@code integer} column refuse the load. bigint is a widening of integer, so comparisons,
 *       joins and unions with integer columns behave the same; only the reported type differs
 *       (declare {@code column_types: {col: integer}} to get dbt's exact type).</li>
 *   <li>NUMBER → {@code float8}, as dbt-postgres: a seed's decimals are read as doubles, and float8
 *       prints them as written (Postgres 12+ prints the shortest exact form). {@code numeric} would
 *       keep exact decimals but differs from what dbt builds.</li>
 *   <li>BOOLEAN → {@code boolean}, DATE → {@code date}, TIMESTAMP → {@code timestamp without time
 *       zone}, TEXT → {@code text}.</li>
 * </ul>
 */
public final class PostgresDialect implements Dialect {

  public static final PostgresDialect INSTANCE = new PostgresDialect();

  /** Postgres' longest identifier in bytes (NAMEDATALEN - 1); longer names are silently truncated. */
  public static final int MAX_IDENTIFIER_BYTES = 63;

  /**
   * A string literal. Postgres' {@code standard_conforming_strings} (on by default since 9.1) reads
   * backslashes literally, so doubling single quotes is enough; an E'' literal is used when the
   * value holds a backslash, which reads the same whatever that setting is.
   */
  @Override
  public String stringLiteral(String value) {
    if (value.indexOf('\\') >= 0) {
      return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }
    return "'" + value.replace("'", "''") + "'";
  }

  @Override
  public String createSchemaIfNotExists(String database, String schema) {
    return "create schema if not exists " + quote(schema);
  }

  /**
   * {@code <identifier><suffix>}, shortened when that would pass the 63-byte limit (Postgres would
   * otherwise truncate it silently, possibly into the name of the target itself or of another
   * model's relation, and catalog lookups by the full name would not find it): a prefix of the
   * identifier, a hash of the whole of it, then the suffix.
   */
  @Override
  public String scratchIdentifier(String identifier, String suffix) {
    String name = identifier + suffix;
    if (bytes(name) <= MAX_IDENTIFIER_BYTES) return name;
    String hash = String.format(Locale.ROOT, "%08x", identifier.hashCode());
    int budget = MAX_IDENTIFIER_BYTES - bytes(suffix) - hash.length() - 1;
    StringBuilder prefix = new StringBuilder();
    for (int i = 0; i < identifier.length(); ) {
      int cp = identifier.codePointAt(i);
      String ch = new String(Character.toChars(cp));
      if (bytes(prefix + ch) > budget) break;
      prefix.append(ch);
      i += Character.charCount(cp);
    }
    return prefix + "_" + hash + suffix;
  }

  private static int bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /** Postgres: {@code float} without a precision is {@code double precision}. */
  @Override
  public String normalizeType(String type) {
    String t = Dialect.super.normalizeType(type);
    return "FLOAT".equals(t) ? "DOUBLE PRECISION" : t;
  }

  @Override
  public String typeFor(SeedType type) {
    return switch (type) {
      case INTEGER -> "integer";
      case BIGINT -> "bigint";
      case NUMBER -> "float8";
      case BOOLEAN -> "boolean";
      case DATE -> "date";
      case TIMESTAMP -> "timestamp without time zone";
      case TEXT -> "text";
    };
  }

  /** Postgres requires an alias on every subquery in FROM (before 16; Weir targets 12+). */
  @Override
  public boolean subqueryNeedsAlias() {
    return true;
  }

  /**
   * Postgres has GRANT, so dbt's {@code grants} config applies (no @Override: the SPI method is new
   * in weir-core and this keeps compiling against a core without it).
   */
  public boolean supportsGrants() {
    return true;
  }

  /** Privileges from the relation's ACL, leaving out the owner's own. */
  @Override
  public String showGrants(Relation target) {
    return "select case when a.grantee = 0 then 'public' else pg_catalog.pg_get_userbyid(a.grantee) end,"
        + " lower(a.privilege_type)"
        + " from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace,"
        + " pg_catalog.aclexplode(c.relacl) a"
        + " where n.nspname = " + (target.schema() == null ? "current_schema()" : stringLiteral(target.schema()))
        + " and c.relname = " + stringLiteral(target.identifier())
        + " and a.grantee <> c.relowner order by 2, 1";
  }

  /** The SQL keyword(s) naming a kind of relation: table, view or materialized view. */
  @Override
  public String kind(RelationType type) {
    return switch (type) {
      case VIEW -> "view";
      case MATERIALIZED_VIEW -> "materialized view";
      case EXTERNAL -> "foreign table";
      default -> "table";
    };
  }

  @Override
  public String regexMatches(String expr, String patternLiteral) {
    return "(" + expr + " ~ " + patternLiteral + ")";
  }
}
