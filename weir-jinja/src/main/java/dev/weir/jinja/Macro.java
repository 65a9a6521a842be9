package dev.weir.jinja;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A macro value. Calling it renders its body and returns the text, or the value passed to {@code return(...)}.
 * <p>An unbound macro (from {@link Template#macros()}) evaluates in the {@link RenderContext} passed to {@link #call}:
 * it sees that context's vars/resolver/globals plus its arguments. {@link #bind(RenderContext)} fixes the context.
 * Macros defined while rendering capture their defining scope (as in Jinja2).
 */
public final class Macro implements JinjaCallable {
  static final int MAX_DEPTH = 1000;
  private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

  final Nodes.MacroDef def;
  final Nodes.Frame closure;
  final RenderContext bound;

  Macro(Nodes.MacroDef def, Nodes.Frame closure, RenderContext bound) {
    this.def = def;
    this.closure = closure;
    this.bound = bound;
  }

  public String name() { return def.macroName; }

  public String templateName() { return def.templateName; }

  public int line() { return def.line; }

  public List<String> parameterNames() { return List.of(def.params); }

  /** Literal default values by parameter name ({@link StaticCall#NON_LITERAL} for computed defaults). */
  public Map<String, Object> defaults() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < def.params.length; i++) if (def.defaults[i] != null) m.put(def.params[i], StaticAnalysis.literal(def.defaults[i]));
    return m;
  }

  public boolean catchesVarargs() { return def.catchVarargs; }
  public boolean catchesKwargs() { return def.catchKwargs; }
  public boolean catchesCaller() { return def.catchCaller; }

  /** The macro body as a node (for tools). */
  public Node body() { return new Nodes.Root(def.body); }

  /** This macro evaluated in {@code ctx} whatever context it is later called from. */
  public Macro bind(RenderContext ctx) { return new Macro(def, null, ctx); }

  /** Calls a bound macro from Java. */
  public Object call(Object... args) {
    if (bound == null && closure == null) throw new IllegalStateException("macro '" + name() + "' is not bound to a context");
    return call(bound != null ? bound : closure.ctx, Arrays.asList(args), Map.of());
  }

  @Override
  public Object call(RenderContext ctx, List<Object> args, Map<String, Object> kwargs) {
    RenderContext exec = bound != null ? bound : closure != null ? closure.ctx : ctx;
    Nodes.Frame parent = closure != null ? closure : exec.root;
    Nodes.Frame f = new Nodes.Frame(parent);
    Map<String, Object> vars = new HashMap<>(16);
    f.vars = vars;
    String[] params = def.params;
    int np = params.length, na = args.size();
    try {
      for (int i = 0; i < np; i++) {
        String p = params[i];
        Object v;
        if (i < na) {
          if (kwargs.containsKey(p)) throw new TemplateRuntimeError("macro '" + name() + "' got multiple values for argument '" + p + "'");
          v = args.get(i);
        } else if (kwargs.containsKey(p)) {
          v = kwargs.get(p);
        } else if (def.defaults[i] != null) {
          v = def.defaults[i].eval(f);
        } else {
          v = exec.undefined(p, "parameter '" + p + "' was not provided");
        }
        vars.put(p, v);
      }
      if (na > np) {
        if (!def.catchVarargs) throw new TemplateRuntimeError("macro '" + name() + "' takes not more than " + np + " argument(s)");
        vars.put("varargs", PyTuple.copyOf(args.subList(np, na)));
      } else if (def.catchVarargs) {
        vars.put("varargs", PyTuple.EMPTY);
      }
      Map<String, Object> extra = null;
      for (Map.Entry<String, Object> e : kwargs.entrySet()) {
        String k = e.getKey();
        if (k.equals("caller")) continue;
        boolean isParam = false;
        for (String p : params) if (p.equals(k)) { isParam = true; break; }
        if (isParam) continue;
        if (!def.catchKwargs) throw new TemplateRuntimeError("macro '" + name() + "' takes no keyword argument '" + k + "'");
        if (extra == null) extra = new LinkedHashMap<>();
        extra.put(k, e.getValue());
      }
      if (def.catchKwargs) vars.put("kwargs", extra == null ? new LinkedHashMap<>() : extra);
      Object caller = kwargs.get("caller");
      if (caller != null) vars.put("caller", caller);
      else if (def.catchCaller && !vars.containsKey("caller")) vars.put("caller", exec.undefined("caller", "No caller defined"));
    } catch (JinjaException e) {
      throw e;
    }
    int[] depth = DEPTH.get();
    if (depth[0] >= MAX_DEPTH) throw new TemplateRuntimeError(def.templateName, def.line, "maximum recursion depth exceeded calling macro '" + name() + "'");
    depth[0]++;
    StringBuilder out = new StringBuilder();
    try {
      Nodes.renderBody(def.body, f, out);
    } catch (Nodes.ReturnSignal r) {
      return r.value;
    } catch (JinjaException e) {
      throw e.fillTemplate(def.templateName);
    } finally {
      depth[0]--;
    }
    return out.toString();
  }

  @Override public String toString() { return "<Macro '" + name() + "'>"; }

  static List<Object> list(Object... a) { return new ArrayList<>(Arrays.asList(a)); }
}
