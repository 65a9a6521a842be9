package dev.weir.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DecoderTest {
  private static StreamSpec spec(String extra) {
    return StreamSpecs.parse("name: s\nkafka: {bootstrap_servers: x:1}\ntopics: [t]\ntarget: raw.t\n" + extra, "streams/s.yml", Map.of()).get(0);
  }

  private static List<Decoder.Parsed> parse(Decoder d, String... values) throws Exception {
    List<Decoder.Parsed> out = new ArrayList<>();
    for (String v : values) out.add(d.parse(v.getBytes(StandardCharsets.UTF_8)));
    return out;
  }

  @Test
  void infersJsonTypesAndWidensAcrossRecords() throws Exception {
    Decoder d = new Decoder(spec(""));
    var schema = d.schemaFor(parse(d, "{\"id\": 1, \"price\": 2, \"name\": \"a\", \"ok\": true, \"tags\": [1]}",
        "{\"id\": 2, \"price\": 2.5, \"name\": 7, \"ok\": null, \"extra\": \"x\"}"), Map.of());
    assertThat(schema).containsExactly(Map.entry("id", ColumnKind.BIGINT), Map.entry("price", ColumnKind.DOUBLE),
        Map.entry("name", ColumnKind.VARCHAR), Map.entry("ok", ColumnKind.BOOLEAN), Map.entry("tags", ColumnKind.VARCHAR),
        Map.entry("extra", ColumnKind.VARCHAR));
  }

  @Test
  void driftWidensTheTargetsKindsAndAddsNewColumns() throws Exception {
    Decoder d = new Decoder(spec(""));
    LinkedHashMap<String, ColumnKind> known = new LinkedHashMap<>();
    known.put("id", ColumnKind.BIGINT);
    known.put("amount", ColumnKind.BIGINT);
    known.put("flag", ColumnKind.BOOLEAN);
    var schema = d.schemaFor(parse(d, "{\"id\": 3, \"amount\": 1.5, \"flag\": \"yes\", \"new_col\": 4}"), known);
    assertThat(schema).containsExactly(Map.entry("id", ColumnKind.BIGINT), Map.entry("amount", ColumnKind.DOUBLE),
        Map.entry("flag", ColumnKind.VARCHAR), Map.entry("new_col", ColumnKind.BIGINT));
    assertThat(ColumnKind.widen(ColumnKind.INTEGER, ColumnKind.BIGINT)).isEqualTo(ColumnKind.BIGINT);
    assertThat(ColumnKind.widen(ColumnKind.BIGINT, ColumnKind.DOUBLE)).isEqualTo(ColumnKind.DOUBLE);
    assertThat(ColumnKind.widen(ColumnKind.DOUBLE, ColumnKind.BOOLEAN)).isEqualTo(ColumnKind.VARCHAR);
  }

  @Test
  void declaredSchemaConvertsOrRejectsValues() throws Exception {
    Decoder d = new Decoder(spec("schema: {id: integer, amount: double, at: timestamp, note: varchar}\n"));
    var schema = d.schemaFor(List.of(), Map.of());
    List<String> names = new ArrayList<>(schema.keySet());
    List<ColumnKind> kinds = new ArrayList<>(schema.values());
    Object[] row = new Object[4];
    d.toRow(d.parse("{\"id\": \"12\", \"amount\": 3, \"at\": \"2024-05-01T10:00:00Z\", \"note\": {\"a\":1}, \"ignored\": 1}"
        .getBytes(StandardCharsets.UTF_8)), names, kinds, row, 0);
    assertThat(row).containsExactly(12L, 3.0, LocalDateTime.of(2024, 5, 1, 10, 0), "{\"a\":1}");
    assertThatThrownBy(() -> d.toRow(d.parse("{\"id\": \"twelve\"}".getBytes(StandardCharsets.UTF_8)), names, kinds, row, 0))
        .isInstanceOf(ColumnKind.BadValue.class).hasMessageContaining("column id").hasMessageContaining("not a integer");
    assertThatThrownBy(() -> d.toRow(d.parse("{\"id\": 99999999999}".getBytes(StandardCharsets.UTF_8)), names, kinds, row, 0))
        .isInstanceOf(ColumnKind.BadValue.class);
    assertThatThrownBy(() -> d.parse("{\"id\": ".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(ColumnKind.BadValue.class).hasMessageContaining("invalid JSON");
    assertThatThrownBy(() -> d.parse("[1,2]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(ColumnKind.BadValue.class).hasMessageContaining("not a JSON object");
  }

  @Test
  void csvStringAndBytes() throws Exception {
    Decoder csv = new Decoder(spec("format: csv\nschema: {id: bigint, name: varchar}\n"));
    assertThat(Decoder.splitCsv("1,\"a, \"\"quoted\"\"\",x\n", ',')).containsExactly("1", "a, \"quoted\"", "x");
    Object[] row = new Object[2];
    csv.toRow(csv.parse("7,bob".getBytes(StandardCharsets.UTF_8)), List.of("id", "name"), List.of(ColumnKind.BIGINT, ColumnKind.VARCHAR), row, 0);
    assertThat(row).containsExactly(7L, "bob");
    Decoder inferred = new Decoder(spec("format: csv\n"));
    assertThat(inferred.schemaFor(parse(inferred, "1,2.5,x", "2,3,"), Map.of()))
        .containsExactly(Map.entry("column_1", ColumnKind.BIGINT), Map.entry("column_2", ColumnKind.DOUBLE), Map.entry("column_3", ColumnKind.VARCHAR));
    Decoder str = new Decoder(spec("format: string\n"));
    assertThat(str.schemaFor(List.of(), Map.of())).containsExactly(Map.entry("value", ColumnKind.VARCHAR));
    Decoder bytes = new Decoder(spec("format: bytes\n"));
    assertThat(bytes.schemaFor(List.of(), Map.of())).containsExactly(Map.entry("value", ColumnKind.BLOB));
  }
}
