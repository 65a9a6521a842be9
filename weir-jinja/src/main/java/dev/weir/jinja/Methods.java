package dev.weir.jinja;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Python methods of str, list, tuple and dict, dispatched by a switch on the method name. */
final class Methods {
  private Methods() {}

  private static final Set<String> STR = Set.of("upper", "lower", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines",
      "join", "replace", "startswith", "endswith", "format", "find", "rfind", "index", "rindex", "count", "title", "capitalize",
      "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper", "isnumeric", "isdecimal", "istitle", "zfill", "center",
      "ljust", "rjust", "partition", "rpartition", "removeprefix", "removesuffix", "casefold", "swapcase", "encode", "expandtabs",
      "isidentifier", "format_map");
  private static final Set<String> LIST = Set.of("append", "extend", "insert", "pop", "remove", "index", "count", "sort", "reverse",
      "copy", "clear");
  private static final Set<String> TUPLE = Set.of("index", "count");
  private static final Set<String> DICT = Set.of("items", "keys", "values", "get", "update", "pop", "setdefault", "copy", "clear",
      "popitem");

  static boolean isStrMethod(String n) { return STR.contains(n); }
  static boolean isListMethod(String n) { return LIST.contains(n); }
  static boolean isTupleMethod(String n) { return TUPLE.contains(n); }
  static boolean isDictMethod(String n) { return DICT.contains(n); }

  static boolean has(Object self, String name) {
    if (self instanceof String) return STR.contains(name);
    if (self instanceof PyTuple) return TUPLE.contains(name);
    if (self instanceof List) return LIST.contains(name);
    if (self instanceof Map) return DICT.contains(name);
    return false;
  }

  /** A method bound to its receiver, e.g. the value of {@code 'abc'.upper}. */
  static final class BoundMethod implements JinjaCallable {
    final Object self;
    final String name;

    BoundMethod(Object self, String name) {
      this.self = self;
      this.name = name;
    }

    @Override public Object call(RenderContext ctx, List<Object> args, Map<String, Object> kwargs) {
      return Methods.call(ctx, self, name, args, kwargs);
    }

    @Override public String toString() {
      return "<built-in method " + name + " of " + Python.typeName(self) + " object>";
    }
  }

  private static Object arg(List<Object> a, int i) { return i < a.size() ? a.get(i) : null; }

  private static Object arg(List<Object> a, Map<String, Object> kw, int i, String name) {
    if (i < a.size()) return a.get(i);
    return kw.get(name);
  }

  private static String strArg(Object o, String method) {
    if (o instanceof String s) return s;
    if (o instanceof Undefined u) throw u.fail();
    throw new TemplateRuntimeError(method + " arg must be None or str");
  }

  static Object call(RenderContext ctx, Object self, String name, List<Object> args, Map<String, Object> kw) {
    if (self instanceof String s) return str(ctx, s, name, args, kw);
    if (self instanceof PyTuple t) return seq(t, name, args);
    if (self instanceof List<?> l) return list(ctx, l, name, args, kw);
    if (self instanceof Map<?, ?> m) return dict(m, name, args, kw);
    throw new TemplateRuntimeError(Python.objectTypeRepr(self) + " has no attribute '" + name + "'");
  }

  private static boolean isWs(char c) { return Character.isWhitespace(c) || Character.isSpaceChar(c); }

  static String strip(String s, Object chars, boolean left, boolean right) {
    int st = 0, en = s.length();
    if (chars == null) {
      if (left) while (st < en && isWs(s.charAt(st))) st++;
      if (right) while (en > st && isWs(s.charAt(en - 1))) en--;
    } else {
      String cs = strArg(chars, "strip");
      if (left) while (st < en && cs.indexOf(s.charAt(st)) >= 0) st++;
      if (right) while (en > st && cs.indexOf(s.charAt(en - 1)) >= 0) en--;
    }
    return s.substring(st, en);
  }

  static List<Object> split(String s, Object sepO, int max) {
    List<Object> out = new ArrayList<>();
    if (sepO == null) {
      int i = 0, n = s.length();
      while (true) {
        while (i < n && isWs(s.charAt(i))) i++;
        if (i >= n) break;
        if (max >= 0 && out.size() >= max) {
          int e = n;
          while (e > i && isWs(s.charAt(e - 1))) e--;
          out.add(s.substring(i, e));
          break;
        }
        int j = i;
        while (j < n && !isWs(s.charAt(j))) j++;
        out.add(s.substring(i, j));
        i = j;
      }
      return out;
    }
    String sep = strArg(sepO, "split");
    if (sep.isEmpty()) throw new TemplateRuntimeError("empty separator");
    int i = 0;
    while (true) {
      int j = (max >= 0 && out.size() >= max) ? -1 : s.indexOf(sep, i);
      if (j < 0) {
        out.add(s.substring(i));
        break;
      }
      out.add(s.substring(i, j));
      i = j + sep.length();
    }
    return out;
  }

  static List<Object> rsplit(String s, Object sepO, int max) {
    if (max < 0) return split(s, sepO, -1);
    List<Object> out = new ArrayList<>();
    if (sepO == null) {
      int e = s.length();
      while (true) {
        while (e > 0 && isWs(s.charAt(e - 1))) e--;
        if (e <= 0) break;
        if (out.size() >= max) {
          int b = 0;
          while (b < e && isWs(s.charAt(b))) b++;
          out.add(s.substring(b, e));
          break;
        }
        int j = e;
        while (j > 0 && !isWs(s.charAt(j - 1))) j--;
        out.add(s.substring(j, e));
        e = j;
      }
    } else {
      String sep = strArg(sepO, "rsplit");
      if (sep.isEmpty()) throw new TemplateRuntimeError("empty separator");
      int e = s.length();
      while (true) {
        int j = out.size() >= max ? -1 : s.lastIndexOf(sep, e - sep.length());
        if (j < 0) {
          out.add(s.substring(0, e));
          break;
        }
        out.add(s.substring(j + sep.length(), e));
        e = j;
      }
    }
    Collections.reverse(out);
    return out;
  }

  static String title(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    boolean prevCased = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isLetter(c)) {
        sb.append(prevCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
        prevCased = true;
      } else {
        sb.append(c);
        prevCased = false;
      }
    }
    return sb.toString();
  }

  static String capitalize(String s) {
    if (s.isEmpty()) return s;
    return Character.toTitleCase(s.charAt(0)) + s.substring(1).toLowerCase();
  }

  private static boolean prefixMatch(String s, Object p, boolean start, String method) {
    if (p instanceof List<?> l) {
      for (Object o : l) if (prefixMatch(s, o, start, method)) return true;
      return false;
    }
    if (!(p instanceof String ps)) {
      if (p instanceof Undefined u) throw u.fail();
      throw new TemplateRuntimeError(method + " first arg must be str or a tuple of str, not " + Python.typeName(p));
    }
    return start ? s.startsWith(ps) : s.endsWith(ps);
  }

  private static int[] range(String s, List<Object> a, int from) {
    int n = s.length();
    int[] ix = Python.sliceIndices(n, arg(a, from), arg(a, from + 1), null);
    return ix;
  }

  private static Object str(RenderContext ctx, String s, String name, List<Object> a, Map<String, Object> kw) {
    switch (name) {
      case "upper": return s.toUpperCase();
      case "lower": return s.toLowerCase();
      case "casefold": return s.toLowerCase();
      case "swapcase": {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) sb.append(Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c));
        return sb.toString();
      }
      case "strip": return strip(s, arg(a, 0), true, true);
      case "lstrip": return strip(s, arg(a, 0), true, false);
      case "rstrip": return strip(s, arg(a, 0), false, true);
      case "split": {
        Object max = arg(a, kw, 1, "maxsplit");
        return split(s, arg(a, kw, 0, "sep"), max == null ? -1 : (int) Python.toLong(max));
      }
      case "rsplit": {
        Object max = arg(a, kw, 1, "maxsplit");
        return rsplit(s, arg(a, kw, 0, "sep"), max == null ? -1 : (int) Python.toLong(max));
      }
      case "splitlines": {
        boolean keep = Python.truthy(arg(a, kw, 0, "keepends"));
        List<Object> out = new ArrayList<>();
        int i = 0, n = s.length();
        while (i < n) {
          int j = i;
          while (j < n && s.charAt(j) != '\n' && s.charAt(j) != '\r') j++;
          int e = j;
          if (j < n) {
            if (s.charAt(j) == '\r' && j + 1 < n && s.charAt(j + 1) == '\n') j += 2;
            else j++;
          }
          out.add(s.substring(i, keep ? j : e));
          i = j;
        }
        return out;
      }
      case "join": {
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        for (Object o : Python.iterate(arg(a, 0))) {
          if (!first) sb.append(s);
          first = false;
          if (!(o instanceof String)) {
            if (o instanceof Undefined u && u.strict()) throw u.fail();
            if (!(o instanceof CharSequence)) throw new TemplateRuntimeError("sequence item: expected str instance, " + Python.typeName(o) + " found");
          }
          sb.append(o);
        }
        return sb.toString();
      }
      case "replace": {
        String old = strArg(arg(a, 0), "replace"), nw = strArg(arg(a, 1), "replace");
        Object cnt = arg(a, kw, 2, "count");
        if (cnt == null || Python.toLong(cnt) < 0) {
          if (old.isEmpty()) {
            StringBuilder sb = new StringBuilder(nw);
            for (char c : s.toCharArray()) sb.append(c).append(nw);
            return sb.toString();
          }
          return s.replace(old, nw);
        }
        long max = Python.toLong(cnt);
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (long k = 0; k < max; k++) {
          int j = s.indexOf(old, i);
          if (j < 0 || old.isEmpty()) break;
          sb.append(s, i, j).append(nw);
          i = j + old.length();
        }
        return sb.append(s.substring(i)).toString();
      }
      case "startswith":
      case "endswith": {
        String t = s;
        if (a.size() > 1) {
          int[] ix = range(s, a, 1);
          t = ix[0] < ix[1] ? s.substring(ix[0], ix[1]) : "";
        }
        return prefixMatch(t, arg(a, 0), name.equals("startswith"), name);
      }
      case "format": return PyFormat.strFormat(ctx, s, a, kw);
      case "format_map": {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) arg(a, 0);
        return PyFormat.strFormat(ctx, s, List.of(), m);
      }
      case "find":
      case "index":
      case "rfind":
      case "rindex":
      case "count": {
        String sub = strArg(arg(a, 0), name);
        int[] ix = range(s, a, 1);
        int lo = ix[0], hi = Math.max(ix[0], ix[1]);
        String region = s.substring(Math.min(lo, s.length()), Math.min(hi, s.length()));
        if (name.equals("count")) {
          if (sub.isEmpty()) return (long) region.length() + 1;
          long c = 0;
          int i = 0;
          while ((i = region.indexOf(sub, i)) >= 0) {
            c++;
            i += sub.length();
          }
          return c;
        }
        int r = name.startsWith("r") ? region.lastIndexOf(sub) : region.indexOf(sub);
        if (r < 0) {
          if (name.endsWith("index")) throw new TemplateRuntimeError("ValueError: substring not found");
          return -1L;
        }
        return (long) (r + lo);
      }
      case "title": return title(s);
      case "capitalize": return capitalize(s);
      case "isdigit":
      case "isnumeric":
      case "isdecimal": return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
      case "isalpha": return !s.isEmpty() && s.chars().allMatch(Character::isLetter);
      case "isalnum": return !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
      case "isspace": return !s.isEmpty() && s.chars().allMatch(c -> isWs((char) c));
      case "isidentifier": return !s.isEmpty() && Character.isJavaIdentifierStart(s.charAt(0)) && s.charAt(0) != '$'
          && s.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_');
      case "islower": return s.chars().anyMatch(Character::isLetter) && s.chars().noneMatch(Character::isUpperCase);
      case "isupper": return s.chars().anyMatch(Character::isLetter) && s.chars().noneMatch(Character::isLowerCase);
      case "istitle": return !s.isEmpty() && title(s).equals(s) && s.chars().anyMatch(Character::isLetter);
      case "zfill": {
        int w = (int) Python.toLong(arg(a, 0));
        if (s.length() >= w) return s;
        String sign = "";
        String rest = s;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
          sign = s.substring(0, 1);
          rest = s.substring(1);
        }
        return sign + "0".repeat(w - s.length()) + rest;
      }
      case "center":
      case "ljust":
      case "rjust": {
        int w = (int) Python.toLong(arg(a, 0));
        String fill = a.size() > 1 ? strArg(a.get(1), name) : " ";
        int padN = w - s.length();
        if (padN <= 0) return s;
        if (name.equals("ljust")) return s + fill.repeat(padN);
        if (name.equals("rjust")) return fill.repeat(padN) + s;
        int left = padN / 2 + (padN & w & 1);
        return fill.repeat(left) + s + fill.repeat(padN - left);
      }
      case "partition":
      case "rpartition": {
        String sep = strArg(arg(a, 0), name);
        int i = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
        if (i < 0) return name.equals("partition") ? PyTuple.of(s, "", "") : PyTuple.of("", "", s);
        return PyTuple.of(s.substring(0, i), sep, s.substring(i + sep.length()));
      }
      case "removeprefix": {
        String p = strArg(arg(a, 0), name);
        return s.startsWith(p) ? s.substring(p.length()) : s;
      }
      case "removesuffix": {
        String p = strArg(arg(a, 0), name);
        return !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s;
      }
      case "expandtabs": {
        int ts = a.isEmpty() ? 8 : (int) Python.toLong(a.get(0));
        StringBuilder sb = new StringBuilder();
        int col = 0;
        for (char c : s.toCharArray()) {
          if (c == '\t') {
            int sp = ts > 0 ? ts - (col % ts) : 0;
            sb.append(" ".repeat(sp));
            col += sp;
          } else {
            sb.append(c);
            col = (c == '\n' || c == '\r') ? 0 : col + 1;
          }
        }
        return sb.toString();
      }
      case "encode": return s;
      default: throw new TemplateRuntimeError("'str' object has no attribute '" + name + "'");
    }
  }

  private static Object seq(List<?> l, String name, List<Object> a) {
    switch (name) {
      case "index": {
        Object x = arg(a, 0);
        for (int i = 0; i < l.size(); i++) if (Python.eq(l.get(i), x)) return (long) i;
        throw new TemplateRuntimeError("ValueError: " + Python.repr(x) + " is not in list");
      }
      case "count": {
        long c = 0;
        for (Object o : l) if (Python.eq(o, arg(a, 0))) c++;
        return c;
      }
      default: throw new TemplateRuntimeError(Python.objectTypeRepr(l) + " has no attribute '" + name + "'");
    }
  }

  @SuppressWarnings("unchecked")
  private static Object list(RenderContext ctx, List<?> l0, String name, List<Object> a, Map<String, Object> kw) {
    List<Object> l = (List<Object>) l0;
    try {
      switch (name) {
        case "append": l.add(arg(a, 0)); return null;
        case "extend": for (Object o : Python.toList(arg(a, 0)).toArray()) l.add(o); return null;
        case "insert": {
          int i = (int) Python.toLong(arg(a, 0));
          int n = l.size();
          if (i < 0) i = Math.max(0, i + n);
          if (i > n) i = n;
          l.add(i, arg(a, 1));
          return null;
        }
        case "pop": {
          if (l.isEmpty()) throw new TemplateRuntimeError("IndexError: pop from empty list");
          int i = a.isEmpty() ? l.size() - 1 : (int) Python.toLong(a.get(0));
          if (i < 0) i += l.size();
          if (i < 0 || i >= l.size()) throw new TemplateRuntimeError("IndexError: pop index out of range");
          return l.remove(i);
        }
        case "remove": {
          for (int i = 0; i < l.size(); i++) {
            if (Python.eq(l.get(i), arg(a, 0))) {
              l.remove(i);
              return null;
            }
          }
          throw new TemplateRuntimeError("ValueError: list.remove(x): x not in list");
        }
        case "index":
        case "count": return seq(l, name, a);
        case "sort": {
          boolean rev = Python.truthy(kw.get("reverse"));
          l.sort((x, y) -> rev ? Python.compare(y, x) : Python.compare(x, y));
          return null;
        }
        case "reverse": Collections.reverse(l); return null;
        case "copy": return new ArrayList<>(l);
        case "clear": l.clear(); return null;
        default: throw new TemplateRuntimeError("'list' object has no attribute '" + name + "'");
      }
    } catch (UnsupportedOperationException e) {
      throw new TemplateRuntimeError("list is immutable: cannot call " + name + "()");
    }
  }

  @SuppressWarnings("unchecked")
  private static Object dict(Map<?, ?> m0, String name, List<Object> a, Map<String, Object> kw) {
    Map<Object, Object> m = (Map<Object, Object>) m0;
    try {
      switch (name) {
        case "items": {
          List<Object> out = new ArrayList<>(m.size());
          for (Map.Entry<Object, Object> e : m.entrySet()) out.add(PyTuple.of(e.getKey(), e.getValue()));
          return out;
        }
        case "keys": return new ArrayList<>(m.keySet());
        case "values": return new ArrayList<>(m.values());
        case "get": {
          Object k = Python.findKey(m, arg(a, 0));
          return k != Python.MISSING ? m.get(k) : arg(a, 1);
        }
        case "update": {
          if (!a.isEmpty()) {
            Object src = a.get(0);
            if (src instanceof Map<?, ?> sm) m.putAll(sm);
            else for (Object pair : Python.iterate(src)) {
              List<Object> p = Python.toList(pair);
              m.put(p.get(0), p.get(1));
            }
          }
          m.putAll(kw);
          return null;
        }
        case "pop": {
          Object k = Python.findKey(m, arg(a, 0));
          if (k != Python.MISSING) return m.remove(k);
          if (a.size() > 1) return a.get(1);
          throw new TemplateRuntimeError("KeyError: " + Python.repr(arg(a, 0)));
        }
        case "popitem": {
          if (m.isEmpty()) throw new TemplateRuntimeError("KeyError: 'popitem(): dictionary is empty'");
          Object last = null;
          for (Object k : m.keySet()) last = k;
          return PyTuple.of(last, m.remove(last));
        }
        case "setdefault": {
          Object k = Python.findKey(m, arg(a, 0));
          if (k != Python.MISSING) return m.get(k);
          m.put(arg(a, 0), arg(a, 1));
          return arg(a, 1);
        }
        case "copy": return new LinkedHashMap<>(m);
        case "clear": m.clear(); return null;
        default: throw new TemplateRuntimeError("'dict' object has no attribute '" + name + "'");
      }
    } catch (UnsupportedOperationException e) {
      throw new TemplateRuntimeError("dict is immutable: cannot call " + name + "()");
    }
  }
}
