package dev.weir.core.project;

import dev.weir.core.WeirException;
import dev.weir.core.util.Yaml.YMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A source table's freshness settings as dbt resolves them from its YAML: {@code loaded_at_field},
 * {@code loaded_at_query} and {@code freshness}, each written on the source or the table, at the top
 * level or (dbt 1.9+) under {@code config:}. The table wins over the source and {@code config:} over
 * the top level; a table's {@code freshness} merges into the source's ({@code warn_after},
 * {@code error_after} and {@code filter} one by one), and {@code freshness: null} on a table turns an
 * inherited one off. Bad values are project errors naming the file and line.
 *
 * @param freshness {warn_after: {count, period}, error_after: {count, period}, filter}, or null
 */
public record SourceFreshnessConfig(String loadedAtField, String loadedAtQuery, Map<String, Object> freshness) {

  private static final Set<String> PERIODS = Set.of("minute", "hour", "day");
  private static final Set<String> FRESHNESS_KEYS = Set.of("warn_after", "error_after", "filter");

  /** Resolves the settings of {@code table} (an entry of {@code source}'s tables) in {@code file}. */
  public static SourceFreshnessConfig resolve(String file, YMap source, YMap table) {
    String field = null;
    String query = null;
    // Nearest first: table config, table, source config, source.
    YMap[] levels = {configOf(table), table, configOf(source), source};
    for (YMap m : levels) {
      if (m == null || (!m.containsKey("loaded_at_field") && !m.containsKey("loaded_at_query"))) continue;
      if (m.get("loaded_at_field") != null && m.get("loaded_at_query") != null) {
        throw WeirException.project(file, m.lineOf("loaded_at_query"),
            "set either loaded_at_field or loaded_at_query, not both");
      }
      field = str(m.get("loaded_at_field"));
      query = str(m.get("loaded_at_query"));
      break;
    }
    Map<String, Object> fromSource = freshnessOf(file, source);
    Map<String, Object> result = fromSource;
    if (has(table, "freshness")) {
      Map<String, Object> fromTable = freshnessOf(file, table);
      result = fromTable == null ? null : merge(fromSource, fromTable);
    }
    return new SourceFreshnessConfig(field, query, result);
  }

  private static boolean has(YMap level, String key) {
    YMap c = configOf(level);
    return level.containsKey(key) || (c != null && c.containsKey(key));
  }

  private static YMap configOf(YMap level) {
    return level.get("config") instanceof YMap c ? c : null;
  }

  /** The level's freshness (config: first), validated; null when absent or written as null. */
  private static Map<String, Object> freshnessOf(String file, YMap level) {
    YMap c = configOf(level);
    YMap holder = c != null && c.containsKey("freshness") ? c : level;
    Object f = holder.get("freshness");
    if (f == null) return null;
    if (!(f instanceof YMap fm)) {
      throw WeirException.project(file, holder.lineOf("freshness"),
          "'freshness' must be a mapping such as {warn_after: {count: 12, period: hour}}, got: " + f);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (String k : fm.keySet()) {
      if (!FRESHNESS_KEYS.contains(k)) {
        throw WeirException.project(file, fm.lineOf(k), "unknown freshness property '" + k
            + "' (expected warn_after, error_after, filter)");
      }
    }
    for (String k : new String[] {"warn_after", "error_after"}) {
      Object t = fm.get(k);
      if (t == null) continue;
      if (!(t instanceof YMap tm)) {
        throw WeirException.project(file, fm.lineOf(k), "'" + k + "' must be a mapping such as {count: 12, period: hour}");
      }
      Object count = tm.get("count");
      Object period = tm.get("period");
      if (count == null && period == null) continue;
      if (!(count instanceof Number n) || n.longValue() != n.doubleValue() || n.longValue() < 0) {
        throw WeirException.project(file, tm.lineOf("count"), "'" + k + ".count' must be a whole number, got: " + count);
      }
      if (period == null || !PERIODS.contains(period.toString())) {
        throw WeirException.project(file, tm.lineOf("period"), "'" + k + ".period' must be minute, hour or day, got: " + period);
      }
      Map<String, Object> threshold = new LinkedHashMap<>();
      threshold.put("count", n.longValue());
      threshold.put("period", period.toString());
      out.put(k, threshold);
    }
    if (fm.get("filter") != null) out.put("filter", fm.get("filter").toString());
    return out;
  }

  private static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> update) {
    if (base == null) return update;
    Map<String, Object> out = new LinkedHashMap<>(base);
    out.putAll(update);
    return out;
  }

  private static String str(Object o) {
    return o == null ? null : o.toString();
  }

  /** Whether a warn_after or error_after threshold is set: dbt checks only such sources. */
  public static boolean hasThreshold(Map<String, Object> freshness) {
    return freshness != null && (freshness.get("warn_after") instanceof Map || freshness.get("error_after") instanceof Map);
  }
}
