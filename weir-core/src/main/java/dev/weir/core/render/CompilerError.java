package dev.weir.core.render;

/** Raised by context functions (ref of an unknown model, a missing var, raise_compiler_error). */
public final class CompilerError extends RuntimeException {
  public CompilerError(String message) { super(message); }
}
