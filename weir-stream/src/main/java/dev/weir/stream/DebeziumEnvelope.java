package dev.weir.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads Debezium change events as Kafka Connect's JSON converter writes them (format {@code debezium}):
 * the envelope ({@code op}, {@code before}, {@code after}, {@code source}, {@code ts_ms}) either bare
 * ({@code schemas.enable=false}) or inside {@code {"schema": ..., "payload": ...}}. With a schema, values
 * of Connect's and Debezium's logical types become what they stand for (a {@code Decimal}'s base64 bytes a
 * decimal, a {@code MicroTimestamp} a timestamp, an {@code int32} an integer, ...); without one they are
 * read as plain JSON. The row is the {@code after} image ({@code before} for a delete, or the record key
 * when a delete carries no image), plus {@link #OP} and {@link #COMMIT_TS}.
 */
final class DebeziumEnvelope {
  private DebeziumEnvelope() {}

  /** The column holding the change's operation: c (insert), r (snapshot read), u (update), d (delete), t (truncate). */
  static final String OP = "_weir_op";
  /** The column holding the source's commit time of the change ({@code source.ts_ms}). */
  static final String COMMIT_TS = "_weir_commit_ts";

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The fields of the change's row, then {@link #OP} and {@link #COMMIT_TS}; notes in {@code typeHints} the SQL type a
   * column's Connect schema gives (decimals' precision and scale).
   */
  static Decoder.Fields parse(byte[] value, byte[] key, java.util.Map<String, String> typeHints) throws ColumnKind.BadValue {
    JsonNode root = tree(value, "value");
    if (root == null || !root.isObject()) throw new ColumnKind.BadValue("not a Debezium change event (not a JSON object)");
    JsonNode schema = null;
    JsonNode env = root;
    if (root.has("payload") && root.has("schema")) {
      schema = root.get("schema");
      env = root.get("payload");
      if (env == null || !env.isObject()) throw new ColumnKind.BadValue("not a Debezium change event (its payload is not an object)");
    }
    JsonNode opNode = env.get("op");
    if (opNode == null || !opNode.isTextual() || opNode.textValue().isEmpty()) {
      throw new ColumnKind.BadValue("not a Debezium change event (no 'op' field)");
    }
    String op = opNode.textValue();
    List<String> names = new ArrayList<>();
    List<Object> values = new ArrayList<>();
    switch (op) {
      case "c", "r", "u" -> {
        JsonNode after = env.get("after");
        if (after == null || !after.isObject()) throw new ColumnKind.BadValue("Debezium '" + op + "' event without an 'after' image");
        row(after, field(schema, "after"), names, values, typeHints);
      }
      case "d" -> {
        JsonNode before = env.get("before");
        if (before != null && before.isObject() && before.size() > 0) {
          row(before, field(schema, "before"), names, values, typeHints);
        } else if (key != null) {
          JsonNode k = tree(key, "key");
          JsonNode kSchema = null;
          if (k != null && k.has("payload") && k.has("schema")) {
            kSchema = k.get("schema");
            k = k.get("payload");
          }
          if (k == null || !k.isObject()) throw new ColumnKind.BadValue("Debezium delete without a 'before' image or a JSON object key");
          row(k, kSchema, names, values, typeHints);
        } else {
          throw new ColumnKind.BadValue("Debezium delete without a 'before' image or a key");
        }
      }
      case "t" -> {
        // a truncate carries no row
      }
      default -> throw new ColumnKind.BadValue("Debezium event with op '" + op + "' is not a row change (c, r, u, d or t)");
    }
    JsonNode source = env.get("source");
    JsonNode ts = source != null && source.has("ts_ms") ? source.get("ts_ms") : env.get("ts_ms");
    names.add(OP);
    values.add(op);
    names.add(COMMIT_TS);
    values.add(ts != null && ts.canConvertToLong() ? LocalDateTime.ofInstant(Instant.ofEpochMilli(ts.longValue()), ZoneOffset.UTC) : null);
    String[] n = new String[names.size()];
    for (int i = 0; i < n.length; i++) n[i] = names.get(i).intern();
    return new Decoder.Fields(n, values.toArray(), n.length);
  }

  /** The names of the key's fields (the table's primary key), or null when the key is not a JSON object. */
  static List<String> keyNames(byte[] key) {
    try {
      JsonNode k = tree(key, "key");
      if (k != null && k.has("payload") && k.has("schema")) k = k.get("payload");
      if (k == null || !k.isObject() || k.size() == 0) return null;
      List<String> out = new ArrayList<>();
      k.fieldNames().forEachRemaining(out::add);
      return out;
    } catch (ColumnKind.BadValue e) {
      return null;
    }
  }

  private static JsonNode tree(byte[] bytes, String what) throws ColumnKind.BadValue {
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      String m = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw new ColumnKind.BadValue("invalid JSON in the record " + what + ": " + m);
    }
  }

  /** The schema of the envelope's field {@code name}, or null. */
  private static JsonNode field(JsonNode structSchema, String name) {
    if (structSchema == null) return null;
    for (JsonNode f : structSchema.path("fields")) if (name.equals(f.path("field").asText())) return f;
    return null;
  }

  private static void row(JsonNode image, JsonNode schema, List<String> names, List<Object> values, java.util.Map<String, String> typeHints)
      throws ColumnKind.BadValue {
    var it = image.fields();
    while (it.hasNext()) {
      var e = it.next();
      names.add(e.getKey());
      JsonNode fs = field(schema, e.getKey());
      if (fs != null && "org.apache.kafka.connect.data.Decimal".equals(fs.path("name").asText())) {
        // the source's precision and scale (at most DuckDB's 38 digits), as CDC's own tables keep them
        int scale = Math.min(38, Integer.parseInt(fs.path("parameters").path("scale").asText("0")));
        String p = fs.path("parameters").path("connect.decimal.precision").asText(null);
        int precision = Math.max(scale, p == null ? 38 : Math.min(38, Integer.parseInt(p)));
        typeHints.putIfAbsent(e.getKey(), "decimal(" + precision + "," + scale + ")");
      }
      try {
        values.add(value(e.getValue(), fs));
      } catch (ColumnKind.BadValue | RuntimeException ex) {
        throw new ColumnKind.BadValue("column " + e.getKey() + ": " + ex.getMessage());
      }
    }
  }

  /** A value as {@link ColumnKind#inferRaw} and {@link ColumnKind#fromRaw} take it, typed by its Connect schema when there is one. */
  static Object value(JsonNode v, JsonNode fs) throws ColumnKind.BadValue {
    if (v == null || v.isNull()) return null;
    if (fs != null) {
      String logical = fs.path("name").asText("");
      String type = fs.path("type").asText("");
      // a value that does not have its schema's JSON type (a number for int64, ...) is refused, never read as 0
      boolean integral = v.isIntegralNumber() && v.canConvertToLong();
      if ((type.startsWith("int") && !integral) || (type.startsWith("float") && !v.isNumber()) || (type.equals("boolean") && !v.isBoolean())
          || ((type.equals("string") || type.equals("bytes")) && !v.isTextual() && !logical.equals("org.apache.kafka.connect.data.Decimal"))) {
        throw new ColumnKind.BadValue("value " + v + " is not of its schema's type " + type);
      }
      switch (logical) {
        case "org.apache.kafka.connect.data.Decimal" -> {
          int scale = Integer.parseInt(fs.path("parameters").path("scale").asText("0"));
          if (v.isNumber()) return v.decimalValue().setScale(scale, java.math.RoundingMode.UNNECESSARY);
          return new BigDecimal(new BigInteger(Base64.getDecoder().decode(v.asText())), scale);
        }
        case "io.debezium.data.VariableScaleDecimal" -> {
          // no fixed scale to type a column with: its exact text (varchar), as CDC's own tables keep it on DuckDB
          return new BigDecimal(new BigInteger(Base64.getDecoder().decode(v.path("value").asText())), v.path("scale").asInt()).toPlainString();
        }
        case "io.debezium.time.Date", "org.apache.kafka.connect.data.Date" -> { return LocalDate.ofEpochDay(v.longValue()); }
        case "io.debezium.time.Timestamp", "org.apache.kafka.connect.data.Timestamp" -> { return micros(Math.multiplyExact(v.longValue(), 1000L)); }
        case "io.debezium.time.MicroTimestamp" -> { return micros(v.longValue()); }
        case "io.debezium.time.NanoTimestamp" -> { return micros(Math.floorDiv(v.longValue(), 1000L)); }
        case "io.debezium.time.ZonedTimestamp" -> { return ColumnKind.TIMESTAMP.fromText(v.asText()); }
        case "io.debezium.time.Time", "org.apache.kafka.connect.data.Time" -> { return LocalTime.ofNanoOfDay(v.longValue() * 1_000_000L).toString(); }
        case "io.debezium.time.MicroTime" -> { return LocalTime.ofNanoOfDay(v.longValue() * 1_000L).toString(); }
        case "io.debezium.time.NanoTime" -> { return LocalTime.ofNanoOfDay(v.longValue()).toString(); }
        default -> {
          // Json, Uuid, Enum, ZonedTime, Xml...: their plain type below (text)
        }
      }
      switch (type) {
        case "int8", "int16", "int32" -> { return v.intValue(); }
        case "int64" -> { return v.longValue(); }
        case "float32", "float64" -> { return v.doubleValue(); }
        case "boolean" -> { return v.booleanValue(); }
        case "string" -> { return v.asText(); }
        case "bytes" -> { return Base64.getDecoder().decode(v.asText()); }
        default -> {
          // struct, array, map: as JSON text
        }
      }
    }
    if (v.isTextual()) return v.textValue();
    if (v.isBoolean()) return v.booleanValue();
    if (v.isIntegralNumber()) return v.canConvertToLong() ? (Object) v.longValue() : v.bigIntegerValue();
    if (v.isNumber()) return v.doubleValue();
    return v;
  }

  private static LocalDateTime micros(long us) {
    return LocalDateTime.ofEpochSecond(Math.floorDiv(us, 1_000_000L), (int) Math.floorMod(us, 1_000_000L) * 1000, ZoneOffset.UTC);
  }
}
