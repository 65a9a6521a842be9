package dev.weir.core.execute;

import java.time.Instant;
import java.util.Map;

/**
 * The outcome of one node in one invocation, as run_results.json reports it.
 *
 * @param status      dbt's status: success, error, skipped (models, seeds); pass, fail, warn, error, skipped (tests)
 * @param failures    failing row count for tests, else null
 * @param adapterResponse e.g. {_message: "OK", rows_affected: 100}
 */
public record NodeResult(String uniqueId, Status status, String message, Long failures,
                         Instant compileStarted, Instant compileCompleted,
                         Instant executeStarted, Instant executeCompleted,
                         double executionTime, String threadId, Map<String, Object> adapterResponse,
                         String compiledCode, String relationName) {

  public enum Status {
    SUCCESS, ERROR, SKIPPED, PASS, FAIL, WARN, RUNTIME_ERROR;

    public String dbtName() {
      return this == RUNTIME_ERROR ? "runtime error" : name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether this status makes the invocation exit with 1. */
    public boolean isFailure() { return this == ERROR || this == FAIL || this == RUNTIME_ERROR; }
  }
}
