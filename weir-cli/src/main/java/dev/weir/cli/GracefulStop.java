package dev.weir.cli;

import dev.weir.core.WeirException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What long-running foreground commands ({@code stream run}, {@code cdc run}) share: SIGTERM and SIGINT ask the work
 * to stop gracefully (commit the batch in hand, exit 0) for as long as the handle is open, and NAME arguments are
 * picked from the project's declarations with a suggestion for a misspelt one.
 */
final class GracefulStop implements AutoCloseable {
  private final List<Object[]> previous = new ArrayList<>();

  /** Routes SIGTERM and SIGINT to {@code stop} until closed (the previous handlers come back then). */
  @SuppressWarnings("removal")
  GracefulStop(Runnable stop) {
    for (String name : List.of("TERM", "INT")) {
      try {
        sun.misc.Signal sig = new sun.misc.Signal(name);
        previous.add(new Object[] {sig, sun.misc.Signal.handle(sig, s -> stop.run())});
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // signal not available here: the default handling stays
      }
    }
  }

  @Override
  @SuppressWarnings("removal")
  public void close() {
    for (Object[] p : previous) {
      try {
        sun.misc.Signal.handle((sun.misc.Signal) p[0], (sun.misc.SignalHandler) p[1]);
      } catch (IllegalArgumentException e) {
        // best effort
      }
    }
  }

  /**
   * The declarations named by {@code names} (all of them when none is named), in order; an unknown name is a usage
   * error with the closest known one. {@code what} names the kind ("stream", "CDC source"), {@code none} the message
   * when the project declares nothing.
   */
  static <T> List<T> selectByName(Map<String, T> all, List<String> names, String what, String none) {
    if (all.isEmpty()) throw WeirException.usage(none);
    if (names == null || names.isEmpty()) return new ArrayList<>(all.values());
    List<T> out = new ArrayList<>();
    for (String n : names) {
      T s = all.get(n);
      if (s == null) {
        throw WeirException.usage("No " + what + " named '" + n + "'." + dev.weir.core.util.Suggest.didYouMean(n, all.keySet()) + " "
            + Character.toUpperCase(what.charAt(0)) + what.substring(1) + "s: " + String.join(", ", all.keySet()));
      }
      out.add(s);
    }
    return out;
  }
}
