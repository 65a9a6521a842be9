package dev.weir.core.project;

import dev.weir.core.WeirException;
import dev.weir.core.engine.TargetConfig;
import dev.weir.core.util.Suggest;
import dev.weir.core.util.Yaml.YList;
import dev.weir.core.util.Yaml.YMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Ingestions ({@code ingestions:} in properties YAML): tables Weir loads from another database.
 * Each table entry becomes an INGESTION node ({@code ingestion.<pkg>.<ingestion>.<table>}) and,
 * for tables named or given by a query, the source {@code source.<pkg>.<ingestion>.<table>} that
 * depends on it, so that {@code source('<ingestion>', '<table>')} reads what Weir loaded and the
 * ingestion runs before the models that use it. A {@code pattern:} entry is one node that loads
 * every matching table; its tables are not sources (their names are known only at run time).
 *
 * <p>The resolved settings of a table (connection, mode, cursor, ...) are kept in the node's
 * {@code extra} under {@code "ingest"} for the runner (module weir-ingest). Everything is checked
 * here so that a mistake is reported at parse time with its file and line.
 */
public final class IngestionSpecs {
  private IngestionSpecs() {}

  /** The modes a table loads in. */
  public static final List<String> MODES = List.of("full_refresh", "incremental", "append", "upsert");
  /** The on_schema_change values. */
  public static final List<String> ON_SCHEMA_CHANGE = List.of("append_new_columns", "fail");

  private static final Set<String> KEYS = Set.of("name", "description", "connection", "schema", "database", "mode",
      "on_schema_change", "bad_rows", "tables", "fetch_size", "tags", "meta", "enabled", "files");
  private static final Set<String> CONNECTION_KEYS = Set.of("url", "user", "password", "properties");
  private static final Set<String> TABLE_KEYS = Set.of("name", "description", "source_table", "query", "pattern", "mode",
      "cursor", "lookback", "primary_key", "columns", "split", "on_schema_change", "bad_rows", "tags", "meta", "enabled",
      "fetch_size", "data_tests", "tests");
  private static final Set<String> COLUMNS_KEYS = Set.of("include", "exclude", "rename", "types");
  private static final Set<String> SPLIT_KEYS = Set.of("column", "parallelism");
  private static final Set<String> BAD_ROWS_KEYS = Set.of("max_fraction");
  static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern LOOKBACK = Pattern.compile("\\s*(\\d+)\\s*(second|minute|hour|day)s?\\s*", Pattern.CASE_INSENSITIVE);
  private static final Pattern ENV_ONLY = Pattern.compile("\\s*\\{\\{\\s*env_var\\(\\s*['\"][A-Za-z_][A-Za-z0-9_]*['\"]\\s*(,[^)]*)?\\)\\s*}}\\s*");

  /** The entries under a properties file's {@code ingestions:} key, checked (empty when it has none). */
  public static List<YMap> entries(String file, YMap top) {
    Object list = top.get("ingestions");
    if (list == null) return List.of();
    if (!(list instanceof YList l)) throw WeirException.project(file, top.lineOf("ingestions"), "'ingestions' must be a list");
    List<YMap> out = new ArrayList<>();
    for (int i = 0; i < l.size(); i++) {
      if (!(l.get(i) instanceof YMap e) || e.get("name") == null) {
        throw WeirException.project(file, l.lineOf(i), "Each ingestion needs a 'name:' (it becomes the source name)");
      }
      checkKeys(file, e, KEYS, "ingestion property");
      out.add(e);
    }
    return out;
  }

  /**
   * The table and file entries of an ingestion entry that are mappings (a table given by its bare name is a string):
   * the places where checks on each load ({@code data_tests:}) are declared.
   */
  public static List<YMap> tableEntries(YMap e) {
    List<YMap> out = new ArrayList<>();
    for (String key : List.of("tables", "files")) {
      if (e.get(key) instanceof YList l) for (Object o : l) if (o instanceof YMap t && t.get("name") != null) out.add(t);
    }
    return out;
  }

  /** The nodes built from the entries: ingestion nodes and the sources they define. */
  public record Built(List<Node> ingestions, List<Node> sources) {}

  /**
   * Builds the ingestion nodes and their sources. {@code existingSources} are the unique ids of
   * sources declared under {@code sources:} (a clash with one of them is an error).
   */
  public static Built build(String pkg, List<YMap> entries, TargetConfig target, Collection<String> existingSources) {
    List<Node> ingestions = new ArrayList<>();
    List<Node> sources = new ArrayList<>();
    Map<String, String> seen = new LinkedHashMap<>();
    for (YMap e : entries) {
      String file = e.file;
      String ing = String.valueOf(e.get("name"));
      if (!NAME.matcher(ing).matches()) {
        throw WeirException.project(file, e.lineOf("name"), "Ingestion name '" + ing + "' must be an identifier (letters, digits, _)");
      }
      if (!Boolean.parseBoolean(str(e.get("enabled"), "true"))) continue;
      if (e.get("files") != null) {
        FileSpecs.build(pkg, e, ing, target, existingSources, seen, ingestions, sources);
        continue;
      }
      Map<String, Object> connection = connection(file, e, ing);
      String schema = str(e.get("schema"), target.schema());
      String database = str(e.get("database"), target.database());
      String mode = choice(file, e, "mode", str(e.get("mode"), "full_refresh"), MODES);
      String osc = choice(file, e, "on_schema_change", str(e.get("on_schema_change"), "append_new_columns"), ON_SCHEMA_CHANGE);
      double maxFraction = badRows(file, e, 0.0);
      Object tables = e.get("tables");
      if (!(tables instanceof YList tl) || tl.isEmpty()) {
        throw WeirException.project(file, e.lineOf("tables"), "Ingestion '" + ing + "' needs 'tables:', a list of"
            + " {name: ...}, {pattern: ...} or {name: ..., query: ...} entries");
      }
      for (int i = 0; i < tl.size(); i++) {
        if (!(tl.get(i) instanceof YMap t)) {
          throw WeirException.project(file, tl.lineOf(i), "Each table of ingestion '" + ing + "' must be a mapping ({name: orders})");
        }
        checkKeys(file, t, TABLE_KEYS, "ingestion table property");
        if (!Boolean.parseBoolean(str(t.get("enabled"), "true"))) continue;
        Map<String, Object> spec = new LinkedHashMap<>();
        int kinds = (t.get("query") != null ? 1 : 0) + (t.get("pattern") != null ? 1 : 0) + (t.get("source_table") != null ? 1 : 0);
        if (kinds > 1) {
          throw WeirException.project(file, t.line, "A table of ingestion '" + ing + "' takes one of 'source_table:', 'query:' or 'pattern:'");
        }
        String pattern = t.get("pattern") == null ? null : String.valueOf(t.get("pattern"));
        String name = t.get("name") != null ? String.valueOf(t.get("name"))
            : pattern != null ? pattern.replaceAll("[^A-Za-z0-9_]+", "_").replaceAll("^_+|_+$", "") : null;
        if (name == null || name.isEmpty()) {
          throw WeirException.project(file, t.line, "Each table of ingestion '" + ing + "' needs a 'name:' (the target table)");
        }
        if (!NAME.matcher(name).matches()) {
          throw WeirException.project(file, t.lineOf("name"), "Table name '" + name + "' must be an identifier (letters, digits, _)");
        }
        String prev = seen.put(ing + "." + name, file + ":" + t.line);
        if (prev != null) {
          throw WeirException.project(file, t.line, "Table '" + name + "' of ingestion '" + ing + "' is declared twice (also at " + prev + ")");
        }
        String tmode = choice(file, t, "mode", str(t.get("mode"), mode), MODES);
        String cursor = t.get("cursor") == null ? null : String.valueOf(t.get("cursor"));
        if (tmode.equals("incremental") && cursor == null) {
          throw WeirException.project(file, t.line, "Table '" + name + "' of ingestion '" + ing + "' loads incrementally and needs"
              + " a 'cursor:' column (a timestamp or increasing number), or mode: full_refresh / append / upsert");
        }
        String lookback = t.get("lookback") == null ? null : String.valueOf(t.get("lookback"));
        if (lookback != null) {
          var m = LOOKBACK.matcher(lookback);
          if (!m.matches()) throw WeirException.project(file, t.lineOf("lookback"), "lookback '" + lookback
              + "' must read like '1 hour', '30 minutes', '2 days' or '600 seconds'");
          long n = Long.parseLong(m.group(1));
          long secs = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "second" -> n;
            case "minute" -> n * 60;
            case "hour" -> n * 3600;
            default -> n * 86400;
          };
          spec.put("lookback_seconds", secs);
          if (cursor == null) throw WeirException.project(file, t.lineOf("lookback"), "lookback needs a 'cursor:' column");
        }
        spec.put("ingestion", ing);
        spec.put("table", name);
        spec.put("file", file);
        spec.put("line", t.line);
        spec.put("connection", connection);
        spec.put("mode", tmode);
        spec.put("on_schema_change", choice(file, t, "on_schema_change", str(t.get("on_schema_change"), osc), ON_SCHEMA_CHANGE));
        spec.put("max_bad_fraction", badRows(file, t, maxFraction));
        if (pattern != null) spec.put("pattern", pattern);
        if (t.get("query") != null) spec.put("query", String.valueOf(t.get("query")));
        if (pattern == null && t.get("query") == null) spec.put("source_table", str(t.get("source_table"), name));
        if (cursor != null) spec.put("cursor", cursor);
        Object pk = t.get("primary_key");
        if (pk != null) {
          List<String> keys = new ArrayList<>();
          for (Object k : ConfigKeys.asList(pk)) keys.add(String.valueOf(k));
          spec.put("primary_key", keys);
        }
        Object fetch = t.get("fetch_size") != null ? t.get("fetch_size") : e.get("fetch_size");
        if (fetch != null) spec.put("fetch_size", intValue(file, t, "fetch_size", fetch));
        spec.put("columns", columns(file, t));
        if (t.get("split") != null) {
          if (!(t.get("split") instanceof YMap sp) || sp.get("column") == null) {
            throw WeirException.project(file, t.lineOf("split"), "'split' needs a 'column:' (a numeric key) and a 'parallelism:'");
          }
          checkKeys(file, sp, SPLIT_KEYS, "split property");
          if (pattern != null) throw WeirException.project(file, t.lineOf("split"), "'split' works on one table, not on a pattern");
          Map<String, Object> s = new LinkedHashMap<>();
          s.put("column", String.valueOf(sp.get("column")));
          int par = sp.get("parallelism") == null ? 4 : intValue(file, sp, "parallelism", sp.get("parallelism"));
          if (par < 1 || par > 64) throw WeirException.project(file, sp.lineOf("parallelism"), "parallelism must be between 1 and 64");
          s.put("parallelism", par);
          spec.put("split", s);
        }
        spec.put("schema", schema);
        spec.put("database", database);

        Node n = ingestionNode(pkg, ing, name, file, schema, database, tmode, spec, e, t, t);
        ingestions.add(n);

        if (pattern != null) continue;
        Node s = sourceFor(pkg, ing, name, n, e, t.line, existingSources);
        sources.add(s);
      }
    }
    return new Built(ingestions, sources);
  }

  /**
   * The INGESTION node of one table of ingestion {@code ing}: identity, location, tags and meta of
   * the ingestion entry {@code e} and of the table entry {@code t} (null for a one-table shorthand).
   */
  static Node ingestionNode(String pkg, String ing, String name, String file, String schema, String database, String mode,
                            Map<String, Object> spec, YMap e, YMap t, YMap lineOf) {
    Node n = new Node("ingestion." + pkg + "." + ing + "." + name, ResourceType.INGESTION, pkg, name);
    n.originalFilePath = file;
    n.path = file;
    n.patchPath = file;
    n.fqn = List.of(pkg, ing, name);
    n.schema = schema;
    n.database = database;
    n.alias = name;
    n.identifier = name;
    n.sourceName = ing;
    n.description = str(t == null ? null : t.get("description"), str(e.get("description"), ""));
    for (Object tag : ConfigKeys.asList(e.get("tags"))) n.tags.add(String.valueOf(tag));
    if (t != null) for (Object tag : ConfigKeys.asList(t.get("tags"))) n.tags.add(String.valueOf(tag));
    n.config.put("enabled", true);
    n.config.put("materialized", "ingestion");
    n.config.put("tags", new ArrayList<>(n.tags));
    n.config.put("mode", mode);
    if (e.get("meta") instanceof Map<?, ?> m) for (var me : m.entrySet()) n.meta.put(String.valueOf(me.getKey()), me.getValue());
    if (t != null && t.get("meta") instanceof Map<?, ?> m) for (var me : m.entrySet()) n.meta.put(String.valueOf(me.getKey()), me.getValue());
    n.extra.put("yaml_line", lineOf.line);
    n.extra.put("ingest", spec);
    n.checksum = Integer.toHexString(spec.toString().hashCode());
    return n;
  }

  /** The source node an ingestion table defines (it depends on the ingestion node). */
  static Node sourceFor(String pkg, String ing, String name, Node n, YMap e, int line, Collection<String> existingSources) {
    String file = e.file;
    String sid = "source." + pkg + "." + ing + "." + name;
    if (existingSources.contains(sid)) {
      throw WeirException.project(file, line, "Ingestion '" + ing + "' defines source('" + ing + "', '" + name
          + "'), which a 'sources:' entry declares too; remove one of them");
    }
    return source(pkg, ing, name, n, file, str(e.get("description"), ""), line);
  }

  /** The source node of table {@code name} loaded by ingestion node {@code n} of ingestion {@code ing}. */
  static Node source(String pkg, String ing, String name, Node n, String file, String sourceDescription, int line) {
    Node s = new Node("source." + pkg + "." + ing + "." + name, ResourceType.SOURCE, pkg, name);
    s.sourceName = ing;
    s.originalFilePath = file;
    s.path = file;
    s.fqn = List.of(pkg, ing, name);
    s.description = n.description;
    s.sourceDescription = sourceDescription;
    s.loader = "weir";
    s.identifier = name;
    s.schema = n.schema;
    s.database = n.database;
    s.tags.addAll(n.tags);
    s.meta.putAll(n.meta);
    s.extra.put("source_yaml_line", line);
    s.dependsOnNodes.add(n.uniqueId);
    return s;
  }

  private static Map<String, Object> connection(String file, YMap e, String ing) {
    if (!(e.get("connection") instanceof YMap c) || c.get("url") == null) {
      throw WeirException.project(file, e.lineOf("connection"), "Ingestion '" + ing + "' needs a 'connection:' with a JDBC 'url:'"
          + " (jdbc:postgresql://host:5432/db, jdbc:sqlite:path, jdbc:mariadb://...)");
    }
    checkKeys(file, c, CONNECTION_KEYS, "connection property");
    String url = String.valueOf(c.get("url"));
    if (!url.startsWith("jdbc:") && !url.contains("{{")) {
      throw WeirException.project(file, c.lineOf("url"), "Connection url '" + url + "' must be a JDBC url (jdbc:...)");
    }
    if (url.toLowerCase(Locale.ROOT).matches(".*[?&;]password=.*") && !url.contains("env_var(")) {
      throw WeirException.project(file, c.lineOf("url"), "The connection url of ingestion '" + ing + "' holds a literal password:"
          + " put it in an environment variable: password: \"{{ env_var('" + ing.toUpperCase(Locale.ROOT) + "_PASSWORD') }}\"");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("url", url);
    if (c.get("user") != null) out.put("user", String.valueOf(c.get("user")));
    if (c.get("password") != null) {
      String pw = String.valueOf(c.get("password"));
      if (!ENV_ONLY.matcher(pw).matches()) {
        throw WeirException.project(file, c.lineOf("password"), "The password of ingestion '" + ing + "' is written in the file:"
            + " credentials are read only through env_var, e.g. password: \"{{ env_var('" + ing.toUpperCase(Locale.ROOT)
            + "_PASSWORD') }}\"");
      }
      out.put("password", pw);
    }
    Map<String, String> props = new LinkedHashMap<>();
    if (c.get("properties") != null) {
      if (!(c.get("properties") instanceof YMap pm)) throw WeirException.project(file, c.lineOf("properties"), "'properties' must be a mapping");
      for (var pe : pm.entrySet()) {
        String k = pe.getKey();
        String v = String.valueOf(pe.getValue());
        if ((k.toLowerCase(Locale.ROOT).contains("password") || k.toLowerCase(Locale.ROOT).contains("secret"))
            && !ENV_ONLY.matcher(v).matches()) {
          throw WeirException.project(file, pm.lineOf(k), "Connection property '" + k + "' of ingestion '" + ing
              + "' is a credential written in the file: read it through env_var");
        }
        props.put(k, v);
      }
    }
    out.put("properties", props);
    return out;
  }

  private static Map<String, Object> columns(String file, YMap t) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("include", List.of());
    out.put("exclude", List.of());
    out.put("rename", Map.of());
    out.put("types", Map.of());
    Object c = t.get("columns");
    if (c == null) return out;
    if (!(c instanceof YMap cm)) {
      throw WeirException.project(file, t.lineOf("columns"), "'columns' of an ingestion table is a mapping: {include: [...],"
          + " exclude: [...], rename: {old: new}, types: {col: TYPE}}");
    }
    checkKeys(file, cm, COLUMNS_KEYS, "columns property");
    for (String k : List.of("include", "exclude")) {
      if (cm.get(k) != null) out.put(k, ConfigKeys.asList(cm.get(k)).stream().map(String::valueOf).toList());
    }
    for (String k : List.of("rename", "types")) {
      if (cm.get(k) == null) continue;
      if (!(cm.get(k) instanceof YMap m)) throw WeirException.project(file, cm.lineOf(k), "'" + k + "' must be a mapping of column: value");
      Map<String, String> mm = new LinkedHashMap<>();
      for (var me : m.entrySet()) mm.put(me.getKey(), String.valueOf(me.getValue()));
      out.put(k, mm);
    }
    return out;
  }

  static double badRows(String file, YMap m, double dflt) {
    Object b = m.get("bad_rows");
    if (b == null) return dflt;
    if (!(b instanceof YMap bm)) throw WeirException.project(file, m.lineOf("bad_rows"), "'bad_rows' is a mapping: {max_fraction: 0.01}");
    checkKeys(file, bm, BAD_ROWS_KEYS, "bad_rows property");
    Object f = bm.get("max_fraction");
    if (f == null) return dflt;
    double d;
    try {
      d = Double.parseDouble(String.valueOf(f));
    } catch (NumberFormatException ex) {
      d = -1;
    }
    if (d < 0 || d > 1) throw WeirException.project(file, bm.lineOf("max_fraction"), "max_fraction must be a number between 0 and 1");
    return d;
  }

  static int intValue(String file, YMap m, String key, Object v) {
    try {
      return Integer.parseInt(String.valueOf(v).strip());
    } catch (NumberFormatException ex) {
      throw WeirException.project(file, m.lineOf(key), "'" + key + "' must be a whole number, not '" + v + "'");
    }
  }

  static String choice(String file, YMap m, String key, String value, List<String> allowed) {
    if (!allowed.contains(value)) {
      throw WeirException.project(file, m.lineOf(key), "Unknown " + key + " '" + value + "': one of " + String.join(", ", allowed)
          + "." + Suggest.didYouMean(value, allowed));
    }
    return value;
  }

  static void checkKeys(String file, YMap m, Set<String> known, String what) {
    for (String k : m.keySet()) {
      if (!known.contains(k)) throw WeirException.project(file, m.lineOf(k), "Unknown " + what + " '" + k + "'." + Suggest.didYouMean(k, known));
    }
  }

  static String str(Object o, String dflt) { return o == null ? dflt : String.valueOf(o); }
}
