package dev.weir.engine.duckdb;

import dev.weir.core.engine.Relation;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The relations of each schema this engine has looked at, as dbt's adapter cache keeps them: one
 * catalog query per schema instead of one per lookup (DuckDB's catalog functions take
 * milliseconds once a schema holds hundreds of tables). Only one process writes a DuckDB file, so
 * what changes the catalog passes through this engine's sessions: replacements update the cache
 * after they commit, and any other statement that may change the catalog empties it. Lookups made
 * inside an open transaction bypass it, so uncommitted state is never shared with other threads.
 */
final class RelationCache {
  private final Map<String, Map<String, Relation>> schemas = new ConcurrentHashMap<>();

  private static String key(String database, String schema) {
    return database.toLowerCase(Locale.ROOT) + "." + schema.toLowerCase(Locale.ROOT);
  }

  Optional<Relation> get(String database, String schema, String identifier, Supplier<List<Relation>> listing) {
    Map<String, Relation> m = schemas.computeIfAbsent(key(database, schema), k -> {
      Map<String, Relation> byName = new HashMap<>();
      for (Relation r : listing.get()) byName.put(r.identifier().toLowerCase(Locale.ROOT), r);
      return java.util.Collections.synchronizedMap(byName);
    });
    return Optional.ofNullable(m.get(identifier.toLowerCase(Locale.ROOT)));
  }

  /** Records a relation a committed replacement created (or re-created with another kind). */
  void put(Relation r) {
    Map<String, Relation> m = schemas.get(key(r.database(), r.schema()));
    if (m != null) m.put(r.identifier().toLowerCase(Locale.ROOT), r);
  }

  void invalidate(String database, String schema) {
    schemas.remove(key(database, schema));
  }

  void invalidateAll() {
    schemas.clear();
  }

  /** Whether a statement can only read (it then leaves the catalog as it was). */
  static boolean readOnly(String sql) {
    String s = sql.stripLeading();
    while (s.startsWith("--") || s.startsWith("/*")) {
      int end = s.startsWith("--") ? s.indexOf('\n') : s.indexOf("*/");
      if (end < 0) return false;
      s = s.substring(end + (s.startsWith("--") ? 1 : 2)).stripLeading();
    }
    String head = s.length() > 9 ? s.substring(0, 9).toLowerCase(Locale.ROOT) : s.toLowerCase(Locale.ROOT);
    return (head.startsWith("select") || head.startsWith("with") || head.startsWith("show") || head.startsWith("describe")
        || head.startsWith("from") || head.startsWith("values") || head.startsWith("explain")) && !sql.contains(";");
  }
}
