package dev.weir.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** Casts, widening for schema drift, and the COPY text parser. */
class ColumnTypeTest {

  @Test
  void widensIntegersToWiderIntegersDecimalsAndDoublesAndAnythingToVarchar() {
    ColumnType i = ColumnType.parse("INTEGER");
    assertThat(i.widen(ColumnType.parse("BIGINT"))).isEqualTo(ColumnType.BIGINT);
    assertThat(ColumnType.BIGINT.widen(i)).isEqualTo(ColumnType.BIGINT);
    assertThat(i.widen(ColumnType.parse("DECIMAL(12,2)"))).isEqualTo(ColumnType.parse("DECIMAL(12,2)"));
    assertThat(ColumnType.parse("DECIMAL(8,1)").widen(ColumnType.parse("DECIMAL(6,3)"))).isEqualTo(ColumnType.parse("DECIMAL(10,3)"));
    assertThat(i.widen(ColumnType.parse("DOUBLE")).kind()).isEqualTo(ColumnType.Kind.DOUBLE);
    assertThat(ColumnType.parse("DATE").widen(ColumnType.parse("BOOLEAN"))).isEqualTo(ColumnType.VARCHAR);
    assertThat(ColumnType.parse("character varying(20)")).isEqualTo(ColumnType.VARCHAR);
  }

  @Test
  void castsTextAndRefusesWhatDoesNotFit() {
    assertThat(ColumnType.parse("DECIMAL(6,2)").cast("12.345")).isEqualTo(new BigDecimal("12.35"));
    assertThatThrownBy(() -> ColumnType.parse("DECIMAL(4,2)").cast("123.4")).hasMessageContaining("does not fit DECIMAL(4,2)");
    assertThatThrownBy(() -> ColumnType.parse("INTEGER").cast("3000000000")).hasMessageContaining("out of range");
    assertThatThrownBy(() -> ColumnType.parse("BIGINT").cast("abc")).hasMessageContaining("'abc' is not a BIGINT");
    assertThat(ColumnType.TIMESTAMP.cast("2024-01-02 03:04:05.123456")).isEqualTo(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 123_456_000));
    assertThat(ColumnType.parse("TIMESTAMPTZ").cast("2024-01-02 03:04:05+05:30"))
        .isEqualTo(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHoursMinutes(5, 30)));
    assertThat(ColumnType.parse("BOOLEAN").cast("t")).isEqualTo(true);
  }

  @Test
  void mapsMariaDbTypesAndCastsTheDriversValuesExactly() {
    assertThat(ColumnType.fromMariaDb(java.sql.Types.BIGINT, "BIGINT UNSIGNED", 20, 0)).isEqualTo(ColumnType.parse("DECIMAL(20,0)"));
    assertThat(ColumnType.fromMariaDb(java.sql.Types.INTEGER, "INTEGER UNSIGNED", 10, 0)).isEqualTo(ColumnType.BIGINT);
    assertThat(ColumnType.fromMariaDb(java.sql.Types.SMALLINT, "SMALLINT UNSIGNED", 5, 0)).isEqualTo(ColumnType.parse("INTEGER"));
    assertThat(ColumnType.fromMariaDb(java.sql.Types.DATE, "YEAR", 4, 0)).isEqualTo(ColumnType.parse("SMALLINT"));
    assertThat(ColumnType.fromMariaDb(java.sql.Types.TIMESTAMP, "TIMESTAMP", 26, 6)).isEqualTo(ColumnType.parse("TIMESTAMPTZ"));
    assertThat(ColumnType.fromMariaDb(java.sql.Types.TIMESTAMP, "DATETIME", 26, 6)).isEqualTo(ColumnType.TIMESTAMP);
    java.math.BigInteger max = new java.math.BigInteger("18446744073709551615");
    assertThat(ColumnType.parse("DECIMAL(20,0)").cast(max)).isEqualTo(new BigDecimal(max));
    assertThatThrownBy(() -> ColumnType.BIGINT.cast(max)).hasMessageContaining("out of range for BIGINT");
    assertThat(ColumnType.BIGINT.cast(java.math.BigInteger.valueOf(-5))).isEqualTo(-5L);
    assertThat(ColumnType.parse("DOUBLE").cast(3.14f)).isEqualTo(3.14);
  }

  @Test
  void castsBytesLikeText() {
    byte[] b = "x|-42|12.345|2024-01-02 03:04:05.5|2024-01-02 03:04:05+00|t|1e3|junk".getBytes(StandardCharsets.UTF_8);
    assertThat(ColumnType.BIGINT.castBytes(b, 2, 5)).isEqualTo(-42L);
    assertThat(ColumnType.parse("DECIMAL(6,2)").castBytes(b, 6, 12)).isEqualTo(new BigDecimal("12.35"));
    assertThat(ColumnType.TIMESTAMP.castBytes(b, 13, 34)).isEqualTo(LocalDateTime.of(2024, 1, 2, 3, 4, 5, 500_000_000));
    assertThat(ColumnType.parse("TIMESTAMPTZ").castBytes(b, 35, 57)).isEqualTo(OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC));
    assertThat(ColumnType.parse("BOOLEAN").castBytes(b, 58, 59)).isEqualTo(true);
    assertThat(ColumnType.parse("DOUBLE").castBytes(b, 60, 63)).isEqualTo(1000.0);
    assertThatThrownBy(() -> ColumnType.BIGINT.castBytes(b, 64, 68)).hasMessageContaining("'junk' is not a BIGINT");
  }

  @Test
  void splitsPostgresCsvLines() {
    assertThat(CsvHandOff.parseCsvLine("1,,\"\",\"a,\"\"b\"\"\nc\",x\n")).containsExactly("1", null, "", "a,\"b\"\nc", "x");
  }

  @Test
  void parsesCopyTextWithNullsAndEscapes() {
    Object[] row = new Object[4];
    RowStream.parseText("1\t\\N\ta\\tb\\\\c\\nd\tcaf\u00e9\n".getBytes(StandardCharsets.UTF_8), row, 4);
    assertThat(row).containsExactly("1", null, "a\tb\\c\nd", "caf\u00e9");
  }
}
