package dev.weir.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Engine;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.Session;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch file round-trips awkward values through DuckDB's read_csv exactly (real DuckDB). */
class BatchFileTest {
  @Test
  void valuesRoundTripThroughReadCsv(@TempDir Path dir) {
    List<ColumnInfo> cols = List.of(new ColumnInfo("_kafka_topic", "varchar"), new ColumnInfo("_kafka_partition", "integer"),
        new ColumnInfo("_kafka_offset", "bigint"), new ColumnInfo("_kafka_key", "varchar"), new ColumnInfo("_kafka_timestamp", "timestamp"),
        new ColumnInfo("s", "varchar"), new ColumnInfo("d", "double"), new ColumnInfo("b", "boolean"), new ColumnInfo("n", "decimal(38,9)"),
        new ColumnInfo("day", "date"), new ColumnInfo("at", "timestamp"));
    String[] strings = {"", "plain", "a,b", "say \"hi\"", "line\nbreak\r\nand more", "ünïcødé €", "emoji 😀", "back\\slash", " spaced "};
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < strings.length; i++) {
      rows.add(new Object[] {"t", 0L, (long) i, i % 2 == 0 ? null : "k" + i, null, strings[i], i * 1.5e10 + 0.25, i % 2 == 0,
          new BigDecimal("12345.678901234"), LocalDate.of(2024, 2, 29), LocalDateTime.of(2024, 5, 1, 10, 0, 0, 123_456_000)});
    }
    rows.add(new Object[] {"t", 0L, 99L, null, null, null, null, null, null, null, null});
    try (Engine e = TestWarehouse.duckdb(dir); Session s = e.openSession(); BatchFile f = new BatchFile("weir-test-")) {
      Relation t = Relation.of(e.defaultDatabase(), e.defaultSchema(), "rt");
      s.execute(s.dialect().createTable(t, cols));
      f.begin();
      for (Object[] r : rows) assertThat(f.row(r, cols.size(), 1_714_557_600_123L)).isTrue();
      assertThat(f.row(new Object[] {"t", 0L, 1L, null, null, "nul\0char", null, null, null, null, null}, cols.size(), 0)).isFalse();
      assertThat(f.rows()).isEqualTo(rows.size());
      f.finish();
      s.execute("insert into " + s.dialect().render(t) + " " + f.select(s.dialect(), cols));
      List<List<Object>> back = s.query("select * from " + s.dialect().render(t) + " order by _kafka_offset", -1).rows();
      assertThat(back).hasSize(rows.size());
      for (int i = 0; i < rows.size(); i++) {
        Object[] want = rows.get(i);
        List<Object> got = back.get(i);
        assertThat(got.get(4)).isEqualTo(LocalDateTime.of(2024, 5, 1, 10, 0, 0, 123_000_000));
        for (int c = 5; c < cols.size(); c++) {
          Object w = want[c];
          if (w instanceof BigDecimal bd) assertThat(((BigDecimal) got.get(c)).compareTo(bd)).isZero();
          else assertThat(got.get(c)).as("row %d column %s", i, cols.get(c).name()).isEqualTo(w);
        }
        assertThat(got.get(3)).isEqualTo(want[3]);
      }
    }
  }
}
