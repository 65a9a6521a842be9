package dev.weir.ingest;

import dev.weir.core.WeirException;
import dev.weir.core.util.Secrets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A source database reached through JDBC: opens connections (credentials from env_var, registered
 * as secrets so that no log line shows them), reads column metadata, primary keys and table lists.
 */
final class SourceDb {
  private static final Pattern ENV = Pattern.compile("\\{\\{\\s*env_var\\(\\s*['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]\\s*(?:,\\s*['\"]([^'\"]*)['\"]\\s*)?\\)\\s*}}");

  final String url;
  private final String user;
  private final String password;
  private final Map<String, String> properties;
  final boolean postgres;
  final boolean sqlite;
  /** MariaDB or MySQL (jdbc:mariadb: or jdbc:mysql:): databases are JDBC catalogs, TIMESTAMP is read in UTC. */
  final boolean mariadb;
  final String file;
  final int line;

  /** A source column: its name, JDBC type and the type it has in the warehouse. */
  record SourceColumn(String name, ColumnType type) {}

  @SuppressWarnings("unchecked")
  SourceDb(Map<String, Object> conn, Function<String, String> env, String file, int line) {
    this.file = file;
    this.line = line;
    this.url = render(String.valueOf(conn.get("url")), env, false);
    this.user = conn.get("user") == null ? null : render(String.valueOf(conn.get("user")), env, false);
    this.password = conn.get("password") == null ? null : render(String.valueOf(conn.get("password")), env, true);
    this.properties = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, String> e : ((Map<String, String>) conn.getOrDefault("properties", Map.of())).entrySet()) {
      String k = e.getKey().toLowerCase(Locale.ROOT);
      properties.put(e.getKey(), render(e.getValue(), env, k.contains("password") || k.contains("secret")));
    }
    this.postgres = url.startsWith("jdbc:postgresql:");
    this.sqlite = url.startsWith("jdbc:sqlite:");
    this.mariadb = url.startsWith("jdbc:mariadb:") || url.startsWith("jdbc:mysql:");
  }

  private String render(String s, Function<String, String> env, boolean secret) {
    Matcher m = ENV.matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = env.apply(m.group(1));
      if (v == null) v = m.group(2);
      if (v == null) throw WeirException.project(file, line, "Env var required but not provided: '" + m.group(1) + "'");
      if (secret) Secrets.register(v);
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  /**
   * A new connection; for Postgres in UTC with ISO dates (what the COPY parser reads), for MariaDB
   * in UTC (its TIMESTAMP columns then read as UTC wall-clock text).
   */
  Connection open() {
    Properties p = new Properties();
    p.putAll(properties);
    if (user != null) p.setProperty("user", user);
    if (password != null) p.setProperty("password", password);
    try {
      Connection c = DriverManager.getConnection(url, p);
      if (postgres) {
        try (Statement st = c.createStatement()) {
          st.execute("set time zone 'UTC'; set datestyle = 'ISO, YMD'; set extra_float_digits = 3; set intervalstyle = 'iso_8601'");
        }
      } else if (mariadb) {
        try (Statement st = c.createStatement()) {
          st.execute("set time_zone = '+00:00'");
        }
      }
      return c;
    } catch (SQLException e) {
      if (String.valueOf(e.getMessage()).startsWith("No suitable driver")) {
        String scheme = url.split(":").length > 1 ? url.split(":")[1] : url;
        throw WeirException.runtime("No JDBC driver for '" + scheme + "' URLs (" + file + ":" + line + "): Weir bundles the"
            + " postgresql, mariadb/mysql and sqlite drivers; put another driver's jar on WEIR_CLASSPATH"
            + " (WEIR_CLASSPATH=/path/driver.jar ./weir ...)", null);
      }
      throw WeirException.runtime("Cannot connect to " + Secrets.mask(url) + " (" + file + ":" + line + "): "
          + Secrets.mask(String.valueOf(e.getMessage())), null);
    }
  }

  /** Quotes an identifier (a dotted name part by part) for this source. */
  String quote(Connection c, String name) throws SQLException {
    String q = c.getMetaData().getIdentifierQuoteString();
    if (q == null || q.isBlank()) return name;
    StringBuilder sb = new StringBuilder();
    for (String part : name.split("\\.")) {
      if (sb.length() > 0) sb.append('.');
      sb.append(q).append(part.replace(q, q + q)).append(q);
    }
    return sb.toString();
  }

  /** The columns {@code select} returns (run with a false condition: no row is read). */
  List<SourceColumn> columns(Connection c, String select) throws SQLException {
    List<SourceColumn> out = new ArrayList<>();
    try (Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("select * from (" + select + ") weir_q where 1 = 0")) {
      ResultSetMetaData md = rs.getMetaData();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        out.add(new SourceColumn(md.getColumnLabel(i), mariadb
            ? ColumnType.fromMariaDb(md.getColumnType(i), md.getColumnTypeName(i), md.getPrecision(i), md.getScale(i))
            : ColumnType.fromJdbc(md.getColumnType(i), md.getColumnTypeName(i), md.getPrecision(i), md.getScale(i), sqlite)));
      }
    }
    return out;
  }

  /**
   * The primary key columns of {@code table} ("schema.table" or "table"), empty when it has none.
   * On MariaDB the schema is the database (a JDBC catalog; none: the connection's own).
   */
  List<String> primaryKey(Connection c, String table) throws SQLException {
    String[] parts = table.split("\\.");
    String schema = parts.length > 1 ? parts[parts.length - 2] : null;
    String name = parts[parts.length - 1];
    DatabaseMetaData md = c.getMetaData();
    java.util.TreeMap<Integer, String> keys = new java.util.TreeMap<>();
    for (String candidate : List.of(name, name.toLowerCase(Locale.ROOT), name.toUpperCase(Locale.ROOT))) {
      try (ResultSet rs = mariadb ? md.getPrimaryKeys(schema != null ? schema : c.getCatalog(), null, candidate)
          : md.getPrimaryKeys(null, schema, candidate)) {
        while (rs.next()) keys.put(rs.getInt("KEY_SEQ"), rs.getString("COLUMN_NAME"));
      }
      if (!keys.isEmpty()) break;
    }
    return new ArrayList<>(keys.values());
  }

  /**
   * Tables matching a LIKE pattern ("schema.prefix_%" or "prefix_%"), as "schema.table" (or "table"),
   * sorted. On MariaDB the schema is the database (none: the connection's own, never all of them).
   */
  List<String> tables(Connection c, String pattern) throws SQLException {
    int dot = pattern.lastIndexOf('.');
    String schema = dot > 0 ? pattern.substring(0, dot) : null;
    String name = dot > 0 ? pattern.substring(dot + 1) : pattern;
    List<String> out = new ArrayList<>();
    String[] kinds = {"TABLE", "VIEW"};
    try (ResultSet rs = mariadb ? c.getMetaData().getTables(schema != null ? schema : c.getCatalog(), null, name, kinds)
        : c.getMetaData().getTables(null, schema, name, kinds)) {
      while (rs.next()) {
        String s = mariadb ? (schema == null ? null : rs.getString("TABLE_CAT")) : rs.getString("TABLE_SCHEM");
        String t = rs.getString("TABLE_NAME");
        if (sqlite && t.startsWith("sqlite_")) continue;
        out.add(s == null || s.isEmpty() || sqlite ? t : s + "." + t);
      }
    }
    java.util.Collections.sort(out);
    return out;
  }

  /** Postgres' estimate of a table's rows (pg_class.reltuples), MariaDB's (information_schema.tables), or -1. */
  long estimateRows(Connection c, String table) {
    if (mariadb) {
      int dot = table.lastIndexOf('.');
      try (var ps = c.prepareStatement("select table_rows from information_schema.tables where table_schema = coalesce(?, database())"
          + " and table_name = ?")) {
        ps.setString(1, dot > 0 ? table.substring(0, dot) : null);
        ps.setString(2, table.substring(dot + 1));
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() && rs.getObject(1) != null ? rs.getLong(1) : -1;
        }
      } catch (SQLException e) {
        return -1;
      }
    }
    if (!postgres) return -1;
    try (var ps = c.prepareStatement("select reltuples::bigint from pg_class where oid = ?::regclass")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    } catch (SQLException e) {
      return -1;
    }
  }
}
