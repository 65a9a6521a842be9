package dev.weir.core.engine;

/** Kinds of relation an engine reports or Weir creates. */
public enum RelationType {
  TABLE, VIEW, MATERIALIZED_VIEW, EXTERNAL, CTE, UNKNOWN;

  /** dbt's spelling: "table", "view", "materialized_view", ... */
  public String dbtName() { return name().toLowerCase(java.util.Locale.ROOT); }
}
