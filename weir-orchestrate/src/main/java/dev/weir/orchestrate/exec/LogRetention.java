package dev.weir.orchestrate.exec;

import dev.weir.orchestrate.store.MetadataStore;
import dev.weir.orchestrate.store.PipelineRun;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Keeps step logs for a while, then removes them: the folder {@code target/runs/<run id>/} of a run that finished more
 * than {@code keep} ago goes (a run still queued or running, or unknown to the store, keeps its logs). The run's record
 * stays in the store; {@code weir runs show} then says the log was removed. The scheduler prunes once an hour.
 */
public final class LogRetention {
  private LogRetention() {}

  /** The folder step logs are written under, relative to the project. */
  public static final String FOLDER = "target/runs";

  /** Removes the logs of runs that ended before {@code now - keep}; returns how many runs' logs were removed. */
  public static int prune(Path projectDir, MetadataStore store, Duration keep, Instant now) throws IOException {
    Path root = projectDir.resolve(FOLDER);
    if (!Files.isDirectory(root)) return 0;
    Instant cutoff = now.minus(keep);
    int removed = 0;
    try (DirectoryStream<Path> runs = Files.newDirectoryStream(root)) {
      for (Path dir : runs) {
        long id;
        try {
          id = Long.parseLong(dir.getFileName().toString());
        } catch (NumberFormatException e) {
          continue; // not a run's folder
        }
        Optional<PipelineRun> r = store.run(id);
        if (r.isEmpty() || !r.get().state().finished() || r.get().endedAt() == null || !r.get().endedAt().isBefore(cutoff)) continue;
        deleteTree(dir);
        removed++;
      }
    }
    return removed;
  }

  private static void deleteTree(Path dir) throws IOException {
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
        Files.deleteIfExists(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
