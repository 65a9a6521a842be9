package dev.weir.ingest;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Types;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A warehouse column type as ingestion sees it: one of a few kinds (with precision and scale for
 * DECIMAL), the DDL name per warehouse, the widening order used for schema drift, and the cast of
 * a source value (a JDBC object or the text of Postgres' COPY) to the Java value the engine's bulk
 * path takes. A value that does not cast throws {@link IllegalArgumentException}: a bad row.
 */
record ColumnType(Kind kind, int precision, int scale) {

  /** The kinds, narrowest numeric first. */
  enum Kind { SMALLINT, INTEGER, BIGINT, DECIMAL, DOUBLE, BOOLEAN, DATE, TIMESTAMP, TIMESTAMPTZ, TIME, VARCHAR }

  static final ColumnType VARCHAR = new ColumnType(Kind.VARCHAR, 0, 0);
  static final ColumnType BIGINT = new ColumnType(Kind.BIGINT, 0, 0);
  static final ColumnType TIMESTAMP = new ColumnType(Kind.TIMESTAMP, 0, 0);

  static ColumnType of(Kind k) { return new ColumnType(k, 0, 0); }

  private static final Pattern DEC = Pattern.compile("(?:DECIMAL|NUMERIC)\\s*\\(\\s*(\\d+)\\s*(?:,\\s*(\\d+)\\s*)?\\)");

  /** Parses a type as a user writes it or a warehouse reports it; null when it is none of the kinds. */
  static ColumnType parse(String type) {
    String t = type.strip().toUpperCase(Locale.ROOT);
    Matcher m = DEC.matcher(t);
    if (m.matches()) {
      int p = Integer.parseInt(m.group(1));
      int s = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
      return p > 38 ? of(Kind.DOUBLE) : new ColumnType(Kind.DECIMAL, p, s);
    }
    if (t.startsWith("VARCHAR") || t.startsWith("CHARACTER VARYING") || t.startsWith("CHAR") || t.equals("TEXT")
        || t.equals("STRING") || t.startsWith("BPCHAR") || t.equals("UUID") || t.equals("JSON")) {
      return VARCHAR;
    }
    return switch (t) {
      case "SMALLINT", "INT2", "TINYINT", "INT1" -> of(Kind.SMALLINT);
      case "INTEGER", "INT", "INT4", "SIGNED" -> of(Kind.INTEGER);
      case "BIGINT", "INT8", "LONG" -> BIGINT;
      case "DECIMAL", "NUMERIC" -> of(Kind.DOUBLE);
      case "DOUBLE", "DOUBLE PRECISION", "FLOAT8", "FLOAT", "FLOAT4", "REAL" -> of(Kind.DOUBLE);
      case "BOOLEAN", "BOOL" -> of(Kind.BOOLEAN);
      case "DATE" -> of(Kind.DATE);
      case "TIMESTAMP", "DATETIME", "TIMESTAMP WITHOUT TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S" -> TIMESTAMP;
      case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE" -> of(Kind.TIMESTAMPTZ);
      case "TIME", "TIME WITHOUT TIME ZONE" -> of(Kind.TIME);
      default -> null;
    };
  }

  /** The kind for a source column from JDBC metadata. {@code sqlite}: its INTEGER holds 64 bits. */
  static ColumnType fromJdbc(int sqlType, String typeName, int precision, int scale, boolean sqlite) {
    String tn = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
    return switch (sqlType) {
      case Types.TINYINT, Types.SMALLINT -> sqlite ? BIGINT : of(Kind.SMALLINT);
      case Types.INTEGER -> sqlite ? BIGINT : of(Kind.INTEGER);
      case Types.BIGINT -> BIGINT;
      case Types.DECIMAL, Types.NUMERIC -> precision <= 0 || precision > 38 || scale < 0 ? of(Kind.DOUBLE)
          : new ColumnType(Kind.DECIMAL, precision, scale);
      case Types.REAL, Types.FLOAT, Types.DOUBLE -> of(Kind.DOUBLE);
      case Types.BIT, Types.BOOLEAN -> tn.equals("bit") && precision > 1 ? VARCHAR : of(Kind.BOOLEAN);
      case Types.DATE -> of(Kind.DATE);
      case Types.TIMESTAMP -> tn.contains("timestamptz") ? of(Kind.TIMESTAMPTZ) : TIMESTAMP;
      case Types.TIMESTAMP_WITH_TIMEZONE -> of(Kind.TIMESTAMPTZ);
      case Types.TIME -> tn.contains("timetz") ? VARCHAR : of(Kind.TIME);
      default -> VARCHAR;
    };
  }

  /**
   * The kind for a MariaDB (or MySQL) column: unsigned integers take the next wider kind (BIGINT
   * UNSIGNED: DECIMAL(20,0)), YEAR is a SMALLINT (not the driver's DATE of January 1st), TIMESTAMP
   * is an instant (TIMESTAMPTZ; the connection reads it in UTC); the rest as {@link #fromJdbc}.
   */
  static ColumnType fromMariaDb(int sqlType, String typeName, int precision, int scale) {
    String tn = typeName == null ? "" : typeName.toUpperCase(Locale.ROOT);
    if (tn.endsWith(" UNSIGNED")) {
      switch (tn.substring(0, tn.length() - " UNSIGNED".length())) {
        case "TINYINT" -> { return of(Kind.SMALLINT); }
        case "SMALLINT", "MEDIUMINT" -> { return of(Kind.INTEGER); }
        case "INT", "INTEGER" -> { return BIGINT; }
        case "BIGINT" -> { return new ColumnType(Kind.DECIMAL, 20, 0); }
        default -> { }
      }
    }
    if (tn.equals("YEAR")) return of(Kind.SMALLINT);
    if (tn.equals("TIMESTAMP")) return of(Kind.TIMESTAMPTZ);
    return fromJdbc(sqlType, typeName, precision, scale, false);
  }

  /** The DDL name on a warehouse of type {@code engineType} ("duckdb", "postgres"). */
  String ddl(String engineType) {
    boolean pg = "postgres".equals(engineType);
    return switch (kind) {
      case SMALLINT -> "smallint";
      case INTEGER -> "integer";
      case BIGINT -> "bigint";
      case DECIMAL -> (pg ? "numeric(" : "decimal(") + precision + "," + scale + ")";
      case DOUBLE -> pg ? "double precision" : "double";
      case BOOLEAN -> "boolean";
      case DATE -> "date";
      case TIMESTAMP -> "timestamp";
      case TIMESTAMPTZ -> "timestamptz";
      case TIME -> "time";
      case VARCHAR -> pg ? "text" : "varchar";
    };
  }

  @Override public String toString() { return ddl("duckdb").toUpperCase(Locale.ROOT); }

  private boolean integral() { return kind == Kind.SMALLINT || kind == Kind.INTEGER || kind == Kind.BIGINT; }

  private int intDigits() {
    return switch (kind) {
      case SMALLINT -> 5;
      case INTEGER -> 10;
      case BIGINT -> 19;
      case DECIMAL -> precision - scale;
      default -> 0;
    };
  }

  /**
   * The type a column of this type takes to also hold values of {@code other}: this when it already
   * does, the wider one when one widens to the other (int to bigint, int to decimal or double, a
   * decimal with more digits), else VARCHAR, which holds anything.
   */
  ColumnType widen(ColumnType other) {
    if (this.equals(other) || other.kind == Kind.VARCHAR && kind == Kind.VARCHAR) return this;
    if (kind == Kind.VARCHAR) return this;
    if (integral() && other.integral()) return kind.ordinal() >= other.kind.ordinal() ? this : other;
    if (kind == Kind.DOUBLE && (other.integral() || other.kind == Kind.DECIMAL)) return this;
    if ((integral() || kind == Kind.DECIMAL) && other.kind == Kind.DOUBLE) return other;
    if ((integral() || kind == Kind.DECIMAL) && (other.integral() || other.kind == Kind.DECIMAL)) {
      int s = Math.max(kind == Kind.DECIMAL ? scale : 0, other.kind == Kind.DECIMAL ? other.scale : 0);
      int digits = Math.max(intDigits(), other.intDigits());
      if (digits + s > 38) return of(Kind.DOUBLE);
      ColumnType w = new ColumnType(Kind.DECIMAL, digits + s, s);
      return w.kind == kind && w.precision == precision && w.scale == scale ? this : w;
    }
    if (kind == Kind.TIMESTAMP && other.kind == Kind.DATE) return this;
    if (kind == Kind.DATE && other.kind == Kind.TIMESTAMP) return other;
    return VARCHAR;
  }

  // ------------------------------------------------------------------------------------ casts

  /** Casts a source value (JDBC object, or COPY text when {@code text}) to this type's Java value. */
  Object cast(Object v) {
    if (v == null) return null;
    if (v instanceof String s) return castText(s);
    switch (kind) {
      case SMALLINT, INTEGER, BIGINT -> {
        long l;
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) l = ((Number) v).longValue();
        else if (v instanceof BigDecimal b) l = b.stripTrailingZeros().longValueExact();
        else if (v instanceof java.math.BigInteger b) {
          if (b.bitLength() > 63) throw new IllegalArgumentException(b + " is out of range for " + this);
          l = b.longValue();
        }
        else if (v instanceof Number n) {
          double d = n.doubleValue();
          if (d != Math.rint(d)) throw new IllegalArgumentException("'" + v + "' is not a whole number");
          l = (long) d;
        } else if (v instanceof Boolean b) l = b ? 1 : 0;
        else return castText(v.toString());
        return checkRange(l);
      }
      case DECIMAL -> {
        BigDecimal b = v instanceof BigDecimal bd ? bd : v instanceof java.math.BigInteger bi ? new BigDecimal(bi)
            : v instanceof Number n && !(v instanceof Double || v instanceof Float) ? BigDecimal.valueOf(n.longValue())
            : new BigDecimal(v.toString());
        return fitDecimal(b);
      }
      case DOUBLE -> {
        // A float as the double it prints as (3.14, not 3.140000104904175), like the COPY text path.
        if (v instanceof Float f) return f.isInfinite() || f.isNaN() ? f.doubleValue() : Double.parseDouble(f.toString());
        if (v instanceof Number n) return n.doubleValue();
        return castText(v.toString());
      }
      case BOOLEAN -> {
        if (v instanceof Boolean b) return b;
        if (v instanceof Number n) return n.longValue() != 0;
        return castText(v.toString());
      }
      case DATE -> {
        if (v instanceof java.sql.Date d) return d.toLocalDate();
        if (v instanceof LocalDate d) return d;
        if (v instanceof java.sql.Timestamp ts) return ts.toLocalDateTime().toLocalDate();
        return castText(v.toString());
      }
      case TIMESTAMP -> {
        if (v instanceof java.sql.Timestamp ts) return ts.toLocalDateTime();
        if (v instanceof LocalDateTime t) return t;
        if (v instanceof OffsetDateTime o) return o.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
        if (v instanceof java.sql.Date d) return d.toLocalDate().atStartOfDay();
        if (v instanceof Long ms) return LocalDateTime.ofEpochSecond(Math.floorDiv(ms, 1000), (int) Math.floorMod(ms, 1000) * 1_000_000, ZoneOffset.UTC);
        return castText(v.toString());
      }
      case TIMESTAMPTZ -> {
        if (v instanceof OffsetDateTime o) return o;
        if (v instanceof java.sql.Timestamp ts) return ts.toInstant().atOffset(ZoneOffset.UTC);
        if (v instanceof LocalDateTime t) return t.atOffset(ZoneOffset.UTC);
        return castText(v.toString());
      }
      case TIME -> {
        if (v instanceof java.sql.Time t) return t.toLocalTime();
        if (v instanceof LocalTime t) return t;
        return castText(v.toString());
      }
      default -> {
        if (v instanceof byte[] bytes) return hex(bytes);
        if (v instanceof java.sql.Array a) {
          try {
            return java.util.Arrays.deepToString((Object[]) a.getArray());
          } catch (java.sql.SQLException e) {
            return v.toString();
          }
        }
        return v.toString();
      }
    }
  }

  /** Casts text (COPY text format, or a text value of a JDBC driver). */
  Object castText(String s) {
    switch (kind) {
      case VARCHAR -> { return s; }
      case SMALLINT, INTEGER, BIGINT -> {
        long l;
        try {
          l = Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
          BigDecimal b;
          try {
            b = new BigDecimal(s.strip());
            l = b.stripTrailingZeros().longValueExact();
          } catch (NumberFormatException | ArithmeticException e2) {
            throw new IllegalArgumentException("'" + s + "' is not a " + this);
          }
        }
        return checkRange(l);
      }
      case DECIMAL -> {
        try {
          return fitDecimal(new BigDecimal(s.strip()));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("'" + s + "' is not a " + this);
        }
      }
      case DOUBLE -> {
        try {
          return Double.parseDouble(s.strip());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("'" + s + "' is not a " + this);
        }
      }
      case BOOLEAN -> {
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
          case "t", "true", "1", "yes", "y", "on" -> Boolean.TRUE;
          case "f", "false", "0", "no", "n", "off" -> Boolean.FALSE;
          default -> throw new IllegalArgumentException("'" + s + "' is not a BOOLEAN");
        };
      }
      case DATE -> {
        try {
          String d = s.strip();
          return LocalDate.parse(d.length() > 10 ? d.substring(0, 10) : d);
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("'" + s + "' is not a DATE");
        }
      }
      case TIMESTAMP -> {
        try {
          return parseTimestamp(s.strip());
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("'" + s + "' is not a TIMESTAMP");
        }
      }
      case TIMESTAMPTZ -> {
        try {
          return parseTimestampTz(s.strip());
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("'" + s + "' is not a TIMESTAMPTZ");
        }
      }
      case TIME -> {
        try {
          return LocalTime.parse(s.strip());
        } catch (RuntimeException e) {
          throw new IllegalArgumentException("'" + s + "' is not a TIME");
        }
      }
      default -> { return s; }
    }
  }

  /**
   * Casts a field of COPY text (bytes {@code from..to} of a line, no escapes in it) without making
   * a String first for the common forms; anything unusual goes through {@link #castText}.
   */
  Object castBytes(byte[] b, int from, int to) {
    int len = to - from;
    switch (kind) {
      case VARCHAR -> { return new String(b, from, len, java.nio.charset.StandardCharsets.UTF_8); }
      case SMALLINT, INTEGER, BIGINT -> {
        if (len > 0 && len <= 18) {
          int i = from;
          boolean neg = b[i] == '-';
          if (neg || b[i] == '+') i++;
          long v = 0;
          boolean ok = i < to;
          for (; i < to; i++) {
            int dgt = b[i] - '0';
            if (dgt < 0 || dgt > 9) { ok = false; break; }
            v = v * 10 + dgt;
          }
          if (ok) return checkRange(neg ? -v : v);
        }
      }
      case DECIMAL -> {
        if (len > 0 && len <= 19) {
          int i = from;
          boolean neg = b[i] == '-';
          if (neg || b[i] == '+') i++;
          long v = 0;
          int sc = -1;
          int digits = 0;
          boolean ok = i < to;
          for (; i < to; i++) {
            byte c = b[i];
            if (c == '.' && sc < 0) { sc = 0; continue; }
            int dgt = c - '0';
            if (dgt < 0 || dgt > 9) { ok = false; break; }
            v = v * 10 + dgt;
            digits++;
            if (sc >= 0) sc++;
          }
          if (ok && digits > 0 && digits <= 18) return fitDecimal(BigDecimal.valueOf(neg ? -v : v, Math.max(sc, 0)));
        }
      }
      case DOUBLE -> {
        try {
          return Double.parseDouble(new String(b, from, len, java.nio.charset.StandardCharsets.ISO_8859_1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("'" + new String(b, from, len, java.nio.charset.StandardCharsets.UTF_8) + "' is not a " + this);
        }
      }
      case BOOLEAN -> {
        if (len == 1 && b[from] == 't') return Boolean.TRUE;
        if (len == 1 && b[from] == 'f') return Boolean.FALSE;
      }
      case DATE -> {
        if (len == 10 && isDate(b, from)) return LocalDate.of(num(b, from, 4), num(b, from + 5, 2), num(b, from + 8, 2));
      }
      case TIMESTAMP -> {
        LocalDateTime t = timestampBytes(b, from, to);
        if (t != null) return t;
      }
      case TIMESTAMPTZ -> {
        if (len > 22 && b[to - 3] == '+' && b[to - 2] == '0' && b[to - 1] == '0') {
          LocalDateTime t = timestampBytes(b, from, to - 3);
          if (t != null) return t.atOffset(ZoneOffset.UTC);
        }
      }
      default -> { }
    }
    return castText(new String(b, from, len, java.nio.charset.StandardCharsets.UTF_8));
  }

  private static boolean isDate(byte[] b, int f) {
    return b[f + 4] == '-' && b[f + 7] == '-';
  }

  private static int num(byte[] b, int from, int n) {
    int v = 0;
    for (int i = from; i < from + n; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) return -1;
      v = v * 10 + d;
    }
    return v;
  }

  /** 'yyyy-MM-dd HH:mm:ss[.ffffff]' from bytes, or null when it is not in that form. */
  private static LocalDateTime timestampBytes(byte[] b, int from, int to) {
    int len = to - from;
    if (len < 19 || !isDate(b, from) || b[from + 10] != ' ' || b[from + 13] != ':' || b[from + 16] != ':') return null;
    int y = num(b, from, 4), mo = num(b, from + 5, 2), d = num(b, from + 8, 2);
    int h = num(b, from + 11, 2), mi = num(b, from + 14, 2), s = num(b, from + 17, 2);
    if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return null;
    int nanos = 0;
    if (len > 19) {
      if (b[from + 19] != '.' || len > 29) return null;
      int scale = 100_000_000;
      for (int i = from + 20; i < to; i++) {
        int dg = b[i] - '0';
        if (dg < 0 || dg > 9) return null;
        nanos += dg * scale;
        scale /= 10;
      }
    }
    try {
      return LocalDateTime.of(y, mo, d, h, mi, s, nanos);
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }

  private Object checkRange(long l) {
    long max = kind == Kind.SMALLINT ? Short.MAX_VALUE : kind == Kind.INTEGER ? Integer.MAX_VALUE : Long.MAX_VALUE;
    long min = kind == Kind.SMALLINT ? Short.MIN_VALUE : kind == Kind.INTEGER ? Integer.MIN_VALUE : Long.MIN_VALUE;
    if (l > max || l < min) throw new IllegalArgumentException(l + " is out of range for " + this);
    return l;
  }

  private BigDecimal fitDecimal(BigDecimal b) {
    BigDecimal r = b.setScale(scale, RoundingMode.HALF_UP);
    if (r.precision() - r.scale() > precision - scale) {
      throw new IllegalArgumentException(b.toPlainString() + " does not fit " + this);
    }
    return r;
  }

  /** 'yyyy-MM-dd HH:mm:ss[.f...]' or with 'T'; a date alone is midnight. */
  static LocalDateTime parseTimestamp(String s) {
    if (s.length() == 10) return LocalDate.parse(s).atStartOfDay();
    if (s.length() >= 19 && s.charAt(4) == '-' && s.charAt(7) == '-' && (s.charAt(10) == ' ' || s.charAt(10) == 'T')
        && s.charAt(13) == ':' && s.charAt(16) == ':') {
      int y = digits(s, 0, 4), mo = digits(s, 5, 7), d = digits(s, 8, 10);
      int h = digits(s, 11, 13), mi = digits(s, 14, 16), se = digits(s, 17, 19);
      int nanos = 0;
      int end = 19;
      if (s.length() > 19 && s.charAt(19) == '.') {
        int i = 20;
        int scale = 100_000_000;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
          if (scale > 0) nanos += (s.charAt(i) - '0') * scale;
          scale /= 10;
          i++;
        }
        end = i;
      }
      if (end != s.length()) throw new IllegalArgumentException(s);
      return LocalDateTime.of(y, mo, d, h, mi, se, nanos);
    }
    return LocalDateTime.parse(s.replace(' ', 'T'));
  }

  /** A timestamp with an offset as Postgres prints it ('+00', '+05:30', 'Z'); none means UTC. */
  static OffsetDateTime parseTimestampTz(String s) {
    int i = s.length() - 1;
    if (s.endsWith("Z")) return parseTimestamp(s.substring(0, i)).atOffset(ZoneOffset.UTC);
    int sign = Math.max(s.lastIndexOf('+'), s.lastIndexOf('-'));
    if (sign > 10) {
      String off = s.substring(sign);
      if (off.equals("+00") || off.equals("+00:00")) return parseTimestamp(s.substring(0, sign)).atOffset(ZoneOffset.UTC);
      if (off.length() == 3) off = off + ":00";
      return parseTimestamp(s.substring(0, sign)).atOffset(ZoneOffset.of(off));
    }
    return parseTimestamp(s).atOffset(ZoneOffset.UTC);
  }

  private static int digits(String s, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') throw new IllegalArgumentException(s);
      v = v * 10 + (c - '0');
    }
    return v;
  }

  static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder("\\x");
    for (byte b : bytes) sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
    return sb.toString();
  }
}
