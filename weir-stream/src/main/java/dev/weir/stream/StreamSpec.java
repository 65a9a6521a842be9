package dev.weir.stream;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One stream as declared in {@code streams/*.yml}: where its records come from (Kafka), how they
 * decode, what is done to each micro-batch and where the rows land. Built by {@link StreamSpecs}.
 *
 * @param name         the stream's name (unique in the project)
 * @param file         the file it was declared in (for messages)
 * @param line         the line of its declaration
 * @param kafka        connection and consumer-group settings
 * @param topics       topics to read (empty when {@code topicPattern} is set)
 * @param topicPattern a regular expression over topic names, or null
 * @param format       how record values decode
 * @param csv          CSV settings (format csv only)
 * @param columns      declared columns (name to type, in order); empty means inferred from the data
 * @param transform    SQL over {@code batch} run on each micro-batch, or null
 * @param target       the relation rows land in: {@code schema.table} or {@code table}
 * @param mode         append or upsert
 * @param key          upsert key columns (mode upsert)
 * @param eventTime    upsert: keep the row with the latest value of this column (null: latest offset)
 * @param trigger      when a micro-batch is cut
 * @param deadLetter   where bad records go and how many a batch may have
 * @param threads      consumer threads (0: one per partition, at most 4)
 * @param startFrom    where a partition with no stored offset starts: earliest or latest
 * @param avro         the Avro schema and framing (format avro only), else null
 * @param checks       row checks: SQL conditions each decoded record must meet, else it goes to the dead letters
 */
public record StreamSpec(
    String name, String file, int line, Kafka kafka, List<String> topics, Pattern topicPattern, Format format, Csv csv,
    Map<String, ColumnKind.Declared> columns, String transform, String target, Mode mode, List<String> key,
    String eventTime, Trigger trigger, DeadLetter deadLetter, int threads, String startFrom, Avro avro, List<Check> checks) {

  /**
   * A row check: {@code expression} is a SQL condition over the batch's columns (as decoded, before the transform);
   * a record for which it is false is a dead letter naming the check. Null counts as met, as in a CHECK constraint.
   */
  public record Check(String name, String expression) {}

  /** Record value formats ({@code DEBEZIUM}: change events in Debezium's JSON envelope, applied by key). */
  public enum Format { JSON, CSV, STRING, BYTES, AVRO, DEBEZIUM }

  /**
   * Avro decoding: the record schema the values were written with (from {@code schema_file}), and whether each value
   * starts with the Confluent wire-format header (magic byte 0 and a 4-byte schema id, as Schema Registry serializers
   * write it; the id is not looked up: values are read with the file's schema).
   */
  public record Avro(org.apache.avro.Schema schema, boolean confluentFraming, String schemaFile) {}

  /** Write modes. */
  public enum Mode { APPEND, UPSERT }

  /**
   * Kafka settings. {@code properties} are extra consumer properties (already resolved; secrets
   * come only from environment variables and are registered with {@link dev.weir.core.util.Secrets}).
   */
  public record Kafka(String bootstrapServers, String groupId, Map<String, String> properties) {}

  /** CSV decoding: delimiter and whether values carry a header line (never: one record is one line). */
  public record Csv(char delimiter) {}

  /** Cut a batch at whichever comes first. */
  public record Trigger(int maxRecords, long maxBytes, Duration maxInterval) {}

  /**
   * Dead letters: the relation bad records go to, the fraction of a batch that may be bad
   * before the stream stops, and optionally a Kafka topic they are also published to (null: none).
   */
  public record DeadLetter(String relation, double maxFraction, String topic) {}

  /** The schema part of the target relation ({@code null} when the name has none). */
  public String targetSchema() {
    int dot = target.lastIndexOf('.');
    return dot < 0 ? null : target.substring(0, dot);
  }

  /** The table part of the target relation. */
  public String targetTable() {
    int dot = target.lastIndexOf('.');
    return dot < 0 ? target : target.substring(dot + 1);
  }
}
