package dev.weir.stream;

import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

/**
 * A micro-batch as a CSV file that DuckDB loads in one statement ({@code insert ... select from
 * read_csv(...)} inside the batch's transaction) instead of value by value through the appender.
 * Text values are always quoted and NULL is the unquoted empty field ({@code allow_quoted_nulls=false}),
 * so an empty string and NULL stay apart. Rows holding values the file cannot carry faithfully (bytes,
 * NUL characters, unusual Java types) make {@link #write} return false: the caller then uses the
 * engine's bulk load. One file per writer slot, overwritten by each batch, deleted on {@link #close}.
 */
final class BatchFile implements AutoCloseable {
  private final Path path;
  private byte[] buf = new byte[1 << 20];
  private int len;
  private int rows;

  BatchFile(String prefix) {
    try {
      path = Files.createTempFile(prefix, ".csv");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path path() { return path; }

  /** Whether DuckDB can read columns of these types from the file. */
  static boolean supports(List<ColumnInfo> columns) {
    for (ColumnInfo c : columns) {
      ColumnKind.Declared k = ColumnKind.parseDeclared(c.dataType());
      if (k == null || k.kind() == ColumnKind.BLOB) return false;
    }
    return true;
  }

  /** Starts a new batch (the file's old content is dropped at {@link #finish}). */
  void begin() {
    len = 0;
    rows = 0;
  }

  /** The position of {@code _kafka_timestamp}, which the file holds as epoch milliseconds (cheaper to write and to read). */
  static final int TIMESTAMP_COLUMN = StreamState.META.indexOf("_kafka_timestamp");

  /**
   * Appends one row (values as {@link ColumnKind} converts them; the record's timestamp given apart, in
   * epoch milliseconds); false, with nothing appended, when it cannot be written.
   */
  boolean row(Object[] row, int columns, long kafkaTimestamp) {
    int start = len;
    for (int c = 0; c < columns; c++) {
      if (c > 0) put((byte) ',');
      if (c == TIMESTAMP_COLUMN) {
        putLong(kafkaTimestamp);
        continue;
      }
      if (!value(row[c])) {
        len = start;
        return false;
      }
    }
    put((byte) '\n');
    rows++;
    return true;
  }

  /**
   * Appends one row from a JSON record checked by {@link JsonRowTranscoder}: the record's position, then each column's
   * value copied from {@code json[start[i], end[i])} as its type code says. False, with nothing appended, when the
   * record key cannot be written.
   */
  boolean jsonRow(String topic, int partition, long offset, byte[] key, long timestamp, byte[] json, int[] start, int[] end,
                  byte[] type, ColumnKind[] kinds) {
    int mark = len;
    if (!string(topic)) {
      len = mark;
      return false;
    }
    put((byte) ',');
    putLong(partition);
    put((byte) ',');
    putLong(offset);
    put((byte) ',');
    if (key != null && !keyBytes(key)) {
      len = mark;
      return false;
    }
    put((byte) ',');
    putLong(timestamp);
    for (int i = 0; i < type.length; i++) {
      put((byte) ',');
      byte t = type[i];
      if (JsonRowTranscoder.isString(t)) {
        int s = start[i];
        int e = end[i];
        ensure(e - s + 2);
        buf[len++] = '"';
        if (!JsonRowTranscoder.isEscaped(t)) {
          System.arraycopy(json, s, buf, len, e - s);
          len += e - s;
        } else {
          for (int j = s; j < e; j++) {
            byte c = json[j];
            if (c != '\\') {
              buf[len++] = c;
              continue;
            }
            byte x = json[++j];
            switch (x) {
              case '"' -> {
                ensure(e - j + 2);
                buf[len++] = '"';
                buf[len++] = '"';
              }
              case 'b' -> buf[len++] = '\b';
              case 'f' -> buf[len++] = '\f';
              case 'n' -> buf[len++] = '\n';
              case 'r' -> buf[len++] = '\r';
              case 't' -> buf[len++] = '\t';
              default -> buf[len++] = x; // \\ and \/
            }
          }
        }
        put((byte) '"');
      } else if (JsonRowTranscoder.isNumber(t)) {
        int s = start[i];
        int e = end[i];
        ensure(e - s);
        System.arraycopy(json, s, buf, len, e - s);
        len += e - s;
      } else if (JsonRowTranscoder.isTrue(t)) {
        ascii("true");
      } else if (JsonRowTranscoder.isFalse(t)) {
        ascii("false");
      }
    }
    put((byte) '\n');
    rows++;
    return true;
  }

  /** The record key as the general path writes {@code new String(key, UTF_8)}: copied when it is well-formed UTF-8 without NUL. */
  private boolean keyBytes(byte[] key) {
    int n = key.length;
    for (int i = 0; i < n; ) {
      byte c = key[i];
      if (c > 0) {
        i++;
      } else if (c == 0) {
        return false;
      } else {
        int l = JsonRowTranscoder.utf8(key, i, n);
        if (l == 0) return string(new String(key, java.nio.charset.StandardCharsets.UTF_8));
        i += l;
      }
    }
    ensure(n * 2 + 2);
    buf[len++] = '"';
    for (byte c : key) {
      if (c == '"') buf[len++] = '"';
      buf[len++] = c;
    }
    buf[len++] = '"';
    return true;
  }

  /** The rows appended since {@link #begin}, as the file will hold them (tests). */
  String text() {
    return new String(buf, 0, len, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Rows appended since {@link #begin}. */
  int rows() { return rows; }

  /** Writes the batch to the file. */
  void finish() {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(buf, 0, len);
      while (b.hasRemaining()) ch.write(b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code select ... from read_csv(...)} over the file, giving {@code columns} (names and types) in order. */
  String select(Dialect d, List<ColumnInfo> columns) {
    StringBuilder list = new StringBuilder();
    StringBuilder types = new StringBuilder();
    for (int i = 0; i < columns.size(); i++) {
      String q = d.quote(columns.get(i).name());
      if (i > 0) {
        list.append(", ");
        types.append(", ");
      }
      boolean ts = i == TIMESTAMP_COLUMN;
      list.append(ts ? "epoch_ms(" + q + ") as " + q : q);
      types.append(d.stringLiteral(columns.get(i).name())).append(": ").append(d.stringLiteral(ts ? "bigint" : columns.get(i).dataType()));
    }
    return "select " + list + " from read_csv(" + d.stringLiteral(path.toString()) + ", header = false, auto_detect = false, delim = ',',"
        + " quote = '\"', escape = '\"', allow_quoted_nulls = false, columns = {" + types + "})";
  }

  private boolean value(Object v) {
    if (v == null) return true;
    if (v instanceof String s) return string(s);
    if (v instanceof Long l) {
      putLong(l);
    } else if (v instanceof Integer i) {
      putLong(i);
    } else if (v instanceof Double dbl) {
      if (dbl.isNaN() || dbl.isInfinite()) return false;
      ascii(Double.toString(dbl));
    } else if (v instanceof Boolean b) {
      ascii(b ? "true" : "false");
    } else if (v instanceof LocalDateTime t) {
      if (t.getYear() < 1 || t.getYear() > 9999) return false;
      date(t.toLocalDate());
      put((byte) ' ');
      two(t.getHour());
      put((byte) ':');
      two(t.getMinute());
      put((byte) ':');
      two(t.getSecond());
      int micros = t.getNano() / 1000;
      if (micros != 0) {
        put((byte) '.');
        String f = Integer.toString(1_000_000 + micros);
        ascii(f.substring(1));
      }
    } else if (v instanceof LocalDate dt) {
      if (dt.getYear() < 1 || dt.getYear() > 9999) return false;
      date(dt);
    } else if (v instanceof BigDecimal bd) {
      ascii(bd.toPlainString());
    } else {
      return false;
    }
    return true;
  }

  private void date(LocalDate d) {
    int y = d.getYear();
    put((byte) ('0' + y / 1000));
    put((byte) ('0' + y / 100 % 10));
    two(y % 100);
    put((byte) '-');
    two(d.getMonthValue());
    put((byte) '-');
    two(d.getDayOfMonth());
  }

  private void two(int v) {
    put((byte) ('0' + v / 10));
    put((byte) ('0' + v % 10));
  }

  private void putLong(long v) {
    if (v == Long.MIN_VALUE) {
      ascii(Long.toString(v));
      return;
    }
    if (v < 0) {
      put((byte) '-');
      v = -v;
    }
    ensure(20);
    int start = len;
    do {
      buf[len++] = (byte) ('0' + v % 10);
      v /= 10;
    } while (v != 0);
    for (int i = start, j = len - 1; i < j; i++, j--) {
      byte t = buf[i];
      buf[i] = buf[j];
      buf[j] = t;
    }
  }

  private void ascii(String s) {
    ensure(s.length());
    for (int i = 0; i < s.length(); i++) buf[len++] = (byte) s.charAt(i);
  }

  /** A quoted string, UTF-8, quotes doubled; false for NUL characters (DuckDB's CSV reader stops at them). */
  private boolean string(String s) {
    int n = s.length();
    ensure(n * 3 + 2);
    buf[len++] = '"';
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        if (c == 0) return false;
        if (c == '"') {
          ensure(n * 3 + 2);
          buf[len++] = '"';
        }
        buf[len++] = (byte) c;
      } else if (c < 0x800) {
        buf[len++] = (byte) (0xC0 | (c >> 6));
        buf[len++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        buf[len++] = (byte) (0xF0 | (cp >> 18));
        buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        buf[len++] = (byte) (0x80 | (cp & 0x3F));
      } else if (Character.isSurrogate(c)) {
        return false; // a lone surrogate is no UTF-8
      } else {
        buf[len++] = (byte) (0xE0 | (c >> 12));
        buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        buf[len++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    ensure(1);
    buf[len++] = '"';
    return true;
  }

  private void put(byte b) {
    ensure(1);
    buf[len++] = b;
  }

  /** Room for {@code n} more bytes (the quoted-string loop asks for its worst case once, and once more per quote). */
  private void ensure(int n) {
    if (len + n > buf.length) buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + n + 1024));
  }

  @Override
  public void close() {
    try {
      Files.deleteIfExists(path);
    } catch (IOException ignored) {
      // a temp file
    }
  }
}
