package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.cdc.CdcSource;
import dev.weir.stream.KafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code publish:} on a CDC source: every change event also goes to a Kafka topic per table (Debezium's JSON
 * envelope, keyed by the primary key), acknowledged before the warehouse commits; real Postgres, real broker.
 */
class CdcPublishE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void changeEventsArePublishedPerTableBeforeTheWarehouseCommits(@TempDir Path dir) throws Exception {
    try (CdcSource src = CdcSource.start(dir.resolve("pg")); KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"))) {
      src.sql("create table public.items (id int primary key, name text, qty int)", "alter table public.items replica identity full",
          "insert into public.items values (1, 'a', 10), (2, 'b', 20)");
      TestProject p = project(dir, src, broker, "public.items", "topic_prefix: shop_events");
      p.run("cdc", "run", "--until-caught-up").ok();
      src.sql("insert into public.items values (3, 'c', 30)", "update public.items set qty = 11 where id = 1",
          "delete from public.items where id = 2");
      p.run("cdc", "run", "--until-caught-up").ok();
      // the warehouse has the changes ...
      assertThat(p.rows("select id, name, qty from raw_shop.items order by id")).containsExactly("1|a|11", "3|c|30");
      // ... and the topic has every event, in source order, keyed by the primary key
      List<ConsumerRecord<byte[], byte[]>> events = readAll(broker.bootstrapServers(), "shop_events.public.items");
      List<String> seen = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : events) {
        // values as Kafka Connect's JSON with schemas ({"schema": ..., "payload": ...}), keys without (they pick the partition)
        JsonNode v = JSON.readTree(r.value()).get("payload");
        JsonNode k = JSON.readTree(r.key());
        assertThat(JSON.readTree(r.value()).at("/schema/name").asText()).endsWith("items.Envelope");
        JsonNode row = v.get("op").asText().equals("d") ? v.get("before") : v.get("after");
        seen.add(v.get("op").asText() + " " + k.get("id").asInt() + " " + row.get("qty").asInt());
        assertThat(v.at("/source/table").asText()).isEqualTo("items");
      }
      assertThat(seen).containsExactly("r 1 10", "r 2 20", "c 3 30", "u 1 11", "d 2 20");

      // a restart with nothing new publishes nothing again
      p.run("cdc", "run", "--until-caught-up").ok();
      assertThat(readAll(broker.bootstrapServers(), "shop_events.public.items")).hasSize(5);

      // Kafka unreachable: the source stops naming the broker, and the warehouse is not ahead of Kafka
      p.env.put("KAFKA_BOOTSTRAP", "localhost:1");
      p.file("cdc/shop.yml", p.read("cdc/shop.yml").replace("topic_prefix: shop_events", "topic_prefix: shop_events\n  properties: {max.block.ms: 3000, request.timeout.ms: 3000, delivery.timeout.ms: 5000, default.api.timeout.ms: 4000}"));
      src.sql("insert into public.items values (4, 'd', 40)");
      TestProject.Result down = p.run("cdc", "run", "--until-caught-up");
      assertThat(down.exitCode()).as(down.toString()).isNotZero();
      assertThat(down.out() + down.err()).contains("localhost:1");
      assertThat(p.rows("select count(*) from raw_shop.items where id = 4")).containsExactly("0");
      // back up: the change arrives in both
      p.env.put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
      p.run("cdc", "run", "--until-caught-up").ok();
      assertThat(p.rows("select count(*) from raw_shop.items where id = 4")).containsExactly("1");
      assertThat(readAll(broker.bootstrapServers(), "shop_events.public.items")).hasSize(6);
      src.dropSlot("weir_shop", "weir_shop");
    }
  }

  /**
   * Kafka as the only transport: the CDC source publishes to Kafka and writes no warehouse table ({@code publish.warehouse:
   * false}); a stream with format debezium applies the topic to the warehouse by primary key. After a mixed run of inserts,
   * updates, deletes and a truncate, over restarts of both, the warehouse table equals the source table, values typed.
   */
  @Test
  void kafkaAsTheOnlyTransportAStreamAppliesThePublishedChanges(@TempDir Path dir) throws Exception {
    try (CdcSource src = CdcSource.start(dir.resolve("pg")); KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"))) {
      src.sql("create table public.orders (id int primary key, customer text, amount numeric(10,2), placed timestamp, due date)",
          "insert into public.orders select g, 'c' || (g % 7), g * 1.25, timestamp '2026-01-01 08:00:00.250' + g * interval '1 minute',"
              + " date '2026-02-01' + g from generate_series(1, 200) g");
      TestProject p = project(dir, src, broker, "public.orders", "topic_prefix: shop\n  warehouse: false");
      p.file("streams/orders.yml", """
          name: orders
          kafka: {bootstrap_servers: "{{ env_var('KAFKA_BOOTSTRAP') }}"}
          topics: [shop.public.orders]
          format: debezium
          target: raw.orders
          """);
      // the DAG's source is the stream's table, not the CDC source's (it writes none)
      assertThat(p.run("ls", "--resource-type", "source", "--output", "path").ok().out().lines()).containsExactly("streams/orders.yml");
      p.run("cdc", "run", "--until-caught-up").ok();
      p.run("stream", "run", "--until-caught-up").ok();
      // the same spelling on both sides: amounts in cents, timestamps in epoch milliseconds
      String sourceRows = "select id, customer, (amount * 100)::bigint, (extract(epoch from placed) * 1000)::bigint, due::text from public.orders order by id";
      String warehouseRows = "select id, customer, cast(amount * 100 as bigint), epoch_ms(placed), cast(due as varchar) from raw.orders order by id";
      assertThat(p.rows(warehouseRows)).hasSize(200).containsExactlyElementsOf(src.rows(sourceRows));

      // mixed changes over restarts of both; a truncate in the middle
      java.util.Random rnd = new java.util.Random(7);
      for (int round = 0; round < 3; round++) {
        List<String> sql = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
          int id = 1 + rnd.nextInt(260);
          switch (rnd.nextInt(3)) {
            case 0 -> sql.add("insert into public.orders values (" + id + ", 'n" + round + "', " + i + ".5, now()::timestamp(3), current_date)"
                + " on conflict (id) do update set customer = excluded.customer, amount = excluded.amount");
            case 1 -> sql.add("update public.orders set amount = amount + 1, customer = customer || 'u' where id = " + id);
            default -> sql.add("delete from public.orders where id = " + id);
          }
        }
        if (round == 1) sql.add(75, "truncate public.orders");
        src.sql(sql.toArray(new String[0]));
        p.run("cdc", "run", "--until-caught-up").ok();
        p.run("stream", "run", "--until-caught-up").ok();
      }
      List<String> expected = src.rows(sourceRows);
      assertThat(expected).isNotEmpty();
      assertThat(p.rows(warehouseRows)).containsExactlyElementsOf(expected);
      assertThat(p.rows("select data_type from information_schema.columns where table_name = 'orders' and column_name in ('amount', 'placed', 'due')"
          + " order by column_name")).containsExactly("DECIMAL(10,2)", "DATE", "TIMESTAMP");
      // the source wrote no table of its own to the warehouse
      assertThat(p.rows("select count(*) from information_schema.tables where table_schema = 'raw_shop' and table_name = 'orders'")).containsExactly("0");
      src.dropSlot("weir_shop", "weir_shop");
    }
  }

  /** A project with CDC source {@code shop} on {@code table} of the Postgres server, publishing to the broker ({@code publish} lines added). */
  private static TestProject project(Path dir, CdcSource src, KafkaBroker broker, String table, String publish) {
    TestProject p = TestProject.create(dir.resolve("project"), "cdcpub", "");
    p.env.put("PGPW", "x");
    p.env.put("KAFKA_BOOTSTRAP", broker.bootstrapServers());
    p.file("cdc/shop.yml", """
        name: shop
        host: localhost
        port: %d
        database: postgres
        user: postgres
        password: "{{ env_var('PGPW') }}"
        tables: [%s]
        publish:
          bootstrap_servers: "{{ env_var('KAFKA_BOOTSTRAP') }}"
          %s
        """.formatted(src.port(), table, publish));
    return p;
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(topic, Duration.ofSeconds(30)).forEach(pi -> parts.add(new TopicPartition(topic, pi.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      var end = c.endOffsets(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline && parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) out.add(r);
      }
    }
    return out;
  }
}
