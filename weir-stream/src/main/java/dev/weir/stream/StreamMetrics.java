package dev.weir.stream;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The figures of {@code weir stream status} as Prometheus metrics, served on {@code http://<host>:<port>/metrics} by
 * {@code weir stream run --metrics-port PORT} (Micrometer's Prometheus registry, the JDK's HTTP server). Per stream:
 * records, dead letters and batches (counters), records/s and latency p99 over the last minute, lag, and the committed
 * offset of each partition.
 */
public final class StreamMetrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Collection<StreamStatus> statuses;
  private final Set<String> partitionGauges = ConcurrentHashMap.newKeySet();
  private final HttpServer server;

  /** Registers the metrics of {@code statuses} and serves them on {@code port} (0: any free port). */
  public StreamMetrics(Collection<StreamStatus> statuses, int port) throws IOException {
    this.statuses = statuses;
    for (StreamStatus s : statuses) {
      Tags t = Tags.of("stream", s.stream());
      FunctionCounter.builder("weir.stream.records", s, StreamStatus::records).tags(t)
          .description("Records consumed and committed (rows, dead letters, tombstones)").register(registry);
      FunctionCounter.builder("weir.stream.dead.letters", s, StreamStatus::deadLetters).tags(t)
          .description("Records sent to the dead-letter relation").register(registry);
      FunctionCounter.builder("weir.stream.batches", s, StreamStatus::batches).tags(t).description("Committed micro-batches").register(registry);
      Gauge.builder("weir.stream.records.per.second", s, StreamStatus::recordsPerSecond).tags(t)
          .description("Records per second over the last minute").register(registry);
      Gauge.builder("weir.stream.latency.p99.seconds", s, x -> x.latencyP99Millis() < 0 ? Double.NaN : x.latencyP99Millis() / 1000.0)
          .tags(t).description("Highest batch p99 of record timestamp to commit over the last minute").register(registry);
      Gauge.builder("weir.stream.lag.records", s, x -> x.lag() < 0 ? Double.NaN : x.lag()).tags(t)
          .description("Records still to read on this process's partitions").register(registry);
    }
    server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/metrics", ex -> {
      registerPartitions();
      byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(body);
      }
    });
    server.setExecutor(null);
    server.start();
  }

  /** The port the metrics are served on. */
  public int port() { return server.getAddress().getPort(); }

  /** Partitions are known once a batch read them: a gauge of the committed offset for each one seen so far. */
  private void registerPartitions() {
    for (StreamStatus s : statuses) {
      for (Map.Entry<String, Long> e : s.positions().entrySet()) {
        String key = s.stream() + "/" + e.getKey();
        if (!partitionGauges.add(key)) continue;
        int slash = e.getKey().lastIndexOf('/');
        String topic = e.getKey().substring(0, slash);
        String partition = e.getKey().substring(slash + 1);
        Gauge.builder("weir.stream.committed.offset", s, x -> x.positions().getOrDefault(e.getKey(), -1L))
            .tags("stream", s.stream(), "topic", topic, "partition", partition)
            .description("The next offset to read, as committed to the warehouse with the data").register(registry);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    registry.close();
  }
}
