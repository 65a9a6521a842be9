package dev.weir.core.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * How a command wants the warehouse opened.
 *
 * @param targetDir   the project's target/ folder (default database files live there)
 * @param readOnly    the command only reads: engines that lock files should open without the write lock
 * @param lockTimeout how long to wait for another process that holds the warehouse
 * @param command     what this process is doing, e.g. "weir build", shown to other processes that wait
 * @param notice      where to tell the user something while opening (e.g. "waiting for PID 123 ...")
 */
public record EngineOptions(Path targetDir, boolean readOnly, Duration lockTimeout, String command,
                            Consumer<String> notice) {
  public EngineOptions {
    if (lockTimeout == null) lockTimeout = Duration.ofSeconds(60);
    if (notice == null) notice = s -> {};
    if (command == null) command = "weir";
  }
}
