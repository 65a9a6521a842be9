package dev.weir.orchestrate;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * When a pipeline fires, in its own time zone, and the data interval each run covers.
 *
 * <p>A cron expression (5 fields, or {@code @hourly}, {@code @daily}, {@code @weekly}, {@code @monthly},
 * {@code @yearly}) names wall-clock times. Each matching wall-clock time becomes one instant in the zone:
 * <ul>
 *   <li>a wall time that happens twice (the hour repeated when clocks go back) fires once, at its first occurrence;</li>
 *   <li>a wall time that does not exist (the hour skipped when clocks go forward) fires once, shifted forward by the
 *       length of the gap (02:30 on a spring-forward day fires at 03:30); if that lands on another fire time, the two
 *       are one.</li>
 * </ul>
 * Runs cover data intervals as in Airflow: the run for {@code [fire_i, fire_i+1)} has logical date {@code fire_i}
 * and is due at {@code fire_i+1}. {@code start_date} is the earliest interval start; no interval starts after
 * {@code end_date}.
 */
public final class Schedule {
  /** A half-open data interval {@code [start, end)}. */
  public record Interval(Instant start, Instant end) {
    @Override
    public String toString() { return "[" + start + ", " + end + ")"; }
  }

  private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final Map<String, String> NICKNAMES = Map.of(
      "@hourly", "0 * * * *", "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@weekly", "0 0 * * 0",
      "@monthly", "0 0 1 * *", "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *");
  private static final int MAX_STEPS = 100_000;

  private final String cron;
  private final ZoneId zone;
  private final ZoneRules rules;
  private final boolean catchup;
  private final Instant startDate;
  private final Instant endDate;
  private final ExecutionTime wall;

  /**
   * @param cron 5-field cron or a nickname
   * @param zone the zone the wall-clock times are in
   * @param catchup whether missed intervals all run (true) or only the latest (false)
   * @param startDate earliest interval start, or null
   * @param endDate latest interval start, or null
   * @throws IllegalArgumentException for a cron expression that does not parse (message says why)
   */
  public Schedule(String cron, ZoneId zone, boolean catchup, Instant startDate, Instant endDate) {
    this.cron = cron.trim();
    this.zone = zone;
    this.rules = zone.getRules();
    this.catchup = catchup;
    this.startDate = startDate;
    this.endDate = endDate;
    String expr = NICKNAMES.getOrDefault(this.cron.toLowerCase(Locale.ROOT), this.cron);
    if (expr.startsWith("@")) {
      throw new IllegalArgumentException("unknown nickname '" + this.cron + "' (use @hourly, @daily, @weekly, @monthly or @yearly)");
    }
    if (expr.split("\\s+").length != 5) {
      throw new IllegalArgumentException("'" + this.cron + "' has " + expr.split("\\s+").length
          + " fields; a cron expression has 5: minute hour day-of-month month day-of-week");
    }
    try {
      this.wall = ExecutionTime.forCron(PARSER.parse(expr).validate());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("'" + this.cron + "' is not a valid cron expression: " + e.getMessage());
    }
  }

  /** Parses a start or end date: {@code 2024-01-01}, {@code 2024-01-01T06:00} (both in {@code zone}) or with an offset. */
  public static Instant parseDate(String text, ZoneId zone) {
    String t = text.trim();
    try {
      if (t.length() == 10) return java.time.LocalDate.parse(t).atStartOfDay(zone).toInstant();
      try {
        return java.time.OffsetDateTime.parse(t).toInstant();
      } catch (java.time.format.DateTimeParseException e) {
        return LocalDateTime.parse(t.replace(' ', 'T')).atZone(zone).toInstant();
      }
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException("'" + text + "' is not a date (2024-01-31), a local date-time (2024-01-31T06:00) "
          + "or a date-time with offset (2024-01-31T06:00:00Z)");
    }
  }

  public String cron() { return cron; }
  public ZoneId zone() { return zone; }
  public boolean catchup() { return catchup; }
  public Instant startDate() { return startDate; }
  public Instant endDate() { return endDate; }

  /** The first fire time strictly after {@code t}, or null if the cron never fires again. */
  public Instant next(Instant t) {
    LocalDateTime w = LocalDateTime.ofInstant(t, offsetsNear(t)[0]);
    for (int i = 0; i < MAX_STEPS; i++) {
      Optional<ZonedDateTime> n = wall.nextExecution(w.atZone(ZoneOffset.UTC));
      if (n.isEmpty()) return null;
      w = n.get().toLocalDateTime();
      Instant fire = toInstant(w);
      if (fire.isAfter(t)) return fire;
    }
    return null;
  }

  /** The last fire time strictly before {@code t}, or null if there is none. */
  public Instant previous(Instant t) {
    LocalDateTime w = LocalDateTime.ofInstant(t, offsetsNear(t)[1]).plusMinutes(1).truncatedTo(ChronoUnit.MINUTES);
    for (int i = 0; i < MAX_STEPS; i++) {
      Optional<ZonedDateTime> p = wall.lastExecution(w.atZone(ZoneOffset.UTC));
      if (p.isEmpty()) return null;
      w = p.get().toLocalDateTime();
      Instant fire = toInstant(w);
      if (fire.isBefore(t)) return fire;
    }
    return null;
  }

  /** The last fire time at or before {@code t}. */
  public Instant atOrBefore(Instant t) { return previous(t.plusNanos(1)); }

  /** Whether {@code t} is a fire time. */
  public boolean isFireTime(Instant t) { return t.equals(atOrBefore(t)); }

  /** The interval a run starting at fire time {@code start} covers: {@code [start, next(start))}. */
  public Interval intervalFrom(Instant start) { return new Interval(start, next(start)); }

  /** The interval holding {@code t}: from the last fire time at or before it to the next one. */
  public Interval intervalContaining(Instant t) {
    Instant s = atOrBefore(t);
    if (s == null) s = next(t);
    return new Interval(s, next(s));
  }

  /** The latest interval that has ended by {@code now} (the one a scheduler runs at {@code now}), or null. */
  public Interval latestComplete(Instant now) {
    Instant end = atOrBefore(now);
    Instant start = end == null ? null : previous(end);
    if (start == null || !inDates(start)) return null;
    return new Interval(start, end);
  }

  /**
   * The intervals that have ended by {@code to} and start at or after {@code from} (and within start_date /
   * end_date), oldest first; without catchup only the latest of them.
   */
  public List<Interval> dueIntervals(Instant from, Instant to) {
    Instant lower = startDate != null && startDate.isAfter(from) ? startDate : from;
    List<Interval> out = new ArrayList<>();
    Instant s = lower.equals(atOrBefore(lower)) ? lower : next(lower);
    while (s != null && (endDate == null || !s.isAfter(endDate))) {
      Instant e = next(s);
      if (e == null || e.isAfter(to)) break;
      out.add(new Interval(s, e));
      s = e;
    }
    if (!catchup && out.size() > 1) return List.of(out.get(out.size() - 1));
    return out;
  }

  private boolean inDates(Instant start) {
    return (startDate == null || !start.isBefore(startDate)) && (endDate == null || !start.isAfter(endDate));
  }

  /** A wall-clock time as an instant: the first occurrence if repeated, shifted forward by the gap if skipped. */
  private Instant toInstant(LocalDateTime w) {
    List<ZoneOffset> valid = rules.getValidOffsets(w);
    if (valid.size() >= 1) return w.toInstant(valid.get(0));
    ZoneOffsetTransition gap = rules.getTransition(w);
    return w.toInstant(gap.getOffsetBefore());
  }

  /** The smallest and largest UTC offsets in force within three days of {@code t}. */
  private ZoneOffset[] offsetsNear(Instant t) {
    ZoneOffset lo = rules.getOffset(t);
    ZoneOffset hi = lo;
    Instant from = t.minus(3, ChronoUnit.DAYS);
    Instant to = t.plus(3, ChronoUnit.DAYS);
    ZoneOffsetTransition tr = rules.nextTransition(from);
    while (tr != null && tr.getInstant().isBefore(to)) {
      for (ZoneOffset o : List.of(tr.getOffsetBefore(), tr.getOffsetAfter())) {
        if (o.getTotalSeconds() < lo.getTotalSeconds()) lo = o;
        if (o.getTotalSeconds() > hi.getTotalSeconds()) hi = o;
      }
      tr = rules.nextTransition(tr.getInstant());
    }
    return new ZoneOffset[] {lo, hi};
  }

  @Override
  public String toString() { return cron + " (" + zone + ")"; }
}
