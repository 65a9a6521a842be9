package dev.weir.jinja;

/** Use of an undefined value that the active {@link UndefinedPolicy} forbids. */
public class UndefinedError extends TemplateRuntimeError {
  private static final long serialVersionUID = 1L;
  public UndefinedError(String message) { super(message); }
}
