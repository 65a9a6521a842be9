package dev.weir.core.graph;

import java.util.regex.Pattern;

/** Shell-style patterns as dbt's selectors use them (Python's fnmatch), compiled once. */
final class Glob {
  private final String literal;   // non-null when the pattern has no wildcard
  private final Pattern regex;

  private Glob(String literal, Pattern regex) { this.literal = literal; this.regex = regex; }

  static boolean hasWildcard(String s) {
    return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0;
  }

  /** fnmatch semantics: {@code *} and {@code ?} match any character, {@code /} included. */
  static Glob of(String pattern) { return compile(pattern, false); }

  /** Path semantics: {@code *} and {@code ?} stop at {@code /}, {@code **} crosses folders. */
  static Glob ofPath(String pattern) { return compile(pattern, true); }

  boolean matches(String s) {
    if (s == null) return false;
    return literal != null ? literal.equals(s) : regex.matcher(s).matches();
  }

  private static Glob compile(String p, boolean path) {
    if (!hasWildcard(p)) return new Glob(p, null);
    StringBuilder re = new StringBuilder();
    int i = 0;
    while (i < p.length()) {
      char c = p.charAt(i);
      if (c == '*') {
        if (path && i + 1 < p.length() && p.charAt(i + 1) == '*') {
          // "**/" matches zero or more folders; a bare "**" anything
          if (i + 2 < p.length() && p.charAt(i + 2) == '/') { re.append("(?:.*/)?"); i += 3; }
          else { re.append(".*"); i += 2; }
          continue;
        }
        re.append(path ? "[^/]*" : ".*");
      } else if (c == '?') {
        re.append(path ? "[^/]" : ".");
      } else if (c == '[') {
        int j = i + 1;
        if (j < p.length() && (p.charAt(j) == '!' || p.charAt(j) == '^')) j++;
        if (j < p.length() && p.charAt(j) == ']') j++;
        while (j < p.length() && p.charAt(j) != ']') j++;
        if (j >= p.length()) {
          re.append("\\[");
        } else {
          String body = p.substring(i + 1, j);
          StringBuilder cls = new StringBuilder("[");
          int k = 0;
          if (body.startsWith("!") || body.startsWith("^")) { cls.append('^'); k = 1; }
          for (; k < body.length(); k++) {
            char b = body.charAt(k);
            if (b == '\\' || b == '[' || b == ']' || b == '&' || b == '^') cls.append('\\');
            cls.append(b);
          }
          re.append(cls).append(']');
          i = j;
        }
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
      i++;
    }
    return new Glob(null, Pattern.compile(re.toString(), Pattern.DOTALL));
  }
}
