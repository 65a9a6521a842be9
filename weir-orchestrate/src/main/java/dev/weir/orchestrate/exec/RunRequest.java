package dev.weir.orchestrate.exec;

import dev.weir.core.WeirException;
import dev.weir.core.util.Suggest;
import dev.weir.orchestrate.Pipeline;
import dev.weir.orchestrate.Schedule;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a run is asked to do: its data interval and logical date, its parameters, and why it runs.
 *
 * @param interval the data interval; for a pipeline without a schedule it is empty ({@code [logical date, logical date)})
 * @param params the pipeline's defaults with the caller's values on top
 * @param trigger manual, scheduled, backfill or pipeline:&lt;parent run id&gt;
 * @param runKey unique key of a scheduled interval (null for manual runs)
 * @param zone the zone {@code ds} is given in (the schedule's, else UTC)
 */
public record RunRequest(Instant logicalDate, Schedule.Interval interval, Map<String, Object> params, String trigger,
    String runKey, Long parentRunId, ZoneId zone) {

  /**
   * A manual trigger: with {@code logicalDate}, the interval holding it (for a scheduled pipeline); without, the
   * latest complete interval as of {@code now}. Parameter values must name declared parameters.
   */
  public static RunRequest manual(Pipeline p, Instant logicalDate, Map<String, Object> overrides, Instant now) {
    Map<String, Object> params = params(p, overrides);
    Schedule s = p.schedule();
    if (s == null) {
      Instant ld = logicalDate != null ? logicalDate : now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
      return new RunRequest(ld, new Schedule.Interval(ld, ld), params, "manual", null, null, ZoneId.of("UTC"));
    }
    Schedule.Interval iv = logicalDate != null ? s.intervalContaining(logicalDate) : s.latestComplete(now);
    if (iv == null) iv = s.intervalContaining(now);
    return new RunRequest(iv.start(), iv, params, "manual", null, null, s.zone());
  }

  /** The run of a scheduled (or backfilled: {@code trigger}) interval: logical date = interval start, default params, its run key. */
  public static RunRequest scheduled(Pipeline p, Schedule.Interval iv, String trigger) {
    return new RunRequest(iv.start(), iv, new LinkedHashMap<>(p.params()), trigger, PipelineExecutor.runKey(p.name(), iv.start()), null,
        p.schedule().zone());
  }

  /** A child run for a {@code pipeline:} step: the parent's interval, the child's defaults plus the parent's values for the same names. */
  public RunRequest child(Pipeline childPipeline, long parentRunId) {
    Map<String, Object> p = new LinkedHashMap<>(childPipeline.params());
    for (String k : childPipeline.params().keySet()) if (params.containsKey(k)) p.put(k, params.get(k));
    return new RunRequest(logicalDate, interval, p, "pipeline:" + parentRunId, null, parentRunId, zone);
  }

  static Map<String, Object> params(Pipeline p, Map<String, Object> overrides) {
    Map<String, Object> out = new LinkedHashMap<>(p.params());
    for (Map.Entry<String, Object> e : overrides.entrySet()) {
      if (!p.params().containsKey(e.getKey())) {
        throw WeirException.usage("Pipeline '" + p.name() + "' has no parameter '" + e.getKey() + "'."
            + Suggest.didYouMean(e.getKey(), p.params().keySet())
            + (p.params().isEmpty() ? " It declares none (add them under 'params:' in " + p.file() + ")." : " It has: " + String.join(", ", p.params().keySet())));
      }
      out.put(e.getKey(), e.getValue());
    }
    return out;
  }

  /** {@code ds}: the logical date's calendar date in the pipeline's zone, e.g. 2024-01-31. */
  public String ds() { return LocalDate.ofInstant(logicalDate, zone).toString(); }

  /** The values steps see: data_interval_start, data_interval_end, logical_date, ds, then the params. */
  public Map<String, Object> vars() {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("data_interval_start", interval.start().toString());
    v.put("data_interval_end", interval.end() == null ? null : interval.end().toString());
    v.put("logical_date", logicalDate.toString());
    v.put("ds", ds());
    v.putAll(params);
    return v;
  }

  /** The environment variables shell steps get (and Weir steps too, for env_var()). */
  public Map<String, String> envVars() {
    Map<String, String> e = new LinkedHashMap<>();
    e.put("WEIR_DATA_INTERVAL_START", interval.start().toString());
    e.put("WEIR_DATA_INTERVAL_END", interval.end() == null ? "" : interval.end().toString());
    e.put("WEIR_LOGICAL_DATE", logicalDate.toString());
    e.put("WEIR_DS", ds());
    for (Map.Entry<String, Object> p : params.entrySet()) {
      e.put("WEIR_PARAM_" + p.getKey().toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9_]", "_"), String.valueOf(p.getValue()));
    }
    return e;
  }
}
