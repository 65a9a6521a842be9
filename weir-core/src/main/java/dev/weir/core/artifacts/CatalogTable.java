package dev.weir.core.artifacts;

import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One catalog.json entry: a node's or source's relation as the warehouse describes it.
 *
 * @param uniqueId the node or source id ({@code model.pkg.x}, {@code source.pkg.src.t}); ids starting
 *                 with {@code source.} go to the catalog's "sources" section, all others to "nodes"
 * @param relation database, schema, identifier (the table's name)
 * @param type     the warehouse's table type, e.g. "BASE TABLE", "VIEW" (see {@link #typeName})
 * @param owner    table owner if the engine reports one, else null
 * @param comment  table comment, else null
 * @param columns  columns in ordinal order; {@link ColumnInfo#index()} 0 means "use list position + 1"
 * @param stats    stats items by id; empty means dbt's "has_stats: false" placeholder is written
 */
public record CatalogTable(String uniqueId, Relation relation, String type, String owner, String comment,
                           List<ColumnInfo> columns, Map<String, Stat> stats) {

  public CatalogTable {
    Objects.requireNonNull(uniqueId, "uniqueId");
    Objects.requireNonNull(relation, "relation");
    columns = columns == null ? List.of() : List.copyOf(columns);
    stats = stats == null ? Map.of() : new LinkedHashMap<>(stats);
    if (type == null) type = typeName(relation.type());
  }

  public CatalogTable(String uniqueId, Relation relation, List<ColumnInfo> columns) {
    this(uniqueId, relation, null, null, null, columns, Map.of());
  }

  /** A catalog statistic (dbt's StatsItem). {@code value}: Boolean, String, Number or null. */
  public record Stat(String id, String label, Object value, boolean include, String description) {}

  /** information_schema's table_type for a relation kind, as dbt's catalog queries report it. */
  public static String typeName(RelationType t) {
    if (t == null) return "BASE TABLE";
    return switch (t) {
      case VIEW -> "VIEW";
      case MATERIALIZED_VIEW -> "MATERIALIZED VIEW";
      case EXTERNAL -> "EXTERNAL";
      case CTE -> "CTE";
      default -> "BASE TABLE";
    };
  }

  boolean isSource() { return uniqueId.startsWith("source."); }
}
