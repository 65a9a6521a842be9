package dev.weir.core.engine;

import java.math.BigDecimal;
import java.math.BigInteger;

/** Conversions every engine's bulk loader needs, and how a bad value is named in its error. */
public final class LoadValues {
  private LoadValues() {}

  /** An exact decimal of a Java number or numeric string; fails naming the value otherwise. */
  public static BigDecimal toBigDecimal(Object v) {
    if (v instanceof BigDecimal b) return b;
    if (v instanceof BigInteger b) return new BigDecimal(b);
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return BigDecimal.valueOf(((Number) v).longValue());
    }
    if (v instanceof Double || v instanceof Float) return BigDecimal.valueOf(((Number) v).doubleValue());
    if (v instanceof String s) return new BigDecimal(s.trim());
    throw new IllegalArgumentException("expected a number, got " + describe(v));
  }

  /** A value as an error message shows it: its type and (shortened) text. */
  public static String describe(Object v) {
    String s = String.valueOf(v);
    if (s.length() > 60) s = s.substring(0, 57) + "...";
    return v.getClass().getSimpleName() + " '" + s + "'";
  }
}
