package dev.weir.cdc;

/** A CDC source cannot go on (a table without a key, a name clash, a failing warehouse): nothing of the batch was committed. */
public final class CdcStoppedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CdcStoppedException(String message) { super(message); }

  public CdcStoppedException(String message, Throwable cause) { super(message, cause); }
}
