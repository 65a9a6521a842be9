package dev.weir.core.util;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where everything Weir tells a person goes: the terminal (text with colour, or one JSON object
 * per line with {@code --log-format json}) and the log file {@code logs/weir.log}. Every message
 * is masked for secrets before it is written anywhere. Thread-safe.
 */
public final class Console {
  public enum Format { TEXT, JSON }

  public enum Level { DEBUG, INFO, WARN, ERROR }

  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

  private final PrintStream out;
  private final boolean color;
  private final Format format;
  private final boolean debug;
  private final boolean quiet;
  private BufferedWriter logFile;
  private final String invocationId;

  public Console(PrintStream out, boolean color, Format format, boolean debug, boolean quiet, String invocationId) {
    this.out = out;
    this.color = color;
    this.format = format;
    this.debug = debug;
    this.quiet = quiet;
    this.invocationId = invocationId;
  }

  /** Whether colour should be used: a terminal and no NO_COLOR. */
  public static boolean colorWanted(Map<String, String> env) {
    String nc = env.get("NO_COLOR");
    if (nc != null && !nc.isEmpty()) return false;
    if ("dumb".equals(env.get("TERM"))) return false;
    return System.console() != null;
  }

  /** Opens (appending) the log file; failures to open are reported once and ignored. */
  public synchronized void openLogFile(Path file) {
    try {
      Files.createDirectories(file.getParent());
      logFile = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      warn("Cannot write the log file " + file + ": " + e.getMessage());
    }
  }

  public void info(String msg) { emit(Level.INFO, msg, null); }

  public void warn(String msg) { emit(Level.WARN, msg, null); }

  public void error(String msg) { emit(Level.ERROR, msg, null); }

  public void debug(String msg) { emit(Level.DEBUG, msg, null); }

  /** An info line with structured fields for JSON output (node results). */
  public void event(Level level, String msg, Map<String, Object> fields) { emit(level, msg, fields); }

  /** Raw text for commands whose output is data (ls, show, compile --inline): no timestamp. */
  public synchronized void print(String text) {
    String t = Secrets.mask(text);
    if (format == Format.JSON) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("ts", LocalDateTime.now().format(STAMP));
      m.put("level", "info");
      m.put("msg", t);
      out.println(json(m));
    } else {
      out.println(t);
    }
    out.flush();
    log(Level.INFO, t);
  }

  private synchronized void emit(Level level, String msg, Map<String, Object> fields) {
    String m = Secrets.mask(msg);
    log(level, m);
    if (level == Level.DEBUG && !debug) return;
    if (quiet && level == Level.INFO) return;
    if (format == Format.JSON) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("ts", now().format(STAMP));
      o.put("level", level.name().toLowerCase(java.util.Locale.ROOT));
      o.put("invocation_id", invocationId);
      o.put("msg", stripAnsi(m));
      if (fields != null) {
        for (Map.Entry<String, Object> e : fields.entrySet()) {
          Object v = e.getValue();
          o.put(e.getKey(), v instanceof String s ? Secrets.mask(s) : v);
        }
      }
      out.println(json(o));
    } else {
      String text = color ? m : stripAnsi(m);
      if (level == Level.WARN) text = paint(YELLOW, "[WARNING]") + ": " + text;
      // Node result lines (events with fields, e.g. "3 of 5 FAIL 2 ...") carry their own status: no prefix.
      if (level == Level.ERROR && fields == null && !text.startsWith("Error") && !text.contains("ERROR")) {
        text = paint(RED, "Error") + ": " + text;
      }
      out.println(now().format(CLOCK) + "  " + text);
    }
    out.flush();
  }

  /**
   * The local time, from the default time zone's offset: {@code LocalDateTime.now()} goes through java.time's zone
   * rules provider, whose first use reads the time-zone database a second time (~10 ms of a short command's start).
   */
  private static LocalDateTime now() {
    long millis = System.currentTimeMillis();
    int offset = java.util.TimeZone.getDefault().getOffset(millis) / 1000;
    return LocalDateTime.ofEpochSecond(Math.floorDiv(millis, 1000), (int) Math.floorMod(millis, 1000) * 1_000_000,
        java.time.ZoneOffset.ofTotalSeconds(offset));
  }

  /**
   * Seconds with three decimals, as {@code String.format("%.3f", s)} writes them (rounded half up), without a
   * Formatter: its first use loads locale data (~25 ms of a short command's start).
   */
  public static String seconds(double s) {
    long ms = Math.round(Math.abs(s) * 1000);
    String frac = String.valueOf(ms % 1000);
    return (s < 0 && ms != 0 ? "-" : "") + ms / 1000 + "." + "000".substring(frac.length()) + frac;
  }

  private void log(Level level, String m) {
    if (logFile == null) return;
    try {
      logFile.write(now().format(STAMP) + " [" + level + "] " + stripAnsi(m));
      logFile.newLine();
      logFile.flush();
    } catch (IOException ignored) {
      // The terminal still has the message.
    }
  }

  public synchronized void close() {
    try {
      if (logFile != null) logFile.close();
    } catch (IOException ignored) {
      // nothing to do
    }
    logFile = null;
  }

  public boolean color() { return color; }

  /** The invocation id printed in JSON log lines (the artifacts' id when the console was made for a command). */
  public String invocationId() { return invocationId; }

  public Format format() { return format; }

  // ------------------------------------------------------------------ colour

  public static final String GREEN = "\u001b[32m";
  public static final String RED = "\u001b[31m";
  public static final String YELLOW = "\u001b[33m";
  private static final String RESET = "\u001b[0m";

  /** Colours text (the colour is removed again when the console has none). */
  public String paint(String colour, String text) {
    return color ? colour + text + RESET : text;
  }

  static String stripAnsi(String s) {
    return s.indexOf('\u001b') < 0 ? s : s.replaceAll("\u001b\\[[0-9;]*m", "");
  }

  static String json(Map<String, Object> m) {
    StringBuilder sb = new StringBuilder("{");
    boolean first = true;
    for (Map.Entry<String, Object> e : m.entrySet()) {
      if (!first) sb.append(',');
      first = false;
      str(sb, e.getKey());
      sb.append(':');
      Object v = e.getValue();
      if (v == null) sb.append("null");
      else if (v instanceof Number || v instanceof Boolean) sb.append(v);
      else str(sb, String.valueOf(v));
    }
    return sb.append('}').toString();
  }

  private static void str(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    sb.append('"');
  }
}
