package dev.weir.core.project;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;

/** Models' {@code deprecation_date}: a date, or a date-time with or without an offset. */
public final class DeprecationDates {
  private DeprecationDates() {}

  /** ISO text ({@code 2024-06-30T00:00:00}, with the offset when one was given); throws on anything else. */
  public static String normalise(String text) {
    String t = text.strip().replace(' ', 'T');
    if (t.matches("\\d{4}-\\d{2}-\\d{2}")) return LocalDate.parse(t).atStartOfDay().toString().replaceFirst("T00:00$", "T00:00:00");
    try {
      return OffsetDateTime.parse(t).toString();
    } catch (DateTimeParseException e) {
      LocalDateTime l = LocalDateTime.parse(t);
      String s = l.toString();
      return s.length() == 16 ? s + ":00" : s;
    }
  }

  /** Whether the (normalised) date has passed; a date without an offset is read in the local time zone. */
  public static boolean passed(String normalised) {
    OffsetDateTime when;
    try {
      when = OffsetDateTime.parse(normalised);
    } catch (DateTimeParseException e) {
      when = LocalDateTime.parse(normalised).atZone(ZoneId.systemDefault()).toOffsetDateTime();
    }
    return !when.isAfter(OffsetDateTime.now());
  }
}
