package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.stream.KafkaBroker;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code weir stream run|list} against a real Kafka broker (KRaft, in this JVM) and a real DuckDB warehouse. */
class StreamE2ETest {
  static KafkaBroker broker;

  @BeforeAll
  static void startBroker(@TempDir Path dir) throws Exception {
    broker = KafkaBroker.start(dir.resolve("kafka"));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (broker != null) broker.close();
  }

  private static String kafka() {
    return "kafka:\n  bootstrap_servers: \"{{ env_var('KAFKA_BOOTSTRAP') }}\"\n";
  }

  @Test
  void runsStreamsWithTransformJoinUpsertAndDeadLetters(@TempDir Path dir) throws Exception {
    broker.createTopic("orders", 3);
    broker.createTopic("prices", 1);
    List<String[]> orders = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      orders.add(new String[] {"o" + i, "{\"id\": " + i + ", \"amount\": " + (i % 10 - 1) + ", \"country\": \"" + (i % 2 == 0 ? "FR" : "DE") + "\"}"});
    }
    orders.add(new String[] {"broken", "{\"id\": 5000, \"amount\": "});
    orders.add(new String[] {"wrongtype", "{\"id\": \"five\", \"amount\": 1, \"country\": \"FR\"}"});
    broker.produce("orders", orders);
    List<String[]> prices = new ArrayList<>();
    for (int v = 1; v <= 3; v++) {
      for (String sku : List.of("a", "b", "c")) {
        prices.add(new String[] {sku, "{\"sku\": \"" + sku + "\", \"price\": " + (v * 10) + ", \"at\": \"2024-01-0" + (v == 2 ? 9 : v) + " 00:00:00\"}"});
      }
    }
    broker.produce("prices", prices);

    TestProject p = TestProject.create(dir, "streaming", "");
    p.env.put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
    p.file("seeds/countries.csv", "code,name\nFR,France\nDE,Germany\n");
    p.file("streams/orders.yml", "name: orders\n" + kafka() + """
        topics: [orders]
        schema: {id: bigint, amount: integer, country: varchar}
        transform: |
          select b.id, b.amount, c.name as country_name, b._kafka_partition, b._kafka_offset
          from batch b left join main.countries c on c.code = b.country
          where b.amount >= 0
        target: raw.orders
        trigger: {max_records: 700, max_interval: 200ms}
        dead_letter: {relation: raw.order_errors, max_fraction: 0.05}
        """);
    p.file("streams/prices.yml", "name: prices\n" + kafka() + """
        topics: [prices]
        target: raw.prices
        mode: upsert
        key: [sku]
        event_time: at
        schema: {sku: varchar, price: double, at: timestamp}
        """);
    p.run("seed").exits(0);

    TestProject.Result list = p.run("stream", "list");
    list.exits(0);
    assertThat(list.out()).contains("orders").contains("raw.orders").contains("prices").contains("upsert by sku");

    TestProject.Result run = p.run("stream", "run", "--until-caught-up");
    run.exits(0);
    assertThat(run.out()).contains("orders batch 1").contains("records/s").contains("lag").contains("Stopped after");
    // Transform: amount -1 filtered out (300 rows), countries joined from the warehouse.
    assertThat(p.rows("select count(*), count(distinct id), sum(amount) from raw.orders")).containsExactly("2700|2700|10800");
    assertThat(p.rows("select country_name, count(*) from raw.orders group by 1 order by 1")).containsExactly("France|1200", "Germany|1500");
    // Dead letters: undecodable JSON and a value that does not cast to the declared schema.
    assertThat(p.rows("select record_key, error from raw.order_errors order by record_key"))
        .containsExactly("broken|invalid JSON: Unexpected end-of-input within/between Object entries",
            "wrongtype|column id: value five is not a bigint");
    // Upsert by event time: the latest 'at' wins (the 2024-01-09 version, produced second), not the last produced.
    assertThat(p.rows("select sku, price from raw.prices order by sku")).containsExactly("a|20.0", "b|20.0", "c|20.0");
    assertThat(p.rows("select stream, sum(next_offset) from raw.weir_stream_offsets group by 1 order by 1"))
        .containsExactly("orders|3002", "prices|9");

    // Stream tables are sources of the project: a model builds on source('streams', 'orders'), lineage included.
    p.file("models/orders_by_country.sql", """
        select country_name, count(*) as n, sum(amount) as amount from {{ source('streams', 'orders') }} group by 1
        """);
    assertThat(p.run("ls", "-s", "source:streams.orders+", "--output", "name").ok().out().lines())
        .containsExactly("orders", "orders_by_country");
    assertThat(p.run("build", "-s", "orders_by_country").ok().out()).contains("PASS=1");
    assertThat(p.rows("select country_name, n, amount from main.orders_by_country order by 1"))
        .containsExactly("France|1200|4800", "Germany|1500|6000"); // FR: amounts 1,3,5,7 per ten ids; DE: 0,2,4,6,8
    String manifest = p.read("target/manifest.json");
    assertThat(manifest).contains("\"source.streaming.streams.orders\"").contains("\"loader\":\"weir-stream\"")
        .contains("\"model.streaming.orders_by_country\":[\"source.streaming.streams.orders\"]");

    // Run again: nothing new, nothing doubled.
    p.run("stream", "run", "orders", "--until-caught-up").exits(0);
    assertThat(p.rows("select count(*) from raw.orders")).containsExactly("2700");
    // Unknown stream names are a usage error with a suggestion.
    TestProject.Result bad = p.run("stream", "run", "ordrs");
    bad.exits(2);
    assertThat(bad.out() + bad.err()).contains("No stream named 'ordrs'").contains("'orders'");
  }

  @Test
  void aBadRecordRateOverTheThresholdStopsTheStreamWithExitCode1(@TempDir Path dir) throws Exception {
    broker.createTopic("noisy", 1);
    List<String[]> msgs = new ArrayList<>();
    for (int i = 0; i < 100; i++) msgs.add(new String[] {"k" + i, i % 4 == 0 ? "garbage " + i : "{\"id\": " + i + "}"});
    broker.produce("noisy", msgs);
    TestProject p = TestProject.create(dir, "noisy", "");
    p.env.put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
    p.file("streams/noisy.yml", "name: noisy\n" + kafka() + "topics: [noisy]\ntarget: raw.noisy\ndead_letter: {max_fraction: 0.1}\n");
    TestProject.Result r = p.run("stream", "run", "--until-caught-up");
    r.exits(1);
    assertThat(r.out() + r.err()).contains("Stream 'noisy' stopped: 25 of 100 records").contains("nothing of this batch was committed");
    assertThat(p.rows("select count(*) from raw.weir_stream_offsets")).containsExactly("0");
    assertThat(p.rows("select count(*) from raw.weir_dead_letters")).containsExactly("0");
  }

  @Test
  void statusShowsLagPerPartitionRatesAndTheLastRunsState(@TempDir Path dir) throws Exception {
    broker.createTopic("clicks", 2);
    List<String[]> msgs = new ArrayList<>();
    for (int i = 0; i < 500; i++) msgs.add(new String[] {"k" + i, i == 7 ? "not json" : "{\"id\": " + i + "}"});
    broker.produce("clicks", msgs);
    TestProject p = TestProject.create(dir, "clicking", "");
    p.env.put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
    p.file("streams/clicks.yml", "name: clicks\n" + kafka() + """
        topics: [clicks]
        target: raw.clicks
        trigger: {max_records: 100, max_interval: 100ms}
        """);
    TestProject.Result before = p.run("stream", "status").ok();
    assertThat(before.out()).contains("clicks -> raw.clicks: never run").contains("lag 500");

    assertThat(p.run("stream", "run", "--until-caught-up", "--metrics-port", "0").ok().out()).containsPattern("Metrics on http://localhost:\\d+/metrics");
    TestProject.Result after = p.run("stream", "status").ok();
    assertThat(after.out()).contains("clicks -> raw.clicks: stopped").contains("records 500, dead letters 1").contains("lag 0")
        .containsPattern("clicks\\[0\\]  committed \\d+  end \\d+  lag 0").containsPattern("clicks\\[1\\]  committed \\d+  end \\d+  lag 0");

    // New records: the lag grows while the stream does not run; JSON for machines.
    List<String[]> more = new ArrayList<>();
    for (int i = 0; i < 30; i++) more.add(new String[] {"m" + i, "{\"id\": " + (1000 + i) + "}"});
    broker.produce("clicks", more);
    TestProject.Result json = p.run("stream", "status", "clicks", "--output", "json").ok();
    var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out());
    assertThat(tree.get(0).get("state").asText()).isEqualTo("stopped");
    long lag = 0;
    for (var part : tree.get(0).get("partitions")) lag += part.get("lag").asLong();
    assertThat(lag).isEqualTo(30);
    assertThat(tree.get(0).get("records").asLong()).isEqualTo(500);
  }

  @Test
  void avroValuesWithTheConfluentHeaderLandTypedAndBadOnesGoToDeadLetters(@TempDir Path dir) throws Exception {
    broker.createTopic("orders_avro", 1);
    org.apache.avro.Schema schema = new org.apache.avro.Schema.Parser().parse(dev.weir.stream.AvroDecodingTest.SCHEMA);
    try (var producer = broker.producer(false)) {
      for (int i = 1; i <= 20; i++) {
        byte[] v = dev.weir.stream.AvroDecodingTest.encode(schema, dev.weir.stream.AvroDecodingTest.order(schema, i, i % 2 == 0 ? "c" + i : null), true);
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("orders_avro", ("k" + i).getBytes(), v));
      }
      producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("orders_avro", "bad".getBytes(), "{\"id\": 1}".getBytes()));
      producer.flush();
    }
    TestProject p = TestProject.create(dir, "avroing", "");
    p.env.put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
    p.file("schemas/order.avsc", dev.weir.stream.AvroDecodingTest.SCHEMA);
    p.file("streams/orders_avro.yml", "name: orders_avro\n" + kafka() + """
        topics: [orders_avro]
        format: avro
        avro: {schema_file: schemas/order.avsc, framing: confluent}
        target: raw.orders_avro
        """);
    p.run("stream", "run", "--until-caught-up").exits(0);
    assertThat(p.rows("select count(*), count(customer), sum(id), sum(price), min(day), min(\"at\"), min(status) from raw.orders_avro"))
        .containsExactly("20|10|210|246.80|2024-02-29|2024-02-29 00:00:00.123456|PAID");
    assertThat(p.rows("select data_type from information_schema.columns where table_name = 'orders_avro' and column_name in ('price', 'qty') order by column_name"))
        .containsExactly("DECIMAL(10,2)", "INTEGER");
    assertThat(p.rows("select record_key, error from raw.weir_dead_letters"))
        .containsExactly("bad|invalid Avro: no Confluent header (magic byte 0 and a 4-byte schema id)");
  }

  @Test
  void badRecordsAreAlsoPublishedToTheDeadLetterTopicWithWhereTheyCameFromAndWhy(@TempDir Path dir) throws Exception {
    broker.createTopic("payments", 1);
    broker.createTopic("payments_dlq", 1);
    List<String[]> msgs = new ArrayList<>();
    for (int i = 0; i < 50; i++) msgs.add(new String[] {"p" + i, i % 10 == 3 ? "oops " + i : "{\"id\": " + i + "}"});
    broker.produce("payments", msgs);
    TestProject p = TestProject.create(dir, "paying", "");
    p.env.put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
    p.file("streams/payments.yml", "name: payments\n" + kafka() + """
        topics: [payments]
        schema: {id: bigint}
        target: raw.payments
        dead_letter: {topic: payments_dlq, max_fraction: 0.5}
        """);
    p.run("stream", "run", "--until-caught-up").exits(0);
    assertThat(p.rows("select count(*) from raw.payments")).containsExactly("45");
    assertThat(p.rows("select count(*) from raw.weir_dead_letters")).containsExactly("5");

    java.util.Properties cp = new java.util.Properties();
    cp.put("bootstrap.servers", broker.bootstrapServers());
    cp.put("group.id", "dlq-reader");
    cp.put("auto.offset.reset", "earliest");
    cp.put("key.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class.getName());
    cp.put("value.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class.getName());
    List<String> got = new ArrayList<>();
    try (var c = new org.apache.kafka.clients.consumer.KafkaConsumer<String, String>(cp)) {
      c.subscribe(List.of("payments_dlq"));
      long deadline = System.currentTimeMillis() + 20_000;
      while (got.size() < 5 && System.currentTimeMillis() < deadline) {
        for (var r : c.poll(java.time.Duration.ofMillis(500))) {
          got.add(r.key() + "|" + r.value() + "|" + new String(r.headers().lastHeader("weir.topic").value()) + "/"
              + new String(r.headers().lastHeader("weir.offset").value()) + "|" + new String(r.headers().lastHeader("weir.error").value()));
        }
      }
    }
    assertThat(got).hasSize(5).allMatch(g -> g.contains("|payments/") && g.contains("invalid JSON"));
    assertThat(got.get(0)).startsWith("p3|oops 3|payments/3|invalid JSON");
  }
  @Test
  void recordsFailingARowCheckGoToTheDeadLettersNamingTheCheck(@TempDir Path dir) throws Exception {
    broker.createTopic("readings", 2);
    List<String[]> msgs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      String temp = i % 25 == 0 ? "-300" : String.valueOf(i % 40);   // 8 readings below absolute zero
      String unit = i % 50 == 7 ? "\"F\"" : "\"C\"";                   // 4 in the wrong unit
      String sensor = i == 99 ? "null" : "\"s" + (i % 5) + "\"";      // no sensor: the rest of the record is fine
      msgs.add(new String[] {"r" + i, "{\"id\": " + i + ", \"sensor\": " + sensor + ", \"temp\": " + temp + ", \"unit\": " + unit + "}"});
    }
    broker.produce("readings", msgs);
    TestProject p = TestProject.create(dir, "checking", "");
    p.env.put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
    p.file("streams/readings.yml", "name: readings\n" + kafka() + """
        topics: [readings]
        schema: {id: bigint, sensor: varchar, temp: double, unit: varchar}
        checks:
          - {name: above_absolute_zero, expression: "temp >= -273.15"}
          - "unit = 'C'"
          - {name: has_sensor_when_hot, expression: "temp < 39 or sensor is not null"}
        transform: select id, sensor, temp from batch
        target: raw.readings
        dead_letter: {max_fraction: 0.2}
        """);
    p.run("stream", "run", "--until-caught-up").exits(0);
    // 200 - 8 - 4 = 188 rows; record 99 (temp 19, no sensor) meets every check
    assertThat(p.rows("select count(*), min(temp), count(sensor) from raw.readings")).containsExactly("188|0.0|187");
    assertThat(p.rows("select error, count(*) from raw.weir_dead_letters group by 1 order by 1")).containsExactly(
        "check above_absolute_zero failed: temp >= -273.15|8", "check failed: unit = 'C'|4");

    // a check over a column the batch does not have stops the stream with the reason, committing nothing
    p.file("streams/readings_b.yml", "name: readings_b\n" + kafka() + """
        topics: [readings]
        schema: {id: bigint, sensor: varchar, temp: double, unit: varchar}
        checks: ["humidity < 100"]
        target: raw.readings_b
        """);
    TestProject.Result bad = p.run("stream", "run", "readings_b", "--until-caught-up");
    bad.exits(1);
    assertThat(bad.out() + bad.err()).contains("Stream 'readings_b': a check does not run on the batch's columns").contains("humidity");
    assertThat(p.relationExists("raw", "readings_b")).isFalse();
  }
}
