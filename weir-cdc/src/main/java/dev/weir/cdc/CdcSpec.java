package dev.weir.cdc;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One change-data-capture source as declared in {@code cdc/*.yml}: a Postgres database whose tables
 * are captured (snapshot, then changes through logical replication with pgoutput), or a MySQL/MariaDB
 * database read through its binlog, merged into warehouse tables of the same names. Built by {@link CdcSpecs}.
 *
 * @param name         the source's name (unique in the project; also Debezium's engine name and topic prefix)
 * @param file         the file it was declared in (for messages)
 * @param line         the line of its declaration
 * @param connector    the connector: {@code postgres}, {@code mysql} or {@code mariadb}
 * @param host         database host
 * @param port         database port
 * @param database     database name
 * @param user         user (needs the REPLICATION attribute, or superuser)
 * @param password     password (from an environment variable only; registered for masking)
 * @param tables       tables to capture as {@code schema.table} ({@code database.table} for binlog sources) (empty when {@code tablePattern} is set)
 * @param tablePattern a regular expression over {@code schema.table}, or null
 * @param targetSchema the warehouse schema the tables land in
 * @param snapshot     whether tables are first read whole
 * @param softDelete   keep deleted rows, flagged {@code _weir_deleted = true}
 * @param history      also keep {@code <table>_history}: every change, in source order
 * @param slot         the replication slot (postgres; null for binlog sources)
 * @param publication  the publication (postgres; null for binlog sources)
 * @param maxBatch     at most this many changes per warehouse transaction
 * @param serverId     binlog sources: the replica id Debezium registers with (unique among the server's replicas); 0 for postgres
 * @param publish      also publish each change event to Kafka, or null
 */
public record CdcSpec(String name, String file, int line, String connector, String host, int port, String database,
                      String user, String password, List<String> tables, Pattern tablePattern, String targetSchema,
                      Snapshot snapshot, boolean softDelete, boolean history, String slot, String publication, int maxBatch,
                      long serverId, Publish publish) {

  /**
   * Change events also published to Kafka: one topic per table, {@code <topicPrefix>.<schema>.<table>}, the
   * event as Debezium's JSON envelope with its schema (op, before, after, source position) keyed by the primary key.
   * {@code warehouse} false: Kafka is the only transport, the source writes no warehouse table (only its position,
   * so that a restart neither loses nor republishes more than the batch in flight); a stream with format debezium
   * applies the topics. {@code schemas} false: values without their Connect schema (the bare envelope); keys never carry one
   * (their bytes decide the partition).
   */
  public record Publish(String bootstrapServers, String topicPrefix, java.util.Map<String, String> properties, boolean warehouse,
                        boolean schemas) {}

  /** Whether the captured changes are applied to warehouse tables (false when they only go to Kafka). */
  public boolean writesTables() {
    return publish == null || publish.warehouse();
  }

  /** When the tables are read whole. */
  public enum Snapshot { INITIAL, NEVER }

  /** Whether the source is read from a MySQL/MariaDB binlog (not Postgres logical replication). */
  public boolean binlog() {
    return "mysql".equals(connector) || "mariadb".equals(connector);
  }

  /** Debezium's {@code table.include.list}: the named tables, anchored, or the pattern. */
  public String includeList() {
    if (tablePattern != null) return tablePattern.pattern();
    StringBuilder sb = new StringBuilder();
    for (String t : tables) {
      if (sb.length() > 0) sb.append(',');
      sb.append(t.replace(".", "\\."));
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return "CdcSpec[" + name + " " + connector + "://" + host + ":" + port + "/" + database + " -> " + targetSchema + "]";
  }
}
