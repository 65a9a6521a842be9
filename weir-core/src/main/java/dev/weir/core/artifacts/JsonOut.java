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

  /**
   * Field names as pre-encoded strings, cached (bounded: map keys from projects are names too). Jackson copies their
   * bytes instead of encoding each name again: a 10,000-model manifest writes ~1,000,000 names.
   */
  private static final Map<String, com.fasterxml.jackson.core.io.SerializedString> NAMES = new java.util.concurrent.ConcurrentHashMap<>();
  private static final int NAMES_MAX = 4096;

  void fieldName(String name) throws IOException {
    com.fasterxml.jackson.core.io.SerializedString s = NAMES.get(name);
    if (s == null) {
      if (name.length() > 64 || NAMES.size() >= NAMES_MAX) {
        g.writeFieldName(name);
        return;
      }
      s = new com.fasterxml.jackson.core.io.SerializedString(name);
      NAMES.putIfAbsent(name, s);
    }
    g.writeFieldName(s);
  }

  private char[] chars = new char[1024];

  /**
   * A string value, handed to Jackson as characters: its loop over a char array runs several times faster than its
   * loop over {@code String.charAt} before the JIT has optimized it, which is most of a one-shot command's life.
   */
  void string(String s) throws IOException {
    int n = s.length();
    if (n > (1 << 20)) {
      g.writeString(s);
      return;
    }
    if (chars.length < n) chars = new char[Math.max(n, chars.length * 2)];
    s.getChars(0, n, chars, 0);
    g.writeString(chars, 0, n);
  }

  void str(String field, String value) throws IOException {
    fieldName(field);
    if (value == null) g.writeNull(); else string(masker.mask(value));
  }

  /** A string field that must not be null in the schema: null is written as "". */
  void strNN(String field, String value) throws IOException {
    str(field, value == null ? "" : value);
  }

  void bool(String field, boolean value) throws IOException {
    fieldName(field);
    g.writeBoolean(value);
  }

  void nul(String field) throws IOException {
    fieldName(field);
    g.writeNull();
  }

  void num(String field, double value) throws IOException {
    fieldName(field);
    if (Double.isFinite(value)) g.writeNumber(value); else g.writeNumber(0.0);
  }

  void emptyObject(String field) throws IOException {
    fieldName(field);
    g.writeStartObject();
    g.writeEndObject();
  }

  void emptyArray(String field) throws IOException {
    fieldName(field);
    g.writeStartArray();
    g.writeEndArray();
  }

  void strings(String field, Collection<String> values) throws IOException {
    fieldName(field);
    g.writeStartArray();
    if (values != null) for (String v : values) {
      if (v == null) g.writeNull(); else string(masker.mask(v));
    }
    g.writeEndArray();
  }

  void stringMap(String field, Map<String, String> values) throws IOException {
    fieldName(field);
    g.writeStartObject();
    if (values != null) for (Map.Entry<String, String> e : values.entrySet()) {
      fieldName(masker.mask(e.getKey()));
      string(e.getValue() == null ? "" : masker.mask(e.getValue()));
    }
    g.writeEndObject();
  }

  /** A user-supplied map (meta, config): an object, whatever the value; non-maps become {}. */
  void object(String field, Object map) throws IOException {
    fieldName(field);
    if (map instanceof Map<?, ?> m) value(m); else { g.writeStartObject(); g.writeEndObject(); }
  }

  /** Writes any value loaded from YAML/Jinja: maps, lists, arrays, numbers, booleans, strings. */
  void value(Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof String s) {
      string(masker.mask(s));
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
        fieldName(masker.mask(String.valueOf(e.getKey())));
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
      string(masker.mask(v.toString()));
    }
  }

  void field(String field, Object v) throws IOException {
    fieldName(field);
    value(v);
  }
}
