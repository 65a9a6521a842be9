package dev.weir.core.project;

import dev.weir.jinja.JinjaEnvironment;
import dev.weir.jinja.Template;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A project's SQL files read, hashed and parsed as templates ahead of its load, on a thread of their own, while the
 * rest of the process starts (the command line, the profile): {@code weir parse} starts one when the project's files
 * changed since the last manifest. The loader takes a file's text and checksum from here when they are ready and
 * reads the file itself otherwise. When the loader starts on the files itself ({@link #loaderReads}), the reading here
 * stops (no file is read twice) and the parsing of what was read begins; the loader stops that when it starts
 * rendering. Files are read with the loader's rules (UTF-8) and parsed with its Jinja environment; a file that does not
 * decode or parse is left to the loader, which reports it.
 */
public final class FilePrefetch {
  /** A file's text, its sha256 (the manifest's checksum) and, once parsed, its template. */
  static final class Content {
    final String rel;
    final String text;
    final String sha256;
    volatile Template template;

    Content(String rel, String text, String sha256) {
      this.rel = rel;
      this.text = text;
      this.sha256 = sha256;
    }
  }

  private static final long MAX_FILE = 1 << 20;

  private final Path root;
  private JinjaEnvironment env;
  private volatile ProjectSettings settings;
  private final Map<String, List<Path>> listings = new ConcurrentHashMap<>();
  private final Map<Path, Content> contents = new ConcurrentHashMap<>(16384); // an entry per file: made large at once
  private volatile boolean stopped;
  private volatile boolean loaderReads;
  private final AtomicInteger taken = new AtomicInteger();
  private final AtomicInteger parsed = new AtomicInteger();
  private final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);

  public FilePrefetch(Path root) {
    this.root = root;
  }

  public Path root() { return root; }

  /** The Jinja environment templates are parsed with here (made on first need): the loader parses with the same. */
  synchronized JinjaEnvironment env() {
    if (env == null) env = new JinjaEnvironment();
    return env;
  }

  /**
   * On a daemon thread: reads dbt_project.yml (the YAML reader's first use, done before the main thread needs it);
   * then, when {@code files} (the project's files by path relative to the root, as {@link UpToDate#snapshot} gives
   * them; it may wait for one) holds {@code .sql} files, lists the resource folders (from that snapshot where it can
   * tell), reads and hashes those files in order until the loader reads files itself, does what every load does once
   * per process (the Jinja environment, the scan of Weir's built-in macros), then parses the files read, until stopped.
   */
  public void start(java.util.function.Supplier<Map<String, long[]>> files) {
    Thread t = new Thread(() -> {
      try {
        readSettings();
        if (stopped) return;
        Map<String, long[]> snapshot = files.get();
        List<String> sql = new ArrayList<>();
        for (String f : snapshot.keySet()) if (f.endsWith(".sql")) sql.add(f);
        if (sql.isEmpty()) return; // up to date: nothing will be loaded
        listFolders(snapshot);
        sql.sort(null);
        List<Content> read = read(sql);
        if (stopped) return;
        env();
        ProjectLoader.builtinMacroFiles();
        parse(read);
      } catch (RuntimeException e) {
        // nothing read ahead: the loader reads everything itself
      } finally {
        finished.countDown();
      }
    }, "weir-file-prefetch");
    t.setDaemon(true);
    t.start();
  }

  /** dbt_project.yml, read as the load reads it (the YAML reader's first use is then done when the main thread needs it). */
  private void readSettings() {
    try {
      settings = DbtProjectFile.load(root, warning -> { }, false);
    } catch (RuntimeException e) {
      // the load reports it
    }
  }

  /**
   * Lists the project's resource folders as the loader does: from the up-to-date snapshot (the files it stat'ed, in
   * one pass: no second walk), and walks the folders it cannot tell about (see {@link UpToDate#listings}). A file added
   * after the snapshot is then missing from both the listing and the snapshot the parse records, so the next parse sees
   * it as a change.
   */
  private void listFolders(Map<String, long[]> snapshot) {
    if (settings == null) return;
    java.util.Set<String> folders = new java.util.LinkedHashSet<>();
    for (List<String> paths : List.of(settings.modelPaths(), settings.seedPaths(), settings.analysisPaths(), settings.macroPaths(),
        settings.snapshotPaths(), settings.testPaths(), settings.docsPaths())) {
      folders.addAll(paths);
    }
    Map<String, List<Path>> listed = UpToDate.listings(snapshot, root, folders);
    listings.putAll(listed);
    for (String folder : folders) {
      if (stopped) return;
      if (listed.containsKey(folder)) continue;
      try {
        listings.put(folder, ProjectLoader.walk(root, folder));
      } catch (RuntimeException e) {
        // the loader lists it again and reports what is wrong
      }
    }
  }

  /** The files under {@code folder} as listed ahead, or null. */
  List<Path> listing(String folder) { return listings.get(folder); }

  /** Reads and hashes {@code sql} in order until stopped or the loader reads files itself. */
  private List<Content> read(List<String> sql) {
    List<Content> read = new ArrayList<>(sql.size());
    for (String rel : sql) {
      if (stopped || loaderReads) break;
      Path f = root.resolve(rel);
      try {
        if (Files.size(f) > MAX_FILE) continue;
        String text = Files.readString(f, StandardCharsets.UTF_8);
        Content c = new Content(rel.replace('\\', '/'), text, ProjectLoader.sha256(text));
        contents.put(f, c);
        read.add(c);
      } catch (IOException | RuntimeException e) {
        // the loader reads it again and reports what is wrong
      }
    }
    return read;
  }

  /** Parses what was read, in order, until stopped. */
  private void parse(List<Content> read) {
    JinjaEnvironment jinja = env();
    for (Content c : read) {
      if (stopped) return;
      try {
        c.template = jinja.parse(c.rel, c.text);
        parsed.incrementAndGet();
      } catch (RuntimeException | StackOverflowError e) {
        // the loader parses it again and reports what is wrong
      }
    }
  }

  /** Waits until the work ahead is done or stopped; false when {@code millis} passed first (or it never started). */
  public boolean await(long millis) throws InterruptedException {
    return finished.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** The loader reads the files it did not find here itself from now on: stop reading (go on to parsing). */
  void loaderReads() { loaderReads = true; }

  /** Stops working ahead (what was done stays available). */
  public void stop() { stopped = true; }

  /** The prefetched text and checksum of {@code file}, once (null when it was not read ahead). */
  Content take(Path file) {
    Content c = contents.remove(file);
    if (c != null) taken.incrementAndGet();
    return c;
  }

  /** How many files the load took from here. */
  public int taken() { return taken.get(); }

  /** How many templates were parsed here. */
  public int parsed() { return parsed.get(); }
}
