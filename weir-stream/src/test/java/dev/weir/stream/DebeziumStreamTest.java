package dev.weir.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.core.engine.Engine;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Format debezium: change events in Debezium's JSON envelope (as Kafka Connect's JSON converter writes them, with and
 * without schemas) from a real broker applied to a real DuckDB table by key: inserts and updates upsert, deletes remove,
 * truncates empty, logical types (decimal, timestamps, dates) arrive typed.
 */
class DebeziumStreamTest {
  static KafkaBroker broker;

  @BeforeAll
  static void startBroker(@TempDir Path dir) throws Exception {
    broker = KafkaBroker.start(dir.resolve("kafka"));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (broker != null) broker.close();
  }

  private static StreamRunner.Result run(Engine e, String name, String topic, String extra) throws Exception {
    StreamSpec spec = StreamSpecs.parse("name: " + name + "\nkafka: {bootstrap_servers: '" + broker.bootstrapServers() + "'}\ntopics: [" + topic
        + "]\nformat: debezium\ntarget: raw." + name + "\ntrigger: {max_records: 4, max_interval: 200ms}\n" + extra, "streams/" + name + ".yml", Map.of()).get(0);
    return new StreamRunner(e, List.of(spec), new StreamRunner.Options(true, 0, 0), new StreamRunner.Listener() {
      @Override public void batch(BatchReport r) {}
      @Override public void info(String m) {}
    }).run();
  }

  // ---- events as Kafka Connect's JsonConverter writes them with schemas.enable=true

  private static final String ROW_SCHEMA = "{\"type\":\"struct\",\"optional\":true,\"name\":\"shop.public.orders.Value\",\"fields\":["
      + "{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"},"
      + "{\"type\":\"bytes\",\"optional\":true,\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,"
      + "\"parameters\":{\"scale\":\"2\",\"connect.decimal.precision\":\"10\"},\"field\":\"price\"},"
      + "{\"type\":\"int64\",\"optional\":true,\"name\":\"io.debezium.time.MicroTimestamp\",\"version\":1,\"field\":\"placed\"},"
      + "{\"type\":\"int32\",\"optional\":true,\"name\":\"io.debezium.time.Date\",\"version\":1,\"field\":\"due\"},"
      + "{\"type\":\"string\",\"optional\":true,\"field\":\"note\"}]";

  private static String schema(String rowSchemaField) {
    return "{\"type\":\"struct\",\"name\":\"shop.public.orders.Envelope\",\"fields\":[" + ROW_SCHEMA + ",\"field\":\"before\"}," + ROW_SCHEMA
        + ",\"field\":\"after\"},{\"type\":\"struct\",\"fields\":[{\"type\":\"int64\",\"field\":\"ts_ms\"}],\"field\":\"source\"},"
        + "{\"type\":\"string\",\"field\":\"op\"},{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}]}";
  }

  private static String row(int id, String price, LocalDateTime placed, LocalDate due, String note) {
    String p = Base64.getEncoder().encodeToString(new BigDecimal(price).unscaledValue().toByteArray());
    long micros = placed.toEpochSecond(ZoneOffset.UTC) * 1_000_000L + placed.getNano() / 1000;
    return "{\"id\":" + id + ",\"price\":\"" + p + "\",\"placed\":" + micros + ",\"due\":" + due.toEpochDay() + ",\"note\":"
        + (note == null ? "null" : "\"" + note + "\"") + "}";
  }

  private static String[] event(int id, String op, String before, String after, long ts) {
    String payload = "{\"before\":" + before + ",\"after\":" + after + ",\"source\":{\"ts_ms\":" + ts + "},\"op\":\"" + op
        + "\",\"ts_ms\":" + (ts + 5) + "}";
    String key = "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"id\"}],"
        + "\"optional\":false,\"name\":\"shop.public.orders.Key\"},\"payload\":{\"id\":" + id + "}}";
    return new String[] {key, "{\"schema\":" + schema(null) + ",\"payload\":" + payload + "}"};
  }

  @Test
  void changeEventsWithSchemasApplyByPrimaryKeyWithTypedValues(@TempDir Path dir) throws Exception {
    broker.createTopic("shop.public.orders", 1);
    LocalDateTime t0 = LocalDateTime.of(2026, 3, 1, 9, 30, 15, 123_456_000);
    LocalDate due = LocalDate.of(2026, 3, 8);
    List<String[]> msgs = new ArrayList<>();
    long ts = 1_772_000_000_000L;
    for (int id = 1; id <= 3; id++) msgs.add(event(id, "r", "null", row(id, id + "0.50", t0, due, "n" + id), ts));
    msgs.add(event(4, "c", "null", row(4, "40.00", t0.plusHours(1), due, null), ts + 1));
    msgs.add(event(2, "u", row(2, "20.50", t0, due, "n2"), row(2, "21.75", t0, due.plusDays(1), "changed"), ts + 2));
    msgs.add(event(3, "d", row(3, "30.50", t0, due, "n3"), "null", ts + 3));
    msgs.add(new String[] {"{\"id\":3}", null}); // the tombstone that follows a delete
    msgs.add(event(5, "c", "null", row(5, "5.00", t0, due, "short-lived"), ts + 4));
    msgs.add(event(5, "d", "null", "null", ts + 5)); // a delete without a before image: its row is the key
    msgs.add(new String[] {"{\"id\":9}", "{\"op\":\"c\"}"}); // no after image: a dead letter
    String[] wrongType = event(8, "c", "null", row(8, "8.00", t0, due, "x"), ts + 6);
    wrongType[1] = wrongType[1].replace("\"after\":{\"id\":8", "\"after\":{\"id\":\"eight\""); // not the schema's int32: a dead letter
    msgs.add(wrongType);
    broker.produce("shop.public.orders", msgs);
    try (Engine e = TestWarehouse.duckdb(dir)) {
      StreamRunner.Result r = run(e, "orders", "shop.public.orders", "dead_letter: {max_fraction: 0.9}\n");
      assertThat(r.failure()).isNull();
      assertThat(TestWarehouse.rows(e, "select id, price, placed, due, note, _weir_op from raw.orders order by id"))
          .extracting(Object::toString)
          .containsExactly("[1, 10.50, 2026-03-01T09:30:15.123456, 2026-03-08, n1, r]",
              "[2, 21.75, 2026-03-01T09:30:15.123456, 2026-03-09, changed, u]",
              "[4, 40.00, 2026-03-01T10:30:15.123456, 2026-03-08, null, c]");
      assertThat(TestWarehouse.rows(e, "select column_name, data_type from duckdb_columns() where table_name = 'orders'"
          + " and column_name in ('id', 'price', 'placed', 'due', '_weir_commit_ts') order by column_name"))
          .extracting(row -> row.get(0) + " " + row.get(1))
          .containsExactly("_weir_commit_ts TIMESTAMP", "due DATE", "id INTEGER", "placed TIMESTAMP", "price DECIMAL(10,2)");
      assertThat(TestWarehouse.rows(e, "select error from raw.weir_dead_letters where stream = 'orders' order by record_offset"))
          .extracting(row -> row.get(0)).containsExactly("Debezium 'c' event without an 'after' image",
              "column id: value \"eight\" is not of its schema's type int32");

      // A truncate empties the table; what follows it applies; the restart resumes after the committed offsets.
      broker.produce("shop.public.orders", List.of(event(6, "c", "null", row(6, "6.00", t0, due, "before truncate"), ts + 6),
          new String[] {null, "{\"schema\":" + schema(null) + ",\"payload\":{\"before\":null,\"after\":null,\"source\":{\"ts_ms\":" + (ts + 7)
              + "},\"op\":\"t\",\"ts_ms\":1}}"},
          event(7, "c", "null", row(7, "7.00", t0, due, "after truncate"), ts + 8)));
      assertThat(run(e, "orders", "shop.public.orders", "dead_letter: {max_fraction: 0.9}\n").failure()).isNull();
      assertThat(TestWarehouse.rows(e, "select id, note from raw.orders order by id")).extracting(Object::toString)
          .containsExactly("[7, after truncate]");
    }
  }

  @Test
  void aTruncateSupersedesEarlierEventsBeforeTheTransformAndChecksSkipDeletes(@TempDir Path dir) throws Exception {
    broker.createTopic("inv.parts", 1);
    String c = "{\"before\":null,\"after\":{\"id\":%d,\"note\":\"n%d\"},\"source\":{\"ts_ms\":1000},\"op\":\"c\"}";
    broker.produce("inv.parts", List.of(new String[] {"{\"id\":1}", c.formatted(1, 1)}, new String[] {"{\"id\":2}", c.formatted(2, 2)},
        new String[] {null, "{\"before\":null,\"after\":null,\"source\":{\"ts_ms\":1001},\"op\":\"t\"}"},
        new String[] {"{\"id\":3}", c.formatted(3, 3)}, new String[] {"{\"id\":4}", c.formatted(4, 4)},
        // a delete whose before image holds only the key: the row check must not turn it into a dead letter
        new String[] {"{\"id\":4}", "{\"before\":{\"id\":4,\"note\":null},\"after\":null,\"source\":{\"ts_ms\":1002},\"op\":\"d\"}"}));
    try (Engine e = TestWarehouse.duckdb(dir)) {
      // the transform keeps no partition column: the truncate must still drop ids 1 and 2 of its batch
      StreamRunner.Result r = run(e, "parts", "inv.parts", "transform: select id, note, _weir_op, _kafka_offset from batch\n"
          + "checks: ['note is not null']\n");
      assertThat(r.failure()).isNull();
      assertThat(TestWarehouse.rows(e, "select id, note from raw.parts order by id")).extracting(Object::toString).containsExactly("[3, n3]");
      assertThat(TestWarehouse.scalar(e, "select count(*) from raw.weir_dead_letters where stream = 'parts'")).isEqualTo(0L);
    }
  }

  @Test
  void schemalessEventsApplyByTheirKeyAndAppendModeKeepsTheChangeLog(@TempDir Path dir) throws Exception {
    broker.createTopic("inv.items", 2);
    List<String[]> msgs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      msgs.add(new String[] {"{\"sku\":\"s" + i + "\"}", "{\"before\":null,\"after\":{\"sku\":\"s" + i + "\",\"qty\":" + i
          + "},\"source\":{\"ts_ms\":1000},\"op\":\"c\"}"});
    }
    for (int i = 0; i < 40; i += 2) {
      msgs.add(new String[] {"{\"sku\":\"s" + i + "\"}", "{\"before\":{\"sku\":\"s" + i + "\",\"qty\":" + i + "},\"after\":{\"sku\":\"s" + i
          + "\",\"qty\":" + (i + 1000) + "},\"source\":{\"ts_ms\":2000},\"op\":\"u\"}"});
    }
    for (int i = 0; i < 40; i += 4) {
      msgs.add(new String[] {"{\"sku\":\"s" + i + "\"}", "{\"before\":{\"sku\":\"s" + i + "\"},\"after\":null,\"source\":{\"ts_ms\":3000},\"op\":\"d\"}"});
    }
    broker.produce("inv.items", msgs);
    try (Engine e = TestWarehouse.duckdb(dir)) {
      assertThat(run(e, "items", "inv.items", "").failure()).isNull();
      // 40 created, every 4th deleted (10), every even one (20, of which 10 deleted) updated
      assertThat(TestWarehouse.scalar(e, "select count(*) from raw.items")).isEqualTo(30L);
      assertThat(TestWarehouse.scalar(e, "select count(*) from raw.items where qty >= 1000")).isEqualTo(10L);
      assertThat(TestWarehouse.scalar(e, "select count(*) from raw.items where sku in ('s0', 's4', 's36')")).isEqualTo(0L);
      assertThat(TestWarehouse.scalar(e, "select qty from raw.items where sku = 's2'")).isEqualTo(1002L);

      assertThat(run(e, "items_log", "inv.items", "mode: append\n").failure()).isNull();
      assertThat(TestWarehouse.rows(e, "select _weir_op, count(*) from raw.items_log group by 1 order by 1")).extracting(Object::toString)
          .containsExactly("[c, 40]", "[d, 10]", "[u, 20]");
    }
  }
}
