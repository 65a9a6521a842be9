package dev.weir.engine.duckdb;

import dev.weir.core.engine.Engine;
import dev.weir.core.engine.EngineOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A second process that holds a warehouse: {@code HolderMain <projectDir> <path> <rw|ro> <holdMillis> <command>}.
 * Prints {@code READY <pid>} once open, then holds the file and closes it cleanly.
 */
public final class HolderMain {
  @SuppressWarnings("try")
  public static void main(String[] args) throws Exception {
    Path projectDir = Path.of(args[0]);
    boolean readOnly = args[2].equals("ro");
    EngineOptions options = new EngineOptions(projectDir.resolve("target"), readOnly, Duration.ofSeconds(30), args[4],
        s -> System.out.println("NOTICE " + s));
    try (Engine engine = new DuckDbEngineFactory().open(TestSupport.target(projectDir, Map.of("path", args[1])), options)) {
      System.out.println("READY " + ProcessHandle.current().pid());
      System.out.flush();
      Thread.sleep(Long.parseLong(args[3]));
    }
    System.out.println("CLOSED");
  }
}
