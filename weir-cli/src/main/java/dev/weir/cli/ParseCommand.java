package dev.weir.cli;

import dev.weir.core.execute.Workspace;
import dev.weir.core.project.FilePrefetch;
import dev.weir.core.project.UpToDate;
import dev.weir.core.util.Console;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;

@Command(name = "parse", mixinStandardHelpOptions = true,
    description = "Reads the whole project, checks it and writes target/manifest.json (nothing to do when no project file changed).")
final class ParseCommand extends WeirCommand {
  @Override String commandName() { return "parse"; }

  /** The project's files being stat'ed since before the command line was read ({@link #prefetch}), for one run on this thread. */
  record Prefetch(Path root, String targetPath, CompletableFuture<Map<String, long[]>> files, FilePrefetch contents) {}

  static final ThreadLocal<Prefetch> PREFETCH = new ThreadLocal<>();

  /**
   * Starts the up-to-date snapshot of the project that {@code args} (a parse command line) names, while picocli reads
   * the command line (~0.15 s): an up-to-date parse is mostly these two. Used only when the command then runs on the
   * same folder with the default target path; otherwise the snapshot is taken again.
   */
  static void prefetch(String[] args) {
    String dir = ".";
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--project-dir") && i + 1 < args.length) dir = args[i + 1];
      else if (args[i].startsWith("--project-dir=")) dir = args[i].substring("--project-dir=".length());
    }
    Path root;
    try {
      root = Path.of(dir).toAbsolutePath().normalize();
    } catch (java.nio.file.InvalidPathException e) {
      return;
    }
    if (!java.nio.file.Files.isRegularFile(root.resolve("dbt_project.yml"))) return;
    boolean noCache = java.util.Arrays.asList(args).contains("--no-parse-cache");
    FilePrefetch contents = new FilePrefetch(root);
    // When the files changed since the last manifest (or the cache is off), the parse reads them all: start reading
    // and hashing them now, on a thread of their own, while the command line and the profile are read.
    CompletableFuture<Map<String, long[]>> files = snapshot(root, "target");
    contents.start(() -> {
      Map<String, long[]> f = files.join();
      return noCache || !UpToDate.filesUnchanged(root, "target", f) ? f : Map.of();
    });
    PREFETCH.set(new Prefetch(root, "target", files, contents));
  }

  private static CompletableFuture<Map<String, long[]>> snapshot(Path root, String targetPath) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return UpToDate.snapshot(root, targetPath);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  @Override
  int execute(Workspace ws) throws Exception {
    long t0 = System.nanoTime();
    Path manifest = ws.targetDir().resolve("manifest.json");
    String targetPath = ws.settings().targetPath();
    // The project's files are stat'ed while the profile loads: the same snapshot answers "up to date?" and,
    // when not, is what the new manifest is recorded against (taken before loading, so an edit made
    // during the load counts as a change next time).
    Prefetch early = PREFETCH.get();
    PREFETCH.remove();
    boolean sameProject = early != null && early.root().equals(ws.projectDir().toAbsolutePath().normalize());
    CompletableFuture<Map<String, long[]>> files = sameProject && early.targetPath().equals(targetPath) ? early.files()
        : snapshot(ws.projectDir(), targetPath);
    if (sameProject) ws.useFilePrefetch(early.contents());
    else if (early != null) early.contents().stop();
    try {
      String inputs = ws.parseInputs();
      Map<String, long[]> before;
      try {
        before = files.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof UncheckedIOException u ? u.getCause() : e;
      }
      if (ws.options().useParseCache() && UpToDate.check(ws.projectDir(), targetPath, inputs, ws.options().env()::get, manifest, before)) {
        // (no String.format on this path: a Formatter's first use loads locale data, ~25 ms of an up-to-date parse)
        console.info("No project file changed: " + ws.projectDir().relativize(manifest) + " is up to date (checked in "
            + Console.seconds((System.nanoTime() - t0) / 1e9) + "s; --no-parse-cache parses anyway)");
        return 0;
      }
      ws.loaded();
      ws.graph();
      long t1 = System.nanoTime();
      writeManifest(ws);
      long t2 = System.nanoTime();
      Map<String, String> envUsed = new TreeMap<>();
      for (String name : ws.renderer().envVarsUsed()) envUsed.put(name, ws.options().env().get(name));
      UpToDate.record(ws.projectDir(), targetPath, inputs, envUsed, manifest, before);
      header(ws);
      console.info("Parsed in " + Console.seconds((t1 - t0) / 1e9) + "s (" + ws.loaded().cacheHits() + " files from the parse cache), manifest written in "
          + Console.seconds((t2 - t1) / 1e9) + "s: " + ws.projectDir().relativize(manifest));
      return 0;
    } finally {
      // whatever happened, nothing more to read ahead for (the load stops it when it starts rendering)
      if (early != null) early.contents().stop();
    }
  }
}
