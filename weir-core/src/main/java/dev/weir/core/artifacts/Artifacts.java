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
import java.util.List;
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
      replace(tmp, file);
    } catch (IOException e) {
      throw WeirException.runtime("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** From this size on, a file an artifact replaces is deleted on a thread of its own (see {@link #replace}). */
  private static final long DELETE_APART_BYTES = 1 << 20;

  /** Threads deleting replaced files: {@link #awaitDeletes} waits for them. */
  private static final List<Thread> DELETES = new java.util.ArrayList<>();

  /**
   * Moves {@code tmp} over {@code file} atomically. Replacing a large file frees its blocks inside the rename (36 ms for a
   * 22 MB manifest on ext4): a hard link keeps the old file's data alive through the rename, and the link is deleted on
   * a thread of its own while the command finishes ({@link #awaitDeletes}). Where links are not possible the rename
   * frees it as before; a link a killed process left behind is deleted by the next replace.
   */
  static void replace(Path tmp, Path file) throws IOException {
    Path old = null;
    try {
      if (Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.size(file) >= DELETE_APART_BYTES) {
        Path side = file.resolveSibling(file.getFileName() + ".replaced");
        Files.deleteIfExists(side);
        Files.createLink(side, file);
        old = side;
      }
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      old = null;
    }
    boolean moved = false;
    try {
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      moved = true;
    } finally {
      if (old != null && !moved) Files.deleteIfExists(old); // the file is still there: the link only named it twice
    }
    if (old != null) {
      Path side = old;
      Thread t = new Thread(() -> {
        try {
          Files.deleteIfExists(side);
        } catch (IOException e) {
          // the next replace deletes it
        }
      }, "weir-delete-replaced");
      t.setDaemon(true);
      synchronized (DELETES) {
        DELETES.removeIf(d -> !d.isAlive()); // a long-running process (the scheduler) writes many
        DELETES.add(t);
      }
      t.start();
    }
  }

  /** Waits until the files replaced by artifacts written so far are deleted (before the process ends). */
  public static void awaitDeletes() {
    List<Thread> pending;
    synchronized (DELETES) {
      pending = new java.util.ArrayList<>(DELETES);
      DELETES.clear();
    }
    for (Thread t : pending) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
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
