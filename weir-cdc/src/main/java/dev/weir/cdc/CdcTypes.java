package dev.weir.cdc;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Maps Debezium's column schemas (Kafka Connect types with Debezium's logical names) to warehouse
 * types and converts values to the Java values the engines' bulk loads take.
 */
final class CdcTypes {
  private CdcTypes() {}

  /** The warehouse type for a column of schema {@code s} on engine {@code engineType} (duckdb or postgres). */
  static String sqlType(Schema s, String engineType) {
    boolean pg = "postgres".equals(engineType);
    String logical = s.name();
    if (logical != null) {
      switch (logical) {
        case Decimal.LOGICAL_NAME -> {
          int scale = Integer.parseInt(s.parameters().getOrDefault(Decimal.SCALE_FIELD, "0"));
          String p = s.parameters().get("connect.decimal.precision");
          int precision = p == null ? 38 : Math.min(38, Integer.parseInt(p));
          if (precision < scale) precision = scale;
          return (pg ? "numeric(" : "decimal(") + precision + "," + scale + ")";
        }
        case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date" -> { return "date"; }
        case "io.debezium.time.Timestamp", "io.debezium.time.MicroTimestamp", "io.debezium.time.NanoTimestamp",
            "org.apache.kafka.connect.data.Timestamp" -> { return "timestamp"; }
        case "io.debezium.time.ZonedTimestamp" -> { return "timestamptz"; }
        case "io.debezium.time.Time", "io.debezium.time.MicroTime", "io.debezium.time.NanoTime",
            "org.apache.kafka.connect.data.Time" -> { return "time"; }
        case "io.debezium.data.VariableScaleDecimal" -> { return pg ? "numeric" : "varchar"; }
        case "io.debezium.data.Bits" -> { return bitsLength(s) <= 63 ? "bigint" : (pg ? "numeric(20,0)" : "decimal(20,0)"); }
        default -> {
          // Json, Uuid, Enum, ZonedTime, Xml, ... keep their text form below
        }
      }
    }
    return switch (s.type()) {
      case INT8, INT16 -> "smallint";
      case INT32 -> "integer";
      case INT64 -> "bigint";
      case FLOAT32 -> "real";
      case FLOAT64 -> pg ? "double precision" : "double";
      case BOOLEAN -> "boolean";
      case BYTES -> pg ? "bytea" : "blob";
      default -> pg ? "text" : "varchar";
    };
  }

  /** The value of a column of schema {@code s}, as a Java value matching {@link #sqlType}. */
  static Object value(Schema s, Object v) {
    if (v == null) return null;
    String logical = s.name();
    if (logical != null) {
      switch (logical) {
        case Decimal.LOGICAL_NAME -> { return v; }
        case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date" -> {
          if (v instanceof java.util.Date d) return LocalDate.ofEpochDay(Math.floorDiv(d.getTime(), 86_400_000L));
          return LocalDate.ofEpochDay(((Number) v).longValue());
        }
        case "io.debezium.time.Timestamp" -> { return ts(((Number) v).longValue() * 1000); }
        case "io.debezium.time.MicroTimestamp" -> { return ts(((Number) v).longValue()); }
        case "io.debezium.time.NanoTimestamp" -> { return ts(Math.floorDiv(((Number) v).longValue(), 1000L)); }
        case "org.apache.kafka.connect.data.Timestamp" -> { return ts(((java.util.Date) v).getTime() * 1000); }
        case "io.debezium.time.ZonedTimestamp" -> { return OffsetDateTime.parse(v.toString()); }
        case "io.debezium.time.Time" -> { return LocalTime.ofNanoOfDay(((Number) v).longValue() * 1_000_000L); }
        case "io.debezium.time.MicroTime" -> { return LocalTime.ofNanoOfDay(((Number) v).longValue() * 1_000L); }
        case "io.debezium.time.NanoTime" -> { return LocalTime.ofNanoOfDay(((Number) v).longValue()); }
        case "org.apache.kafka.connect.data.Time" -> { return LocalTime.ofNanoOfDay(((java.util.Date) v).getTime() * 1_000_000L); }
        case "io.debezium.data.VariableScaleDecimal" -> {
          Struct st = (Struct) v;
          BigDecimal b = new BigDecimal(new BigInteger(bytes(st.get("value"))), st.getInt32("scale"));
          return b.toPlainString();
        }
        case "io.debezium.data.Bits" -> {
          // MySQL BIT(n), n > 1: the bits little-endian; landed as the number they spell
          byte[] le = bytes(v);
          byte[] be = new byte[le.length + 1];
          for (int i = 0; i < le.length; i++) be[be.length - 1 - i] = le[i];
          BigInteger n = new BigInteger(be);
          return bitsLength(s) <= 63 ? (Object) n.longValue() : new BigDecimal(n);
        }
        default -> {
          // text form below
        }
      }
    }
    return switch (s.type()) {
      case INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN -> v;
      case BYTES -> bytes(v);
      case STRING -> v.toString();
      default -> v.toString();
    };
  }

  private static int bitsLength(Schema s) {
    String l = s.parameters() == null ? null : s.parameters().get("length");
    try {
      return l == null ? 64 : Integer.parseInt(l);
    } catch (NumberFormatException e) {
      return 64;
    }
  }

  private static byte[] bytes(Object v) {
    if (v instanceof byte[] b) return b;
    ByteBuffer bb = ((ByteBuffer) v).duplicate();
    byte[] out = new byte[bb.remaining()];
    bb.get(out);
    return out;
  }

  private static LocalDateTime ts(long micros) {
    Instant i = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    return LocalDateTime.ofInstant(i, ZoneOffset.UTC);
  }

  /** The rank of a numeric warehouse type for widening (0: not numeric). */
  static int numericRank(String type) {
    String t = type.toLowerCase(Locale.ROOT);
    if (t.startsWith("smallint") || t.equals("int2")) return 1;
    if (t.startsWith("integer") || t.equals("int") || t.equals("int4")) return 2;
    if (t.startsWith("bigint") || t.equals("int8")) return 3;
    if (t.startsWith("decimal") || t.startsWith("numeric")) return 4;
    if (t.startsWith("real") || t.startsWith("float")) return 5;
    if (t.startsWith("double")) return 6;
    return 0;
  }
}
