package dev.weir.jinja;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** AST node classes; each evaluates/renders itself (tree-walking interpreter). */
final class Nodes {
  private Nodes() {}

  static final Map<String, Object> NO_KW = Collections.emptyMap();

  // ====================================================================== runtime support

  /** A variable scope. The root frame of a context writes into the context's vars. */
  static final class Frame {
    final RenderContext ctx;
    final Frame parent;
    Map<String, Object> vars;

    Frame(RenderContext ctx, Frame parent, Map<String, Object> vars) {
      this.ctx = ctx;
      this.parent = parent;
      this.vars = vars;
    }

    Frame(Frame parent) {
      this.ctx = parent.ctx;
      this.parent = parent;
    }

    Object lookup(String name) {
      Frame f = this;
      while (true) {
        Map<String, Object> v = f.vars;
        if (v != null) {
          Object r = v.getOrDefault(name, Python.MISSING);
          if (r != Python.MISSING) return r;
        }
        if (f.parent == null) return f.ctx.resolveOuter(name);
        f = f.parent;
      }
    }

    void set(String name, Object value) {
      if (vars == null) vars = new HashMap<>(8);
      vars.put(name, value);
    }
  }

  static class ControlFlow extends RuntimeException {
    private static final long serialVersionUID = 1L;
    ControlFlow() { super(null, null, false, false); }
  }

  static final ControlFlow BREAK = new ControlFlow();
  static final ControlFlow CONTINUE = new ControlFlow();

  static final class ReturnSignal extends ControlFlow {
    private static final long serialVersionUID = 1L;
    final transient Object value;
    ReturnSignal(Object value) { this.value = value; }
  }

  static void renderBody(Stmt[] body, Frame f, StringBuilder out) {
    for (Stmt s : body) {
      try {
        s.render(f, out);
      } catch (JinjaException e) {
        throw e.fillLine(s instanceof Output o ? o.expr.line : s.line);
      } catch (ControlFlow c) {
        throw c;
      } catch (StackOverflowError e) {
        throw new TemplateRuntimeError(null, s.line, "maximum recursion depth exceeded");
      } catch (RuntimeException e) {
        throw wrap(e, s instanceof Output o ? o.expr.line : s.line);
      }
    }
  }

  static JinjaException wrap(RuntimeException e, int line) {
    if (e instanceof JinjaException je) return je.fillLine(line);
    String m = e.getMessage();
    return new TemplateRuntimeError(null, line, e.getClass().getSimpleName() + (m == null ? "" : ": " + m), e);
  }

  static String renderToString(Stmt[] body, Frame f) {
    StringBuilder sb = new StringBuilder();
    renderBody(body, f, sb);
    return sb.toString();
  }

  // ====================================================================== base classes

  abstract static class Expr extends Node {
    Expr(int line) { super(line); }
    abstract Object eval(Frame f);
  }

  abstract static class Stmt extends Node {
    Stmt(int line) { super(line); }
    abstract void render(Frame f, StringBuilder out);
  }

  // ====================================================================== expressions

  static final class Const extends Expr {
    final Object value;
    Const(int line, Object value) { super(line); this.value = value; }
    @Override Object eval(Frame f) { return value; }
    @Override public String describe() { return Python.repr(value); }
  }

  static final class Name extends Expr {
    final String name;
    Name(int line, String name) { super(line); this.name = name; }
    @Override Object eval(Frame f) {
      Object v = f.lookup(name);
      if (v == Python.MISSING) return f.ctx.undefined(name, null);
      return v;
    }
    @Override public String describe() { return name; }
  }

  static final class Getattr extends Expr {
    final Expr target;
    final String name;
    Getattr(int line, Expr target, String name) { super(line); this.target = target; this.name = name; }
    @Override Object eval(Frame f) {
      return Ops.getattr(f.ctx, target.eval(f), name);
    }
    @Override public String describe() { return name; }
    @Override public List<Node> children() { return kids(target); }
  }

  static final class Getitem extends Expr {
    final Expr target, key;
    Getitem(int line, Expr target, Expr key) { super(line); this.target = target; this.key = key; }
    @Override Object eval(Frame f) {
      Object t = target.eval(f);
      return Ops.getitem(f.ctx, t, key.eval(f));
    }
    @Override public List<Node> children() { return kids(target, key); }
  }

  static final class Slice extends Expr {
    final Expr target, start, stop, step;
    Slice(int line, Expr target, Expr start, Expr stop, Expr step) {
      super(line); this.target = target; this.start = start; this.stop = stop; this.step = step;
    }
    @Override Object eval(Frame f) {
      Object t = target.eval(f);
      return Python.slice(t, start == null ? null : start.eval(f), stop == null ? null : stop.eval(f), step == null ? null : step.eval(f));
    }
    @Override public List<Node> children() { return kids(target, start, stop, step); }
  }

  /** Call arguments shared by calls, filters and tests. */
  static final class Args {
    static final Args EMPTY = new Args(new Expr[0], new String[0], new Expr[0], null, null);
    final Expr[] args;
    final String[] kwNames;
    final Expr[] kwValues;
    final Expr starArgs, dstarArgs;

    Args(Expr[] args, String[] kwNames, Expr[] kwValues, Expr starArgs, Expr dstarArgs) {
      this.args = args; this.kwNames = kwNames; this.kwValues = kwValues; this.starArgs = starArgs; this.dstarArgs = dstarArgs;
    }

    List<Object> positional(Frame f, Object first) {
      int n = args.length + (first == NONE_FIRST ? 0 : 1);
      List<Object> out = new ArrayList<>(n + 2);
      if (first != NONE_FIRST) out.add(first);
      for (Expr e : args) out.add(e.eval(f));
      if (starArgs != null) for (Object o : Python.iterate(starArgs.eval(f))) out.add(o);
      return out;
    }

    Map<String, Object> keywords(Frame f) {
      if (kwNames.length == 0 && dstarArgs == null) return NO_KW;
      Map<String, Object> kw = new LinkedHashMap<>();
      for (int i = 0; i < kwNames.length; i++) kw.put(kwNames[i], kwValues[i].eval(f));
      if (dstarArgs != null) {
        Object d = dstarArgs.eval(f);
        if (d instanceof Map<?, ?> m) for (Map.Entry<?, ?> e : m.entrySet()) kw.put(String.valueOf(e.getKey()), e.getValue());
        else if (!(d instanceof Undefined)) throw new TemplateRuntimeError("argument after ** must be a mapping, not " + Python.typeName(d));
      }
      return kw;
    }

    List<Node> nodes() { return Node.kids(args, kwValues, starArgs, dstarArgs); }
  }

  static final Object NONE_FIRST = new Object();

  static final class Call extends Expr {
    final Expr callee;
    final Args args;
    Call(int line, Expr callee, Args args) { super(line); this.callee = callee; this.args = args; }

    @Override Object eval(Frame f) { return evalWith(f, null); }

    Object evalWith(Frame f, Object caller) {
      try {
        if (callee instanceof Getattr ga) {
          Object obj = ga.target.eval(f);
          if ((obj instanceof String || obj instanceof List || obj instanceof Map) && !(obj instanceof JinjaObject) && Methods.has(obj, ga.name)) {
            return Methods.call(f.ctx, obj, ga.name, args.positional(f, NONE_FIRST), args.keywords(f));
          }
          Object fn = Ops.getattr(f.ctx, obj, ga.name);
          return invoke(f, fn, caller);
        }
        return invoke(f, callee.eval(f), caller);
      } catch (JinjaException | ControlFlow e) {
        throw e;
      } catch (StackOverflowError e) {
        throw new TemplateRuntimeError(null, 0, "maximum recursion depth exceeded");
      } catch (RuntimeException e) {
        throw wrap(e, 0);
      }
    }

    private Object invoke(Frame f, Object fn, Object caller) {
      List<Object> a = args.positional(f, NONE_FIRST);
      Map<String, Object> kw = args.keywords(f);
      if (caller != null) {
        if (kw == NO_KW) kw = new LinkedHashMap<>();
        kw.put("caller", caller);
      }
      return Ops.call(f.ctx, fn, a, kw);
    }

    @Override public String describe() { return callee instanceof Name n ? n.name : callee instanceof Getattr g ? g.name : ""; }
    @Override public List<Node> children() {
      List<Node> k = kids(callee);
      k.addAll(args.nodes());
      return k;
    }
  }

  static final class Filter extends Expr {
    final Expr target; // null = placeholder for filter blocks
    final String name;
    final JinjaFilter filter;
    final Args args;
    Filter(int line, Expr target, String name, JinjaFilter filter, Args args) {
      super(line); this.target = target; this.name = name; this.filter = filter; this.args = args;
    }
    @Override Object eval(Frame f) { return applyTo(f, null); }

    Object applyTo(Frame f, Object input) {
      Object v;
      if (target == null) v = input;
      else if (target instanceof Filter inner) v = inner.applyTo(f, input);
      else v = target.eval(f);
      try {
        return filter.apply(f.ctx, v, args.positional(f, NONE_FIRST), args.keywords(f));
      } catch (JinjaException | ControlFlow e) {
        throw e;
      } catch (RuntimeException e) {
        throw wrap(e, 0);
      }
    }
    @Override public String describe() { return name; }
    @Override public List<Node> children() {
      List<Node> k = kids(target);
      k.addAll(args.nodes());
      return k;
    }
  }

  static final class Test extends Expr {
    final Expr target;
    final String name;
    final JinjaTest test;
    final Args args;
    final boolean negated;
    Test(int line, Expr target, String name, JinjaTest test, Args args, boolean negated) {
      super(line); this.target = target; this.name = name; this.test = test; this.args = args; this.negated = negated;
    }
    @Override Object eval(Frame f) {
      Object v = target.eval(f);
      try {
        boolean r = test.test(f.ctx, v, args.positional(f, NONE_FIRST));
        return r != negated;
      } catch (JinjaException | ControlFlow e) {
        throw e;
      } catch (RuntimeException e) {
        throw wrap(e, 0);
      }
    }
    @Override public String describe() { return (negated ? "not " : "") + name; }
    @Override public List<Node> children() {
      List<Node> k = kids(target);
      k.addAll(args.nodes());
      return k;
    }
  }

  static final class BinOp extends Expr {
    final String op;
    final Expr left, right;
    BinOp(int line, String op, Expr left, Expr right) { super(line); this.op = op; this.left = left; this.right = right; }
    @Override Object eval(Frame f) {
      return Ops.binary(op, left.eval(f), right.eval(f));
    }
    @Override public String describe() { return op; }
    @Override public List<Node> children() { return kids(left, right); }
  }

  static final class Concat extends Expr {
    final Expr[] parts;
    Concat(int line, Expr[] parts) { super(line); this.parts = parts; }
    @Override Object eval(Frame f) {
      StringBuilder sb = new StringBuilder();
      for (Expr e : parts) sb.append(Python.str(e.eval(f)));
      return sb.toString();
    }
    @Override public List<Node> children() { return kids((Object) parts); }
  }

  static final class Compare extends Expr {
    final Expr first;
    final String[] ops;
    final Expr[] rest;
    Compare(int line, Expr first, String[] ops, Expr[] rest) { super(line); this.first = first; this.ops = ops; this.rest = rest; }
    @Override Object eval(Frame f) {
      Object a = first.eval(f);
      for (int i = 0; i < ops.length; i++) {
        Object b = rest[i].eval(f);
        if (!compare(ops[i], a, b)) return false;
        a = b;
      }
      return true;
    }
    static boolean compare(String op, Object a, Object b) {
      switch (op) {
        case "==": return Python.eq(a, b);
        case "!=": return !Python.eq(a, b);
        case "<": return Python.compareOp(op, a, b) < 0;
        case "<=": return Python.compareOp(op, a, b) <= 0;
        case ">": return Python.compareOp(op, a, b) > 0;
        case ">=": return Python.compareOp(op, a, b) >= 0;
        case "in": return Python.contains(b, a);
        case "notin": return !Python.contains(b, a);
        default: throw new IllegalStateException(op);
      }
    }
    @Override public String describe() { return String.join(",", ops); }
    @Override public List<Node> children() { return kids(first, rest); }
  }

  static final class And extends Expr {
    final Expr left, right;
    And(int line, Expr left, Expr right) { super(line); this.left = left; this.right = right; }
    @Override Object eval(Frame f) {
      Object a = left.eval(f);
      return Python.truthy(a) ? right.eval(f) : a;
    }
    @Override public List<Node> children() { return kids(left, right); }
  }

  static final class Or extends Expr {
    final Expr left, right;
    Or(int line, Expr left, Expr right) { super(line); this.left = left; this.right = right; }
    @Override Object eval(Frame f) {
      Object a = left.eval(f);
      return Python.truthy(a) ? a : right.eval(f);
    }
    @Override public List<Node> children() { return kids(left, right); }
  }

  static final class Not extends Expr {
    final Expr e;
    Not(int line, Expr e) { super(line); this.e = e; }
    @Override Object eval(Frame f) { return !Python.truthy(e.eval(f)); }
    @Override public List<Node> children() { return kids(e); }
  }

  static final class Neg extends Expr {
    final Expr e;
    Neg(int line, Expr e) { super(line); this.e = e; }
    @Override Object eval(Frame f) { return Ops.neg(e.eval(f)); }
    @Override public List<Node> children() { return kids(e); }
  }

  static final class Pos extends Expr {
    final Expr e;
    Pos(int line, Expr e) { super(line); this.e = e; }
    @Override Object eval(Frame f) { return Ops.pos(e.eval(f)); }
    @Override public List<Node> children() { return kids(e); }
  }

  static final class CondExpr extends Expr {
    final Expr test, then, otherwise;
    CondExpr(int line, Expr test, Expr then, Expr otherwise) { super(line); this.test = test; this.then = then; this.otherwise = otherwise; }
    @Override Object eval(Frame f) {
      if (Python.truthy(test.eval(f))) return then.eval(f);
      if (otherwise == null) return f.ctx.undefined(null, "the inline if-expression on line " + line + " evaluated to false and no else section was defined.");
      return otherwise.eval(f);
    }
    @Override public List<Node> children() { return kids(then, test, otherwise); }
  }

  static final class ListLit extends Expr {
    final Expr[] items;
    ListLit(int line, Expr[] items) { super(line); this.items = items; }
    @Override Object eval(Frame f) {
      List<Object> l = new ArrayList<>(Math.max(items.length, 4));
      for (Expr e : items) l.add(e.eval(f));
      return l;
    }
    @Override public String kind() { return "List"; }
    @Override public List<Node> children() { return kids((Object) items); }
  }

  static final class TupleLit extends Expr {
    final Expr[] items;
    TupleLit(int line, Expr[] items) { super(line); this.items = items; }
    @Override Object eval(Frame f) {
      Object[] a = new Object[items.length];
      for (int i = 0; i < a.length; i++) a[i] = items[i].eval(f);
      return PyTuple.wrap(a);
    }
    @Override public String kind() { return "Tuple"; }
    @Override public List<Node> children() { return kids((Object) items); }
  }

  static final class DictLit extends Expr {
    final Expr[] keys, values;
    DictLit(int line, Expr[] keys, Expr[] values) { super(line); this.keys = keys; this.values = values; }
    @Override Object eval(Frame f) {
      Map<Object, Object> m = new LinkedHashMap<>();
      for (int i = 0; i < keys.length; i++) {
        Object k = keys[i].eval(f);
        if (k instanceof List && !(k instanceof PyTuple)) throw new TemplateRuntimeError(null, line, "unhashable type: 'list'");
        if (k instanceof Map) throw new TemplateRuntimeError(null, line, "unhashable type: 'dict'");
        Object existing = Python.findKey(m, k);
        if (existing != Python.MISSING) k = existing;
        m.put(k, values[i].eval(f));
      }
      return m;
    }
    @Override public String kind() { return "Dict"; }
    @Override public List<Node> children() {
      List<Node> out = new ArrayList<>();
      for (int i = 0; i < keys.length; i++) {
        out.add(keys[i]);
        out.add(values[i]);
      }
      return out;
    }
  }

  // ====================================================================== assignment targets

  abstract static class Target extends Node {
    Target(int line) { super(line); }
    abstract void assign(Frame f, Object value);
    abstract void names(List<String> out);
  }

  static final class NameTarget extends Target {
    final String name;
    NameTarget(int line, String name) { super(line); this.name = name; }
    @Override void assign(Frame f, Object value) { f.set(name, value); }
    @Override void names(List<String> out) { out.add(name); }
    @Override public String describe() { return name; }
  }

  static final class TupleTarget extends Target {
    final Target[] items;
    TupleTarget(int line, Target[] items) { super(line); this.items = items; }
    @Override void assign(Frame f, Object value) {
      List<Object> vals = Python.toList(value);
      if (vals.size() != items.length) {
        if (vals.size() > items.length) throw new TemplateRuntimeError(null, line, "too many values to unpack (expected " + items.length + ")");
        throw new TemplateRuntimeError(null, line, "not enough values to unpack (expected " + items.length + ", got " + vals.size() + ")");
      }
      for (int i = 0; i < items.length; i++) items[i].assign(f, vals.get(i));
    }
    @Override void names(List<String> out) { for (Target t : items) t.names(out); }
    @Override public List<Node> children() { return kids((Object) items); }
  }

  static final class NsTarget extends Target {
    final String name, attr;
    NsTarget(int line, String name, String attr) { super(line); this.name = name; this.attr = attr; }
    @Override void assign(Frame f, Object value) {
      Object ns = f.lookup(name);
      if (!(ns instanceof Globals.Namespace n)) throw new TemplateRuntimeError(null, line, "cannot assign attribute on non-namespace object");
      n.attrs.put(attr, value);
    }
    @Override void names(List<String> out) {}
    @Override public String describe() { return name + "." + attr; }
  }

  // ====================================================================== statements

  static final class Data extends Stmt {
    final String text;
    Data(int line, String text) { super(line); this.text = text; }
    @Override void render(Frame f, StringBuilder out) { out.append(text); }
    @Override public String describe() { return text.length() > 30 ? text.substring(0, 30) + "..." : text; }
  }

  static final class Output extends Stmt {
    final Expr expr;
    Output(int line, Expr expr) { super(line); this.expr = expr; }
    @Override void render(Frame f, StringBuilder out) {
      Object v = expr.eval(f);
      if (v instanceof String s) out.append(s);
      else out.append(Python.str(v));
    }
    @Override public List<Node> children() { return kids(expr); }
  }

  static final class If extends Stmt {
    final Expr[] tests;
    final Stmt[][] bodies;
    final Stmt[] elseBody;
    If(int line, Expr[] tests, Stmt[][] bodies, Stmt[] elseBody) { super(line); this.tests = tests; this.bodies = bodies; this.elseBody = elseBody; }
    @Override void render(Frame f, StringBuilder out) {
      for (int i = 0; i < tests.length; i++) {
        boolean t;
        try {
          t = Python.truthy(tests[i].eval(f));
        } catch (JinjaException e) {
          throw e.fillLine(tests[i].line);
        }
        if (t) {
          renderBody(bodies[i], f, out);
          return;
        }
      }
      if (elseBody != null) renderBody(elseBody, f, out);
    }
    @Override public List<Node> children() {
      List<Node> out = new ArrayList<>();
      for (int i = 0; i < tests.length; i++) {
        out.add(tests[i]);
        out.addAll(kids((Object) bodies[i]));
      }
      if (elseBody != null) out.addAll(kids((Object) elseBody));
      return out;
    }
  }

  static final class For extends Stmt {
    final Target target;
    final Expr iter, filter;
    final Stmt[] body, elseBody;
    final boolean recursive;
    For(int line, Target target, Expr iter, Expr filter, Stmt[] body, Stmt[] elseBody, boolean recursive) {
      super(line); this.target = target; this.iter = iter; this.filter = filter; this.body = body; this.elseBody = elseBody; this.recursive = recursive;
    }
    @Override void render(Frame f, StringBuilder out) {
      Object it;
      try {
        it = iter.eval(f);
      } catch (JinjaException e) {
        throw e.fillLine(iter.line);
      }
      loop(f, out, it, 0);
    }

    void loop(Frame f, StringBuilder out, Object itv, int depth) {
      List<Object> items;
      if (itv instanceof Undefined u && u.policy() != UndefinedPolicy.STRICT) items = List.of();
      else items = Python.toList(itv);
      if (filter != null) {
        List<Object> kept = new ArrayList<>();
        Frame tmp = new Frame(f);
        for (Object o : items) {
          target.assign(tmp, o);
          if (Python.truthy(filter.eval(tmp))) kept.add(o);
        }
        items = kept;
      }
      LoopObject lo = new LoopObject(this, f, items, depth);
      boolean completed = false;
      for (int i = 0; i < items.size(); i++) {
        lo.index0 = i;
        Frame inner = new Frame(f);
        inner.vars = new HashMap<>(8);
        target.assign(inner, items.get(i));
        inner.vars.put("loop", lo);
        try {
          renderBody(body, inner, out);
        } catch (ControlFlow c) {
          if (c == BREAK) break;
          if (c == CONTINUE) continue;
          throw c;
        }
        completed = true;
      }
      if (!completed && elseBody != null) renderBody(elseBody, new Frame(f), out);
    }
    @Override public List<Node> children() { return kids(target, iter, filter, body, elseBody); }
  }

  /** The {@code loop} variable. */
  static final class LoopObject implements JinjaObject, JinjaCallable {
    final For node;
    final Frame frame;
    final List<Object> items;
    final int depth0;
    int index0;
    Object lastChanged = Python.MISSING;

    LoopObject(For node, Frame frame, List<Object> items, int depth0) {
      this.node = node; this.frame = frame; this.items = items; this.depth0 = depth0;
    }

    @Override public Object getAttribute(String name) {
      int n = items.size();
      switch (name) {
        case "index": return (long) index0 + 1;
        case "index0": return (long) index0;
        case "revindex": return (long) (n - index0);
        case "revindex0": return (long) (n - index0 - 1);
        case "first": return index0 == 0;
        case "last": return index0 == n - 1;
        case "length": return (long) n;
        case "depth": return (long) depth0 + 1;
        case "depth0": return (long) depth0;
        case "previtem": return index0 > 0 ? items.get(index0 - 1) : frame.ctx.undefined(null, "there is no previous item");
        case "nextitem": return index0 < n - 1 ? items.get(index0 + 1) : frame.ctx.undefined(null, "there is no next item");
        case "cycle": return (JinjaCallable) (ctx, args, kw) -> {
          if (args.isEmpty()) throw new TemplateRuntimeError("no items for cycling given");
          return args.get(index0 % args.size());
        };
        case "changed": return (JinjaCallable) (ctx, args, kw) -> {
          Object v = PyTuple.copyOf(args);
          if (lastChanged == Python.MISSING || !Python.eq(lastChanged, v)) {
            lastChanged = v;
            return true;
          }
          return false;
        };
        default: return null;
      }
    }

    @Override public Object call(RenderContext ctx, List<Object> args, Map<String, Object> kwargs) {
      if (!node.recursive) throw new TemplateRuntimeError("The loop must have the 'recursive' marker to be called recursively.");
      StringBuilder sb = new StringBuilder();
      node.loop(frame, sb, args.isEmpty() ? List.of() : args.get(0), depth0 + 1);
      return sb.toString();
    }

    @Override public String toString() { return "<LoopContext " + (index0 + 1) + "/" + items.size() + ">"; }
  }

  static final class Break extends Stmt {
    Break(int line) { super(line); }
    @Override void render(Frame f, StringBuilder out) { throw BREAK; }
  }

  static final class Continue extends Stmt {
    Continue(int line) { super(line); }
    @Override void render(Frame f, StringBuilder out) { throw CONTINUE; }
  }

  static final class Set extends Stmt {
    final Target target;
    final Expr value;
    Set(int line, Target target, Expr value) { super(line); this.target = target; this.value = value; }
    @Override void render(Frame f, StringBuilder out) { target.assign(f, value.eval(f)); }
    @Override public List<Node> children() { return kids(target, value); }
  }

  static final class SetBlock extends Stmt {
    final Target target;
    final Stmt[] body;
    final Filter filter;
    SetBlock(int line, Target target, Stmt[] body, Filter filter) { super(line); this.target = target; this.body = body; this.filter = filter; }
    @Override void render(Frame f, StringBuilder out) {
      Object v = renderToString(body, new Frame(f));
      if (filter != null) v = filter.applyTo(f, v);
      target.assign(f, v);
    }
    @Override public List<Node> children() { return kids(target, body, filter); }
  }

  static final class FilterBlock extends Stmt {
    final Stmt[] body;
    final Filter filter;
    FilterBlock(int line, Stmt[] body, Filter filter) { super(line); this.body = body; this.filter = filter; }
    @Override void render(Frame f, StringBuilder out) {
      String s = renderToString(body, new Frame(f));
      out.append(Python.str(filter.applyTo(f, s)));
    }
    @Override public List<Node> children() { return kids(body, filter); }
  }

  static final class With extends Stmt {
    final Target[] targets;
    final Expr[] values;
    final Stmt[] body;
    With(int line, Target[] targets, Expr[] values, Stmt[] body) { super(line); this.targets = targets; this.values = values; this.body = body; }
    @Override void render(Frame f, StringBuilder out) {
      Object[] vals = new Object[values.length];
      for (int i = 0; i < vals.length; i++) vals[i] = values[i].eval(f);
      Frame inner = new Frame(f);
      for (int i = 0; i < vals.length; i++) targets[i].assign(inner, vals[i]);
      renderBody(body, inner, out);
    }
    @Override public List<Node> children() { return kids(targets, values, body); }
  }

  static final class Do extends Stmt {
    final Expr expr;
    Do(int line, Expr expr) { super(line); this.expr = expr; }
    @Override void render(Frame f, StringBuilder out) { expr.eval(f); }
    @Override public List<Node> children() { return kids(expr); }
  }

  /** Macro definition (also used for test/materialization blocks and call-block callers). */
  static final class MacroDef extends Stmt {
    final String name; // variable the macro is bound to
    final String macroName; // name reported by the macro
    final String[] params;
    final Expr[] defaults; // aligned with params; null when no default
    final Stmt[] body;
    final boolean catchVarargs, catchKwargs, catchCaller;
    String templateName;

    MacroDef(int line, String name, String macroName, String[] params, Expr[] defaults, Stmt[] body, boolean catchVarargs,
        boolean catchKwargs, boolean catchCaller) {
      super(line);
      this.name = name; this.macroName = macroName; this.params = params; this.defaults = defaults; this.body = body;
      this.catchVarargs = catchVarargs; this.catchKwargs = catchKwargs; this.catchCaller = catchCaller;
    }
    @Override void render(Frame f, StringBuilder out) { f.set(name, new Macro(this, f, null)); }
    @Override public String kind() { return "Macro"; }
    @Override public String describe() { return name; }
    @Override public List<Node> children() { return kids(defaults, body); }
  }

  static final class CallBlock extends Stmt {
    final Call call;
    final MacroDef caller;
    CallBlock(int line, Call call, MacroDef caller) { super(line); this.call = call; this.caller = caller; }
    @Override void render(Frame f, StringBuilder out) {
      Macro c = new Macro(caller, f, null);
      out.append(Python.str(call.evalWith(f, c)));
    }
    @Override public List<Node> children() { return kids(call, caller); }
  }

  /** docs / snapshot / other custom blocks: render nothing where they stand. */
  static final class CustomBlock extends Stmt {
    final String tag;
    final String name;
    final Stmt[] body;
    CustomBlock(int line, String tag, String name, Stmt[] body) { super(line); this.tag = tag; this.name = name; this.body = body; }
    @Override void render(Frame f, StringBuilder out) {}
    @Override public String describe() { return tag + " " + name; }
    @Override public List<Node> children() { return kids((Object) body); }
  }

  /** Root node of a template. */
  static final class Root extends Stmt {
    final Stmt[] body;
    Root(Stmt[] body) { super(1); this.body = body; }
    @Override void render(Frame f, StringBuilder out) { renderBody(body, f, out); }
    @Override public String kind() { return "Template"; }
    @Override public List<Node> children() { return kids((Object) body); }
  }
}
