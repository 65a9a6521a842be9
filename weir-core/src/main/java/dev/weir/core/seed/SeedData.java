package dev.weir.core.seed;

import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect.SeedType;

import java.util.List;

/**
 * A seed CSV read and typed, ready to load.
 *
 * @param file    the file as named in messages
 * @param columns one per CSV column, in order: name, engine type (from {@code Dialect.typeFor} or the
 *                column_types override), 1-based index
 * @param types   the inferred kind per column; null for columns with a column_types override
 * @param rows    the data rows; each value is null or, by the column's kind:
 *                INTEGER → Long; NUMBER → Double (NaN/±Infinity possible), except a column of integers
 *                some of which exceed the long range → BigDecimal (exact) for all its values;
 *                BOOLEAN → Boolean; DATE → LocalDate; TIMESTAMP → LocalDateTime (zoned values in UTC);
 *                TEXT → String as written (not trimmed); overridden columns → String as written
 */
public record SeedData(String file, List<ColumnInfo> columns, List<SeedType> types, List<Object[]> rows) {
  public int rowCount() { return rows.size(); }

  public List<String> columnNames() {
    return columns.stream().map(ColumnInfo::name).toList();
  }
}
