package dev.weir.cdc;

import dev.weir.core.util.Secrets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Publishes a CDC source's change events to Kafka ({@code publish:} in its YAML), one topic per table
 * ({@code <topic_prefix>.<schema>.<table>}, created when missing), each event Debezium's JSON envelope
 * (op, before, after, source with its position, ts_ms) with its Connect schema ({@code {"schema": ..., "payload": ...}},
 * Kafka Connect's default), keyed by the row's primary key as JSON. A batch
 * is published and acknowledged by the brokers (acks=all, idempotent producer) before the warehouse
 * commits it, so no change that reached the warehouse is missing from Kafka; a crash between the two
 * publishes the batch again on restart (at least once: consumers dedupe by {@code source.lsn} /
 * binlog position).
 */
final class CdcPublisher implements AutoCloseable {
  private final CdcSpec spec;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Admin admin;
  private final JsonConverter keys = new JsonConverter();
  private final JsonConverter values = new JsonConverter();
  private final Set<String> topics = new HashSet<>();

  CdcPublisher(CdcSpec spec) {
    this.spec = spec;
    CdcSpec.Publish p = spec.publish();
    Properties props = new Properties();
    props.putAll(p.properties());
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, p.bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "weir-cdc-" + spec.name());
    props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    Properties adminProps = new Properties();
    adminProps.putAll(p.properties());
    adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, p.bootstrapServers());
    for (String k : List.copyOf(adminProps.stringPropertyNames())) {
      if (!AdminClientConfig.configNames().contains(k)) adminProps.remove(k);
    }
    this.producer = new KafkaProducer<>(props);
    this.admin = Admin.create(adminProps);
    // values with their schema, as Kafka Connect writes by default (consumers, a Weir stream with format debezium too, get
    // typed values; publish.schemas: false leaves it out); keys without, so that their bytes, which pick the partition, stay put
    keys.configure(Map.of("schemas.enable", "false"), true);
    values.configure(Map.of("schemas.enable", String.valueOf(p.schemas())), false);
  }

  /** The topic of a table ({@code schema.table}, {@code database.table} for binlog sources). */
  String topic(String table) {
    return spec.publish().topicPrefix() + "." + table;
  }

  /** Sends the events and waits until the brokers have them all; a failure stops the source before its warehouse commit. */
  void publish(List<String> tables, List<SourceRecord> records) {
    if (records.isEmpty()) return;
    ensureTopics(tables);
    List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      SourceRecord r = records.get(i);
      String topic = topic(tables.get(i));
      byte[] key = r.key() == null ? null : keys.fromConnectData(topic, r.keySchema(), r.key());
      byte[] value = values.fromConnectData(topic, r.valueSchema(), r.value());
      sent.add(producer.send(new ProducerRecord<>(topic, key, value)));
    }
    producer.flush();
    try {
      for (Future<RecordMetadata> f : sent) f.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new CdcStoppedException("CDC source '" + spec.name() + "': publishing change events to Kafka at "
          + spec.publish().bootstrapServers() + " failed (" + spec.file() + ":" + spec.line() + "): " + Secrets.mask(String.valueOf(cause.getMessage()))
          + "; nothing of the batch was committed to the warehouse");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CdcStoppedException("CDC source '" + spec.name() + "': interrupted while publishing to Kafka");
    }
  }

  private void ensureTopics(List<String> tables) {
    List<NewTopic> missing = new ArrayList<>();
    for (String t : new HashSet<>(tables)) {
      String topic = topic(t);
      if (topics.add(topic)) missing.add(new NewTopic(topic, java.util.Optional.empty(), java.util.Optional.empty()));
    }
    if (missing.isEmpty()) return;
    try {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      missing.removeIf(nt -> existing.contains(nt.name()));
      if (!missing.isEmpty()) admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        for (NewTopic nt : missing) topics.remove(nt.name());
        throw new CdcStoppedException("CDC source '" + spec.name() + "': cannot create Kafka topics " + missing.stream().map(NewTopic::name).toList()
            + " at " + spec.publish().bootstrapServers() + ": " + Secrets.mask(String.valueOf(e.getCause().getMessage())));
      }
    } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
      for (NewTopic nt : missing) topics.remove(nt.name());
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      throw new CdcStoppedException("CDC source '" + spec.name() + "': Kafka at " + spec.publish().bootstrapServers() + " did not answer");
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
    admin.close(Duration.ofSeconds(10));
  }
}
