package dev.weir.jinja;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Python operators. */
final class Ops {
  private Ops() {}

  static Object checkUndef(Object v) {
    if (v instanceof Undefined u) throw u.fail();
    return v;
  }

  private static TemplateRuntimeError unsupported(String op, Object a, Object b) {
    checkUndef(a);
    checkUndef(b);
    return new TemplateRuntimeError("unsupported operand type(s) for " + op + ": '" + Python.typeName(a) + "' and '" + Python.typeName(b) + "'");
  }

  static Object add(Object a, Object b) {
    if (a instanceof PyOperand || b instanceof PyOperand) {
      Object r = a instanceof PyOperand pa ? pa.add(b, false) : PyOperand.NOT_IMPLEMENTED;
      if (r == PyOperand.NOT_IMPLEMENTED && b instanceof PyOperand pb) r = pb.add(a, true);
      if (r != PyOperand.NOT_IMPLEMENTED) return r;
    }
    if (a instanceof Long x && b instanceof Long y) {
      long r = x + y;
      if (((x ^ r) & (y ^ r)) < 0) return Python.normBig(BigInteger.valueOf(x).add(BigInteger.valueOf(y)));
      return r;
    }
    if (a instanceof String sa) {
      if (b instanceof String sb) return sa.concat(sb);
      checkUndef(b);
      throw new TemplateRuntimeError("can only concatenate str (not \"" + Python.typeName(b) + "\") to str");
    }
    if (Python.isNumber(a) && Python.isNumber(b)) {
      if (Python.isFloat(a) || Python.isFloat(b)) return Python.dbl(a) + Python.dbl(b);
      return Python.normBig(Python.big(a).add(Python.big(b)));
    }
    if (a instanceof PyTuple ta && b instanceof PyTuple tb) {
      List<Object> out = new ArrayList<>(ta);
      out.addAll(tb);
      return PyTuple.copyOf(out);
    }
    if (a instanceof List<?> la && b instanceof List<?> lb && !(a instanceof PyTuple) && !(b instanceof PyTuple)) {
      List<Object> out = new ArrayList<>(la.size() + lb.size());
      out.addAll(la);
      out.addAll(lb);
      return out;
    }
    if (a instanceof List && !(a instanceof PyTuple) && b instanceof List) {
      checkUndef(b);
      throw new TemplateRuntimeError("can only concatenate list (not \"" + Python.typeName(b) + "\") to list");
    }
    throw unsupported("+", a, b);
  }

  static Object sub(Object a, Object b) {
    if (a instanceof PyOperand || b instanceof PyOperand) {
      Object r = a instanceof PyOperand pa ? pa.sub(b, false) : PyOperand.NOT_IMPLEMENTED;
      if (r == PyOperand.NOT_IMPLEMENTED && b instanceof PyOperand pb) r = pb.sub(a, true);
      if (r != PyOperand.NOT_IMPLEMENTED) return r;
    }
    if (a instanceof Long x && b instanceof Long y) {
      long r = x - y;
      if (((x ^ y) & (x ^ r)) < 0) return Python.normBig(BigInteger.valueOf(x).subtract(BigInteger.valueOf(y)));
      return r;
    }
    if (Python.isNumber(a) && Python.isNumber(b)) {
      if (Python.isFloat(a) || Python.isFloat(b)) return Python.dbl(a) - Python.dbl(b);
      return Python.normBig(Python.big(a).subtract(Python.big(b)));
    }
    throw unsupported("-", a, b);
  }

  static Object mul(Object a, Object b) {
    if (a instanceof Long x && b instanceof Long y) {
      long hi = Math.multiplyHigh(x, y), lo = x * y;
      if ((hi == 0 && lo >= 0) || (hi == -1 && lo < 0)) return lo;
      return Python.normBig(BigInteger.valueOf(x).multiply(BigInteger.valueOf(y)));
    }
    if (Python.isNumber(a) && Python.isNumber(b)) {
      if (Python.isFloat(a) || Python.isFloat(b)) return Python.dbl(a) * Python.dbl(b);
      return Python.normBig(Python.big(a).multiply(Python.big(b)));
    }
    if ((a instanceof String || a instanceof List) && Python.isInt(b) || Python.isInt(a) && (b instanceof String || b instanceof List)) {
      Object seq = a instanceof String || a instanceof List ? a : b;
      long n = Python.toLong(a == seq ? b : a);
      if (seq instanceof String s) return n <= 0 ? "" : s.repeat((int) n);
      List<?> l = (List<?>) seq;
      List<Object> out = new ArrayList<>();
      for (long i = 0; i < n; i++) out.addAll(l);
      return seq instanceof PyTuple ? PyTuple.copyOf(out) : out;
    }
    throw unsupported("*", a, b);
  }

  static Object truediv(Object a, Object b) {
    if (Python.isNumber(a) && Python.isNumber(b)) {
      double y = Python.dbl(b);
      if (y == 0) throw new TemplateRuntimeError("division by zero");
      return Python.dbl(a) / y;
    }
    throw unsupported("/", a, b);
  }

  static Object floordiv(Object a, Object b) {
    if (Python.isNumber(a) && Python.isNumber(b)) {
      if (Python.isFloat(a) || Python.isFloat(b)) {
        double y = Python.dbl(b);
        if (y == 0) throw new TemplateRuntimeError("float divmod()");
        return Math.floor(Python.dbl(a) / y);
      }
      Object x = Python.normInt(a), y = Python.normInt(b);
      if (x instanceof Long lx && y instanceof Long ly) {
        if (ly == 0) throw new TemplateRuntimeError("integer division or modulo by zero");
        if (lx == Long.MIN_VALUE && ly == -1) return Python.normBig(BigInteger.valueOf(lx).negate());
        return Math.floorDiv(lx, ly);
      }
      BigInteger[] qr = Python.big(x).divideAndRemainder(Python.big(y));
      BigInteger q = qr[0];
      if (qr[1].signum() != 0 && (qr[1].signum() != Python.big(y).signum())) q = q.subtract(BigInteger.ONE);
      return Python.normBig(q);
    }
    throw unsupported("//", a, b);
  }

  static Object mod(Object a, Object b) {
    if (a instanceof String s) return PyFormat.percent(s, b);
    if (Python.isNumber(a) && Python.isNumber(b)) {
      if (Python.isFloat(a) || Python.isFloat(b)) {
        double x = Python.dbl(a), y = Python.dbl(b);
        if (y == 0) throw new TemplateRuntimeError("float modulo");
        double r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return r;
      }
      Object x = Python.normInt(a), y = Python.normInt(b);
      if (x instanceof Long lx && y instanceof Long ly) {
        if (ly == 0) throw new TemplateRuntimeError("integer division or modulo by zero");
        return Math.floorMod(lx, ly);
      }
      BigInteger by = Python.big(y);
      BigInteger r = Python.big(x).mod(by.abs());
      if (by.signum() < 0 && r.signum() != 0) r = r.add(by);
      return Python.normBig(r);
    }
    throw unsupported("%", a, b);
  }

  static Object pow(Object a, Object b) {
    if (Python.isNumber(a) && Python.isNumber(b)) {
      if (Python.isFloat(a) || Python.isFloat(b)) return Math.pow(Python.dbl(a), Python.dbl(b));
      Object y = Python.normInt(b);
      if (y instanceof Long ly && ly >= 0) {
        if (ly > 100000) throw new TemplateRuntimeError("exponent too large");
        return Python.normBig(Python.big(a).pow((int) (long) ly));
      }
      return Math.pow(Python.dbl(a), Python.dbl(b));
    }
    throw unsupported("** or pow()", a, b);
  }

  static Object neg(Object a) {
    if (a instanceof Long l) return l == Long.MIN_VALUE ? Python.normBig(BigInteger.valueOf(l).negate()) : (Object) (-l);
    if (Python.isFloat(a)) return -Python.dbl(a);
    if (Python.isNumber(a)) return Python.normBig(Python.big(a).negate());
    checkUndef(a);
    throw new TemplateRuntimeError("bad operand type for unary -: '" + Python.typeName(a) + "'");
  }

  static Object pos(Object a) {
    if (Python.isFloat(a)) return Python.dbl(a);
    if (Python.isNumber(a)) return Python.normInt(a);
    checkUndef(a);
    throw new TemplateRuntimeError("bad operand type for unary +: '" + Python.typeName(a) + "'");
  }

  static Object binary(String op, Object a, Object b) {
    switch (op) {
      case "+": return add(a, b);
      case "-": return sub(a, b);
      case "*": return mul(a, b);
      case "/": return truediv(a, b);
      case "//": return floordiv(a, b);
      case "%": return mod(a, b);
      case "**": return pow(a, b);
      default: throw new IllegalStateException(op);
    }
  }

  /** Jinja2 environment.getattr(obj, name): Python attribute first, then item. */
  static Object getattr(RenderContext ctx, Object obj, String name) {
    if (obj instanceof Map<?, ?> m) {
      if (Methods.isDictMethod(name)) return new Methods.BoundMethod(obj, name);
      Object k = Python.findKey(m, name);
      if (k != Python.MISSING) return m.get(k);
      if (obj instanceof JinjaObject jo) return attrOf(ctx, jo, name);
      return ctx.undefined(null, "'dict object' has no attribute '" + name + "'");
    }
    if (obj instanceof JinjaObject jo) return attrOf(ctx, jo, name);
    if (obj instanceof Undefined u) return undefinedAccess(ctx, u, name);
    if (obj instanceof String) {
      if (Methods.isStrMethod(name)) return new Methods.BoundMethod(obj, name);
      return ctx.undefined(null, "'str object' has no attribute '" + name + "'");
    }
    if (obj instanceof List) {
      if (obj instanceof PyTuple t && t.group) {
        if (name.equals("grouper")) return t.get(0);
        if (name.equals("list")) return t.get(1);
      }
      if (obj instanceof PyTuple ? Methods.isTupleMethod(name) : Methods.isListMethod(name)) return new Methods.BoundMethod(obj, name);
      return ctx.undefined(null, Python.objectTypeRepr(obj) + " has no attribute '" + name + "'");
    }
    if (obj instanceof Macro mac) {
      switch (name) {
        case "name": return mac.name();
        case "arguments": return PyTuple.copyOf(mac.parameterNames());
        case "catch_kwargs": return mac.catchesKwargs();
        case "catch_varargs": return mac.catchesVarargs();
        case "caller": return mac.catchesCaller();
        default: break;
      }
    }
    return ctx.undefined(null, Python.objectTypeRepr(obj) + " has no attribute '" + name + "'");
  }

  private static Object attrOf(RenderContext ctx, JinjaObject jo, String name) {
    Object v = jo.getAttribute(name);
    if (v == null) {
      return ctx.undefined(null, Python.objectTypeRepr(jo) + " has no attribute '" + name + "'");
    }
    if (v instanceof Undefined u) return ctx.env().adopt(u);
    return v;
  }

  static Object undefinedAccess(RenderContext ctx, Undefined u, String what) {
    if (u.policy() == UndefinedPolicy.CHAINABLE) return u;
    throw u.fail();
  }

  /** Jinja2 environment.getitem(obj, key): item first, then attribute when key is a string. */
  static Object getitem(RenderContext ctx, Object obj, Object key) {
    if (obj instanceof Map<?, ?> m) {
      Object k = Python.findKey(m, key);
      if (k != Python.MISSING) return m.get(k);
      if (key instanceof String s) {
        if (obj instanceof JinjaObject jo) return attrOf(ctx, jo, s);
        if (Methods.isDictMethod(s)) return new Methods.BoundMethod(obj, s);
        return ctx.undefined(null, "'dict object' has no attribute '" + s + "'");
      }
      return ctx.undefined(null, "'dict object' has no attribute " + Python.repr(key));
    }
    if (obj instanceof List<?> l) {
      if (Python.isInt(key) || key instanceof Boolean) {
        Object r = Python.index(l, key);
        if (r != Python.MISSING) return r;
        return ctx.undefined(null, Python.objectTypeRepr(obj) + " has no element " + Python.repr(key));
      }
      if (key instanceof String s) return getattr(ctx, obj, s);
      if (key instanceof Undefined u) throw u.fail();
      throw new TemplateRuntimeError("list indices must be integers or slices, not " + Python.typeName(key));
    }
    if (obj instanceof String s) {
      if (Python.isInt(key) || key instanceof Boolean) {
        String r = Python.charAt(s, key);
        if (r != null) return r;
        return ctx.undefined(null, "'str object' has no element " + Python.repr(key));
      }
      if (key instanceof String ks) return getattr(ctx, obj, ks);
      throw new TemplateRuntimeError("string indices must be integers");
    }
    if (obj instanceof JinjaObject jo) {
      if (key instanceof String s) return attrOf(ctx, jo, s);
      return ctx.undefined(null, Python.objectTypeRepr(obj) + " has no element " + Python.repr(key));
    }
    if (obj instanceof Undefined u) return undefinedAccess(ctx, u, String.valueOf(key));
    if (key instanceof String s) return getattr(ctx, obj, s);
    return ctx.undefined(null, Python.objectTypeRepr(obj) + " has no element " + Python.repr(key));
  }

  static Object call(RenderContext ctx, Object callee, List<Object> args, Map<String, Object> kwargs) {
    if (callee instanceof JinjaCallable c) return c.call(ctx, args, kwargs);
    if (callee instanceof Undefined u) {
      if (u.policy() == UndefinedPolicy.CHAINABLE) return u;
      throw u.fail();
    }
    throw new TemplateRuntimeError("'" + Python.typeName(callee) + "' object is not callable");
  }
}
