package dev.weir.jinja;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** An immutable parsed template; safe to render from many threads at once. */
public final class Template {
  private final JinjaEnvironment env;
  private final String name;
  private final Nodes.Root root;
  private final Map<String, Macro> macros;
  private final List<BlockDef> blockDefs;

  Template(JinjaEnvironment env, String name, Nodes.Root root, Map<String, Nodes.MacroDef> macroDefs, List<Object[]> blocks) {
    this.env = env;
    this.name = name;
    this.root = root;
    Map<String, Macro> m = new LinkedHashMap<>();
    for (Map.Entry<String, Nodes.MacroDef> e : macroDefs.entrySet()) m.put(e.getKey(), new Macro(e.getValue(), null, null));
    this.macros = Collections.unmodifiableMap(m);
    List<BlockDef> b = new ArrayList<>();
    if (blocks != null) {
      for (Object[] o : blocks) {
        @SuppressWarnings("unchecked")
        List<Object> args = (List<Object>) o[1];
        @SuppressWarnings("unchecked")
        Map<String, Object> kw = (Map<String, Object>) o[2];
        Template body = new Template(env, name, new Nodes.Root((Nodes.Stmt[]) o[4]), Map.of(), null);
        b.add(new BlockDef((String) o[0], List.copyOf(args), Collections.unmodifiableMap(kw), (String) o[3], body, (Integer) o[5]));
      }
    }
    this.blockDefs = Collections.unmodifiableList(b);
  }

  public String name() { return name; }

  public JinjaEnvironment environment() { return env; }

  /** Renders with a new top-level scope over {@code vars} and the environment globals. */
  public String render(Map<String, ?> vars) { return render(new RenderContext(env, vars)); }

  /**
   * Renders in {@code ctx}; top-level {@code set}s and macro definitions are written into it.
   * A top-level {@code return(x)} ends the render and yields {@code Python.str(x)}.
   */
  public String render(RenderContext ctx) {
    Object r = evaluate(ctx);
    return r instanceof String s ? s : Python.str(r);
  }

  /** Like {@link #render(RenderContext)} but returns the raw value passed to a top-level {@code return(...)} if any. */
  public Object evaluate(RenderContext ctx) {
    StringBuilder sb = new StringBuilder(256);
    try {
      Nodes.renderBody(root.body, ctx.root, sb);
    } catch (Nodes.ReturnSignal r) {
      return r.value;
    } catch (JinjaException e) {
      throw e.fillTemplate(name);
    } catch (Nodes.ControlFlow c) {
      throw new TemplateRuntimeError(name, 0, "break/continue outside of a loop");
    }
    return sb.toString();
  }

  /** Top-level {@code {% macro %}} (and test/materialization) definitions, unbound. */
  public Map<String, Macro> macros() { return macros; }

  /** Top-level custom blocks with the given tag (docs, snapshot, test, materialization). */
  public List<BlockDef> blocks(String tagName) {
    List<BlockDef> out = new ArrayList<>();
    for (BlockDef b : blockDefs) if (b.tag().equals(tagName)) out.add(b);
    return out;
  }

  /** All top-level custom blocks. */
  public List<BlockDef> blocks() { return blockDefs; }

  /** Calls to the given global functions outside macro definitions, in source order. */
  public List<StaticCall> staticCalls(Set<String> functionNames) { return StaticAnalysis.staticCalls(root, functionNames); }

  /**
   * True when the template consists only of text, literal outputs and {@code {{ fn(literal args) }}} calls to the given
   * functions: its output is then fully determined by those calls.
   */
  public boolean isStaticallyAnalyzable(Set<String> functionNames) { return StaticAnalysis.analyzable(root, functionNames); }

  /** AST root (kind "Template"); see {@link Node}. */
  public Node root() { return root; }

  @Override public String toString() { return "<Template '" + name + "'>"; }
}
