package dev.weir.jinja;

import java.util.List;
import java.util.Map;

/**
 * A call to a global function found statically (outside macro definitions). Arguments that are not literals
 * are represented by {@link #NON_LITERAL} and {@code allLiteral} is false.
 */
public record StaticCall(String function, List<Object> args, Map<String, Object> kwargs, boolean allLiteral, int line) {
  /** Placeholder for a non-literal argument. */
  public static final Object NON_LITERAL = new Object() {
    @Override public String toString() { return "<non-literal>"; }
  };
}
