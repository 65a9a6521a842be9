package dev.weir.core.util;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test-only fault switch for crash tests: with the system property {@code <property>=POINT[:N]} the process halts
 * ({@link Runtime#halt} with 137, no shutdown hooks, as a kill) the N-th time (default the first) the code reaches
 * POINT. Without the property nothing happens. Streams and CDC use it to prove that a crash before, during or after
 * a commit neither loses nor doubles anything.
 */
public final class FaultSwitch {
  private final String property;
  private final String point;
  private final int at;
  private final AtomicInteger seen = new AtomicInteger();

  /** Reads {@code property}; {@code points} are the valid point names (lower case). */
  public FaultSwitch(String property, Set<String> points) {
    this.property = property;
    String v = System.getProperty(property);
    String p = null;
    int n = 1;
    if (v != null && !v.isBlank()) {
      String[] parts = v.strip().split(":");
      p = parts[0].toLowerCase(Locale.ROOT);
      if (!points.contains(p)) throw new IllegalArgumentException(property + ": unknown point '" + parts[0] + "' (points: " + points + ")");
      if (parts.length > 1) n = Integer.parseInt(parts[1]);
    }
    this.point = p;
    this.at = n;
  }

  /** Halts the process when the switch names {@code pointName} and this is the N-th time it is reached. */
  public void reached(String pointName) {
    if (point != null && point.equalsIgnoreCase(pointName) && seen.incrementAndGet() == at) {
      System.err.println(property + ": halting at " + point);
      System.err.flush();
      Runtime.getRuntime().halt(137);
    }
  }
}
