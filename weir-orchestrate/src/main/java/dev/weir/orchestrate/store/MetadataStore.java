package dev.weir.orchestrate.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where runs are recorded: an embedded SQLite file by default ({@link SqliteStore}), or PostgreSQL for teams
 * ({@link PostgresStore}), with the same schema and migrations ({@link JdbcStore}). Implementations are safe to call from many threads.
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

  // ------------------------------------------------------------------ fenced writes and leases

  /**
   * Like {@link #createRun} but only while {@code fence} (when not null) is still the lease of its resource.
   *
   * @return the new run's id, or -1 when the fence is stale (nothing written)
   */
  long createRun(String pipeline, Instant intervalStart, Instant intervalEnd, Instant logicalDate, Map<String, Object> params,
      String trigger, String runKey, Long parentRunId, List<String> steps, Map<String, Integer> maxTries, Fence fence);

  /** {@link #updateRun} under a fence; false (nothing written) when the fence is stale. */
  boolean updateRun(long runId, State state, Instant startedAt, Instant endedAt, Fence fence);

  /** {@link #putStep} under a fence; false (nothing written) when the fence is stale. */
  boolean putStep(StepRun stepRun, Fence fence);

  /** Sets a finished run back to queued with no end time (for re-running some of its steps); false when fenced off. */
  boolean reopenRun(long runId, Fence fence);

  /** The run of a scheduled or backfilled interval. */
  Optional<PipelineRun> runByKey(String runKey);

  /** Runs with a run_key (scheduled or backfill), of one pipeline, oldest interval first. */
  List<PipelineRun> keyedRuns(String pipeline);

  /** Runs that have not finished (queued or running), oldest first. */
  List<PipelineRun> unfinishedRuns();

  /**
   * Takes the lease of {@code resource} for {@code owner} until {@code now + ttl} if nobody holds it or its holder let
   * it expire (or released it); the token is one more than any token the resource had before.
   *
   * @return the fence to write with, or null when someone else holds it
   */
  Fence acquireLease(String resource, String owner, Instant now, java.time.Duration ttl);

  /** Extends a held lease to {@code now + ttl}; false when it has been taken over (the fence is stale). */
  boolean renewLease(Fence fence, String owner, Instant now, java.time.Duration ttl);

  /** Gives a held lease up (expires it now) so that another scheduler can take it at once; the token stays. */
  void releaseLease(Fence fence, String owner);

  /** The lease row of a resource, if it was ever taken. */
  Optional<Lease> lease(String resource);

  // ------------------------------------------------------------------ alerts

  /**
   * Records that the alert {@code event} (e.g. "late") of the interval starting at {@code intervalStart} of
   * {@code pipeline} is being sent, unless it was recorded before (by this or another process): one insert that does
   * nothing on conflict (table {@code alert_sent}, migration V3).
   *
   * @return true when this call recorded it (send it), false when it was already recorded (don't)
   */
  default boolean markAlertSent(String pipeline, String event, Instant intervalStart, Instant at) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " does not record sent alerts yet (table alert_sent, migration V3)");
  }

  // ------------------------------------------------------------------ pool slots (shared by every process on the store)

  /**
   * Takes a slot of {@code pool} for {@code holder} (a step of a run) when fewer than {@code slots} live slots are held
   * by others; a slot {@code holder} already has is renewed. Atomic across processes.
   *
   * @return whether the holder has the slot now
   */
  boolean takePoolSlot(String pool, int slots, String holder, String owner, Instant now, java.time.Duration ttl);

  /** Gives a slot back. */
  void releasePoolSlot(String pool, String holder);

  /** Extends every slot {@code owner} holds to {@code now + ttl} (a holder that stops renewing loses its slots at expiry). */
  void renewPoolSlots(String owner, Instant now, java.time.Duration ttl);

  @Override
  void close();
}
