package dev.weir.engine.duckdb;

import dev.weir.core.engine.Engine;
import dev.weir.core.engine.EngineFactory;
import dev.weir.core.engine.EngineOptions;
import dev.weir.core.engine.TargetConfig;
import java.util.HashSet;
import java.util.Set;

/**
 * Opens embedded DuckDB warehouses for profile targets of {@code type: duckdb}, reading the
 * target keys the way dbt-duckdb does:
 * <ul>
 *   <li>{@code path}: the database file, relative to the project folder, or {@code :memory:};
 *       when missing, {@code <target>/weir.duckdb};</li>
 *   <li>{@code database}: the catalog; DuckDB names a file's catalog after its base name, so this
 *       must match that name or an {@code attach} alias;</li>
 *   <li>{@code schema} (default {@code main}), {@code threads} (Weir's own parallelism; DuckDB's
 *       thread count is {@code settings: {threads: N}});</li>
 *   <li>{@code settings} / {@code config_options}: DuckDB settings applied with {@code SET};</li>
 *   <li>{@code extensions}: only the bundled parquet, json and icu (LOADed, never downloaded);</li>
 *   <li>{@code attach}: other DuckDB files ({@code path, alias, type, read_only});</li>
 *   <li>{@code read_only}: open without the write lock, like a read-only command does.</li>
 * </ul>
 */
public final class DuckDbEngineFactory implements EngineFactory {

  public static final String TYPE = "duckdb";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Set<String> secretKeys() {
    Set<String> keys = new HashSet<>(EngineFactory.super.secretKeys());
    keys.add("motherduck_token");
    return Set.copyOf(keys);
  }

  @Override
  public Set<String> knownKeys() {
    Set<String> keys = new HashSet<>(DuckDbConfig.SUPPORTED_KEYS);
    keys.addAll(DuckDbConfig.IGNORED_KEYS);
    keys.addAll(DuckDbConfig.UNSUPPORTED_KEYS); // known, so they get a clear "unsupported" error, not a spelling hint
    return Set.copyOf(keys);
  }

  @Override
  public Engine open(TargetConfig target, EngineOptions options) {
    DuckDbConfig config = DuckDbConfig.from(target, options);
    return DuckDbEngine.open(config, options, target.projectDir());
  }

  @Override
  public dev.weir.core.engine.Dialect dialect(dev.weir.core.engine.TargetConfig target) {
    return DuckDbDialect.INSTANCE;
  }
}
