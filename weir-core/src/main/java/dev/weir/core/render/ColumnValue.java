package dev.weir.core.render;

import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.jinja.JinjaCallable;
import dev.weir.jinja.JinjaObject;
import java.util.Locale;

/** A warehouse column as templates see it (dbt's Column): name, data_type, quoted, is_string()... */
public final class ColumnValue implements JinjaObject {
  private final ColumnInfo column;
  private final Dialect dialect;

  public ColumnValue(ColumnInfo column, Dialect dialect) {
    this.column = column;
    this.dialect = dialect;
  }

  @Override
  public Object getAttribute(String name) {
    String t = column.dataType() == null ? "" : column.dataType();
    String lt = t.toLowerCase(Locale.ROOT);
    return switch (name) {
      case "name", "column" -> column.name();
      case "data_type", "dtype" -> t;
      case "quoted" -> dialect.quote(column.name());
      case "char_size" -> null;
      case "is_string" -> (JinjaCallable) (c, a, k) -> lt.contains("char") || lt.contains("text") || lt.contains("string");
      case "is_number", "is_numeric" -> (JinjaCallable) (c, a, k) -> lt.matches(".*(int|decimal|numeric|double|float|real).*");
      case "is_integer" -> (JinjaCallable) (c, a, k) -> lt.contains("int");
      case "is_float" -> (JinjaCallable) (c, a, k) -> lt.matches(".*(double|float|real).*");
      default -> null;
    };
  }

  @Override
  public String toString() { return column.name(); }
}
