package dev.weir.core.artifacts;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Writes {@code target/sources.json} (dbt sources v3), the outcome of {@code source freshness}. */
public final class SourcesWriter {
  public static final String FILE_NAME = "sources.json";

  private final SecretMasker masker;
  private final String dbtVersion;
  private final Map<String, String> env;

  public SourcesWriter(SecretMasker masker) { this(masker, Artifacts.DBT_VERSION, Map.of()); }

  public SourcesWriter(SecretMasker masker, String dbtVersion, Map<String, String> env) {
    this.masker = masker == null ? SecretMasker.none() : masker;
    this.dbtVersion = dbtVersion == null ? Artifacts.DBT_VERSION : dbtVersion;
    this.env = Artifacts.copy(env);
  }

  /**
   * One source's freshness outcome.
   *
   * @param status    pass, warn, error, or "runtime error" (then only {@code error} is written)
   * @param criteria  the source's freshness config: {warn_after: {count, period}, error_after: ..., filter}
   * @param error     the runtime error message when status is "runtime error", else null
   */
  public record FreshnessResult(String uniqueId, String status, Instant maxLoadedAt, Instant snapshottedAt,
                                Map<String, Object> criteria, Map<String, Object> adapterResponse,
                                Instant executeStarted, Instant executeCompleted, String threadId,
                                double executionTime, String error) {

    public static FreshnessResult checked(String uniqueId, String status, Instant maxLoadedAt, Instant snapshottedAt,
                                          Map<String, Object> criteria, Instant started, Instant completed,
                                          String threadId) {
      double secs = started == null || completed == null ? 0 : Duration.between(started, completed).toNanos() / 1e9;
      return new FreshnessResult(uniqueId, status, maxLoadedAt, snapshottedAt, criteria, Map.of(), started, completed,
          threadId, secs, null);
    }

    public static FreshnessResult error(String uniqueId, String message) {
      return new FreshnessResult(uniqueId, "runtime error", null, null, null, null, null, null, null, 0, message);
    }

    boolean isRuntimeError() { return "runtime error".equals(status) || maxLoadedAt == null; }
  }

  public void write(List<FreshnessResult> results, double elapsedTime, String invocationId, Instant generatedAt,
                    Path file) {
    Artifacts.writeAtomically(file, g -> body(new JsonOut(g, masker), results, elapsedTime, invocationId, generatedAt));
  }

  public void write(List<FreshnessResult> results, double elapsedTime, String invocationId, Instant generatedAt,
                    OutputStream out) {
    Artifacts.write(out, g -> body(new JsonOut(g, masker), results, elapsedTime, invocationId, generatedAt));
  }

  private static final Set<String> STATUSES = Set.of("pass", "warn", "error", "runtime error");

  private void body(JsonOut o, List<FreshnessResult> results, double elapsed, String invocationId, Instant at)
      throws IOException {
    var g = o.g;
    g.writeStartObject();
    Artifacts.writeBaseMetadata(o, Artifacts.SOURCES_SCHEMA, dbtVersion, at == null ? Instant.now() : at,
        invocationId, null, env);
    g.writeFieldName("results");
    g.writeStartArray();
    for (FreshnessResult r : results) {
      g.writeStartObject();
      o.str("unique_id", r.uniqueId());
      if (r.isRuntimeError()) {
        o.str("error", r.error() == null ? "unknown error" : r.error());
        o.str("status", "runtime error");
      } else {
        o.str("max_loaded_at", Artifacts.timestamp(r.maxLoadedAt()));
        Instant snap = r.snapshottedAt() == null ? Instant.now() : r.snapshottedAt();
        o.str("snapshotted_at", Artifacts.timestamp(snap));
        o.num("max_loaded_at_time_ago_in_s", Duration.between(r.maxLoadedAt(), snap).toNanos() / 1e9);
        o.str("status", STATUSES.contains(r.status()) ? r.status() : "error");
        criteria(o, r.criteria());
        o.object("adapter_response", r.adapterResponse() == null ? Map.of() : r.adapterResponse());
        g.writeFieldName("timing");
        g.writeStartArray();
        if (r.executeStarted() != null) {
          g.writeStartObject();
          o.str("name", "execute");
          o.str("started_at", Artifacts.timestamp(r.executeStarted()));
          o.str("completed_at", Artifacts.timestamp(r.executeCompleted()));
          g.writeEndObject();
        }
        g.writeEndArray();
        o.strNN("thread_id", r.threadId() == null ? "main" : r.threadId());
        o.num("execution_time", r.executionTime());
      }
      g.writeEndObject();
    }
    g.writeEndArray();
    o.num("elapsed_time", elapsed);
    g.writeEndObject();
  }

  private static void criteria(JsonOut o, Map<String, Object> c) throws IOException {
    var g = o.g;
    g.writeFieldName("criteria");
    g.writeStartObject();
    for (String k : new String[] {"warn_after", "error_after"}) {
      Object t = c == null ? null : c.get(k);
      g.writeFieldName(k);
      if (t instanceof Map<?, ?> m) {
        g.writeStartObject();
        Long count = ConfigJson.integer(m.get("count"));
        if (count == null) o.nul("count"); else g.writeNumberField("count", count);
        Object period = m.get("period");
        String ps = period == null ? null : period.toString();
        o.str("period", ps != null && Set.of("minute", "hour", "day").contains(ps) ? ps : null);
        g.writeEndObject();
      } else {
        g.writeNull();
      }
    }
    Object filter = c == null ? null : c.get("filter");
    o.str("filter", filter == null ? null : filter.toString());
    g.writeEndObject();
  }
}
