package dev.weir.orchestrate.exec;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Runs a Weir command in-process for a {@code weir:} step. The CLI provides it (it owns the commands);
 * the step is cancelled by interrupting the calling thread.
 */
@FunctionalInterface
public interface WeirInvoker {
  /**
   * Runs {@code weir <args>} with {@code env} added to the caller's environment (the data interval as
   * WEIR_DATA_INTERVAL_START and so on), writing what it prints to {@code logFile}.
   *
   * @return the command's exit code (0 success)
   */
  int invoke(List<String> args, Map<String, String> env, Path logFile) throws Exception;
}
