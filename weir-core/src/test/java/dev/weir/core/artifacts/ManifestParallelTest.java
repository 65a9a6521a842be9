package dev.weir.core.artifacts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Large manifests render node JSON in parallel: the bytes must be exactly the sequential ones. */
class ManifestParallelTest {
  @Test
  void parallelNodeRenderingWritesTheSameBytes() {
    var project = TestProjects.large(3_000);
    ManifestWriter w = new ManifestWriter(SecretMasker.none());
    Instant t = Instant.parse("2026-01-02T03:04:05Z");
    int saved = ManifestWriter.parallelFrom;
    try {
      ManifestWriter.parallelFrom = Integer.MAX_VALUE;
      ByteArrayOutputStream sequential = new ByteArrayOutputStream();
      w.write(project, "inv", t, "duckdb", sequential);
      ManifestWriter.parallelFrom = 1;
      ByteArrayOutputStream parallel = new ByteArrayOutputStream();
      w.write(project, "inv", t, "duckdb", parallel);
      assertThat(parallel.size()).isGreaterThan(1_000_000);
      assertThat(parallel.toByteArray()).isEqualTo(sequential.toByteArray());
    } finally {
      ManifestWriter.parallelFrom = saved;
    }
  }
}
