package dev.weir.stream;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * The kinds of values a stream column holds, their SQL spelling per engine, the widening rules of
 * inferred schemas (the same as batch ingestion: int → bigint → double, anything else → varchar)
 * and the conversion of decoded values to the Java values the engine's bulk load takes.
 */
public enum ColumnKind {
  BOOLEAN, INTEGER, BIGINT, DOUBLE, DECIMAL, VARCHAR, DATE, TIMESTAMP, BLOB;

  /** A declared column type: the kind values convert to and the SQL type the column is created with. */
  public record Declared(ColumnKind kind, String sqlType) {}

  /** Parses a declared type such as {@code bigint}, {@code varchar}, {@code decimal(12,2)}; null when unknown. */
  public static Declared parseDeclared(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
    String base = t.contains("(") ? t.substring(0, t.indexOf('(')).strip() : t;
    ColumnKind k = switch (base) {
      case "bool", "boolean" -> BOOLEAN;
      case "int", "integer", "int4", "smallint", "int2", "tinyint" -> INTEGER;
      case "bigint", "int8", "long" -> BIGINT;
      case "double", "float8", "float", "real", "float4", "double precision" -> DOUBLE;
      case "decimal", "numeric" -> DECIMAL;
      case "varchar", "text", "string", "character varying", "json", "jsonb" -> VARCHAR;
      case "date" -> DATE;
      case "timestamp", "datetime", "timestamp without time zone" -> TIMESTAMP;
      case "blob", "bytea", "bytes", "binary" -> BLOB;
      default -> null;
    };
    if (k == null) return null;
    return new Declared(k, k == DECIMAL ? t : null);
  }

  /** Names accepted in declared schemas (for suggestions). */
  public static final java.util.List<String> DECLARABLE = java.util.List.of("boolean", "integer", "bigint", "double",
      "decimal(p,s)", "varchar", "text", "date", "timestamp", "blob");

  /** The SQL type of this kind on the given engine type ("duckdb", "postgres", ...). */
  public String sqlType(String engineType) {
    boolean pg = "postgres".equals(engineType);
    return switch (this) {
      case BOOLEAN -> "boolean";
      case INTEGER -> "integer";
      case BIGINT -> "bigint";
      case DOUBLE -> pg ? "double precision" : "double";
      case DECIMAL -> "decimal(38,9)";
      case VARCHAR -> pg ? "text" : "varchar";
      case DATE -> "date";
      case TIMESTAMP -> "timestamp";
      case BLOB -> pg ? "bytea" : "blob";
    };
  }

  /** The kind two inferred kinds widen to. */
  public static ColumnKind widen(ColumnKind a, ColumnKind b) {
    if (a == null) return b;
    if (b == null || a == b) return a;
    if (isNumber(a) && isNumber(b)) {
      if (a == DOUBLE || b == DOUBLE || a == DECIMAL || b == DECIMAL) return DOUBLE;
      return BIGINT;
    }
    return VARCHAR;
  }

  private static boolean isNumber(ColumnKind k) {
    return k == INTEGER || k == BIGINT || k == DOUBLE || k == DECIMAL;
  }

  /** The kind a JSON value infers as; null for JSON null (says nothing about the type). */
  public static ColumnKind infer(JsonNode v) {
    if (v == null || v.isNull() || v.isMissingNode()) return null;
    if (v.isBoolean()) return BOOLEAN;
    if (v.isIntegralNumber()) return v.canConvertToLong() ? BIGINT : DOUBLE;
    if (v.isNumber()) return DOUBLE;
    return VARCHAR;
  }

  /** The kind a raw value of {@link Decoder.Fields} infers as, exactly as {@link #infer} does for the same JSON. */
  public static ColumnKind inferRaw(Object v) {
    if (v == null) return null;
    if (v instanceof String) return VARCHAR;
    if (v instanceof Long) return BIGINT;
    if (v instanceof Double || v instanceof java.math.BigInteger) return DOUBLE;
    if (v instanceof Boolean) return BOOLEAN;
    if (v instanceof byte[]) return BLOB;
    // typed values of Debezium envelopes with a schema
    if (v instanceof Integer) return INTEGER;
    if (v instanceof BigDecimal) return DECIMAL;
    if (v instanceof LocalDate) return DATE;
    if (v instanceof LocalDateTime) return TIMESTAMP;
    return infer((JsonNode) v);
  }

  /** The kind a CSV field infers as (null for an empty field). */
  public static ColumnKind inferText(String s) {
    if (s == null || s.isEmpty()) return null;
    if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) return BOOLEAN;
    try {
      Long.parseLong(s);
      return BIGINT;
    } catch (NumberFormatException e) {
      // not an integer
    }
    try {
      Double.parseDouble(s);
      if (!s.contains("Infinity") && !s.contains("NaN")) return DOUBLE;
    } catch (NumberFormatException e) {
      // not a number
    }
    return VARCHAR;
  }

  /** Thrown when a value does not convert to a column's kind (the record becomes a dead letter). */
  public static final class BadValue extends Exception {
    private static final long serialVersionUID = 1L;

    public BadValue(String message) { super(message, null, false, false); }
  }

  /** Converts a JSON value to this kind's Java value (null stays null). */
  public Object fromJson(JsonNode v) throws BadValue {
    if (v == null || v.isNull() || v.isMissingNode()) return null;
    switch (this) {
      case VARCHAR:
        return v.isTextual() ? v.textValue() : v.toString();
      case BOOLEAN:
        if (v.isBoolean()) return v.booleanValue();
        if (v.isTextual()) return fromText(v.textValue());
        throw bad(v.toString());
      case INTEGER, BIGINT:
        if (v.isIntegralNumber() && v.canConvertToLong()) return checkRange(v.longValue(), v.toString());
        if (v.isNumber()) {
          BigDecimal d = v.decimalValue();
          if (d.stripTrailingZeros().scale() <= 0 && v.canConvertToLong()) return checkRange(d.longValue(), v.toString());
          throw bad(v.toString());
        }
        if (v.isTextual()) return fromText(v.textValue());
        throw bad(v.toString());
      case DOUBLE:
        if (v.isNumber()) return v.doubleValue();
        if (v.isTextual()) return fromText(v.textValue());
        throw bad(v.toString());
      case DECIMAL:
        if (v.isNumber()) return v.decimalValue();
        if (v.isTextual()) return fromText(v.textValue());
        throw bad(v.toString());
      case DATE, TIMESTAMP:
        if (v.isTextual()) return fromText(v.textValue());
        if (v.isIntegralNumber() && this == TIMESTAMP) {
          return LocalDateTime.ofInstant(Instant.ofEpochMilli(v.longValue()), ZoneOffset.UTC);
        }
        throw bad(v.toString());
      case BLOB:
        return v.isTextual() ? v.textValue().getBytes(StandardCharsets.UTF_8) : v.toString().getBytes(StandardCharsets.UTF_8);
      default:
        throw bad(v.toString());
    }
  }

  /**
   * Converts a raw value of {@link Decoder.Fields} to this kind's Java value, with the same results
   * (and errors) as {@link #fromJson} for the same JSON, without a tree.
   */
  public Object fromRaw(Object v) throws BadValue {
    if (v == null) return null;
    if (v instanceof String s) {
      if (this == VARCHAR) return s;
      if (this == BLOB) return s.getBytes(StandardCharsets.UTF_8);
      return fromText(s);
    }
    if (v instanceof Long l) {
      return switch (this) {
        case INTEGER, BIGINT -> {
          if (this == INTEGER) checkRange(l, l.toString());
          yield l; // the same box, no new one
        }
        case DOUBLE -> l.doubleValue();
        case DECIMAL -> BigDecimal.valueOf(l);
        case VARCHAR -> l.toString();
        case TIMESTAMP -> LocalDateTime.ofInstant(Instant.ofEpochMilli(l), ZoneOffset.UTC);
        case BLOB -> l.toString().getBytes(StandardCharsets.UTF_8);
        default -> throw bad(l.toString());
      };
    }
    if (v instanceof Double d) {
      return switch (this) {
        case DOUBLE -> d;
        case VARCHAR -> d.toString();
        case BLOB -> d.toString().getBytes(StandardCharsets.UTF_8);
        default -> fromJson(com.fasterxml.jackson.databind.node.DoubleNode.valueOf(d));
      };
    }
    if (v instanceof Boolean b) {
      return switch (this) {
        case BOOLEAN -> b;
        case VARCHAR -> b.toString();
        default -> fromJson(com.fasterxml.jackson.databind.node.BooleanNode.valueOf(b));
      };
    }
    if (v instanceof java.math.BigInteger bi) return fromJson(com.fasterxml.jackson.databind.node.BigIntegerNode.valueOf(bi));
    if (v instanceof byte[] b) {
      if (this == BLOB) return b;
      if (this == VARCHAR) return java.util.HexFormat.of().formatHex(b);
      throw bad("(" + b.length + " bytes)");
    }
    if (v instanceof Integer i) return fromRaw(Long.valueOf(i));
    if (v instanceof BigDecimal bd) {
      return switch (this) {
        case DECIMAL -> bd;
        case DOUBLE -> bd.doubleValue();
        case VARCHAR -> bd.toPlainString();
        case INTEGER, BIGINT -> {
          try {
            yield checkRange(bd.longValueExact(), bd.toPlainString());
          } catch (ArithmeticException e) {
            throw bad(bd.toPlainString());
          }
        }
        case BLOB -> bd.toPlainString().getBytes(StandardCharsets.UTF_8);
        default -> throw bad(bd.toPlainString());
      };
    }
    if (v instanceof LocalDate ld) {
      return switch (this) {
        case DATE -> ld;
        case TIMESTAMP -> ld.atStartOfDay();
        case VARCHAR -> ld.toString();
        default -> throw bad(ld.toString());
      };
    }
    if (v instanceof LocalDateTime ldt) {
      return switch (this) {
        case TIMESTAMP -> ldt;
        case VARCHAR -> ldt.toString().replace('T', ' ');
        default -> throw bad(ldt.toString());
      };
    }
    return fromJson((JsonNode) v);
  }

  /** Converts text (CSV fields, JSON strings) to this kind's Java value; empty text is null except for varchar. */
  public Object fromText(String s) throws BadValue {
    if (s == null) return null;
    if (this == VARCHAR) return s;
    String t = s.strip();
    if (t.isEmpty()) return null;
    try {
      return switch (this) {
        case BOOLEAN -> {
          if (t.equalsIgnoreCase("true") || t.equals("1") || t.equalsIgnoreCase("t")) yield Boolean.TRUE;
          if (t.equalsIgnoreCase("false") || t.equals("0") || t.equalsIgnoreCase("f")) yield Boolean.FALSE;
          throw bad(s);
        }
        case INTEGER, BIGINT -> checkRange(Long.parseLong(t), s);
        case DOUBLE -> Double.parseDouble(t);
        case DECIMAL -> new BigDecimal(t);
        case DATE -> LocalDate.parse(t.length() > 10 ? t.substring(0, 10) : t);
        case TIMESTAMP -> parseTimestamp(t);
        case BLOB -> s.getBytes(StandardCharsets.UTF_8);
        default -> s;
      };
    } catch (NumberFormatException | DateTimeParseException e) {
      throw bad(s);
    }
  }

  private Object checkRange(long v, String text) throws BadValue {
    if (this == INTEGER && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) throw bad(text);
    return v;
  }

  private static LocalDateTime parseTimestamp(String t) {
    String s = t.replace(' ', 'T');
    if (s.endsWith("Z") || s.matches(".*[+-]\\d\\d:?\\d\\d$")) {
      return java.time.OffsetDateTime.parse(s.endsWith("Z") ? s : s.replaceAll("([+-]\\d\\d)(\\d\\d)$", "$1:$2"))
          .withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
    }
    if (s.length() == 10) return LocalDate.parse(s).atStartOfDay();
    return LocalDateTime.parse(s);
  }

  private BadValue bad(String value) {
    String shown = value.length() > 60 ? value.substring(0, 60) + "..." : value;
    return new BadValue("value " + shown + " is not a " + name().toLowerCase(Locale.ROOT));
  }
}
