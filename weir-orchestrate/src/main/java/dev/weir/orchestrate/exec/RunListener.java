package dev.weir.orchestrate.exec;

import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import java.time.Duration;

/** Hears what a run does, as it happens (the CLI prints it). Called from the executor's threads. */
public interface RunListener {
  RunListener NONE = new RunListener() {};

  default void runStarted(long runId, String pipeline, RunRequest request) {}

  default void stepStarted(long runId, String step, int tryNumber, int maxTries, String logPath) {}

  /** A try ended (or a step was given up because an upstream step failed); {@code retryIn} is set when another try follows. */
  default void stepFinished(long runId, StepRun result, Duration retryIn) {}

  default void runFinished(long runId, String pipeline, State state) {}

  /** A ready step cannot start yet (a pool has no free slot, or the previous interval's same step has not succeeded). */
  default void stepWaiting(long runId, String step, String why) {}

  /** This process stopped working on the run because its lease was taken over (nothing more is written for it). */
  default void runLost(long runId, String pipeline, String why) {}
}
