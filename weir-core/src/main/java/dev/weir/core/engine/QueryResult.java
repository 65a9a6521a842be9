package dev.weir.core.engine;

import java.util.List;

/**
 * Rows fetched by a query. Values are plain Java values a template can use: Long, Double,
 * BigDecimal, String, Boolean, java.time values, or null. {@code truncated} tells that more rows
 * existed than were fetched.
 */
public record QueryResult(List<ColumnInfo> columns, List<List<Object>> rows, boolean truncated, long rowsAffected) {
  public static QueryResult affected(long rows) { return new QueryResult(List.of(), List.of(), false, rows); }
}
