package dev.weir.stream;

import dev.weir.core.WeirException;

/** A stream had to stop: too many bad records, a transform that cannot run, a warehouse error. Nothing of the failing batch was committed. */
public final class StreamStoppedException extends WeirException {
  private static final long serialVersionUID = 1L;

  public StreamStoppedException(String message) { super(Kind.RUNTIME, message); }

  public StreamStoppedException(String message, Throwable cause) { super(Kind.RUNTIME, message, cause); }
}
