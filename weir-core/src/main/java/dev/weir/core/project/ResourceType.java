package dev.weir.core.project;

import java.util.Locale;

/** The kinds of node a project declares, spelled as dbt spells them in unique ids and selectors. */
public enum ResourceType {
  MODEL, SEED, TEST, SOURCE, SNAPSHOT, ANALYSIS, OPERATION, MACRO, DOC, EXPOSURE, UNIT_TEST,
  /** A table Weir loads from another database (weir-ingest): {@code ingestion.<project>.<ingestion>.<table>}. */
  INGESTION,
  /** A relation Weir writes to Parquet or CSV files (weir-ingest): {@code export.<project>.<name>}. */
  EXPORT;

  private final String dbtName = name().toLowerCase(Locale.ROOT);

  public String dbtName() { return dbtName; }

  public static ResourceType fromDbtName(String s) {
    for (ResourceType t : values()) if (t.dbtName.equals(s)) return t;
    return null;
  }

  /** Whether nodes of this kind run in build/run and appear in the executable graph. */
  public boolean executable() {
    return this == MODEL || this == SEED || this == TEST || this == SNAPSHOT || this == INGESTION || this == EXPORT;
  }
}
