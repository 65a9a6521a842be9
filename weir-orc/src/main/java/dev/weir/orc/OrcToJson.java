package dev.weir.orc;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hive.ql.exec.vector.BytesColumnVector;
import org.apache.hadoop.hive.ql.exec.vector.ColumnVector;
import org.apache.hadoop.hive.ql.exec.vector.DecimalColumnVector;
import org.apache.hadoop.hive.ql.exec.vector.Decimal64ColumnVector;
import org.apache.hadoop.hive.ql.exec.vector.DoubleColumnVector;
import org.apache.hadoop.hive.ql.exec.vector.ListColumnVector;
import org.apache.hadoop.hive.ql.exec.vector.LongColumnVector;
import org.apache.hadoop.hive.ql.exec.vector.MapColumnVector;
import org.apache.hadoop.hive.ql.exec.vector.StructColumnVector;
import org.apache.hadoop.hive.ql.exec.vector.TimestampColumnVector;
import org.apache.hadoop.hive.ql.exec.vector.UnionColumnVector;
import org.apache.hadoop.hive.ql.exec.vector.VectorizedRowBatch;
import org.apache.orc.OrcFile;
import org.apache.orc.Reader;
import org.apache.orc.RecordReader;
import org.apache.orc.TypeDescription;
import dev.weir.ingest.OrcReader;

/**
 * Weir's ORC reader for file ingestion ({@link OrcReader}): each ORC file is read with Apache ORC's
 * Java reader (on the local file system; Hadoop's shaded client libraries come along, which is why
 * this is a module of its own, loaded only when a project ingests ORC) and rewritten as
 * newline-delimited JSON, which DuckDB then reads with the column types the ORC schema declares.
 */
public final class OrcToJson implements OrcReader {
  private static final JsonFactory JSON = JsonFactory.builder().build();

  @Override
  public Converted convert(Path orc, Path json) throws IOException {
    // Hadoop finds classes by name through the context class loader: this module's own loader (lib-orc) holds them.
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    t.setContextClassLoader(OrcToJson.class.getClassLoader());
    try {
      return read(orc, json);
    } finally {
      t.setContextClassLoader(before);
    }
  }

  private Converted read(Path orc, Path json) throws IOException {
    Configuration conf = new Configuration(false);
    conf.setClassLoader(OrcToJson.class.getClassLoader());
    conf.set("fs.file.impl", org.apache.hadoop.fs.LocalFileSystem.class.getName());
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(orc.toAbsolutePath().toUri());
    long rows = 0;
    try (Reader reader = OrcFile.createReader(path, OrcFile.readerOptions(conf).useUTCTimestamp(true))) {
      TypeDescription schema = reader.getSchema();
      if (schema.getCategory() != TypeDescription.Category.STRUCT) {
        throw new IOException("the file's schema is " + schema + ", not a struct of columns");
      }
      List<String> names = schema.getFieldNames();
      List<TypeDescription> children = schema.getChildren();
      LinkedHashMap<String, String> types = new LinkedHashMap<>();
      for (int i = 0; i < names.size(); i++) types.put(names.get(i), duckType(children.get(i)));
      Files.createDirectories(json.getParent());
      try (RecordReader rr = reader.rows(); OutputStream os = Files.newOutputStream(json);
           JsonGenerator g = JSON.createGenerator(os, JsonEncoding.UTF8)) {
        g.setRootValueSeparator(null);
        VectorizedRowBatch batch = schema.createRowBatch(4096);
        while (rr.nextBatch(batch)) {
          for (int r = 0; r < batch.size; r++) {
            g.writeStartObject();
            for (int c = 0; c < names.size(); c++) {
              g.writeFieldName(names.get(c));
              value(g, batch.cols[c], children.get(c), r);
            }
            g.writeEndObject();
            g.writeRaw('\n');
          }
          rows += batch.size;
        }
      }
      return new Converted(json, types, rows);
    }
  }

  /** The DuckDB type of an ORC type. */
  static String duckType(TypeDescription t) {
    return switch (t.getCategory()) {
      case BOOLEAN -> "BOOLEAN";
      case BYTE -> "TINYINT";
      case SHORT -> "SMALLINT";
      case INT -> "INTEGER";
      case LONG -> "BIGINT";
      case FLOAT -> "FLOAT";
      case DOUBLE -> "DOUBLE";
      case STRING, VARCHAR, CHAR -> "VARCHAR";
      case BINARY -> "BLOB";
      case DATE -> "DATE";
      case TIMESTAMP -> "TIMESTAMP";
      case TIMESTAMP_INSTANT -> "TIMESTAMPTZ";
      case DECIMAL -> t.getPrecision() <= 38 ? "DECIMAL(" + t.getPrecision() + "," + t.getScale() + ")" : "DOUBLE";
      case LIST -> duckType(t.getChildren().get(0)) + "[]";
      case MAP -> "MAP(" + duckType(t.getChildren().get(0)) + ", " + duckType(t.getChildren().get(1)) + ")";
      case STRUCT -> {
        StringBuilder sb = new StringBuilder("STRUCT(");
        for (int i = 0; i < t.getFieldNames().size(); i++) {
          if (i > 0) sb.append(", ");
          sb.append('"').append(t.getFieldNames().get(i).replace("\"", "\"\"")).append("\" ").append(duckType(t.getChildren().get(i)));
        }
        yield sb.append(')').toString();
      }
      case UNION -> "JSON";
    };
  }

  /** Writes row {@code r} of {@code v} (of type {@code t}) as a JSON value DuckDB reads back as {@link #duckType}. */
  private static void value(JsonGenerator g, ColumnVector v, TypeDescription t, int r) throws IOException {
    int i = v.isRepeating ? 0 : r;
    if (!v.noNulls && v.isNull[i]) {
      g.writeNull();
      return;
    }
    switch (t.getCategory()) {
      case BOOLEAN -> g.writeBoolean(((LongColumnVector) v).vector[i] != 0);
      case BYTE, SHORT, INT, LONG -> g.writeNumber(((LongColumnVector) v).vector[i]);
      case FLOAT, DOUBLE -> {
        double d = ((DoubleColumnVector) v).vector[i];
        if (Double.isNaN(d) || Double.isInfinite(d)) g.writeString(Double.toString(d).replace("Infinity", "inf"));
        else if (t.getCategory() == TypeDescription.Category.FLOAT) g.writeNumber(Float.toString((float) d));
        else g.writeNumber(d);
      }
      case STRING, VARCHAR, CHAR -> {
        BytesColumnVector b = (BytesColumnVector) v;
        g.writeString(new String(b.vector[i], b.start[i], b.length[i], java.nio.charset.StandardCharsets.UTF_8));
      }
      case BINARY -> {
        BytesColumnVector b = (BytesColumnVector) v;
        StringBuilder sb = new StringBuilder(b.length[i] * 4);
        for (int k = 0; k < b.length[i]; k++) sb.append(String.format("\\x%02X", b.vector[i][b.start[i] + k] & 0xff));
        g.writeString(sb.toString());
      }
      case DATE -> g.writeString(LocalDate.ofEpochDay(((LongColumnVector) v).vector[i]).toString());
      case TIMESTAMP, TIMESTAMP_INSTANT -> {
        TimestampColumnVector ts = (TimestampColumnVector) v;
        Instant at = Instant.ofEpochSecond(Math.floorDiv(ts.time[i], 1000L), ts.nanos[i]);
        String text = LocalDateTime.ofInstant(at, ZoneOffset.UTC).toString().replace('T', ' ');
        g.writeString(t.getCategory() == TypeDescription.Category.TIMESTAMP_INSTANT ? text + "+00" : text);
      }
      case DECIMAL -> {
        BigDecimal d = v instanceof Decimal64ColumnVector d64 ? BigDecimal.valueOf(d64.vector[i], d64.scale)
            : ((DecimalColumnVector) v).vector[i].getHiveDecimal().bigDecimalValue().setScale(t.getScale());
        g.writeNumber(d);
      }
      case LIST -> {
        ListColumnVector l = (ListColumnVector) v;
        g.writeStartArray();
        for (long k = l.offsets[i]; k < l.offsets[i] + l.lengths[i]; k++) value(g, l.child, t.getChildren().get(0), (int) k);
        g.writeEndArray();
      }
      case MAP -> {
        MapColumnVector m = (MapColumnVector) v;
        g.writeStartObject();
        for (long k = m.offsets[i]; k < m.offsets[i] + m.lengths[i]; k++) {
          java.io.StringWriter key = new java.io.StringWriter();
          try (JsonGenerator kg = JSON.createGenerator(key)) {
            value(kg, m.keys, t.getChildren().get(0), (int) k);
          }
          String ks = key.toString();
          g.writeFieldName(ks.startsWith("\"") ? ks.substring(1, ks.length() - 1) : ks);
          value(g, m.values, t.getChildren().get(1), (int) k);
        }
        g.writeEndObject();
      }
      case STRUCT -> {
        StructColumnVector s = (StructColumnVector) v;
        g.writeStartObject();
        for (int k = 0; k < t.getFieldNames().size(); k++) {
          g.writeFieldName(t.getFieldNames().get(k));
          value(g, s.fields[k], t.getChildren().get(k), i);
        }
        g.writeEndObject();
      }
      case UNION -> {
        UnionColumnVector u = (UnionColumnVector) v;
        value(g, u.fields[u.tags[i]], t.getChildren().get(u.tags[i]), i);
      }
    }
  }
}
