package dev.weir.cli;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One real PostgreSQL 17 server (zonky's embedded binaries) for every test class of this JVM that
 * does not need a server of its own: started on first use, stopped when the JVM exits. Classes keep
 * out of each other's way with their own schemas.
 */
final class SharedPostgres {
  private static EmbeddedPostgres pg;

  private SharedPostgres() {}

  static synchronized EmbeddedPostgres get() {
    if (pg != null) return pg;
    try {
      Path work = Path.of("target", "embedded-pg").toAbsolutePath();
      Files.createDirectories(work);
      pg = EmbeddedPostgres.builder()
          .setOverrideWorkingDirectory(work.toFile())
          .setDataDirectory(work.resolve("data-shared-" + ProcessHandle.current().pid()))
          .setCleanDataDirectory(true)
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    EmbeddedPostgres server = pg;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (IOException ignored) {
        // the JVM is going away
      }
    }));
    return pg;
  }
}
