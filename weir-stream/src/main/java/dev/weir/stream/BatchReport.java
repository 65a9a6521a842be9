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
 */
public record BatchReport(String stream, int worker, long batch, int records, int deadLetters, long millis, long lag, long p99Millis) {
  /** Records per second of this batch. */
  public double recordsPerSecond() { return millis <= 0 ? records * 1000.0 : records * 1000.0 / millis; }
}
