package dev.weir.orchestrate.alert;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The alerts of a pipeline (key {@code alerts:}, or the project's default in {@code pipelines/alerts.yml}): where
 * to send which events, and the lateness deadline of its intervals (key {@code late_after:}).
 *
 * <p>Values that may hold secrets (webhook addresses, SMTP user and password) are kept as written, with their
 * {@code {{ env_var('NAME') }}} references unresolved: they are read from the environment only when the alerter is
 * built (see {@link AlertParser#resolve}), so loading pipelines never needs them.
 *
 * @param targets where alerts go, in file order
 * @param lateAfter how long after an interval's end its run must have succeeded (scheduled pipelines), or null
 * @param stepTargets the targets of steps that declare their own {@code alerts:} (for their retry and failure
 *     alerts, instead of {@code targets}), by step name
 */
public record AlertSpec(List<Target> targets, Duration lateAfter, Map<String, List<Target>> stepTargets) {
  /** No alerts. */
  public static final AlertSpec NONE = new AlertSpec(List.of(), null, Map.of());

  /** Where alerts about step {@code step} go: its own targets if it declares some, else the pipeline's. */
  public List<Target> targetsFor(String step) {
    List<Target> own = step == null ? null : stepTargets.get(step);
    return own != null ? own : targets;
  }

  /** What an alert is about. */
  public enum Event {
    /** A step's last try failed, or a run failed without a failed step (cancelled, aborted). */
    FAILURE,
    /** A try failed and another follows. */
    RETRY,
    /** A run succeeded after the previous run of the pipeline had failed. */
    RECOVERY,
    /** A run succeeded. */
    SUCCESS,
    /** A scheduled interval's run had not succeeded by the interval's end plus {@code late_after}. */
    LATE;

    /** The name in files and messages, e.g. "failure". */
    public String key() { return name().toLowerCase(Locale.ROOT); }
  }

  /** How a target is reached. */
  public enum Kind {
    /** A plain JSON POST. */
    WEBHOOK,
    /** A Slack-compatible incoming webhook ({@code {"text": ..., "blocks": [...]}}). */
    SLACK,
    /** An email over SMTP. */
    EMAIL
  }

  /**
   * One target.
   *
   * @param on the events it hears
   * @param kind how it is reached
   * @param url the webhook's address as written (WEBHOOK, SLACK), else null
   * @param email the SMTP settings (EMAIL), else null
   * @param file the file it was declared in, relative to the project (for messages)
   * @param line where it was declared
   */
  public record Target(Set<Event> on, Kind kind, String url, Email email, String file, int line) {
    /** Where it was declared, as {@code file:line}. */
    public String where() { return file + ":" + line; }
  }

  /**
   * SMTP settings of an email target, as written (user and password are env_var references).
   *
   * @param to recipients
   * @param from the sender address
   * @param host the SMTP server
   * @param port its port (default 587, or 465 with ssl, or 25 without starttls)
   * @param username the login, or null for none
   * @param password the password (an env_var reference), or null
   * @param starttls whether STARTTLS is required before logging in (default true)
   * @param ssl whether the connection is TLS from the start (SMTPS, default false)
   */
  public record Email(List<String> to, String from, String host, int port, String username, String password, boolean starttls,
      boolean ssl) {}

  /** Whether any target of the pipeline hears {@code e}. */
  public boolean wants(Event e) { return wants(targets, e); }

  /** Whether any target of {@code step} (its own, else the pipeline's) hears {@code e}. */
  public boolean wants(String step, Event e) { return wants(targetsFor(step), e); }

  private static boolean wants(List<Target> ts, Event e) {
    for (Target t : ts) if (t.on().contains(e)) return true;
    return false;
  }
}
