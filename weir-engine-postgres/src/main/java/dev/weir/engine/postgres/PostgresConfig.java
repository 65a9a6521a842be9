package dev.weir.engine.postgres;

import dev.weir.core.WeirException;
import dev.weir.core.engine.TargetConfig;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * A Postgres target as read from profiles.yml, with dbt-postgres' keys and defaults. All validation
 * happens here, before anything connects, and every error names the key at fault. The password is
 * kept out of {@link #toString()} and every message.
 *
 * @param host            server host name or address (required)
 * @param port            server port (default 5432)
 * @param user            login role (required)
 * @param password        the password, or null (trust, peer or a .pgpass file)
 * @param dbname          database (required; {@code dbname} or its alias {@code database})
 * @param schema          the default schema (required)
 * @param sslmode         libpq/pgJDBC sslmode (disable, allow, prefer, require, verify-ca, verify-full)
 * @param connectTimeout  seconds to wait for a connection (default 10)
 * @param keepalivesIdle  dbt's TCP keepalive idle seconds; pgJDBC can only switch keepalives on (0: off)
 * @param searchPath      a search_path set on each connection, or null
 * @param role            a role to SET after connecting, or null
 * @param applicationName application_name shown in pg_stat_activity (default "weir")
 * @param retries         extra connection attempts when the server cannot be reached (default 1)
 */
record PostgresConfig(String host, int port, String user, String password, String dbname, String schema,
                      String sslmode, int connectTimeout, int keepalivesIdle, String searchPath, String role,
                      String applicationName, String sslcert, String sslkey, String sslrootcert, String sslpassword,
                      int retries, String where) {

  /** Keys Weir's Postgres engine honours (dbt-postgres' credentials, with its aliases). */
  static final Set<String> SUPPORTED_KEYS = Set.of("type", "host", "port", "user", "password", "pass", "dbname",
      "database", "schema", "threads", "sslmode", "sslcert", "sslkey", "sslrootcert", "sslpassword", "connect_timeout",
      "keepalives_idle", "search_path", "role", "application_name", "retries");

  /** dbt-postgres keys that change nothing for Weir, accepted so that existing profiles keep working. */
  static final Set<String> IGNORED_KEYS = Set.of("sslcontext", "target_session_attrs", "profile", "target", "name");

  /** Keys whose values are secrets. */
  static final Set<String> SECRET_KEYS = Set.of("password", "pass", "sslpassword", "token", "private_key", "secret");

  private static final Set<String> SSLMODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

  static PostgresConfig from(TargetConfig target) {
    Map<String, Object> s = target.settings() == null ? Map.of() : target.settings();
    String where = "profiles.yml: profile '" + target.profileName() + "', target '" + target.name() + "'";

    String host = required(where, s, "host");
    int port = integer(where, s, "port", 5432, 1, 65535);
    String user = str(s.get("user"));
    if (blank(user)) throw error(where, "user", "is required for a Postgres target");
    String password = str(s.get("password"));
    if (password == null) password = str(s.get("pass"));
    String dbname = str(s.get("dbname"));
    if (blank(dbname)) dbname = str(s.get("database"));
    if (blank(dbname)) dbname = target.database();
    if (blank(dbname)) throw error(where, "dbname", "is required for a Postgres target (or its alias 'database')");
    String schema = str(s.get("schema"));
    if (blank(schema)) schema = target.schema();
    if (blank(schema)) throw error(where, "schema", "is required for a Postgres target");
    if (schema.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > PostgresDialect.MAX_IDENTIFIER_BYTES) {
      throw error(where, "schema", "is longer than Postgres' 63-byte limit for names");
    }
    String sslmode = str(s.get("sslmode"));
    if (sslmode != null) {
      sslmode = sslmode.trim().toLowerCase(Locale.ROOT);
      if (!SSLMODES.contains(sslmode)) {
        throw error(where, "sslmode", "must be one of disable, allow, prefer, require, verify-ca, verify-full; got '"
            + sslmode + "'");
      }
    }
    int connectTimeout = integer(where, s, "connect_timeout", 10, 0, 3600);
    int keepalivesIdle = integer(where, s, "keepalives_idle", 0, 0, Integer.MAX_VALUE);
    int retries = integer(where, s, "retries", 1, 0, 100);
    Object threads = s.get("threads");
    if (threads != null && !(threads instanceof Number) && !str(threads).trim().matches("\\d+")) {
      throw error(where, "threads", "must be a whole number, got '" + threads + "'");
    }
    String app = str(s.get("application_name"));
    return new PostgresConfig(host.trim(), port, user, password, dbname, schema, sslmode, connectTimeout,
        keepalivesIdle, emptyToNull(str(s.get("search_path"))), emptyToNull(str(s.get("role"))),
        blank(app) ? "weir" : app, emptyToNull(str(s.get("sslcert"))), emptyToNull(str(s.get("sslkey"))),
        emptyToNull(str(s.get("sslrootcert"))), emptyToNull(str(s.get("sslpassword"))), retries, where);
  }

  /** The JDBC URL (no credentials in it: they go in the properties). */
  String url() {
    String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host; // IPv6 literal
    return "jdbc:postgresql://" + h + ":" + port + "/" + urlEncode(dbname);
  }

  /** Connection properties for pgJDBC. */
  Properties properties() {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (password != null) p.setProperty("password", password);
    if (sslmode != null) p.setProperty("sslmode", sslmode);
    if (sslcert != null) p.setProperty("sslcert", sslcert);
    if (sslkey != null) p.setProperty("sslkey", sslkey);
    if (sslrootcert != null) p.setProperty("sslrootcert", sslrootcert);
    if (sslpassword != null) p.setProperty("sslpassword", sslpassword);
    p.setProperty("connectTimeout", String.valueOf(connectTimeout));
    if (keepalivesIdle > 0) p.setProperty("tcpKeepAlive", "true");
    p.setProperty("ApplicationName", applicationName);
    // Statements go as they are written: no client-side rewriting, and server-prepared statements
    // only for the catalog queries this engine prepares itself.
    p.setProperty("prepareThreshold", "5");
    return p;
  }

  /** host:port/dbname, for messages. */
  String display() {
    return host + ":" + port + "/" + dbname;
  }

  /** Removes the password from a message coming from the driver (defence in depth: it never should contain it). */
  String scrub(String message) {
    if (message == null) return null;
    String m = message;
    for (String secret : new String[] {password, sslpassword}) {
      if (secret != null && secret.length() >= 1) m = m.replace(secret, "****");
    }
    return m;
  }

  @Override
  public String toString() {
    return "PostgresConfig[" + user + "@" + display() + ", schema=" + schema
        + (password == null ? "" : ", password=****") + "]";
  }

  static WeirException error(String where, String key, String message) {
    return new WeirException(WeirException.Kind.PROJECT, where + ": key '" + key + "' " + message);
  }

  private static String required(String where, Map<String, Object> s, String key) {
    String v = str(s.get(key));
    if (blank(v)) throw error(where, key, "is required for a Postgres target");
    return v;
  }

  private static int integer(String where, Map<String, Object> s, String key, int dflt, int min, int max) {
    Object v = s.get(key);
    if (v == null || str(v).isBlank()) return dflt;
    long n;
    try {
      n = v instanceof Number num ? num.longValue() : Long.parseLong(str(v).trim());
    } catch (NumberFormatException e) {
      throw error(where, key, "must be a whole number, got '" + v + "'");
    }
    if (n < min || n > max) throw error(where, key, "must be between " + min + " and " + max + ", got " + n);
    return (int) n;
  }

  private static String urlEncode(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static String emptyToNull(String s) {
    return blank(s) ? null : s;
  }

  private static String str(Object o) {
    return o == null ? null : String.valueOf(o);
  }
}
