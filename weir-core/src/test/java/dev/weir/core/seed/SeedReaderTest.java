package dev.weir.core.seed;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect.SeedType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.math.BigDecimal;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SeedReaderTest {
  /** DuckDB-like type names, standing in for a Dialect. */
  static final Function<SeedType, String> TYPES = t -> switch (t) {
    case INTEGER -> "INTEGER";
    case BIGINT -> "BIGINT";
    case NUMBER -> "DOUBLE";
    case BOOLEAN -> "BOOLEAN";
    case DATE -> "DATE";
    case TIMESTAMP -> "TIMESTAMP";
    case TEXT -> "VARCHAR";
  };

  @TempDir Path tmp;

  static Path fixture(String name) {
    try {
      return Path.of(SeedReaderTest.class.getResource("/seed/" + name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new AssertionError("missing test fixture seed/" + name, e);
    }
  }

  static SeedData read(String name) { return read(name, SeedOptions.defaults()); }

  static SeedData read(String name, SeedOptions o) { return SeedReader.read(fixture(name), o, TYPES); }

  static List<Object> column(SeedData d, String name) {
    int i = d.columnNames().indexOf(name);
    assertThat(i).as("column " + name).isGreaterThanOrEqualTo(0);
    List<Object> out = new ArrayList<>();
    for (Object[] r : d.rows()) out.add(r[i]);
    return out;
  }

  static SeedType type(SeedData d, String name) { return d.types().get(d.columnNames().indexOf(name)); }

  @Test
  void quotedFieldsWithDelimitersQuotesAndNewlines() {
    SeedData d = read("quoting.csv");
    assertThat(d.columnNames()).containsExactly("id", "name", "notes");
    assertThat(d.rowCount()).isEqualTo(4);
    assertThat(column(d, "name")).containsExactly("Smith, Jane", "multi\nline\nnote", null, null);
    assertThat(column(d, "notes")).containsExactly("She said \"hi\"", "plain", "ends with comma,", "x");
    assertThat(column(d, "id")).containsExactly(1L, 2L, 3L, 4L);
    assertThat(d.columns().get(0)).isEqualTo(new ColumnInfo("id", "INTEGER", 1, null));
  }

  @Test
  void semicolonAndPipeDelimiters() {
    SeedData semi = read("semicolon.csv", new SeedOptions(';', Map.of()));
    assertThat(column(semi, "label")).containsExactly("Deutschland; Germany", "France");
    // "1,5" is 15 to agate (',' is a group separator), as in dbt
    assertThat(column(semi, "amount")).containsExactly(15L, 2L);
    SeedData pipe = read("pipe.csv", SeedOptions.fromConfig(Map.of("delimiter", "|")));
    assertThat(column(pipe, "label")).containsExactly("Germany", "Fr|ance");
    assertThat(column(pipe, "active")).containsExactly(true, false);
    assertThat(type(pipe, "active")).isEqualTo(SeedType.BOOLEAN);
  }

  @Test
  void bomAndCrlf() {
    SeedData d = read("bom_crlf.csv");
    assertThat(d.columnNames()).containsExactly("country_code", "population");
    assertThat(column(d, "country_code")).containsExactly("NL", "BE");
    assertThat(column(d, "population")).containsExactly(17_900_000L, 11_700_000L);
  }

  @Test
  void raggedRowNamesFileLineAndCounts() {
    assertThatThrownBy(() -> read("ragged_long.csv"))
        .isInstanceOfSatisfying(WeirException.class, e -> {
          assertThat(e.kind()).isEqualTo(WeirException.Kind.PROJECT);
          assertThat(e.line()).as("physical line, after a quoted newline").isEqualTo(5);
          assertThat(e.file()).endsWith("ragged_long.csv");
          assertThat(e.getMessage()).contains("ragged_long.csv:5").contains("4 fields").contains("header has 3");
        });
    assertThatThrownBy(() -> read("ragged_short.csv"))
        .isInstanceOfSatisfying(WeirException.class, e -> {
          assertThat(e.line()).isEqualTo(3);
          assertThat(e.describe()).contains("ragged_short.csv:3").contains("2 fields but the header has 3");
        });
  }

  @Test
  void emptyFileMissingHeaderAndBrokenQuotes() {
    for (String f : List.of("empty.csv", "bom_only.csv")) {
      assertThatThrownBy(() -> read(f)).isInstanceOf(WeirException.class)
          .hasMessageContaining(f).hasMessageContaining("empty").hasMessageContaining("header");
    }
    assertThatThrownBy(() -> read("unterminated.csv")).isInstanceOf(WeirException.class)
        .hasMessageContaining("unterminated.csv:2").hasMessageContaining("never closed");
    assertThatThrownBy(() -> read("dup_header.csv")).isInstanceOf(WeirException.class)
        .hasMessageContaining("'a' appears twice");
    assertThatThrownBy(() -> SeedReader.read(tmp.resolve("nope.csv"), SeedOptions.defaults(), TYPES))
        .isInstanceOf(WeirException.class).hasMessageContaining("not found");
  }

  @Test
  void blankLinesAreSkipped() {
    SeedData d = read("blank_lines.csv");
    assertThat(d.rowCount()).isEqualTo(2);
    assertThat(column(d, "b")).containsExactly(2L, 4L);
  }

  @Test
  void invalidUtf8IsAClearError() throws Exception {
    Path f = tmp.resolve("latin1.csv");
    Files.write(f, new byte[] {'a', '\n', (byte) 0xe9, 't', 'e', '\n'});
    assertThatThrownBy(() -> SeedReader.read(f, SeedOptions.defaults(), TYPES)).isInstanceOf(WeirException.class)
        .hasMessageContaining("not valid UTF-8");
  }

  @Test
  void infersEachType() {
    SeedData d = read("types.csv");
    assertThat(type(d, "int_col")).isEqualTo(SeedType.INTEGER);
    assertThat(column(d, "int_col")).containsExactly(1L, -42L, null, 7L);
    assertThat(type(d, "num_col")).isEqualTo(SeedType.NUMBER);
    assertThat(column(d, "num_col")).containsExactly(1.5, -0.25, null, 1000.0);
    assertThat(type(d, "bool_col")).isEqualTo(SeedType.BOOLEAN);
    assertThat(column(d, "bool_col")).containsExactly(true, false, null, true);
    assertThat(type(d, "date_col")).isEqualTo(SeedType.DATE);
    assertThat(column(d, "date_col")).containsExactly(LocalDate.of(2024, 1, 5), LocalDate.of(2024, 1, 6), null,
        LocalDate.of(2024, 2, 29));
    assertThat(type(d, "ts_space")).isEqualTo(SeedType.TIMESTAMP);
    assertThat(column(d, "ts_space")).containsExactly(LocalDateTime.of(2024, 1, 5, 10, 11, 12),
        LocalDateTime.of(2024, 1, 6, 0, 0), null, LocalDateTime.of(2024, 2, 29, 23, 59, 59));
    assertThat(type(d, "ts_iso")).isEqualTo(SeedType.TIMESTAMP);
    assertThat(column(d, "ts_iso")).containsExactly(LocalDateTime.of(2024, 1, 5, 10, 11, 12),
        LocalDateTime.of(2024, 1, 6, 0, 0, 0, 123_456_000), null, LocalDateTime.of(2024, 2, 29, 21, 59));
    assertThat(type(d, "text_col")).isEqualTo(SeedType.TEXT);
    assertThat(column(d, "text_col")).containsExactly("hello", "  spaced  ", null, null);
    assertThat(d.columns().get(d.columnNames().indexOf("text_col")).dataType()).isEqualTo("VARCHAR");
  }

  @Test
  void wholeNumbersAreIntegerAsInDbtAndBigintPast32Bits() throws Exception {
    Path f = tmp.resolve("ints.csv");
    Files.writeString(f, "small,big,edge\n1,3000000000,2147483647\n-7,4,-2147483648\n");
    SeedData d = SeedReader.read(f, SeedOptions.defaults(), TYPES);
    assertThat(type(d, "small")).isEqualTo(SeedType.INTEGER);
    assertThat(type(d, "edge")).isEqualTo(SeedType.INTEGER);
    assertThat(type(d, "big")).isEqualTo(SeedType.BIGINT);
    assertThat(column(d, "big")).containsExactly(3_000_000_000L, 4L);
    assertThat(d.columns().get(d.columnNames().indexOf("big")).dataType()).isEqualTo("BIGINT");
  }

  @Test
  void mixedAndEdgeColumnsFallBackLikeDbt() {
    SeedData d = read("types.csv");
    assertThat(type(d, "all_null")).isEqualTo(SeedType.TEXT);
    assertThat(column(d, "all_null")).containsOnlyNulls();
    assertThat(type(d, "num_then_text")).isEqualTo(SeedType.TEXT);
    assertThat(column(d, "num_then_text")).containsExactly("1", "2", "x", "4");
    assertThat(type(d, "date_then_ts")).as("dates mixed with timestamps are text in dbt").isEqualTo(SeedType.TEXT);
    assertThat(type(d, "zip")).as("leading zeros are dropped, as agate does").isEqualTo(SeedType.INTEGER);
    assertThat(column(d, "zip")).containsExactly(7L, 1234L, null, 99L);
    assertThat(type(d, "big_int")).isEqualTo(SeedType.NUMBER);
    assertThat(column(d, "big_int")).containsExactly(new BigDecimal("9223372036854775808"), BigDecimal.ONE, null,
        BigDecimal.valueOf(2));
    assertThat(column(d, "money")).containsExactly(1234.5, 5.0, null, 3.0);
    assertThat(column(d, "pct")).containsExactly(50.0, 12.5, null, 1.0);
    assertThat(type(d, "one_point_o")).as("1.0 normalizes to an integer").isEqualTo(SeedType.INTEGER);
    assertThat(column(d, "one_point_o")).containsExactly(1L, 2L, null, 3L);
    assertThat(type(d, "yes_no")).as("dbt accepts only true/false").isEqualTo(SeedType.TEXT);
  }

  @Test
  void columnTypesOverridePassesTextThrough() {
    SeedData d = read("override.csv", SeedOptions.fromConfig(Map.of("column_types", Map.of("zip", "varchar(5)",
        "no_such_column", "int"))));
    assertThat(d.columns().get(0)).isEqualTo(new ColumnInfo("zip", "varchar(5)", 1, null));
    assertThat(d.types().get(0)).isNull();
    assertThat(column(d, "zip")).containsExactly("007", null, "01234");
    assertThat(column(d, "amount")).containsExactly(10L, 20L, 30L);
    assertThat(column(d, "note")).containsExactly("a", null, null);
  }

  @Test
  void valueParsers() {
    assertThat(SeedValues.parseNumber("-$1,000")).isEqualByComparingTo("-1000");
    assertThat(SeedValues.parseNumber(".5")).isEqualByComparingTo("0.5");
    assertThat(SeedValues.parseNumber("5.")).isEqualByComparingTo("5");
    assertThat(SeedValues.parseNumber("+7")).isEqualByComparingTo("7");
    assertThat(SeedValues.parseNumber("1e")).isNull();
    assertThat(SeedValues.parseNumber("12abc")).isNull();
    assertThat(SeedValues.parseNumber("-")).isNull();
    assertThat(SeedValues.toDouble(SeedValues.parseNumber("NaN"))).isNaN();
    assertThat(SeedValues.toDouble(SeedValues.parseNumber("-inf"))).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(SeedValues.parseDate("2023-02-29")).isNull();
    assertThat(SeedValues.parseDate("24-01-01")).isNull();
    assertThat(SeedValues.parseDate("2024/01/01")).isNull();
    assertThat(SeedValues.parseSpaceTimestamp("2024-01-01 10:00:00.5")).as("strptime has no fraction").isNull();
    assertThat(SeedValues.parseSpaceTimestamp("2024-01-01 24:00:00")).isNull();
    assertThat(SeedValues.parseIsoTimestamp("20240101T101112")).isEqualTo(LocalDateTime.of(2024, 1, 1, 10, 11, 12));
    assertThat(SeedValues.parseIsoTimestamp("2024-01-01T10")).isEqualTo(LocalDateTime.of(2024, 1, 1, 10, 0));
    assertThat(SeedValues.parseIsoTimestamp("2024-01-01T10:00:00,5-01:00"))
        .isEqualTo(LocalDateTime.of(2024, 1, 1, 11, 0, 0, 500_000_000));
    assertThat(SeedValues.parseIsoTimestamp("2024-01-01 10:00:00")).isNull();
    assertThat(SeedValues.parseBoolean(" TRUE ")).isTrue();
    assertThat(SeedValues.parseBoolean("t")).isNull();
    assertThat(SeedValues.isNull(" NuLL ")).isTrue();
  }

  @Test
  void readsHundredThousandRowsFast() throws Exception {
    Path f = tmp.resolve("big.csv");
    try (BufferedWriter w = Files.newBufferedWriter(f)) {
      w.write("id,amount,active,day,ts,name\n");
      for (int i = 0; i < 100_000; i++) {
        w.write(i + "," + (i * 0.25) + "," + (i % 2 == 0) + ",2024-01-" + (1 + i % 28) + ",2024-01-01T10:00:"
            + String.format("%02d", i % 60) + ",\"name " + i + ", the " + (i % 7) + "th\"\n");
      }
    }
    for (int i = 0; i < 2; i++) SeedReader.read(f, SeedOptions.defaults(), TYPES); // warm-up
    var threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long best = Long.MAX_VALUE, bestCpu = Long.MAX_VALUE;
    SeedData d = null;
    for (int i = 0; i < 3; i++) {
      d = null;
      long t0 = System.nanoTime(), c0 = threads.getCurrentThreadCpuTime();
      d = SeedReader.read(f, SeedOptions.defaults(), TYPES);
      best = Math.min(best, System.nanoTime() - t0);
      bestCpu = Math.min(bestCpu, threads.getCurrentThreadCpuTime() - c0);
    }
    System.out.printf("[timing] seed CSV 100,000 rows x 6 columns (%,d bytes): %d ms wall, %d ms CPU (best of 3, warm)%n",
        Files.size(f), best / 1_000_000, bestCpu / 1_000_000);
    assertThat(d.rowCount()).isEqualTo(100_000);
    assertThat(d.types()).containsExactly(SeedType.INTEGER, SeedType.NUMBER, SeedType.BOOLEAN, SeedType.DATE,
        SeedType.TIMESTAMP, SeedType.TEXT);
    assertThat(Arrays.asList(d.rows().get(99_999))).containsExactly(99_999L, 24_999.75, false,
        LocalDate.of(2024, 1, 12), LocalDateTime.of(2024, 1, 1, 10, 0, 39), "name 99999, the 4th");
    assertThat(bestCpu / 1_000_000).isLessThan(2000);
  }
}
