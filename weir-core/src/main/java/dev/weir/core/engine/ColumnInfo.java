package dev.weir.core.engine;

/** A column as the warehouse reports it (or as Weir declares it for a load). */
public record ColumnInfo(String name, String dataType, int index, String comment) {
  public ColumnInfo(String name, String dataType) { this(name, dataType, 0, null); }
}
