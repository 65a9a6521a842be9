package dev.weir.cdc;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test-only fault switch: with the system property {@code weir.cdc.fault=POINT[:N]} the process
 * halts ({@link Runtime#halt}, no shutdown hooks, like a kill) the N-th time (default the first) a
 * batch reaches POINT. Points: {@code before_commit} (the batch's changes applied to the warehouse
 * tables, the source position not yet written, transaction open), {@code mid_commit} (the position
 * written too, just before COMMIT), {@code after_commit} (COMMIT returned, before Debezium is told
 * the batch is processed). Without the property nothing happens.
 */
public final class CdcFaults {
  /** The points where the switch can halt the process. */
  public enum Point { BEFORE_COMMIT, MID_COMMIT, AFTER_COMMIT }

  private static final Point POINT;
  private static final int AT;
  private static final AtomicInteger SEEN = new AtomicInteger();

  static {
    String v = System.getProperty("weir.cdc.fault");
    Point p = null;
    int at = 1;
    if (v != null && !v.isBlank()) {
      String[] parts = v.strip().split(":");
      p = Point.valueOf(parts[0].toUpperCase(Locale.ROOT));
      if (parts.length > 1) at = Integer.parseInt(parts[1]);
    }
    POINT = p;
    AT = at;
  }

  private CdcFaults() {}

  /** Halts the process when the switch names {@code p} and this is the N-th time it is reached. */
  static void reached(Point p) {
    if (POINT == p && SEEN.incrementAndGet() == AT) {
      System.err.println("weir.cdc.fault: halting at " + p.name().toLowerCase(Locale.ROOT));
      System.err.flush();
      Runtime.getRuntime().halt(137);
    }
  }
}
