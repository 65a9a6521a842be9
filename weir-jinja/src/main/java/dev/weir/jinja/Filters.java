package dev.weir.jinja;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Jinja2 built-in filters. */
final class Filters {
  private Filters() {}

  private static Object arg(List<Object> a, Map<String, Object> kw, int i, String name, Object def) {
    if (i < a.size()) return a.get(i);
    if (kw.containsKey(name)) return kw.get(name);
    return def;
  }

  private static String s(Object v) { return Python.str(v); }

  static void register(Map<String, JinjaFilter> m) {
    m.put("abs", (c, v, a, k) -> {
      if (Python.isFloat(v)) return Math.abs(Python.dbl(v));
      if (Python.isNumber(v)) {
        Object n = Python.normInt(v);
        return n instanceof Long l ? (Object) Math.abs(l) : Python.normBig(Python.big(n).abs());
      }
      Ops.checkUndef(v);
      throw new TemplateRuntimeError("bad operand type for abs(): '" + Python.typeName(v) + "'");
    });
    m.put("attr", (c, v, a, k) -> {
      String name = s(a.get(0));
      if (v instanceof Map && !(v instanceof JinjaObject)) {
        if (Methods.isDictMethod(name)) return new Methods.BoundMethod(v, name);
        return c.undefined(null, "'dict object' has no attribute '" + name + "'");
      }
      return Ops.getattr(c, v, name);
    });
    m.put("batch", (c, v, a, k) -> {
      int n = (int) Python.toLong(arg(a, k, 0, "linecount", null));
      Object fill = arg(a, k, 1, "fill_with", null);
      boolean doFill = a.size() > 1 || k.containsKey("fill_with");
      List<Object> out = new ArrayList<>();
      List<Object> tmp = new ArrayList<>();
      for (Object o : Python.iterate(v)) {
        if (tmp.size() == n) {
          out.add(tmp);
          tmp = new ArrayList<>();
        }
        tmp.add(o);
      }
      if (!tmp.isEmpty()) {
        if (doFill && fill != null) while (tmp.size() < n) tmp.add(fill);
        else if (doFill) while (tmp.size() < n) tmp.add(null);
        out.add(tmp);
      }
      return out;
    });
    m.put("capitalize", (c, v, a, k) -> Methods.capitalize(s(v)));
    m.put("center", (c, v, a, k) -> Methods.call(c, s(v), "center", List.of(arg(a, k, 0, "width", 80L)), Map.of()));
    JinjaFilter dflt = (c, v, a, k) -> {
      Object d = arg(a, k, 0, "default_value", "");
      boolean bool = Python.truthy(arg(a, k, 1, "boolean", false));
      if (v instanceof Undefined || (bool && !Python.truthy(v))) return d;
      return v;
    };
    m.put("default", dflt);
    m.put("d", dflt);
    m.put("dictsort", (c, v, a, k) -> {
      boolean cs = Python.truthy(arg(a, k, 0, "case_sensitive", false));
      String by = s(arg(a, k, 1, "by", "key"));
      boolean rev = Python.truthy(arg(a, k, 2, "reverse", false));
      int pos = by.equals("key") ? 0 : by.equals("value") ? 1 : -1;
      if (pos < 0) throw new TemplateRuntimeError("You can only sort by either \"key\" or \"value\"");
      List<Object> items = new ArrayList<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) items.add(PyTuple.of(e.getKey(), e.getValue()));
      Comparator<Object> cmp = (x, y) -> Python.compare(sortKey(((List<?>) x).get(pos), cs), sortKey(((List<?>) y).get(pos), cs));
      items.sort(rev ? cmp.reversed() : cmp);
      return items;
    });
    JinjaFilter esc = (c, v, a, k) -> escape(s(v));
    m.put("escape", esc);
    m.put("e", esc);
    m.put("forceescape", esc);
    m.put("first", (c, v, a, k) -> {
      for (Object o : Python.iterate(v)) return o;
      return c.undefined(null, "No first item, sequence was empty.");
    });
    m.put("last", (c, v, a, k) -> {
      List<Object> l = Python.toList(v);
      if (l.isEmpty()) return c.undefined(null, "No last item, sequence was empty.");
      return l.get(l.size() - 1);
    });
    m.put("float", (c, v, a, k) -> {
      Object d = arg(a, k, 0, "default", 0.0);
      try {
        if (Python.isNumber(v)) return Python.dbl(v);
        if (v instanceof String str) return parseFloat(str);
        return d;
      } catch (NumberFormatException e) {
        return d;
      }
    });
    m.put("int", (c, v, a, k) -> {
      Object d = arg(a, k, 0, "default", 0L);
      int base = (int) Python.toLong(arg(a, k, 1, "base", 10L));
      if (Python.isFloat(v)) return Python.normBig(new BigDecimal(Python.dbl(v)).toBigInteger());
      if (Python.isNumber(v)) return Python.normInt(v);
      if (v instanceof String str) {
        String t = str.strip().replace("_", "");
        try {
          if (base == 16 && (t.startsWith("0x") || t.startsWith("0X"))) t = t.substring(2);
          else if (base == 8 && (t.startsWith("0o") || t.startsWith("0O"))) t = t.substring(2);
          else if (base == 2 && (t.startsWith("0b") || t.startsWith("0B"))) t = t.substring(2);
          return Python.normBig(new java.math.BigInteger(t, base));
        } catch (NumberFormatException e) {
          try {
            return Python.normBig(new BigDecimal(parseFloat(str)).toBigInteger());
          } catch (RuntimeException e2) {
            return d;
          }
        }
      }
      return d;
    });
    m.put("format", (c, v, a, k) -> {
      if (!a.isEmpty() && !k.isEmpty()) throw new TemplateRuntimeError("can't handle positional and keyword arguments at the same time");
      if (!k.isEmpty()) return PyFormat.percent(s(v), new LinkedHashMap<Object, Object>(k));
      return PyFormat.percent(s(v), PyTuple.copyOf(a));
    });
    m.put("groupby", (c, v, a, k) -> {
      Object attr = arg(a, k, 0, "attribute", null);
      Object def = arg(a, k, 1, "default", null);
      boolean cs = Python.truthy(arg(a, k, 2, "case_sensitive", false));
      List<Object> items = Python.newList(v);
      List<Object> keys = new ArrayList<>();
      for (Object o : items) {
        Object key = attrPath(c, o, attr, def);
        keys.add(key);
      }
      Integer[] idx = new Integer[items.size()];
      for (int i = 0; i < idx.length; i++) idx[i] = i;
      java.util.Arrays.sort(idx, (x, y) -> Python.compare(sortKey(keys.get(x), cs), sortKey(keys.get(y), cs)));
      List<Object> out = new ArrayList<>();
      Object curKey = Python.MISSING;
      List<Object> group = null;
      for (int i : idx) {
        Object kk = sortKey(keys.get(i), cs);
        if (curKey == Python.MISSING || !Python.eq(curKey, kk)) {
          group = new ArrayList<>();
          curKey = kk;
          out.add(PyTuple.group(keys.get(i), group));
        }
        group.add(items.get(i));
      }
      return out;
    });
    m.put("indent", (c, v, a, k) -> {
      Object w = arg(a, k, 0, "width", 4L);
      boolean first = Python.truthy(arg(a, k, 1, "first", false));
      boolean blank = Python.truthy(arg(a, k, 2, "blank", false));
      String ind = w instanceof String ws ? ws : " ".repeat((int) Python.toLong(w));
      String str = s(v) + "\n";
      @SuppressWarnings("unchecked")
      List<Object> lines = (List<Object>) Methods.call(c, str, "splitlines", List.of(), Map.of());
      StringBuilder sb = new StringBuilder();
      if (blank) {
        for (int i = 0; i < lines.size(); i++) {
          if (i > 0) sb.append('\n').append(ind);
          sb.append(lines.get(i));
        }
      } else {
        sb.append(lines.isEmpty() ? "" : lines.get(0));
        for (int i = 1; i < lines.size(); i++) {
          String line = (String) lines.get(i);
          sb.append('\n');
          if (!line.isEmpty()) sb.append(ind);
          sb.append(line);
        }
      }
      return first ? ind + sb : sb.toString();
    });
    m.put("join", (c, v, a, k) -> {
      String d = s(arg(a, k, 0, "d", ""));
      Object attr = arg(a, k, 1, "attribute", null);
      StringBuilder sb = new StringBuilder();
      boolean firstItem = true;
      for (Object o : Python.iterate(v)) {
        if (!firstItem) sb.append(d);
        firstItem = false;
        sb.append(s(attr != null ? attrPath(c, o, attr, null) : o));
      }
      return sb.toString();
    });
    JinjaFilter len = (c, v, a, k) -> (long) Python.len(v);
    m.put("length", len);
    m.put("count", len);
    m.put("list", (c, v, a, k) -> Python.newList(v));
    m.put("lower", (c, v, a, k) -> s(v).toLowerCase());
    m.put("upper", (c, v, a, k) -> s(v).toUpperCase());
    m.put("title", (c, v, a, k) -> title(s(v)));
    m.put("map", (c, v, a, k) -> {
      List<Object> out = new ArrayList<>();
      if (a.isEmpty() && k.containsKey("attribute")) {
        Object attr = k.get("attribute");
        Object def = k.get("default");
        for (Object o : Python.iterate(v)) out.add(attrPath(c, o, attr, def));
        return out;
      }
      if (a.isEmpty()) throw new TemplateRuntimeError("map requires a filter argument");
      String fname = s(a.get(0));
      JinjaFilter f = c.env().filter(fname);
      if (f == null) throw new TemplateRuntimeError("No filter named '" + fname + "'.");
      List<Object> rest = a.subList(1, a.size());
      for (Object o : Python.iterate(v)) out.add(f.apply(c, o, rest, k));
      return out;
    });
    m.put("max", (c, v, a, k) -> minMax(c, v, a, k, true));
    m.put("min", (c, v, a, k) -> minMax(c, v, a, k, false));
    m.put("pprint", (c, v, a, k) -> Python.repr(v, true));
    m.put("reject", (c, v, a, k) -> select(c, v, a, false, false));
    m.put("select", (c, v, a, k) -> select(c, v, a, true, false));
    m.put("rejectattr", (c, v, a, k) -> select(c, v, a, false, true));
    m.put("selectattr", (c, v, a, k) -> select(c, v, a, true, true));
    m.put("replace", (c, v, a, k) -> {
      List<Object> args = new ArrayList<>();
      args.add(s(a.get(0)));
      args.add(s(a.get(1)));
      Object cnt = arg(a, k, 2, "count", null);
      if (cnt != null) args.add(cnt);
      return Methods.call(c, s(v), "replace", args, Map.of());
    });
    m.put("reverse", (c, v, a, k) -> {
      if (v instanceof String str) return new StringBuilder(str).reverse().toString();
      List<Object> l = Python.newList(v);
      java.util.Collections.reverse(l);
      return l;
    });
    m.put("round", (c, v, a, k) -> {
      int prec = (int) Python.toLong(arg(a, k, 0, "precision", 0L));
      String method = s(arg(a, k, 1, "method", "common"));
      double d = Python.dbl(v);
      if (Double.isNaN(d) || Double.isInfinite(d)) return d;
      RoundingMode rm;
      switch (method) {
        case "common": rm = RoundingMode.HALF_EVEN; break;
        case "ceil": rm = RoundingMode.CEILING; break;
        case "floor": rm = RoundingMode.FLOOR; break;
        default: throw new TemplateRuntimeError("method must be common, ceil or floor");
      }
      if (method.equals("common") && Python.isInt(v)) return Python.normInt(v);
      if (method.equals("common")) return new BigDecimal(d).setScale(prec, RoundingMode.HALF_EVEN).doubleValue();
      double f = Math.pow(10, prec);
      return rm == RoundingMode.CEILING ? Math.ceil(d * f) / f : Math.floor(d * f) / f;
    });
    m.put("safe", (c, v, a, k) -> v);
    m.put("slice", (c, v, a, k) -> {
      int slices = (int) Python.toLong(arg(a, k, 0, "slices", null));
      Object fill = arg(a, k, 1, "fill_with", null);
      boolean doFill = a.size() > 1 || k.containsKey("fill_with");
      List<Object> seq = Python.toList(v);
      int length = seq.size();
      int per = length / slices, extra = length % slices;
      int offset = 0;
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < slices; i++) {
        int start = offset + i * per;
        if (i < extra) offset++;
        int end = offset + (i + 1) * per;
        List<Object> tmp = new ArrayList<>(seq.subList(start, end));
        if (doFill && i >= extra) tmp.add(fill);
        out.add(tmp);
      }
      return out;
    });
    m.put("sort", (c, v, a, k) -> {
      boolean rev = Python.truthy(arg(a, k, 0, "reverse", false));
      boolean cs = Python.truthy(arg(a, k, 1, "case_sensitive", false));
      Object attr = arg(a, k, 2, "attribute", null);
      List<Object> l = Python.newList(v);
      Comparator<Object> cmp = (x, y) -> Python.compare(sortKey(attr == null ? x : attrPath(c, x, attr, null), cs),
          sortKey(attr == null ? y : attrPath(c, y, attr, null), cs));
      l.sort(rev ? cmp.reversed() : cmp);
      return l;
    });
    m.put("string", (c, v, a, k) -> s(v));
    m.put("striptags", (c, v, a, k) -> {
      String str = s(v).replaceAll("(?s)<!--.*?-->|<[^>]*>", "");
      str = String.join(" ", Methods.split(str, null, -1).stream().map(Object::toString).toList());
      return unescape(str);
    });
    m.put("sum", (c, v, a, k) -> {
      Object attr = arg(a, k, 0, "attribute", null);
      Object total = arg(a, k, 1, "start", 0L);
      for (Object o : Python.iterate(v)) total = Ops.add(total, attr == null ? o : attrPath(c, o, attr, null));
      return total;
    });
    m.put("trim", (c, v, a, k) -> Methods.strip(s(v), arg(a, k, 0, "chars", null), true, true));
    m.put("truncate", (c, v, a, k) -> {
      String str = s(v);
      int length = (int) Python.toLong(arg(a, k, 0, "length", 255L));
      boolean kill = Python.truthy(arg(a, k, 1, "killwords", false));
      String end = s(arg(a, k, 2, "end", "..."));
      Object lw = arg(a, k, 3, "leeway", null);
      int leeway = lw == null ? 5 : (int) Python.toLong(lw);
      if (length < end.length()) throw new TemplateRuntimeError("expected length >= " + end.length() + ", got " + length);
      if (leeway < 0) throw new TemplateRuntimeError("expected leeway >= 0, got " + leeway);
      if (str.length() <= length + leeway) return str;
      if (kill) return str.substring(0, Math.max(0, length - end.length())) + end;
      String r = str.substring(0, Math.max(0, length - end.length()));
      int sp = r.lastIndexOf(' ');
      if (sp >= 0) r = r.substring(0, sp);
      return r + end;
    });
    m.put("unique", (c, v, a, k) -> {
      boolean cs = Python.truthy(arg(a, k, 0, "case_sensitive", false));
      Object attr = arg(a, k, 1, "attribute", null);
      List<Object> out = new ArrayList<>();
      List<Object> seen = new ArrayList<>();
      for (Object o : Python.iterate(v)) {
        Object key = sortKey(attr == null ? o : attrPath(c, o, attr, null), cs);
        boolean dup = false;
        for (Object sk : seen) if (Python.eq(sk, key)) { dup = true; break; }
        if (!dup) {
          seen.add(key);
          out.add(o);
        }
      }
      return out;
    });
    m.put("urlencode", (c, v, a, k) -> {
      if (v instanceof Map<?, ?> mm) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<?, ?> e : mm.entrySet()) {
          if (sb.length() > 0) sb.append('&');
          sb.append(urlquote(s(e.getKey()), "").replace("%20", "+")).append('=').append(urlquote(s(e.getValue()), "").replace("%20", "+"));
        }
        return sb.toString();
      }
      return urlquote(s(v), "/");
    });
    m.put("wordcount", (c, v, a, k) -> {
      String str = s(v);
      long n = 0;
      boolean in = false;
      for (int i = 0; i < str.length(); i++) {
        char ch = str.charAt(i);
        boolean w = Character.isLetterOrDigit(ch) || ch == '_';
        if (w && !in) n++;
        in = w;
      }
      return n;
    });
    m.put("wordwrap", (c, v, a, k) -> {
      String str = s(v);
      int width = (int) Python.toLong(arg(a, k, 0, "width", 79L));
      boolean breakLong = Python.truthy(arg(a, k, 1, "break_long_words", true));
      Object ws = arg(a, k, 2, "wrapstring", null);
      String wrap = ws == null ? "\n" : s(ws);
      List<String> outLines = new ArrayList<>();
      for (Object para : Methods.split(str, "\n", -1)) {
        List<Object> words = Methods.split((String) para, null, -1);
        StringBuilder line = new StringBuilder();
        List<String> lines = new ArrayList<>();
        for (Object wo : words) {
          String w = (String) wo;
          while (breakLong && w.length() > width) {
            if (line.length() > 0) {
              int room = width - line.length() - 1;
              if (room > 0) {
                line.append(' ').append(w, 0, room);
                w = w.substring(room);
              }
              lines.add(line.toString());
              line.setLength(0);
              continue;
            }
            lines.add(w.substring(0, width));
            w = w.substring(width);
          }
          if (line.length() == 0) line.append(w);
          else if (line.length() + 1 + w.length() <= width) line.append(' ').append(w);
          else {
            lines.add(line.toString());
            line.setLength(0);
            line.append(w);
          }
        }
        if (line.length() > 0) lines.add(line.toString());
        outLines.add(String.join(wrap, lines));
      }
      return String.join(wrap, outLines);
    });
    m.put("items", (c, v, a, k) -> {
      if (v instanceof Undefined u) {
        if (u.strict()) throw u.fail();
        return new ArrayList<>();
      }
      if (!(v instanceof Map<?, ?> mm)) throw new TemplateRuntimeError("Can only get item pairs from a mapping.");
      List<Object> out = new ArrayList<>();
      for (Map.Entry<?, ?> e : mm.entrySet()) out.add(PyTuple.of(e.getKey(), e.getValue()));
      return out;
    });
    m.put("xmlattr", (c, v, a, k) -> {
      boolean autospace = Python.truthy(arg(a, k, 0, "autospace", true));
      StringBuilder sb = new StringBuilder();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        Object val = e.getValue();
        if (val == null || val instanceof Undefined) continue;
        if (sb.length() > 0) sb.append(' ');
        sb.append(escape(s(e.getKey()))).append("=\"").append(escape(s(val))).append('"');
      }
      if (autospace && sb.length() > 0) sb.insert(0, ' ');
      return sb.toString();
    });
    m.put("tojson", (c, v, a, k) -> {
      Object ind = arg(a, k, 0, "indent", null);
      StringBuilder sb = new StringBuilder();
      Json.write(v, sb, ind == null ? -1 : (int) Python.toLong(ind), 0, true);
      return sb.toString().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027");
    });
    m.put("filesizeformat", (c, v, a, k) -> {
      double bytes = Python.dbl(v);
      boolean binary = Python.truthy(arg(a, k, 0, "binary", false));
      int base = binary ? 1024 : 1000;
      String[] pre = binary ? new String[] {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
          : new String[] {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
      if (bytes == 1) return "1 Byte";
      if (bytes < base) return ((long) bytes) + " Bytes";
      for (int i = 0; i < pre.length; i++) {
        double unit = Math.pow(base, i + 2);
        if (bytes < unit) return PyFormat.percent("%.1f %s", PyTuple.of(base * bytes / unit, pre[i]));
      }
      return PyFormat.percent("%.1f %s", PyTuple.of(base * bytes / Math.pow(base, pre.length + 1), pre[pre.length - 1]));
    });
  }

  static double parseFloat(String str) {
    String t = str.strip().replace("_", "");
    switch (t.toLowerCase()) {
      case "inf": case "+inf": case "infinity": return Double.POSITIVE_INFINITY;
      case "-inf": case "-infinity": return Double.NEGATIVE_INFINITY;
      case "nan": case "+nan": case "-nan": return Double.NaN;
      default:
        if (t.isEmpty() || t.endsWith("d") || t.endsWith("D") || t.endsWith("f") || t.endsWith("F") || t.startsWith("0x")) throw new NumberFormatException(str);
        return Double.parseDouble(t);
    }
  }

  static Object sortKey(Object v, boolean caseSensitive) {
    if (!caseSensitive && v instanceof String s) return s.toLowerCase();
    return v;
  }

  /** environment.getitem over a dotted attribute path; integer parts index; "a,b" gives a tuple of both. */
  static Object attrPath(RenderContext c, Object o, Object attr, Object def) {
    if (attr == null) return o;
    if (attr instanceof String as && as.indexOf(',') >= 0) {
      List<Object> parts = new ArrayList<>();
      for (String part : as.split(",")) parts.add(attrPath(c, o, part.strip(), def));
      return PyTuple.copyOf(parts);
    }
    if (Python.isInt(attr)) return Ops.getitem(c, o, attr);
    for (String part : s(attr).split("\\.")) {
      Object key = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? (Object) Long.parseLong(part) : part;
      o = Ops.getitem(c, o, key);
      if (o instanceof Undefined && def != null) return def;
    }
    return o;
  }

  private static Object minMax(RenderContext c, Object v, List<Object> a, Map<String, Object> k, boolean max) {
    boolean cs = Python.truthy(arg(a, k, 0, "case_sensitive", false));
    Object attr = arg(a, k, 1, "attribute", null);
    Object best = Python.MISSING, bestKey = null;
    for (Object o : Python.iterate(v)) {
      Object key = sortKey(attrPath(c, o, attr, null), cs);
      if (best == Python.MISSING || (max ? Python.compare(key, bestKey) > 0 : Python.compare(key, bestKey) < 0)) {
        best = o;
        bestKey = key;
      }
    }
    if (best == Python.MISSING) return c.undefined(null, "No aggregated item, sequence was empty.");
    return best;
  }

  private static List<Object> select(RenderContext c, Object v, List<Object> a, boolean keep, boolean attrMode) {
    List<Object> out = new ArrayList<>();
    Object attr = null;
    int ti = 0;
    if (attrMode) {
      attr = a.get(0);
      ti = 1;
    }
    JinjaTest test = null;
    List<Object> targs = List.of();
    if (a.size() > ti) {
      String tname = s(a.get(ti));
      test = c.env().test(tname);
      if (test == null) throw new TemplateRuntimeError("No test named '" + tname + "'.");
      targs = a.subList(ti + 1, a.size());
    }
    for (Object o : Python.iterate(v)) {
      Object x = attrMode ? attrPath(c, o, attr, null) : o;
      boolean r = test == null ? Python.truthy(x) : test.test(c, x, targs);
      if (r == keep) out.add(o);
    }
    return out;
  }

  static String title(String s) {
    StringBuilder sb = new StringBuilder();
    boolean start = true;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      boolean sep = ch == '-' || Character.isWhitespace(ch) || ch == '(' || ch == '{' || ch == '[' || ch == '<';
      if (sep) {
        if (start || !(i > 0 && isSep(s.charAt(i - 1)))) sb.append(Character.toUpperCase(ch));
        else sb.append(ch);
        start = true;
      } else if (start) {
        sb.append(Character.toUpperCase(ch));
        start = false;
      } else {
        sb.append(Character.toLowerCase(ch));
      }
    }
    return sb.toString();
  }

  private static boolean isSep(char ch) {
    return ch == '-' || Character.isWhitespace(ch) || ch == '(' || ch == '{' || ch == '[' || ch == '<';
  }

  static String escape(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      String r;
      switch (ch) {
        case '&': r = "&amp;"; break;
        case '<': r = "&lt;"; break;
        case '>': r = "&gt;"; break;
        case '"': r = "&#34;"; break;
        case '\'': r = "&#39;"; break;
        default: r = null;
      }
      if (r != null) {
        if (sb == null) sb = new StringBuilder(s.substring(0, i));
        sb.append(r);
      } else if (sb != null) sb.append(ch);
    }
    return sb == null ? s : sb.toString();
  }

  static String unescape(String s) {
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", "\"").replace("&#39;", "'").replace("&quot;", "\"").replace("&amp;", "&");
  }

  static String urlquote(String s, String safe) {
    StringBuilder sb = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int ch = b & 0xff;
      if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || "_.-~".indexOf(ch) >= 0 || safe.indexOf(ch) >= 0) sb.append((char) ch);
      else sb.append('%').append(String.format("%02X", ch));
    }
    return sb.toString();
  }

  /** Minimal JSON writer with Python json.dumps(sort_keys=True) formatting. */
  static final class Json {
    static void write(Object v, StringBuilder sb, int indent, int level, boolean sortKeys) {
      if (v == null || v instanceof Undefined) sb.append("null");
      else if (v instanceof Boolean b) sb.append(b ? "true" : "false");
      else if (Python.isInt(v)) sb.append(v);
      else if (v instanceof Number n) {
        double d = n.doubleValue();
        sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : PyFormat.floatRepr(d));
      } else if (v instanceof String || v instanceof CharSequence) str(v.toString(), sb);
      else if (v instanceof Map<?, ?> m) {
        if (m.isEmpty()) {
          sb.append("{}");
          return;
        }
        Map<?, ?> mm = m;
        if (sortKeys) {
          TreeMap<String, Object> t = new TreeMap<>();
          for (Map.Entry<?, ?> e : m.entrySet()) t.put(keyStr(e.getKey()), e.getValue());
          mm = t;
        }
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : mm.entrySet()) {
          if (!first) sb.append(indent >= 0 ? "," : ", ");
          first = false;
          nl(sb, indent, level + 1);
          str(keyStr(e.getKey()), sb);
          sb.append(": ");
          write(e.getValue(), sb, indent, level + 1, sortKeys);
        }
        nl(sb, indent, level);
        sb.append('}');
      } else if (v instanceof Iterable<?> it) {
        if (v instanceof java.util.Collection<?> col && col.isEmpty()) {
          sb.append("[]");
          return;
        }
        sb.append('[');
        boolean first = true;
        for (Object o : it) {
          if (!first) sb.append(indent >= 0 ? "," : ", ");
          first = false;
          nl(sb, indent, level + 1);
          write(o, sb, indent, level + 1, sortKeys);
        }
        nl(sb, indent, level);
        sb.append(']');
      } else throw new TemplateRuntimeError("Object of type " + Python.typeName(v) + " is not JSON serializable");
    }

    private static String keyStr(Object k) {
      if (k instanceof String s) return s;
      if (k == null) return "null";
      if (k instanceof Boolean b) return b ? "true" : "false";
      return Python.str(k);
    }

    private static void nl(StringBuilder sb, int indent, int level) {
      if (indent < 0) return;
      sb.append('\n');
      for (int i = 0; i < indent * level; i++) sb.append(' ');
    }

    static void str(String s, StringBuilder sb) {
      sb.append('"');
      for (int i = 0; i < s.length(); i++) {
        char ch = s.charAt(i);
        switch (ch) {
          case '"': sb.append("\\\""); break;
          case '\\': sb.append("\\\\"); break;
          case '\n': sb.append("\\n"); break;
          case '\r': sb.append("\\r"); break;
          case '\t': sb.append("\\t"); break;
          case '\b': sb.append("\\b"); break;
          case '\f': sb.append("\\f"); break;
          default:
            if (ch < 0x20 || ch > 0x7e) sb.append(String.format("\\u%04x", (int) ch));
            else sb.append(ch);
        }
      }
      sb.append('"');
    }
  }
}
