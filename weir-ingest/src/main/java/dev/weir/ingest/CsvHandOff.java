package dev.weir.ingest;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.Session;
import dev.weir.core.util.Secrets;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;

/**
 * The fast path from a Postgres source into DuckDB: the source's {@code COPY ... TO STDOUT (FORMAT
 * csv)} is written by a reader thread into chunk files of about {@link #CHUNK_BYTES} (at row
 * boundaries), and DuckDB loads each finished chunk with its parallel, typed {@code read_csv} while
 * the next one is being written. At most two chunks wait on disk, so memory and disk stay bounded
 * whatever the table's size. Values DuckDB cannot cast to the column's type are skipped by
 * {@code read_csv}'s {@code store_rejects} and come back as dead letters.
 *
 * <p>Measured on the benchmark machine, DuckDB's Java appender alone takes ~3.7 s per million rows
 * of the 10-column benchmark table while {@code read_csv} of the same rows takes ~1.4 s on two
 * cores: this is why Postgres → DuckDB goes through files rather than through {@code bulkLoad}.
 */
final class CsvHandOff {
  static final long CHUNK_BYTES = 32L << 20;
  private static final Path END = Path.of("");

  private record Chunk(Path file, long rows, long firstRow) {}

  /** What the hand-off loaded. */
  record Result(long loaded, long read, long bad, List<RowStream.DeadLetter> deadLetters) {}

  private final SourceDb db;
  private final Session s;
  private final Dialect d;
  private final Path dir;
  /** Where timing details go (the console's debug level). */
  java.util.function.Consumer<String> debug = m -> { };

  CsvHandOff(SourceDb db, Session s, Path dir) {
    this.db = db;
    this.s = s;
    this.d = s.dialect();
    this.dir = dir;
  }

  /**
   * Loads the rows of {@code select} (columns {@code readCols}) into the staging table's columns
   * {@code targets}, cast to {@code types}. {@code keyIdx} are the read columns of the key.
   */
  Result run(String select, List<String> readCols, List<String> targets, List<ColumnType> types, int[] keyIdx,
             Relation staging, TableLoad.Progress progress) throws IOException {
    if (Files.isDirectory(dir)) clean(dir);
    Files.createDirectories(dir);
    BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(2);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicLong written = new AtomicLong(); // rows the reader has written so far (for progress)
    Thread reader = new Thread(() -> {
      try (Connection c = db.open()) {
        CopyOut out = c.unwrap(PGConnection.class).getCopyAPI().copyOut("copy (" + select + ") to stdout with (format csv)");
        try {
          int n = 0;
          long rows = 0;
          long first = 1;
          long bytes = 0;
          Path file = dir.resolve("chunk-" + n + ".csv");
          OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
          byte[] line;
          while ((line = out.readFromCopy()) != null) {
            os.write(line);
            rows++;
            bytes += line.length;
            if ((rows & 1023) == 0) written.addAndGet(1024);
            if (bytes >= CHUNK_BYTES) {
              os.close();
              put(queue, new Chunk(file, rows, first), failure);
              first += rows;
              rows = 0;
              bytes = 0;
              file = dir.resolve("chunk-" + (++n) + ".csv");
              os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
            }
          }
          os.close();
          put(queue, new Chunk(file, rows, first), failure);
        } finally {
          if (out.isActive()) out.cancelCopy();
        }
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
      } finally {
        try {
          while (!queue.offer(new Chunk(END, 0, 0), 200, TimeUnit.MILLISECONDS)) {
            if (failure.get() != null && queue.remainingCapacity() == 0) queue.poll();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }, "weir-ingest-copy");
    reader.setDaemon(true);
    reader.start();

    StringBuilder columns = new StringBuilder("{");
    for (int i = 0; i < targets.size(); i++) {
      if (i > 0) columns.append(", ");
      columns.append(d.stringLiteral(targets.get(i))).append(": ").append(d.stringLiteral(types.get(i).ddl("duckdb")));
    }
    columns.append('}');
    String cols = String.join(", ", targets.stream().map(d::quote).toList());
    long loaded = 0;
    long duckNanos = 0;
    long read = 0;
    long bad = 0;
    List<RowStream.DeadLetter> dead = new ArrayList<>();
    try {
      while (true) {
        Chunk ch;
        try {
          ch = queue.poll(200, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw WeirException.runtime("Interrupted while loading", e);
        }
        progress.report(written.get());
        if (ch == null) continue;
        if (ch.file() == END) break;
        if (failure.get() != null) break;
        if (ch.rows() == 0) {
          Files.deleteIfExists(ch.file());
          continue;
        }
        s.execute("drop table if exists temp.main.weir_rejects; drop table if exists temp.main.weir_reject_scans");
        long t0 = System.nanoTime();
        long n = s.execute("insert into " + d.render(staging) + " (" + cols + ") select " + cols + " from read_csv("
            + d.stringLiteral(ch.file().toString()) + ", header = false, delim = ',', quote = '\"', escape = '\"',"
            + " new_line = '\\n', allow_quoted_nulls = false, auto_detect = false, max_line_size = 33554432, columns = " + columns
            + ", store_rejects = true, rejects_table = 'weir_rejects', rejects_scan = 'weir_reject_scans')");
        loaded += n;
        read += ch.rows();
        duckNanos += System.nanoTime() - t0;
        if (n < ch.rows()) {
          QueryResult r = s.query("select line, column_idx, error_type, csv_line, error_message from temp.main.weir_rejects"
              + " order by line, column_idx", -1);
          long last = -1;
          for (List<Object> row : r.rows()) {
            long line = ((Number) row.get(0)).longValue();
            if (line == last) continue;
            last = line;
            bad++;
            if (dead.size() < RowStream.MAX_KEPT_DEAD_LETTERS) dead.add(deadLetter(ch.firstRow() + line - 1, row, readCols, types, keyIdx));
          }
        }
        Files.deleteIfExists(ch.file());
      }
    } finally {
      if (reader.isAlive()) {
        failure.compareAndSet(null, new InterruptedException("stopped"));
        reader.interrupt();
        try {
          reader.join(5000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      clean(dir);
    }
    Throwable t = failure.get();
    if (t != null) {
      if (t instanceof WeirException w) throw w;
      throw WeirException.runtime("Reading the source failed: " + Secrets.mask(String.valueOf(t.getMessage())), t);
    }
    debug.accept(String.format(java.util.Locale.ROOT, "hand-off: %d rows, DuckDB read_csv busy %.2fs", read, duckNanos / 1e9));
    return new Result(loaded, read, bad, dead);
  }

  private static void put(BlockingQueue<Chunk> q, Chunk c, AtomicReference<Throwable> failure) throws InterruptedException {
    while (!q.offer(c, 200, TimeUnit.MILLISECONDS)) {
      if (failure.get() != null) throw new InterruptedException("stopped");
    }
  }

  private static RowStream.DeadLetter deadLetter(long rowNo, List<Object> r, List<String> readCols, List<ColumnType> types,
                                                 int[] keyIdx) {
    List<String> fields = parseCsvLine(String.valueOf(r.get(3)));
    int col = r.get(1) == null ? -1 : ((Number) r.get(1)).intValue() - 1;
    String errorType = String.valueOf(r.get(2));
    String error;
    if (errorType.toUpperCase(java.util.Locale.ROOT).contains("CAST") && col >= 0 && col < fields.size() && col < readCols.size()) {
      error = "column " + readCols.get(col) + ": '" + fields.get(col) + "' is not a " + types.get(col);
    } else {
      error = errorType + ": " + r.get(4);
    }
    StringBuilder raw = new StringBuilder("{");
    for (int i = 0; i < readCols.size(); i++) {
      if (i > 0) raw.append(", ");
      String v = i < fields.size() ? fields.get(i) : null;
      raw.append('"').append(readCols.get(i)).append("\": ")
          .append(v == null ? "null" : "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
    }
    raw.append('}');
    StringBuilder key = new StringBuilder();
    for (int k : keyIdx) {
      if (key.length() > 0) key.append(", ");
      key.append(readCols.get(k)).append('=').append(k < fields.size() ? fields.get(k) : null);
    }
    return new RowStream.DeadLetter(rowNo, key.length() == 0 ? null : key.toString(), raw.toString(), error);
  }

  /** The fields of one CSV line as Postgres writes it (unquoted empty = null, "" quotes doubled). */
  static List<String> parseCsvLine(String line) {
    List<String> out = new ArrayList<>();
    int i = 0;
    int n = line.endsWith("\n") ? line.length() - 1 : line.length();
    while (i <= n) {
      if (i < n && line.charAt(i) == '"') {
        StringBuilder sb = new StringBuilder();
        i++;
        while (i < n) {
          char c = line.charAt(i);
          if (c == '"') {
            if (i + 1 < n && line.charAt(i + 1) == '"') { sb.append('"'); i += 2; continue; }
            i++;
            break;
          }
          sb.append(c);
          i++;
        }
        out.add(sb.toString());
        i++; // the comma
      } else {
        int j = line.indexOf(',', i);
        if (j < 0 || j > n) j = n;
        out.add(j == i ? null : line.substring(i, j));
        i = j + 1;
      }
    }
    return out;
  }

  private static void clean(Path dir) {
    if (!Files.isDirectory(dir)) return;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // temporary files: a later run cleans them
    }
  }
}
