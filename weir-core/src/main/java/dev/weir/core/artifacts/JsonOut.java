package dev.weir.core.artifacts;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;

/** A JSON generator that masks every string it writes. Package-private plumbing for the writers. */
final class JsonOut {
  final JsonGenerator g;
  final SecretMasker masker;

  JsonOut(JsonGenerator g, SecretMasker masker) {
    this.g = g;
    this.masker = masker == null ? SecretMasker.none() : masker;
  }

  String mask(String s) { return s == null ? null : masker.mask(s); }

  void str(String field, String value) throws IOException {
    g.writeFieldName(field);
    if (value == null) g.writeNull(); else g.writeString(masker.mask(value));
  }

  /** A string field that must not be null in the schema: null is written as "". */
  void strNN(String field, String value) throws IOException {
    str(field, value == null ? "" : value);
  }

  void bool(String field, boolean value) throws IOException {
    g.writeBooleanField(field, value);
  }

  void nul(String field) throws IOException {
    g.writeNullField(field);
  }

  void num(String field, double value) throws IOException {
    g.writeFieldName(field);
    if (Double.isFinite(value)) g.writeNumber(value); else g.writeNumber(0.0);
  }

  void emptyObject(String field) throws IOException {
    g.writeFieldName(field);
    g.writeStartObject();
    g.writeEndObject();
  }

  void emptyArray(String field) throws IOException {
    g.writeFieldName(field);
    g.writeStartArray();
    g.writeEndArray();
  }

  void strings(String field, Collection<String> values) throws IOException {
    g.writeFieldName(field);
    g.writeStartArray();
    if (values != null) for (String v : values) {
      if (v == null) g.writeNull(); else g.writeString(masker.mask(v));
    }
    g.writeEndArray();
  }

  void stringMap(String field, Map<String, String> values) throws IOException {
    g.writeFieldName(field);
    g.writeStartObject();
    if (values != null) for (Map.Entry<String, String> e : values.entrySet()) {
      g.writeFieldName(masker.mask(e.getKey()));
      g.writeString(e.getValue() == null ? "" : masker.mask(e.getValue()));
    }
    g.writeEndObject();
  }

  /** A user-supplied map (meta, config): an object, whatever the value; non-maps become {}. */
  void object(String field, Object map) throws IOException {
    g.writeFieldName(field);
    if (map instanceof Map<?, ?> m) value(m); else { g.writeStartObject(); g.writeEndObject(); }
  }

  /** Writes any value loaded from YAML/Jinja: maps, lists, arrays, numbers, booleans, strings. */
  void value(Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof String s) {
      g.writeString(masker.mask(s));
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      g.writeNumber(((Number) v).longValue());
    } else if (v instanceof Double d) {
      if (Double.isFinite(d)) g.writeNumber(d); else g.writeString(d.toString());
    } else if (v instanceof Float f) {
      if (Float.isFinite(f)) g.writeNumber(f); else g.writeString(f.toString());
    } else if (v instanceof BigDecimal bd) {
      g.writeNumber(bd);
    } else if (v instanceof BigInteger bi) {
      g.writeNumber(bi);
    } else if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        g.writeFieldName(masker.mask(String.valueOf(e.getKey())));
        value(e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof Iterable<?> it) {
      g.writeStartArray();
      for (Object o : it) value(o);
      g.writeEndArray();
    } else if (v instanceof Object[] arr) {
      g.writeStartArray();
      for (Object o : arr) value(o);
      g.writeEndArray();
    } else if (v instanceof Number n) {
      g.writeNumber(n.toString());
    } else if (v instanceof Enum<?> e) {
      g.writeString(masker.mask(e.name().toLowerCase(java.util.Locale.ROOT)));
    } else {
      g.writeString(masker.mask(v.toString()));
    }
  }

  void field(String field, Object v) throws IOException {
    g.writeFieldName(field);
    value(v);
  }
}
