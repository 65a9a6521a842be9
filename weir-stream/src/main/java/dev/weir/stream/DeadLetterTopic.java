package dev.weir.stream;

import dev.weir.core.util.Secrets;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes a stream's bad records to its dead-letter topic ({@code dead_letter.topic}): the original key and value,
 * with headers naming where the record came from and why it was rejected ({@code weir.stream}, {@code weir.topic},
 * {@code weir.partition}, {@code weir.offset}, {@code weir.error}). Sent and acknowledged before the batch's warehouse
 * transaction commits, so a crash can publish a record twice (consumers dedupe on topic/partition/offset) but never
 * loses one; a failed send fails the batch, which is then not committed.
 */
final class DeadLetterTopic implements AutoCloseable {
  private static final Duration SEND_TIMEOUT = Duration.ofSeconds(60);
  private final StreamSpec spec;
  private final KafkaProducer<byte[], byte[]> producer;

  DeadLetterTopic(StreamSpec spec) {
    this.spec = spec;
    Properties p = new Properties();
    // the stream's connection and security settings, not its consumer-only ones
    for (String k : spec.kafka().properties().keySet()) {
      if (!ConsumerConfig.configNames().contains(k) || ProducerConfig.configNames().contains(k)) p.put(k, spec.kafka().properties().get(k));
    }
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, spec.kafka().bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "weir-" + spec.name() + "-dead-letters");
    producer = new KafkaProducer<>(p);
  }

  /** Sends the records and waits for every acknowledgement; throws when one cannot be published. */
  void publish(List<WarehouseWriter.Bad> bad) {
    List<Future<RecordMetadata>> sent = new ArrayList<>(bad.size());
    for (WarehouseWriter.Bad b : bad) {
      ConsumerRecord<byte[], byte[]> r = b.rec();
      RecordHeaders h = new RecordHeaders();
      h.add("weir.stream", spec.name().getBytes(StandardCharsets.UTF_8));
      h.add("weir.topic", r.topic().getBytes(StandardCharsets.UTF_8));
      h.add("weir.partition", String.valueOf(r.partition()).getBytes(StandardCharsets.UTF_8));
      h.add("weir.offset", String.valueOf(r.offset()).getBytes(StandardCharsets.UTF_8));
      h.add("weir.error", b.error().getBytes(StandardCharsets.UTF_8));
      sent.add(producer.send(new ProducerRecord<>(spec.deadLetter().topic(), null, r.key(), r.value(), h)));
    }
    long deadline = System.nanoTime() + SEND_TIMEOUT.toNanos();
    try {
      for (Future<RecordMetadata> f : sent) f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new StreamStoppedException("Stream '" + spec.name() + "': cannot publish dead letters to topic '" + spec.deadLetter().topic()
          + "': " + Secrets.mask(String.valueOf(cause.getMessage())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StreamStoppedException("Stream '" + spec.name() + "': interrupted while publishing dead letters");
    }
  }

  @Override
  public void close() { producer.close(Duration.ofSeconds(5)); }
}
