package dev.weir.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The JSON fast path writes the batch-file row the general path (decode, fit, convert, write) writes, for
 * every record it takes, and leaves to the general path every record that one would refuse, widen or convert.
 * Checked on generated records mixing awkward numbers, escapes, UTF-8 (valid and not), nesting, duplicates, unknown
 * fields and malformed JSON.
 */
class JsonRowTranscoderTest {
  private static final String[] VALUES = {
      "0", "-0", "7", "-12", "123456789", "1234567890", "123456789012345678", "1234567890123456789", "99999999999999999999",
      "1.5", "-0.0", "0.10", "1e5", "1E-3", "12.", "01", ".5", "3.14159265358979323846", "-2.25", "100.000",
      "\"plain\"", "\"with \\\"quote\\\"\"", "\"back\\\\slash\"", "\"slash\\/\"", "\"nl\\n tab\\t cr\\r b\\b f\\f\"", "\"u\\u00e9\"",
      "\"ünï €\"", "\"😀\"", "\"\"", "\"a,b\"", "\"12\"", "\"true\"", "\"2024-01-01\"", "\"bad\\x\"",
      "true", "false", "null", "[1,2]", "{\"a\":1}", "nul", "tru", "\"unterminated",
  };
  private static final String[] FIELDS = {"id", "name", "amount", "ok", "qty", "price", "extra", "Id", "na\\u006de"};

  private static StreamSpec spec(String extra) {
    return StreamSpecs.parse("name: s\nkafka: {bootstrap_servers: 'localhost:9092'}\ntopics: [t]\ntarget: raw.s\n" + extra,
        "streams/s.yml", Map.of()).get(0);
  }

  private static byte[] record(Random rnd) {
    if (rnd.nextInt(40) == 0) {
      String[] broken = {"", "[]", "{", "{\"id\":1,}", "{\"id\" 1}", "{\"id\":1} x", "{} ", " {\"id\": 2 } ", "\"s\"", "{\"id\":1}{"};
      return broken[rnd.nextInt(broken.length)].getBytes(StandardCharsets.UTF_8);
    }
    StringBuilder sb = new StringBuilder(rnd.nextBoolean() ? "{" : " { ");
    int n = rnd.nextInt(6);
    for (int i = 0; i < n; i++) {
      if (i > 0) sb.append(rnd.nextInt(5) == 0 ? " , " : ",");
      String f = rnd.nextInt(4) == 0 ? FIELDS[rnd.nextInt(FIELDS.length)] : FIELDS[i % 6];
      sb.append('"').append(f).append('"').append(rnd.nextInt(5) == 0 ? " : " : ":").append(VALUES[rnd.nextInt(VALUES.length)]);
    }
    sb.append(rnd.nextBoolean() ? "}" : "}\n");
    byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
    if (rnd.nextInt(30) == 0 && b.length > 3) b[1 + rnd.nextInt(b.length - 2)] = (byte) (0x80 + rnd.nextInt(0x7F)); // not UTF-8, often
    return b;
  }

  /** The general path's row for {@code value}, or null when it would not write one with this schema as it is. */
  private static String general(Decoder dec, LinkedHashMap<String, ColumnKind> schema, boolean checkFit, int[] keys, byte[] key, byte[] value) {
    Decoder.Parsed parsed;
    try {
      parsed = dec.parse(value, key);
    } catch (ColumnKind.BadValue e) {
      return null;
    }
    if (checkFit && !dec.fits(parsed, schema)) return null;
    List<String> names = new ArrayList<>(schema.keySet());
    List<ColumnKind> kinds = new ArrayList<>(schema.values());
    Object[] row = new Object[StreamState.META.size() + names.size()];
    row[0] = "topic";
    row[1] = 3L;
    row[2] = 42L;
    row[3] = key == null ? null : new String(key, StandardCharsets.UTF_8);
    try {
      dec.toRow(parsed, names, kinds, row, StreamState.META.size());
    } catch (ColumnKind.BadValue e) {
      return null;
    }
    if (keys != null) for (int k : keys) if (row[StreamState.META.size() + k] == null) return null;
    try (BatchFile f = new BatchFile("weir-test-")) {
      f.begin();
      return f.row(row, row.length, 1_700_000_000_123L) ? f.text() : null;
    }
  }

  private static int[] compare(String yaml, LinkedHashMap<String, ColumnKind> schema, boolean declared, int[] keys, long seed, int n) {
    StreamSpec spec = spec(yaml);
    Decoder dec = new Decoder(spec);
    JsonRowTranscoder fast = new JsonRowTranscoder(new ArrayList<>(schema.keySet()), new ArrayList<>(schema.values()), declared, keys);
    Random rnd = new Random(seed);
    int taken = 0;
    int general = 0;
    try (BatchFile f = new BatchFile("weir-test-")) {
      for (int i = 0; i < n; i++) {
        byte[] value = record(rnd);
        byte[] key = rnd.nextInt(3) == 0 ? null : ("k\"" + i).getBytes(StandardCharsets.UTF_8);
        String want = general(dec, schema, !declared, keys, key, value);
        f.begin();
        boolean took = fast.row(f, "topic", 3, 42, key, 1_700_000_000_123L, value);
        String shown = new String(value, StandardCharsets.UTF_8);
        if (took) {
          taken++;
          assertThat(want).as("the general path refuses %s, the fast path took it", shown).isNotNull();
          assertSameRow(f.text(), want, new ArrayList<>(schema.values()), shown);
        } else {
          assertThat(f.rows()).isZero();
          if (want != null) general++;
        }
      }
    }
    return new int[] {taken, general};
  }

  /**
   * The rows are the same, field by field: text exactly, and numbers of double and decimal columns as the values DuckDB
   * reads from them (the fast path copies the JSON's digits, the general path writes the double it parsed; both are read
   * back correctly rounded, so they must denote the same double, or the same decimal).
   */
  private static void assertSameRow(String got, String want, List<ColumnKind> kinds, String shown) {
    List<String> g = fields(got);
    List<String> w = fields(want);
    assertThat(g).as("fields of the row of %s: %s vs %s", shown, got, want).hasSameSizeAs(w);
    int meta = StreamState.META.size();
    for (int i = 0; i < g.size(); i++) {
      ColumnKind k = i >= meta ? kinds.get(i - meta) : null;
      String gi = g.get(i);
      String wi = w.get(i);
      if (k == ColumnKind.DOUBLE && !gi.isEmpty() && !wi.isEmpty()) {
        assertThat(Double.doubleToLongBits(Double.parseDouble(gi))).as("double of %s: %s vs %s", shown, gi, wi)
            .isEqualTo(Double.doubleToLongBits(Double.parseDouble(wi)));
      } else if (k == ColumnKind.DECIMAL && !gi.isEmpty() && !wi.isEmpty()) {
        assertThat(new java.math.BigDecimal(gi)).as("decimal of %s", shown).isEqualByComparingTo(new java.math.BigDecimal(wi));
      } else {
        assertThat(gi).as("field %d of the row of %s", i, shown).isEqualTo(wi);
      }
    }
  }

  /** The fields of one CSV line as written (quotes kept). */
  private static List<String> fields(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length() - 1; i++) { // the last character is the newline
      char c = line.charAt(i);
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }

  /** id bigint, name varchar, amount double, ok boolean. */
  private static LinkedHashMap<String, ColumnKind> baseSchema() {
    LinkedHashMap<String, ColumnKind> schema = new LinkedHashMap<>();
    schema.put("id", ColumnKind.BIGINT);
    schema.put("name", ColumnKind.VARCHAR);
    schema.put("amount", ColumnKind.DOUBLE);
    schema.put("ok", ColumnKind.BOOLEAN);
    return schema;
  }

  @Test
  void inferredSchemaRowsAreTheGeneralPaths() {
    int[] r = compare("", baseSchema(), false, null, 11, 40_000);
    // both paths are exercised: the fast one takes plenty, the general one still gets some
    assertThat(r[0]).isGreaterThan(500);
    assertThat(r[1]).isGreaterThan(50);
  }

  @Test
  void declaredSchemaWithUpsertKeyRowsAreTheGeneralPaths() {
    LinkedHashMap<String, ColumnKind> schema = baseSchema();
    schema.put("qty", ColumnKind.INTEGER);
    schema.put("price", ColumnKind.DECIMAL);
    int[] r = compare("schema: {id: bigint, name: varchar, amount: double, ok: boolean, qty: integer, price: 'decimal(12,2)'}\n"
        + "mode: upsert\nkey: [id]\n", schema, true, new int[] {0}, 12, 40_000);
    assertThat(r[0]).isGreaterThan(500);
    assertThat(r[1]).isGreaterThan(50);
  }

  @Test
  void utf8Validation() {
    assertThat(JsonRowTranscoder.utf8("é".getBytes(StandardCharsets.UTF_8), 0, 2)).isEqualTo(2);
    assertThat(JsonRowTranscoder.utf8("€".getBytes(StandardCharsets.UTF_8), 0, 3)).isEqualTo(3);
    assertThat(JsonRowTranscoder.utf8("😀".getBytes(StandardCharsets.UTF_8), 0, 4)).isEqualTo(4);
    assertThat(JsonRowTranscoder.utf8(new byte[] {(byte) 0xC0, (byte) 0x80}, 0, 2)).isZero(); // overlong NUL
    assertThat(JsonRowTranscoder.utf8(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, 0, 3)).isZero(); // a surrogate
    assertThat(JsonRowTranscoder.utf8(new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, 0, 4)).isZero(); // past U+10FFFF
    assertThat(JsonRowTranscoder.utf8(new byte[] {(byte) 0xE2, (byte) 0x82}, 0, 2)).isZero(); // cut short
  }
}
