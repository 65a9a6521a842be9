package dev.weir.stream;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka broker (KRaft, one combined broker/controller node) in the test JVM, with helpers
 * to create topics and produce records. Tests and the benchmark use it; it is no mock.
 */
public final class KafkaBroker implements AutoCloseable {
  private final KafkaClusterTestKit cluster;

  private KafkaBroker(KafkaClusterTestKit cluster) { this.cluster = cluster; }

  /** Starts a one-node cluster with its files under {@code baseDir} (null: a temp folder). */
  public static KafkaBroker start(Path baseDir) throws Exception {
    TestKitNodes.Builder nodes = new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1);
    if (baseDir != null) nodes.setBaseDirectory(baseDir);
    KafkaClusterTestKit c = new KafkaClusterTestKit.Builder(nodes.build())
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("offsets.topic.num.partitions", "4")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("group.initial.rebalance.delay.ms", "0")
        .setConfigProp("auto.create.topics.enable", "false")
        .setConfigProp("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE))
        .build();
    c.format();
    c.startup();
    c.waitForReadyBrokers();
    return new KafkaBroker(c);
  }

  public String bootstrapServers() { return cluster.bootstrapServers(); }

  public void createTopic(String name, int partitions) throws Exception {
    try (Admin a = Admin.create(Map.of("bootstrap.servers", bootstrapServers()))) {
      a.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
    }
  }

  /** A producer of byte[] keys and values; {@code batchy} tunes it for throughput. */
  public KafkaProducer<byte[], byte[]> producer(boolean batchy) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    if (batchy) {
      p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
      p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
      p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    } else {
      p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    }
    return new KafkaProducer<>(p);
  }

  /** Produces string records (key may be null; a null value is a tombstone) and waits until all are acknowledged. */
  public void produce(String topic, List<String[]> keyValues) {
    try (KafkaProducer<byte[], byte[]> p = producer(true)) {
      for (String[] kv : keyValues) {
        p.send(new ProducerRecord<>(topic, kv[0] == null ? null : kv[0].getBytes(StandardCharsets.UTF_8),
            kv[1] == null ? null : kv[1].getBytes(StandardCharsets.UTF_8)));
      }
      p.flush();
    }
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
