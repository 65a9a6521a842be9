package dev.weir.engine.duckdb;

import static dev.weir.core.engine.LoadValues.describe;
import static dev.weir.core.engine.LoadValues.toBigDecimal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.sql.Array;
import java.sql.Blob;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Struct;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.duckdb.DuckDBAppender;

/**
 * Value conversions between DuckDB and the plain Java values Weir passes around.
 *
 * <p>Reading: BIGINT/INTEGER/SMALLINT/TINYINT → Long, DOUBLE/FLOAT → Double, DECIMAL → BigDecimal,
 * HUGEINT/UBIGINT → Long when it fits else BigDecimal, VARCHAR → String, BOOLEAN → Boolean,
 * DATE → LocalDate, TIMESTAMP (any precision) → LocalDateTime, TIMESTAMPTZ → OffsetDateTime,
 * TIME → LocalTime, UUID/INTERVAL → String, LIST/ARRAY → List, STRUCT/MAP → Map, BLOB → byte[].
 * TIMESTAMP is read with {@code getObject(i, LocalDateTime.class)}: the driver's default
 * {@code java.sql.Timestamp} goes through the JVM zone and shifts wall-clock times that fall in a
 * DST gap.
 *
 * <p>Writing through {@link DuckDBAppender}: the 2.0 appender is strictly typed. It refuses an
 * {@code int} for a BIGINT column, a String for a number, and a BigDecimal whose scale differs from
 * the column's ("invalid decimal scale, expected: 3, actual: 2"). {@link #writerFor} therefore
 * builds, per target column type, a writer that coerces the Java value first.
 */
final class DuckDbValues {

  private DuckDbValues() {}

  // ------------------------------------------------------------------------------------ reading

  static Object read(ResultSet rs, int i, String typeName) throws SQLException {
    String t = typeName == null ? "" : typeName.toUpperCase(Locale.ROOT);
    if (t.startsWith("TIMESTAMP") && !t.contains("TIME ZONE") && !t.equals("TIMESTAMPTZ")) {
      return rs.getObject(i, LocalDateTime.class);
    }
    if (t.equals("BLOB")) return rs.getBytes(i);
    return normalize(rs.getObject(i));
  }

  static Object normalize(Object o) throws SQLException {
    if (o == null || o instanceof String || o instanceof Long || o instanceof Double || o instanceof Boolean
        || o instanceof BigDecimal || o instanceof LocalDate || o instanceof LocalDateTime
        || o instanceof OffsetDateTime || o instanceof LocalTime) {
      return o;
    }
    if (o instanceof Integer || o instanceof Short || o instanceof Byte) return ((Number) o).longValue();
    if (o instanceof Float f) return f.doubleValue();
    if (o instanceof BigInteger b) return b.bitLength() < 64 ? (Object) b.longValue() : new BigDecimal(b);
    if (o instanceof java.sql.Timestamp ts) return ts.toLocalDateTime();
    if (o instanceof java.sql.Date d) return d.toLocalDate();
    if (o instanceof java.sql.Time tm) return tm.toLocalTime();
    if (o instanceof UUID u) return u.toString();
    if (o instanceof Struct s) {
      if (s instanceof org.duckdb.DuckDBStruct ds) return normalizeMap(ds.getMap());
      Object[] attrs = s.getAttributes();
      List<Object> out = new ArrayList<>();
      for (Object a : attrs) out.add(normalize(a));
      return out;
    }
    if (o instanceof Array a) {
      Object arr = a.getArray();
      List<Object> out = new ArrayList<>();
      if (arr instanceof Object[] objs) for (Object e : objs) out.add(normalize(e));
      return out;
    }
    if (o instanceof Map<?, ?> m) return normalizeMap(m);
    if (o instanceof Blob b) return b.getBytes(1, (int) b.length());
    if (o instanceof byte[]) return o;
    return o.toString();
  }

  private static Map<Object, Object> normalizeMap(Map<?, ?> m) throws SQLException {
    Map<Object, Object> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) out.put(normalize(e.getKey()), normalize(e.getValue()));
    return out;
  }

  // ------------------------------------------------------------------------------------ writing

  /** Appends one non-null value of a column. */
  interface Writer {
    void append(DuckDBAppender ap, Object v) throws SQLException;
  }

  private static final Pattern DECIMAL = Pattern.compile("DECIMAL\\((\\d+),\\s*(\\d+)\\)|NUMERIC\\((\\d+),\\s*(\\d+)\\)");

  /** A writer for a DuckDB column type, or null when the appender path does not handle it. */
  static Writer writerFor(String dataType) {
    String t = dataType.toUpperCase(Locale.ROOT).trim();
    Matcher dm = DECIMAL.matcher(t);
    if (dm.matches()) {
      int scale = Integer.parseInt(dm.group(2) != null ? dm.group(2) : dm.group(4));
      return (ap, v) -> ap.append(toBigDecimal(v).setScale(scale, RoundingMode.HALF_UP));
    }
    return switch (t) {
      case "BIGINT", "INT8", "LONG" -> (ap, v) -> ap.append(toLong(v));
      case "INTEGER", "INT4", "INT", "SIGNED" -> (ap, v) -> ap.append(Math.toIntExact(toLong(v)));
      case "SMALLINT", "INT2", "SHORT" -> (ap, v) -> ap.append((short) checkRange(toLong(v), Short.MIN_VALUE, Short.MAX_VALUE));
      case "TINYINT", "INT1" -> (ap, v) -> ap.append((byte) checkRange(toLong(v), Byte.MIN_VALUE, Byte.MAX_VALUE));
      case "HUGEINT", "INT128" -> (ap, v) -> ap.append(toBigDecimal(v).toBigIntegerExact());
      case "DOUBLE", "FLOAT8" -> (ap, v) -> ap.append(toDouble(v));
      case "FLOAT", "FLOAT4", "REAL" -> (ap, v) -> ap.append((float) toDouble(v));
      case "BOOLEAN", "BOOL", "LOGICAL" -> (ap, v) -> ap.append(toBoolean(v));
      case "VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR" -> (ap, v) -> ap.append(v.toString());
      case "DATE" -> (ap, v) -> ap.append(toDate(v));
      case "TIMESTAMP", "DATETIME" -> (ap, v) -> ap.append(toTimestamp(v));
      case "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ" -> (ap, v) -> ap.append(toTimestampTz(v));
      case "TIME" -> (ap, v) -> ap.append(v instanceof LocalTime lt ? lt : LocalTime.parse(v.toString().trim()));
      case "UUID" -> (ap, v) -> ap.append(v instanceof UUID u ? u : UUID.fromString(v.toString().trim()));
      default -> null;
    };
  }

  private static long checkRange(long v, long min, long max) {
    if (v < min || v > max) throw new ArithmeticException(v + " is out of range");
    return v;
  }

  static long toLong(Object v) {
    if (v instanceof Long l) return l;
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
    if (v instanceof BigDecimal b) return b.stripTrailingZeros().longValueExact();
    if (v instanceof BigInteger b) return b.longValueExact();
    if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (d != Math.rint(d) || Double.isInfinite(d)) throw new ArithmeticException(v + " is not a whole number");
      return (long) d;
    }
    if (v instanceof String s) return Long.parseLong(s.trim());
    throw new IllegalArgumentException("expected a whole number, got " + describe(v));
  }

  static double toDouble(Object v) {
    if (v instanceof Number n) return n.doubleValue();
    if (v instanceof String s) return Double.parseDouble(s.trim());
    throw new IllegalArgumentException("expected a number, got " + describe(v));
  }


  static boolean toBoolean(Object v) {
    if (v instanceof Boolean b) return b;
    if (v instanceof Number n) return n.longValue() != 0;
    if (v instanceof String s) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "true", "t", "yes", "y", "1": return true;
        case "false", "f", "no", "n", "0": return false;
        default: break;
      }
    }
    throw new IllegalArgumentException("expected a boolean, got " + describe(v));
  }

  static LocalDate toDate(Object v) {
    if (v instanceof LocalDate d) return d;
    if (v instanceof LocalDateTime dt) return dt.toLocalDate();
    if (v instanceof java.sql.Date d) return d.toLocalDate();
    if (v instanceof String s) return LocalDate.parse(s.trim());
    throw new IllegalArgumentException("expected a date, got " + describe(v));
  }

  static LocalDateTime toTimestamp(Object v) {
    if (v instanceof LocalDateTime dt) return dt;
    if (v instanceof LocalDate d) return d.atStartOfDay();
    if (v instanceof java.sql.Timestamp ts) return ts.toLocalDateTime();
    if (v instanceof OffsetDateTime o) return o.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
    if (v instanceof Instant i) return LocalDateTime.ofInstant(i, ZoneOffset.UTC);
    if (v instanceof String s) return parseTimestamp(s);
    throw new IllegalArgumentException("expected a timestamp, got " + describe(v));
  }

  static OffsetDateTime toTimestampTz(Object v) {
    if (v instanceof OffsetDateTime o) return o;
    if (v instanceof ZonedDateTime z) return z.toOffsetDateTime();
    if (v instanceof Instant i) return i.atOffset(ZoneOffset.UTC);
    if (v instanceof LocalDateTime dt) return dt.atZone(ZoneId.systemDefault()).toOffsetDateTime();
    if (v instanceof LocalDate d) return d.atStartOfDay(ZoneId.systemDefault()).toOffsetDateTime();
    if (v instanceof String s) {
      String x = s.trim().replace(' ', 'T');
      try {
        return OffsetDateTime.parse(x);
      } catch (DateTimeParseException e) {
        return parseTimestamp(s).atZone(ZoneId.systemDefault()).toOffsetDateTime();
      }
    }
    throw new IllegalArgumentException("expected a timestamp with time zone, got " + describe(v));
  }

  private static LocalDateTime parseTimestamp(String s) {
    String x = s.trim();
    if (x.length() == 10) return LocalDate.parse(x).atStartOfDay();
    return LocalDateTime.parse(x.replace(' ', 'T'));
  }

}
