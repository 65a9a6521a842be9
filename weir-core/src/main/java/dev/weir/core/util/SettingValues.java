package dev.weir.core.util;

import dev.weir.core.WeirException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Settings of files that connect to other systems ({@code streams/*.yml}, {@code cdc/*.yml}): a value is a literal,
 * {@code {env_var: NAME}} (optionally with {@code default:}) or {@code "{{ env_var('NAME') }}"} /
 * {@code "{{ env_var('NAME', 'default') }}"}. Secrets must come from the environment, without a default; their values
 * are registered for masking. Errors name the file and the key's line.
 */
public final class SettingValues {
  private static final Pattern ENV_VAR_TEMPLATE =
      Pattern.compile("\\{\\{\\s*env_var\\(\\s*['\"]([^'\"]+)['\"]\\s*(?:,\\s*['\"]([^'\"]*)['\"]\\s*)?\\)\\s*}}");

  private SettingValues() {}

  /** The value of {@code key} in {@code m} (see the class comment); {@code secret} refuses literals and defaults. */
  public static String value(Yaml.YMap m, String key, String file, Map<String, String> env, boolean secret) {
    Object v = m.get(key);
    String envName = null;
    String dflt = null;
    if (v instanceof Yaml.YMap em) {
      if (!em.containsKey("env_var") || em.keySet().stream().anyMatch(k -> !k.equals("env_var") && !k.equals("default"))) {
        throw WeirException.project(file, m.lineOf(key), "'" + key + "' must be a value or {env_var: NAME} (optionally with default:)");
      }
      envName = String.valueOf(em.get("env_var"));
      if (em.get("default") != null) dflt = String.valueOf(em.get("default"));
    } else if (v instanceof String s) {
      Matcher mt = ENV_VAR_TEMPLATE.matcher(s.strip());
      if (mt.matches()) {
        envName = mt.group(1);
        dflt = mt.group(2);
      }
    }
    if (envName != null) {
      if (secret && dflt != null) {
        throw WeirException.project(file, m.lineOf(key), "'" + key + "' is a secret: its env_var may not have a default (that would put the secret in the project)");
      }
      String val = env.get(envName);
      if (val == null) val = dflt;
      if (val == null) throw WeirException.project(file, m.lineOf(key), "'" + key + "' reads environment variable " + envName + ", which is not set");
      if (secret) Secrets.register(val);
      return val;
    }
    if (secret) {
      throw WeirException.project(file, m.lineOf(key), "'" + key + "' is a secret: give it as {env_var: NAME} (or \"{{ env_var('NAME') }}\"), never as a literal in the project");
    }
    if (v == null || v instanceof Yaml.YList) throw WeirException.project(file, m.lineOf(key), "'" + key + "' must be a single value");
    return String.valueOf(v);
  }
}
