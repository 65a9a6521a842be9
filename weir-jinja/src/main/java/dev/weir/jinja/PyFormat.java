package dev.weir.jinja;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Python number formatting: float repr, {@code %} formatting and {@code str.format}. */
final class PyFormat {
  private PyFormat() {}

  // ------------------------------------------------------------------ float repr

  static String floatRepr(double d) {
    if (Double.isNaN(d)) return "nan";
    if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
    if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
    String neg = d < 0 ? "-" : "";
    BigDecimal bd = shortest(Math.abs(d));
    String digits = bd.unscaledValue().toString();
    int decpt = digits.length() - bd.scale();
    int exp = decpt - 1;
    StringBuilder sb = new StringBuilder(neg);
    if (exp >= -4 && exp < 16) {
      if (decpt <= 0) {
        sb.append("0.");
        for (int i = 0; i < -decpt; i++) sb.append('0');
        sb.append(digits);
      } else if (decpt >= digits.length()) {
        sb.append(digits);
        for (int i = digits.length(); i < decpt; i++) sb.append('0');
        sb.append(".0");
      } else {
        sb.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
      }
    } else {
      sb.append(digits.charAt(0));
      if (digits.length() > 1) sb.append('.').append(digits, 1, digits.length());
      appendExp(sb, exp);
    }
    return sb.toString();
  }

  /** Shortest decimal that round-trips to d (Python repr digits); d > 0 and finite. */
  static BigDecimal shortest(double d) {
    BigDecimal best = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    int n = best.precision();
    if (n <= 1) return best;
    BigDecimal exact = new BigDecimal(d);
    for (int p = n - 1; p >= 1; p--) {
      BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
      if (r.doubleValue() != d) break;
      best = r.stripTrailingZeros();
    }
    if (best.precision() == n) {
      // Double.toString may also pick a non-closest n-digit string; use the correctly rounded one
      BigDecimal r = exact.round(new MathContext(n, RoundingMode.HALF_EVEN));
      if (r.doubleValue() == d) best = r.stripTrailingZeros();
    }
    return best;
  }

  private static void appendExp(StringBuilder sb, int exp) {
    sb.append('e').append(exp < 0 ? '-' : '+');
    int a = Math.abs(exp);
    if (a < 10) sb.append('0');
    sb.append(a);
  }

  /** Formats |x| (sign excluded) for types e, f, g (lowercase; caller uppercases). */
  static String formatAbs(double x, char type, int prec, boolean alt) {
    x = Math.abs(x);
    if (Double.isNaN(x)) return "nan";
    if (Double.isInfinite(x)) return "inf";
    BigDecimal bd = new BigDecimal(x);
    switch (type) {
      case 'f': {
        String s = bd.setScale(prec, RoundingMode.HALF_EVEN).toPlainString();
        if (alt && prec == 0) s += ".";
        return s;
      }
      case 'e': {
        return sci(bd, prec, alt);
      }
      case 'g': {
        int p = prec == 0 ? 1 : prec;
        if (x == 0) {
          int e = 0;
          if (alt) return fixedDigits(bd, p - 1 - e);
          return "0";
        }
        BigDecimal r = bd.round(new MathContext(p, RoundingMode.HALF_EVEN));
        int e = r.precision() - r.scale() - 1;
        String s;
        if (e >= -4 && e < p) {
          s = r.setScale(Math.max(p - 1 - e, 0), RoundingMode.HALF_EVEN).toPlainString();
          if (!alt) s = stripZeros(s);
          else if (!s.contains(".")) s += ".";
        } else {
          s = sci(bd, p - 1, alt);
          if (!alt) {
            int ei = s.indexOf('e');
            s = stripZeros(s.substring(0, ei)) + s.substring(ei);
          }
        }
        return s;
      }
      default:
        throw new IllegalArgumentException();
    }
  }

  private static String fixedDigits(BigDecimal bd, int scale) {
    return bd.setScale(Math.max(scale, 0), RoundingMode.HALF_EVEN).toPlainString();
  }

  private static String stripZeros(String s) {
    if (!s.contains(".")) return s;
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == '0') end--;
    if (end > 0 && s.charAt(end - 1) == '.') end--;
    return s.substring(0, end);
  }

  private static String sci(BigDecimal bd, int prec, boolean alt) {
    StringBuilder sb = new StringBuilder();
    int exp;
    String digits;
    if (bd.signum() == 0) {
      exp = 0;
      digits = "0".repeat(prec + 1);
    } else {
      BigDecimal r = bd.round(new MathContext(prec + 1, RoundingMode.HALF_EVEN));
      exp = r.precision() - r.scale() - 1;
      digits = r.unscaledValue().toString();
      while (digits.length() < prec + 1) digits += "0";
      digits = digits.substring(0, prec + 1);
    }
    sb.append(digits.charAt(0));
    if (prec > 0 || alt) sb.append('.');
    sb.append(digits, 1, digits.length());
    appendExp(sb, exp);
    return sb.toString();
  }

  // ------------------------------------------------------------------ % formatting

  static String percent(String fmt, Object arg) {
    List<Object> args;
    Map<?, ?> mapping = null;
    if (arg instanceof PyTuple t) {
      args = t;
    } else {
      args = List.of(arg == null ? NONE : arg);
      if (arg instanceof Map<?, ?> m) mapping = m;
    }
    StringBuilder sb = new StringBuilder();
    int ai = 0;
    int n = fmt.length();
    boolean usedMapping = false;
    for (int i = 0; i < n; i++) {
      char c = fmt.charAt(i);
      if (c != '%') {
        sb.append(c);
        continue;
      }
      i++;
      if (i >= n) throw new TemplateRuntimeError("incomplete format");
      Object value = null;
      boolean haveValue = false;
      if (fmt.charAt(i) == '(') {
        int depth = 1, j = i + 1;
        while (j < n && depth > 0) {
          if (fmt.charAt(j) == '(') depth++;
          else if (fmt.charAt(j) == ')') depth--;
          j++;
        }
        String key = fmt.substring(i + 1, j - 1);
        if (mapping == null) throw new TemplateRuntimeError("format requires a mapping");
        Object k = Python.findKey(mapping, key);
        if (k == Python.MISSING) throw new TemplateRuntimeError("KeyError: " + Python.repr(key));
        value = mapping.get(k);
        haveValue = true;
        usedMapping = true;
        i = j;
      }
      String flags = "";
      while (i < n && "-+ #0".indexOf(fmt.charAt(i)) >= 0) flags += fmt.charAt(i++);
      int width = -1;
      if (i < n && fmt.charAt(i) == '*') {
        width = (int) Python.toLong(unwrap(args.get(ai++)));
        i++;
      } else {
        int st = i;
        while (i < n && Character.isDigit(fmt.charAt(i))) i++;
        if (i > st) width = Integer.parseInt(fmt.substring(st, i));
      }
      int prec = -1;
      if (i < n && fmt.charAt(i) == '.') {
        i++;
        if (i < n && fmt.charAt(i) == '*') {
          prec = (int) Python.toLong(unwrap(args.get(ai++)));
          i++;
        } else {
          int st = i;
          while (i < n && Character.isDigit(fmt.charAt(i))) i++;
          prec = i > st ? Integer.parseInt(fmt.substring(st, i)) : 0;
        }
      }
      while (i < n && "hlL".indexOf(fmt.charAt(i)) >= 0) i++;
      if (i >= n) throw new TemplateRuntimeError("incomplete format");
      char type = fmt.charAt(i);
      if (type == '%') {
        sb.append('%');
        continue;
      }
      if (!haveValue) {
        if (ai >= args.size()) throw new TemplateRuntimeError("not enough arguments for format string");
        value = unwrap(args.get(ai++));
      }
      String body;
      boolean numeric = false;
      String sign = "";
      switch (type) {
        case 's': body = Python.str(value); if (prec >= 0 && prec < body.length()) body = body.substring(0, prec); break;
        case 'r': case 'a': body = Python.repr(value); if (prec >= 0 && prec < body.length()) body = body.substring(0, prec); break;
        case 'c': body = value instanceof String s ? s : new String(Character.toChars((int) Python.toLong(value))); break;
        case 'd': case 'i': case 'u': case 'o': case 'x': case 'X': {
          if (!Python.isNumber(value)) throw new TemplateRuntimeError("%" + type + " format: a real number is required, not " + Python.typeName(value));
          BigInteger bi = Python.isFloat(value) ? new BigDecimal(Python.dbl(value)).toBigInteger() : Python.big(value);
          numeric = true;
          if (bi.signum() < 0) sign = "-";
          else if (flags.indexOf('+') >= 0) sign = "+";
          else if (flags.indexOf(' ') >= 0) sign = " ";
          bi = bi.abs();
          int radix = type == 'o' ? 8 : (type == 'x' || type == 'X') ? 16 : 10;
          body = bi.toString(radix);
          if (type == 'X') body = body.toUpperCase();
          if (prec > body.length()) body = "0".repeat(prec - body.length()) + body;
          if (flags.indexOf('#') >= 0 && radix != 10) sign += radix == 8 ? "0o" : (type == 'X' ? "0X" : "0x");
          break;
        }
        case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': {
          if (!Python.isNumber(value)) throw new TemplateRuntimeError("must be real number, not " + Python.typeName(value));
          double d = Python.dbl(value);
          numeric = true;
          if (d < 0 || (d == 0 && 1 / d < 0)) sign = "-";
          else if (flags.indexOf('+') >= 0) sign = "+";
          else if (flags.indexOf(' ') >= 0) sign = " ";
          body = formatAbs(d, Character.toLowerCase(type), prec < 0 ? 6 : prec, flags.indexOf('#') >= 0);
          if (Character.isUpperCase(type)) body = body.toUpperCase();
          break;
        }
        default:
          throw new TemplateRuntimeError("unsupported format character '" + type + "'");
      }
      int len = sign.length() + body.length();
      if (width > len) {
        if (flags.indexOf('-') >= 0) sb.append(sign).append(body).append(" ".repeat(width - len));
        else if (numeric && flags.indexOf('0') >= 0) sb.append(sign).append("0".repeat(width - len)).append(body);
        else sb.append(" ".repeat(width - len)).append(sign).append(body);
      } else {
        sb.append(sign).append(body);
      }
    }
    if (ai < args.size() && !usedMapping && !(mapping != null && args.size() == 1)) {
      throw new TemplateRuntimeError("not all arguments converted during string formatting");
    }
    return sb.toString();
  }

  private static final Object NONE = new Object();

  private static Object unwrap(Object o) { return o == NONE ? null : o; }

  // ------------------------------------------------------------------ str.format

  static String strFormat(RenderContext ctx, String fmt, List<Object> args, Map<String, Object> kwargs) {
    StringBuilder sb = new StringBuilder();
    int auto = 0;
    int n = fmt.length();
    for (int i = 0; i < n; i++) {
      char c = fmt.charAt(i);
      if (c == '{') {
        if (i + 1 < n && fmt.charAt(i + 1) == '{') {
          sb.append('{');
          i++;
          continue;
        }
        int depth = 1, j = i + 1;
        while (j < n && depth > 0) {
          char cj = fmt.charAt(j);
          if (cj == '{') depth++;
          else if (cj == '}') depth--;
          if (depth > 0) j++;
        }
        if (j >= n) throw new TemplateRuntimeError("Single '{' encountered in format string");
        String field = fmt.substring(i + 1, j);
        i = j;
        String spec = "";
        char conv = 0;
        int colon = -1;
        int bracket = 0;
        for (int k = 0; k < field.length(); k++) {
          char fc = field.charAt(k);
          if (fc == '[') bracket++;
          else if (fc == ']') bracket--;
          else if (fc == ':' && bracket == 0) { colon = k; break; }
        }
        if (colon >= 0) {
          spec = field.substring(colon + 1);
          field = field.substring(0, colon);
        }
        int bang = field.indexOf('!');
        if (bang >= 0) {
          conv = field.charAt(bang + 1);
          field = field.substring(0, bang);
        }
        if (spec.indexOf('{') >= 0) spec = strFormat(ctx, spec, args, kwargs);
        // resolve field name
        int p = 0;
        while (p < field.length() && field.charAt(p) != '.' && field.charAt(p) != '[') p++;
        String first = field.substring(0, p);
        Object value;
        if (first.isEmpty()) {
          if (auto >= args.size()) throw new TemplateRuntimeError("IndexError: Replacement index " + auto + " out of range for positional args tuple");
          value = args.get(auto++);
        } else if (Character.isDigit(first.charAt(0))) {
          int idx = Integer.parseInt(first);
          if (idx >= args.size()) throw new TemplateRuntimeError("IndexError: Replacement index " + idx + " out of range for positional args tuple");
          value = args.get(idx);
        } else {
          if (!kwargs.containsKey(first)) throw new TemplateRuntimeError("KeyError: " + Python.repr(first));
          value = kwargs.get(first);
        }
        while (p < field.length()) {
          if (field.charAt(p) == '.') {
            int q = p + 1;
            while (q < field.length() && field.charAt(q) != '.' && field.charAt(q) != '[') q++;
            value = Ops.getattr(ctx, value, field.substring(p + 1, q));
            p = q;
          } else {
            int q = field.indexOf(']', p);
            String key = field.substring(p + 1, q);
            Object k = key.chars().allMatch(Character::isDigit) && !key.isEmpty() ? (Object) Long.parseLong(key) : key;
            value = Ops.getitem(ctx, value, k);
            p = q + 1;
          }
        }
        if (conv == 'r' || conv == 'a') value = Python.repr(value);
        else if (conv == 's') value = Python.str(value);
        sb.append(formatSpec(value, spec));
      } else if (c == '}') {
        if (i + 1 < n && fmt.charAt(i + 1) == '}') {
          sb.append('}');
          i++;
          continue;
        }
        throw new TemplateRuntimeError("Single '}' encountered in format string");
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** Python format(value, spec). */
  static String formatSpec(Object value, String spec) {
    if (spec.isEmpty()) return Python.str(value);
    int i = 0, n = spec.length();
    char fill = ' ', align = 0;
    if (n >= 2 && "<>=^".indexOf(spec.charAt(1)) >= 0) {
      fill = spec.charAt(0);
      align = spec.charAt(1);
      i = 2;
    } else if (n >= 1 && "<>=^".indexOf(spec.charAt(0)) >= 0) {
      align = spec.charAt(0);
      i = 1;
    }
    char sign = '-';
    if (i < n && "+- ".indexOf(spec.charAt(i)) >= 0) sign = spec.charAt(i++);
    boolean alt = false;
    if (i < n && spec.charAt(i) == '#') { alt = true; i++; }
    if (i < n && spec.charAt(i) == '0') {
      if (align == 0) { fill = '0'; align = '='; }
      i++;
    }
    int width = -1;
    int st = i;
    while (i < n && Character.isDigit(spec.charAt(i))) i++;
    if (i > st) width = Integer.parseInt(spec.substring(st, i));
    char group = 0;
    if (i < n && (spec.charAt(i) == ',' || spec.charAt(i) == '_')) group = spec.charAt(i++);
    int prec = -1;
    if (i < n && spec.charAt(i) == '.') {
      i++;
      st = i;
      while (i < n && Character.isDigit(spec.charAt(i))) i++;
      prec = Integer.parseInt(spec.substring(st, i));
    }
    char type = i < n ? spec.charAt(i++) : 0;
    if (i < n) throw new TemplateRuntimeError("Invalid format specifier");

    String signStr = "";
    String body;
    boolean numeric = Python.isNumber(value);
    if (!numeric) {
      if (type != 0 && type != 's') throw new TemplateRuntimeError("Unknown format code '" + type + "' for object of type '" + Python.typeName(value) + "'");
      body = Python.str(value);
      if (prec >= 0 && prec < body.length()) body = body.substring(0, prec);
      if (align == 0) align = '<';
    } else {
      if (align == 0) align = '>';
      boolean isIntType = "bcdoxXn".indexOf(type) >= 0 && type != 0;
      if (Python.isInt(value) || value instanceof Boolean) {
        if (type == 0 || isIntType) {
          BigInteger bi = Python.big(value);
          if (bi.signum() < 0) signStr = "-";
          bi = bi.abs();
          switch (type) {
            case 'b': body = bi.toString(2); if (alt) signStr += "0b"; break;
            case 'o': body = bi.toString(8); if (alt) signStr += "0o"; break;
            case 'x': body = bi.toString(16); if (alt) signStr += "0x"; break;
            case 'X': body = bi.toString(16).toUpperCase(); if (alt) signStr += "0X"; break;
            case 'c': body = new String(Character.toChars(bi.intValue())); break;
            default: body = bi.toString();
          }
          if (group != 0 && (type == 0 || type == 'd' || type == 'n')) body = group(body, group);
          if (signStr.isEmpty() || !signStr.startsWith("-")) signStr = signChar(sign, false) + signStr;
          return pad(signStr, body, fill, align, width);
        }
      } else if (isIntType) {
        throw new TemplateRuntimeError("Unknown format code '" + type + "' for object of type 'float'");
      }
      double d = Python.dbl(value);
      boolean negative = d < 0 || (d == 0 && 1 / d < 0);
      signStr = negative ? "-" : signChar(sign, false);
      if (type == '%') {
        body = formatAbs(d * 100, 'f', prec < 0 ? 6 : prec, alt) + "%";
      } else if (type == 0) {
        if (prec < 0) body = floatRepr(Math.abs(d));
        else {
          body = formatAbs(d, 'g', prec, alt);
          if (!body.contains(".") && !body.contains("e") && !body.contains("inf") && !body.contains("nan")) body += ".0";
        }
      } else {
        char lt = Character.toLowerCase(type);
        if (lt == 'n') lt = 'g';
        body = formatAbs(d, lt, prec < 0 ? 6 : prec, alt);
        if (Character.isUpperCase(type)) body = body.toUpperCase();
      }
      if (group != 0) {
        int dot = body.indexOf('.');
        int e = dot >= 0 ? dot : body.length();
        body = group(body.substring(0, e), group) + body.substring(e);
      }
    }
    return pad(signStr, body, fill, align, width);
  }

  private static String signChar(char sign, boolean neg) {
    if (neg) return "-";
    return sign == '+' ? "+" : sign == ' ' ? " " : "";
  }

  private static String group(String digits, char sep) {
    StringBuilder sb = new StringBuilder();
    int len = digits.length();
    for (int i = 0; i < len; i++) {
      if (i > 0 && (len - i) % 3 == 0) sb.append(sep);
      sb.append(digits.charAt(i));
    }
    return sb.toString();
  }

  private static String pad(String sign, String body, char fill, char align, int width) {
    int len = sign.length() + body.length();
    if (width <= len) return sign + body;
    int padN = width - len;
    String f = String.valueOf(fill);
    switch (align) {
      case '<': return sign + body + f.repeat(padN);
      case '^': return f.repeat(padN / 2) + sign + body + f.repeat(padN - padN / 2);
      case '=': return sign + f.repeat(padN) + body;
      default: return f.repeat(padN) + sign + body;
    }
  }

  static List<Object> listOf(Object... o) {
    List<Object> l = new ArrayList<>();
    for (Object x : o) l.add(x);
    return l;
  }
}
