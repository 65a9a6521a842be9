package dev.weir.core.render;

import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.QueryResult;
import dev.weir.jinja.JinjaCallable;
import dev.weir.jinja.JinjaObject;
import dev.weir.jinja.PyTuple;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;

/**
 * The result of {@code run_query} / {@code load_result(...).table}: behaves like dbt's agate table
 * as templates use it — iterate rows, {@code table.rows}, {@code table.columns[0].values()},
 * {@code table.column_names}, {@code row[0]}, {@code row['name']}, {@code row.name}.
 */
public final class TableValue extends AbstractList<TableValue.Row> implements JinjaObject {
  private final List<String> names;
  private final List<Row> rows;

  public TableValue(QueryResult r) {
    this.names = new ArrayList<>();
    for (ColumnInfo c : r.columns()) names.add(c.name());
    this.rows = new ArrayList<>(r.rows().size());
    for (List<Object> row : r.rows()) rows.add(new Row(row));
  }

  @Override public Row get(int index) { return rows.get(index); }
  @Override public int size() { return rows.size(); }

  @Override
  public Object getAttribute(String name) {
    return switch (name) {
      case "rows" -> rows;
      case "column_names" -> PyTuple.copyOf(new ArrayList<>(names));
      case "columns" -> columns();
      case "print_table" -> (JinjaCallable) (c, a, k) -> "";
      default -> null;
    };
  }

  private List<Object> columns() {
    List<Object> cols = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      final int idx = i;
      List<Object> values = new ArrayList<>();
      for (Row r : rows) values.add(r.get(idx));
      cols.add((JinjaObject) n -> switch (n) {
        case "name" -> names.get(idx);
        case "values" -> (JinjaCallable) (c, a, k) -> PyTuple.copyOf(values);
        default -> null;
      });
    }
    return cols;
  }

  /** One row: a tuple of values that also answers to column names. */
  public final class Row extends AbstractList<Object> implements JinjaObject {
    private final List<Object> values;

    Row(List<Object> values) { this.values = values; }

    @Override public Object get(int index) { return values.get(index); }
    @Override public int size() { return values.size(); }

    @Override
    public Object getAttribute(String name) {
      int i = names.indexOf(name);
      if (i < 0) {
        for (int j = 0; j < names.size(); j++) if (names.get(j).equalsIgnoreCase(name)) i = j;
      }
      return i < 0 ? null : values.get(i);
    }
  }
}
