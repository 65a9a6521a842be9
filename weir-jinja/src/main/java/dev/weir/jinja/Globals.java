package dev.weir.jinja;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Built-in globals: range, dict, cycler, joiner, namespace, return. */
final class Globals {
  private Globals() {}

  static void register(Map<String, Object> g) {
    g.put("range", (JinjaCallable) Globals::range);
    g.put("dict", (JinjaCallable) (ctx, args, kw) -> {
      Map<Object, Object> m = new LinkedHashMap<>();
      if (!args.isEmpty()) {
        Object src = args.get(0);
        if (src instanceof Map<?, ?> sm) m.putAll(sm);
        else for (Object pair : Python.iterate(src)) {
          List<Object> pl = Python.toList(pair);
          m.put(pl.get(0), pl.get(1));
        }
      }
      m.putAll(kw);
      return m;
    });
    g.put("namespace", (JinjaCallable) (ctx, args, kw) -> {
      Namespace ns = new Namespace();
      for (Object a : args) {
        if (a instanceof Map<?, ?> m) for (Map.Entry<?, ?> e : m.entrySet()) ns.attrs.put(String.valueOf(e.getKey()), e.getValue());
      }
      ns.attrs.putAll(kw);
      return ns;
    });
    g.put("cycler", (JinjaCallable) (ctx, args, kw) -> new Cycler(args));
    g.put("joiner", (JinjaCallable) (ctx, args, kw) -> {
      String sep = args.isEmpty() ? (kw.containsKey("sep") ? Python.str(kw.get("sep")) : ", ") : Python.str(args.get(0));
      boolean[] used = {false};
      return (JinjaCallable) (c, a, k) -> {
        if (!used[0]) {
          used[0] = true;
          return "";
        }
        return sep;
      };
    });
    g.put("return", (JinjaCallable) (ctx, args, kw) -> {
      throw new Nodes.ReturnSignal(args.isEmpty() ? kw.get("value") : args.get(0));
    });
  }

  static Object range(RenderContext ctx, List<Object> args, Map<String, Object> kw) {
    long start = 0, stop, step = 1;
    switch (args.size()) {
      case 1: stop = Python.toLong(checkInt(args.get(0))); break;
      case 2: start = Python.toLong(checkInt(args.get(0))); stop = Python.toLong(checkInt(args.get(1))); break;
      case 3:
        start = Python.toLong(checkInt(args.get(0)));
        stop = Python.toLong(checkInt(args.get(1)));
        step = Python.toLong(checkInt(args.get(2)));
        break;
      default: throw new TemplateRuntimeError("range expected at most 3 arguments, got " + args.size());
    }
    return new PyRange(start, stop, step);
  }

  private static Object checkInt(Object o) {
    if (o instanceof Undefined u) throw u.fail();
    if (!Python.isInt(o) && !(o instanceof Boolean)) throw new TemplateRuntimeError("'" + Python.typeName(o) + "' object cannot be interpreted as an integer");
    return o;
  }

  /** jinja2 Namespace: attribute assignment via {@code {% set ns.x = 1 %}}. */
  static final class Namespace implements JinjaObject {
    final Map<String, Object> attrs = new LinkedHashMap<>();

    @Override public Object getAttribute(String name) {
      Object v = attrs.getOrDefault(name, Python.MISSING);
      return v == Python.MISSING ? Undefined.of(null, "'jinja2.utils.Namespace object' has no attribute '" + name + "'", UndefinedPolicy.DEFAULT) : v;
    }

    @Override public String toString() { return "<Namespace " + Python.repr(attrs) + ">"; }
  }

  static final class Cycler implements JinjaObject {
    final List<Object> items;
    int pos;

    Cycler(List<Object> items) {
      if (items.isEmpty()) throw new TemplateRuntimeError("at least one item has to be provided");
      this.items = items;
    }

    @Override public Object getAttribute(String name) {
      switch (name) {
        case "current": return items.get(pos);
        case "next": return (JinjaCallable) (c, a, k) -> {
          Object v = items.get(pos);
          pos = (pos + 1) % items.size();
          return v;
        };
        case "reset": return (JinjaCallable) (c, a, k) -> {
          pos = 0;
          return null;
        };
        default: return null;
      }
    }

    @Override public String toString() { return "<jinja2.utils.Cycler object>"; }
  }
}
