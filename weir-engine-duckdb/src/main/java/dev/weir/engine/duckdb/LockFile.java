package dev.weir.engine.duckdb;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * The sidecar file that tells other processes who holds a DuckDB warehouse file.
 *
 * <p>DuckDB itself enforces "one read-write process per file" with an OS file lock and reports
 * only the PID and executable of the holder ({@code java}), which says nothing useful to a user.
 * Weir therefore writes, next to the database, a small properties file saying which PID opened
 * it, for which command and since when:
 * <ul>
 *   <li>{@code <db>.weir-lock} for the (single) read-write holder;</li>
 *   <li>{@code <db>.<pid>.weir-read} for each read-only holder (several may coexist, and they
 *       block a writer just as a writer blocks them).</li>
 * </ul>
 * The files are informational only: the real lock stays DuckDB's. They are written after the
 * database opened, removed on close, and ignored when their PID is no longer alive (a killed
 * process leaves its file behind; the next holder overwrites or sweeps it).
 */
final class LockFile {

  /** Who holds a warehouse file. {@code command}/{@code since} are null when only the PID is known. */
  record Holder(long pid, String command, Instant since, boolean writer) {
    String describe() {
      StringBuilder sb = new StringBuilder("PID ").append(pid);
      if (command != null || since != null) {
        sb.append(" (");
        if (command != null) sb.append(command);
        if (since != null) {
          if (command != null) sb.append(", ");
          sb.append("since ").append(formatTime(since));
        }
        sb.append(')');
      }
      return sb.toString();
    }
  }

  private static final String WRITER_SUFFIX = ".weir-lock";
  private static final String READER_SUFFIX = ".weir-read";

  private LockFile() {}

  static Path writerFile(Path db) {
    return db.resolveSibling(db.getFileName() + WRITER_SUFFIX);
  }

  static Path readerFile(Path db, long pid) {
    return db.resolveSibling(db.getFileName() + "." + pid + READER_SUFFIX);
  }

  static Path fileFor(Path db, boolean writer) {
    long pid = ProcessHandle.current().pid();
    return writer ? writerFile(db) : readerFile(db, pid);
  }

  /** Records this process as a holder. Best effort: a read-only folder only loses the nicety. */
  static void write(Path db, boolean writer, String command) {
    Path file = fileFor(db, writer);
    Properties p = new Properties();
    p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
    p.setProperty("command", command);
    p.setProperty("started", Instant.now().toString());
    p.setProperty("mode", writer ? "read-write" : "read-only");
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp" + ProcessHandle.current().pid());
      try (Writer w = Files.newBufferedWriter(tmp)) {
        p.store(w, "Weir: this process has the DuckDB warehouse open (informational; removed on close)");
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      // informational only
    }
  }

  /** Removes this process's record (only if it still is ours). */
  static void remove(Path db, boolean writer) {
    Path file = fileFor(db, writer);
    read(file).filter(h -> h.pid() == ProcessHandle.current().pid()).ifPresent(h -> {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // informational only
      }
    });
  }

  /**
   * The live holder to blame for a lock conflict: the one whose PID DuckDB reported when it did,
   * else the live writer, else any live reader. Falls back to the bare PID DuckDB reported.
   */
  static Optional<Holder> findHolder(Path db, Long reportedPid) {
    List<Holder> live = new ArrayList<>();
    read(writerFile(db)).filter(LockFile::alive).ifPresent(live::add);
    Path dir = db.toAbsolutePath().getParent();
    String prefix = db.getFileName() + ".";
    if (dir != null && Files.isDirectory(dir)) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> {
        String n = p.getFileName().toString();
        return n.startsWith(prefix) && n.endsWith(READER_SUFFIX);
      })) {
        for (Path f : ds) {
          Optional<Holder> h = read(f);
          if (h.isPresent() && alive(h.get())) {
            live.add(h.get());
          } else {
            try {
              Files.deleteIfExists(f); // stale reader record
            } catch (IOException e) {
              // ignore
            }
          }
        }
      } catch (IOException e) {
        // ignore
      }
    }
    long self = ProcessHandle.current().pid();
    live.removeIf(h -> h.pid() == self);
    if (reportedPid != null) {
      for (Holder h : live) if (h.pid() == reportedPid) return Optional.of(h);
      String cmd = ProcessHandle.of(reportedPid).flatMap(ph -> ph.info().command())
          .map(c -> Path.of(c).getFileName().toString()).orElse(null);
      // no Weir lock info (another tool, or a Weir process that could not write it): name the program
      return Optional.of(new Holder(reportedPid, cmd, null, true));
    }
    return live.stream().filter(Holder::writer).findFirst().or(() -> live.stream().findFirst());
  }

  static Optional<Holder> read(Path file) {
    if (!Files.isRegularFile(file)) return Optional.empty();
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
      long pid = Long.parseLong(p.getProperty("pid", "").trim());
      Instant since = null;
      try {
        since = Instant.parse(p.getProperty("started", "").trim());
      } catch (RuntimeException e) {
        // leave unknown
      }
      String cmd = p.getProperty("command");
      return Optional.of(new Holder(pid, cmd == null || cmd.isBlank() ? null : cmd, since,
          !"read-only".equals(p.getProperty("mode"))));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  static boolean alive(Holder h) {
    return ProcessHandle.of(h.pid()).map(ProcessHandle::isAlive).orElse(false);
  }

  static String formatTime(Instant t) {
    ZoneId zone = ZoneId.systemDefault();
    boolean today = LocalDate.ofInstant(t, zone).equals(LocalDate.now(zone));
    return DateTimeFormatter.ofPattern(today ? "HH:mm:ss" : "yyyy-MM-dd HH:mm:ss").withZone(zone).format(t);
  }
}
