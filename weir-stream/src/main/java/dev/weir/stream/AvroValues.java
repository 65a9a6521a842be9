package dev.weir.stream;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Avro record values as the rows of a stream: the columns a record schema gives (one per field) and the decoding of
 * binary values into the raw values {@link Decoder.Fields} carries, so that declared-schema conversion, dead letters and
 * everything after decoding work as for JSON. One instance per decoder (not thread-safe: it reuses Avro's reader).
 */
final class AvroValues {
  private final StreamSpec.Avro avro;
  private final GenericDatumReader<GenericRecord> reader;
  private final String[] names;
  private final Schema[] fieldSchemas;
  private BinaryDecoder decoder;
  private GenericRecord reuse;

  AvroValues(StreamSpec.Avro avro) {
    this.avro = avro;
    this.reader = new GenericDatumReader<>(avro.schema());
    List<Schema.Field> fields = avro.schema().getFields();
    names = new String[fields.size()];
    fieldSchemas = new Schema[fields.size()];
    for (int i = 0; i < fields.size(); i++) {
      names[i] = fields.get(i).name().intern();
      fieldSchemas[i] = fields.get(i).schema();
    }
  }

  /** Decodes one value; a value that is not a record of the schema (or lacks the framing) is a bad value with the reason. */
  Decoder.Fields decode(byte[] value) throws ColumnKind.BadValue {
    int off = 0;
    if (avro.confluentFraming()) {
      if (value.length < 5 || value[0] != 0) {
        throw new ColumnKind.BadValue("invalid Avro: no Confluent header (magic byte 0 and a 4-byte schema id)");
      }
      off = 5;
    }
    try {
      decoder = DecoderFactory.get().binaryDecoder(value, off, value.length - off, decoder);
      reuse = reader.read(reuse, decoder);
      if (!decoder.isEnd()) throw new ColumnKind.BadValue("invalid Avro: " + remaining(value.length - off) + " after the record");
    } catch (IOException | RuntimeException e) {
      throw new ColumnKind.BadValue("invalid Avro for schema " + avro.schemaFile() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }
    Object[] values = new Object[names.length];
    for (int i = 0; i < names.length; i++) values[i] = raw(reuse.get(i), fieldSchemas[i]);
    return new Decoder.Fields(names.clone(), values, names.length);
  }

  private String remaining(int len) {
    try {
      int left = 0;
      while (!decoder.isEnd()) {
        decoder.skipFixed(1);
        left++;
      }
      return left + " more byte" + (left == 1 ? "" : "s") + " of " + len;
    } catch (IOException e) {
      return "more bytes";
    }
  }

  /** A decoded Avro value as a raw value of {@link Decoder.Fields}: Long, Double, Boolean, String, byte[] or null. */
  static Object raw(Object v, Schema s) {
    if (v == null) return null;
    if (s.getType() == Schema.Type.UNION) s = s.getTypes().get(GenericData.get().resolveUnion(s, v));
    LogicalType lt = s.getLogicalType();
    return switch (s.getType()) {
      case INT -> lt instanceof LogicalTypes.Date ? LocalDate.ofEpochDay((Integer) v).toString()
          : lt instanceof LogicalTypes.TimeMillis ? java.time.LocalTime.ofNanoOfDay((Integer) v * 1_000_000L).toString()
          : (Object) ((Integer) v).longValue();
      case LONG -> {
        long l = (Long) v;
        if (lt instanceof LogicalTypes.TimestampMillis || lt instanceof LogicalTypes.LocalTimestampMillis) yield timestamp(l / 1000, (l % 1000) * 1_000_000);
        if (lt instanceof LogicalTypes.TimestampMicros || lt instanceof LogicalTypes.LocalTimestampMicros) yield timestamp(Math.floorDiv(l, 1_000_000), Math.floorMod(l, 1_000_000) * 1000);
        if (lt instanceof LogicalTypes.TimestampNanos || lt instanceof LogicalTypes.LocalTimestampNanos) yield timestamp(Math.floorDiv(l, 1_000_000_000), Math.floorMod(l, 1_000_000_000));
        if (lt instanceof LogicalTypes.TimeMicros) yield java.time.LocalTime.ofNanoOfDay(l * 1000).toString();
        yield l;
      }
      case FLOAT -> ((Float) v).doubleValue();
      case DOUBLE -> v;
      case BOOLEAN -> v;
      case STRING, ENUM -> v.toString();
      case BYTES -> {
        ByteBuffer b = ((ByteBuffer) v).duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        yield lt instanceof LogicalTypes.Decimal d ? new BigDecimal(new BigInteger(bytes), d.getScale()).toPlainString() : bytes;
      }
      case FIXED -> {
        byte[] bytes = ((GenericFixed) v).bytes().clone();
        yield lt instanceof LogicalTypes.Decimal d ? new BigDecimal(new BigInteger(bytes), d.getScale()).toPlainString() : bytes;
      }
      default -> GenericData.get().toString(v); // records, arrays and maps as JSON text
    };
  }

  private static String timestamp(long seconds, long nanos) {
    return LocalDateTime.ofInstant(Instant.ofEpochSecond(seconds, nanos), ZoneOffset.UTC).toString().replace('T', ' ');
  }

  /** The columns of a record schema: each field with the kind its (non-null) type maps to. */
  static Map<String, ColumnKind.Declared> columns(Schema record) {
    Map<String, ColumnKind.Declared> out = new LinkedHashMap<>();
    for (Schema.Field f : record.getFields()) out.put(f.name(), declared(f.schema()));
    return out;
  }

  private static ColumnKind.Declared declared(Schema s) {
    if (s.getType() == Schema.Type.UNION) {
      List<Schema> nonNull = s.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).toList();
      if (nonNull.size() != 1) return new ColumnKind.Declared(ColumnKind.VARCHAR, null);
      s = nonNull.get(0);
    }
    LogicalType lt = s.getLogicalType();
    if (lt instanceof LogicalTypes.Decimal d) {
      return new ColumnKind.Declared(ColumnKind.DECIMAL, "decimal(" + Math.min(38, d.getPrecision()) + "," + d.getScale() + ")");
    }
    if (lt instanceof LogicalTypes.Date) return new ColumnKind.Declared(ColumnKind.DATE, null);
    if (lt instanceof LogicalTypes.TimestampMillis || lt instanceof LogicalTypes.TimestampMicros || lt instanceof LogicalTypes.TimestampNanos
        || lt instanceof LogicalTypes.LocalTimestampMillis || lt instanceof LogicalTypes.LocalTimestampMicros
        || lt instanceof LogicalTypes.LocalTimestampNanos) {
      return new ColumnKind.Declared(ColumnKind.TIMESTAMP, null);
    }
    ColumnKind k = switch (s.getType()) {
      case INT -> lt instanceof LogicalTypes.TimeMillis ? ColumnKind.VARCHAR : ColumnKind.INTEGER;
      case LONG -> lt instanceof LogicalTypes.TimeMicros ? ColumnKind.VARCHAR : ColumnKind.BIGINT;
      case FLOAT, DOUBLE -> ColumnKind.DOUBLE;
      case BOOLEAN -> ColumnKind.BOOLEAN;
      case BYTES, FIXED -> ColumnKind.BLOB;
      default -> ColumnKind.VARCHAR; // string, enum, records, arrays, maps (as JSON text)
    };
    return new ColumnKind.Declared(k, null);
  }
}
