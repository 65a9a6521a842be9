package dev.weir.core.project;

import dev.weir.core.WeirException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A snapshot's configs as dbt reads them (dbt 1.9): {@code strategy} (timestamp or check),
 * {@code unique_key} (one column or a list), {@code updated_at}, {@code check_cols} ('all' or a
 * list), {@code hard_deletes} (ignore, invalidate, new_record; the legacy
 * {@code invalidate_hard_deletes: true} means invalidate), {@code snapshot_meta_column_names} and
 * {@code dbt_valid_to_current}. Validated when the project loads, with dbt's messages.
 *
 * @param uniqueKey the key expressions, one for a single key
 * @param compositeKey whether unique_key was a list (dbt then names the keys dbt_unique_key_1..n)
 * @param checkCols null unless strategy is check; empty means 'all'
 * @param columns meta column names: dbt_valid_from, dbt_valid_to, dbt_scd_id, dbt_updated_at, dbt_is_deleted
 * @param validToCurrent the SQL expression current rows carry in dbt_valid_to, or null
 */
public record SnapshotConfigs(String strategy, List<String> uniqueKey, boolean compositeKey, String updatedAt,
                              List<String> checkCols, String hardDeletes, Map<String, String> columns, String validToCurrent) {

  public static final List<String> META_COLUMNS = List.of("dbt_valid_from", "dbt_valid_to", "dbt_scd_id", "dbt_updated_at",
      "dbt_is_deleted");

  public boolean checkAll() { return checkCols != null && checkCols.isEmpty(); }

  public String column(String metaName) { return columns.get(metaName); }

  static void validate(Node n) { of(n); }

  /** Reads and validates {@code n}'s snapshot configs; a bad config is a project error at the snapshot's file and line. */
  public static SnapshotConfigs of(Node n) {
    Map<String, Object> c = n.config;
    String strategy = str(c.get("strategy"));
    List<String> key = new ArrayList<>();
    Object uk = c.get("unique_key");
    boolean composite = uk instanceof List<?>;
    if (uk instanceof List<?> l) for (Object o : l) key.add(String.valueOf(o).strip());
    else if (uk != null && !String.valueOf(uk).isBlank()) key.add(String.valueOf(uk).strip());
    if (strategy == null || key.isEmpty()) fail(n, "Snapshots must be configured with a 'strategy' and 'unique_key'.");
    strategy = strategy.toLowerCase(Locale.ROOT);
    Object materialized = c.get("materialized");
    if (materialized != null && !"snapshot".equals(String.valueOf(materialized))) {
      fail(n, "A snapshot must have a materialized value of 'snapshot'");
    }
    String updatedAt = str(c.get("updated_at"));
    List<String> checkCols = null;
    Object cc = c.get("check_cols");
    switch (strategy) {
      case "timestamp" -> {
        if (updatedAt == null) fail(n, "A snapshot configured with the timestamp strategy must specify an updated_at configuration.");
      }
      case "check" -> {
        if (cc == null || (cc instanceof List<?> l && l.isEmpty())) {
          fail(n, "A snapshot configured with the check strategy must specify a check_cols configuration.");
        }
        checkCols = new ArrayList<>();
        if (cc instanceof List<?> l) {
          for (Object o : l) checkCols.add(String.valueOf(o).strip());
        } else if (!"all".equals(String.valueOf(cc))) {
          fail(n, "Invalid value for 'check_cols': " + cc + ". Expected 'all' or a list of strings.");
        }
      }
      default -> fail(n, "Snapshot strategy '" + strategy + "' is not supported: Weir supports the 'timestamp' and 'check' strategies"
          + " (custom snapshot strategy macros are not run).");
    }
    if (cc != null && !strategy.equals("check")) fail(n, "A snapshot configured with check_cols must use the 'check' strategy.");
    Object ihd = c.get("invalidate_hard_deletes");
    Object hd = c.get("hard_deletes");
    if (ihd != null && hd != null) {
      fail(n, "You cannot set both the invalidate_hard_deletes and hard_deletes config properties on the same snapshot.");
    }
    String hardDeletes;
    if (Boolean.TRUE.equals(ihd) || "true".equalsIgnoreCase(String.valueOf(ihd))) {
      hardDeletes = "invalidate";
    } else if (hd == null) {
      hardDeletes = "ignore";
    } else {
      hardDeletes = String.valueOf(hd).strip().toLowerCase(Locale.ROOT);
      if (!Set.of("ignore", "invalidate", "new_record").contains(hardDeletes)) {
        fail(n, "Invalid setting for property hard_deletes: '" + hd + "'. Expected 'ignore', 'invalidate' or 'new_record'.");
      }
    }
    Map<String, String> columns = new LinkedHashMap<>();
    for (String m : META_COLUMNS) columns.put(m, m);
    Object names = c.get("snapshot_meta_column_names");
    if (names instanceof Map<?, ?> nm) {
      for (Map.Entry<?, ?> e : nm.entrySet()) {
        String k = String.valueOf(e.getKey());
        if (!columns.containsKey(k)) {
          fail(n, "Unknown key '" + k + "' in snapshot_meta_column_names (expected " + String.join(", ", META_COLUMNS) + ")");
        }
        if (e.getValue() != null && !String.valueOf(e.getValue()).isBlank()) columns.put(k, String.valueOf(e.getValue()).strip());
      }
    } else if (names != null) {
      fail(n, "'snapshot_meta_column_names' must be a mapping, e.g. {dbt_valid_from: start_date, dbt_valid_to: end_date}");
    }
    return new SnapshotConfigs(strategy, List.copyOf(key), composite, updatedAt, checkCols == null ? null : List.copyOf(checkCols),
        hardDeletes, Map.copyOf(columns), str(c.get("dbt_valid_to_current")));
  }

  private static String str(Object o) {
    return o == null || String.valueOf(o).isBlank() ? null : String.valueOf(o).strip();
  }

  private static void fail(Node n, String msg) {
    int line = n.extra.get("yaml_line") instanceof Integer yl ? yl : n.firstLine;
    // In a snapshot block, point at the config() call when there is one.
    int at = n.rawCode == null || n.extra.containsKey("yaml_line") ? -1 : n.rawCode.indexOf("config(");
    if (at >= 0) line = n.firstLine + (int) n.rawCode.substring(0, at).chars().filter(ch -> ch == '\n').count();
    throw WeirException.project(n.originalFilePath, line, "snapshot '" + n.name + "': " + msg);
  }
}
