package dev.weir.jinja;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Static extraction of literal values and global function calls. */
final class StaticAnalysis {
  private StaticAnalysis() {}

  /** The Java value of a literal expression, or {@link StaticCall#NON_LITERAL}. */
  static Object literal(Node e) {
    if (e instanceof Nodes.Const c) return c.value;
    if (e instanceof Nodes.ListLit l) {
      List<Object> out = new ArrayList<>();
      for (Nodes.Expr x : l.items) {
        Object v = literal(x);
        if (v == StaticCall.NON_LITERAL) return v;
        out.add(v);
      }
      return out;
    }
    if (e instanceof Nodes.TupleLit t) {
      List<Object> out = new ArrayList<>();
      for (Nodes.Expr x : t.items) {
        Object v = literal(x);
        if (v == StaticCall.NON_LITERAL) return v;
        out.add(v);
      }
      return PyTuple.copyOf(out);
    }
    if (e instanceof Nodes.DictLit d) {
      Map<Object, Object> out = new LinkedHashMap<>();
      for (int i = 0; i < d.keys.length; i++) {
        Object k = literal(d.keys[i]), v = literal(d.values[i]);
        if (k == StaticCall.NON_LITERAL || v == StaticCall.NON_LITERAL) return StaticCall.NON_LITERAL;
        out.put(k, v);
      }
      return out;
    }
    if (e instanceof Nodes.Neg n) {
      Object v = literal(n.e);
      if (Python.isNumber(v) && !(v instanceof Boolean)) return Ops.neg(v);
      return StaticCall.NON_LITERAL;
    }
    if (e instanceof Nodes.Concat c) {
      StringBuilder sb = new StringBuilder();
      for (Nodes.Expr x : c.parts) {
        Object v = literal(x);
        if (!(v instanceof String s)) return StaticCall.NON_LITERAL;
        sb.append(s);
      }
      return sb.toString();
    }
    return StaticCall.NON_LITERAL;
  }

  static List<StaticCall> staticCalls(Node root, Set<String> fns) {
    List<StaticCall> out = new ArrayList<>();
    walk(root, fns, out);
    return out;
  }

  private static void walk(Node n, Set<String> fns, List<StaticCall> out) {
    if (n instanceof Nodes.MacroDef) return;
    if (n instanceof Nodes.CallBlock cb) {
      walk(cb.call, fns, out);
      for (Nodes.Stmt s : cb.caller.body) walk(s, fns, out);
      return;
    }
    if (n instanceof Nodes.Call c && c.callee instanceof Nodes.Name nm && fns.contains(nm.name)) {
      out.add(toStaticCall(nm.name, c));
    }
    for (Node k : n.children()) walk(k, fns, out);
  }

  static StaticCall toStaticCall(String fn, Nodes.Call c) {
    boolean all = c.args.starArgs == null && c.args.dstarArgs == null;
    List<Object> args = new ArrayList<>();
    for (Nodes.Expr e : c.args.args) {
      Object v = literal(e);
      if (v == StaticCall.NON_LITERAL) all = false;
      args.add(v);
    }
    Map<String, Object> kw = new LinkedHashMap<>();
    for (int i = 0; i < c.args.kwNames.length; i++) {
      Object v = literal(c.args.kwValues[i]);
      if (v == StaticCall.NON_LITERAL) all = false;
      kw.put(c.args.kwNames[i], v);
    }
    return new StaticCall(fn, java.util.Collections.unmodifiableList(args), java.util.Collections.unmodifiableMap(kw), all, c.line);
  }

  /** True when the template is only text plus {@code {{ fn(literals) }}} / literal outputs for fns. */
  static boolean analyzable(Nodes.Root root, Set<String> fns) {
    for (Nodes.Stmt s : root.body) {
      if (s instanceof Nodes.Data) continue;
      if (s instanceof Nodes.Output o) {
        if (o.expr instanceof Nodes.Const) continue;
        if (o.expr instanceof Nodes.Call c && c.callee instanceof Nodes.Name nm && fns.contains(nm.name)
            && toStaticCall(nm.name, c).allLiteral()) continue;
      }
      return false;
    }
    return true;
  }
}
