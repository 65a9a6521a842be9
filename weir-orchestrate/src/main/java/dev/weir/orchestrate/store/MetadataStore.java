package dev.weir.orchestrate.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where runs are recorded: an embedded SQLite file by default ({@link SqliteStore}); a PostgreSQL store with
 * the same schema and migrations comes later. Implementations are safe to call from many threads.
 */
public interface MetadataStore extends AutoCloseable {
  /** Records a new run (state queued) with a queued row per step; returns the run's id. */
  long createRun(String pipeline, Instant intervalStart, Instant intervalEnd, Instant logicalDate, Map<String, Object> params,
      String trigger, String runKey, Long parentRunId, List<String> steps);

  /** Sets a run's state, and its start or end time when not null. */
  void updateRun(long runId, State state, Instant startedAt, Instant endedAt);

  /** Inserts or replaces the row of one try of one step. */
  void putStep(StepRun stepRun);

  Optional<PipelineRun> run(long runId);

  /** The latest runs first, of one pipeline or (pipeline null) of all. */
  List<PipelineRun> runs(String pipeline, int limit);

  /** Every try of every step of a run, in the order steps were declared at creation, then by try. */
  List<StepRun> steps(long runId);

  @Override
  void close();
}
