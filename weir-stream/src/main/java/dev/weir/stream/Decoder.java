package dev.weir.stream;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns record values into rows of a micro-batch. Decoding happens in two steps so that inferred
 * schemas see the whole batch first: {@link #parse} makes each value a {@link Parsed} (a JSON
 * object, CSV fields, a string or bytes) or an error; {@link #schemaFor} declares or infers the
 * batch's columns (widening as batch ingestion does, starting from the kinds already in the
 * target); {@link #toRow} converts a parsed value to the Java values of those columns, or fails
 * with the reason (the record then becomes a dead letter).
 */
public final class Decoder {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final StreamSpec spec;
  private final AvroValues avro;

  /** SQL types the values' own schemas give (Debezium decimals: {@code decimal(p,s)}), by column; filled as records are parsed. */
  private final Map<String, String> typeHints = new java.util.HashMap<>();

  Map<String, String> typeHints() { return typeHints; }

  public Decoder(StreamSpec spec) {
    this.spec = spec;
    this.avro = spec.format() == StreamSpec.Format.AVRO ? new AvroValues(spec.avro()) : null;
  }

  /**
   * The fields of a JSON object in order of appearance (a repeated name keeps its last value).
   * Values are raw: {@code String}, {@code Long}, {@code BigInteger}, {@code Double}, {@code Boolean},
   * {@code null} (JSON null) or a {@link JsonNode} (nested arrays and objects).
   */
  public static final class Fields {
    final String[] names;
    final Object[] values;
    final int size;

    Fields(String[] names, Object[] values, int size) {
      this.names = names;
      this.values = values;
      this.size = size;
    }

    /** The index of the field named exactly {@code name} (searched from {@code hint}), or -1. */
    int indexOf(String name, int hint) {
      for (int k = 0; k < size; k++) {
        int j = hint + k < size ? hint + k : hint + k - size;
        String n = names[j];
        if (n == name || n.equals(name)) return j; // field names are interned by the parser
      }
      return -1;
    }
  }

  /** A parsed record value: exactly one of the fields is set. */
  public record Parsed(Fields json, String[] csv, String text, byte[] bytes) {}

  /** The change operation of a parsed Debezium event (c, r, u, d, t), or 0 for other formats. */
  static char op(Parsed p) {
    if (p.json() == null) return 0;
    int i = p.json().indexOf(DebeziumEnvelope.OP, Math.max(0, p.json().size - 2));
    return i < 0 || !(p.json().values[i] instanceof String s) || s.isEmpty() ? 0 : s.charAt(0);
  }

  /** Parses one record value; throws {@link ColumnKind.BadValue} with the reason when it cannot. */
  public Parsed parse(byte[] value) throws ColumnKind.BadValue {
    return parse(value, null);
  }

  /** {@link #parse(byte[])} for a record with a key (a Debezium delete without a before image takes its row from the key). */
  public Parsed parse(byte[] value, byte[] key) throws ColumnKind.BadValue {
    switch (spec.format()) {
      case JSON:
        return new Parsed(parseObject(value), null, null, null);
      case DEBEZIUM:
        return new Parsed(DebeziumEnvelope.parse(value, key, typeHints), null, null, null);
      case AVRO:
        return new Parsed(avro.decode(value), null, null, null);
      case CSV:
        return new Parsed(null, splitCsv(new String(value, StandardCharsets.UTF_8), spec.csv().delimiter()), null, null);
      case STRING:
        return new Parsed(null, null, new String(value, StandardCharsets.UTF_8), null);
      default:
        return new Parsed(null, null, null, value);
    }
  }

  private String[] scratchNames = new String[16];
  private Object[] scratchValues = new Object[16];

  /**
   * Reads a JSON object with the streaming parser (no tree): its top-level fields and their raw
   * values. Nested values (rare) become trees. Errors are those of a tree read of the same bytes.
   */
  Fields parseObject(byte[] value) throws ColumnKind.BadValue {
    try (JsonParser p = JSON.getFactory().createParser(value)) {
      JsonToken t = p.nextToken();
      if (t != JsonToken.START_OBJECT) {
        String what;
        if (t == null) what = "missing";
        else if (t == JsonToken.START_ARRAY) what = "array";
        else if (t == JsonToken.VALUE_STRING) what = "string";
        else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) what = "number";
        else if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) what = "boolean";
        else if (t == JsonToken.VALUE_NULL) what = "null";
        else what = t.name().toLowerCase(java.util.Locale.ROOT);
        // as the tree reader: the whole value must still be well-formed
        if (t == JsonToken.START_ARRAY) p.skipChildren();
        throw new ColumnKind.BadValue("not a JSON object (a " + what + ")");
      }
      int n = 0;
      String name;
      while ((name = p.nextFieldName()) != null) {
        Object v;
        switch (p.nextToken()) {
          case VALUE_STRING -> v = p.getText();
          case VALUE_NUMBER_INT -> v = p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getBigIntegerValue() : (Object) p.getLongValue();
          case VALUE_NUMBER_FLOAT -> v = p.getDoubleValue();
          case VALUE_TRUE -> v = Boolean.TRUE;
          case VALUE_FALSE -> v = Boolean.FALSE;
          case VALUE_NULL -> v = null;
          default -> v = JSON.readTree(p);
        }
        int at = -1;
        for (int j = 0; j < n; j++) {
          if (scratchNames[j].equals(name)) {
            at = j;
            break;
          }
        }
        if (at >= 0) {
          scratchValues[at] = v;
          continue;
        }
        if (n == scratchNames.length) {
          scratchNames = java.util.Arrays.copyOf(scratchNames, n * 2);
          scratchValues = java.util.Arrays.copyOf(scratchValues, n * 2);
        }
        scratchNames[n] = name;
        scratchValues[n++] = v;
      }
      if (p.currentToken() != JsonToken.END_OBJECT) throw new ColumnKind.BadValue("invalid JSON: unexpected " + p.currentToken());
      return new Fields(java.util.Arrays.copyOf(scratchNames, n), java.util.Arrays.copyOf(scratchValues, n), n);
    } catch (JsonProcessingException e) {
      throw new ColumnKind.BadValue("invalid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ColumnKind.BadValue("invalid JSON: " + e.getMessage());
    }
  }

  /**
   * The data columns of a batch: the declared ones, or those inferred from {@code parsed}
   * (column order: {@code known} first, then new fields in order of first appearance) widened
   * with the kinds of {@code known} (the target's current columns).
   */
  public LinkedHashMap<String, ColumnKind> schemaFor(List<Parsed> parsed, Map<String, ColumnKind> known) {
    LinkedHashMap<String, ColumnKind> out = new LinkedHashMap<>();
    switch (spec.format()) {
      case STRING -> out.put("value", ColumnKind.VARCHAR);
      case BYTES -> out.put("value", ColumnKind.BLOB);
      default -> {
        if (!spec.columns().isEmpty()) {
          spec.columns().forEach((k, d) -> out.put(k, d.kind()));
          if (spec.format() == StreamSpec.Format.DEBEZIUM) {
            out.putIfAbsent(DebeziumEnvelope.OP, ColumnKind.VARCHAR);
            out.putIfAbsent(DebeziumEnvelope.COMMIT_TS, ColumnKind.TIMESTAMP);
          }
          return out;
        }
        out.putAll(known);
        Map<String, ColumnKind> seen = new LinkedHashMap<>();
        for (Parsed p : parsed) {
          if (p.json() != null) {
            Fields f = p.json();
            for (int i = 0; i < f.size; i++) observe(seen, f.names[i], ColumnKind.inferRaw(f.values[i]));
          } else if (p.csv() != null) {
            for (int i = 0; i < p.csv().length; i++) observe(seen, csvName(i), ColumnKind.inferText(p.csv()[i]));
          }
        }
        for (Map.Entry<String, ColumnKind> e : seen.entrySet()) {
          String existing = findIgnoreCase(out, e.getKey());
          // a field seen only as null: a new one is varchar, an existing column keeps its kind
          if (existing == null) out.put(e.getKey(), e.getValue() == null ? ColumnKind.VARCHAR : e.getValue());
          else if (e.getValue() != null) out.put(existing, ColumnKind.widen(out.get(existing), e.getValue()));
        }
      }
    }
    return out;
  }

  /**
   * Whether {@code p} fits {@code schema} as it is: every field is a column (names compared
   * case-insensitively, as {@link #schemaFor} merges them) whose kind takes the value without widening.
   * A batch whose records all fit needs no inference: {@link #schemaFor} would return {@code schema}.
   */
  public boolean fits(Parsed p, Map<String, ColumnKind> schema) {
    if (!spec.columns().isEmpty() || p.text() != null || p.bytes() != null) return true;
    if (p.json() != null) {
      Fields f = p.json();
      for (int i = 0; i < f.size; i++) {
        ColumnKind have = schema.get(f.names[i]);
        if (have == null) {
          String existing = findIgnoreCase(schema, f.names[i]);
          if (existing == null) return false;
          have = schema.get(existing);
        }
        ColumnKind k = ColumnKind.inferRaw(f.values[i]);
        if (k != null && ColumnKind.widen(have, k) != have) return false;
      }
      return true;
    }
    String[] f = p.csv();
    for (int i = 0; i < f.length; i++) {
      String name = csvName(i);
      ColumnKind have = schema.get(name);
      if (have == null) {
        String existing = findIgnoreCase(schema, name);
        if (existing == null) return false;
        have = schema.get(existing);
      }
      ColumnKind k = ColumnKind.inferText(f[i]);
      if (k != null && ColumnKind.widen(have, k) != have) return false;
    }
    return true;
  }

  private static final String[] CSV_NAMES = new String[64];

  static {
    for (int i = 0; i < CSV_NAMES.length; i++) CSV_NAMES[i] = "column_" + (i + 1);
  }

  private static String csvName(int i) {
    return i < CSV_NAMES.length ? CSV_NAMES[i] : "column_" + (i + 1);
  }

  private static void observe(Map<String, ColumnKind> seen, String name, ColumnKind k) {
    if (!seen.containsKey(name)) seen.put(name, k);
    else if (k != null) seen.put(name, ColumnKind.widen(seen.get(name), k));
  }

  static String findIgnoreCase(Map<String, ?> m, String name) {
    if (m.containsKey(name)) return name;
    for (String k : m.keySet()) if (k.equalsIgnoreCase(name)) return k;
    return null;
  }

  /** Converts a parsed value to the Java values of {@code columns}, written into {@code row} from {@code offset}. */
  public void toRow(Parsed p, List<String> names, List<ColumnKind> kinds, Object[] row, int offset) throws ColumnKind.BadValue {
    int n = names.size();
    if (p.json() != null) {
      Fields o = p.json();
      for (int i = 0; i < n; i++) {
        int j = o.indexOf(names.get(i), i < o.size ? i : 0);
        try {
          row[offset + i] = j < 0 ? null : kinds.get(i).fromRaw(o.values[j]);
        } catch (ColumnKind.BadValue e) {
          throw new ColumnKind.BadValue("column " + names.get(i) + ": " + e.getMessage());
        }
      }
    } else if (p.csv() != null) {
      String[] f = p.csv();
      if (f.length > n && !spec.columns().isEmpty()) {
        throw new ColumnKind.BadValue("CSV line has " + f.length + " fields, the schema declares " + n + " columns");
      }
      for (int i = 0; i < n; i++) {
        try {
          row[offset + i] = i < f.length ? kinds.get(i).fromText(f[i]) : null;
        } catch (ColumnKind.BadValue e) {
          throw new ColumnKind.BadValue("column " + names.get(i) + ": " + e.getMessage());
        }
      }
    } else if (p.text() != null) {
      row[offset] = p.text();
    } else {
      row[offset] = p.bytes();
    }
  }

  /** Splits one CSV line: delimiter-separated fields, double quotes around fields, "" inside quotes. */
  static String[] splitCsv(String line, char delim) {
    if (line.endsWith("\r\n")) line = line.substring(0, line.length() - 2);
    else if (line.endsWith("\n")) line = line.substring(0, line.length() - 1);
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
            cur.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          cur.append(c);
        }
      } else if (c == '"' && cur.length() == 0) {
        quoted = true;
      } else if (c == delim) {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out.toArray(new String[0]);
  }
}
