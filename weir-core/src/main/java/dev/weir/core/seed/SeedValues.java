package dev.weir.core.seed;

import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Parsing of single CSV values the way dbt's seed type tester (agate) casts them. Each {@code parseX}
 * returns null when the value is not of that kind; callers have already excluded nulls.
 */
final class SeedValues {
  private SeedValues() {}

  /** dbt's seed null values: empty (after trimming) or the word null, any case. */
  static boolean isNull(String s) {
    int a = 0, b = s.length();
    while (a < b && Character.isWhitespace(s.charAt(a))) a++;
    while (b > a && Character.isWhitespace(s.charAt(b - 1))) b--;
    int n = b - a;
    return n == 0 || (n == 4 && s.regionMatches(true, a, "null", 0, 4));
  }

  // ---- numbers ----

  /** Currency symbols agate strips from both ends of a number. */
  private static final String CURRENCY = "$€£¥¢₹₩₽₺₪₫₱฿₴₦₡₭₮₲₼₾؋ƒ";

  static final BigDecimal NAN = new BigDecimal(-1); // marker objects for non-finite values (identity-compared)
  static final BigDecimal POS_INF = new BigDecimal(-2);
  static final BigDecimal NEG_INF = new BigDecimal(-3);

  /**
   * A number as agate reads it: trimmed; '%' stripped from both ends; a leading '-'; currency symbols
   * stripped from both ends; ',' group separators removed; then Python Decimal syntax
   * ({@code [+-]digits[.digits][e[+-]digits]}, also {@code .5}, {@code 5.}, {@code nan}, {@code inf},
   * {@code infinity}). Leading zeros are accepted ({@code 007} is 7).
   */
  static BigDecimal parseNumber(String raw) {
    String s = raw.strip();
    int a = 0, b = s.length();
    while (a < b && s.charAt(a) == '%') a++;
    while (b > a && s.charAt(b - 1) == '%') b--;
    boolean negative = false;
    if (a < b && s.charAt(a) == '-') { negative = true; a++; }
    while (a < b && CURRENCY.indexOf(s.charAt(a)) >= 0) a++;
    while (b > a && CURRENCY.indexOf(s.charAt(b - 1)) >= 0) b--;
    if (a >= b) return null;
    // Python's Decimal() trims surrounding whitespace itself
    while (a < b && Character.isWhitespace(s.charAt(a))) a++;
    while (b > a && Character.isWhitespace(s.charAt(b - 1))) b--;
    StringBuilder sb = null;
    int i = a;
    if (i < b && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      if (s.charAt(i) == '-') negative = !negative;
      i++;
    }
    int digitsBefore = 0, digitsAfter = 0;
    int start = i;
    boolean hasComma = false;
    while (i < b && (isDigit(s.charAt(i)) || s.charAt(i) == ',')) {
      if (s.charAt(i) == ',') hasComma = true; else digitsBefore++;
      i++;
    }
    if (i < b && s.charAt(i) == '.') {
      i++;
      while (i < b && (isDigit(s.charAt(i)) || s.charAt(i) == ',')) {
        if (s.charAt(i) == ',') hasComma = true; else digitsAfter++;
        i++;
      }
    }
    if (digitsBefore + digitsAfter == 0) {
      return special(s.substring(start, b), negative);
    }
    if (i < b && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      i++;
      if (i < b && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
      int expDigits = 0;
      while (i < b && isDigit(s.charAt(i))) { i++; expDigits++; }
      if (expDigits == 0) return null;
    }
    if (i != b) return null;
    String body = s.substring(start, b);
    if (hasComma) {
      sb = new StringBuilder(body.length());
      for (int k = 0; k < body.length(); k++) if (body.charAt(k) != ',') sb.append(body.charAt(k));
      body = sb.toString();
    }
    try {
      BigDecimal d = new BigDecimal(body);
      return negative ? d.negate() : d;
    } catch (NumberFormatException | ArithmeticException e) {
      return null;
    }
  }

  private static BigDecimal special(String word, boolean negative) {
    String w = word.toLowerCase(java.util.Locale.ROOT);
    if (w.equals("nan")) return NAN;
    if (w.equals("inf") || w.equals("infinity")) return negative ? NEG_INF : POS_INF;
    return null;
  }

  static boolean isSpecial(BigDecimal d) { return d == NAN || d == POS_INF || d == NEG_INF; }

  static double toDouble(BigDecimal d) {
    if (d == NAN) return Double.NaN;
    if (d == POS_INF) return Double.POSITIVE_INFINITY;
    if (d == NEG_INF) return Double.NEGATIVE_INFINITY;
    return d.doubleValue();
  }

  /** Whether a parsed number has no fractional part (agate: MaxPrecision of the normalized value is 0). */
  static boolean isIntegral(BigDecimal d) {
    if (isSpecial(d)) return false;
    return d.signum() == 0 || d.scale() <= 0 || d.stripTrailingZeros().scale() <= 0;
  }

  /** Fast path for plain integers ("-12", "007"): the long value, or null if not that simple. */
  static Long simpleLong(String s) {
    int n = s.length();
    if (n == 0 || n > 18) return null;
    int i = 0;
    if (s.charAt(0) == '-') { if (n == 1) return null; i = 1; }
    long v = 0;
    for (; i < n; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') return null;
      v = v * 10 + (c - '0');
    }
    return s.charAt(0) == '-' ? -v : v;
  }

  /**
   * Fast path for plain decimals ("-12.50"): 0 if {@code s} is not of the form {@code -?digits(.digits)?},
   * 1 if it is and has no non-zero fraction digit, 2 if it has a fractional part.
   */
  static int simpleDecimal(String s) {
    int n = s.length();
    if (n == 0 || n > 30) return 0;
    int i = s.charAt(0) == '-' ? 1 : 0;
    int digits = 0;
    while (i < n && isDigit(s.charAt(i))) { i++; digits++; }
    if (digits == 0) return 0;
    if (i == n) return 1;
    if (s.charAt(i) != '.') return 0;
    i++;
    boolean fraction = false;
    int after = 0;
    for (; i < n; i++, after++) {
      char c = s.charAt(i);
      if (!isDigit(c)) return 0;
      if (c != '0') fraction = true;
    }
    if (after == 0) return 0;
    return fraction ? 2 : 1;
  }

  private static boolean isDigit(char c) { return c >= '0' && c <= '9'; }

  // ---- booleans ----

  /** true/false, any case, trimmed, commas removed (agate's Boolean with dbt's true/false values only). */
  static Boolean parseBoolean(String raw) {
    String s = raw.indexOf(',') >= 0 ? raw.replace(",", "").strip() : raw.strip();
    if (s.equalsIgnoreCase("true")) return Boolean.TRUE;
    if (s.equalsIgnoreCase("false")) return Boolean.FALSE;
    return null;
  }

  // ---- dates and times ----

  /** {@code %Y-%m-%d} as Python's strptime reads it: 4-digit year, 1–2 digit month and day, a real date. */
  static LocalDate parseDate(String raw) {
    String s = raw.strip();
    int[] p = {0};
    LocalDate d = dateAt(s, p);
    return d != null && p[0] == s.length() ? d : null;
  }

  /** Reads YYYY-M[M]-D[D] at pos[0]; advances pos. */
  static LocalDate dateAt(String s, int[] pos) {
    int i = pos[0];
    int n = s.length();
    if (i + 4 > n) return null;
    int y = digits(s, i, 4);
    if (y < 0) return null;
    i += 4;
    if (i >= n || s.charAt(i) != '-') return null;
    i++;
    int mLen = runOfDigits(s, i, 2);
    if (mLen == 0) return null;
    int m = digits(s, i, mLen);
    i += mLen;
    if (i >= n || s.charAt(i) != '-') return null;
    i++;
    int dLen = runOfDigits(s, i, 2);
    if (dLen == 0) return null;
    int d = digits(s, i, dLen);
    i += dLen;
    try {
      LocalDate date = LocalDate.of(y, m, d);
      pos[0] = i;
      return date;
    } catch (DateTimeException e) {
      return null;
    }
  }

  /** {@code %Y-%m-%d %H:%M:%S} (strptime: whitespace run between date and time, 1–2 digit fields). */
  static LocalDateTime parseSpaceTimestamp(String raw) {
    String s = raw.strip();
    int[] p = {0};
    LocalDate d = dateAt(s, p);
    if (d == null) return null;
    int i = p[0];
    int n = s.length();
    if (i >= n || !Character.isWhitespace(s.charAt(i))) return null;
    while (i < n && Character.isWhitespace(s.charAt(i))) i++;
    int[] hms = new int[3];
    for (int k = 0; k < 3; k++) {
      if (k > 0) {
        if (i >= n || s.charAt(i) != ':') return null;
        i++;
      }
      int len = runOfDigits(s, i, 2);
      if (len == 0) return null;
      hms[k] = digits(s, i, len);
      i += len;
    }
    if (i != n || hms[0] > 23 || hms[1] > 59 || hms[2] > 59) return null;
    return LocalDateTime.of(d, LocalTime.of(hms[0], hms[1], hms[2]));
  }

  /**
   * ISO 8601 with a 'T' (as isodate.parse_datetime): date {@code YYYY-MM-DD} or {@code YYYYMMDD}; time
   * {@code hh}, {@code hh:mm}, {@code hh:mm:ss}, {@code hhmm}, {@code hhmmss}, seconds optionally with a
   * fraction ('.' or ','); optional zone {@code Z}, {@code ±hh}, {@code ±hh:mm}, {@code ±hhmm}. A value
   * with a zone is converted to UTC and returned without the zone.
   */
  static LocalDateTime parseIsoTimestamp(String raw) {
    String s = raw.strip();
    int t = s.indexOf('T');
    if (t < 0 || s.indexOf('T', t + 1) >= 0) return null;
    LocalDate date = isoDate(s.substring(0, t));
    if (date == null) return null;
    String time = s.substring(t + 1);
    // zone
    ZoneOffset zone = null;
    int zi = -1;
    for (int k = 0; k < time.length(); k++) {
      char c = time.charAt(k);
      if (c == 'Z' || c == '+' || c == '-') { zi = k; break; }
    }
    if (zi >= 0) {
      zone = zone(time.substring(zi));
      if (zone == null) return null;
      time = time.substring(0, zi);
    }
    LocalTime lt = isoTime(time);
    if (lt == null) return null;
    LocalDateTime ldt = LocalDateTime.of(date, lt);
    if (zone != null && zone.getTotalSeconds() != 0) {
      ldt = OffsetDateTime.of(ldt, zone).withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
    }
    return ldt;
  }

  private static LocalDate isoDate(String s) {
    try {
      if (s.length() == 10 && s.charAt(4) == '-' && s.charAt(7) == '-') {
        int y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
        if (y < 0 || m < 0 || d < 0) return null;
        return LocalDate.of(y, m, d);
      }
      if (s.length() == 8) {
        int y = digits(s, 0, 4), m = digits(s, 4, 2), d = digits(s, 6, 2);
        if (y < 0 || m < 0 || d < 0) return null;
        return LocalDate.of(y, m, d);
      }
    } catch (DateTimeException e) {
      return null;
    }
    return null;
  }

  private static LocalTime isoTime(String s) {
    String main = s;
    int nanos = 0;
    int f = Math.max(s.indexOf('.'), s.indexOf(','));
    if (f >= 0) {
      String frac = s.substring(f + 1);
      if (frac.isEmpty()) return null;
      for (int k = 0; k < frac.length(); k++) if (frac.charAt(k) < '0' || frac.charAt(k) > '9') return null;
      String nine = (frac + "000000000").substring(0, 9);
      nanos = Integer.parseInt(nine);
      main = s.substring(0, f);
    }
    int h, m = 0, sec = 0;
    if (main.length() == 2) {
      h = digits(main, 0, 2);
      if (f >= 0) return null; // fractional hours not supported
    } else if (main.length() == 5 && main.charAt(2) == ':') {
      h = digits(main, 0, 2); m = digits(main, 3, 2);
      if (f >= 0) return null;
    } else if (main.length() == 8 && main.charAt(2) == ':' && main.charAt(5) == ':') {
      h = digits(main, 0, 2); m = digits(main, 3, 2); sec = digits(main, 6, 2);
    } else if (main.length() == 4) {
      h = digits(main, 0, 2); m = digits(main, 2, 2);
      if (f >= 0) return null;
    } else if (main.length() == 6) {
      h = digits(main, 0, 2); m = digits(main, 2, 2); sec = digits(main, 4, 2);
    } else {
      return null;
    }
    if (h < 0 || m < 0 || sec < 0 || h > 23 || m > 59 || sec > 59) return null;
    return LocalTime.of(h, m, sec, nanos);
  }

  private static ZoneOffset zone(String z) {
    if (z.equals("Z")) return ZoneOffset.UTC;
    char sign = z.charAt(0);
    String rest = z.substring(1);
    int h, m = 0;
    if (rest.length() == 2) h = digits(rest, 0, 2);
    else if (rest.length() == 5 && rest.charAt(2) == ':') { h = digits(rest, 0, 2); m = digits(rest, 3, 2); }
    else if (rest.length() == 4) { h = digits(rest, 0, 2); m = digits(rest, 2, 2); }
    else return null;
    if (h < 0 || m < 0 || h > 18 || m > 59) return null;
    try {
      return sign == '-' ? ZoneOffset.ofHoursMinutes(-h, -m) : ZoneOffset.ofHoursMinutes(h, m);
    } catch (DateTimeException e) {
      return null;
    }
  }

  /** Parses exactly {@code len} ASCII digits at {@code at}; -1 if any is not a digit or out of range. */
  private static int digits(String s, int at, int len) {
    if (at + len > s.length()) return -1;
    int v = 0;
    for (int i = at; i < at + len; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /** Length (at most max) of the run of ASCII digits at {@code at}. */
  private static int runOfDigits(String s, int at, int max) {
    int k = 0;
    while (k < max && at + k < s.length() && s.charAt(at + k) >= '0' && s.charAt(at + k) <= '9') k++;
    return k;
  }
}
