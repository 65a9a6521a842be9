package dev.weir.jinja;

import java.util.List;
import java.util.Map;

/** Jinja2 built-in tests. */
final class Tests {
  private Tests() {}

  private static Object a0(List<Object> a) {
    if (a.isEmpty()) throw new TemplateRuntimeError("test requires an argument");
    return a.get(0);
  }

  static void register(Map<String, JinjaTest> m) {
    m.put("defined", (c, v, a) -> !(v instanceof Undefined));
    m.put("undefined", (c, v, a) -> v instanceof Undefined);
    m.put("none", (c, v, a) -> v == null);
    m.put("number", (c, v, a) -> Python.isNumber(v));
    m.put("integer", (c, v, a) -> Python.isInt(v));
    m.put("float", (c, v, a) -> Python.isFloat(v));
    m.put("boolean", (c, v, a) -> v instanceof Boolean);
    m.put("true", (c, v, a) -> Boolean.TRUE.equals(v));
    m.put("false", (c, v, a) -> Boolean.FALSE.equals(v));
    m.put("string", (c, v, a) -> v instanceof String || v instanceof CharSequence);
    m.put("mapping", (c, v, a) -> v instanceof Map);
    m.put("sequence", (c, v, a) -> v instanceof List || v instanceof Map || v instanceof String || v instanceof CharSequence);
    m.put("iterable", (c, v, a) -> v instanceof Iterable || v instanceof Map || v instanceof String || v instanceof CharSequence);
    m.put("callable", (c, v, a) -> v instanceof JinjaCallable);
    m.put("sameas", (c, v, a) -> {
      Object o = a0(a);
      if (v == null || o == null) return v == o;
      if (v instanceof Boolean || o instanceof Boolean) return v.equals(o);
      if (v instanceof Long x && o instanceof Long y) return x.longValue() == y.longValue() && x >= -5 && x <= 256;
      return v == o;
    });
    m.put("even", (c, v, a) -> Python.toLong(Ops.checkUndef(v)) % 2 == 0);
    m.put("odd", (c, v, a) -> Math.floorMod(Python.toLong(Ops.checkUndef(v)), 2) == 1);
    m.put("divisibleby", (c, v, a) -> Python.truthy(Python.eq(Ops.mod(v, a0(a)), 0L)));
    JinjaTest eq = (c, v, a) -> Python.eq(v, a0(a));
    m.put("eq", eq);
    m.put("equalto", eq);
    m.put("==", eq);
    JinjaTest ne = (c, v, a) -> !Python.eq(v, a0(a));
    m.put("ne", ne);
    m.put("!=", ne);
    JinjaTest lt = (c, v, a) -> Python.compareOp("<", v, a0(a)) < 0;
    m.put("lt", lt);
    m.put("lessthan", lt);
    m.put("<", lt);
    JinjaTest gt = (c, v, a) -> Python.compareOp(">", v, a0(a)) > 0;
    m.put("gt", gt);
    m.put("greaterthan", gt);
    m.put(">", gt);
    JinjaTest le = (c, v, a) -> Python.compareOp("<=", v, a0(a)) <= 0;
    m.put("le", le);
    m.put("<=", le);
    JinjaTest ge = (c, v, a) -> Python.compareOp(">=", v, a0(a)) >= 0;
    m.put("ge", ge);
    m.put(">=", ge);
    m.put("in", (c, v, a) -> Python.contains(a0(a), v));
    m.put("lower", (c, v, a) -> Python.truthy(Methods.call(c, Python.str(v), "islower", List.of(), Map.of())));
    m.put("upper", (c, v, a) -> Python.truthy(Methods.call(c, Python.str(v), "isupper", List.of(), Map.of())));
    m.put("escaped", (c, v, a) -> false);
    m.put("filter", (c, v, a) -> v instanceof String s && c.env().filter(s) != null);
    m.put("test", (c, v, a) -> v instanceof String s && c.env().test(s) != null);
  }
}
