package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.core.util.Secrets;
import dev.weir.orchestrate.Pipeline;
import dev.weir.orchestrate.PipelineLoader;
import dev.weir.orchestrate.store.MetadataStore;
import dev.weir.orchestrate.store.PostgresStore;
import dev.weir.orchestrate.store.SqliteStore;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/**
 * The frame of the orchestration commands ({@code weir pipeline ...}, {@code weir runs ...}): the project
 * folder, the metadata store ({@code target/weir_meta.sqlite}), errors as one message with exit code 2.
 * These commands do not load the dbt project itself; {@code weir:} steps do, in-process, through
 * {@link #weirInvoker(Map)}.
 */
abstract class OrchestrateCommand implements Callable<Integer> {
  /** The store's file, relative to the project. */
  static final String STORE_FILE = "target/weir_meta.sqlite";

  @Option(names = "--project-dir", description = "The folder holding pipelines/ (default: the current folder).")
  Path projectDir;

  @Option(names = "--metadata-store", paramLabel = "URL|FILE", description = "Where runs are recorded: an SQLite file (default "
      + STORE_FILE + ") or a PostgreSQL JDBC URL (jdbc:postgresql://host:5432/db?user=weir; password from "
      + "WEIR_METADATA_STORE_PASSWORD). Default: $WEIR_METADATA_STORE, else the SQLite file.")
  String metadataStore;

  @Option(names = {"-d", "--debug"}, description = "Print stack traces of errors.")
  boolean debug;

  PrintStream out;

  abstract int execute() throws Exception;

  @Override
  public final Integer call() {
    out = System.out;
    try {
      return execute();
    } catch (WeirException e) {
      System.err.println(e.describe());
      if (debug) e.printStackTrace();
      return 2;
    } catch (Exception e) {
      System.err.println("Internal error: " + Secrets.mask(String.valueOf(e)) + (debug ? "" : " (run with --debug for details)"));
      if (debug) e.printStackTrace();
      return 2;
    }
  }

  Path project() { return (projectDir != null ? projectDir : Path.of(".")).toAbsolutePath().normalize(); }

  Map<String, Pipeline> pipelines() { return PipelineLoader.load(project()); }

  Pipeline pipeline(Map<String, Pipeline> all, String name) {
    Pipeline p = all.get(name);
    if (p != null) return p;
    if (all.isEmpty()) throw WeirException.usage("No pipeline named '" + name + "': " + project().resolve(PipelineLoader.FOLDER) + " holds no pipeline files");
    throw WeirException.usage("No pipeline named '" + name + "'." + dev.weir.core.util.Suggest.didYouMean(name, all.keySet())
        + " Pipelines: " + String.join(", ", all.keySet()));
  }

  /** {@code --metadata-store}, else {@code WEIR_METADATA_STORE}, else null (the project's SQLite file). */
  private String storeSetting() {
    String where = metadataStore != null ? metadataStore : Common.env().get("WEIR_METADATA_STORE");
    return where == null || where.isBlank() ? null : where;
  }

  /** The store as messages name it (a file relative to the project, or a URL without credentials). */
  String storeName() {
    String where = storeSetting();
    return where == null ? STORE_FILE : where.startsWith("jdbc:") ? PostgresStore.display(where) : where;
  }

  /** Whether the store is an SQLite file that does not exist yet (so there is nothing to read and nothing to create). */
  boolean storeMissing() {
    String where = storeSetting();
    if (where != null && where.startsWith("jdbc:")) return false;
    return !java.nio.file.Files.exists(project().resolve(where == null ? STORE_FILE : where));
  }

  /**
   * The metadata store: {@code --metadata-store}, else {@code WEIR_METADATA_STORE}, else the project's SQLite file. A
   * {@code jdbc:postgresql:} URL opens the PostgreSQL store (password from {@code WEIR_METADATA_STORE_PASSWORD}, never
   * from the command line); anything else is an SQLite file path, relative to the project.
   */
  MetadataStore store() {
    Map<String, String> env = Common.env();
    String where = storeSetting();
    if (where == null) return new SqliteStore(project().resolve(STORE_FILE));
    if (where.startsWith("jdbc:postgresql:")) {
      if (where.toLowerCase(java.util.Locale.ROOT).matches(".*[?&]password=.*")) {
        throw WeirException.usage("The metadata store URL holds a password: put it in WEIR_METADATA_STORE_PASSWORD instead");
      }
      return new PostgresStore(where, null, env.get("WEIR_METADATA_STORE_PASSWORD"));
    }
    if (where.startsWith("jdbc:") || where.startsWith("postgres")) {
      throw WeirException.usage("Unsupported metadata store '" + PostgresStore.display(where) + "': use a file path (SQLite) or jdbc:postgresql://host:port/db");
    }
    return new SqliteStore(project().resolve(where));
  }
  /**
   * Runs {@code weir:} steps in this process through {@link Main#run(Map, String...)}, with the calling command's
   * environment plus the step's variables; what the command prints goes to the step's log file.
   */
  static dev.weir.orchestrate.exec.WeirInvoker weirInvoker(Map<String, String> baseEnv) {
    return (args, env, logFile) -> {
      Map<String, String> all = new LinkedHashMap<>(baseEnv);
      all.putAll(env);
      all.put("NO_COLOR", "1");
      try (PrintStream log = new PrintStream(new FileOutputStream(logFile.toFile(), true), true, StandardCharsets.UTF_8)) {
        // Weir commands of one project share target/ (manifest.json, run_results.json) and the warehouse:
        // in one process they take turns. Waiting for the turn can be interrupted (timeouts, cancel).
        WEIR_STEPS.lockInterruptibly();
        ThreadOutput.TARGET.set(log);
        try {
          return Main.run(all, args.toArray(String[]::new));
        } finally {
          ThreadOutput.TARGET.remove();
          WEIR_STEPS.unlock();
        }
      }
    };
  }

  /** One in-process Weir command at a time. */
  private static final java.util.concurrent.locks.ReentrantLock WEIR_STEPS = new java.util.concurrent.locks.ReentrantLock(true);

  /**
   * System.out and System.err while a pipeline runs: what a thread running a {@code weir:} step prints (and the
   * threads it starts) goes to that step's log file; everything else goes where it went before.
   */
  static final class ThreadOutput extends OutputStream {
    static final InheritableThreadLocal<PrintStream> TARGET = new InheritableThreadLocal<>();
    private final PrintStream fallback;

    ThreadOutput(PrintStream fallback) { this.fallback = fallback; }

    private PrintStream target() {
      PrintStream t = TARGET.get();
      return t != null ? t : fallback;
    }

    @Override public void write(int b) { target().write(b); }

    @Override public void write(byte[] b, int off, int len) { target().write(b, off, len); }

    @Override public void flush() { target().flush(); }

    /** Routes System.out and System.err through per-thread targets until the returned handle is closed. */
    static AutoCloseable install() {
      PrintStream oldOut = System.out;
      PrintStream oldErr = System.err;
      System.setOut(new PrintStream(new ThreadOutput(oldOut), true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(new ThreadOutput(oldErr), true, StandardCharsets.UTF_8));
      return () -> {
        System.setOut(oldOut);
        System.setErr(oldErr);
      };
    }
  }

  // ------------------------------------------------------------------ printing

  /** {@code s} padded with spaces to {@code width} (the progress lines' columns; cheaper than printf for 20,000 lines). */
  static String pad(String s, int width) { return s.length() >= width ? s : s + " ".repeat(width - s.length()); }

  static String seconds(Double s) { return s == null ? "" : String.format(java.util.Locale.ROOT, "%.2fs", s); }

  static String seconds(Duration d) { return seconds(d.toNanos() / 1e9); }

  /** Prints rows as columns padded to their widest cell (the first row is the header). */
  void table(List<List<String>> rows) {
    List<Integer> widths = new ArrayList<>();
    for (List<String> r : rows) {
      for (int i = 0; i < r.size(); i++) {
        int w = r.get(i) == null ? 0 : r.get(i).length();
        if (widths.size() <= i) widths.add(w);
        else widths.set(i, Math.max(widths.get(i), w));
      }
    }
    for (List<String> r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < r.size(); i++) {
        String c = r.get(i) == null ? "" : r.get(i);
        sb.append(c);
        if (i < r.size() - 1) sb.append(" ".repeat(widths.get(i) - c.length() + 2));
      }
      out.println(sb.toString().stripTrailing());
    }
  }

  static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // restoring streams cannot fail in a way worth reporting
    }
  }

}
