package dev.weir.core.execute;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Snapshots' expand_target_column_types: which target types widen to hold the query's. */
class SnapshotWidenTest {
  @Test
  void stringsGrowToTheLongerLengthOrUnbounded() {
    assertThat(Snapshotter.wider("character varying(10)", "character varying(50)")).isEqualTo("character varying(50)");
    assertThat(Snapshotter.wider("character varying(50)", "character varying(10)")).isNull();
    assertThat(Snapshotter.wider("character varying(10)", "text")).isEqualTo("text");
    assertThat(Snapshotter.wider("text", "character varying(10)")).isNull();
    assertThat(Snapshotter.wider("VARCHAR", "VARCHAR")).isNull();
  }

  @Test
  void numericsKeepTheirIntegerDigitsAndScale() {
    assertThat(Snapshotter.wider("numeric(10,2)", "numeric(14,4)")).isEqualTo("numeric(14,4)");
    assertThat(Snapshotter.wider("numeric(10,2)", "numeric(10,4)")).isEqualTo("numeric(12,4)");
    assertThat(Snapshotter.wider("DECIMAL(18,3)", "DECIMAL(10,2)")).isNull();
    assertThat(Snapshotter.wider("numeric(10,2)", "integer")).isNull();
  }
}
