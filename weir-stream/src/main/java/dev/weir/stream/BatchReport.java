package dev.weir.stream;

/**
 * One committed micro-batch, as {@code weir stream run} prints it.
 *
 * @param stream      the stream's name
 * @param worker      the consumer thread (0-based)
 * @param batch       the stream's batch number (1-based, over all workers)
 * @param records     records consumed (rows written plus dead letters plus tombstones)
 * @param deadLetters records sent to the dead-letter relation
 * @param millis      wall time from the batch's cut to its commit
 * @param lag         records still to read on the worker's partitions after the batch (-1 unknown)
 * @param p99Millis   the batch's end-to-end latency p99 (record timestamp to commit), ms
 * @param phaseNanos  where the batch's time went, in nanoseconds, indexed like {@link #PHASES}
 *                    (the benchmark, bench/stream.sh, sums them; {@link #describePhases} spells them out)
 * @param committed   the next offset of each partition the batch read, as committed with it
 */
public record BatchReport(String stream, int worker, long batch, int records, int deadLetters, long millis, long lag, long p99Millis,
                          long[] phaseNanos, java.util.List<Position> committed) {
  /** Where a partition stands after a batch: the next offset to read. */
  public record Position(String topic, int partition, long nextOffset) {}

  /**
   * The phases of a batch (wall time; decode and convert run on the worker's decode thread, align to
   * commit on its commit thread, so they overlap with other batches): poll (time in Kafka's poll while
   * the batch filled), decode (parsing record values), schema (inference, only when records do not fit
   * the target's columns), convert (values to the columns' types, and on DuckDB into the batch file),
   * align (schema changes), load (rows into the target, or into the stage), insert (stage to target:
   * transform, upsert), offsets (dead letters and the offsets upsert), commit.
   */
  public static final java.util.List<String> PHASES = java.util.List.of("poll", "decode", "schema", "convert", "align", "load",
      "insert", "offsets", "commit");
  public static final int POLL = 0, DECODE = 1, SCHEMA = 2, CONVERT = 3, ALIGN = 4, LOAD = 5, INSERT = 6, OFFSETS = 7, COMMIT = 8;

  public BatchReport(String stream, int worker, long batch, int records, int deadLetters, long millis, long lag, long p99Millis) {
    this(stream, worker, batch, records, deadLetters, millis, lag, p99Millis, new long[PHASES.size()], java.util.List.of());
  }

  /** Records per second of this batch. */
  public double recordsPerSecond() { return millis <= 0 ? records * 1000.0 : records * 1000.0 / millis; }

  /** The phases as {@code poll 12 ms, decode 30 ms, ...} (phases that took no time left out). */
  public String describePhases() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < PHASES.size() && i < phaseNanos.length; i++) {
      if (phaseNanos[i] <= 0) continue;
      if (sb.length() > 0) sb.append(", ");
      sb.append(PHASES.get(i)).append(' ').append(String.format(java.util.Locale.ROOT, "%.1f", phaseNanos[i] / 1e6)).append(" ms");
    }
    return sb.toString();
  }
}
