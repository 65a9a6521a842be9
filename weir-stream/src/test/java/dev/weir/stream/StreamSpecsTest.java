package dev.weir.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.core.util.Secrets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamSpecsTest {
  private static final String BASE = """
      name: orders
      kafka:
        bootstrap_servers: localhost:9092
      topics: [orders]
      target: raw.orders
      """;

  private static StreamSpec one(String yaml, Map<String, String> env) {
    List<StreamSpec> l = StreamSpecs.parse(yaml, "streams/orders.yml", env);
    assertThat(l).hasSize(1);
    return l.get(0);
  }

  private static WeirException error(String yaml) {
    try {
      StreamSpecs.parse(yaml, "streams/orders.yml", Map.of());
    } catch (WeirException e) {
      return e;
    }
    throw new AssertionError("no error");
  }

  @Test
  void defaultsAndFullSpec() {
    StreamSpec s = one(BASE, Map.of());
    assertThat(s.format()).isEqualTo(StreamSpec.Format.JSON);
    assertThat(s.mode()).isEqualTo(StreamSpec.Mode.APPEND);
    assertThat(s.kafka().groupId()).isEqualTo("weir-orders");
    assertThat(s.targetSchema()).isEqualTo("raw");
    assertThat(s.deadLetter().relation()).isEqualTo("raw.weir_dead_letters");
    StreamSpec f = one("""
        name: orders
        kafka: {bootstrap_servers: [a:1, b:2], group_id: g1}
        topic_pattern: "orders-.*"
        format: csv
        schema: {id: bigint, amount: "decimal(12,2)", at: timestamp}
        transform: select id, amount from batch where amount > 0;
        target: orders_latest
        mode: upsert
        key: [id]
        event_time: at
        trigger: {max_records: 500, max_bytes: 1mb, max_interval: 250ms}
        dead_letter: {relation: ops.bad, max_fraction: 0.5}
        """, Map.of());
    assertThat(f.kafka().bootstrapServers()).isEqualTo("a:1,b:2");
    assertThat(f.topicPattern().matcher("orders-eu").matches()).isTrue();
    assertThat(f.columns()).containsOnlyKeys("id", "amount", "at");
    assertThat(f.columns().get("amount").kind()).isEqualTo(ColumnKind.DECIMAL);
    assertThat(f.transform()).isEqualTo("select id, amount from batch where amount > 0");
    assertThat(f.trigger()).isEqualTo(new StreamSpec.Trigger(500, 1024 * 1024, Duration.ofMillis(250)));
    assertThat(f.deadLetter()).isEqualTo(new StreamSpec.DeadLetter("ops.bad", 0.5, null));
    assertThat(f.key()).containsExactly("id");
  }

  @Test
  void unknownKeyNamesFileLineAndSuggestion() {
    WeirException e = error(BASE + "trigerr: {max_records: 5}\n");
    assertThat(e.describe()).contains("streams/orders.yml").contains("6").contains("Unknown key 'trigerr'").contains("'trigger'");
    WeirException k = error(BASE.replace("bootstrap_servers: localhost:9092", "bootstrap_servers: x\n  group: g"));
    assertThat(k.describe()).contains("orders.yml:4:").contains("'group_id'");
  }

  @Test
  void missingTopicOrTargetAndBadFormat() {
    assertThat(error(BASE.replace("topics: [orders]\n", "")).describe()).contains("names no topic");
    assertThat(error(BASE.replace("target: raw.orders\n", "")).describe()).contains("has no 'target:'");
    assertThat(error(BASE + "format: jsn\n").describe()).contains("orders.yml:6:").contains("Unknown format 'jsn'").contains("'json'");
    assertThat(error(BASE + "schema: {id: bigintt}\n").describe()).contains("unknown type 'bigintt'").contains("'bigint'");
    assertThat(error(BASE + "mode: upsert\n").describe()).contains("needs 'key:'");
    assertThat(error(BASE + "trigger: {max_interval: soon}\n").describe()).contains("duration");
  }

  @Test
  void debeziumFormatUpsertsByTheEventKeysUnlessAppendIsAsked() {
    StreamSpec s = one(BASE + "format: debezium\n", Map.of());
    assertThat(s.format()).isEqualTo(StreamSpec.Format.DEBEZIUM);
    assertThat(s.mode()).isEqualTo(StreamSpec.Mode.UPSERT);
    assertThat(s.key()).isEmpty(); // taken from the record keys at run time
    assertThat(one(BASE + "format: debezium\nmode: append\n", Map.of()).mode()).isEqualTo(StreamSpec.Mode.APPEND);
    assertThat(one(BASE + "format: debezium\nkey: [order_id]\n", Map.of()).key()).containsExactly("order_id");
    assertThat(error(BASE + "format: debezum\n").describe()).contains("Unknown format 'debezum'").contains("'debezium'");
  }

  @Test
  void secretsOnlyFromEnvironmentAndRegisteredForMasking() {
    String literal = BASE.replace("bootstrap_servers: localhost:9092",
        "bootstrap_servers: localhost:9092\n  security_protocol: SASL_SSL\n  sasl_mechanism: PLAIN\n  sasl_username: bob\n  sasl_password: hunter22");
    assertThat(error(literal).describe()).contains("'sasl_username' is a secret").contains("env_var");
    String fromEnv = BASE.replace("bootstrap_servers: localhost:9092",
        "bootstrap_servers: localhost:9092\n  sasl_username: {env_var: KUSER}\n  sasl_password: \"{{ env_var('KPASS') }}\"");
    StreamSpec s = one(fromEnv, Map.of("KUSER", "bob", "KPASS", "s3cr3t-pass"));
    assertThat(s.kafka().properties().get("sasl.jaas.config")).contains("username=\"bob\"").contains("password=\"s3cr3t-pass\"");
    assertThat(Secrets.mask("auth failed for s3cr3t-pass")).doesNotContain("s3cr3t-pass");
    assertThat(error(fromEnv).describe()).contains("KUSER").contains("not set");
    assertThat(error(BASE.replace("bootstrap_servers: localhost:9092",
        "bootstrap_servers: localhost:9092\n  properties: {ssl.key.password: abc123}")).describe()).contains("is a secret");
    assertThat(error(BASE.replace("bootstrap_servers: localhost:9092",
        "bootstrap_servers: localhost:9092\n  properties: {enable.auto.commit: true}")).describe()).contains("cannot be overridden");
  }
}
