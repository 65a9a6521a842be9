package dev.weir.orchestrate.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.core.util.Secrets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One alert: what happened to which pipeline, run, step and interval, the error and the tail of the step's log. Every
 * text in it has been through {@link Secrets#mask} when it was made, so its renderings (plain text, JSON, Slack)
 * show no registered secret.
 *
 * @param event what it is about
 * @param pipeline the pipeline's name
 * @param runId the run, or null (a late interval without a run)
 * @param step the step, or null for alerts about the whole run
 * @param tryNumber the try that ended (step alerts), else 0
 * @param maxTries the step's try budget (step alerts), else 0
 * @param intervalStart the data interval's start, or null for unscheduled pipelines
 * @param intervalEnd the data interval's end (exclusive)
 * @param logicalDate the run's logical date
 * @param state the step's or run's state ({@code failed}, {@code up_for_retry}, {@code success}; for late alerts the
 *     run's state or {@code no run})
 * @param error why the try or run failed, or null
 * @param logPath the step try's log file relative to the project, or null
 * @param logTail the last lines of that log, or null
 * @param retryIn the wait before the next try (retry alerts), or null
 * @param detail one more sentence (the failed run before a recovery, the deadline of a late interval), or null
 * @param at when it happened
 */
public record Alert(AlertSpec.Event event, String pipeline, Long runId, String step, int tryNumber, int maxTries, Instant intervalStart,
    Instant intervalEnd, Instant logicalDate, String state, String error, String logPath, String logTail, Duration retryIn,
    String detail, Instant at) {

  /** How many lines of the step's log an alert carries. */
  public static final int TAIL_LINES = 20;
  /** At most this many characters of log tail. */
  static final int TAIL_CHARS = 4000;
  private static final ObjectMapper JSON = new ObjectMapper();

  public Alert {
    error = Secrets.mask(error);
    logTail = Secrets.mask(logTail);
    detail = Secrets.mask(detail);
  }

  /** One line saying what happened, e.g. {@code [weir] daily: step build failed (try 2 of 2), run 7}. */
  public String title() {
    String run = runId == null ? "" : ", run " + runId;
    return "[weir] " + pipeline + ": " + switch (event) {
      case FAILURE -> (step != null ? "step " + step + " failed" + tries() : "run failed") + run;
      case RETRY -> "step " + step + " failed" + tries() + ", retrying" + (retryIn == null ? "" : " in " + human(retryIn)) + run;
      case SUCCESS -> "run succeeded" + run;
      case RECOVERY -> "recovered: run succeeded" + run;
      case LATE -> "interval " + interval() + " is late";
    };
  }

  private String tries() { return maxTries > 1 ? " (try " + tryNumber + " of " + maxTries + ")" : ""; }

  /** Whether the run covers a data interval (scheduled pipelines); others have an empty one at their logical date. */
  private boolean hasInterval() { return intervalStart != null && !intervalStart.equals(intervalEnd); }

  private String interval() {
    return hasInterval() ? "[" + intervalStart + ", " + intervalEnd + ")" : "(logical date " + logicalDate + ")";
  }

  /** The plain-text message (email body): the title, the facts one per line, and the log tail. */
  public String text() {
    StringBuilder sb = new StringBuilder(title()).append("\n\n");
    for (String[] f : facts()) sb.append(f[0]).append(": ").append(f[1]).append('\n');
    if (detail != null) sb.append('\n').append(detail).append('\n');
    if (logTail != null && !logTail.isBlank()) {
      sb.append("\nLast lines of ").append(logPath).append(":\n").append(logTail);
      if (!logTail.endsWith("\n")) sb.append('\n');
    }
    return sb.toString();
  }

  private List<String[]> facts() {
    List<String[]> out = new ArrayList<>();
    out.add(new String[] {"Event", event.key()});
    out.add(new String[] {"Pipeline", pipeline});
    if (runId != null) out.add(new String[] {"Run", String.valueOf(runId)});
    if (step != null) out.add(new String[] {"Step", step + (maxTries > 0 ? " (try " + tryNumber + " of " + maxTries + ")" : "")});
    out.add(hasInterval() ? new String[] {"Interval", interval()} : new String[] {"Logical date", String.valueOf(logicalDate)});
    out.add(new String[] {"State", state});
    if (error != null) out.add(new String[] {"Error", error});
    if (retryIn != null) out.add(new String[] {"Next try in", human(retryIn)});
    if (logPath != null) out.add(new String[] {"Log", logPath});
    return out;
  }

  /** The plain JSON body of a webhook: every field by name, plus {@code title} and {@code text}. */
  public String json() {
    ObjectNode o = JSON.createObjectNode();
    o.put("event", event.key());
    o.put("pipeline", pipeline);
    if (runId == null) o.putNull("run_id");
    else o.put("run_id", runId);
    o.put("step", step);
    if (step != null) {
      o.put("try", tryNumber);
      o.put("max_tries", maxTries);
    }
    o.put("interval_start", str(intervalStart));
    o.put("interval_end", str(intervalEnd));
    o.put("logical_date", str(logicalDate));
    o.put("state", state);
    o.put("error", error);
    if (retryIn != null) o.put("retry_in_seconds", retryIn.toMillis() / 1000.0);
    o.put("log_path", logPath);
    o.put("log_tail", logTail);
    o.put("detail", detail);
    o.put("at", str(at));
    o.put("title", title());
    o.put("text", text());
    return write(o);
  }

  /** A Slack-compatible body: {@code text} (the title, for notifications) and {@code blocks} (facts and the log tail). */
  public String slack() {
    ObjectNode o = JSON.createObjectNode();
    o.put("text", title());
    ArrayNode blocks = o.putArray("blocks");
    blocks.addObject().put("type", "header").putObject("text").put("type", "plain_text").put("text", cut(title(), 150));
    ObjectNode facts = blocks.addObject().put("type", "section");
    ArrayNode fields = facts.putArray("fields");
    for (String[] f : facts()) fields.addObject().put("type", "mrkdwn").put("text", cut("*" + f[0] + "*\n" + f[1], 2000));
    if (detail != null) blocks.addObject().put("type", "section").putObject("text").put("type", "mrkdwn").put("text", cut(detail, 3000));
    if (logTail != null && !logTail.isBlank()) {
      blocks.addObject().put("type", "section").putObject("text").put("type", "mrkdwn")
          .put("text", cut("Last lines of `" + logPath + "`:\n```" + logTail.replace("```", "'''") + "```", 3000));
    }
    return write(o);
  }

  /** The last {@link #TAIL_LINES} lines of a log file (at most {@link #TAIL_CHARS} characters), or null when there is none. */
  public static String tail(Path log) {
    if (log == null || !Files.isRegularFile(log)) return null;
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
      long len = f.length();
      int n = (int) Math.min(len, 64 * 1024);
      byte[] buf = new byte[n];
      f.seek(len - n);
      f.readFully(buf);
      String text = new String(buf, StandardCharsets.UTF_8);
      String[] lines = text.split("\n", -1);
      int end = lines.length;
      if (end > 0 && lines[end - 1].isEmpty()) end--;
      int start = Math.max(0, end - TAIL_LINES);
      if (start == 0 && n < len) start = 1; // the first line read may be cut
      String out = String.join("\n", java.util.Arrays.asList(lines).subList(start, end));
      if (out.length() > TAIL_CHARS) out = out.substring(out.length() - TAIL_CHARS);
      return out.isEmpty() ? null : out + "\n";
    } catch (IOException e) {
      return null;
    }
  }

  static String human(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) return ms + "ms";
    if (ms < 120_000) return (ms % 1000 == 0 ? String.valueOf(ms / 1000) : String.format(java.util.Locale.ROOT, "%.1f", ms / 1000.0)) + "s";
    if (ms < 7_200_000) return (ms / 60_000) + "m";
    return (ms / 3_600_000) + "h" + (ms % 3_600_000 / 60_000 == 0 ? "" : ms % 3_600_000 / 60_000 + "m");
  }

  private static String str(Instant i) { return i == null ? null : i.toString(); }

  private static String cut(String s, int max) { return s.length() <= max ? s : s.substring(0, max - 1) + "…"; }

  private static String write(ObjectNode o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
