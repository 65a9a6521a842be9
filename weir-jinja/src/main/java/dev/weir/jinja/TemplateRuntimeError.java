package dev.weir.jinja;

/** Raised while rendering (Python TypeError/ValueError/... equivalents, recursion limit, ...). */
public class TemplateRuntimeError extends JinjaException {
  private static final long serialVersionUID = 1L;
  public TemplateRuntimeError(String templateName, int line, String message) { super(templateName, line, message); }
  public TemplateRuntimeError(String templateName, int line, String message, Throwable cause) { super(templateName, line, message, cause); }
  /** Error without location yet (filled in while propagating). */
  public TemplateRuntimeError(String message) { super(null, 0, message); }
}
