package dev.weir.stream;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The fast path of JSON streams into DuckDB: copies a flat JSON object's values straight into the
 * batch file's CSV row, without parsing them into Java values. It takes only what it can copy
 * with exactly the result of the general path ({@link Decoder#parse}, {@link Decoder#fits},
 * {@link Decoder#toRow}, {@link BatchFile#row}): strings into varchar columns, integer literals into
 * bigint columns, plain numbers into double columns, true/false into boolean columns, nulls; field
 * names equal to a column's. Anything else — a field that is no column yet, a value needing a
 * conversion or a wider type, a nested value, a {@code \\u} escape, bytes that are not valid UTF-8,
 * a repeated field, malformed JSON, a null upsert key — returns false with nothing written, and the
 * record takes the general path (which widens the schema or writes the dead letter as before).
 *
 * <p>One instance per schema of a batch; not thread-safe.
 */
final class JsonRowTranscoder {
  private static final byte ABSENT = 0;
  private static final byte STRING = 1;
  private static final byte STRING_ESCAPED = 2;
  private static final byte NUMBER = 3;
  private static final byte TRUE = 4;
  private static final byte FALSE = 5;
  private static final byte NULL = 6;
  /** Jackson's default read limits (StreamReadConstraints): a record past one is the general path's to refuse. */
  private static final int MAX_NUMBER = 1000;
  private static final int MAX_STRING = 20_000_000;
  private static final int MAX_NAME = 50_000;

  private final byte[][] names;
  private final ColumnKind[] kinds;
  /** Declared schema: fields that are no column are ignored (the general path ignores them too) and integer/decimal columns take numbers. */
  private final boolean declared;
  private final boolean[] key;
  private final int[] start;
  private final int[] end;
  private final byte[] type;

  /**
   * @param names    the data columns, in order (after {@link StreamState#META})
   * @param kinds    their kinds
   * @param declared whether the schema is declared (else inferred: only values that fit it as they are)
   * @param keys     indexes into {@code names} of upsert key columns (nulls go the general path), or null
   */
  JsonRowTranscoder(List<String> names, List<ColumnKind> kinds, boolean declared, int[] keys) {
    int n = names.size();
    this.names = new byte[n][];
    for (int i = 0; i < n; i++) this.names[i] = names.get(i).getBytes(StandardCharsets.UTF_8);
    this.kinds = kinds.toArray(new ColumnKind[0]);
    this.declared = declared;
    this.key = new boolean[n];
    if (keys != null) for (int k : keys) key[k] = true;
    this.start = new int[n];
    this.end = new int[n];
    this.type = new byte[n];
  }

  /** Whether any column can take the fast path at all (else trying costs for nothing). */
  boolean useful() {
    for (ColumnKind k : kinds) {
      if (k == ColumnKind.VARCHAR || k == ColumnKind.BIGINT || k == ColumnKind.DOUBLE || k == ColumnKind.BOOLEAN) return true;
      if (declared && (k == ColumnKind.INTEGER || k == ColumnKind.DECIMAL)) return true;
    }
    return false;
  }

  /** Appends the record's row to {@code file}: its position, then the JSON's values; false (nothing appended) when it cannot. */
  boolean row(BatchFile file, String topic, int partition, long offset, byte[] recordKey, long timestamp, byte[] json) {
    if (!scan(json)) return false;
    return file.jsonRow(topic, partition, offset, recordKey, timestamp, json, start, end, type, kinds);
  }

  private boolean scan(byte[] b) {
    java.util.Arrays.fill(type, ABSENT);
    int n = b.length;
    int p = ws(b, 0);
    if (p >= n || b[p] != '{') return false;
    p = ws(b, p + 1);
    if (p < n && b[p] == '}') return trailing(b, p + 1) && keysPresent();
    int field = 0;
    while (true) {
      if (p >= n || b[p] != '"') return false;
      int ns = ++p;
      while (p < n) {
        byte c = b[p];
        if (c == '"') break;
        if (c == '\\' || c < 0x20) return false; // escaped or non-ASCII names, control characters: the general path
        p++;
      }
      if (p >= n || p - ns > MAX_NAME) return false;
      int col = column(b, ns, p, field++);
      p = ws(b, p + 1);
      if (p >= n || b[p] != ':') return false;
      p = ws(b, p + 1);
      if (p >= n) return false;
      if (col < 0) {
        if (!declared) return false; // a new field: the schema widens on the general path
      } else if (type[col] != ABSENT) {
        return false; // a repeated field (the last one wins there)
      }
      int vs = p;
      byte t;
      byte c = b[p];
      if (c == '"') {
        t = STRING;
        p++;
        while (true) {
          if (p >= n) return false;
          c = b[p];
          if (c == '"') break;
          if (c == '\\') {
            if (p + 1 >= n) return false;
            byte e = b[p + 1];
            if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') return false;
            t = STRING_ESCAPED;
            p += 2;
          } else if (c >= 0x20) {
            p++;
          } else if (c >= 0) {
            return false; // a raw control character
          } else {
            int len = utf8(b, p, n);
            if (len == 0) return false;
            p += len;
          }
        }
        vs++;
        if (p - vs > MAX_STRING) return false;
        if (col >= 0) {
          start[col] = vs;
          end[col] = p;
        }
        p++;
        if (col >= 0 && kinds[col] != ColumnKind.VARCHAR) return false;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        p = number(b, p, n, col);
        if (p < 0) return false;
        t = NUMBER;
        if (col >= 0) {
          start[col] = vs;
          end[col] = p;
        }
      } else if (literal(b, p, n, "true")) {
        t = TRUE;
        p += 4;
        if (col >= 0 && kinds[col] != ColumnKind.BOOLEAN) return false;
      } else if (literal(b, p, n, "false")) {
        t = FALSE;
        p += 5;
        if (col >= 0 && kinds[col] != ColumnKind.BOOLEAN) return false;
      } else if (literal(b, p, n, "null")) {
        t = NULL;
        p += 4;
        if (col >= 0 && key[col]) return false;
      } else {
        return false; // nested objects and arrays, or not JSON
      }
      if (col >= 0) type[col] = t;
      p = ws(b, p);
      if (p >= n) return false;
      if (b[p] == ',') {
        p = ws(b, p + 1);
        continue;
      }
      if (b[p] != '}') return false;
      return trailing(b, p + 1) && keysPresent();
    }
  }

  /**
   * Scans a JSON number at {@code p} for column {@code col} (-1: ignored field); returns its end, or -1 when it is
   * malformed or the column cannot take its text as it is.
   */
  private int number(byte[] b, int p, int n, int col) {
    int s = p;
    boolean neg = b[p] == '-';
    if (neg) p++;
    if (p >= n) return -1;
    int intStart = p;
    if (b[p] == '0') {
      p++;
    } else if (b[p] >= '1' && b[p] <= '9') {
      while (p < n && b[p] >= '0' && b[p] <= '9') p++;
    } else {
      return -1;
    }
    int intDigits = p - intStart;
    boolean frac = false;
    int fracDigits = 0;
    if (p < n && b[p] == '.') {
      frac = true;
      p++;
      int fs = p;
      while (p < n && b[p] >= '0' && b[p] <= '9') p++;
      fracDigits = p - fs;
      if (fracDigits == 0) return -1;
    }
    if (p < n && (b[p] == 'e' || b[p] == 'E')) return -1; // exponents (and infinities) take the general path
    if (p - s > MAX_NUMBER) return -1;
    if (col < 0) return p;
    // "-0": the general path reads the integer 0 (a double column then gets 0.0, not -0.0)
    if (!frac && neg && intDigits == 1 && b[intStart] == '0') return -1;
    switch (kinds[col]) {
      case BIGINT -> { return !frac && intDigits <= 18 ? p : -1; }
      case INTEGER -> { return declared && !frac && intDigits <= 9 ? p : -1; }
      case DOUBLE -> { return p; }
      case DECIMAL -> {
        // the general path goes through a double: text of at most 15 significant digits comes back the same
        return declared && significant(b, intStart, p) <= 15 ? p : -1;
      }
      default -> { return -1; }
    }
  }

  private static int significant(byte[] b, int from, int to) {
    int count = 0;
    boolean leading = true;
    for (int i = from; i < to; i++) {
      byte c = b[i];
      if (c == '.') continue;
      if (leading && c == '0') continue;
      leading = false;
      count++;
    }
    return count;
  }

  /** The column named by bytes {@code [s, e)}, looking first at column {@code hint}; -1 when none. */
  private int column(byte[] b, int s, int e, int hint) {
    int len = e - s;
    int n = names.length;
    for (int k = 0; k < n; k++) {
      int i = hint + k < n ? hint + k : (hint + k) % n;
      byte[] name = names[i];
      if (name.length != len) continue;
      boolean eq = true;
      for (int j = 0; j < len; j++) {
        if (name[j] != b[s + j]) {
          eq = false;
          break;
        }
      }
      if (eq) return i;
    }
    return -1;
  }

  private boolean keysPresent() {
    for (int i = 0; i < key.length; i++) if (key[i] && (type[i] == ABSENT || type[i] == NULL)) return false;
    return true;
  }

  private static boolean trailing(byte[] b, int p) {
    return ws(b, p) == b.length;
  }

  private static int ws(byte[] b, int p) {
    while (p < b.length) {
      byte c = b[p];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
      p++;
    }
    return p;
  }

  private static boolean literal(byte[] b, int p, int n, String word) {
    if (p + word.length() > n) return false;
    for (int i = 0; i < word.length(); i++) if (b[p + i] != word.charAt(i)) return false;
    return true;
  }

  /** The length of the well-formed UTF-8 sequence at {@code p} (lead byte not ASCII), or 0 when it is not one. */
  static int utf8(byte[] b, int p, int n) {
    int c = b[p] & 0xFF;
    int len;
    int lo = 0x80;
    int hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F; // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return 0;
    }
    if (p + len > n) return 0;
    int second = b[p + 1] & 0xFF;
    if (second < lo || second > hi) return 0;
    for (int i = 2; i < len; i++) {
      int cont = b[p + i] & 0xFF;
      if (cont < 0x80 || cont > 0xBF) return 0;
    }
    return len;
  }

  /** Type codes for {@link BatchFile#jsonRow}. */
  static boolean isString(byte t) { return t == STRING || t == STRING_ESCAPED; }

  static boolean isEscaped(byte t) { return t == STRING_ESCAPED; }

  static boolean isNumber(byte t) { return t == NUMBER; }

  static boolean isTrue(byte t) { return t == TRUE; }

  static boolean isFalse(byte t) { return t == FALSE; }
}
