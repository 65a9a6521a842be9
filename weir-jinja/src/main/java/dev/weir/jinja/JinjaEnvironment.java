package dev.weir.jinja;

import java.util.HashMap;
import java.util.Map;

/**
 * Configuration, filters, tests and globals; creates {@link Template}s. Thread-safe once configured (do not call
 * the mutators while other threads parse or render).
 *
 * <p>Changes from the initial API sketch:
 * <ul>
 *   <li>{@link BlockDef} has an extra {@code kwargs} component (keyword args of the opening tag, e.g. a
 *       materialization's {@code adapter}); {@code body} is a {@link Template}.</li>
 *   <li>{@link StaticCall} marks non-literal arguments with {@link StaticCall#NON_LITERAL}.</li>
 *   <li>{@link Macro#bind(RenderContext)} is the binding operation; unbound macros (from {@link Template#macros()})
 *       evaluate in whatever context they are called with, which is usually what a global macro namespace wants.</li>
 *   <li>{@link Template#evaluate(RenderContext)} returns the raw top-level {@code return(...)} value.</li>
 *   <li>{@link RenderContext} has a third constructor taking both vars and a resolver.</li>
 *   <li>No Markup class: autoescape is not supported; {@code escape} returns a plain String.</li>
 * </ul>
 */
public final class JinjaEnvironment {
  private static final Map<String, JinjaFilter> BUILTIN_FILTERS = new HashMap<>();
  private static final Map<String, JinjaTest> BUILTIN_TESTS = new HashMap<>();
  private static final Map<String, Object> BUILTIN_GLOBALS = new HashMap<>();

  static {
    Filters.register(BUILTIN_FILTERS);
    Tests.register(BUILTIN_TESTS);
    Globals.register(BUILTIN_GLOBALS);
  }

  private boolean trimBlocks, lstripBlocks, keepTrailingNewline;
  private UndefinedPolicy undefinedPolicy = UndefinedPolicy.DEFAULT;
  private final Map<String, JinjaFilter> filters = new HashMap<>(BUILTIN_FILTERS);
  private final Map<String, JinjaTest> tests = new HashMap<>(BUILTIN_TESTS);
  private final Map<String, Object> globals = new HashMap<>(BUILTIN_GLOBALS);

  /** Jinja2 defaults: trim_blocks=false, lstrip_blocks=false, keep_trailing_newline=false, Undefined. */
  public JinjaEnvironment() {}

  public JinjaEnvironment trimBlocks(boolean v) { trimBlocks = v; return this; }
  public JinjaEnvironment lstripBlocks(boolean v) { lstripBlocks = v; return this; }
  public JinjaEnvironment keepTrailingNewline(boolean v) { keepTrailingNewline = v; return this; }
  public JinjaEnvironment undefined(UndefinedPolicy p) { undefinedPolicy = p; return this; }
  public JinjaEnvironment addFilter(String name, JinjaFilter f) { filters.put(name, f); return this; }
  public JinjaEnvironment addTest(String name, JinjaTest t) { tests.put(name, t); return this; }
  public JinjaEnvironment addGlobal(String name, Object value) { globals.put(name, value); return this; }

  public UndefinedPolicy undefinedPolicy() { return undefinedPolicy; }

  /** Parses a template. @throws TemplateSyntaxError with template name and line */
  public Template parse(String templateName, String source) {
    java.util.List<Lexer.Token> tokens = new Lexer(templateName, source, trimBlocks, lstripBlocks, keepTrailingNewline).tokenize();
    Parser p = new Parser(this, templateName, tokens);
    Nodes.Root root = p.parseTemplate();
    return new Template(this, templateName, root, p.macros, p.blocks);
  }

  /** Renders a template string once (convenience). */
  public String render(String source, Map<String, ?> vars) { return parse("<string>", source).render(vars); }

  public JinjaFilter filter(String name) { return filters.get(name); }
  public JinjaTest test(String name) { return tests.get(name); }

  /** A global value or {@code Python.MISSING}-like absence: returns null when not defined. */
  public Object globalValue(String name) { return globals.get(name); }

  Object global(String name) {
    Object v = globals.getOrDefault(name, Python.MISSING);
    return v;
  }

  Undefined adopt(Undefined u) { return u.withPolicy(undefinedPolicy); }
}
