package dev.weir.orchestrate.store;

import java.time.Instant;
import java.util.Map;

/**
 * One run of a pipeline as the store keeps it.
 *
 * @param id the run's number
 * @param intervalStart the data interval's start (null for unscheduled pipelines)
 * @param intervalEnd the data interval's end (exclusive)
 * @param params the parameters the run saw (defaults merged with --param values)
 * @param trigger manual, scheduled, backfill or pipeline:&lt;parent run id&gt;
 * @param runKey unique per scheduled interval (null for manual runs)
 */
public record PipelineRun(long id, String pipeline, Instant intervalStart, Instant intervalEnd, Instant logicalDate,
    Map<String, Object> params, State state, String trigger, String runKey, Long parentRunId,
    Instant queuedAt, Instant startedAt, Instant endedAt) {}
