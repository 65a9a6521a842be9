package dev.weir.stream;

import dev.weir.core.util.FaultSwitch;
import java.util.Set;

/**
 * A test-only fault switch: with the system property {@code weir.stream.fault=POINT[:N]} the
 * process halts ({@link Runtime#halt}, no shutdown hooks, like a kill) the N-th time (default the
 * first) a commit reaches POINT. Points: {@code before_commit} (batch rows and dead letters
 * written, offsets not yet, transaction open), {@code mid_commit} (offsets written too, just
 * before COMMIT), {@code after_commit} (COMMIT returned, before the consumer goes on).
 * Without the property nothing happens.
 */
public final class Faults {
  /** The points where the switch can halt the process. */
  public enum Point { BEFORE_COMMIT, MID_COMMIT, AFTER_COMMIT }

  private static final FaultSwitch SWITCH = new FaultSwitch("weir.stream.fault", Set.of("before_commit", "mid_commit", "after_commit"));

  private Faults() {}

  /** Halts the process when the switch names {@code p} and this is the N-th time it is reached. */
  static void reached(Point p) { SWITCH.reached(p.name()); }
}
