package dev.weir.core.seed;

import dev.weir.core.WeirException;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * A streaming RFC 4180 CSV parser: quoted fields may hold the delimiter, doubled quotes and line
 * breaks; records end at {@code \n}, {@code \r\n} or a lone {@code \r}. A leading UTF-8 BOM is skipped.
 *
 * <p>Leniencies (as Python's csv module, which dbt's seeds go through): a quote inside an unquoted
 * field is kept literally, and characters after a closing quote are appended to the field. Completely
 * blank lines are skipped. An unterminated quoted field is an error naming the line it started on.
 */
final class CsvParser {
  private static final int EOF = -1;

  private final Reader in;
  private final String file;
  private final char delimiter;
  private final char[] buf = new char[1 << 16];
  private int pos;
  private int len;
  private int line = 1;          // physical line of the next char
  private int recordLine;        // physical line where the last record began
  private final StringBuilder field = new StringBuilder(64);
  private final List<String> fields = new ArrayList<>();
  private boolean first = true;

  CsvParser(Reader in, String file, char delimiter) {
    this.in = in;
    this.file = file;
    this.delimiter = delimiter;
  }

  /** The physical (1-based) line the record last returned by {@link #next()} starts on. */
  int recordLine() { return recordLine; }

  private int read() throws IOException {
    if (pos == len) {
      len = in.read(buf, 0, buf.length);
      pos = 0;
      if (len <= 0) { len = 0; return EOF; }
    }
    return buf[pos++];
  }

  private int peek() throws IOException {
    if (pos == len) {
      len = in.read(buf, 0, buf.length);
      pos = 0;
      if (len <= 0) { len = 0; return EOF; }
    }
    return buf[pos];
  }

  /** The next record's fields (Strings, in an Object[] so callers can replace them in place), or null at end of input. Blank lines are skipped. */
  Object[] next() throws IOException {
    if (first) {
      first = false;
      if (peek() == '\uFEFF') read();
    }
    while (true) {
      int c = peek();
      if (c == EOF) return null;
      if (c == '\n') { read(); line++; continue; }
      if (c == '\r') { read(); if (peek() == '\n') read(); line++; continue; }
      break;
    }
    recordLine = line;
    fields.clear();
    field.setLength(0);
    boolean quoted = false;       // inside quotes
    while (true) {
      int c = read();
      if (quoted) {
        if (c == EOF) {
          throw WeirException.project(file, recordLine, file + ":" + recordLine
              + ": quoted field is never closed (a '\"' opened here has no matching closing quote)");
        }
        if (c == '"') {
          if (peek() == '"') { read(); field.append('"'); } else quoted = false;
        } else {
          if (c == '\n') line++;
          else if (c == '\r') { line++; if (peek() == '\n') { read(); field.append('\r'); c = '\n'; } }
          field.append((char) c);
        }
        continue;
      }
      if (c == delimiter) {
        fields.add(field.toString());
        field.setLength(0);
      } else if (c == '\n' || c == '\r' || c == EOF) {
        if (c == '\r' && peek() == '\n') read();
        if (c != EOF) line++;
        fields.add(field.toString());
        field.setLength(0);
        return fields.toArray();
      } else if (c == '"' && field.length() == 0) {
        // a quote opens a quoted field only as the field's first character
        quoted = true;
      } else {
        field.append((char) c);
      }
    }
  }
}
