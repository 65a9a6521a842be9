package dev.weir.core.project;

import dev.weir.jinja.JinjaEnvironment;
import dev.weir.jinja.Template;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A project's SQL files read, hashed and parsed as templates ahead of its load, on a thread of their own, while the
 * rest of the process starts (the command line, the profile): {@code weir parse} starts one when the project's files
 * changed since the last manifest. The loader takes a file's text and checksum from here when they are ready and
 * reads the file itself otherwise, and stops the work when it starts rendering. Files are read with the loader's
 * rules (UTF-8) and parsed with its Jinja environment; a file that does not decode or parse is left to the loader,
 * which reports it.
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
  private final JinjaEnvironment env = new JinjaEnvironment();
  private final Map<Path, Content> contents = new ConcurrentHashMap<>();
  private volatile boolean stopped;
  private final AtomicInteger taken = new AtomicInteger();
  private final AtomicInteger parsed = new AtomicInteger();
  private final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);

  public FilePrefetch(Path root) {
    this.root = root;
  }

  public Path root() { return root; }

  /** The Jinja environment templates are parsed with here: the loader parses with the same. */
  JinjaEnvironment env() { return env; }

  /**
   * Reads the {@code .sql} files among {@code files} (paths relative to the root), in order, then parses them, on a
   * daemon thread, until stopped.
   */
  public void start(Collection<String> files) {
    List<String> sql = new ArrayList<>();
    for (String f : files) if (f.endsWith(".sql")) sql.add(f);
    sql.sort(null);
    Thread t = new Thread(() -> {
      try {
        work(sql);
      } finally {
        finished.countDown();
      }
    }, "weir-file-prefetch");
    t.setDaemon(true);
    t.start();
  }

  private void work(List<String> sql) {
    List<Content> read = new ArrayList<>(sql.size());
    for (String rel : sql) {
      if (stopped) return;
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
    for (Content c : read) {
      if (stopped) return;
      try {
        c.template = env.parse(c.rel, c.text);
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
