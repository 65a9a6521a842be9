package dev.weir.core.render;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The time window of one microbatch batch, in UTC: {@code start <= event_time < end}. While a
 * batch renders, {@code ref()} and {@code source()} of nodes that have an {@code event_time}
 * config read only the rows of the window, as dbt does.
 */
public record EventTimeWindow(LocalDateTime start, LocalDateTime end) {
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /** A portable timestamp literal: {@code cast('2024-01-01 00:00:00' as timestamp)}. */
  public static String literal(LocalDateTime t) {
    return "cast('" + TS.format(t) + "' as timestamp)";
  }

  /**
   * Parses a timestamp as dbt accepts one for {@code begin} and {@code --event-time-start}:
   * {@code 2024-01-01}, {@code 2024-01-01 10:00[:00[.fff]]}, the ISO {@code T} form, with an optional
   * offset or {@code Z} (converted to UTC). Throws IllegalArgumentException otherwise.
   */
  public static LocalDateTime parse(String text) {
    String s = text.strip().replace('T', ' ');
    if (s.endsWith("Z")) s = s.substring(0, s.length() - 1) + "+00:00";
    try {
      if (s.length() == 10) return java.time.LocalDate.parse(s).atStartOfDay();
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(.*?)([+-]\\d{2}(:?\\d{2})?)$").matcher(s);
      if (s.length() > 19 && m.matches()) {
        String off = m.group(2);
        if (off.length() == 3) off += ":00";
        else if (!off.contains(":")) off = off.substring(0, 3) + ":" + off.substring(3);
        LocalDateTime local = LocalDateTime.parse(m.group(1).strip().replace(' ', 'T'));
        return local.atOffset(java.time.ZoneOffset.of(off)).withOffsetSameInstant(java.time.ZoneOffset.UTC).toLocalDateTime();
      }
      return LocalDateTime.parse(s.replace(' ', 'T'));
    } catch (java.time.DateTimeException e) {
      throw new IllegalArgumentException("'" + text + "' is not a date or timestamp (expected e.g. 2024-01-01 or 2024-01-01 10:00:00)");
    }
  }

  /** {@code <column> >= start and <column> < end}. */
  public String predicate(String column) {
    return column + " >= " + literal(start) + " and " + column + " < " + literal(end);
  }
}
