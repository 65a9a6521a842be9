package dev.weir.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The status file a running stream writes, and the same figures served as Prometheus metrics over real HTTP. */
class StreamStatusTest {

  static BatchReport batch(int worker, int records, int deadLetters, long lag, long p99, List<BatchReport.Position> at) {
    return new BatchReport("clicks", worker, 1, records, deadLetters, 10, lag, p99, new long[BatchReport.PHASES.size()], at);
  }

  @Test
  void batchesAddUpInTheStatusFileAndTheMetrics(@TempDir Path dir) throws Exception {
    StreamStatus st = new StreamStatus("clicks", "raw.clicks", dir);
    st.batch(batch(0, 100, 2, 40, 120, List.of(new BatchReport.Position("clicks", 0, 100))));
    st.batch(batch(1, 50, 0, 10, 300, List.of(new BatchReport.Position("clicks", 1, 50))));
    st.batch(batch(0, 40, 1, 0, 80, List.of(new BatchReport.Position("clicks", 0, 140))));
    st.ended(null);

    JsonNode j = new ObjectMapper().readTree(st.file().toFile());
    assertThat(j.get("state").asText()).isEqualTo("stopped");
    assertThat(j.get("records").asLong()).isEqualTo(190);
    assertThat(j.get("dead_letters").asLong()).isEqualTo(3);
    assertThat(j.get("latency_p99_ms_1m").asLong()).isEqualTo(300);
    assertThat(j.get("partitions").toString()).isEqualTo(
        "[{\"topic\":\"clicks\",\"partition\":0,\"next_offset\":140},{\"topic\":\"clicks\",\"partition\":1,\"next_offset\":50}]");
    assertThat(st.lag()).isEqualTo(10); // thread 0's last batch left 0, thread 1's left 10

    try (StreamMetrics m = new StreamMetrics(List.of(st), 0)) {
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body())
          .contains("weir_stream_records_total{stream=\"clicks\"} 190.0")
          .contains("weir_stream_dead_letters_total{stream=\"clicks\"} 3.0")
          .contains("weir_stream_batches_total{stream=\"clicks\"} 3.0")
          .contains("weir_stream_latency_p99_seconds{stream=\"clicks\"} 0.3")
          .contains("weir_stream_lag_records{stream=\"clicks\"} 10.0")
          .contains("weir_stream_committed_offset{partition=\"0\",stream=\"clicks\",topic=\"clicks\"} 140.0")
          .contains("weir_stream_committed_offset{partition=\"1\",stream=\"clicks\",topic=\"clicks\"} 50.0")
          .containsPattern("weir_stream_records_per_second\\{stream=\"clicks\"} 3\\.1666");
    }
  }
}
