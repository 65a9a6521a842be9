package dev.weir.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Avro values written by Avro's own writer, read back through a stream's spec and decoder. */
public class AvroDecodingTest {
  public static final String SCHEMA = """
      {"type": "record", "name": "Order", "namespace": "shop", "fields": [
        {"name": "id", "type": "long"},
        {"name": "qty", "type": "int"},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "customer", "type": ["null", "string"], "default": null},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["PLACED", "PAID"]}},
        {"name": "paid", "type": "boolean"},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "weight", "type": "float"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "raw", "type": "bytes"}
      ]}
      """;

  /** Encodes one record with Avro's writer; with the Confluent header when {@code framed}. */
  public static byte[] encode(Schema schema, GenericRecord r, boolean framed) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (framed) out.write(new byte[] {0, 0, 0, 0, 42});
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(schema).write(r, enc);
    enc.flush();
    return out.toByteArray();
  }

  public static GenericRecord order(Schema schema, long id, String customer) {
    GenericRecord r = new GenericData.Record(schema);
    r.put("id", id);
    r.put("qty", 3);
    r.put("price", ByteBuffer.wrap(new BigDecimal("12.34").unscaledValue().toByteArray()));
    r.put("customer", customer);
    r.put("status", new GenericData.EnumSymbol(schema.getField("status").schema(), "PAID"));
    r.put("paid", true);
    r.put("day", (int) LocalDate.of(2024, 2, 29).toEpochDay());
    r.put("at", 1_709_164_800_123_456L); // 2024-02-29 00:00:00.123456 UTC
    r.put("weight", 0.5f);
    r.put("tags", List.of("a", "b"));
    r.put("raw", ByteBuffer.wrap(new byte[] {1, 2, (byte) 0xff}));
    return r;
  }

  StreamSpec spec(Path dir, String extra) throws Exception {
    Files.createDirectories(dir.resolve("schemas"));
    Files.writeString(dir.resolve("schemas/order.avsc"), SCHEMA);
    return StreamSpecs.parse("name: s\nkafka: {bootstrap_servers: x:1}\ntopics: [t]\ntarget: raw.t\nformat: avro\n" + extra,
        "streams/s.yml", Map.of(), dir).get(0);
  }

  @Test
  void theSchemaFilesFieldsBecomeTypedColumnsAndValuesDecodeExactly(@TempDir Path dir) throws Exception {
    StreamSpec spec = spec(dir, "avro: {schema_file: schemas/order.avsc, framing: confluent}\n");
    Schema schema = spec.avro().schema();
    Decoder d = new Decoder(spec);
    var cols = d.schemaFor(List.of(), Map.of());
    assertThat(cols).containsExactly(Map.entry("id", ColumnKind.BIGINT), Map.entry("qty", ColumnKind.INTEGER),
        Map.entry("price", ColumnKind.DECIMAL), Map.entry("customer", ColumnKind.VARCHAR), Map.entry("status", ColumnKind.VARCHAR),
        Map.entry("paid", ColumnKind.BOOLEAN), Map.entry("day", ColumnKind.DATE), Map.entry("at", ColumnKind.TIMESTAMP),
        Map.entry("weight", ColumnKind.DOUBLE), Map.entry("tags", ColumnKind.VARCHAR), Map.entry("raw", ColumnKind.BLOB));
    assertThat(spec.columns().get("price").sqlType()).isEqualTo("decimal(10,2)");
    List<String> names = new ArrayList<>(cols.keySet());
    List<ColumnKind> kinds = new ArrayList<>(cols.values());
    for (String customer : new String[] {"ann", null}) {
      Object[] row = new Object[names.size()];
      d.toRow(d.parse(encode(schema, order(schema, 7, customer), true)), names, kinds, row, 0);
      assertThat(row[0]).isEqualTo(7L);
      assertThat(row[1]).isEqualTo(3L);
      assertThat(row[2]).isEqualTo(new BigDecimal("12.34"));
      assertThat(row[3]).isEqualTo(customer);
      assertThat(row[4]).isEqualTo("PAID");
      assertThat(row[5]).isEqualTo(true);
      assertThat(row[6]).isEqualTo(LocalDate.of(2024, 2, 29));
      assertThat(row[7]).isEqualTo(LocalDateTime.of(2024, 2, 29, 0, 0, 0, 123_456_000));
      assertThat(row[8]).isEqualTo(0.5);
      assertThat(row[9]).isEqualTo("[\"a\", \"b\"]");
      assertThat((byte[]) row[10]).containsExactly(1, 2, 0xff);
    }
  }

  @Test
  void badValuesAreRejectedWithTheReason(@TempDir Path dir) throws Exception {
    StreamSpec spec = spec(dir, "avro: {schema_file: schemas/order.avsc, framing: confluent}\n");
    Decoder d = new Decoder(spec);
    byte[] plain = encode(spec.avro().schema(), order(spec.avro().schema(), 1, "x"), false);
    assertThatThrownBy(() -> d.parse(plain)).isInstanceOf(ColumnKind.BadValue.class).hasMessageContaining("no Confluent header");
    byte[] cut = java.util.Arrays.copyOf(encode(spec.avro().schema(), order(spec.avro().schema(), 1, "x"), true), 12);
    assertThatThrownBy(() -> d.parse(cut)).isInstanceOf(ColumnKind.BadValue.class).hasMessageStartingWith("invalid Avro for schema schemas/order.avsc");
    byte[] longer = java.util.Arrays.copyOf(encode(spec.avro().schema(), order(spec.avro().schema(), 1, "x"), true), 200);
    assertThatThrownBy(() -> d.parse(longer)).isInstanceOf(ColumnKind.BadValue.class).hasMessageContaining("after the record");
    // plain framing reads values without the header
    Decoder p = new Decoder(spec(dir, "avro: {schema_file: schemas/order.avsc}\n"));
    assertThat(p.parse(plain).json().size).isEqualTo(11);
  }

  @Test
  void schemaFileMistakesNameTheStreamFileAndLine(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> spec(dir, "")).isInstanceOf(WeirException.class)
        .hasMessageContaining("format avro needs 'avro: {schema_file: schemas/<name>.avsc}'");
    assertThatThrownBy(() -> spec(dir, "avro: {schema_file: schemas/missing.avsc}\n")).isInstanceOf(WeirException.class)
        .hasMessageContaining("Cannot read the Avro schema file schemas/missing.avsc: no such file");
    Files.writeString(dir.resolve("schemas/bad.avsc"), "{\"type\": \"record\", \"name\": \"X\", \"fields\": [{\"name\": \"a\"}]}");
    WeirException e = (WeirException) org.assertj.core.api.Assertions.catchThrowable(() -> spec(dir, "avro: {schema_file: schemas/bad.avsc}\n"));
    assertThat(e.describe()).contains("streams/s.yml:6").contains("The Avro schema in schemas/bad.avsc is not valid");
    assertThatThrownBy(() -> spec(dir, "avro: {schema_file: schemas/order.avsc, framing: magic}\n")).isInstanceOf(WeirException.class)
        .hasMessageContaining("avro.framing must be none");
  }
}
