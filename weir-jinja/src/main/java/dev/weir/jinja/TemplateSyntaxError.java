package dev.weir.jinja;

/** Raised by {@link JinjaEnvironment#parse}. */
public class TemplateSyntaxError extends JinjaException {
  private static final long serialVersionUID = 1L;
  public TemplateSyntaxError(String templateName, int line, String message) { super(templateName, line, message); }
}
