package dev.weir.ingest;

import dev.weir.core.WeirException;
import dev.weir.core.util.Secrets;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;

/**
 * Rows read from the source by one or more reader threads (one per key range of a split read),
 * cast to the warehouse types in those threads and handed over in batches through a bounded queue:
 * memory stays bounded whatever the table's size. Iterating gives the good rows (each an array in
 * staging column order); rows that do not cast are kept as {@link DeadLetter}s.
 *
 * <p>Postgres sources are read with COPY ... TO STDOUT (text format), parsed as it streams; other
 * sources through a forward-only JDBC result set with a fetch size.
 */
final class RowStream implements Iterable<Object[]>, AutoCloseable {
  /** A row that did not load: where it was, its values as text and why. */
  record DeadLetter(long rowNumber, String key, String raw, String error) {}

  private static final int BATCH = 2048;
  private static final Object[][] END = new Object[0][];
  static final int MAX_KEPT_DEAD_LETTERS = 100_000;

  private final BlockingQueue<Object[][]> queue = new ArrayBlockingQueue<>(32);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final AtomicLong read = new AtomicLong();
  private final AtomicLong bad = new AtomicLong();
  final ConcurrentLinkedQueue<DeadLetter> deadLetters = new ConcurrentLinkedQueue<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stop;
  private int running;
  private final SourceDb db;

  /** How to map one source row: source column i goes to staging column {@code target[i]} cast to {@code types[i]}. */
  record Plan(List<String> sourceColumns, int[] target, ColumnType[] types, int width, int[] keyColumns) {}

  /** Starts one reader thread per select (each runs on its own connection). */
  RowStream(SourceDb db, List<String> selects, Plan plan, int fetchSize) {
    this.db = db;
    running = selects.size();
    int k = 0;
    for (String sql : selects) {
      int part = k++;
      Thread t = new Thread(() -> readAll(db, sql, plan, fetchSize, part), "weir-ingest-read-" + part);
      t.setDaemon(true);
      threads.add(t);
    }
    for (Thread t : threads) t.start();
  }

  long rowsRead() { return read.get(); }

  long badRows() { return bad.get(); }

  private void readAll(SourceDb db, String sql, Plan plan, int fetchSize, int part) {
    try (Connection c = db.open()) {
      if (db.postgres) copyRead(c, sql, plan, part);
      else jdbcRead(c, sql, plan, fetchSize, part, db.mariadb);
    } catch (Throwable e) {
      failure.compareAndSet(null, e);
    } finally {
      put(END);
    }
  }

  private void put(Object[][] batch) {
    try {
      while (!queue.offer(batch, 200, TimeUnit.MILLISECONDS)) {
        if (stop) return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Reads through JDBC. From MariaDB, dates, times and timestamps are read as the server's text:
   * the driver's java.sql objects would pass through the JVM's time zone, wrap TIME values past
   * 24 hours and turn YEAR into a date; the text casts exactly (or fails as a bad row, e.g. a zero date).
   */
  private void jdbcRead(Connection c, String sql, Plan plan, int fetchSize, int part, boolean mariadb) throws SQLException {
    c.setAutoCommit(false); // Postgres and others stream only outside autocommit
    try (Statement st = c.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
      st.setFetchSize(fetchSize);
      try (ResultSet rs = st.executeQuery(sql)) {
        int n = plan.sourceColumns().size();
        boolean[] asText = new boolean[n];
        if (mariadb) {
          for (int i = 0; i < n; i++) {
            int t = rs.getMetaData().getColumnType(i + 1);
            asText[i] = t == java.sql.Types.DATE || t == java.sql.Types.TIME || t == java.sql.Types.TIMESTAMP;
          }
        }
        Object[] raw = new Object[n];
        Object[][] batch = new Object[BATCH][];
        int b = 0;
        long rowNo = 0;
        while (rs.next()) {
          if (stop) return;
          rowNo++;
          for (int i = 0; i < n; i++) raw[i] = asText[i] ? rs.getString(i + 1) : rs.getObject(i + 1);
          Object[] row = castRow(raw, plan, rowNo, part);
          if (row == null) continue;
          batch[b++] = row;
          if (b == BATCH) {
            put(batch);
            batch = new Object[BATCH][];
            b = 0;
          }
        }
        if (b > 0) put(java.util.Arrays.copyOf(batch, b));
      }
    } finally {
      try {
        c.rollback();
      } catch (SQLException ignored) {
        // read-only work: nothing to keep
      }
    }
  }

  private void copyRead(Connection c, String sql, Plan plan, int part) throws SQLException {
    CopyOut out = c.unwrap(PGConnection.class).getCopyAPI().copyOut("copy (" + sql + ") to stdout");
    try {
      int n = plan.sourceColumns().size();
      Object[] raw = new Object[n];
      Object[][] batch = new Object[BATCH][];
      int b = 0;
      long rowNo = 0;
      byte[] line;
      while ((line = out.readFromCopy()) != null) {
        if (stop) {
          out.cancelCopy();
          return;
        }
        rowNo++;
        Object[] row = castLine(line, plan, n);
        if (row == null) { // a bad value: the slow path records it
          parseText(line, raw, n);
          row = castRow(raw, plan, rowNo, part);
          if (row == null) continue;
        } else {
          read.incrementAndGet();
        }
        batch[b++] = row;
        if (b == BATCH) {
          put(batch);
          batch = new Object[BATCH][];
          b = 0;
        }
      }
      if (b > 0) put(java.util.Arrays.copyOf(batch, b));
    } finally {
      if (out.isActive()) out.cancelCopy();
    }
  }

  /** Splits one line of COPY text format into fields: tab separated, \N for null, backslash escapes. */
  static void parseText(byte[] line, Object[] into, int n) {
    int len = line.length;
    if (len > 0 && line[len - 1] == '\n') len--;
    int field = 0;
    int start = 0;
    boolean escaped = false;
    for (int i = 0; i <= len; i++) {
      if (i == len || line[i] == '\t') {
        if (field < n) {
          int flen = i - start;
          if (flen == 2 && line[start] == '\\' && line[start + 1] == 'N') into[field] = null;
          else into[field] = escaped ? unescape(line, start, i) : new String(line, start, flen, StandardCharsets.UTF_8);
        }
        field++;
        start = i + 1;
        escaped = false;
      } else if (line[i] == '\\') {
        escaped = true;
        i++; // the escaped byte (a tab after a backslash is data)
      }
    }
    if (field != n) throw WeirException.runtime("COPY returned " + field + " fields, expected " + n, null);
  }

  /**
   * Parses and casts one COPY text line in one pass (no String per field for numbers and
   * timestamps); null when a value does not cast (the caller then takes the slow path that records
   * the dead letter).
   */
  private static Object[] castLine(byte[] line, Plan plan, int n) {
    Object[] row = new Object[plan.width()];
    int len = line.length;
    if (len > 0 && line[len - 1] == '\n') len--;
    int field = 0;
    int start = 0;
    boolean escaped = false;
    try {
      for (int i = 0; i <= len; i++) {
        if (i == len || line[i] == '\t') {
          if (field < n) {
            int t = plan.target()[field];
            if (t >= 0) {
              int flen = i - start;
              if (flen == 2 && line[start] == '\\' && line[start + 1] == 'N') row[t] = null;
              else if (escaped) row[t] = plan.types()[field].castText(unescape(line, start, i));
              else row[t] = plan.types()[field].castBytes(line, start, i);
            }
          }
          field++;
          start = i + 1;
          escaped = false;
        } else if (line[i] == '\\') {
          escaped = true;
          i++;
        }
      }
    } catch (RuntimeException e) {
      return null;
    }
    if (field != n) throw WeirException.runtime("COPY returned " + field + " fields, expected " + n, null);
    return row;
  }

  private static String unescape(byte[] b, int from, int to) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(to - from);
    for (int i = from; i < to; i++) {
      byte c = b[i];
      if (c != '\\' || i + 1 >= to) {
        out.write(c);
        continue;
      }
      byte e = b[++i];
      switch (e) {
        case 'b' -> out.write('\b');
        case 'f' -> out.write('\f');
        case 'n' -> out.write('\n');
        case 'r' -> out.write('\r');
        case 't' -> out.write('\t');
        case 'v' -> out.write(11);
        case 'x' -> {
          int v = 0;
          int k = 0;
          while (k < 2 && i + 1 < to && Character.digit(b[i + 1], 16) >= 0) {
            v = v * 16 + Character.digit(b[++i], 16);
            k++;
          }
          out.write(v);
        }
        default -> {
          if (e >= '0' && e <= '7') {
            int v = e - '0';
            int k = 1;
            while (k < 3 && i + 1 < to && b[i + 1] >= '0' && b[i + 1] <= '7') {
              v = v * 8 + (b[++i] - '0');
              k++;
            }
            out.write(v);
          } else {
            out.write(e);
          }
        }
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private Object[] castRow(Object[] raw, Plan plan, long rowNo, int part) {
    read.incrementAndGet();
    Object[] row = new Object[plan.width()];
    for (int i = 0; i < raw.length; i++) {
      int t = plan.target()[i];
      if (t < 0) continue;
      try {
        row[t] = plan.types()[i].cast(raw[i]);
      } catch (RuntimeException e) {
        bad.incrementAndGet();
        if (deadLetters.size() < MAX_KEPT_DEAD_LETTERS) {
          deadLetters.add(new DeadLetter(rowNo, key(raw, plan), rawText(raw, plan),
              "column " + plan.sourceColumns().get(i) + ": " + (e.getMessage() == null ? e.toString() : e.getMessage())
                  + (part > 0 || threads.size() > 1 ? " (read " + part + ")" : "")));
        }
        return null;
      }
    }
    return row;
  }

  private static String key(Object[] raw, Plan plan) {
    if (plan.keyColumns().length == 0) return null;
    StringBuilder sb = new StringBuilder();
    for (int k : plan.keyColumns()) {
      if (sb.length() > 0) sb.append(", ");
      sb.append(plan.sourceColumns().get(k)).append('=').append(raw[k]);
    }
    return sb.toString();
  }

  private static String rawText(Object[] raw, Plan plan) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < raw.length; i++) {
      if (i > 0) sb.append(", ");
      sb.append('"').append(plan.sourceColumns().get(i)).append("\": ");
      sb.append(raw[i] == null ? "null" : "\"" + String.valueOf(raw[i]).replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
    }
    return sb.append('}').toString();
  }

  @Override
  public Iterator<Object[]> iterator() {
    return new Iterator<>() {
      Object[][] batch = new Object[0][];
      int i;

      @Override public boolean hasNext() {
        while (i >= batch.length) {
          if (running == 0) {
            rethrow();
            return false;
          }
          Object[][] next;
          try {
            next = queue.poll(200, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw WeirException.runtime("Interrupted while loading", e);
          }
          if (next == null) continue;
          if (next == END) {
            running--;
            rethrow();
            continue;
          }
          batch = next;
          i = 0;
        }
        return true;
      }

      @Override public Object[] next() {
        if (!hasNext()) throw new NoSuchElementException();
        return batch[i++];
      }
    };
  }

  private void rethrow() {
    Throwable t = failure.get();
    if (t == null) return;
    stop = true;
    if (t instanceof WeirException w) throw w;
    // The driver's own words and, when it says more, the root cause (e.g. the server closed the socket).
    String msg = String.valueOf(t.getMessage());
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    if (root != t && root.getMessage() != null && !msg.contains(root.getMessage())) msg += ": " + root.getMessage();
    throw WeirException.runtime("Reading " + Secrets.mask(db.url) + " failed (" + db.file + ":" + db.line + "): " + Secrets.mask(msg), t);
  }

  @Override
  public void close() {
    stop = true;
    for (Thread t : threads) {
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
