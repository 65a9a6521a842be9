package dev.weir.core.render;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.jinja.JinjaCallable;
import dev.weir.jinja.JinjaObject;
import dev.weir.jinja.PyTuple;
import dev.weir.jinja.Python;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.time.temporal.Temporal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The small part of Python's standard library dbt exposes to templates as {@code modules}:
 * {@code datetime} (datetime, date, timedelta with strftime/isoformat), {@code re}, and the
 * JSON/YAML helpers {@code tojson}, {@code fromjson}, {@code toyaml}, {@code fromyaml}.
 */
public final class PyModules {
  private PyModules() {}

  /** Jackson is loaded only when a template parses JSON (class loading costs start-up time). */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  public static Map<String, Object> modules() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("datetime", datetimeModule());
    m.put("re", reModule());
    m.put("itertools", (JinjaObject) name -> null);
    return m;
  }

  // ---------------------------------------------------------------- datetime

  static JinjaObject datetimeModule() {
    JinjaObject datetimeClass = name -> switch (name) {
      case "now" -> (JinjaCallable) (c, a, k) -> new PyDateTime(LocalDateTime.now());
      case "utcnow" -> (JinjaCallable) (c, a, k) -> new PyDateTime(LocalDateTime.now(ZoneOffset.UTC));
      case "strptime" -> (JinjaCallable) (c, a, k) -> new PyDateTime(LocalDateTime.parse(Python.str(a.get(0)),
          DateTimeFormatter.ofPattern(javaPattern(Python.str(a.get(1))))));
      case "fromisoformat" -> (JinjaCallable) (c, a, k) -> {
        String s = Python.str(a.get(0)).replace(' ', 'T');
        return new PyDateTime(s.length() <= 10 ? LocalDate.parse(s).atStartOfDay() : LocalDateTime.parse(s));
      };
      default -> null;
    };
    JinjaCallable datetimeCtor = (c, a, k) -> new PyDateTime(LocalDateTime.of(i(a, 0), i(a, 1), i(a, 2),
        a.size() > 3 ? i(a, 3) : 0, a.size() > 4 ? i(a, 4) : 0, a.size() > 5 ? i(a, 5) : 0));
    JinjaObject dateClass = name -> switch (name) {
      case "today" -> (JinjaCallable) (c, a, k) -> new PyDate(LocalDate.now());
      case "fromisoformat" -> (JinjaCallable) (c, a, k) -> new PyDate(LocalDate.parse(Python.str(a.get(0))));
      default -> null;
    };
    JinjaCallable dateCtor = (c, a, k) -> new PyDate(LocalDate.of(i(a, 0), i(a, 1), i(a, 2)));
    JinjaCallable timedelta = (c, a, k) -> {
      double days = num(k.get("days")) + (a.isEmpty() ? 0 : num(a.get(0)));
      double secs = num(k.get("seconds")) + num(k.get("minutes")) * 60 + num(k.get("hours")) * 3600 + num(k.get("weeks")) * 604800;
      return new PyTimedelta(Duration.ofNanos((long) ((days * 86400 + secs) * 1e9)));
    };
    return name -> switch (name) {
      case "datetime" -> new CallableClass(datetimeCtor, datetimeClass);
      case "date" -> new CallableClass(dateCtor, dateClass);
      case "timedelta" -> timedelta;
      case "timezone" -> (JinjaObject) n -> "utc".equals(n) ? "UTC" : null;
      default -> null;
    };
  }

  private static int i(List<Object> a, int idx) { return ((Number) a.get(idx)).intValue(); }

  private static double num(Object o) { return o == null ? 0 : ((Number) o).doubleValue(); }

  /** A Python class object: callable (constructor) with class attributes. */
  record CallableClass(JinjaCallable ctor, JinjaObject attrs) implements JinjaCallable, JinjaObject {
    @Override public Object call(dev.weir.jinja.RenderContext ctx, List<Object> args, Map<String, Object> kwargs) {
      return ctor.call(ctx, args, kwargs);
    }
    @Override public Object getAttribute(String name) { return attrs.getAttribute(name); }
  }

  /** A Python datetime value. */
  public static final class PyDateTime implements JinjaObject, Comparable<PyDateTime>, dev.weir.jinja.PyOperand {
    final Temporal t;

    public PyDateTime(Temporal t) { this.t = t; }

    LocalDateTime local() {
      return t instanceof OffsetDateTime o ? o.toLocalDateTime() : (LocalDateTime) t;
    }

    @Override
    public Object getAttribute(String name) {
      LocalDateTime l = local();
      return switch (name) {
        case "year" -> (long) l.getYear();
        case "month" -> (long) l.getMonthValue();
        case "day" -> (long) l.getDayOfMonth();
        case "hour" -> (long) l.getHour();
        case "minute" -> (long) l.getMinute();
        case "second" -> (long) l.getSecond();
        case "microsecond" -> (long) (l.getNano() / 1000);
        case "strftime" -> (JinjaCallable) (c, a, k) -> strftime(t, Python.str(a.get(0)));
        case "isoformat" -> (JinjaCallable) (c, a, k) -> iso(a.isEmpty() ? "T" : Python.str(a.get(0)));
        case "date" -> (JinjaCallable) (c, a, k) -> new PyDate(l.toLocalDate());
        case "timestamp" -> (JinjaCallable) (c, a, k) -> (double) (t instanceof OffsetDateTime o
            ? o.toEpochSecond() : l.toEpochSecond(ZoneOffset.UTC)) + l.getNano() / 1e9;
        case "replace" -> (JinjaCallable) (c, a, k) -> new PyDateTime(l.withYear(k.containsKey("year") ? i(List.of(k.get("year")), 0) : l.getYear())
            .withMonth(k.containsKey("month") ? i(List.of(k.get("month")), 0) : l.getMonthValue())
            .withDayOfMonth(k.containsKey("day") ? i(List.of(k.get("day")), 0) : l.getDayOfMonth())
            .withHour(k.containsKey("hour") ? i(List.of(k.get("hour")), 0) : l.getHour())
            .withMinute(k.containsKey("minute") ? i(List.of(k.get("minute")), 0) : l.getMinute())
            .withSecond(k.containsKey("second") ? i(List.of(k.get("second")), 0) : l.getSecond())
            .withNano(k.containsKey("microsecond") ? i(List.of(k.get("microsecond")), 0) * 1000 : l.getNano()));
        case "add" -> (JinjaCallable) (c, a, k) -> new PyDateTime(l.plus(((PyTimedelta) a.get(0)).d));
        case "tzinfo" -> t instanceof OffsetDateTime ? "UTC" : null;
        default -> null;
      };
    }

    private String iso(String sep) {
      LocalDateTime l = local();
      String s = l.toLocalDate() + sep + String.format("%02d:%02d:%02d", l.getHour(), l.getMinute(), l.getSecond());
      if (l.getNano() != 0) s += String.format(".%06d", l.getNano() / 1000);
      if (t instanceof OffsetDateTime o) s += o.getOffset().getTotalSeconds() == 0 ? "+00:00" : o.getOffset().toString();
      return s;
    }

    @Override public String toString() { return iso(" "); }

    @Override public int compareTo(PyDateTime o) { return local().compareTo(o.local()); }

    private PyDateTime plus(Duration d) {
      return new PyDateTime(t instanceof OffsetDateTime o ? o.plus(d) : ((LocalDateTime) t).plus(d));
    }

    @Override
    public Object add(Object other, boolean reflected) {
      return other instanceof PyTimedelta td ? plus(td.d) : NOT_IMPLEMENTED;
    }

    @Override
    public Object sub(Object other, boolean reflected) {
      if (!reflected && other instanceof PyTimedelta td) return plus(td.d.negated());
      if (other instanceof PyDateTime o) {
        Duration d = Duration.between(o.local(), local());
        return new PyTimedelta(reflected ? d.negated() : d);
      }
      return NOT_IMPLEMENTED;
    }

    @Override public boolean equals(Object o) { return o instanceof PyDateTime p && p.local().equals(local()); }

    @Override public int hashCode() { return local().hashCode(); }
  }

  /** A Python date value. */
  public static final class PyDate implements JinjaObject, Comparable<PyDate>, dev.weir.jinja.PyOperand {
    final LocalDate d;

    PyDate(LocalDate d) { this.d = d; }

    @Override public int compareTo(PyDate o) { return d.compareTo(o.d); }

    @Override
    public Object add(Object other, boolean reflected) {
      return other instanceof PyTimedelta td ? new PyDate(d.plusDays(td.d.toDays())) : NOT_IMPLEMENTED;
    }

    @Override
    public Object sub(Object other, boolean reflected) {
      if (!reflected && other instanceof PyTimedelta td) return new PyDate(d.minusDays(td.d.toDays()));
      if (other instanceof PyDate o) {
        long days = java.time.temporal.ChronoUnit.DAYS.between(o.d, d);
        return new PyTimedelta(Duration.ofDays(reflected ? -days : days));
      }
      return NOT_IMPLEMENTED;
    }

    @Override public boolean equals(Object o) { return o instanceof PyDate p && p.d.equals(d); }

    @Override public int hashCode() { return d.hashCode(); }

    @Override
    public Object getAttribute(String name) {
      return switch (name) {
        case "year" -> (long) d.getYear();
        case "month" -> (long) d.getMonthValue();
        case "day" -> (long) d.getDayOfMonth();
        case "strftime" -> (JinjaCallable) (c, a, k) -> strftime(d.atStartOfDay(), Python.str(a.get(0)));
        case "isoformat" -> (JinjaCallable) (c, a, k) -> d.toString();
        case "weekday" -> (JinjaCallable) (c, a, k) -> (long) (d.getDayOfWeek().getValue() - 1);
        default -> null;
      };
    }

    @Override public String toString() { return d.toString(); }
  }

  /** A Python timedelta value. */
  public static final class PyTimedelta implements JinjaObject, Comparable<PyTimedelta>, dev.weir.jinja.PyOperand {
    final Duration d;

    PyTimedelta(Duration d) { this.d = d; }

    @Override public int compareTo(PyTimedelta o) { return d.compareTo(o.d); }

    @Override
    public Object add(Object other, boolean reflected) {
      return other instanceof PyTimedelta td ? new PyTimedelta(d.plus(td.d)) : NOT_IMPLEMENTED;
    }

    @Override
    public Object sub(Object other, boolean reflected) {
      if (other instanceof PyTimedelta td) return new PyTimedelta(reflected ? td.d.minus(d) : d.minus(td.d));
      return NOT_IMPLEMENTED;
    }

    @Override public boolean equals(Object o) { return o instanceof PyTimedelta p && p.d.equals(d); }

    @Override public int hashCode() { return d.hashCode(); }

    @Override
    public Object getAttribute(String name) {
      return switch (name) {
        case "days" -> d.toDays();
        case "seconds" -> d.minusDays(d.toDays()).getSeconds();
        case "total_seconds" -> (JinjaCallable) (c, a, k) -> d.toNanos() / 1e9;
        default -> null;
      };
    }

    @Override public String toString() {
      long days = d.toDays();
      Duration rest = d.minusDays(days);
      String hms = String.format("%d:%02d:%02d", rest.toHours(), rest.toMinutesPart(), rest.toSecondsPart());
      return days == 0 ? hms : days + (Math.abs(days) == 1 ? " day, " : " days, ") + hms;
    }
  }

  static String strftime(Temporal t, String fmt) {
    LocalDateTime l = t instanceof OffsetDateTime o ? o.toLocalDateTime() : t instanceof LocalDate d ? d.atStartOfDay() : (LocalDateTime) t;
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < fmt.length(); i++) {
      char c = fmt.charAt(i);
      if (c != '%' || i + 1 == fmt.length()) {
        sb.append(c);
        continue;
      }
      char f = fmt.charAt(++i);
      switch (f) {
        case 'Y' -> sb.append(String.format("%04d", l.getYear()));
        case 'y' -> sb.append(String.format("%02d", l.getYear() % 100));
        case 'm' -> sb.append(String.format("%02d", l.getMonthValue()));
        case 'd' -> sb.append(String.format("%02d", l.getDayOfMonth()));
        case 'H' -> sb.append(String.format("%02d", l.getHour()));
        case 'I' -> sb.append(String.format("%02d", l.getHour() % 12 == 0 ? 12 : l.getHour() % 12));
        case 'p' -> sb.append(l.getHour() < 12 ? "AM" : "PM");
        case 'M' -> sb.append(String.format("%02d", l.getMinute()));
        case 'S' -> sb.append(String.format("%02d", l.getSecond()));
        case 'f' -> sb.append(String.format("%06d", l.getNano() / 1000));
        case 'j' -> sb.append(String.format("%03d", l.getDayOfYear()));
        case 'a' -> sb.append(l.getDayOfWeek().getDisplayName(java.time.format.TextStyle.SHORT, Locale.ENGLISH));
        case 'A' -> sb.append(l.getDayOfWeek().getDisplayName(java.time.format.TextStyle.FULL, Locale.ENGLISH));
        case 'b' -> sb.append(l.getMonth().getDisplayName(java.time.format.TextStyle.SHORT, Locale.ENGLISH));
        case 'B' -> sb.append(l.getMonth().getDisplayName(java.time.format.TextStyle.FULL, Locale.ENGLISH));
        case 'z' -> sb.append(t instanceof OffsetDateTime o ? o.getOffset().toString().replace(":", "").replace("Z", "+0000") : "");
        case 'Z' -> sb.append(t instanceof OffsetDateTime ? "UTC" : "");
        case 's' -> sb.append(l.toEpochSecond(ZoneOffset.UTC));
        case '%' -> sb.append('%');
        default -> sb.append('%').append(f);
      }
    }
    return sb.toString();
  }

  static String javaPattern(String py) {
    return py.replace("%Y", "yyyy").replace("%m", "MM").replace("%d", "dd").replace("%H", "HH")
        .replace("%M", "mm").replace("%S", "ss").replace("%f", "SSSSSS");
  }

  // ---------------------------------------------------------------- re

  static JinjaObject reModule() {
    return name -> switch (name) {
      case "IGNORECASE", "I" -> (long) Pattern.CASE_INSENSITIVE;
      case "MULTILINE", "M" -> (long) Pattern.MULTILINE;
      case "DOTALL", "S" -> (long) Pattern.DOTALL;
      case "VERBOSE", "X" -> (long) Pattern.COMMENTS;
      case "compile" -> (JinjaCallable) (c, a, k) -> new PyPattern(pattern(a, k, 1));
      case "match" -> (JinjaCallable) (c, a, k) -> new PyPattern(pattern(a, k, 2)).match(Python.str(a.get(1)), true);
      case "fullmatch" -> (JinjaCallable) (c, a, k) -> new PyPattern(pattern(a, k, 2)).full(Python.str(a.get(1)));
      case "search" -> (JinjaCallable) (c, a, k) -> new PyPattern(pattern(a, k, 2)).match(Python.str(a.get(1)), false);
      case "findall" -> (JinjaCallable) (c, a, k) -> new PyPattern(pattern(a, k, 2)).findall(Python.str(a.get(1)));
      case "sub" -> (JinjaCallable) (c, a, k) -> new PyPattern(pattern(a, k, 3)).sub(Python.str(a.get(1)), Python.str(a.get(2)));
      case "split" -> (JinjaCallable) (c, a, k) -> new PyPattern(pattern(a, k, 2)).split(Python.str(a.get(1)));
      case "escape" -> (JinjaCallable) (c, a, k) -> Python.str(a.get(0)).replaceAll("([^A-Za-z0-9_])", "\\\\$1");
      default -> null;
    };
  }

  private static Pattern pattern(List<Object> a, Map<String, Object> k, int flagsIndex) {
    Object p = a.get(0);
    if (p instanceof PyPattern pp) return pp.p;
    Object flags = a.size() > flagsIndex ? a.get(flagsIndex) : k.get("flags");
    int f = flags == null ? 0 : ((Number) flags).intValue();
    return Pattern.compile(pythonRegex(Python.str(p)), f);
  }

  /** Python's named groups (?P<n>...) and backrefs (?P=n) in Java spelling. */
  static String pythonRegex(String s) {
    return s.replace("(?P<", "(?<").replaceAll("\\(\\?P=(\\w+)\\)", "\\\\k<$1>");
  }

  static final class PyPattern implements JinjaObject {
    final Pattern p;

    PyPattern(Pattern p) { this.p = p; }

    Object match(String s, boolean anchored) {
      Matcher m = p.matcher(s);
      boolean ok = anchored ? m.lookingAt() : m.find();
      return ok ? new PyMatch(m.toMatchResult(), s) : null;
    }

    Object full(String s) {
      Matcher m = p.matcher(s);
      return m.matches() ? new PyMatch(m.toMatchResult(), s) : null;
    }

    List<Object> findall(String s) {
      Matcher m = p.matcher(s);
      List<Object> out = new ArrayList<>();
      while (m.find()) {
        if (m.groupCount() == 0) out.add(m.group());
        else if (m.groupCount() == 1) out.add(m.group(1) == null ? "" : m.group(1));
        else {
          List<Object> g = new ArrayList<>();
          for (int i = 1; i <= m.groupCount(); i++) g.add(m.group(i) == null ? "" : m.group(i));
          out.add(PyTuple.copyOf(g));
        }
      }
      return out;
    }

    String sub(String repl, String s) {
      String javaRepl = repl.replace("$", "\\$").replaceAll("\\\\(\\d)", "\\$$1").replaceAll("\\\\g<(\\w+)>", "\\${$1}");
      return p.matcher(s).replaceAll(javaRepl);
    }

    List<Object> split(String s) { return new ArrayList<>(List.of(p.split(s, -1))); }

    @Override
    public Object getAttribute(String name) {
      return switch (name) {
        case "match" -> (JinjaCallable) (c, a, k) -> match(Python.str(a.get(0)), true);
        case "search" -> (JinjaCallable) (c, a, k) -> match(Python.str(a.get(0)), false);
        case "fullmatch" -> (JinjaCallable) (c, a, k) -> full(Python.str(a.get(0)));
        case "findall" -> (JinjaCallable) (c, a, k) -> findall(Python.str(a.get(0)));
        case "sub" -> (JinjaCallable) (c, a, k) -> sub(Python.str(a.get(0)), Python.str(a.get(1)));
        case "split" -> (JinjaCallable) (c, a, k) -> split(Python.str(a.get(0)));
        case "pattern" -> p.pattern();
        default -> null;
      };
    }
  }

  static final class PyMatch implements JinjaObject {
    final java.util.regex.MatchResult m;

    PyMatch(java.util.regex.MatchResult m, String s) { this.m = m; }

    @Override
    public Object getAttribute(String name) {
      return switch (name) {
        case "group" -> (JinjaCallable) (c, a, k) -> {
          if (a.isEmpty()) return m.group();
          if (a.size() == 1) return grp(a.get(0));
          List<Object> out = new ArrayList<>();
          for (Object o : a) out.add(grp(o));
          return PyTuple.copyOf(out);
        };
        case "groups" -> (JinjaCallable) (c, a, k) -> {
          List<Object> out = new ArrayList<>();
          for (int i = 1; i <= m.groupCount(); i++) out.add(m.group(i));
          return PyTuple.copyOf(out);
        };
        case "start" -> (JinjaCallable) (c, a, k) -> (long) m.start();
        case "end" -> (JinjaCallable) (c, a, k) -> (long) m.end();
        case "span" -> (JinjaCallable) (c, a, k) -> PyTuple.copyOf(java.util.Arrays.asList((long) m.start(), (long) m.end()));
        default -> null;
      };
    }

    private Object grp(Object o) {
      if (o instanceof Number n) return m.group(n.intValue());
      throw new IllegalArgumentException("named groups are not supported in match.group(); use an index");
    }
  }

  // ---------------------------------------------------------------- json / yaml

  /** Python's json.dumps(value, sort_keys=...) with its default separators ", " and ": ". */
  public static String tojson(Object value, Object sortKeys) {
    StringBuilder sb = new StringBuilder();
    writeJson(plain(value), Boolean.TRUE.equals(sortKeys), sb);
    return sb.toString();
  }

  private static void writeJson(Object v, boolean sort, StringBuilder sb) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof Boolean b) {
      sb.append(b ? "true" : "false");
    } else if (v instanceof Number n) {
      sb.append(n instanceof Double d ? Python.str(d) : n.toString());
    } else if (v instanceof Map<?, ?> m) {
      List<String> keys = new ArrayList<>();
      for (Object k : m.keySet()) keys.add((String) k);
      if (sort) java.util.Collections.sort(keys);
      sb.append('{');
      for (int i = 0; i < keys.size(); i++) {
        if (i > 0) sb.append(", ");
        writeJson(keys.get(i), sort, sb);
        sb.append(": ");
        writeJson(m.get(keys.get(i)), sort, sb);
      }
      sb.append('}');
    } else if (v instanceof List<?> l) {
      sb.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) sb.append(", ");
        writeJson(l.get(i), sort, sb);
      }
      sb.append(']');
    } else {
      String s = v.toString();
      sb.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> sb.append("\\\"");
          case '\\' -> sb.append("\\\\");
          case '\n' -> sb.append("\\n");
          case '\r' -> sb.append("\\r");
          case '\t' -> sb.append("\\t");
          default -> {
            if (c < 0x20 || c > 0x7e) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
          }
        }
      }
      sb.append('"');
    }
  }

  public static Object fromjson(String s) {
    try {
      return normalize(Json.MAPPER.readValue(s, Object.class));
    } catch (Exception e) {
      throw new IllegalArgumentException("fromjson: invalid JSON: " + e.getMessage(), e);
    }
  }

  public static Object fromyaml(String s) {
    return normalize(new org.yaml.snakeyaml.Yaml().load(s));
  }

  public static String toyaml(Object value) {
    org.yaml.snakeyaml.DumperOptions o = new org.yaml.snakeyaml.DumperOptions();
    o.setDefaultFlowStyle(org.yaml.snakeyaml.DumperOptions.FlowStyle.BLOCK);
    return new org.yaml.snakeyaml.Yaml(o).dump(plain(value));
  }

  /** Java values as JSON/YAML libraries expect them (tuples as lists, objects as strings). */
  static Object plain(Object v) {
    if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean) return v;
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) out.put(Python.str(e.getKey()), plain(e.getValue()));
      return out;
    }
    if (v instanceof Iterable<?> it) {
      List<Object> out = new ArrayList<>();
      for (Object o : it) out.add(plain(o));
      return out;
    }
    return Python.str(v);
  }

  /** Values from JSON/YAML libraries as template values (Integer → Long). */
  static Object normalize(Object v) {
    if (v instanceof Integer i) return i.longValue();
    if (v instanceof java.math.BigInteger b && b.bitLength() < 64) return b.longValue();
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) out.put(e.getKey(), normalize(e.getValue()));
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object o : l) out.add(normalize(o));
      return out;
    }
    return v;
  }

  static long daysBetween(LocalDate a, LocalDate b) { return ChronoUnit.DAYS.between(a, b); }
}
