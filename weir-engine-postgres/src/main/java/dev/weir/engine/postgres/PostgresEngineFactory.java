package dev.weir.engine.postgres;

import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Engine;
import dev.weir.core.engine.EngineFactory;
import dev.weir.core.engine.EngineOptions;
import dev.weir.core.engine.TargetConfig;
import java.util.HashSet;
import java.util.Set;

/**
 * Opens PostgreSQL warehouses for profile targets of {@code type: postgres}, reading the keys the
 * way dbt-postgres does:
 * <ul>
 *   <li>{@code host} (required), {@code port} (default 5432), {@code user} (required),
 *       {@code password} (alias {@code pass}; a secret, never shown), {@code dbname} (alias
 *       {@code database}; required), {@code schema} (required), {@code threads};</li>
 *   <li>{@code sslmode}, {@code sslcert}, {@code sslkey}, {@code sslrootcert}, {@code sslpassword}
 *       (a secret), {@code connect_timeout} (seconds, default 10), {@code keepalives_idle} (any value
 *       above 0 switches TCP keepalives on: pgJDBC cannot set the idle time), {@code retries}
 *       (extra connection attempts when the server cannot be reached, default 1);</li>
 *   <li>{@code search_path} (set on each connection), {@code role} (SET ROLE after connecting),
 *       {@code application_name} (default {@code weir}).</li>
 * </ul>
 * The dialect needs no connection. Opening connects once (so a wrong host, port, database or
 * password fails at once, with a message naming {@code user@host:port/dbname} and never the
 * password).
 */
public final class PostgresEngineFactory implements EngineFactory {

  public static final String TYPE = "postgres";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Set<String> secretKeys() {
    Set<String> keys = new HashSet<>(EngineFactory.super.secretKeys());
    keys.addAll(PostgresConfig.SECRET_KEYS);
    return Set.copyOf(keys);
  }

  @Override
  public Set<String> knownKeys() {
    Set<String> keys = new HashSet<>(PostgresConfig.SUPPORTED_KEYS);
    keys.addAll(PostgresConfig.IGNORED_KEYS);
    return Set.copyOf(keys);
  }

  @Override
  public Dialect dialect(TargetConfig target) {
    return PostgresDialect.INSTANCE;
  }

  @Override
  public PostgresEngine open(TargetConfig target, EngineOptions options) {
    return PostgresEngine.open(PostgresConfig.from(target), options);
  }
}
