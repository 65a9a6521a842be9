package dev.weir.jinja;

import java.util.AbstractList;
import java.util.Collection;
import java.util.List;
import java.util.RandomAccess;

/** An immutable Python tuple. {@code str()} renders with parentheses: {@code (1,)}, {@code (1, 'a')}. */
public final class PyTuple extends AbstractList<Object> implements RandomAccess {
  static final PyTuple EMPTY = new PyTuple(new Object[0]);
  private final Object[] items;

  boolean group; // groupby result: has .grouper and .list

  private PyTuple(Object[] items) { this.items = items; }

  static PyTuple group(Object key, List<Object> items) {
    PyTuple t = new PyTuple(new Object[] {key, items});
    t.group = true;
    return t;
  }

  public static PyTuple of(Object... items) { return items.length == 0 ? EMPTY : new PyTuple(items.clone()); }

  public static PyTuple copyOf(Collection<?> c) { return c.isEmpty() ? EMPTY : new PyTuple(c.toArray()); }

  static PyTuple wrap(Object[] items) { return new PyTuple(items); }

  @Override public Object get(int index) { return items[index]; }
  @Override public int size() { return items.length; }
  @Override public String toString() { return Python.repr(this); }

  static List<Object> asList(Object[] a) { return wrap(a); }
}
