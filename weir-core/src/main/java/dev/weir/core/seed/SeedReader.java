package dev.weir.core.seed;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Dialect.SeedType;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads a seed CSV and infers column types as dbt does (agate's type tester with dbt's settings).
 *
 * <h2>CSV</h2>
 * RFC 4180 (see {@link CsvParser}): UTF-8 with or without BOM, {@code \n} or {@code \r\n}, quoted
 * fields with delimiters, doubled quotes and newlines. The first record is the header (column names as
 * written; empty or duplicate names are errors). Every record must have as many fields as the header,
 * otherwise a {@link WeirException} of kind PROJECT names the file, the physical line the record starts
 * on and both counts. Blank lines are skipped.
 *
 * <h2>Types</h2>
 * Values that are empty, blank or the word {@code null} (any case) are NULL and do not vote. For each
 * column the first kind that every non-null value parses as wins, in dbt's order:
 * <ol>
 *   <li>number — agate's Number: trimmed, '%' and currency symbols stripped from the ends, ','
 *       group separators removed, then decimal syntax ({@code -1.5}, {@code 1e3}, {@code .5},
 *       {@code nan}, {@code inf}). Leading zeros are accepted: {@code 007} reads as 7 (as in dbt;
 *       declare such columns in column_types to keep them as text). The column is INTEGER when every
 *       value is integral ({@code 1.0} counts, as agate normalizes) and fits 32 bits, as in dbt; BIGINT
 *       when they fit a long but not 32 bits (where dbt's load fails), else NUMBER;</li>
 *   <li>DATE — {@code YYYY-M-D} (strptime {@code %Y-%m-%d}: 4-digit year, 1–2 digit month/day);</li>
 *   <li>TIMESTAMP — either {@code YYYY-MM-DD hh:mm:ss} (strptime {@code %Y-%m-%d %H:%M:%S}, no
 *       fraction) for the whole column, or ISO 8601 with 'T' for the whole column (optional seconds,
 *       fraction and zone; see {@link SeedValues#parseIsoTimestamp}). A column mixing both forms, or
 *       dates with timestamps, is TEXT — as in dbt;</li>
 *   <li>BOOLEAN — {@code true}/{@code false}, any case (dbt does not accept yes/no, t/f or 1/0);</li>
 *   <li>TEXT otherwise.</li>
 * </ol>
 * A column with no non-null value is TEXT. (dbt itself types such a column as a number, i.e. integer;
 * Weir chooses text, which casts to anything.)
 */
public final class SeedReader {
  private SeedReader() {}

  /** Reads and types {@code file}, asking {@code dialect} for each inferred kind's engine type. */
  public static SeedData read(Path file, SeedOptions options, Dialect dialect) {
    return read(file, options, dialect::typeFor);
  }

  public static SeedData read(Path file, SeedOptions options, Function<SeedType, String> typeFor) {
    String label = file.toString();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      return read(label, in, options, typeFor);
    } catch (NoSuchFileException e) {
      throw WeirException.project(label, 0, "seed file not found: " + label);
    } catch (IOException e) {
      throw WeirException.project(label, 0, "cannot read seed file " + label + ": " + e.getMessage());
    }
  }

  /** Reads a seed from a UTF-8 stream; {@code fileLabel} names it in errors. */
  public static SeedData read(String fileLabel, InputStream in, SeedOptions options, Function<SeedType, String> typeFor) {
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try (Reader r = new InputStreamReader(in, decoder)) {
      return read(fileLabel, r, options, typeFor);
    } catch (CharacterCodingException e) {
      throw WeirException.project(fileLabel, 0, fileLabel + ": seed file is not valid UTF-8 (" + e.getMessage() + ")");
    } catch (IOException e) {
      throw WeirException.project(fileLabel, 0, "cannot read seed file " + fileLabel + ": " + e.getMessage());
    }
  }

  static SeedData read(String file, Reader reader, SeedOptions options, Function<SeedType, String> typeFor)
      throws IOException {
    if (options == null) options = SeedOptions.defaults();
    CsvParser csv = new CsvParser(reader, file, options.delimiter());
    Object[] rawHeader = csv.next();
    if (rawHeader == null) {
      throw WeirException.project(file, 0, file + ": seed file is empty: expected a header row with column names");
    }
    int headerLine = csv.recordLine();
    int width = rawHeader.length;
    String[] header = Arrays.copyOf(rawHeader, width, String[].class);
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < width; i++) {
      String name = header[i];
      if (name.isBlank()) {
        throw WeirException.project(file, headerLine, file + ":" + headerLine + ": column " + (i + 1)
            + " of the header has no name");
      }
      Integer prev = seen.put(name, i);
      if (prev != null) {
        throw WeirException.project(file, headerLine, file + ":" + headerLine + ": column name '" + name
            + "' appears twice in the header (columns " + (prev + 1) + " and " + (i + 1) + ")");
      }
    }

    // One copy of the data: rows hold the raw strings first and are converted in place once typed.
    List<Object[]> rows = new ArrayList<>();
    for (Object[] rec; (rec = csv.next()) != null; ) {
      if (rec.length != width) {
        int line = csv.recordLine();
        throw WeirException.project(file, line, file + ":" + line + ": row has " + rec.length + " field"
            + (rec.length == 1 ? "" : "s") + " but the header has " + width
            + " (delimiter '" + printable(options.delimiter()) + "')");
      }
      rows.add(rec);
    }

    List<ColumnInfo> columns = new ArrayList<>(width);
    List<SeedType> types = new ArrayList<>(width);
    for (int c = 0; c < width; c++) {
      String name = header[c];
      String override = options.columnTypes().get(name);
      if (override != null) {
        convertOverride(rows, c);
        columns.add(new ColumnInfo(name, override, c + 1, null));
        types.add(null);
      } else {
        SeedType t = inferAndConvert(rows, c);
        columns.add(new ColumnInfo(name, typeFor.apply(t), c + 1, null));
        types.add(t);
      }
    }
    return new SeedData(file, List.copyOf(columns), java.util.Collections.unmodifiableList(types), rows);
  }

  private static String printable(char d) {
    return d == '\t' ? "\\t" : String.valueOf(d);
  }

  private static void convertOverride(List<Object[]> rows, int c) {
    for (Object[] row : rows) {
      if (SeedValues.isNull((String) row[c])) row[c] = null;
    }
  }

  // candidate kinds, in dbt's order
  private static final int NUMBER = 1, DATE = 2, DT_SPACE = 4, DT_ISO = 8, BOOL = 16;

  /** Infers column {@code c}'s kind from the raw strings, then replaces them with typed values. */
  static SeedType inferAndConvert(List<Object[]> rows, int c) {
    int candidates = NUMBER | DATE | DT_SPACE | DT_ISO | BOOL;
    boolean integral = true, fitsLong = true, anyValue = false;
    for (Object[] row : rows) {
      String s = (String) row[c];
      if (SeedValues.isNull(s)) continue;
      anyValue = true;
      if ((candidates & NUMBER) != 0) {
        // fast paths: plain longs need no check; plain fractional decimals only clear "integral"
        int simple = SeedValues.simpleLong(s) != null ? -1 : SeedValues.simpleDecimal(s);
        if (simple == 2) {
          integral = false;
        } else if (simple != -1) {
          BigDecimal d = SeedValues.parseNumber(s);
          if (d == null) {
            candidates &= ~NUMBER;
          } else if (!SeedValues.isIntegral(d)) {
            integral = false;
          } else if (fitsLong && !fitsLong(d)) {
            fitsLong = false;
          }
        }
      }
      if ((candidates & DATE) != 0 && SeedValues.parseDate(s) == null) candidates &= ~DATE;
      if ((candidates & DT_SPACE) != 0 && SeedValues.parseSpaceTimestamp(s) == null) candidates &= ~DT_SPACE;
      if ((candidates & DT_ISO) != 0 && SeedValues.parseIsoTimestamp(s) == null) candidates &= ~DT_ISO;
      if ((candidates & BOOL) != 0 && SeedValues.parseBoolean(s) == null) candidates &= ~BOOL;
      if (candidates == 0) break;
    }
    if (!anyValue) candidates = 0; // all null: TEXT (see class doc)

    if ((candidates & NUMBER) != 0) {
      if (integral && fitsLong) {
        boolean fitsInt = true;
        for (Object[] row : rows) {
          Long l = toLong((String) row[c]);
          row[c] = l;
          if (l != null && (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE)) fitsInt = false;
        }
        // dbt types whole numbers INTEGER (and then fails on values past 32 bits): BIGINT keeps those
        return fitsInt ? SeedType.INTEGER : SeedType.BIGINT;
      }
      boolean exact = integral; // integers beyond long: keep them exact
      for (Object[] row : rows) {
        String s = (String) row[c];
        if (SeedValues.isNull(s)) { row[c] = null; continue; }
        if (!exact && SeedValues.simpleDecimal(s) != 0) { row[c] = Double.parseDouble(s); continue; }
        BigDecimal d = SeedValues.parseNumber(s);
        row[c] = exact ? d.setScale(0, java.math.RoundingMode.UNNECESSARY) : (Object) SeedValues.toDouble(d);
      }
      return SeedType.NUMBER;
    }
    if ((candidates & DATE) != 0) {
      for (Object[] row : rows) row[c] = nullOr((String) row[c], SeedValues::parseDate);
      return SeedType.DATE;
    }
    if ((candidates & DT_SPACE) != 0) {
      for (Object[] row : rows) row[c] = nullOr((String) row[c], SeedValues::parseSpaceTimestamp);
      return SeedType.TIMESTAMP;
    }
    if ((candidates & DT_ISO) != 0) {
      for (Object[] row : rows) row[c] = nullOr((String) row[c], SeedValues::parseIsoTimestamp);
      return SeedType.TIMESTAMP;
    }
    if ((candidates & BOOL) != 0) {
      for (Object[] row : rows) row[c] = nullOr((String) row[c], SeedValues::parseBoolean);
      return SeedType.BOOLEAN;
    }
    for (Object[] row : rows) {
      if (SeedValues.isNull((String) row[c])) row[c] = null;
    }
    return SeedType.TEXT;
  }

  private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
  private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

  private static boolean fitsLong(BigDecimal d) {
    return d.compareTo(LONG_MIN) >= 0 && d.compareTo(LONG_MAX) <= 0;
  }

  private static Long toLong(String s) {
    if (SeedValues.isNull(s)) return null;
    Long l = SeedValues.simpleLong(s);
    if (l != null) return l;
    return SeedValues.parseNumber(s).longValueExact();
  }

  private static Object nullOr(String s, Function<String, Object> parse) {
    return SeedValues.isNull(s) ? null : parse.apply(s);
  }
}
