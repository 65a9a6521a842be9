package dev.weir.core.util;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** "Did you mean" suggestions by edit distance. */
public final class Suggest {
  private Suggest() {}

  /** The candidates closest to {@code word} (at most {@code max}), within a distance that makes sense. */
  public static List<String> closest(String word, Collection<String> candidates, int max) {
    record Scored(String s, int d) {}
    List<Scored> scored = new ArrayList<>();
    String w = word.toLowerCase(java.util.Locale.ROOT);
    int limit = Math.max(2, w.length() / 3);
    for (String c : candidates) {
      int d = distance(w, c.toLowerCase(java.util.Locale.ROOT));
      if (d <= limit || (c.length() > 3 && (c.contains(w) || w.contains(c)))) scored.add(new Scored(c, d));
    }
    scored.sort(Comparator.comparingInt(Scored::d).thenComparing(Scored::s));
    List<String> out = new ArrayList<>();
    for (int i = 0; i < scored.size() && i < max; i++) out.add(scored.get(i).s());
    return out;
  }

  /** " Did you mean 'x'?" or "" when nothing is close. */
  public static String didYouMean(String word, Collection<String> candidates) {
    List<String> c = closest(word, candidates, 3);
    if (c.isEmpty()) return "";
    if (c.size() == 1) return " Did you mean '" + c.get(0) + "'?";
    return " Did you mean one of: '" + String.join("', '", c) + "'?";
  }

  /** Damerau-Levenshtein (optimal string alignment) distance. */
  public static int distance(String a, String b) {
    int n = a.length(), m = b.length();
    int[][] d = new int[n + 1][m + 1];
    for (int i = 0; i <= n; i++) d[i][0] = i;
    for (int j = 0; j <= m; j++) d[0][j] = j;
    for (int i = 1; i <= n; i++) {
      for (int j = 1; j <= m; j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          v = Math.min(v, d[i - 2][j - 2] + 1);
        }
        d[i][j] = v;
      }
    }
    return d[n][m];
  }
}
