package dev.weir.cdc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.logging.Logger;

/**
 * The JDBC driver Debezium's MySQL connector uses for Weir's binlog sources ({@code database.protocol =
 * jdbc:weir-binlog}): MySQL Connector/J underneath, with one adaptation for MariaDB. The connector
 * asks for the binlog position with {@code SHOW BINARY LOG STATUS} (MySQL 8.2+) and, since MariaDB 11
 * reports a version above 8.4, does not fall back to {@code SHOW MASTER STATUS}, which is what MariaDB
 * understands (MariaDB's separate Debezium connector is not released for Debezium 3.6). On a MariaDB
 * server this driver rewrites that one statement; on MySQL it changes nothing.
 */
public final class BinlogJdbcDriver implements Driver {
  /** The URL prefix this driver answers. */
  static final String PROTOCOL = "jdbc:weir-binlog";
  private static final String TARGET = "jdbc:mysql";

  static {
    try {
      DriverManager.registerDriver(new BinlogJdbcDriver());
    } catch (SQLException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Makes sure the driver is registered with {@link DriverManager}; returns its URL prefix. */
  static String load() {
    return PROTOCOL;
  }

  private final Driver mysql = new com.mysql.cj.jdbc.Driver();

  public BinlogJdbcDriver() throws SQLException {}

  @Override
  public Connection connect(String url, Properties info) throws SQLException {
    if (!acceptsURL(url)) return null;
    Connection c = mysql.connect(TARGET + url.substring(PROTOCOL.length()), info);
    if (c == null) return null;
    String version = String.valueOf(c.getMetaData().getDatabaseProductVersion());
    if (!version.toLowerCase(Locale.ROOT).contains("mariadb")) return c;
    return (Connection) Proxy.newProxyInstance(BinlogJdbcDriver.class.getClassLoader(), new Class<?>[] {Connection.class},
        new Rewriting(c));
  }

  /** MariaDB's spelling of a statement MySQL 8.2+ renamed. */
  static String rewrite(String sql) {
    if (sql != null && sql.strip().equalsIgnoreCase("SHOW BINARY LOG STATUS")) return "SHOW MASTER STATUS";
    return sql;
  }

  /** Rewrites the SQL of statements made by a connection, and of its statements' execute calls. */
  private static final class Rewriting implements InvocationHandler {
    private final Object target;

    Rewriting(Object target) { this.target = target; }

    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
      if (args != null && args.length > 0 && args[0] instanceof String sql
          && (m.getName().startsWith("execute") || m.getName().startsWith("prepare") || m.getName().equals("addBatch"))) {
        args[0] = rewrite(sql);
      }
      Object r;
      try {
        r = m.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
      if (r instanceof Statement st && m.getName().equals("createStatement")) {
        return Proxy.newProxyInstance(BinlogJdbcDriver.class.getClassLoader(), new Class<?>[] {Statement.class}, new Rewriting(st));
      }
      return r;
    }
  }

  @Override
  public boolean acceptsURL(String url) { return url != null && url.startsWith(PROTOCOL + ":"); }

  @Override
  public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) throws SQLException {
    return mysql.getPropertyInfo(TARGET + url.substring(PROTOCOL.length()), info);
  }

  @Override
  public int getMajorVersion() { return mysql.getMajorVersion(); }

  @Override
  public int getMinorVersion() { return mysql.getMinorVersion(); }

  @Override
  public boolean jdbcCompliant() { return false; }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException { throw new SQLFeatureNotSupportedException(); }
}
