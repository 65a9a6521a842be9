package dev.weir.engine.duckdb;

import dev.weir.core.engine.EngineOptions;
import dev.weir.core.engine.Engines;
import dev.weir.core.engine.TargetConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Opening engines on real files, and child JVMs for the multi-process tests. */
final class TestSupport {
  private TestSupport() {}

  static TargetConfig target(Path projectDir, Map<String, Object> settings) {
    Map<String, Object> s = new HashMap<>(settings);
    s.putIfAbsent("type", "duckdb");
    return new TargetConfig("p", "dev", "duckdb", null, null, 1, s, projectDir);
  }

  static EngineOptions options(Path projectDir, boolean readOnly, Duration lockTimeout, String command,
                               List<String> notices) {
    return new EngineOptions(projectDir.resolve("target"), readOnly, lockTimeout, command,
        notices == null ? null : notices::add);
  }

  static DuckDbEngine open(Path projectDir, Map<String, Object> settings) {
    return (DuckDbEngine) Engines.forType("duckdb").open(target(projectDir, settings),
        options(projectDir, false, Duration.ofSeconds(5), "weir test", new CopyOnWriteArrayList<>()));
  }

  /** A child JVM running one of the test mains, with its output lines readable as they come. */
  static final class Child implements AutoCloseable {
    final Process process;
    final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Child(Class<?> main, String... args) throws IOException {
      List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
      if (args.length > 0 && java.nio.file.Files.isDirectory(Path.of(args[0]))) {
        // the driver copies its native library to the temp folder at each start; a killed child would leave it in /tmp
        Path tmp = java.nio.file.Files.createDirectories(Path.of(args[0]).resolve(".jvm-tmp"));
        cmd.add("-Djava.io.tmpdir=" + tmp);
      }
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
      cmd.addAll(List.of(args));
      process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      Thread t = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) lines.add(line);
        } catch (IOException ignored) {
          // process gone
        }
      });
      t.setDaemon(true);
      t.start();
    }

    /** Waits for a line starting with {@code prefix}; fails with everything the child printed. */
    String await(String prefix, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      StringBuilder seen = new StringBuilder();
      while (System.nanoTime() < deadline) {
        String l = lines.poll(50, TimeUnit.MILLISECONDS);
        if (l == null) {
          if (!process.isAlive() && lines.isEmpty()) break;
          continue;
        }
        seen.append(l).append('\n');
        if (l.startsWith(prefix)) return l;
      }
      throw new AssertionError("child did not print '" + prefix + "' (alive=" + process.isAlive() + "):\n" + seen);
    }

    long pid() {
      return process.pid();
    }

    @Override
    public void close() {
      if (process.isAlive()) {
        process.destroyForcibly();
        try {
          process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
