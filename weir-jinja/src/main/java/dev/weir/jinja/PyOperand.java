package dev.weir.jinja;

/**
 * A Java value that takes part in template arithmetic the way a Python object with
 * {@code __add__}/{@code __sub__} (and their reflected forms) does: dates plus timedeltas, for
 * instance. Return {@link #NOT_IMPLEMENTED} for operands the value does not handle; the engine
 * then tries the other operand and finally reports the usual "unsupported operand type(s)".
 */
public interface PyOperand {
  Object NOT_IMPLEMENTED = new Object();

  /** {@code this + other} when {@code reflected} is false, else {@code other + this}. */
  default Object add(Object other, boolean reflected) { return NOT_IMPLEMENTED; }

  /** {@code this - other} when {@code reflected} is false, else {@code other - this}. */
  default Object sub(Object other, boolean reflected) { return NOT_IMPLEMENTED; }
}
