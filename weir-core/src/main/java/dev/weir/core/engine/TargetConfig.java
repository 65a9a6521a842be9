package dev.weir.core.engine;

import java.nio.file.Path;
import java.util.Map;

/**
 * One output of a profile ({@code profiles.yml}): the target Weir builds into. {@code settings}
 * holds the whole output mapping as written, after env_var rendering; engines read their own keys
 * from it. {@code projectDir} resolves relative paths.
 */
public record TargetConfig(String profileName, String name, String type, String database, String schema,
                           int threads, Map<String, Object> settings, Path projectDir) {

  public String string(String key) {
    Object v = settings.get(key);
    return v == null ? null : String.valueOf(v);
  }
}
