package dev.weir.core.artifacts;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.weir.core.WeirException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** Constants and helpers shared by the artifact writers. */
public final class Artifacts {
  private Artifacts() {}

  /**
   * The dbt version Weir reports in artifact metadata. The schemas only require a string; tools read
   * it as a version, so it is a valid semver of the dbt release whose artifacts Weir mirrors, with
   * build metadata naming Weir (so version comparisons treat it as 1.11.0, not a pre-release).
   */
  public static final String DBT_VERSION = "1.11.0+weir";

  public static final String MANIFEST_SCHEMA = "https://schemas.getdbt.com/dbt/manifest/v12.json";
  public static final String RUN_RESULTS_SCHEMA = "https://schemas.getdbt.com/dbt/run-results/v6.json";
  public static final String CATALOG_SCHEMA = "https://schemas.getdbt.com/dbt/catalog/v1.json";
  public static final String SOURCES_SCHEMA = "https://schemas.getdbt.com/dbt/sources/v3.json";

  /** The prefix of env vars dbt copies (prefix stripped) into every artifact's metadata.env. */
  public static final String CUSTOM_ENV_PREFIX = "DBT_ENV_CUSTOM_ENV_";

  static final JsonFactory JSON = JsonFactory.builder().build();

  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  /** dbt's timestamp spelling: UTC, microseconds, trailing Z ({@code 2024-05-01T10:00:00.123456Z}). */
  public static String timestamp(Instant t) {
    return t == null ? null : TS.format(t);
  }

  /** Seconds since the epoch with fractions, as dbt's {@code created_at}. */
  static double epochSeconds(Instant t) {
    return t.getEpochSecond() + t.getNano() / 1e9;
  }

  /** The metadata.env map dbt writes: {@code DBT_ENV_CUSTOM_ENV_*} variables, prefix stripped, sorted. */
  public static Map<String, String> customEnv(Map<String, String> processEnv) {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> e : processEnv.entrySet()) {
      if (e.getKey().startsWith(CUSTOM_ENV_PREFIX) && e.getValue() != null) {
        out.put(e.getKey().substring(CUSTOM_ENV_PREFIX.length()), e.getValue());
      }
    }
    return out;
  }

  @FunctionalInterface
  interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  /** Writes to a sibling temp file and moves it into place, so readers never see half an artifact. */
  static void writeAtomically(Path file, Body body) {
    try {
      Path dir = file.toAbsolutePath().getParent();
      if (dir != null) Files.createDirectories(dir);
      Path tmp = (dir == null ? Path.of(".") : dir).resolve(file.getFileName() + ".tmp");
      try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        write(os, body);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw WeirException.runtime("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  static void write(OutputStream os, Body body) {
    try (JsonGenerator g = JSON.createGenerator(os, JsonEncoding.UTF8)) {
      g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The standard metadata block (run_results, catalog, sources): version, time, invocation, env. */
  static void writeBaseMetadata(JsonOut o, String schema, String dbtVersion, Instant generatedAt,
                                String invocationId, Instant invocationStartedAt, Map<String, String> env)
      throws IOException {
    o.g.writeFieldName("metadata");
    o.g.writeStartObject();
    o.str("dbt_schema_version", schema);
    o.str("dbt_version", dbtVersion);
    o.str("generated_at", timestamp(generatedAt));
    o.str("invocation_id", invocationId);
    o.str("invocation_started_at", timestamp(invocationStartedAt));
    o.stringMap("env", env);
    o.g.writeEndObject();
  }

  static Map<String, String> copy(Map<String, String> env) {
    return env == null ? Map.of() : new LinkedHashMap<>(env);
  }
}
