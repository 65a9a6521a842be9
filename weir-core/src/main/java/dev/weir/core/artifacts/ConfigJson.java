package dev.weir.core.artifacts;

import java.io.IOException;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * dbt's config objects for manifest nodes: the default keys per resource type, and per-key coercion of
 * the resolved config to the types the manifest schema declares (hooks as objects, tags as lists, ...).
 */
final class ConfigJson {
  private ConfigJson() {}

  static final Map<String, Object> MODEL = nodeDefaults("view", true, false, false);
  static final Map<String, Object> ANALYSIS = nodeDefaults("view", false, false, false);
  static final Map<String, Object> OPERATION = nodeDefaults("view", false, false, false);
  static final Map<String, Object> SEED = nodeDefaults("seed", false, true, false);
  static final Map<String, Object> SNAPSHOT = nodeDefaults("snapshot", false, false, true);
  static final Map<String, Object> TEST;

  static {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("enabled", true);
    t.put("alias", null);
    t.put("schema", "dbt_test__audit");
    t.put("database", null);
    t.put("tags", List.of());
    t.put("meta", Map.of());
    t.put("group", null);
    t.put("materialized", "test");
    t.put("severity", "ERROR");
    t.put("store_failures", null);
    t.put("store_failures_as", null);
    t.put("where", null);
    t.put("limit", null);
    t.put("fail_calc", "count(*)");
    t.put("warn_if", "!= 0");
    t.put("error_if", "!= 0");
    TEST = Collections.unmodifiableMap(t);
  }

  private static Map<String, Object> nodeDefaults(String materialized, boolean model, boolean seed, boolean snapshot) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("enabled", true);
    c.put("alias", null);
    c.put("schema", null);
    c.put("database", null);
    c.put("tags", List.of());
    c.put("meta", Map.of());
    c.put("group", null);
    c.put("materialized", materialized);
    c.put("incremental_strategy", null);
    c.put("batch_size", null);
    c.put("lookback", 1);
    c.put("begin", null);
    c.put("persist_docs", Map.of());
    c.put("post-hook", List.of());
    c.put("pre-hook", List.of());
    c.put("quoting", Map.of());
    c.put("column_types", Map.of());
    c.put("full_refresh", null);
    c.put("unique_key", null);
    c.put("on_schema_change", "ignore");
    c.put("on_configuration_change", "apply");
    c.put("grants", Map.of());
    c.put("packages", List.of());
    c.put("docs", Map.of("show", true));
    c.put("contract", Map.of("enforced", false, "alias_types", true));
    c.put("event_time", null);
    c.put("concurrent_batches", null);
    if (model) {
      c.put("access", "protected");
      c.put("freshness", null);
    }
    if (seed) {
      c.put("delimiter", ",");
      c.put("quote_columns", null);
    }
    if (snapshot) {
      c.put("strategy", null);
      c.put("target_schema", null);
      c.put("target_database", null);
      c.put("updated_at", null);
      c.put("check_cols", null);
      c.put("snapshot_meta_column_names", Map.of());
      c.put("dbt_valid_to_current", null);
    }
    return Collections.unmodifiableMap(c);
  }

  private static final Set<String> OBJECT_KEYS =
      Set.of("meta", "persist_docs", "quoting", "column_types", "grants", "snapshot_meta_column_names");
  private static final Set<String> STRING_LIST_KEYS = Set.of("tags", "packages");
  private static final Set<String> NULLABLE_BOOL_KEYS = Set.of("full_refresh", "store_failures", "quote_columns");
  private static final Set<String> NULLABLE_STRING_KEYS = Set.of("alias", "schema", "database", "group",
      "incremental_strategy", "on_schema_change", "store_failures_as", "where", "strategy", "target_schema",
      "target_database", "updated_at", "dbt_valid_to_current", "loaded_at_field", "loaded_at_query");
  private static final Set<String> STRING_KEYS = Set.of("materialized", "fail_calc", "warn_if", "error_if", "delimiter");
  private static final Set<String> CONFIG_CHANGE = Set.of("apply", "continue", "fail");
  private static final Set<String> ACCESS = Set.of("private", "protected", "public");
  private static final Pattern SEVERITY = Pattern.compile("(?i)warn|error");

  /** Writes {@code "config": {...}}: defaults first (in dbt's order), then the node's resolved values. */
  static void write(JsonOut o, String field, Map<String, Object> defaults, Map<String, Object> config,
                    Collection<String> tags) throws IOException {
    Map<String, Object> c = new LinkedHashMap<>(defaults);
    if (config != null) c.putAll(config);
    if ((config == null || !config.containsKey("tags")) && tags != null && !tags.isEmpty()) c.put("tags", List.copyOf(tags));
    o.g.writeFieldName(field);
    o.g.writeStartObject();
    for (Map.Entry<String, Object> e : c.entrySet()) {
      writeEntry(o, e.getKey(), e.getValue(), defaults.get(e.getKey()));
    }
    o.g.writeEndObject();
  }

  static void writeEntry(JsonOut o, String key, Object v, Object dflt) throws IOException {
    if (key.equals("enabled")) {
      o.bool(key, truthy(v, true));
    } else if (OBJECT_KEYS.contains(key)) {
      o.object(key, v);
    } else if (STRING_LIST_KEYS.contains(key)) {
      o.strings(key, stringList(v));
    } else if (NULLABLE_BOOL_KEYS.contains(key)) {
      o.g.writeFieldName(key);
      Boolean b = bool(v);
      if (b == null) o.g.writeNull(); else o.g.writeBoolean(b);
    } else if (NULLABLE_STRING_KEYS.contains(key)) {
      o.str(key, v == null ? null : v.toString());
    } else if (STRING_KEYS.contains(key)) {
      o.str(key, v != null ? v.toString() : dflt != null ? dflt.toString() : "");
    } else if (key.equals("pre-hook") || key.equals("post-hook")) {
      hooks(o, key, v);
    } else if (key.equals("unique_key") || key.equals("check_cols")) {
      o.g.writeFieldName(key);
      if (v == null) o.g.writeNull();
      else if (v instanceof Collection<?> || v instanceof Object[]) o.value(stringList(v));
      else o.g.writeString(o.mask(v.toString()));
    } else if (key.equals("on_configuration_change")) {
      String s = v == null ? "apply" : v.toString();
      o.str(key, CONFIG_CHANGE.contains(s) ? s : "apply");
    } else if (key.equals("access")) {
      String s = v == null ? "protected" : v.toString();
      o.str(key, ACCESS.contains(s) ? s : "protected");
    } else if (key.equals("severity")) {
      String s = v == null ? "ERROR" : v.toString().trim();
      o.str(key, SEVERITY.matcher(s).matches() ? s : "ERROR");
    } else if (key.equals("limit")) {
      o.g.writeFieldName(key);
      Long l = integer(v);
      if (l == null) o.g.writeNull(); else o.g.writeNumber(l);
    } else if (key.equals("docs")) {
      docs(o, key, v);
    } else if (key.equals("contract")) {
      o.g.writeFieldName(key);
      o.g.writeStartObject();
      Map<?, ?> m = v instanceof Map<?, ?> mm ? mm : Map.of();
      o.bool("enforced", truthy(m.get("enforced"), false));
      o.bool("alias_types", truthy(m.get("alias_types"), true));
      o.g.writeEndObject();
    } else if (key.equals("freshness")) {
      // model freshness: an object with build_after, or null
      if (v instanceof Map<?, ?> m && m.get("build_after") instanceof Map<?, ?>) o.field(key, m);
      else o.nul(key);
    } else {
      o.field(key, v);
    }
  }

  static void docs(JsonOut o, String field, Object v) throws IOException {
    Map<?, ?> m = v instanceof Map<?, ?> mm ? mm : Map.of();
    o.g.writeFieldName(field);
    o.g.writeStartObject();
    o.bool("show", truthy(m.get("show"), true));
    Object color = m.get("node_color");
    o.str("node_color", color == null ? null : color.toString());
    o.g.writeEndObject();
  }

  static void hooks(JsonOut o, String field, Object v) throws IOException {
    o.g.writeFieldName(field);
    o.g.writeStartArray();
    if (v instanceof Collection<?> c) {
      for (Object h : c) hook(o, h);
    } else if (v != null) {
      hook(o, v);
    }
    o.g.writeEndArray();
  }

  private static void hook(JsonOut o, Object h) throws IOException {
    if (h == null) return;
    o.g.writeStartObject();
    if (h instanceof Map<?, ?> m) {
      Object sql = m.get("sql");
      o.strNN("sql", sql == null ? "" : sql.toString());
      o.bool("transaction", truthy(m.get("transaction"), true));
      Long idx = integer(m.get("index"));
      if (idx == null) o.nul("index"); else o.g.writeNumberField("index", idx);
    } else {
      o.strNN("sql", h.toString());
      o.bool("transaction", true);
      o.nul("index");
    }
    o.g.writeEndObject();
  }

  static List<String> stringList(Object v) {
    if (v == null) return List.of();
    if (v instanceof Collection<?> c) {
      List<String> out = new java.util.ArrayList<>(c.size());
      for (Object x : c) if (x != null) out.add(x.toString());
      return out;
    }
    if (v instanceof Object[] arr) {
      List<String> out = new java.util.ArrayList<>(arr.length);
      for (Object x : arr) if (x != null) out.add(x.toString());
      return out;
    }
    return List.of(v.toString());
  }

  static boolean truthy(Object v, boolean dflt) {
    Boolean b = bool(v);
    return b == null ? dflt : b;
  }

  static Boolean bool(Object v) {
    if (v instanceof Boolean b) return b;
    if (v == null) return null;
    String s = v.toString().trim();
    if (s.equalsIgnoreCase("true")) return Boolean.TRUE;
    if (s.equalsIgnoreCase("false")) return Boolean.FALSE;
    return null;
  }

  static Long integer(Object v) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short) return ((Number) v).longValue();
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.longValue();
    if (v instanceof String s) {
      try { return Long.parseLong(s.trim()); } catch (NumberFormatException e) { return null; }
    }
    return null;
  }
}
