package dev.weir.cdc;

import dev.weir.core.engine.Engine;
import dev.weir.core.engine.EngineOptions;
import dev.weir.core.engine.Engines;
import dev.weir.core.engine.Session;
import dev.weir.core.engine.TargetConfig;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The CDC benchmark (bench/cdc.sh; not part of mvn verify: the name does not match surefire's test
 * patterns). A real Postgres 17 with logical replication (zonky, as {@link CdcSource}) is the source,
 * an embedded DuckDB file the warehouse, {@link CdcRunner} runs in this JVM.
 *
 * <ol>
 *   <li>throughput: preloads {@code rows} rows (applied by the initial snapshot), then commits
 *   {@code changes} mixed changes (per transaction of {@code tx}: 1/2 inserts, 2/5 updates, the rest
 *   deletes) as fast as one connection can while CDC applies them; changes/s = changes / (first source
 *   commit → the warehouse commit that makes the last change visible);</li>
 *   <li>latency: a fresh source table and warehouse, the same mix at a steady {@code rate} changes/s for
 *   {@code seconds} (after 3 s of warm-up); each source transaction's commit time (when COMMIT returns,
 *   {@code System.nanoTime}) against (a) the end of the warehouse commit that applied its last change
 *   (the runner's batch report) and (b) the first poll (every 10 ms, its own DuckDB connection) of
 *   {@code weir_cdc_offsets.events} that shows it: p50/p99/max over changes.</li>
 * </ol>
 *
 * <p>Args: rows changes tx rate seconds outDir [checkpointThreshold|-] [maxBatch] [latencyOnly 0|1].
 * Counting is exact: the live ids are always one range [lo, hi]; inserts append above hi, updates
 * touch a block inside the range, deletes remove from lo.
 */
public final class CdcBench {
  private CdcBench() {}

  static String checkpoint;
  static final String SYNC = System.getProperty("cdc.bench.synchronous_commit", "on");
  /** The warehouse's DuckDB {@code threads} setting (default: DuckDB's, the core count). */
  static final String DUCKDB_THREADS = System.getProperty("cdc.bench.duckdb_threads");
  static int maxBatch;

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int changes = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
    int tx = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    int rate = args.length > 3 ? Integer.parseInt(args[3]) : 5_000;
    int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 30;
    Path out = Path.of(args.length > 5 ? args[5] : "bench/out").toAbsolutePath();
    checkpoint = args.length > 6 && !args[6].equals("-") ? args[6] : null;
    maxBatch = args.length > 7 ? Integer.parseInt(args[7]) : 10_000;
    Files.createDirectories(out);
    Path work = Files.createTempDirectory(out, "cdc-bench-");
    System.out.printf(Locale.ROOT, "settings: rows %,d, changes %,d, tx %d, rate %,d/s, seconds %d, max_batch %d, source synchronous_commit %s,"
        + " duckdb threads %s, checkpoint_threshold %s%n", rows, changes, tx, rate, seconds, maxBatch, SYNC, DUCKDB_THREADS == null ? "(default)" : DUCKDB_THREADS, checkpoint == null ? "(DuckDB default / what Weir sets)" : checkpoint);
    StringBuilder json = new StringBuilder("{");
    try (CdcSource src = CdcSource.start(work)) {
      if (changes > 0) throughput(src, work.resolve("wh1"), rows, changes, tx, json);
      if (seconds > 0) latency(src, work.resolve("wh2"), rows, tx, rate, seconds, json);
    } finally {
      deleteTree(work);
    }
    json.append(String.format(Locale.ROOT, "\"rows\": %d, \"changes\": %d, \"tx\": %d, \"rate\": %d, \"seconds\": %d, \"max_batch\": %d}%n",
        rows, changes, tx, rate, seconds, maxBatch));
    Files.writeString(out.resolve("cdc.json"), json);
    System.out.print(json);
    System.exit(0); // Debezium/JDBC leftovers must not keep the JVM alive
  }

  static String load() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim().replaceAll("^(\\S+ \\S+ \\S+).*", "$1");
    } catch (Exception e) {
      return "?";
    }
  }

  /** CPU time of the live Java threads by name (digits dropped), ns. */
  static Map<String, Long> threadCpu() {
    var mx = ManagementFactory.getThreadMXBean();
    Map<String, Long> out = new java.util.TreeMap<>();
    for (var ti : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (ti == null) continue;
      long c = mx.getThreadCpuTime(ti.getThreadId());
      if (c > 0) out.merge(ti.getThreadName().replaceAll("\\d+", "N"), c, Long::sum);
    }
    return out;
  }

  /** Thread CPU between two {@link #threadCpu} samples, per 100k changes, biggest first; the rest of {@code total} is GC, JIT, DuckDB. */
  static String threadBreakdown(Map<String, Long> before, Map<String, Long> after, long total, long changes) {
    List<Map.Entry<String, Long>> d = new java.util.ArrayList<>();
    long java = 0;
    for (var e : after.entrySet()) {
      if (e.getKey().startsWith("cdc-bench") || e.getKey().equals("main")) continue;
      long v = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      if (v > 0) {
        d.add(Map.entry(e.getKey(), v));
        java += v;
      }
    }
    d.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(5, d.size()); i++) {
      sb.append(String.format(Locale.ROOT, "%s %.2f s; ", d.get(i).getKey(), d.get(i).getValue() / 1e9 * 100_000 / changes));
    }
    sb.append(String.format(Locale.ROOT, "other Java threads %.2f s; not in Java threads (DuckDB's own threads, GC, JIT) %.2f s",
        d.stream().skip(5).mapToLong(Map.Entry::getValue).sum() / 1e9 * 100_000 / changes, (total - java) / 1e9 * 100_000 / changes));
    return sb.toString();
  }

  static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  static Engine duckdb(Path d) throws Exception {
    Files.createDirectories(d);
    Map<String, Object> s = new HashMap<>();
    s.put("type", "duckdb");
    s.put("path", d.resolve("warehouse.duckdb").toString());
    Map<String, Object> settings = new HashMap<>();
    if (checkpoint != null) settings.put("checkpoint_threshold", checkpoint);
    if (DUCKDB_THREADS != null) settings.put("threads", Long.parseLong(DUCKDB_THREADS));
    if (!settings.isEmpty()) s.put("settings", settings);
    TargetConfig t = new TargetConfig("p", "dev", "duckdb", null, "main", 1, s, d);
    return Engines.forType("duckdb").open(t, new EngineOptions(d.resolve("target"), false, Duration.ofSeconds(30), "weir bench", null));
  }

  static CdcSpec spec(CdcSource src, String name, String table) {
    return CdcSpecs.parse("""
        name: %s
        host: localhost
        port: %d
        database: postgres
        user: postgres
        password: {env_var: PGPW}
        tables: [public.%s]
        target_schema: raw_%s
        max_batch: %d
        """.formatted(name, src.port(), table, name, maxBatch), "cdc/" + name + ".yml", Map.of("PGPW", "x")).get(0);
  }

  /** Batch reports of a run: cumulative applied changes and the wall time right after each commit. */
  static final class Batches implements CdcRunner.Listener {
    long[] cum = new long[1 << 16];
    long[] at = new long[1 << 16];
    int[] millis = new int[1 << 16];
    int[] size = new int[1 << 16];
    int n;
    long applied;

    @Override
    public synchronized void batch(CdcRunner.BatchReport r) {
      long now = System.nanoTime();
      if (n == cum.length) {
        cum = Arrays.copyOf(cum, n * 2);
        at = Arrays.copyOf(at, n * 2);
        millis = Arrays.copyOf(millis, n * 2);
        size = Arrays.copyOf(size, n * 2);
      }
      applied += r.applied();
      cum[n] = applied;
      at[n] = now;
      millis[n] = (int) r.millis();
      size[n] = r.applied();
      n++;
      notifyAll();
    }

    @Override
    public void info(String message) {
      if (!message.contains("caught up")) System.out.println("  cdc: " + message);
    }

    synchronized long applied() { return applied; }

    /** Waits until {@code target} changes are applied; returns the time of the commit that reached it, or -1. */
    synchronized long awaitApplied(long target, long timeoutMs) throws InterruptedException {
      long end = System.currentTimeMillis() + timeoutMs;
      while (applied < target) {
        long left = end - System.currentTimeMillis();
        if (left <= 0) return -1;
        wait(Math.min(left, 200));
      }
      for (int i = 0; i < n; i++) if (cum[i] >= target) return at[i];
      return -1;
    }

    /** Index of the first batch whose cumulative count reaches {@code target} (binary search), or -1. */
    synchronized int first(long target) {
      int lo = 0, hi = n - 1, ans = -1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        if (cum[mid] >= target) {
          ans = mid;
          hi = mid - 1;
        } else {
          lo = mid + 1;
        }
      }
      return ans;
    }

    synchronized String summary(int from) {
      int cnt = n - from;
      if (cnt <= 0) return "no batches";
      long sumSize = 0, sumMs = 0;
      int maxMs = 0;
      int[] ms = Arrays.copyOfRange(millis, from, n);
      for (int i = from; i < n; i++) {
        sumSize += size[i];
        sumMs += millis[i];
        maxMs = Math.max(maxMs, millis[i]);
      }
      Arrays.sort(ms);
      return String.format(Locale.ROOT, "%d batches, %.0f changes/batch, apply+commit per batch: mean %.0f ms, p99 %d ms, max %d ms; apply time %.1f s",
          cnt, (double) sumSize / cnt, (double) sumMs / cnt, ms[Math.min(ms.length - 1, (int) Math.ceil(ms.length * 0.99) - 1)], maxMs, sumMs / 1e3);
    }
  }

  static final class Runner implements AutoCloseable {
    final CdcRunner runner;
    final Thread thread;
    volatile CdcRunner.Result result;

    Runner(Engine e, CdcSpec spec, Batches b) {
      runner = new CdcRunner(e, List.of(spec), new CdcRunner.Options(false, 0), b);
      thread = new Thread(() -> result = runner.run(), "cdc-bench-runner");
      thread.start();
    }

    void check() {
      if (result != null && result.failure() != null) throw new IllegalStateException("CDC failed", result.failure());
      if (!thread.isAlive()) throw new IllegalStateException("CDC runner ended: " + result);
    }

    @Override
    public void close() throws InterruptedException {
      runner.stop();
      thread.join(60_000);
      if (result != null && result.failure() != null) throw new IllegalStateException("CDC failed", result.failure());
    }
  }

  /** One source table with the live range of ids and the mixed-change generator. */
  static final class Table implements AutoCloseable {
    final String name;
    final Connection c;
    final PreparedStatement ins;
    final PreparedStatement upd;
    final PreparedStatement del;
    long lo = 1;
    long hi;
    long committed;

    Table(CdcSource src, String name, int rows) throws Exception {
      this.name = name;
      src.sql("create table public." + name + " (id bigint primary key, k int not null, v text, amount numeric(12,2), note text,"
              + " updated_at timestamptz not null default clock_timestamp())",
          "insert into public." + name + " (id, k, v, amount, note) select g, g % 1000, 'v' || g, (g % 100000) / 100.0, md5(g::text)"
              + " from generate_series(1, " + rows + ") g");
      hi = rows;
      c = src.connect();
      // zonky starts Postgres with synchronous_commit = off: a COMMIT would return before its WAL is flushed, and the
      // WAL sender only sends flushed WAL (up to ~3 x wal_writer_delay later). Postgres's own default is on.
      try (var st = c.createStatement()) {
        st.execute("set synchronous_commit = " + SYNC);
      }
      c.setAutoCommit(false);
      ins = c.prepareStatement("insert into public." + name + " (id, k, v, amount, note) select g, g % 1000, 'v' || g, (g % 100000) / 100.0,"
          + " md5(g::text) from generate_series(?, ?) g");
      upd = c.prepareStatement("update public." + name + " set k = k + 1, amount = amount + 1, v = 'u' || id, updated_at = clock_timestamp()"
          + " where id between ? and ?");
      del = c.prepareStatement("delete from public." + name + " where id between ? and ?");
    }

    /** Commits one transaction of {@code k} changes; returns the number of changes it made. */
    int transaction(int k) throws Exception {
      int nIns = k / 2;
      int nUpd = k * 2 / 5;
      int nDel = k - nIns - nUpd;
      int done = 0;
      if (nIns > 0) {
        ins.setLong(1, hi + 1);
        ins.setLong(2, hi + nIns);
        done += ins.executeUpdate();
      }
      if (nUpd > 0) {
        long start = lo + ThreadLocalRandom.current().nextLong(Math.max(1, hi - lo + 2 - nUpd));
        upd.setLong(1, start);
        upd.setLong(2, start + nUpd - 1);
        done += upd.executeUpdate();
      }
      hi += nIns;
      if (nDel > 0) {
        del.setLong(1, lo);
        del.setLong(2, lo + nDel - 1);
        done += del.executeUpdate();
        lo += nDel;
      }
      c.commit();
      if (done != k) throw new IllegalStateException("transaction made " + done + " changes, not " + k);
      committed += done;
      return done;
    }

    @Override
    public void close() throws Exception {
      c.close();
    }
  }

  static String check(CdcSource src, Engine e, String schema, String table) throws Exception {
    String q = "select count(*), sum(id), sum(k), sum(amount) from ";
    List<String> a = src.rows(q + "public." + table);
    String w;
    try (Session s = e.openSession()) {
      List<Object> r = s.query(q + schema + "." + table, 1).rows().get(0);
      w = r.get(0) + "|" + r.get(1) + "|" + r.get(2) + "|" + new java.math.BigDecimal(String.valueOf(r.get(3))).stripTrailingZeros().toPlainString();
    }
    String sv = a.get(0);
    String[] p = sv.split("\\|");
    sv = p[0] + "|" + p[1] + "|" + p[2] + "|" + new java.math.BigDecimal(p[3]).stripTrailingZeros().toPlainString();
    if (!sv.equals(w)) throw new IllegalStateException("warehouse differs from the source: " + w + " vs " + sv);
    return "warehouse = source (count, sums: " + w + ")";
  }

  static void throughput(CdcSource src, Path dir, int rows, int changes, int tx, StringBuilder json) throws Exception {
    System.out.printf(Locale.ROOT, "== throughput: %,d rows preloaded, %,d changes in transactions of %d, load %s%n", rows, changes, tx, load());
    try (Table t = new Table(src, "tput", rows); Engine e = duckdb(dir)) {
      Batches b = new Batches();
      CdcSpec spec = spec(src, "tput", "tput");
      long t0 = System.nanoTime();
      try (Runner r = new Runner(e, spec, b)) {
        if (b.awaitApplied(rows, 600_000) < 0) {
          r.check();
          throw new IllegalStateException("snapshot not applied in 10 min");
        }
        double snapSecs = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "snapshot: %,d rows in %.1f s (engine start included): %,.0f rows/s; %s%n", rows, snapSecs, rows / snapSecs,
            b.summary(0));
        int from = b.n;
        Thread.sleep(1000); // let the engine settle into streaming
        var mx = ManagementFactory.getThreadMXBean();
        long cpu0 = cpuNanos();
        Map<String, Long> th0 = threadCpu();
        long genCpu0 = mx.getCurrentThreadCpuTime();
        long first = 0;
        long g0 = System.nanoTime();
        while (t.committed < changes) {
          t.transaction((int) Math.min(tx, changes - t.committed));
          if (first == 0) first = System.nanoTime();
          if ((t.committed / tx) % 200 == 0) r.check();
        }
        long genEnd = System.nanoTime();
        long genCpu = mx.getCurrentThreadCpuTime() - genCpu0;
        long last = b.awaitApplied(rows + changes, 600_000);
        if (last < 0) {
          r.check();
          throw new IllegalStateException("only " + (b.applied() - rows) + " of " + changes + " changes applied in 10 min");
        }
        long cpu = cpuNanos() - cpu0 - genCpu;
        String threads = threadBreakdown(th0, threadCpu(), cpu, changes);
        double secs = (last - first) / 1e9;
        double genSecs = (genEnd - g0) / 1e9;
        String ok = check(src, e, "raw_tput", "tput");
        double perSec = changes / secs;
        double cpuPer100k = cpu / 1e9 * 100_000 / changes;
        System.out.printf(Locale.ROOT, "generator: %,d changes in %.1f s = %,.0f changes/s committed at the source (one connection)%n",
            changes, genSecs, changes / genSecs);
        System.out.printf(Locale.ROOT, "applied: %,d changes in %.1f s (first source commit -> last visible) = %,.0f changes/s; lag at the end %.1f s%n",
            changes, secs, perSec, (last - genEnd) / 1e9);
        System.out.printf(Locale.ROOT, "batches: %s%n", b.summary(from));
        System.out.printf(Locale.ROOT, "CPU of the Weir process (generator thread excluded; Postgres is another process): %.1f s = %.2f s per 100k changes%n",
            cpu / 1e9, cpuPer100k);
        System.out.println("  by thread, per 100k changes: " + threads);
        System.out.println(ok + "; load " + load());
        json.append(String.format(Locale.ROOT, "\"snapshot_rows_per_s\": %.0f, \"changes_per_s\": %.0f, \"generator_changes_per_s\": %.0f,"
            + " \"cpu_s_per_100k\": %.2f, ", rows / snapSecs, perSec, changes / genSecs, cpuPer100k));
      }
      src.dropSlot("weir_tput", "weir_tput");
    }
  }

  static void latency(CdcSource src, Path dir, int rows, int tx, int rate, int seconds, StringBuilder json) throws Exception {
    System.out.printf(Locale.ROOT, "== latency: %,d rows preloaded, %,d changes/s in transactions of %d for %d s (after 3 s warm-up), load %s%n",
        rows, rate, tx, seconds, load());
    try (Table t = new Table(src, "lat", rows); Engine e = duckdb(dir)) {
      Batches b = new Batches();
      CdcSpec spec = spec(src, "lat", "lat");
      try (Runner r = new Runner(e, spec, b)) {
        if (b.awaitApplied(rows, 600_000) < 0) {
          r.check();
          throw new IllegalStateException("snapshot not applied in 10 min");
        }
        Thread.sleep(1000);
        // the reader's view: weir_cdc_offsets.events polled every 10 ms on its own connection
        final long[][] polls = {new long[1 << 16], new long[1 << 16]};
        final int[] np = {0};
        final boolean[] stop = {false};
        var mx = ManagementFactory.getThreadMXBean();
        final long[] pollCpu = {0};
        Thread poller = new Thread(() -> {
          long c0 = mx.getCurrentThreadCpuTime();
          try (Session s = e.openSession()) {
            while (!stop[0]) {
              Object v = s.query("select events from raw_lat.weir_cdc_offsets where source = 'lat'", 1).rows().get(0).get(0);
              long now = System.nanoTime();
              synchronized (polls) {
                if (np[0] == polls[0].length) {
                  polls[0] = Arrays.copyOf(polls[0], np[0] * 2);
                  polls[1] = Arrays.copyOf(polls[1], np[0] * 2);
                }
                polls[0][np[0]] = ((Number) v).longValue();
                polls[1][np[0]] = now;
                np[0]++;
              }
              Thread.sleep(10);
            }
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
          }
          pollCpu[0] = mx.getCurrentThreadCpuTime() - c0;
        }, "cdc-bench-poller");
        poller.start();
        int warm = 3;
        long total = (long) rate * (seconds + warm);
        long[] txCum = new long[(int) (total / tx + 2)];
        long[] txAt = new long[txCum.length];
        int ntx = 0;
        int firstMeasured = -1;
        int from = 0;
        long cpu0 = 0;
        Map<String, Long> th0 = Map.of();
        long genCpu0 = 0;
        long start = System.nanoTime();
        long behind = 0;
        long measureStart = 0;
        while (t.committed < total) {
          long elapsed = System.nanoTime() - start;
          long due = elapsed * rate / 1_000_000_000L;
          if (t.committed + tx > due) {
            long wait = (t.committed + tx) * 1_000_000_000L / rate - elapsed;
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            continue;
          }
          if (firstMeasured >= 0 && due - t.committed > rate / 10) behind++;
          if (firstMeasured < 0 && elapsed >= TimeUnit.SECONDS.toNanos(warm)) {
            firstMeasured = ntx;
            measureStart = System.nanoTime();
            from = b.n;
            cpu0 = cpuNanos();
            th0 = threadCpu();
            genCpu0 = mx.getCurrentThreadCpuTime();
          }
          t.transaction(tx);
          txAt[ntx] = System.nanoTime();
          txCum[ntx] = rows + t.committed;
          ntx++;
          if (ntx % 100 == 0) r.check();
        }
        long genEnd = System.nanoTime();
        long genCpu = mx.getCurrentThreadCpuTime() - genCpu0;
        double achieved = (t.committed - (long) firstMeasured * tx) / ((genEnd - measureStart) / 1e9);
        if (b.awaitApplied(rows + t.committed, 120_000) < 0) throw new IllegalStateException("changes not all applied 2 min after the end");
        long cpu = cpuNanos() - cpu0 - genCpu;
        Map<String, Long> th1 = threadCpu();
        Thread.sleep(100);
        stop[0] = true;
        poller.join();
        cpu -= pollCpu[0];
        // latency per change (every change of a transaction has its commit time)
        int m = ntx - firstMeasured;
        long[] commitLat = new long[m];
        long[] visibleLat = new long[m];
        long[] deliveryLat = new long[m];
        synchronized (polls) {
          int pi = 0;
          for (int i = firstMeasured; i < ntx; i++) {
            int bi = b.first(txCum[i]);
            commitLat[i - firstMeasured] = (b.at[bi] - txAt[i]) / 1_000_000;
            // batch start ≈ its commit end minus its apply time: the wait for Debezium and for earlier batches
            deliveryLat[i - firstMeasured] = (b.at[bi] - b.millis[bi] * 1_000_000L - txAt[i]) / 1_000_000;
            while (pi < np[0] && polls[0][pi] < txCum[i]) pi++;
            visibleLat[i - firstMeasured] = pi < np[0] ? (polls[1][pi] - txAt[i]) / 1_000_000 : -1;
          }
        }
        long[] lc = pct(commitLat);
        long[] lv = pct(visibleLat);
        long[] ld = pct(deliveryLat);
        String ok = check(src, e, "raw_lat", "lat");
        System.out.printf(Locale.ROOT, "generator: %,.0f changes/s achieved (target %,d), %d transactions started > 100 ms late%n", achieved, rate, behind);
        System.out.printf(Locale.ROOT, "latency, source commit -> warehouse commit (applier): p50 %d ms, p99 %d ms, max %d ms (%,d changes)%n",
            lc[0], lc[1], lc[2], (long) m * tx);
        System.out.printf(Locale.ROOT, "latency, source commit -> visible to a reader (10 ms poll): p50 %d ms, p99 %d ms, max %d ms%n", lv[0], lv[1], lv[2]);
        System.out.printf(Locale.ROOT, "  of which before the batch's apply started (Debezium delivery + waiting for earlier batches): p50 %d ms, p99 %d ms, max %d ms%n",
            ld[0], ld[1], ld[2]);
        System.out.printf(Locale.ROOT, "batches: %s%n", b.summary(from));
        System.out.printf(Locale.ROOT, "CPU of the Weir process (generator and poller excluded): %.1f s = %.2f s per 100k changes (%.0f%% of one core)%n",
            cpu / 1e9, cpu / 1e9 * 100_000 / Math.max(1, t.committed - (long) firstMeasured * tx),
            100.0 * cpu / Math.max(1, genEnd - measureStart));
        System.out.println("  by thread, per 100k changes: " + threadBreakdown(th0, th1, cpu, Math.max(1, t.committed - (long) firstMeasured * tx)));
        System.out.println(ok + "; load " + load());
        json.append(String.format(Locale.ROOT, "\"latency_achieved_rate\": %.0f, \"latency_p50_ms\": %d, \"latency_p99_ms\": %d, \"latency_max_ms\": %d,"
            + " \"visible_p50_ms\": %d, \"visible_p99_ms\": %d, \"visible_max_ms\": %d, ", achieved, lc[0], lc[1], lc[2], lv[0], lv[1], lv[2]));
      }
      src.dropSlot("weir_lat", "weir_lat");
    }
  }

  /** p50, p99, max (every entry stands for the same number of changes). */
  static long[] pct(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    if (s.length == 0) return new long[] {-1, -1, -1};
    return new long[] {s[(s.length - 1) / 2], s[Math.min(s.length - 1, (int) Math.ceil(s.length * 0.99) - 1)], s[s.length - 1]};
  }

  private static void deleteTree(Path p) {
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (java.io.IOException ignored) {
      // best effort
    }
  }
}
