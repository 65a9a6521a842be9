package dev.weir.cdc;

import dev.weir.core.util.FaultSwitch;
import java.util.Set;

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

  private static final FaultSwitch SWITCH = new FaultSwitch("weir.cdc.fault", Set.of("before_commit", "mid_commit", "after_commit"));

  private CdcFaults() {}

  /** Halts the process when the switch names {@code p} and this is the N-th time it is reached. */
  static void reached(Point p) { SWITCH.reached(p.name()); }
}
