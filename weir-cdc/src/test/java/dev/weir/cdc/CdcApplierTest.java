package dev.weir.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.core.engine.Engine;
import dev.weir.core.engine.Session;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The applier's idempotence guard on a real DuckDB warehouse: changes delivered again are skipped. */
class CdcApplierTest {
  static final Schema KEY = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
  static final Schema ROW = SchemaBuilder.struct().optional().field("id", Schema.INT32_SCHEMA).field("v", Schema.OPTIONAL_STRING_SCHEMA).build();

  static CdcApplier.Change change(char op, int id, String v, long commitLsn, long lsn) {
    Struct s = new Struct(ROW).put("id", id).put("v", v);
    return new CdcApplier.Change("public.t", op, KEY, ROW, s, new CdcApplier.Position(commitLsn, lsn), 7, 1_700_000_000_000L + lsn, false);
  }

  @Test
  void changesAtOrBeforeTheStoredPositionAreSkipped(@TempDir Path dir) {
    CdcSpec spec = CdcSpecs.parse("""
        name: g
        database: d
        user: u
        password: {env_var: P}
        tables: [public.t]
        history: true
        """, "cdc/g.yml", Map.of("P", "x")).get(0);
    List<CdcApplier.Change> first = List.of(change('c', 1, "a", 100, 110), change('u', 1, "b", 100, 120), change('c', 2, "x", 100, 130));
    List<CdcApplier.Change> second = new ArrayList<>(first.subList(1, 3)); // delivered again after a restart
    second.add(change('u', 1, "c", 200, 210));
    second.add(change('d', 2, "x", 200, 220));
    try (Engine e = CdcRunnerTest.duckdb(dir)) {
      try (Session s = e.openSession()) {
        CdcApplier a = new CdcApplier(spec, e, s);
        assertThat(a.setup()).isNull();
        CdcApplier.Applied r1 = a.apply(first, "k", "v1", first.get(2).position(), 0);
        assertThat(r1.applied()).isEqualTo(3);
        // a new applier (a restarted process) reads the stored position back
        CdcApplier b = new CdcApplier(spec, e, s);
        assertThat(b.setup().position()).isEqualTo(new CdcApplier.Position(100, 130));
        CdcApplier.Applied r2 = b.apply(second, "k", "v2", second.get(3).position(), 0);
        assertThat(r2.skipped()).isEqualTo(2);
        assertThat(r2.applied()).isEqualTo(2);
        // all of it again: nothing to do
        assertThat(b.apply(second, "k", "v2", second.get(3).position(), 0).applied()).isZero();
      }
      assertThat(CdcRunnerTest.wh(e, "select id, v, _weir_op from raw_g.t order by id")).containsExactly("1|c|u");
      assertThat(CdcRunnerTest.wh(e, "select _weir_seq, id, v, _weir_op, _weir_valid_to is null from raw_g.t_history order by _weir_seq"))
          .containsExactly("1|1|a|c|false", "2|1|b|u|false", "3|2|x|c|false", "4|1|c|u|true", "5|2|x|d|true");
      assertThat(CdcRunnerTest.wh(e, "select offset_value, commit_lsn, lsn, events, history_rows from raw_g.weir_cdc_offsets"))
          .containsExactly("v2|200|220|5|5");
    }
  }
}
