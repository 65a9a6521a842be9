package dev.weir.engine.postgres;

import static dev.weir.core.engine.LoadValues.describe;
import static dev.weir.core.engine.LoadValues.toBigDecimal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.postgresql.util.PGobject;

/**
 * Value conversions between Postgres and the plain Java values Weir passes around.
 *
 * <p>Reading (by the column's type name as pgJDBC reports it): int2/int4/int8/oid → Long,
 * float4/float8 → Double, numeric → BigDecimal (NaN and ±Infinity → Double), text/varchar/char →
 * String, bool → Boolean, date → LocalDate, timestamp → LocalDateTime, timestamptz →
 * OffsetDateTime (in UTC), time → LocalTime, timetz → OffsetTime, arrays → List, bytea → byte[],
 * and json, jsonb, uuid, interval, money and any other type → its text. Dates and timestamps are
 * read with {@code getObject(i, LocalDate.class)} etc.: the driver's default {@code java.sql}
 * types go through the JVM's time zone. {@code infinity} dates read as LocalDate.MAX/MIN.
 *
 * <p>Writing for COPY ... (FORMAT csv): {@link #csvText} turns a Java value into the text Postgres'
 * input function for the target column reads, coerced by the column's type so that a Double 3.0
 * loads into a bigint and a '2024-01-02' String into a date. Errors name the row and column.
 */
final class PostgresValues {

  private PostgresValues() {}

  // ------------------------------------------------------------------------------------ reading

  static Object read(ResultSet rs, int i, String typeName) throws SQLException {
    String t = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
    switch (t) {
      case "timestamp":
        return rs.getObject(i, LocalDateTime.class);
      case "timestamptz":
        return rs.getObject(i, OffsetDateTime.class);
      case "date": {
        return rs.getObject(i, LocalDate.class);
      }
      case "time":
        return rs.getObject(i, LocalTime.class);
      case "timetz":
        return rs.getObject(i, OffsetTime.class);
      case "bytea":
        return rs.getBytes(i);
      case "numeric": {
        String s = rs.getString(i);
        if (s == null) return null;
        return switch (s) {
          case "NaN" -> Double.NaN;
          case "Infinity" -> Double.POSITIVE_INFINITY;
          case "-Infinity" -> Double.NEGATIVE_INFINITY;
          default -> new BigDecimal(s);
        };
      }
      case "interval", "json", "jsonb", "money", "xml", "inet", "cidr", "macaddr", "tsvector":
        return rs.getString(i); // the server's own text, e.g. '1 day' (pgJDBC's PGInterval would say '1 days')
      default:
        return normalize(rs.getObject(i));
    }
  }

  static Object normalize(Object o) throws SQLException {
    if (o == null || o instanceof String || o instanceof Long || o instanceof Double || o instanceof Boolean
        || o instanceof BigDecimal || o instanceof LocalDate || o instanceof LocalDateTime
        || o instanceof OffsetDateTime || o instanceof LocalTime || o instanceof byte[]) {
      return o;
    }
    if (o instanceof Integer || o instanceof Short || o instanceof Byte) return ((Number) o).longValue();
    if (o instanceof Float f) return Double.valueOf(f.toString()); // 0.1f reads as 0.1, not 0.10000000149
    if (o instanceof BigInteger b) return b.bitLength() < 64 ? (Object) b.longValue() : new BigDecimal(b);
    if (o instanceof java.sql.Timestamp ts) return ts.toLocalDateTime();
    if (o instanceof java.sql.Date d) return d.toLocalDate();
    if (o instanceof java.sql.Time tm) return tm.toLocalTime();
    if (o instanceof UUID u) return u.toString();
    if (o instanceof PGobject p) return p.getValue();
    if (o instanceof Array a) {
      Object arr = a.getArray();
      List<Object> out = new ArrayList<>();
      if (arr instanceof Object[] objs) {
        for (Object e : objs) out.add(normalize(e));
      }
      return out;
    }
    if (o instanceof Map<?, ?> m) return m; // hstore
    return o.toString();
  }

  // ------------------------------------------------------------------------------------ writing

  /** How values of one target column are turned into COPY text. */
  enum Kind { INTEGER, FLOAT, NUMERIC, BOOLEAN, DATE, TIMESTAMP, TIMESTAMPTZ, BYTEA, TEXT }

  /** The coercion for a column of Postgres type {@code formatType} (as {@code format_type()} spells it). */
  static Kind kindOf(String formatType) {
    String t = formatType.toLowerCase(Locale.ROOT).trim();
    if (t.endsWith("[]")) return Kind.TEXT;
    if (t.equals("bigint") || t.equals("integer") || t.equals("smallint") || t.equals("int8") || t.equals("int4")
        || t.equals("int2") || t.equals("int") || t.equals("oid")) {
      return Kind.INTEGER;
    }
    if (t.equals("double precision") || t.equals("real") || t.equals("float8") || t.equals("float4")
        || t.startsWith("float")) {
      return Kind.FLOAT;
    }
    if (t.startsWith("numeric") || t.startsWith("decimal")) return Kind.NUMERIC;
    if (t.equals("boolean") || t.equals("bool")) return Kind.BOOLEAN;
    if (t.equals("date")) return Kind.DATE;
    if (t.startsWith("timestamp") && (t.contains("with time zone") && !t.contains("without") || t.equals("timestamptz"))) {
      return Kind.TIMESTAMPTZ;
    }
    if (t.startsWith("timestamp")) return Kind.TIMESTAMP;
    if (t.equals("bytea")) return Kind.BYTEA;
    return Kind.TEXT;
  }

  /** The text Postgres reads for a non-null value in a column of the given kind. */
  static String text(Kind kind, Object v) {
    return switch (kind) {
      case INTEGER -> Long.toString(toLong(v));
      case FLOAT -> floatText(v);
      case NUMERIC -> v instanceof Double || v instanceof Float ? floatText(v) : toBigDecimal(v).toPlainString();
      case BOOLEAN -> toBoolean(v) ? "true" : "false";
      case DATE -> v instanceof String s ? s.trim() : toDate(v).toString();
      case TIMESTAMP -> v instanceof String s ? s.trim() : toTimestamp(v).toString();
      case TIMESTAMPTZ -> v instanceof String s ? s.trim() : toTimestampTz(v).toString();
      case BYTEA -> v instanceof byte[] b ? "\\x" + HexFormat.of().formatHex(b) : v.toString();
      case TEXT -> textOf(v);
    };
  }

  private static String floatText(Object v) {
    double d;
    if (v instanceof String s) d = Double.parseDouble(s.trim());
    else if (v instanceof Number n) d = n.doubleValue();
    else throw new IllegalArgumentException("expected a number, got " + describe(v));
    if (Double.isNaN(d)) return "NaN";
    if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
    return Double.toString(d);
  }

  private static String textOf(Object v) {
    if (v instanceof byte[] b) return "\\x" + HexFormat.of().formatHex(b);
    if (v instanceof List<?> l) {
      StringBuilder sb = new StringBuilder("{");
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) sb.append(',');
        Object e = l.get(i);
        if (e == null) {
          sb.append("NULL");
        } else {
          sb.append('"').append(textOf(e).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
      }
      return sb.append('}').toString();
    }
    if (v instanceof Double d) return floatText(d);
    if (v instanceof BigDecimal b) return b.toPlainString();
    return v.toString();
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
    if (v instanceof Boolean b) return b ? 1 : 0;
    if (v instanceof String s) return Long.parseLong(s.trim());
    throw new IllegalArgumentException("expected a whole number, got " + describe(v));
  }


  static boolean toBoolean(Object v) {
    if (v instanceof Boolean b) return b;
    if (v instanceof Number n) return n.longValue() != 0;
    if (v instanceof String s) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "true", "t", "yes", "y", "1", "on": return true;
        case "false", "f", "no", "n", "0", "off": return false;
        default: break;
      }
    }
    throw new IllegalArgumentException("expected a boolean, got " + describe(v));
  }

  static LocalDate toDate(Object v) {
    if (v instanceof LocalDate d) return d;
    if (v instanceof LocalDateTime dt) return dt.toLocalDate();
    if (v instanceof java.sql.Date d) return d.toLocalDate();
    throw new IllegalArgumentException("expected a date, got " + describe(v));
  }

  static LocalDateTime toTimestamp(Object v) {
    if (v instanceof LocalDateTime dt) return dt;
    if (v instanceof LocalDate d) return d.atStartOfDay();
    if (v instanceof java.sql.Timestamp ts) return ts.toLocalDateTime();
    if (v instanceof OffsetDateTime o) return o.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
    if (v instanceof ZonedDateTime z) return z.withZoneSameInstant(ZoneOffset.UTC).toLocalDateTime();
    if (v instanceof Instant i) return LocalDateTime.ofInstant(i, ZoneOffset.UTC);
    throw new IllegalArgumentException("expected a timestamp, got " + describe(v));
  }

  /** As ISO text with its offset; a value without zone is taken as UTC, like the DuckDB engine's. */
  static String toTimestampTz(Object v) {
    if (v instanceof OffsetDateTime o) return o.toString();
    if (v instanceof ZonedDateTime z) return z.toOffsetDateTime().toString();
    if (v instanceof Instant i) return i.atOffset(ZoneOffset.UTC).toString();
    if (v instanceof LocalDateTime dt) return dt.atOffset(ZoneOffset.UTC).toString();
    if (v instanceof LocalDate d) return d.atStartOfDay().atOffset(ZoneOffset.UTC).toString();
    if (v instanceof java.sql.Timestamp ts) return ts.toInstant().atOffset(ZoneOffset.UTC).toString();
    throw new IllegalArgumentException("expected a timestamp with time zone, got " + describe(v));
  }


  /**
   * Appends one non-null CSV field. COPY's CSV NULL is an unquoted empty field, so an empty string
   * is quoted (it stays an empty string), as is any value holding a delimiter, a quote, a line
   * break or a backslash (a lone {@code \.} would end the data); quotes inside are doubled. Other
   * values go bare, which saves the server some parsing.
   */
  static void appendCsvField(StringBuilder sb, String text) {
    int n = text.length();
    boolean quote = n == 0;
    for (int i = 0; i < n && !quote; i++) {
      char c = text.charAt(i);
      quote = c == ',' || c == '"' || c == '\n' || c == '\r' || c == '\\';
    }
    if (!quote) {
      sb.append(text);
      return;
    }
    sb.append('"');
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c == '"') sb.append('"');
      sb.append(c);
    }
    sb.append('"');
  }

  /** Appends a non-null value of a column of the given kind, the common cases without an extra String. */
  static void appendCsv(StringBuilder sb, Kind kind, Object v) {
    if (kind == Kind.INTEGER && v instanceof Long l) {
      sb.append(l.longValue());
    } else if (kind == Kind.TEXT && v instanceof String str) {
      appendCsvField(sb, str);
    } else {
      appendCsvField(sb, text(kind, v));
    }
  }
}
