package dev.weir.core;

import java.nio.file.Path;

/**
 * An error a user can act on: it names the place (file and line when known) and the reason.
 * The CLI prints {@link #getMessage()} without a stack trace unless {@code --debug}.
 */
public class WeirException extends RuntimeException {
  /** What kind of failure, which decides the exit code (dbt: 2 for errors before anything runs). */
  public enum Kind { USAGE, PROJECT, COMPILE, RUNTIME, INTERNAL }

  private final Kind kind;
  private final String file;
  private final int line;

  public WeirException(Kind kind, String file, int line, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.file = file;
    this.line = line;
  }

  public WeirException(Kind kind, String message) { this(kind, null, 0, message, null); }

  public WeirException(Kind kind, String message, Throwable cause) { this(kind, null, 0, message, cause); }

  public static WeirException project(Path file, int line, String message) {
    return new WeirException(Kind.PROJECT, file == null ? null : file.toString(), line, message, null);
  }

  public static WeirException project(String file, int line, String message) {
    return new WeirException(Kind.PROJECT, file, line, message, null);
  }

  public static WeirException compile(String file, int line, String message, Throwable cause) {
    return new WeirException(Kind.COMPILE, file, line, message, cause);
  }

  public static WeirException runtime(String message, Throwable cause) {
    return new WeirException(Kind.RUNTIME, null, 0, message, cause);
  }

  public static WeirException usage(String message) {
    return new WeirException(Kind.USAGE, null, 0, message, null);
  }

  public Kind kind() { return kind; }
  public String file() { return file; }
  public int line() { return line; }

  /** "file:line: message", the form every error is printed in. */
  public String describe() {
    String msg = getMessage();
    if (file == null) return msg;
    String place = line > 0 ? file + ":" + line : file;
    return msg != null && msg.startsWith(place) ? msg : place + ": " + msg;
  }
}
