package dev.weir.stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
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

  public Decoder(StreamSpec spec) { this.spec = spec; }

  /** A parsed record value: exactly one of the fields is set. */
  public record Parsed(ObjectNode json, String[] csv, String text, byte[] bytes) {}

  /** Parses one record value; throws {@link ColumnKind.BadValue} with the reason when it cannot. */
  public Parsed parse(byte[] value) throws ColumnKind.BadValue {
    switch (spec.format()) {
      case JSON: {
        JsonNode n;
        try {
          n = JSON.readTree(value);
        } catch (JsonProcessingException e) {
          throw new ColumnKind.BadValue("invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
          throw new ColumnKind.BadValue("invalid JSON: " + e.getMessage());
        }
        if (n == null || !n.isObject()) {
          throw new ColumnKind.BadValue("not a JSON object" + (n == null ? "" : " (a " + n.getNodeType().name().toLowerCase() + ")"));
        }
        return new Parsed((ObjectNode) n, null, null, null);
      }
      case CSV:
        return new Parsed(null, splitCsv(new String(value, StandardCharsets.UTF_8), spec.csv().delimiter()), null, null);
      case STRING:
        return new Parsed(null, null, new String(value, StandardCharsets.UTF_8), null);
      default:
        return new Parsed(null, null, null, value);
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
          return out;
        }
        out.putAll(known);
        Map<String, ColumnKind> seen = new LinkedHashMap<>();
        for (Parsed p : parsed) {
          if (p.json() != null) {
            Iterator<Map.Entry<String, JsonNode>> it = p.json().fields();
            while (it.hasNext()) {
              Map.Entry<String, JsonNode> e = it.next();
              ColumnKind k = ColumnKind.infer(e.getValue());
              observe(seen, e.getKey(), k);
            }
          } else if (p.csv() != null) {
            for (int i = 0; i < p.csv().length; i++) observe(seen, "column_" + (i + 1), ColumnKind.inferText(p.csv()[i]));
          }
        }
        for (Map.Entry<String, ColumnKind> e : seen.entrySet()) {
          ColumnKind k = e.getValue() == null ? ColumnKind.VARCHAR : e.getValue();
          String existing = findIgnoreCase(out, e.getKey());
          if (existing == null) out.put(e.getKey(), k);
          else out.put(existing, ColumnKind.widen(out.get(existing), k));
        }
      }
    }
    return out;
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
      ObjectNode o = p.json();
      for (int i = 0; i < n; i++) {
        JsonNode v = o.get(names.get(i));
        try {
          row[offset + i] = kinds.get(i).fromJson(v);
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
