package dev.weir.engine.duckdb;

import dev.weir.core.WeirException;
import dev.weir.core.engine.EngineOptions;
import dev.weir.core.engine.TargetConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A DuckDB target as read from profiles.yml, with dbt-duckdb's keys and defaults. All validation
 * of the profile happens here, before anything is opened, and every error names the key at fault.
 *
 * @param file       the database file, or null for an in-memory database
 * @param database   the catalog Weir builds into when a node sets none (null: the file's own catalog)
 * @param schema     the default schema
 * @param readOnly   open without the write lock
 * @param extensions bundled extensions to LOAD
 * @param settings   DuckDB settings to SET, in order
 * @param attach     other databases to ATTACH
 */
record DuckDbConfig(Path file, String database, String schema, boolean readOnly, List<String> extensions,
                    Map<String, Object> settings, List<Attachment> attach, String where) {

  /** One entry of {@code attach:}. */
  record Attachment(String path, Path file, String alias, String type, boolean readOnly) {}

  /** Extensions compiled into the DuckDB JDBC jar: the only ones that work offline. */
  static final Set<String> BUNDLED_EXTENSIONS = Set.of("parquet", "json", "icu");

  /** Keys Weir's DuckDB engine honours. */
  static final Set<String> SUPPORTED_KEYS = Set.of("type", "path", "database", "schema", "threads",
      "settings", "config_options", "extensions", "attach", "read_only");

  /** dbt-duckdb keys that change nothing for Weir: accepted so that existing profiles keep working. */
  static final Set<String> IGNORED_KEYS = Set.of("keep_open", "disable_transactions", "retries", "external_root",
      "module_paths", "profile", "target", "name");

  /** dbt-duckdb keys for features Weir does not offer: rejected with a clear message. */
  static final Set<String> UNSUPPORTED_KEYS = Set.of("plugins", "filesystems", "secrets",
      "use_credential_provider", "remote", "motherduck_token", "is_ducklake");

  private static final Pattern SETTING_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

  static DuckDbConfig from(TargetConfig target, EngineOptions options) {
    Map<String, Object> s = target.settings() == null ? Map.of() : target.settings();
    String where = "profiles.yml: profile '" + target.profileName() + "', target '" + target.name() + "'";

    for (String key : s.keySet()) {
      if (UNSUPPORTED_KEYS.contains(key)) {
        throw error(where, key, "is a dbt-duckdb feature Weir does not support (Weir runs offline on embedded "
            + "DuckDB); remove it from the target");
      }
    }

    Path projectDir = target.projectDir() == null ? Path.of("") : target.projectDir();
    String pathValue = str(s.get("path"));
    Path file;
    if (pathValue == null || pathValue.isBlank()) {
      Path targetDir = options.targetDir() != null ? options.targetDir() : projectDir.resolve("target");
      file = projectDir.resolve(targetDir).resolve("weir.duckdb").normalize();
    } else if (pathValue.equals(":memory:") || pathValue.startsWith(":memory:")) {
      file = null;
    } else if (pathValue.startsWith("md:") || pathValue.startsWith("motherduck:")) {
      throw error(where, "path", "'" + pathValue + "' is a MotherDuck database; Weir only opens local DuckDB files");
    } else if (pathValue.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      throw error(where, "path", "'" + pathValue + "' is a remote URL; Weir only opens local DuckDB files");
    } else {
      file = projectDir.resolve(expandHome(pathValue)).normalize();
    }

    String database = str(s.get("database"));
    if (database == null) database = target.database();
    if (database != null && database.isBlank()) database = null;
    String schema = str(s.get("schema"));
    if (schema == null || schema.isBlank()) schema = target.schema();
    if (schema == null || schema.isBlank()) schema = "main";

    boolean readOnly = options.readOnly() || bool(where, "read_only", s.get("read_only"));

    Object threads = s.get("threads");
    if (threads != null && !(threads instanceof Number) && !str(threads).matches("\\d+")) {
      throw error(where, "threads", "must be a whole number, got '" + threads + "'");
    }

    List<String> extensions = new ArrayList<>();
    for (Object e : list(where, "extensions", s.get("extensions"))) {
      String name = e instanceof Map<?, ?> m ? str(m.get("name")) : str(e);
      if (name == null || name.isBlank()) throw error(where, "extensions", "has an entry without a name");
      name = name.trim().toLowerCase(Locale.ROOT);
      if (!BUNDLED_EXTENSIONS.contains(name)) {
        throw error(where, "extensions", "extension '" + name + "' is not available: only the bundled parquet, json "
            + "and icu extensions are available offline (Weir never downloads extensions)");
      }
      if (!extensions.contains(name)) extensions.add(name);
    }

    Map<String, Object> settings = new LinkedHashMap<>();
    for (String key : List.of("config_options", "settings")) {
      Object v = s.get(key);
      if (v == null) continue;
      if (!(v instanceof Map<?, ?> m)) throw error(where, key, "must be a mapping of DuckDB setting names to values");
      for (Map.Entry<?, ?> en : m.entrySet()) {
        String name = String.valueOf(en.getKey());
        if (!SETTING_NAME.matcher(name).matches()) {
          throw error(where, key + "." + name, "is not a valid DuckDB setting name");
        }
        Object value = en.getValue();
        if (value instanceof Map<?, ?> || value instanceof Collection<?>) {
          throw error(where, key + "." + name, "must be a single value (string, number or boolean)");
        }
        settings.put(name, value);
      }
    }

    List<Attachment> attach = new ArrayList<>();
    for (Object a : list(where, "attach", s.get("attach"))) {
      if (!(a instanceof Map<?, ?> m)) throw error(where, "attach", "entries must be mappings with path, alias, type, read_only");
      for (Object k : m.keySet()) {
        if (!Set.of("path", "alias", "type", "read_only").contains(String.valueOf(k))) {
          throw error(where, "attach." + k, "is not a known attach option (path, alias, type, read_only)");
        }
      }
      String path = str(m.get("path"));
      if (path == null || path.isBlank()) throw error(where, "attach.path", "is required");
      String type = str(m.get("type"));
      if (type != null && !type.equalsIgnoreCase("duckdb")) {
        throw error(where, "attach.type", "'" + type + "' needs an extension that is not bundled; only DuckDB files can be attached offline");
      }
      Path attachFile = null;
      if (!path.startsWith(":memory:")) {
        if (path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") || path.startsWith("md:")) {
          throw error(where, "attach.path", "'" + path + "' is remote; only local DuckDB files can be attached");
        }
        attachFile = projectDir.resolve(expandHome(path)).normalize();
      }
      String alias = str(m.get("alias"));
      if (alias == null || alias.isBlank()) {
        alias = attachFile == null ? null : stem(attachFile);
        if (alias == null) throw error(where, "attach.alias", "is required when attaching ':memory:'");
      }
      boolean ro = readOnly || bool(where, "attach.read_only", m.get("read_only"));
      attach.add(new Attachment(path, attachFile, alias, "duckdb", ro));
    }

    return new DuckDbConfig(file, database, schema, readOnly, List.copyOf(extensions), settings, List.copyOf(attach), where);
  }

  /** The catalog name DuckDB gives a database file: its base name without extension. */
  static String stem(Path file) {
    String n = file.getFileName().toString();
    int dot = n.indexOf('.');
    return dot > 0 ? n.substring(0, dot) : n;
  }

  static WeirException error(String where, String key, String message) {
    return new WeirException(WeirException.Kind.PROJECT, where + ": key '" + key + "' " + message);
  }

  private static String expandHome(String p) {
    if (p.equals("~") || p.startsWith("~/")) return System.getProperty("user.home") + p.substring(1);
    return p;
  }

  private static String str(Object o) {
    return o == null ? null : String.valueOf(o);
  }

  private static boolean bool(String where, String key, Object o) {
    if (o == null) return false;
    if (o instanceof Boolean b) return b;
    String v = String.valueOf(o).trim().toLowerCase(Locale.ROOT);
    if (v.equals("true") || v.equals("yes") || v.equals("1")) return true;
    if (v.equals("false") || v.equals("no") || v.equals("0") || v.isEmpty()) return false;
    throw error(where, key, "must be true or false, got '" + o + "'");
  }

  private static List<?> list(String where, String key, Object o) {
    if (o == null) return List.of();
    if (o instanceof List<?> l) return l;
    if (o instanceof String str && key.equals("extensions")) return List.of(str.split("\\s*,\\s*"));
    throw error(where, key, "must be a list");
  }
}
