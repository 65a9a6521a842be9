package dev.weir.jinja;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python value helpers over Java values: None=null, bool=Boolean, int=Long (Integer/Short/Byte/BigInteger accepted),
 * float=Double (Float/BigDecimal accepted), str=String, list=List, tuple={@link PyTuple}, dict=Map.
 */
public final class Python {
  private Python() {}

  // ------------------------------------------------------------------ str / repr

  /** Python {@code str(v)}. */
  public static String str(Object v) {
    if (v instanceof String s) return s;
    if (v == null) return "None";
    if (v instanceof Boolean b) return b ? "True" : "False";
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte || v instanceof BigInteger) return v.toString();
    if (v instanceof Double d) return PyFormat.floatRepr(d);
    if (v instanceof Float f) return PyFormat.floatRepr(f.doubleValue());
    if (v instanceof Undefined u) {
      if (u.strict()) throw u.fail();
      return "";
    }
    if (v instanceof CharSequence cs) return cs.toString();
    if (v instanceof List || v instanceof Map || v instanceof java.util.Set) return repr(v);
    return v.toString();
  }

  /** Python {@code repr(v)}. */
  public static String repr(Object v) {
    StringBuilder sb = new StringBuilder();
    repr(v, sb, false);
    return sb.toString();
  }

  static String repr(Object v, boolean sortKeys) {
    StringBuilder sb = new StringBuilder();
    repr(v, sb, sortKeys);
    return sb.toString();
  }

  static void repr(Object v, StringBuilder sb, boolean sortKeys) {
    if (v instanceof String s) {
      reprString(s, sb);
    } else if (v instanceof PyTuple t) {
      sb.append('(');
      for (int i = 0; i < t.size(); i++) {
        if (i > 0) sb.append(", ");
        repr(t.get(i), sb, sortKeys);
      }
      if (t.size() == 1) sb.append(',');
      sb.append(')');
    } else if (v instanceof PyRange) {
      sb.append(v);
    } else if (v instanceof List<?> l) {
      sb.append('[');
      boolean first = true;
      for (Object o : l) {
        if (!first) sb.append(", ");
        first = false;
        repr(o, sb, sortKeys);
      }
      sb.append(']');
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      Iterable<? extends Map.Entry<?, ?>> entries = m.entrySet();
      if (sortKeys) {
        List<Map.Entry<?, ?>> es = new ArrayList<>(m.entrySet());
        try {
          es.sort((a, b) -> compare(a.getKey(), b.getKey()));
        } catch (RuntimeException ignored) {
          // unsortable keys: keep insertion order
        }
        entries = es;
      }
      for (Map.Entry<?, ?> e : entries) {
        if (!first) sb.append(", ");
        first = false;
        repr(e.getKey(), sb, sortKeys);
        sb.append(": ");
        repr(e.getValue(), sb, sortKeys);
      }
      sb.append('}');
    } else if (v instanceof java.util.Set<?> set) {
      if (set.isEmpty()) {
        sb.append("set()");
        return;
      }
      sb.append('{');
      boolean first = true;
      for (Object o : set) {
        if (!first) sb.append(", ");
        first = false;
        repr(o, sb, sortKeys);
      }
      sb.append('}');
    } else if (v instanceof Undefined u) {
      if (u.strict()) throw u.fail();
      sb.append("Undefined");
    } else if (v instanceof CharSequence cs) {
      reprString(cs.toString(), sb);
    } else {
      sb.append(str(v));
    }
  }

  static void reprString(String s, StringBuilder sb) {
    char q = (s.indexOf('\'') >= 0 && s.indexOf('"') < 0) ? '"' : '\'';
    sb.append(q);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c == q) sb.append('\\').append(c);
          else if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
          else if (c >= 0x80 && c < 0xa0) sb.append(String.format("\\x%02x", (int) c));
          else sb.append(c);
        }
      }
    }
    sb.append(q);
  }

  // ------------------------------------------------------------------ truthiness & types

  /** Python {@code bool(v)}. */
  public static boolean truthy(Object v) {
    if (v instanceof Boolean b) return b;
    if (v == null) return false;
    if (v instanceof String s) return !s.isEmpty();
    if (v instanceof Long l) return l != 0;
    if (v instanceof Integer i) return i != 0;
    if (v instanceof Double d) return d != 0.0;
    if (v instanceof Collection<?> c) return !c.isEmpty();
    if (v instanceof Map<?, ?> m) return !m.isEmpty();
    if (v instanceof Undefined u) {
      if (u.strict()) throw u.fail();
      return false;
    }
    if (v instanceof Number n) {
      if (n instanceof BigInteger bi) return bi.signum() != 0;
      if (n instanceof BigDecimal bd) return bd.signum() != 0;
      return n.doubleValue() != 0;
    }
    if (v instanceof CharSequence cs) return cs.length() > 0;
    return true;
  }

  /** Python type name: NoneType, bool, int, float, str, list, tuple, dict, ... */
  public static String typeName(Object v) {
    if (v == null) return "NoneType";
    if (v instanceof Boolean) return "bool";
    if (v instanceof String || v instanceof CharSequence) return "str";
    if (isInt(v)) return "int";
    if (v instanceof Number) return "float";
    if (v instanceof PyTuple) return "tuple";
    if (v instanceof PyRange) return "range";
    if (v instanceof List) return "list";
    if (v instanceof Map) return "dict";
    if (v instanceof Undefined) return "Undefined";
    if (v instanceof Macro) return "Macro";
    if (v instanceof JinjaCallable) return "function";
    return v.getClass().getSimpleName();
  }

  /** jinja2 object_type_repr: "None", "'dict object'", ... */
  static String objectTypeRepr(Object v) {
    if (v == null) return "None";
    return "'" + typeName(v) + " object'";
  }

  static boolean isInt(Object v) {
    return v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte || v instanceof BigInteger;
  }

  static boolean isNumber(Object v) {
    return v instanceof Number || v instanceof Boolean;
  }

  static boolean isFloat(Object v) {
    return v instanceof Double || v instanceof Float || v instanceof BigDecimal;
  }

  /** Normalizes Java integer types to Long (BigInteger kept when it does not fit). */
  static Object normInt(Object v) {
    if (v instanceof Long) return v;
    if (v instanceof Integer i) return (long) i;
    if (v instanceof Short s) return (long) s;
    if (v instanceof Byte b) return (long) b;
    if (v instanceof Boolean b) return b ? 1L : 0L;
    if (v instanceof BigInteger bi) return bi.bitLength() < 64 ? (Object) bi.longValue() : bi;
    return v;
  }

  static Object normBig(BigInteger bi) {
    return bi.bitLength() < 64 ? (Object) bi.longValue() : bi;
  }

  static BigInteger big(Object v) {
    if (v instanceof BigInteger b) return b;
    return BigInteger.valueOf(((Number) normInt(v)).longValue());
  }

  static double dbl(Object v) {
    if (v instanceof Boolean b) return b ? 1 : 0;
    return ((Number) v).doubleValue();
  }

  /** int(v) for an int/bool/float argument; throws for other types. */
  public static long toLong(Object v) {
    if (v instanceof Long l) return l;
    if (v instanceof Integer i) return i;
    if (v instanceof Boolean b) return b ? 1 : 0;
    if (v instanceof Number n) return n.longValue();
    throw new TemplateRuntimeError("'" + typeName(v) + "' object cannot be interpreted as an integer");
  }

  static int toIndex(Object v) {
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte || v instanceof Boolean) return (int) toLong(v);
    throw new TemplateRuntimeError("'" + typeName(v) + "' object cannot be interpreted as an integer");
  }

  // ------------------------------------------------------------------ equality & ordering

  /** Python {@code ==}. */
  public static boolean eq(Object a, Object b) {
    if (a == b) return true;
    if (a == null || b == null) return false;
    if (a instanceof String sa) return b instanceof String && sa.equals(b) || (b instanceof CharSequence cs && !(b instanceof String) && sa.contentEquals(cs));
    if (a instanceof Undefined || b instanceof Undefined) {
      if (a instanceof Undefined ua && ua.strict()) throw ua.fail();
      if (b instanceof Undefined ub && ub.strict()) throw ub.fail();
      return a instanceof Undefined && b instanceof Undefined;
    }
    if (isNumber(a) && isNumber(b)) {
      if (isFloat(a) || isFloat(b)) return dbl(a) == dbl(b);
      Object x = normInt(a), y = normInt(b);
      if (x instanceof Long lx && y instanceof Long ly) return lx.longValue() == ly.longValue();
      return big(x).equals(big(y));
    }
    if (a instanceof List<?> la && b instanceof List<?> lb) {
      if ((a instanceof PyTuple) != (b instanceof PyTuple)) return false;
      if (la.size() != lb.size()) return false;
      for (int i = 0; i < la.size(); i++) if (!eq(la.get(i), lb.get(i))) return false;
      return true;
    }
    if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
      if (ma.size() != mb.size()) return false;
      for (Map.Entry<?, ?> e : ma.entrySet()) {
        Object k = findKey(mb, e.getKey());
        if (k == MISSING) return false;
        if (!eq(e.getValue(), mb.get(k))) return false;
      }
      return true;
    }
    if (a instanceof CharSequence ca && b instanceof CharSequence cb) return ca.toString().equals(cb.toString());
    return a.equals(b);
  }

  static final Object MISSING = new Object();

  /** Finds the actual key object in map equal (Python-wise) to key, or MISSING. */
  static Object findKey(Map<?, ?> m, Object key) {
    if (m.containsKey(key)) return key;
    if (isNumber(key)) {
      Object n = normInt(key);
      if (n instanceof Long l) {
        if (m.containsKey(l)) return l;
        if (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE && m.containsKey(l.intValue())) return l.intValue();
        if (m.containsKey((double) l)) return (double) l;
      }
      if (key instanceof Double d && d == Math.rint(d) && m.containsKey(d.longValue())) return d.longValue();
    }
    return MISSING;
  }

  /** Python ordering for {@code <}: numbers, strings, lists/tuples. */
  public static int compare(Object a, Object b) {
    if (isNumber(a) && isNumber(b)) {
      if (isFloat(a) || isFloat(b)) return Double.compare(dbl(a), dbl(b)) ;
      Object x = normInt(a), y = normInt(b);
      if (x instanceof Long lx && y instanceof Long ly) return Long.compare(lx, ly);
      return big(x).compareTo(big(y));
    }
    if (a instanceof String sa && b instanceof String sb) return Integer.signum(sa.compareTo(sb));
    if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof PyTuple) == (b instanceof PyTuple)) {
      int n = Math.min(la.size(), lb.size());
      for (int i = 0; i < n; i++) {
        if (!eq(la.get(i), lb.get(i))) return compare(la.get(i), lb.get(i));
      }
      return Integer.compare(la.size(), lb.size());
    }
    if (a instanceof Comparable<?> ca && b != null && a.getClass() == b.getClass()) {
      @SuppressWarnings("unchecked")
      int c = ((Comparable<Object>) ca).compareTo(b);
      return Integer.signum(c);
    }
    if (a instanceof Undefined u && u.strict()) throw u.fail();
    if (b instanceof Undefined u && u.strict()) throw u.fail();
    throw new TemplateRuntimeError("'<' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
  }

  static int compareOp(String op, Object a, Object b) {
    try {
      return compare(a, b);
    } catch (TemplateRuntimeError e) {
      if (e instanceof UndefinedError) throw e;
      throw new TemplateRuntimeError("'" + op + "' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
    }
  }

  // ------------------------------------------------------------------ containers

  /** Python {@code len(v)}. */
  public static int len(Object v) {
    if (v instanceof String s) return s.codePointCount(0, s.length());
    if (v instanceof Collection<?> c) return c.size();
    if (v instanceof Map<?, ?> m) return m.size();
    if (v instanceof CharSequence cs) return cs.length();
    if (v instanceof Undefined u) {
      if (u.strict()) throw u.fail();
      return 0;
    }
    throw new TemplateRuntimeError("object of type '" + typeName(v) + "' has no len()");
  }

  /** Python iteration: lists/tuples yield items, dicts yield keys, strings yield characters. */
  @SuppressWarnings("unchecked")
  public static Iterable<Object> iterate(Object v) {
    if (v instanceof List<?> l) return (List<Object>) l;
    if (v instanceof Map<?, ?> m) return (Iterable<Object>) m.keySet();
    if (v instanceof String s) {
      List<Object> out = new ArrayList<>(s.length());
      for (int i = 0; i < s.length(); ) {
        int cp = s.codePointAt(i);
        int n = Character.charCount(cp);
        out.add(s.substring(i, i + n));
        i += n;
      }
      return out;
    }
    if (v instanceof Iterable<?> it) return (Iterable<Object>) it;
    if (v instanceof Undefined u) {
      if (u.strict()) throw u.fail();
      return List.of();
    }
    if (v instanceof Iterator<?> it) {
      List<Object> out = new ArrayList<>();
      it.forEachRemaining(out::add);
      return out;
    }
    if (v instanceof Object[] arr) return java.util.Arrays.asList(arr);
    throw new TemplateRuntimeError("'" + typeName(v) + "' object is not iterable");
  }

  /** Materializes an iterable value into a (possibly shared, do not mutate) list. */
  @SuppressWarnings("unchecked")
  static List<Object> toList(Object v) {
    if (v instanceof List<?> l) return (List<Object>) l;
    List<Object> out = new ArrayList<>();
    for (Object o : iterate(v)) out.add(o);
    return out;
  }

  static List<Object> newList(Object v) {
    List<Object> out = new ArrayList<>();
    for (Object o : iterate(v)) out.add(o);
    return out;
  }

  /** Python {@code item in container}. */
  public static boolean contains(Object container, Object item) {
    if (container instanceof String s) {
      if (item instanceof String is) return s.contains(is);
      if (item instanceof Undefined u && u.strict()) throw u.fail();
      throw new TemplateRuntimeError("'in <string>' requires string as left operand, not " + typeName(item));
    }
    if (container instanceof Map<?, ?> m) return findKey(m, item) != MISSING;
    if (container instanceof Collection<?> c) {
      for (Object o : c) if (eq(o, item)) return true;
      return false;
    }
    if (container instanceof Undefined u) {
      if (u.strict()) throw u.fail();
      return false;
    }
    if (container instanceof JinjaObject jo && item instanceof String s) {
      Object r = jo.getAttribute(s);
      return r != null && !(r instanceof Undefined);
    }
    for (Object o : iterate(container)) if (eq(o, item)) return true;
    return false;
  }

  /** A new insertion-ordered dict. */
  static Map<Object, Object> newDict() { return new LinkedHashMap<>(); }

  static Object index(List<?> l, Object key) {
    int i = toIndex(key);
    int n = l.size();
    if (i < 0) i += n;
    if (i < 0 || i >= n) return MISSING;
    return l.get(i);
  }

  static String charAt(String s, Object key) {
    int i = toIndex(key);
    int n = s.length();
    if (i < 0) i += n;
    if (i < 0 || i >= n) return null;
    return String.valueOf(s.charAt(i));
  }

  // ------------------------------------------------------------------ slices

  static int[] sliceIndices(int len, Object start, Object stop, Object step) {
    int st = step == null ? 1 : toIndex(step);
    if (st == 0) throw new TemplateRuntimeError("slice step cannot be zero");
    int lo, hi;
    if (st > 0) {
      lo = start == null ? 0 : clampIdx(toIndex(start), len, 0, len);
      hi = stop == null ? len : clampIdx(toIndex(stop), len, 0, len);
    } else {
      lo = start == null ? len - 1 : clampIdx(toIndex(start), len, -1, len - 1);
      hi = stop == null ? -1 : clampIdx(toIndex(stop), len, -1, len - 1);
    }
    return new int[] {lo, hi, st};
  }

  private static int clampIdx(int i, int len, int min, int max) {
    if (i < 0) i += len;
    if (i < min) i = min;
    if (i > max) i = max;
    return i;
  }

  static Object slice(Object v, Object start, Object stop, Object step) {
    if (v instanceof String s) {
      int[] ix = sliceIndices(s.length(), start, stop, step);
      if (ix[2] == 1) return ix[0] < ix[1] ? s.substring(ix[0], ix[1]) : "";
      StringBuilder sb = new StringBuilder();
      if (ix[2] > 0) for (int i = ix[0]; i < ix[1]; i += ix[2]) sb.append(s.charAt(i));
      else for (int i = ix[0]; i > ix[1]; i += ix[2]) sb.append(s.charAt(i));
      return sb.toString();
    }
    if (v instanceof List<?> l) {
      int[] ix = sliceIndices(l.size(), start, stop, step);
      List<Object> out = new ArrayList<>();
      if (ix[2] > 0) for (int i = ix[0]; i < ix[1]; i += ix[2]) out.add(l.get(i));
      else for (int i = ix[0]; i > ix[1]; i += ix[2]) out.add(l.get(i));
      return v instanceof PyTuple ? PyTuple.copyOf(out) : out;
    }
    if (v instanceof Undefined u) {
      if (u.strict()) throw u.fail();
      return u;
    }
    throw new TemplateRuntimeError("'" + typeName(v) + "' object is not subscriptable");
  }
}
