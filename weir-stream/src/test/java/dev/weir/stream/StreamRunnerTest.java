package dev.weir.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.core.engine.Engine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streams from a real broker into a real DuckDB file, through {@link StreamRunner}. */
class StreamRunnerTest {
  static KafkaBroker broker;

  @BeforeAll
  static void startBroker(@TempDir Path dir) throws Exception {
    broker = KafkaBroker.start(dir.resolve("kafka"));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (broker != null) broker.close();
  }

  private static StreamSpec spec(String name, String topic, String extra) {
    return StreamSpecs.parse("name: " + name + "\nkafka: {bootstrap_servers: '" + broker.bootstrapServers() + "', properties: {heartbeat.interval.ms: 100}}\ntopics: [" + topic
        + "]\ntarget: raw." + name + "\ntrigger: {max_records: 300, max_interval: 200ms}\n" + extra, "streams/" + name + ".yml", Map.of()).get(0);
  }

  private static StreamRunner.Result run(Engine e, StreamSpec spec, List<BatchReport> reports) throws Exception {
    return new StreamRunner(e, List.of(spec), new StreamRunner.Options(true, 0, 0), new StreamRunner.Listener() {
      @Override public void batch(BatchReport r) { reports.add(r); }
      @Override public void info(String m) {}
    }).run();
  }

  @Test
  void appendsInferredRowsWithDriftDeadLettersAndResumesFromWarehouseOffsets(@TempDir Path dir) throws Exception {
    broker.createTopic("events", 2);
    List<String[]> msgs = new ArrayList<>();
    for (int i = 0; i < 1000; i++) msgs.add(new String[] {"k" + i, "{\"id\": " + i + ", \"amount\": " + (i % 7) + ", \"who\": \"u" + i + "\"}"});
    msgs.add(new String[] {"bad1", "{\"id\": "});
    msgs.add(new String[] {"bad2", "[1, 2]"});
    msgs.add(new String[] {"tomb", null});
    broker.produce("events", msgs);
    List<BatchReport> reports = new CopyOnWriteArrayList<>();
    try (Engine e = TestWarehouse.duckdb(dir)) {
      StreamRunner.Result r = run(e, spec("events", "events", ""), reports);
      assertThat(r.failure()).isNull();
      assertThat(TestWarehouse.scalar(e, "select count(*) from raw.events")).isEqualTo(1000L);
      assertThat(TestWarehouse.scalar(e, "select count(distinct (_kafka_partition, _kafka_offset)) from raw.events")).isEqualTo(1000L);
      assertThat(TestWarehouse.scalar(e, "select sum(id) from raw.events")).isEqualTo(499500L);
      assertThat(TestWarehouse.rows(e, "select record_key, error, payload from raw.weir_dead_letters order by record_key"))
          .extracting(row -> row.get(0) + "|" + row.get(1))
          .containsExactly("bad1|invalid JSON: Unexpected end-of-input within/between Object entries", "bad2|not a JSON object (a array)");
      assertThat(TestWarehouse.scalar(e, "select sum(next_offset) from raw.weir_stream_offsets where stream = 'events'")).isEqualTo(1003L);
      assertThat(reports).isNotEmpty();
      assertThat(reports.stream().mapToInt(BatchReport::records).sum()).isEqualTo(1003);

      // Drift: a new field and a wider type; a restart resumes after the committed offsets (no duplicates).
      broker.produce("events", List.of(new String[] {"n1", "{\"id\": 1001, \"amount\": 2.5, \"who\": 5, \"country\": \"FR\"}"},
          new String[] {"n2", "{\"id\": 1002, \"amount\": 3, \"who\": \"x\"}"}));
      assertThat(run(e, spec("events", "events", ""), reports).failure()).isNull();
      assertThat(TestWarehouse.scalar(e, "select count(*) from raw.events")).isEqualTo(1002L);
      assertThat(TestWarehouse.rows(e, "select column_name, data_type from duckdb_columns() where table_name = 'events'"
          + " and column_name in ('amount', 'who', 'country') order by column_name"))
          .extracting(row -> row.get(0) + " " + row.get(1)).containsExactly("amount DOUBLE", "country VARCHAR", "who VARCHAR");
      assertThat(TestWarehouse.scalar(e, "select country from raw.events where id = 1001")).isEqualTo("FR");
    }
  }

  @Test
  void tooManyBadRecordsStopTheStreamWithNothingOfTheBatchCommitted(@TempDir Path dir) throws Exception {
    broker.createTopic("dirty", 1);
    List<String[]> msgs = new ArrayList<>();
    for (int i = 0; i < 20; i++) msgs.add(new String[] {"k" + i, i % 2 == 0 ? "{\"id\": " + i + "}" : "not json " + i});
    broker.produce("dirty", msgs);
    try (Engine e = TestWarehouse.duckdb(dir)) {
      StreamRunner.Result r = run(e, spec("dirty", "dirty", "dead_letter: {max_fraction: 0.2}\n"), new ArrayList<>());
      assertThat(r.failure()).isInstanceOf(StreamStoppedException.class);
      assertThat(r.failure().getMessage()).contains("10 of 20 records").contains("max_fraction 0.2").contains("nothing of this batch was committed");
      assertThat(TestWarehouse.scalar(e, "select count(*) from raw.weir_stream_offsets where stream = 'dirty'")).isEqualTo(0L);
      assertThat(TestWarehouse.scalar(e, "select count(*) from raw.weir_dead_letters where stream = 'dirty'")).isEqualTo(0L);
    }
  }

  @Test
  void upsertWithTransformKeepsLatestByOffsetAndRoutesFailingRows(@TempDir Path dir) throws Exception {
    broker.createTopic("users", 1);
    List<String[]> msgs = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int u = 0; u < 50; u++) msgs.add(new String[] {"u" + u, "{\"user_id\": " + u + ", \"score\": \"" + (round * 100 + u) + "\"}"});
    }
    msgs.add(new String[] {"bad", "{\"user_id\": 7, \"score\": \"lots\"}"});
    broker.produce("users", msgs);
    try (Engine e = TestWarehouse.duckdb(dir)) {
      StreamSpec spec = spec("users", "users", "mode: upsert\nkey: [user_id]\n"
          + "transform: select user_id, cast(score as integer) as score, _kafka_offset from batch where user_id <> 49\n");
      StreamRunner.Result r = run(e, spec, new ArrayList<>());
      assertThat(r.failure()).isNull();
      assertThat(TestWarehouse.scalar(e, "select count(*) from raw.users")).isEqualTo(49L);
      assertThat(TestWarehouse.scalar(e, "select min(score) from raw.users")).isEqualTo(200L);
      assertThat(TestWarehouse.scalar(e, "select score from raw.users where user_id = 7")).isEqualTo(207L);
      assertThat(TestWarehouse.scalar(e, "select error from raw.weir_dead_letters where stream = 'users'").toString())
          .startsWith("transform failed:").contains("lots");
    }
  }
}
