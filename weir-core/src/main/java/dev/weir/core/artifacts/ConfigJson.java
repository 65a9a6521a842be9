package dev.weir.core.artifacts;

import java.io.IOException;
import java.util.Collection;
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

  // Each resource type's defaults, in dbt's order. Never modified; not wrapped as unmodifiable either, as that view wraps
  // every entry it iterates (once per node and key: 7 MB for 10,000 models).
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
    TEST = t;
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
    return c;
  }

  /** How each known key is written; any other key is written as its value is. */
  private enum Kind {
    ENABLED, OBJECT, STRING_LIST, NULLABLE_BOOL, NULLABLE_STRING, STRING, HOOKS, KEY_LIST, CONFIG_CHANGE, ACCESS, SEVERITY,
    LIMIT, DOCS, CONTRACT, FRESHNESS
  }

  /** One lookup per key: a manifest of 10,000 models writes ~400,000 config entries. */
  private static final Map<String, Kind> KINDS = new java.util.HashMap<>();

  private static void kinds(Kind kind, String... keys) {
    for (String k : keys) KINDS.put(k, kind);
  }

  static {
    kinds(Kind.ENABLED, "enabled");
    kinds(Kind.OBJECT, "meta", "persist_docs", "quoting", "column_types", "grants", "snapshot_meta_column_names");
    kinds(Kind.STRING_LIST, "tags", "packages");
    kinds(Kind.NULLABLE_BOOL, "full_refresh", "store_failures", "quote_columns");
    kinds(Kind.NULLABLE_STRING, "alias", "schema", "database", "group", "incremental_strategy", "on_schema_change",
        "store_failures_as", "where", "strategy", "target_schema", "target_database", "updated_at", "dbt_valid_to_current",
        "loaded_at_field", "loaded_at_query");
    kinds(Kind.STRING, "materialized", "fail_calc", "warn_if", "error_if", "delimiter");
    kinds(Kind.HOOKS, "pre-hook", "post-hook");
    kinds(Kind.KEY_LIST, "unique_key", "check_cols");
    kinds(Kind.CONFIG_CHANGE, "on_configuration_change");
    kinds(Kind.ACCESS, "access");
    kinds(Kind.SEVERITY, "severity");
    kinds(Kind.LIMIT, "limit");
    kinds(Kind.DOCS, "docs");
    kinds(Kind.CONTRACT, "contract");
    kinds(Kind.FRESHNESS, "freshness");
  }

  private static final Set<String> CONFIG_CHANGE = Set.of("apply", "continue", "fail");
  private static final Set<String> ACCESS = Set.of("private", "protected", "public");
  private static final Pattern SEVERITY = Pattern.compile("(?i)warn|error");
  private static final Object MISSING = new Object();

  /**
   * Writes {@code "config": {...}}: defaults first (in dbt's order, each overridden by the node's value), then the
   * node's other keys in its order; the node's tags when its config has none.
   */
  static void write(JsonOut o, String field, Map<String, Object> defaults, Map<String, Object> config,
                    Collection<String> tags) throws IOException {
    boolean nodeTags = (config == null || !config.containsKey("tags")) && tags != null && !tags.isEmpty();
    o.fieldName(field);
    o.g.writeStartObject();
    for (Map.Entry<String, Object> e : defaults.entrySet()) {
      String k = e.getKey();
      Object v = config == null ? MISSING : config.getOrDefault(k, MISSING);
      if (v == MISSING) v = nodeTags && k.equals("tags") ? List.copyOf(tags) : e.getValue();
      writeEntry(o, k, v, e.getValue());
    }
    if (config != null) {
      for (Map.Entry<String, Object> e : config.entrySet()) {
        if (!defaults.containsKey(e.getKey())) writeEntry(o, e.getKey(), e.getValue(), null);
      }
    }
    if (nodeTags && !defaults.containsKey("tags")) writeEntry(o, "tags", List.copyOf(tags), null);
    o.g.writeEndObject();
  }

  static void writeEntry(JsonOut o, String key, Object v, Object dflt) throws IOException {
    Kind kind = KINDS.get(key);
    if (kind == null) {
      o.field(key, v);
      return;
    }
    switch (kind) {
      case ENABLED -> o.bool(key, truthy(v, true));
      case OBJECT -> o.object(key, v);
      case STRING_LIST -> o.strings(key, stringList(v));
      case NULLABLE_BOOL -> {
        o.fieldName(key);
        Boolean b = bool(v);
        if (b == null) o.g.writeNull(); else o.g.writeBoolean(b);
      }
      case NULLABLE_STRING -> o.str(key, v == null ? null : v.toString());
      case STRING -> o.str(key, v != null ? v.toString() : dflt != null ? dflt.toString() : "");
      case HOOKS -> hooks(o, key, v);
      case KEY_LIST -> {
        o.fieldName(key);
        if (v == null) o.g.writeNull();
        else if (v instanceof Collection<?> || v instanceof Object[]) o.value(stringList(v));
        else o.g.writeString(o.mask(v.toString()));
      }
      case CONFIG_CHANGE -> {
        String s = v == null ? "apply" : v.toString();
        o.str(key, CONFIG_CHANGE.contains(s) ? s : "apply");
      }
      case ACCESS -> {
        String s = v == null ? "protected" : v.toString();
        o.str(key, ACCESS.contains(s) ? s : "protected");
      }
      case SEVERITY -> {
        String s = v == null ? "ERROR" : v.toString().trim();
        o.str(key, SEVERITY.matcher(s).matches() ? s : "ERROR");
      }
      case LIMIT -> {
        o.fieldName(key);
        Long l = integer(v);
        if (l == null) o.g.writeNull(); else o.g.writeNumber(l);
      }
      case DOCS -> docs(o, key, v);
      case CONTRACT -> {
        o.fieldName(key);
        o.g.writeStartObject();
        Map<?, ?> m = v instanceof Map<?, ?> mm ? mm : Map.of();
        o.bool("enforced", truthy(m.get("enforced"), false));
        o.bool("alias_types", truthy(m.get("alias_types"), true));
        o.g.writeEndObject();
      }
      case FRESHNESS -> {
        // model freshness: an object with build_after, or null
        if (v instanceof Map<?, ?> m && m.get("build_after") instanceof Map<?, ?>) o.field(key, m);
        else o.nul(key);
      }
    }
  }

  static void docs(JsonOut o, String field, Object v) throws IOException {
    Map<?, ?> m = v instanceof Map<?, ?> mm ? mm : Map.of();
    o.fieldName(field);
    o.g.writeStartObject();
    o.bool("show", truthy(m.get("show"), true));
    Object color = m.get("node_color");
    o.str("node_color", color == null ? null : color.toString());
    o.g.writeEndObject();
  }

  static void hooks(JsonOut o, String field, Object v) throws IOException {
    o.fieldName(field);
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
