package dev.weir.orchestrate.store;

import dev.weir.core.WeirException;
import dev.weir.core.util.Secrets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The metadata store in PostgreSQL, for teams: several schedulers on several hosts share it. Same tables and
 * migrations as the SQLite store (V1 differs only in how run ids are generated); by default in schema
 * {@code weir_meta}, which Flyway creates. Fenced writes lock the lease row they compare ({@code for share}), so a
 * takeover that commits while such a write runs makes the write change nothing, as under SQLite's single writer.
 */
public final class PostgresStore extends JdbcStore {
  /** The schema the tables go to unless the URL's {@code currentSchema} says otherwise. */
  public static final String DEFAULT_SCHEMA = "weir_meta";

  /**
   * Connects to {@code url} ({@code jdbc:postgresql://host:port/db?...}) and brings the schema up to date.
   *
   * @param user the user (null: from the URL)
   * @param password the password (null: from the URL or the server's trust rules); never shown in messages
   */
  public PostgresStore(String url, String user, String password) {
    super(display(url), open(url, user, password));
  }

  private static Connection open(String url, String user, String password) {
    if (password != null && !password.isEmpty()) Secrets.register(password);
    String schema = schemaOf(url);
    migrate(url, user, password, "postgresql", schema, display(url));
    Properties p = new Properties();
    if (user != null) p.setProperty("user", user);
    if (password != null) p.setProperty("password", password);
    p.setProperty("ApplicationName", "weir");
    try {
      Connection conn = DriverManager.getConnection(url, p);
      try (Statement st = conn.createStatement()) {
        st.execute("set search_path to " + quote(schema));
      }
      return conn;
    } catch (SQLException e) {
      throw WeirException.runtime("Cannot connect to the metadata store " + display(url) + ": " + Secrets.mask(e.getMessage()), e);
    }
  }

  @Override
  protected void lockPool(String pool) throws SQLException {
    try (java.sql.PreparedStatement ps = conn.prepareStatement("insert into pool_locks (pool) values (?) on conflict do nothing")) {
      ps.setString(1, pool);
      ps.executeUpdate();
    }
    try (java.sql.PreparedStatement ps = conn.prepareStatement("select pool from pool_locks where pool = ? for update")) {
      ps.setString(1, pool);
      ps.executeQuery().close();
    }
  }

  @Override
  protected String fenced() {
    return "(? is null or exists (select 1 from leases where resource = ? and token = ? for share))";
  }

  /** The URL without user, password or other parameters (for messages). */
  public static String display(String url) {
    int q = url.indexOf('?');
    String base = q < 0 ? url : url.substring(0, q);
    return base.replaceAll("//[^/@]*@", "//");
  }

  /** The {@code currentSchema} of the URL, else {@link #DEFAULT_SCHEMA}. */
  static String schemaOf(String url) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("[?&]currentSchema=([^&]+)").matcher(url);
    return m.find() ? m.group(1) : DEFAULT_SCHEMA;
  }

  private static String quote(String id) { return "\"" + id.replace("\"", "\"\"") + "\""; }
}
