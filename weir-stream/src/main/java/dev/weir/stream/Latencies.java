package dev.weir.stream;

/**
 * End-to-end latencies (record timestamp to warehouse commit) in 1 ms buckets up to 10 minutes;
 * thread-safe. Used for the p50/p99 figures of {@code weir stream run} and the benchmark.
 */
public final class Latencies {
  private static final int MAX_MS = 600_000;
  private final long[] buckets = new long[MAX_MS + 1];
  private long count;

  /** Adds one latency in milliseconds (negative values, from clock skew, count as 0). */
  public synchronized void add(long ms) {
    buckets[(int) Math.max(0, Math.min(MAX_MS, ms))]++;
    count++;
  }

  /** Adds {@code n} latencies of {@code ms} milliseconds each. */
  public synchronized void add(long ms, long n) {
    buckets[(int) Math.max(0, Math.min(MAX_MS, ms))] += n;
    count += n;
  }

  public synchronized long count() { return count; }

  /** The q-quantile (0..1) in milliseconds, or -1 when empty. */
  public synchronized long quantile(double q) {
    if (count == 0) return -1;
    long rank = (long) Math.ceil(q * count);
    long seen = 0;
    for (int i = 0; i <= MAX_MS; i++) {
      seen += buckets[i];
      if (seen >= rank && seen > 0) return i;
    }
    return MAX_MS;
  }

  public synchronized void reset() {
    java.util.Arrays.fill(buckets, 0);
    count = 0;
  }
}
