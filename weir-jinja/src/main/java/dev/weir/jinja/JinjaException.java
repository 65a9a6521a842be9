package dev.weir.jinja;

/** Base of all template errors. The message is prefixed with "template:line: " when known. */
public class JinjaException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String rawMessage;
  private String templateName;
  private int line;

  public JinjaException(String templateName, int line, String message) {
    this(templateName, line, message, null);
  }

  public JinjaException(String templateName, int line, String message, Throwable cause) {
    super(message, cause);
    this.rawMessage = message;
    this.templateName = templateName;
    this.line = line;
  }

  /** Template name, or null when unknown. */
  public String templateName() { return templateName; }

  /** 1-based line, or 0 when unknown. */
  public int line() { return line; }

  /** The message without the "template:line: " prefix. */
  public String rawMessage() { return rawMessage; }

  /** Fills line if not known yet (used while the error propagates). */
  JinjaException fillLine(int l) {
    if (line <= 0 && l > 0) line = l;
    return this;
  }

  JinjaException fillTemplate(String name) {
    if (templateName == null) templateName = name;
    return this;
  }

  @Override
  public String getMessage() {
    StringBuilder sb = new StringBuilder();
    if (templateName != null) sb.append(templateName).append(':');
    if (line > 0) sb.append(line).append(':');
    if (sb.length() > 0) sb.append(' ');
    return sb.append(rawMessage).toString();
  }
}
