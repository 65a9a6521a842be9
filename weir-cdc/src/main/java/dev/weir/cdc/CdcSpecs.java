package dev.weir.cdc;

import dev.weir.core.WeirException;
import dev.weir.core.util.Suggest;
import dev.weir.core.util.Yaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

/**
 * Reads the CDC sources of a project from {@code cdc/*.yml}. A file holds one source (a mapping with
 * {@code name:}) or several ({@code cdc: [...]}). Errors name the file and line; unknown keys get the
 * closest known key as a suggestion. The password is accepted only from an environment variable
 * ({@code {env_var: NAME}} or {@code "{{ env_var('NAME') }}"}) and is registered for masking.
 */
public final class CdcSpecs {
  /** The folder of CDC files inside a project. */
  public static final String FOLDER = "cdc";

  private static final Set<String> KEYS = Set.of("name", "description", "connector", "host", "port", "database", "user",
      "password", "tables", "table_pattern", "target_schema", "snapshot", "soft_delete", "history", "slot", "publication",
      "max_batch", "server_id", "publish");
  private static final Set<String> PUBLISH_KEYS = Set.of("bootstrap_servers", "topic_prefix", "properties", "warehouse", "schemas");
  private static final List<String> CONNECTORS = List.of("postgres", "mysql", "mariadb");
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*\\.[A-Za-z_][A-Za-z0-9_$]*");

  private CdcSpecs() {}

  /** All CDC sources of the project at {@code projectDir}, by name, in file order. */
  public static Map<String, CdcSpec> load(Path projectDir, Map<String, String> env) {
    Path dir = projectDir.resolve(FOLDER);
    Map<String, CdcSpec> out = new LinkedHashMap<>();
    if (!Files.isDirectory(dir)) return out;
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".yml") || p.getFileName().toString().endsWith(".yaml"))
          .sorted().toList();
    } catch (IOException e) {
      throw WeirException.project(dir, 0, "Cannot list CDC files: " + e.getMessage());
    }
    for (Path f : files) {
      String shown = FOLDER + "/" + f.getFileName();
      for (CdcSpec spec : parseFile(Yaml.load(f, shown), shown, env)) {
        CdcSpec before = out.putIfAbsent(spec.name(), spec);
        if (before != null) {
          throw WeirException.project(shown, spec.line(), "CDC source '" + spec.name() + "' is declared twice (also in "
              + before.file() + " line " + before.line() + ")");
        }
      }
    }
    return out;
  }

  /** Parses the text of one CDC file (tests, and {@link #load}). */
  public static List<CdcSpec> parse(String yaml, String file, Map<String, String> env) {
    return parseFile(Yaml.parse(yaml, file), file, env);
  }

  private static List<CdcSpec> parseFile(Object root, String file, Map<String, String> env) {
    List<CdcSpec> out = new ArrayList<>();
    if (root == null) return out;
    if (!(root instanceof Yaml.YMap m)) throw WeirException.project(file, 1, "A CDC file must hold a mapping (name:, connector:, tables:, ...) or 'cdc: [...]'");
    if (m.containsKey("cdc") && !m.containsKey("name")) {
      if (m.size() > 1) {
        String other = m.keySet().stream().filter(k -> !k.equals("cdc")).findFirst().orElseThrow();
        throw WeirException.project(file, m.lineOf(other), "Unknown key '" + other + "' next to 'cdc:'");
      }
      if (!(m.get("cdc") instanceof Yaml.YList list)) throw WeirException.project(file, m.lineOf("cdc"), "'cdc' must be a list of sources");
      for (int i = 0; i < list.size(); i++) {
        if (!(list.get(i) instanceof Yaml.YMap sm)) throw WeirException.project(file, list.lineOf(i), "Each entry of 'cdc' must be a mapping");
        out.add(parseSource(sm, file, env));
      }
      return out;
    }
    out.add(parseSource(m, file, env));
    return out;
  }

  private static CdcSpec parseSource(Yaml.YMap m, String file, Map<String, String> env) {
    for (String key : m.keySet()) {
      if (!KEYS.contains(key)) throw WeirException.project(file, m.lineOf(key), "Unknown key '" + key + "' in CDC source." + Suggest.didYouMean(key, KEYS));
    }
    String name = string(m, "name", file);
    if (!NAME.matcher(name).matches()) {
      throw WeirException.project(file, m.lineOf("name"), "CDC source name '" + name + "' must be letters, digits and underscores");
    }
    String connector = m.containsKey("connector") ? string(m, "connector", file).toLowerCase(Locale.ROOT) : "postgres";
    if (!CONNECTORS.contains(connector)) {
      throw WeirException.project(file, m.lineOf("connector"), "Unknown connector '" + connector + "': use postgres, mysql or mariadb."
          + Suggest.didYouMean(connector, CONNECTORS));
    }
    boolean binlog = !connector.equals("postgres");
    for (String pgOnly : List.of("slot", "publication")) {
      if (binlog && m.containsKey(pgOnly)) {
        throw WeirException.project(file, m.lineOf(pgOnly), "'" + pgOnly + "' is for postgres sources; a " + connector
            + " source reads the binlog as a replica (set 'server_id' instead)");
      }
    }
    if (!binlog && m.containsKey("server_id")) {
      throw WeirException.project(file, m.lineOf("server_id"), "'server_id' is for mysql and mariadb sources (postgres uses 'slot')");
    }
    String host = m.containsKey("host") ? value(m, "host", file, env, false) : "localhost";
    int port = binlog ? 3306 : 5432;
    if (m.containsKey("port")) {
      String p = value(m, "port", file, env, false);
      try {
        port = Integer.parseInt(p.strip());
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port <= 0 || port > 65535) throw WeirException.project(file, m.lineOf("port"), "'port' must be a port number, not '" + p + "'");
    }
    if (!m.containsKey("database")) throw WeirException.project(file, m.line, "CDC source '" + name + "' has no 'database:'");
    String database = value(m, "database", file, env, false);
    if (!m.containsKey("user")) throw WeirException.project(file, m.line, "CDC source '" + name + "' has no 'user:'");
    String user = value(m, "user", file, env, false);
    if (!m.containsKey("password")) {
      throw WeirException.project(file, m.line, "CDC source '" + name + "' has no 'password:' (give it as {env_var: NAME})");
    }
    String password = value(m, "password", file, env, true);
    List<String> tables = new ArrayList<>();
    Pattern pattern = null;
    if (m.get("tables") != null) {
      Object t = m.get("tables");
      if (!(t instanceof Yaml.YList tl) || tl.isEmpty()) {
        throw WeirException.project(file, m.lineOf("tables"), "'tables' must be a non-empty list of schema.table names");
      }
      for (int i = 0; i < tl.size(); i++) {
        String tn = String.valueOf(tl.get(i)).strip();
        if (!tn.contains(".")) tn = (binlog ? database : "public") + "." + tn;
        if (!TABLE.matcher(tn).matches()) {
          throw WeirException.project(file, tl.lineOf(i), "Table '" + tl.get(i) + "' must be '" + (binlog ? "database" : "schema")
              + ".table' (letters, digits, underscores)");
        }
        if (binlog && !tn.substring(0, tn.indexOf('.')).equals(database)) {
          throw WeirException.project(file, tl.lineOf(i), "Table '" + tl.get(i) + "' is not in database '" + database
              + "': a " + connector + " source captures tables of its 'database' (declare another source for another database)");
        }
        tables.add(tn);
      }
    }
    if (m.containsKey("table_pattern")) {
      String p = string(m, "table_pattern", file);
      try {
        pattern = Pattern.compile(p);
      } catch (PatternSyntaxException e) {
        throw WeirException.project(file, m.lineOf("table_pattern"), "table_pattern is not a valid regular expression: " + e.getDescription());
      }
    }
    if (tables.isEmpty() && pattern == null) {
      throw WeirException.project(file, m.line, "CDC source '" + name + "' names no table: set 'tables: [public.t1, ...]' or 'table_pattern:'");
    }
    if (!tables.isEmpty() && pattern != null) {
      throw WeirException.project(file, m.lineOf("table_pattern"), "CDC source '" + name + "': set 'tables' or 'table_pattern', not both");
    }
    String targetSchema = m.containsKey("target_schema") ? string(m, "target_schema", file) : "raw_" + name;
    if (!NAME.matcher(targetSchema).matches()) {
      throw WeirException.project(file, m.lineOf("target_schema"), "target_schema '" + targetSchema + "' must be a schema name (letters, digits, underscores)");
    }
    CdcSpec.Snapshot snapshot = CdcSpec.Snapshot.INITIAL;
    if (m.containsKey("snapshot")) {
      String s = string(m, "snapshot", file).toLowerCase(Locale.ROOT);
      if (s.equals("initial")) snapshot = CdcSpec.Snapshot.INITIAL;
      else if (s.equals("never")) snapshot = CdcSpec.Snapshot.NEVER;
      else throw WeirException.project(file, m.lineOf("snapshot"), "Unknown snapshot '" + s + "': use initial or never." + Suggest.didYouMean(s, List.of("initial", "never")));
    }
    boolean softDelete = bool(m, "soft_delete", file, false);
    boolean history = bool(m, "history", file, false);
    String slot = binlog ? null : m.containsKey("slot") ? string(m, "slot", file) : "weir_" + name.toLowerCase(Locale.ROOT);
    if (slot != null && !slot.matches("[a-z0-9_]{1,63}")) {
      throw WeirException.project(file, m.lineOf("slot"), "slot '" + slot + "' must be lower-case letters, digits and underscores (Postgres' rule for slot names)");
    }
    String publication = binlog ? null : m.containsKey("publication") ? string(m, "publication", file) : "weir_" + name.toLowerCase(Locale.ROOT);
    if (publication != null && !NAME.matcher(publication).matches()) {
      throw WeirException.project(file, m.lineOf("publication"), "publication '" + publication + "' must be letters, digits and underscores");
    }
    int maxBatch = 10_000;
    if (m.containsKey("max_batch")) {
      Object v = m.get("max_batch");
      if (!(v instanceof Long l) || l <= 0 || l > 1_000_000) throw WeirException.project(file, m.lineOf("max_batch"), "'max_batch' must be a whole number from 1 to 1000000");
      maxBatch = (int) (long) l;
    }
    long serverId = 0;
    if (binlog) {
      serverId = defaultServerId(name);
      if (m.containsKey("server_id")) {
        Object v = m.get("server_id");
        if (!(v instanceof Long l) || l <= 0 || l > 4_294_967_295L) {
          throw WeirException.project(file, m.lineOf("server_id"), "'server_id' must be a whole number from 1 to 4294967295, unique among the server's replicas");
        }
        serverId = l;
      }
    }
    CdcSpec.Publish publish = null;
    if (m.get("publish") != null) {
      if (!(m.get("publish") instanceof Yaml.YMap p)) {
        throw WeirException.project(file, m.lineOf("publish"), "'publish' must be a mapping: {bootstrap_servers: ..., topic_prefix: ...}");
      }
      for (String key : p.keySet()) {
        if (!PUBLISH_KEYS.contains(key)) throw WeirException.project(file, p.lineOf(key), "Unknown key '" + key + "' in publish." + Suggest.didYouMean(key, PUBLISH_KEYS));
      }
      if (p.get("bootstrap_servers") == null) throw WeirException.project(file, p.line, "'publish' needs 'bootstrap_servers' (host:port of the Kafka brokers)");
      String prefix = p.get("topic_prefix") == null ? name : value(p, "topic_prefix", file, env, false);
      if (!prefix.matches("[A-Za-z0-9._-]+")) throw WeirException.project(file, p.lineOf("topic_prefix"), "topic_prefix '" + prefix + "' may hold letters, digits, '.', '_' and '-'");
      Map<String, String> props = new java.util.LinkedHashMap<>();
      if (p.get("properties") != null) {
        if (!(p.get("properties") instanceof Yaml.YMap pm)) throw WeirException.project(file, p.lineOf("properties"), "'properties' must be a mapping of Kafka producer settings");
        for (String k : pm.keySet()) {
          boolean secret = k.toLowerCase(Locale.ROOT).contains("password") || k.toLowerCase(Locale.ROOT).contains("jaas");
          props.put(k, value(pm, k, file, env, secret));
        }
      }
      boolean warehouse = bool(p, "warehouse", file, true);
      if (!warehouse && (softDelete || history)) {
        throw WeirException.project(file, p.lineOf("warehouse"), "CDC source '" + name + "': with 'publish.warehouse: false' Kafka is the only"
            + " transport and no warehouse table is written here, so 'soft_delete' and 'history' do not apply (a stream with format"
            + " debezium applies the topics)");
      }
      publish = new CdcSpec.Publish(value(p, "bootstrap_servers", file, env, false), prefix, props, warehouse, bool(p, "schemas", file, true));
    }
    return new CdcSpec(name, file, m.line, connector, host, port, database, user, password, List.copyOf(tables), pattern,
        targetSchema, snapshot, softDelete, history, slot, publication, maxBatch, serverId, publish);
  }

  /**
   * The replica id a binlog source registers with when none is given: derived from the source's
   * name (stable across runs, different for different names), in 5,400,000..6,399,999, clear of the
   * small ids servers and hand-made replicas usually take.
   */
  static long defaultServerId(String name) {
    return 5_400_000L + Math.floorMod(name.toLowerCase(Locale.ROOT).hashCode(), 1_000_000);
  }

  private static boolean bool(Yaml.YMap m, String key, String file, boolean dflt) {
    if (!m.containsKey(key) || m.get(key) == null) return dflt;
    Object v = m.get(key);
    if (v instanceof Boolean b) return b;
    throw WeirException.project(file, m.lineOf(key), "'" + key + "' must be true or false");
  }

  private static String string(Yaml.YMap m, String key, String file) {
    Object v = m.get(key);
    if (v == null) throw WeirException.project(file, m.lineOf(key), "'" + key + "' is missing or empty");
    if (v instanceof Yaml.YMap || v instanceof Yaml.YList) throw WeirException.project(file, m.lineOf(key), "'" + key + "' must be a single value");
    return String.valueOf(v);
  }

  private static String value(Yaml.YMap m, String key, String file, Map<String, String> env, boolean secret) {
    return dev.weir.core.util.SettingValues.value(m, key, file, env, secret);
  }

}
