package dev.weir.core.project;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The config keys dbt (and Weir) know, and how values from different levels combine. */
public final class ConfigKeys {
  private ConfigKeys() {}

  public static final Set<String> KNOWN = Set.of("enabled", "tags", "pre-hook", "post-hook", "pre_hook", "post_hook",
      "database", "schema", "alias", "persist_docs", "full_refresh", "meta", "materialized", "sql_header",
      "on_configuration_change", "unique_key", "on_schema_change", "incremental_strategy", "grants", "contract",
      "docs", "access", "group", "event_time", "batch_size", "begin", "lookback", "concurrent_batches",
      "column_types", "quote_columns", "delimiter", "severity", "action", "error_if", "warn_if", "fail_calc", "where",
      "limit", "store_failures", "store_failures_as", "strategy", "updated_at", "check_cols",
      "snapshot_meta_column_names", "hard_deletes", "dbt_valid_to_current", "target_schema", "target_database",
      "merge_update_columns", "merge_exclude_columns", "incremental_predicates", "packages", "quoting",
      "location", "format", "options", "plugin", "file_format", "partition_by", "indexes", "invalidate_hard_deletes",
      "freshness", "loaded_at_field", "loaded_at_query", "predicates", "description", "persist", "copy_grants",
      "transient", "cluster_by", "unlogged", "external", "glob", "overwrite", "partitions", "auto_refresh");

  /** Keys whose values add up across levels instead of replacing. */
  static final Set<String> ADDITIVE_LISTS = Set.of("tags", "pre-hook", "post-hook");
  static final Set<String> MERGED_MAPS = Set.of("meta", "grants", "docs", "persist_docs", "column_types", "quoting");

  /** Canonical spelling of a key (pre_hook → pre-hook). */
  public static String canonical(String key) {
    if (key.equals("pre_hook")) return "pre-hook";
    if (key.equals("post_hook")) return "post-hook";
    if (key.equals("data_tests")) return "tests";
    return key;
  }

  /** Merges {@code overlay} into {@code base} with dbt's rules (tags and hooks add, meta merges). */
  @SuppressWarnings("unchecked")
  public static void merge(Map<String, Object> base, Map<String, ?> overlay) {
    for (Map.Entry<String, ?> e : overlay.entrySet()) {
      String k = canonical(e.getKey().startsWith("+") ? e.getKey().substring(1) : e.getKey());
      Object v = e.getValue();
      if (ADDITIVE_LISTS.contains(k)) {
        Set<Object> all = new LinkedHashSet<>(asList(base.get(k)));
        all.addAll(asList(v));
        base.put(k, new java.util.ArrayList<>(all));
      } else if (MERGED_MAPS.contains(k) && v instanceof Map && base.get(k) instanceof Map) {
        Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) base.get(k));
        m.putAll((Map<String, Object>) v);
        base.put(k, m);
      } else {
        base.put(k, v);
      }
    }
  }

  public static List<Object> asList(Object v) {
    if (v == null) return List.of();
    if (v instanceof List<?> l) return new java.util.ArrayList<>(l);
    return List.of(v);
  }
}
