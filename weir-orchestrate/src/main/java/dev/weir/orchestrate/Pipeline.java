package dev.weir.orchestrate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pipeline as declared in {@code pipelines/<name>.yml}: parameters with defaults, an optional
 * schedule, default reliability policies, and steps with dependencies between them.
 *
 * @param name the pipeline's name (the file's name without .yml unless {@code name:} says otherwise)
 * @param description free text
 * @param file the file it was read from, relative to the project (for messages)
 * @param params parameter names and their defaults, in file order
 * @param schedule when it runs on its own, or null for pipelines only triggered by hand
 * @param maxParallel how many steps of one run may run at the same time
 * @param maxActiveRuns how many runs of the pipeline the scheduler keeps in progress at once (key {@code max_active_runs}, default 1)
 * @param steps the steps in file order
 * @param alerts where failures, retries, recoveries, successes and late intervals are reported (keys {@code alerts}
 *     and {@code late_after}, else the project's defaults in {@code pipelines/alerts.yml})
 */
public record Pipeline(String name, String description, String file, Map<String, Object> params, Schedule schedule,
    int maxParallel, int maxActiveRuns, List<Step> steps, dev.weir.orchestrate.alert.AlertSpec alerts) {

  /** What a step does. */
  public enum Kind { WEIR, SHELL, NOOP, HTTP, PIPELINE, SENSOR }

  /** How often and how patiently a step is tried. */
  public record Policy(int retries, Duration retryDelay, boolean retryBackoff, Duration maxRetryDelay, Duration timeout) {
    /** Airflow-like defaults: no retries, 5 minutes between tries when retries are set, doubling up to 1 hour, no timeout. */
    public static final Policy DEFAULT = new Policy(0, Duration.ofMinutes(5), false, Duration.ofHours(1), null);

    /**
     * The wait before try {@code nextTry} (2, 3, ...): the retry delay, doubled for each earlier retry when
     * backoff is on, capped at max_retry_delay; with backoff a random jitter takes up to a quarter off so that
     * many failing steps do not all come back at the same moment.
     */
    public Duration delayBefore(int nextTry, java.util.Random random) {
      long base = retryDelay.toMillis();
      if (!retryBackoff) return retryDelay;
      int doublings = Math.max(0, Math.min(nextTry - 2, 30));
      double d = Math.min((double) base * (1L << doublings), maxRetryDelay.toMillis());
      double jittered = d * (0.75 + 0.25 * random.nextDouble());
      return Duration.ofMillis(Math.round(jittered));
    }
  }

  /**
   * One step.
   *
   * @param name unique within the pipeline
   * @param dependsOn steps that must succeed first
   * @param kind what it does
   * @param command the Weir command line (WEIR), the shell command (SHELL), the other pipeline's name (PIPELINE)
   * @param http the HTTP call (HTTP), else null
   * @param policy retries and timeout, the pipeline's defaults with the step's overrides
   * @param line where the step is declared
   * @param pool the pool whose slot the step needs while it runs (key {@code pool}), or null
   * @param dependsOnPast whether the step waits for the same step of the previous interval to have succeeded
   * @param sensor what a SENSOR step waits for, else null
   */
  public record Step(String name, List<String> dependsOn, Kind kind, String command, Http http, Policy policy, int line,
      String pool, boolean dependsOnPast, Sensor sensor) {}

  /**
   * What a sensor step waits for, exactly one of: a file (glob, relative to the project), a source's freshness
   * ({@code source_name.table_name}), another pipeline's runs covering this run's data interval (optionally one of its
   * steps), or an HTTP condition. The condition is looked at every {@code pokeInterval}; between looks the step holds
   * no thread. When {@code timeout} has passed since the try began, the try fails.
   *
   * @param what which condition
   * @param target the glob, the source, the pipeline's name, or the URL (file and URL may use {@code {{ ds }}} and the other run variables)
   * @param step for a pipeline sensor: the step of the other pipeline that must have succeeded (null: the whole run)
   * @param http for an HTTP sensor: method, expected status and body
   * @param bodyContains for an HTTP sensor: text the response body must contain, or null
   */
  public record Sensor(SensorKind what, String target, String step, Http http, String bodyContains, Duration pokeInterval, Duration timeout) {}

  /** The conditions a sensor can wait for. */
  public enum SensorKind { FILE, SOURCE_FRESHNESS, PIPELINE, HTTP }

  /** An HTTP step's request: the step succeeds when the response has the expected status (any 2xx when not set). */
  public record Http(String url, String method, Integer expectStatus, String body) {}

  /** The step of this name, or null. */
  public Step step(String stepName) {
    for (Step s : steps) if (s.name().equals(stepName)) return s;
    return null;
  }

  /** Steps that depend directly on each step. */
  public Map<String, List<String>> dependents() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Step s : steps) out.put(s.name(), new ArrayList<>());
    for (Step s : steps) for (String d : s.dependsOn()) out.get(d).add(s.name());
    return out;
  }
}
