package dev.weir.core.render;

import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.jinja.JinjaCallable;
import dev.weir.jinja.JinjaObject;
import java.util.Map;

/**
 * A relation as templates see it (dbt's BaseRelation): renders as its quoted name, exposes
 * database/schema/identifier/type and the helpers macros call ({@code include}, {@code incorporate}).
 * A CTE relation (ephemeral model) renders as its CTE name.
 */
public final class RelationValue implements JinjaObject {
  private final Relation relation;
  private final Dialect dialect;
  private final boolean includeDatabase;
  private final boolean includeSchema;
  private final boolean includeIdentifier;
  private final String cteName;

  public RelationValue(Relation relation, Dialect dialect) {
    this(relation, dialect, true, true, true, null);
  }

  private RelationValue(Relation r, Dialect d, boolean db, boolean sc, boolean id, String cte) {
    this.relation = r;
    this.dialect = d;
    this.includeDatabase = db;
    this.includeSchema = sc;
    this.includeIdentifier = id;
    this.cteName = cte;
  }

  /** dbt's --empty: the relation read as a subquery with no rows, keeping its columns. */
  public static RelationValue empty(Relation r, Dialect d) {
    String rendered = d.render(r);
    String sub = "(select * from " + rendered + " where false limit 0)";
    if (d.subqueryNeedsAlias()) sub += " _dbt_limit_subq_" + r.identifier().replaceAll("[^A-Za-z0-9_]", "_");
    return new RelationValue(r, d, true, true, true, sub);
  }

  /** A microbatch batch's view of an upstream relation: only the rows of the event-time window. */
  public static RelationValue filtered(Relation r, Dialect d, String eventTime, EventTimeWindow window) {
    String sub = "(select * from " + d.render(r) + " where " + window.predicate(eventTime) + ")";
    if (d.subqueryNeedsAlias()) sub += " _dbt_et_filter_subq_" + r.identifier().replaceAll("[^A-Za-z0-9_]", "_");
    return new RelationValue(r, d, true, true, true, sub);
  }

  public static RelationValue cte(Relation r, Dialect d, String cteName) {
    return new RelationValue(r.withType(RelationType.CTE), d, true, true, true, cteName);
  }

  public Relation relation() { return relation; }

  public String render() {
    if (cteName != null) return cteName;
    Relation r = new Relation(includeDatabase ? relation.database() : null, includeSchema ? relation.schema() : null,
        relation.identifier(), relation.type());
    if (!includeIdentifier) {
      StringBuilder sb = new StringBuilder();
      if (r.database() != null) sb.append(dialect.quote(r.database()));
      if (r.schema() != null) sb.append(sb.length() > 0 ? "." : "").append(dialect.quote(r.schema()));
      return sb.toString();
    }
    return dialect.render(r);
  }

  @Override
  public String toString() { return render(); }

  @Override
  public Object getAttribute(String name) {
    RelationType t = relation.type();
    return switch (name) {
      case "database" -> relation.database();
      case "schema" -> relation.schema();
      case "identifier", "name", "table" -> relation.identifier();
      case "type" -> t == RelationType.UNKNOWN ? null : t.dbtName();
      case "is_table" -> t == RelationType.TABLE;
      case "is_view" -> t == RelationType.VIEW;
      case "is_cte" -> t == RelationType.CTE;
      case "is_materialized_view" -> t == RelationType.MATERIALIZED_VIEW;
      case "render" -> (JinjaCallable) (ctx, a, k) -> render();
      case "include" -> (JinjaCallable) (ctx, a, k) -> new RelationValue(relation, dialect,
          bool(k, "database", includeDatabase), bool(k, "schema", includeSchema), bool(k, "identifier", includeIdentifier), cteName);
      case "quote", "replace_path" -> (JinjaCallable) (ctx, a, k) -> this;
      case "incorporate" -> (JinjaCallable) (ctx, a, k) -> incorporate(k);
      case "without_identifier" -> new RelationValue(relation, dialect, includeDatabase, includeSchema, false, cteName);
      case "path" -> Map.of("database", nz(relation.database()), "schema", nz(relation.schema()), "identifier", relation.identifier());
      case "quote_policy", "include_policy" -> Map.of("database", true, "schema", true, "identifier", true);
      default -> null;
    };
  }

  private static Object nz(String s) { return s == null ? "" : s; }

  private RelationValue incorporate(Map<String, Object> k) {
    Relation r = relation;
    Object path = k.get("path");
    if (path instanceof Map<?, ?> p) {
      r = new Relation(p.containsKey("database") ? (String) p.get("database") : r.database(),
          p.containsKey("schema") ? (String) p.get("schema") : r.schema(),
          p.containsKey("identifier") ? (String) p.get("identifier") : r.identifier(), r.type());
    }
    Object type = k.get("type");
    if (type != null) {
      RelationType rt = RelationType.UNKNOWN;
      for (RelationType x : RelationType.values()) if (x.dbtName().equals(String.valueOf(type))) rt = x;
      r = r.withType(rt);
    }
    return new RelationValue(r, dialect, includeDatabase, includeSchema, includeIdentifier, cteName);
  }

  private static boolean bool(Map<String, Object> k, String key, boolean dflt) {
    Object v = k.get(key);
    return v == null ? dflt : Boolean.TRUE.equals(v);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RelationValue r && r.render().equals(render());
  }

  @Override
  public int hashCode() { return render().hashCode(); }
}
