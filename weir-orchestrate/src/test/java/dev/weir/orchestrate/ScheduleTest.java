package dev.weir.orchestrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Schedule arithmetic: next/previous fire times checked against brute-force minute stepping for many random
 * crons, zones and instants (half of them near a DST change), plus the DST, catchup and date cases by hand.
 */
class ScheduleTest {
  static final List<String> ZONES = List.of("UTC", "Europe/Berlin", "America/New_York", "Europe/London", "Australia/Lord_Howe",
      "America/Sao_Paulo", "Pacific/Chatham", "Asia/Kolkata", "America/Santiago", "Asia/Tehran", "Australia/Sydney",
      "America/St_Johns", "Europe/Dublin");

  @Test
  void nextAndPreviousAgreeWithBruteForceMinuteStepping() {
    Random rnd = new Random(20240331L);
    int checked = 0;
    for (int i = 0; i < 400; i++) {
      ZoneId zone = ZoneId.of(ZONES.get(rnd.nextInt(ZONES.size())));
      String cron = randomCron(rnd);
      Instant t = randomInstant(rnd, zone);
      Schedule s = new Schedule(cron, zone, false, null, null);
      Matcher m = new Matcher(cron);
      String what = cron + " in " + zone + " from " + t + " (" + LocalDateTime.ofInstant(t, zone) + " local)";
      assertThat(s.next(t)).as("next of " + what).isEqualTo(bruteNext(m, zone, t));
      assertThat(s.previous(t)).as("previous of " + what).isEqualTo(brutePrevious(m, zone, t));
      checked++;
    }
    assertThat(checked).isEqualTo(400);
  }

  @Test
  void aDailyJobAtTwoThirtyRunsOnceOnBothDstDaysInBerlin() {
    Schedule s = new Schedule("30 2 * * *", ZoneId.of("Europe/Berlin"), true, null, null);
    // Spring forward 2024-03-31: 02:00 -> 03:00, so 02:30 does not exist: it runs once, at 03:30 CEST (01:30Z).
    assertThat(fires(s, "2024-03-30T12:00:00Z", "2024-04-01T12:00:00Z"))
        .containsExactly(Instant.parse("2024-03-31T01:30:00Z"), Instant.parse("2024-04-01T00:30:00Z"));
    // Fall back 2024-10-27: 03:00 -> 02:00, so 02:30 happens twice: it runs once, the first time (00:30Z).
    assertThat(fires(s, "2024-10-26T12:00:00Z", "2024-10-28T12:00:00Z"))
        .containsExactly(Instant.parse("2024-10-27T00:30:00Z"), Instant.parse("2024-10-28T01:30:00Z"));
  }

  @Test
  void aDailyJobAtOneThirtyRunsOnceWhenNewYorkRepeatsThatHour() {
    Schedule s = new Schedule("30 1 * * *", ZoneId.of("America/New_York"), true, null, null);
    List<Instant> f = fires(s, "2024-11-02T12:00:00Z", "2024-11-04T12:00:00Z");
    assertThat(f).containsExactly(Instant.parse("2024-11-03T05:30:00Z"), Instant.parse("2024-11-04T06:30:00Z"));
    // The data interval that day is 25 hours long, so no data is left out.
    assertThat(ChronoUnit.HOURS.between(f.get(0), f.get(1))).isEqualTo(25);
  }

  @Test
  void hourlyIntervalsCoverEveryInstantAcrossDstWithoutGapsOrOverlaps() {
    Schedule s = new Schedule("@hourly", ZoneId.of("Europe/Berlin"), true, null, null);
    Instant from = Instant.parse("2024-10-26T20:00:00Z");
    List<Schedule.Interval> iv = s.dueIntervals(from, Instant.parse("2024-10-27T06:00:00Z"));
    assertThat(iv.get(0).start()).isEqualTo(from);
    for (int i = 1; i < iv.size(); i++) assertThat(iv.get(i).start()).isEqualTo(iv.get(i - 1).end());
    assertThat(iv.get(iv.size() - 1).end()).isEqualTo(Instant.parse("2024-10-27T06:00:00Z"));
    // 10 real hours, but 02:00 local (the repeated hour) fires once: one interval spans two hours.
    assertThat(iv).hasSize(9);
  }

  @Test
  void catchupListsEveryMissedIntervalAndWithoutCatchupOnlyTheLatest() {
    ZoneId utc = ZoneId.of("UTC");
    Instant start = Instant.parse("2024-01-01T00:00:00Z");
    Instant now = Instant.parse("2024-01-05T01:00:00Z");
    Schedule on = new Schedule("@daily", utc, true, start, null);
    assertThat(on.dueIntervals(Instant.parse("2023-06-01T00:00:00Z"), now)).extracting(Schedule.Interval::start).containsExactly(
        Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2024-01-02T00:00:00Z"), Instant.parse("2024-01-03T00:00:00Z"),
        Instant.parse("2024-01-04T00:00:00Z"));
    Schedule off = new Schedule("@daily", utc, false, start, null);
    assertThat(off.dueIntervals(start, now)).containsExactly(
        new Schedule.Interval(Instant.parse("2024-01-04T00:00:00Z"), Instant.parse("2024-01-05T00:00:00Z")));
    Schedule ended = new Schedule("@daily", utc, true, start, Instant.parse("2024-01-02T00:00:00Z"));
    assertThat(ended.dueIntervals(start, now)).hasSize(2);
    // A start date between fire times: the first interval starts at the next fire time.
    Schedule mid = new Schedule("@daily", utc, true, Instant.parse("2024-01-01T10:00:00Z"), null);
    assertThat(mid.dueIntervals(Instant.EPOCH, now).get(0).start()).isEqualTo(Instant.parse("2024-01-02T00:00:00Z"));
    assertThat(on.latestComplete(now)).isEqualTo(
        new Schedule.Interval(Instant.parse("2024-01-04T00:00:00Z"), Instant.parse("2024-01-05T00:00:00Z")));
  }

  @Test
  void catchupIntervalsAgreeWithBruteForceInRandomZones() {
    Random rnd = new Random(7);
    for (int i = 0; i < 40; i++) {
      ZoneId zone = ZoneId.of(ZONES.get(rnd.nextInt(ZONES.size())));
      String cron = rnd.nextBoolean() ? "@hourly" : randomCron(rnd);
      Instant from = randomInstant(rnd, zone);
      Instant to = from.plus(2 + rnd.nextInt(3), ChronoUnit.DAYS);
      Schedule s = new Schedule(cron, zone, true, null, null);
      Matcher m = new Matcher(cron.equals("@hourly") ? "0 * * * *" : cron);
      List<Instant> brute = new ArrayList<>();
      for (Instant x = bruteNext(m, zone, from.minusSeconds(1)); x != null && !x.isAfter(to); x = bruteNext(m, zone, x)) brute.add(x);
      List<Instant> starts = s.dueIntervals(from, to).stream().map(Schedule.Interval::start).toList();
      List<Instant> expected = brute.isEmpty() ? List.of() : brute.subList(0, brute.size() - 1);
      assertThat(starts).as(cron + " in " + zone + " from " + from).isEqualTo(expected);
    }
  }

  @Test
  void nicknamesAndTheIntervalHoldingAnInstant() {
    ZoneId tz = ZoneId.of("America/New_York");
    Schedule weekly = new Schedule("@weekly", tz, false, null, null);
    Instant n = weekly.next(Instant.parse("2024-05-15T12:00:00Z")); // a Wednesday
    assertThat(LocalDateTime.ofInstant(n, tz)).isEqualTo(LocalDateTime.parse("2024-05-19T00:00")); // Sunday
    Schedule monthly = new Schedule("@monthly", ZoneId.of("UTC"), false, null, null);
    assertThat(monthly.intervalContaining(Instant.parse("2024-02-10T00:00:00Z"))).isEqualTo(
        new Schedule.Interval(Instant.parse("2024-02-01T00:00:00Z"), Instant.parse("2024-03-01T00:00:00Z")));
    assertThat(new Schedule("@yearly", ZoneId.of("UTC"), false, null, null).next(Instant.parse("2024-02-10T00:00:00Z")))
        .isEqualTo(Instant.parse("2025-01-01T00:00:00Z"));
  }

  @Test
  void badCronExpressionsSayWhatIsWrong() {
    ZoneId utc = ZoneId.of("UTC");
    assertThatThrownBy(() -> new Schedule("0 0 * *", utc, false, null, null)).hasMessageContaining("has 4 fields");
    assertThatThrownBy(() -> new Schedule("61 * * * *", utc, false, null, null)).hasMessageContaining("not a valid cron");
    assertThatThrownBy(() -> new Schedule("@fortnightly", utc, false, null, null)).hasMessageContaining("unknown nickname");
  }

  // ------------------------------------------------------------------ brute force

  static List<Instant> fires(Schedule s, String from, String to) {
    List<Instant> out = new ArrayList<>();
    for (Instant x = s.next(Instant.parse(from)); x != null && x.isBefore(Instant.parse(to)); x = s.next(x)) out.add(x);
    return out;
  }

  /** Whether the instant {@code m} (a whole minute) is a fire time, by the rules Schedule documents. */
  static boolean fires(Matcher c, ZoneId zone, Instant m) {
    ZoneRules rules = zone.getRules();
    LocalDateTime wall = LocalDateTime.ofInstant(m, zone);
    ZoneOffset offset = rules.getOffset(m);
    if (c.matches(wall) && rules.getValidOffsets(wall).get(0).equals(offset)) return true; // the first occurrence
    ZoneOffsetTransition tr = rules.previousTransition(m.plusNanos(1));
    if (tr != null && tr.isGap() && m.isBefore(tr.getInstant().plus(tr.getDuration()))) {
      LocalDateTime skipped = wall.minus(tr.getDuration());
      return rules.getValidOffsets(skipped).isEmpty() && c.matches(skipped);
    }
    return false;
  }

  static Instant bruteNext(Matcher c, ZoneId zone, Instant t) {
    Instant m = t.truncatedTo(ChronoUnit.MINUTES);
    if (!m.isAfter(t)) m = m.plus(1, ChronoUnit.MINUTES);
    for (int i = 0; i < 70 * 24 * 60; i++, m = m.plus(1, ChronoUnit.MINUTES)) if (fires(c, zone, m)) return m;
    throw new AssertionError("no fire within 70 days of " + t);
  }

  static Instant brutePrevious(Matcher c, ZoneId zone, Instant t) {
    Instant m = t.truncatedTo(ChronoUnit.MINUTES);
    if (!m.isBefore(t)) m = m.minus(1, ChronoUnit.MINUTES);
    for (int i = 0; i < 70 * 24 * 60; i++, m = m.minus(1, ChronoUnit.MINUTES)) if (fires(c, zone, m)) return m;
    throw new AssertionError("no fire within 70 days before " + t);
  }

  /** A cron matcher written for the test, independent of the library, for the grammar randomCron produces. */
  static final class Matcher {
    final Set<Integer>[] allowed;
    final boolean domStar;
    final boolean dowStar;

    @SuppressWarnings("unchecked")
    Matcher(String cron) {
      String[] f = cron.trim().split("\\s+");
      int[][] ranges = {{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}};
      allowed = new Set[5];
      for (int i = 0; i < 5; i++) allowed[i] = field(f[i], ranges[i][0], ranges[i][1]);
      if (allowed[4].contains(7)) allowed[4].add(0);
      domStar = f[2].equals("*");
      dowStar = f[4].equals("*");
    }

    boolean matches(LocalDateTime w) {
      if (!allowed[0].contains(w.getMinute()) || !allowed[1].contains(w.getHour()) || !allowed[3].contains(w.getMonthValue())) return false;
      boolean dom = allowed[2].contains(w.getDayOfMonth());
      boolean dow = allowed[4].contains(w.getDayOfWeek().getValue() % 7);
      if (domStar || dowStar) return dom && dow;
      return dom || dow; // both restricted: either matches (as in Vixie cron)
    }

    static Set<Integer> field(String f, int lo, int hi) {
      Set<Integer> out = new HashSet<>();
      for (String part : f.split(",")) {
        int step = 1;
        String range = part;
        if (part.contains("/")) {
          step = Integer.parseInt(part.substring(part.indexOf('/') + 1));
          range = part.substring(0, part.indexOf('/'));
        }
        int a = lo, b = hi;
        if (!range.equals("*")) {
          String[] ab = range.split("-");
          a = Integer.parseInt(ab[0]);
          b = ab.length > 1 ? Integer.parseInt(ab[1]) : (part.contains("/") ? hi : a);
        }
        for (int v = a; v <= b; v += step) out.add(v);
      }
      return out;
    }
  }

  static String randomCron(Random r) {
    String minute = pick(r, "0", "30", "*/15", "5,35", "0-10/5", "*/7", String.valueOf(r.nextInt(60)), "45");
    String hour = pick(r, "*", "2", "1", "0", "*/3", "1-3", "2,14", String.valueOf(r.nextInt(24)), "0-23/5", "3");
    String dom = "*";
    String dow = "*";
    int kind = r.nextInt(6);
    if (kind == 0) dom = pick(r, "1", "15", "1-7", "28", String.valueOf(1 + r.nextInt(28)));
    else if (kind == 1) dow = pick(r, "0", "1-5", "6", "0,3", "7");
    else if (kind == 2) {
      dom = pick(r, "13", "1", "20-25");
      dow = pick(r, "5", "1", "0");
    }
    String month = r.nextInt(8) == 0 ? "3-12" : "*";
    return minute + " " + hour + " " + dom + " " + month + " " + dow;
  }

  static String pick(Random r, String... options) { return options[r.nextInt(options.length)]; }

  /** Half the time near one of the zone's transitions (1995-2035), else anywhere in those years. */
  static Instant randomInstant(Random r, ZoneId zone) {
    Instant lo = Instant.parse("1995-01-01T00:00:00Z");
    long span = Instant.parse("2035-01-01T00:00:00Z").getEpochSecond() - lo.getEpochSecond();
    Instant any = lo.plusSeconds((long) (r.nextDouble() * span));
    if (r.nextBoolean()) {
      ZoneOffsetTransition tr = zone.getRules().nextTransition(any);
      if (tr != null && tr.getInstant().isBefore(Instant.parse("2036-01-01T00:00:00Z"))) {
        return tr.getInstant().plusSeconds(r.nextInt(4 * 86400) - 2 * 86400);
      }
    }
    return any;
  }
}
