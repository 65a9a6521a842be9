package dev.weir.core.seed;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How to read one seed: dbt's {@code delimiter} and {@code column_types} seed configs.
 *
 * @param delimiter   the field separator (dbt default ',')
 * @param columnTypes column name → engine type (as written in DDL, e.g. "varchar(10)"). Names match the
 *                    header exactly (as dbt does); entries naming no column are ignored. Such columns are
 *                    not inferred: their values are passed as the CSV's text (String; empty, blank or
 *                    "null" → null) and the engine casts them to the given type when loading.
 */
public record SeedOptions(char delimiter, Map<String, String> columnTypes) {
  public SeedOptions {
    if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
      throw new IllegalArgumentException("invalid seed delimiter: " + (int) delimiter);
    }
    columnTypes = columnTypes == null ? Map.of() : new LinkedHashMap<>(columnTypes);
  }

  public static SeedOptions defaults() { return new SeedOptions(',', Map.of()); }

  /**
   * From a seed's resolved config: {@code delimiter} (a one-character string) and {@code column_types}.
   * @throws IllegalArgumentException if the delimiter is not exactly one character
   */
  public static SeedOptions fromConfig(Map<String, Object> config) {
    char d = ',';
    Object del = config == null ? null : config.get("delimiter");
    if (del != null) {
      String s = del.toString();
      if (s.equals("\\t")) s = "\t";
      if (s.length() != 1) throw new IllegalArgumentException("seed delimiter must be one character, got '" + s + "'");
      d = s.charAt(0);
    }
    Map<String, String> types = new LinkedHashMap<>();
    Object ct = config == null ? null : config.get("column_types");
    if (ct instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (e.getKey() != null && e.getValue() != null) types.put(e.getKey().toString(), e.getValue().toString());
      }
    }
    return new SeedOptions(d, types);
  }
}
