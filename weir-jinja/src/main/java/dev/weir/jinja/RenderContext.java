package dev.weir.jinja;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * One render's top-level variable scope. Name lookup order: local scopes (loops, macros, with) -> this context's vars
 * (the template's top-level {@code set}s and macros write here) -> the resolver -> environment globals -> built-ins.
 * Not thread-safe: create one per render (they are cheap). Macros obtained from {@link Template#macros()} are shared
 * and immutable; calling one evaluates it in the context passed to {@link Macro#call}.
 */
public final class RenderContext {
  final JinjaEnvironment env;
  final Map<String, Object> vars;
  final Function<String, Object> resolver;
  final Nodes.Frame root;

  public RenderContext(JinjaEnvironment env, Map<String, ?> vars) {
    this(env, vars, null);
  }

  /** @param resolver returns the value of a name or null when absent (then the name is undefined) */
  public RenderContext(JinjaEnvironment env, Function<String, Object> resolver) {
    this(env, null, resolver);
  }

  public RenderContext(JinjaEnvironment env, Map<String, ?> vars, Function<String, Object> resolver) {
    this.env = env;
    this.vars = vars == null ? new HashMap<>() : new HashMap<>(vars);
    this.resolver = resolver;
    this.root = new Nodes.Frame(this, null, this.vars);
  }

  public JinjaEnvironment env() { return env; }

  /** Sets a context-level variable. */
  public void set(String name, Object value) { vars.put(name, value); }

  /** Resolves a name as a template would at top level; returns an {@link Undefined} when absent. */
  public Object get(String name) {
    Object v = root.lookup(name);
    return v == Python.MISSING ? undefined(name, null) : v;
  }

  /** The context-level variables (includes top-level {@code set}s and macros after a render). */
  public Map<String, Object> vars() { return vars; }

  Object resolveOuter(String name) {
    if (resolver != null) {
      Object v = resolver.apply(name);
      if (v != null) return v;
    }
    return env.global(name);
  }

  /** A new undefined value with this environment's policy. */
  public Undefined undefined(String name, String hint) { return Undefined.of(name, hint, env.undefinedPolicy()); }
}
