package dev.weir.core.artifacts;

import dev.weir.core.execute.NodeResult;
import dev.weir.core.execute.RunSummary;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes {@code target/run_results.json} (dbt run-results v6) from a {@link RunSummary}.
 * Every string (messages, compiled code, adapter responses, args) goes through the {@link SecretMasker}.
 */
public final class RunResultsWriter {
  public static final String FILE_NAME = "run_results.json";

  private final SecretMasker masker;
  private final String dbtVersion;
  private final Map<String, String> env;

  public RunResultsWriter(SecretMasker masker) { this(masker, Artifacts.DBT_VERSION, Map.of()); }

  public RunResultsWriter(SecretMasker masker, String dbtVersion, Map<String, String> env) {
    this.masker = masker == null ? SecretMasker.none() : masker;
    this.dbtVersion = dbtVersion == null ? Artifacts.DBT_VERSION : dbtVersion;
    this.env = Artifacts.copy(env);
  }

  /** Writes to {@code file} atomically. {@code invocationStartedAt} may be null. */
  public void write(RunSummary summary, Instant invocationStartedAt, Path file) {
    Artifacts.writeAtomically(file, g -> body(new JsonOut(g, masker), summary, invocationStartedAt));
  }

  public void write(RunSummary summary, Instant invocationStartedAt, OutputStream out) {
    Artifacts.write(out, g -> body(new JsonOut(g, masker), summary, invocationStartedAt));
  }

  private void body(JsonOut o, RunSummary s, Instant startedAt) throws IOException {
    var g = o.g;
    g.writeStartObject();
    Artifacts.writeBaseMetadata(o, Artifacts.RUN_RESULTS_SCHEMA, dbtVersion,
        s.generatedAt() == null ? Instant.now() : s.generatedAt(), s.invocationId(), startedAt, env);
    g.writeFieldName("results");
    g.writeStartArray();
    for (NodeResult r : s.results()) result(o, r);
    g.writeEndArray();
    o.num("elapsed_time", s.elapsedTime());
    Map<String, Object> args = new LinkedHashMap<>();
    if (s.command() != null) args.put("which", s.command());
    if (s.invocationId() != null) args.put("invocation_id", s.invocationId());
    if (s.args() != null) args.putAll(s.args());
    o.field("args", args);
    g.writeEndObject();
  }

  private static void result(JsonOut o, NodeResult r) throws IOException {
    var g = o.g;
    g.writeStartObject();
    o.str("status", r.status() == null ? "error" : r.status().dbtName());
    g.writeFieldName("timing");
    g.writeStartArray();
    timing(o, "compile", r.compileStarted(), r.compileCompleted());
    timing(o, "execute", r.executeStarted(), r.executeCompleted());
    g.writeEndArray();
    o.strNN("thread_id", r.threadId() == null ? "main" : r.threadId());
    o.num("execution_time", r.executionTime());
    o.object("adapter_response", r.adapterResponse() == null ? Map.of() : r.adapterResponse());
    o.str("message", r.message());
    g.writeFieldName("failures");
    if (r.failures() == null) g.writeNull(); else g.writeNumber(r.failures());
    o.str("unique_id", r.uniqueId());
    // dbt: compiled is true for nodes that went through compilation (models, tests, snapshots, ...)
    boolean compiled = r.compiledCode() != null;
    o.bool("compiled", compiled);
    o.str("compiled_code", r.compiledCode());
    o.str("relation_name", r.relationName());
    o.nul("batch_results");
    g.writeEndObject();
  }

  /** A timing entry, written only when the phase started (dbt leaves out phases that never ran). */
  private static void timing(JsonOut o, String name, Instant started, Instant completed) throws IOException {
    if (started == null) return;
    var g = o.g;
    g.writeStartObject();
    o.str("name", name);
    o.str("started_at", Artifacts.timestamp(started));
    o.str("completed_at", Artifacts.timestamp(completed));
    g.writeEndObject();
  }
}
