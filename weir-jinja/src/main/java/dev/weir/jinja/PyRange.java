package dev.weir.jinja;

import java.util.AbstractList;
import java.util.RandomAccess;

/** Python range object (immutable sequence of longs). */
final class PyRange extends AbstractList<Object> implements RandomAccess {
  final long start, stop, step;
  private final int size;

  PyRange(long start, long stop, long step) {
    if (step == 0) throw new TemplateRuntimeError("range() arg 3 must not be zero");
    this.start = start; this.stop = stop; this.step = step;
    long n;
    if (step > 0) n = start < stop ? (stop - start + step - 1) / step : 0;
    else n = start > stop ? (start - stop - step - 1) / (-step) : 0;
    if (n > 10_000_000) throw new TemplateRuntimeError("range too big, maximum size for range is 10000000");
    this.size = (int) n;
  }

  @Override public Object get(int i) {
    if (i < 0 || i >= size) throw new IndexOutOfBoundsException();
    return start + step * i;
  }
  @Override public int size() { return size; }
  @Override public String toString() {
    return step == 1 ? "range(" + start + ", " + stop + ")" : "range(" + start + ", " + stop + ", " + step + ")";
  }
}
