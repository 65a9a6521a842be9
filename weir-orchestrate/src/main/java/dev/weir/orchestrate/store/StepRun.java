package dev.weir.orchestrate.store;

import java.time.Instant;

/**
 * One try of one step of a run. A step that never started (upstream failed) has one row with try 1.
 *
 * @param exitCode the process's exit code for shell steps, the command's for Weir steps, the HTTP status for http steps
 * @param error why the try failed (null on success)
 * @param logPath the try's log file, relative to the project
 * @param maxTries the last try number this series of tries may reach (null: retries + 1 of the step's policy)
 */
public record StepRun(long runId, String step, int tryNumber, State state, Instant startedAt, Instant endedAt,
    Integer exitCode, String error, String logPath, Integer maxTries) {

  /** A try row without a recorded try budget. */
  public StepRun(long runId, String step, int tryNumber, State state, Instant startedAt, Instant endedAt,
      Integer exitCode, String error, String logPath) {
    this(runId, step, tryNumber, state, startedAt, endedAt, exitCode, error, logPath, null);
  }

  /** Seconds from start to end, or null when it has not both. */
  public Double seconds() {
    if (startedAt == null || endedAt == null) return null;
    return java.time.Duration.between(startedAt, endedAt).toNanos() / 1e9;
  }
}
