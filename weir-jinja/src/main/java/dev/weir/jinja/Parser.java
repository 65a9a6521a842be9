package dev.weir.jinja;

import dev.weir.jinja.Lexer.Token;
import dev.weir.jinja.Nodes.Args;
import dev.weir.jinja.Nodes.Expr;
import dev.weir.jinja.Nodes.MacroDef;
import dev.weir.jinja.Nodes.Stmt;
import dev.weir.jinja.Nodes.Target;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Recursive-descent parser following jinja2.parser. */
final class Parser {
  private static boolean isCompareOp(String op) {
    switch (op) {
      case "==": case "!=": case "<": case "<=": case ">": case ">=": return true;
      default: return false;
    }
  }

  private static final Set<String> IN = Set.of("in");
  private static final Set<String> RECURSIVE = Set.of("recursive");

  private final JinjaEnvironment env;
  private final String name;
  private final Token[] tokens; // an array: the parser reads a token a dozen times per expression
  private int p;
  private int blockDepth;
  private int loopDepth;
  private final Deque<Set<String>> refStack = new ArrayDeque<>();

  final Map<String, MacroDef> macros = new LinkedHashMap<>();
  final List<Object[]> blocks = new ArrayList<>(); // {tag, args, kwargs, name, Stmt[] body, line}

  Parser(JinjaEnvironment env, String name, List<Token> tokens) {
    this.env = env;
    this.name = name;
    this.tokens = tokens.toArray(new Token[0]);
  }

  // ------------------------------------------------------------------ token helpers

  private Token cur() { return tokens[p]; }
  private Token peek(int k) { return tokens[Math.min(p + k, tokens.length - 1)]; }
  private Token next() { return tokens[p++]; }

  private TemplateSyntaxError fail(String msg, int line) { return new TemplateSyntaxError(name, line, msg); }
  private TemplateSyntaxError fail(String msg) { return fail(msg, cur().line); }

  private boolean isOp(String op) { return cur().isOp(op); }
  private boolean isName(String n) { return cur().isName(n); }

  private boolean skipOp(String op) {
    if (isOp(op)) {
      p++;
      return true;
    }
    return false;
  }

  private boolean skipName(String n) {
    if (isName(n)) {
      p++;
      return true;
    }
    return false;
  }

  private Token expectOp(String op) {
    if (!isOp(op)) throw fail("expected token '" + op + "', got " + cur().describe());
    return next();
  }

  private String expectName() {
    if (cur().type != Lexer.NAME) throw fail("expected token 'name', got " + cur().describe());
    return next().text;
  }

  private void expectBlockEnd() {
    if (cur().type != Lexer.BLOCK_END) throw fail("expected token 'end of statement block', got " + cur().describe());
    p++;
  }

  private void expectNameValue(String n) {
    if (!isName(n)) throw fail("expected token '" + n + "', got " + cur().describe());
    p++;
  }

  // ------------------------------------------------------------------ template structure

  Nodes.Root parseTemplate() {
    Stmt[] body = subparse(null, null);
    return new Nodes.Root(body);
  }

  /** Parses statements until a block tag whose name is in {@code ends}; leaves p at that name token. */
  private Stmt[] subparse(List<String> ends, String innermost) {
    List<Stmt> body = new ArrayList<>();
    while (true) {
      Token t = cur();
      switch (t.type) {
        case Lexer.DATA:
          body.add(new Nodes.Data(t.line, t.text));
          p++;
          break;
        case Lexer.VAR_BEGIN: {
          p++;
          Expr e = parseTuple(false, true, null, false);
          if (cur().type != Lexer.VAR_END) throw fail("expected token 'end of print statement', got " + cur().describe());
          p++;
          body.add(new Nodes.Output(t.line, e));
          break;
        }
        case Lexer.BLOCK_BEGIN: {
          p++;
          Token nt = cur();
          if (nt.type != Lexer.NAME) throw fail("tag name expected");
          if (ends != null && ends.contains(nt.text)) return body.toArray(new Stmt[0]);
          Stmt s = parseStatement();
          if (s != null) body.add(s);
          break;
        }
        case Lexer.EOF:
          if (ends != null) {
            List<String> sorted = ends;
            StringBuilder sb = new StringBuilder("Unexpected end of template. Jinja was looking for the following tags: ");
            for (int i = 0; i < sorted.size(); i++) sb.append(i > 0 ? " or " : "").append("'").append(sorted.get(i)).append("'");
            sb.append(". The innermost block that needs to be closed is '").append(innermost).append("'.");
            throw fail(sb.toString());
          }
          return body.toArray(new Stmt[0]);
        default:
          throw fail("unexpected " + t.describe());
      }
    }
  }

  private static final Set<String> END_TAGS = Set.of("endif", "endfor", "endmacro", "endcall", "endset", "endfilter", "endwith",
      "else", "elif", "enddocs", "endtest", "endsnapshot", "endmaterialization", "endraw", "endblock", "endautoescape");

  private Stmt parseStatement() {
    Token t = cur();
    String tag = t.text;
    int line = t.line;
    p++;
    switch (tag) {
      case "if": return parseIf(line);
      case "for": return parseFor(line);
      case "set": return parseSet(line);
      case "macro": return parseMacro(line);
      case "call": return parseCallBlock(line);
      case "filter": return parseFilterBlock(line);
      case "with": return parseWith(line);
      case "do": {
        Expr e = parseTuple(false, true, null, false);
        expectBlockEnd();
        return new Nodes.Do(line, e);
      }
      case "break":
      case "continue": {
        if (loopDepth == 0) throw fail("'" + tag + "' outside of a loop", line);
        expectBlockEnd();
        return tag.equals("break") ? new Nodes.Break(line) : new Nodes.Continue(line);
      }
      case "docs":
      case "snapshot": return parseNamedBlock(line, tag);
      case "test": return parseTestBlock(line);
      case "materialization": return parseMaterialization(line);
      case "autoescape": {
        parseExpression(true);
        expectBlockEnd();
        Stmt[] body = nested(List.of("endautoescape"), tag);
        endTag();
        return new Nodes.With(line, new Target[0], new Expr[0], body);
      }
      default:
        if (END_TAGS.contains(tag)) throw fail("Encountered unknown tag '" + tag + "'.", line);
        throw fail("Encountered unknown tag '" + tag + "'.", line);
    }
  }

  private Stmt[] nested(List<String> ends, String innermost) {
    blockDepth++;
    try {
      return subparse(ends, innermost);
    } finally {
      blockDepth--;
    }
  }

  /** Consumes the end tag name and the block end. */
  private void endTag() {
    p++;
    expectBlockEnd();
  }

  private Stmt parseIf(int line) {
    List<Expr> tests = new ArrayList<>();
    List<Stmt[]> bodies = new ArrayList<>();
    Stmt[] elseBody = null;
    tests.add(parseTuple(false, true, null, false));
    expectBlockEnd();
    while (true) {
      Stmt[] body = nested(List.of("elif", "else", "endif"), "if");
      bodies.add(body);
      String t = next().text;
      if (t.equals("elif")) {
        tests.add(parseTuple(false, true, null, false));
        expectBlockEnd();
        continue;
      }
      if (t.equals("else")) {
        expectBlockEnd();
        elseBody = nested(List.of("endif"), "if");
        endTag();
        break;
      }
      expectBlockEnd();
      break;
    }
    return new Nodes.If(line, tests.toArray(new Expr[0]), bodies.toArray(new Stmt[0][]), elseBody);
  }

  private Stmt parseFor(int line) {
    Target target = parseAssignTarget(false, IN);
    expectNameValue("in");
    Expr iter = parseTuple(false, false, RECURSIVE, false);
    Expr filter = null;
    if (skipName("if")) filter = parseExpression(true);
    boolean recursive = skipName("recursive");
    expectBlockEnd();
    loopDepth++;
    Stmt[] body;
    try {
      body = nested(List.of("endfor", "else"), "for");
    } finally {
      loopDepth--;
    }
    Stmt[] elseBody = null;
    if (next().text.equals("else")) {
      expectBlockEnd();
      int saved = loopDepth;
      loopDepth = 0;
      try {
        elseBody = nested(List.of("endfor"), "for");
      } finally {
        loopDepth = saved;
      }
      endTag();
    } else {
      expectBlockEnd();
    }
    return new Nodes.For(line, target, iter, filter, body, elseBody, recursive);
  }

  private Stmt parseSet(int line) {
    Target target = parseAssignTarget(true, null);
    if (skipOp("=")) {
      Expr value = parseTuple(false, true, null, false);
      expectBlockEnd();
      return new Nodes.Set(line, target, value);
    }
    Nodes.Filter filter = null;
    if (isOp("|")) filter = parseFilterChain(null, false);
    expectBlockEnd();
    Stmt[] body = nested(List.of("endset"), "set");
    endTag();
    return new Nodes.SetBlock(line, target, body, filter);
  }

  private Stmt parseWith(int line) {
    List<Target> targets = new ArrayList<>();
    List<Expr> values = new ArrayList<>();
    while (cur().type != Lexer.BLOCK_END) {
      if (!targets.isEmpty()) expectOp(",");
      targets.add(parseAssignTarget(false, null));
      expectOp("=");
      values.add(parseExpression(true));
    }
    expectBlockEnd();
    Stmt[] body = nested(List.of("endwith"), "with");
    endTag();
    return new Nodes.With(line, targets.toArray(new Target[0]), values.toArray(new Expr[0]), body);
  }

  private Stmt parseFilterBlock(int line) {
    Nodes.Filter f = parseFilterChain(null, true);
    expectBlockEnd();
    Stmt[] body = nested(List.of("endfilter"), "filter");
    endTag();
    return new Nodes.FilterBlock(line, body, f);
  }

  /** Parses the signature "(a, b=1)" into params/defaults. */
  private void parseSignature(List<String> params, List<Expr> defaults) {
    expectOp("(");
    while (!isOp(")")) {
      if (!params.isEmpty()) expectOp(",");
      if (isOp(")")) break;
      String pn = expectName();
      params.add(pn);
      if (skipOp("=")) defaults.add(parseExpression(true));
      else {
        if (!defaults.isEmpty() && defaults.get(defaults.size() - 1) != null) throw fail("non-default argument follows default argument");
        defaults.add(null);
      }
    }
    p++;
  }

  private MacroDef macroBody(int line, String varName, String macroName, List<String> params, List<Expr> defaults, String endTag,
      String innermost) {
    Set<String> refs = new HashSet<>();
    refStack.push(refs);
    Stmt[] body;
    int savedLoop = loopDepth;
    loopDepth = 0;
    try {
      body = nested(List.of(endTag), innermost);
    } finally {
      refStack.pop();
      loopDepth = savedLoop;
    }
    endTag();
    for (Set<String> outer : refStack) outer.addAll(refs);
    MacroDef def = new MacroDef(line, varName, macroName, params.toArray(new String[0]), defaults.toArray(new Expr[0]), body,
        refs.contains("varargs"), refs.contains("kwargs"), refs.contains("caller"));
    def.templateName = name;
    return def;
  }

  private Stmt parseMacro(int line) {
    boolean top = blockDepth == 0;
    String mname = expectName();
    List<String> params = new ArrayList<>();
    List<Expr> defaults = new ArrayList<>();
    parseSignature(params, defaults);
    expectBlockEnd();
    MacroDef def = macroBody(line, mname, mname, params, defaults, "endmacro", "macro");
    if (top) macros.put(mname, def);
    return def;
  }

  private Stmt parseTestBlock(int line) {
    boolean top = blockDepth == 0;
    String tname = expectName();
    List<String> params = new ArrayList<>();
    List<Expr> defaults = new ArrayList<>();
    if (isOp("(")) parseSignature(params, defaults);
    expectBlockEnd();
    MacroDef def = macroBody(line, "test_" + tname, "test_" + tname, params, defaults, "endtest", "test");
    if (top) {
      macros.put(def.name, def);
      List<Object> args = new ArrayList<>();
      args.add(tname);
      blocks.add(new Object[] {"test", args, Map.of(), tname, def.body, line});
    }
    return def;
  }

  private Stmt parseMaterialization(int line) {
    boolean top = blockDepth == 0;
    String mname = expectName();
    String adapter = "default";
    Map<String, Object> kwargs = new LinkedHashMap<>();
    List<Object> args = new ArrayList<>();
    args.add(mname);
    while (skipOp(",")) {
      if (cur().type == Lexer.NAME && peek(1).isOp("=")) {
        String k = next().text;
        p++;
        Expr v = parseExpression(true);
        Object lit = StaticAnalysis.literal(v);
        kwargs.put(k, lit);
        if (k.equals("adapter") && lit instanceof String s) adapter = s;
      } else {
        Expr v = parseExpression(true);
        Object lit = v instanceof Nodes.Name n ? n.name : StaticAnalysis.literal(v);
        args.add(lit);
        if ("default".equals(lit)) adapter = "default";
      }
    }
    expectBlockEnd();
    String macroName = "materialization_" + mname + "_" + adapter;
    MacroDef def = macroBody(line, macroName, macroName, new ArrayList<>(), new ArrayList<>(), "endmaterialization", "materialization");
    if (top) {
      macros.put(macroName, def);
      blocks.add(new Object[] {"materialization", args, kwargs, mname, def.body, line});
    }
    return def;
  }

  private Stmt parseNamedBlock(int line, String tag) {
    boolean top = blockDepth == 0;
    List<Object> args = new ArrayList<>();
    String bname = null;
    while (cur().type != Lexer.BLOCK_END) {
      if (!args.isEmpty()) skipOp(",");
      if (cur().type == Lexer.NAME) {
        StringBuilder sb = new StringBuilder(next().text);
        while (isOp(".") && peek(1).type == Lexer.NAME) {
          p++;
          sb.append('.').append(next().text);
        }
        args.add(sb.toString());
      } else {
        args.add(StaticAnalysis.literal(parsePrimary()));
      }
    }
    if (!args.isEmpty()) bname = String.valueOf(args.get(0));
    expectBlockEnd();
    Stmt[] body = nested(List.of("end" + tag), tag);
    endTag();
    if (top) blocks.add(new Object[] {tag, args, Map.of(), bname, body, line});
    return new Nodes.CustomBlock(line, tag, bname, body);
  }

  private Stmt parseCallBlock(int line) {
    List<String> params = new ArrayList<>();
    List<Expr> defaults = new ArrayList<>();
    if (isOp("(")) parseSignature(params, defaults);
    Expr call = parseExpression(true);
    if (!(call instanceof Nodes.Call c)) throw fail("expected call", line);
    expectBlockEnd();
    MacroDef caller = macroBody(line, "caller", "caller", params, defaults, "endcall", "call");
    return new Nodes.CallBlock(line, c, caller);
  }

  // ------------------------------------------------------------------ assignment targets

  private Target parseAssignTarget(boolean withNamespace, Set<String> extraEnd) {
    int line = cur().line;
    if (withNamespace && cur().type == Lexer.NAME && peek(1).isOp(".")) {
      String n = next().text;
      p++;
      String attr = expectName();
      return new Nodes.NsTarget(line, n, attr);
    }
    return parseTargetTuple(extraEnd, false);
  }

  /** name | (targets) separated by commas; returns a single target when there is no comma. */
  private Target parseTargetTuple(Set<String> extraEnd, boolean inParens) {
    int line = cur().line;
    List<Target> items = new ArrayList<>();
    boolean tuple = false;
    while (true) {
      if (!items.isEmpty()) {
        if (!isOp(",")) break;
        p++;
        tuple = true;
      }
      if (isOp(")") || cur().type == Lexer.BLOCK_END || (extraEnd != null && cur().type == Lexer.NAME && extraEnd.contains(cur().text) && !items.isEmpty())) break;
      if (skipOp("(")) {
        Target t = parseTargetTuple(null, true);
        expectOp(")");
        items.add(t);
      } else {
        if (cur().type != Lexer.NAME) throw fail("expected token 'name', got " + cur().describe());
        String n = next().text;
        if (Set.of("true", "false", "none", "True", "False", "None").contains(n)) throw fail("can't assign to name '" + n + "'");
        items.add(new Nodes.NameTarget(line, n));
      }
    }
    if (items.isEmpty()) throw fail("expected token 'name', got " + cur().describe());
    if (!tuple && !(inParens && items.size() > 1)) {
      return items.get(0);
    }
    return new Nodes.TupleTarget(line, items.toArray(new Target[0]));
  }

  // ------------------------------------------------------------------ expressions

  /** Nesting limit for expressions: deeper input is an error, not a stack overflow. */
  private static final int MAX_EXPRESSION_DEPTH = 200;
  private int expressionDepth;

  Expr parseExpression(boolean withCondexpr) {
    if (++expressionDepth > MAX_EXPRESSION_DEPTH) {
      throw fail("expression nested more than " + MAX_EXPRESSION_DEPTH + " levels deep", cur().line);
    }
    try {
      return withCondexpr ? parseCondexpr() : parseOr();
    } finally {
      expressionDepth--;
    }
  }

  private Expr parseCondexpr() {
    int line = cur().line;
    Expr expr1 = parseOr();
    while (skipName("if")) {
      Expr test = parseOr();
      Expr expr3 = null;
      if (skipName("else")) expr3 = parseCondexpr();
      expr1 = new Nodes.CondExpr(line, test, expr1, expr3);
      line = cur().line;
    }
    return expr1;
  }

  private Expr parseOr() {
    int line = cur().line;
    Expr left = parseAnd();
    while (skipName("or")) left = new Nodes.Or(line, left, parseAnd());
    return left;
  }

  private Expr parseAnd() {
    int line = cur().line;
    Expr left = parseNot();
    while (skipName("and")) left = new Nodes.And(line, left, parseNot());
    return left;
  }

  private Expr parseNot() {
    int line = cur().line;
    if (skipName("not")) return new Nodes.Not(line, parseNot());
    return parseCompare();
  }

  private Expr parseCompare() {
    int line = cur().line;
    Expr expr = parseMath1();
    List<String> ops = null; // most expressions compare nothing: no lists for them
    List<Expr> rest = null;
    while (true) {
      Token t = cur();
      String op;
      if (t.type == Lexer.OP && isCompareOp(t.text)) {
        p++;
        op = t.text;
      } else if (isName("in")) {
        p++;
        op = "in";
      } else if (isName("not") && peek(1).isName("in")) {
        p += 2;
        op = "notin";
      } else {
        break;
      }
      if (ops == null) {
        ops = new ArrayList<>(2);
        rest = new ArrayList<>(2);
      }
      ops.add(op);
      rest.add(parseMath1());
    }
    if (ops == null) return expr;
    return new Nodes.Compare(line, expr, ops.toArray(new String[0]), rest.toArray(new Expr[0]));
  }

  private Expr parseMath1() {
    int line = cur().line;
    Expr left = parseConcat();
    while (isOp("+") || isOp("-")) {
      String op = next().text;
      left = new Nodes.BinOp(line, op, left, parseConcat());
    }
    return left;
  }

  private Expr parseConcat() {
    int line = cur().line;
    Expr first = parseMath2();
    if (!skipOp("~")) return first;
    List<Expr> args = new ArrayList<>();
    args.add(first);
    do args.add(parseMath2()); while (skipOp("~"));
    return new Nodes.Concat(line, args.toArray(new Expr[0]));
  }

  private Expr parseMath2() {
    int line = cur().line;
    Expr left = parsePow();
    while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
      String op = next().text;
      left = new Nodes.BinOp(line, op, left, parsePow());
    }
    return left;
  }

  private Expr parsePow() {
    int line = cur().line;
    Expr left = parseUnary(true);
    while (skipOp("**")) left = new Nodes.BinOp(line, "**", left, parseUnary(true));
    return left;
  }

  private Expr parseUnary(boolean withFilter) {
    int line = cur().line;
    Expr node;
    if (skipOp("-")) node = new Nodes.Neg(line, parseUnary(false));
    else if (skipOp("+")) node = new Nodes.Pos(line, parseUnary(false));
    else node = parsePrimary();
    node = parsePostfix(node);
    if (withFilter) node = parseFilterExpr(node);
    return node;
  }

  private Expr parsePrimary() {
    Token t = cur();
    int line = t.line;
    switch (t.type) {
      case Lexer.NAME: {
        p++;
        switch (t.text) {
          case "true": case "True": return new Nodes.Const(line, Boolean.TRUE);
          case "false": case "False": return new Nodes.Const(line, Boolean.FALSE);
          case "none": case "None": return new Nodes.Const(line, null);
          default:
            for (Set<String> refs : refStack) refs.add(t.text);
            return new Nodes.Name(line, t.text);
        }
      }
      case Lexer.STRING: {
        p++;
        StringBuilder sb = new StringBuilder(t.text);
        while (cur().type == Lexer.STRING) sb.append(next().text);
        return new Nodes.Const(line, sb.toString());
      }
      case Lexer.INT:
      case Lexer.FLOAT:
        p++;
        return new Nodes.Const(line, t.value);
      case Lexer.OP:
        if (t.text.equals("(")) {
          p++;
          Expr e = parseTuple(false, true, null, true);
          expectOp(")");
          return e;
        }
        if (t.text.equals("[")) return parseList();
        if (t.text.equals("{")) return parseDict();
        throw fail("unexpected " + t.describe());
      default:
        throw fail("unexpected " + t.describe());
    }
  }

  private boolean isTupleEnd(Set<String> extraEnd) {
    Token t = cur();
    if (t.type == Lexer.VAR_END || t.type == Lexer.BLOCK_END || t.type == Lexer.EOF) return true;
    if (t.isOp(")")) return true;
    return extraEnd != null && t.type == Lexer.NAME && extraEnd.contains(t.text);
  }

  Expr parseTuple(boolean simplified, boolean withCondexpr, Set<String> extraEnd, boolean explicitParens) {
    int line = cur().line;
    List<Expr> args = new ArrayList<>();
    boolean isTuple = false;
    while (true) {
      if (!args.isEmpty()) expectOp(",");
      if (isTupleEnd(extraEnd)) break;
      args.add(simplified ? parsePrimary() : parseExpression(withCondexpr));
      if (isOp(",")) isTuple = true;
      else break;
    }
    if (!isTuple) {
      if (!args.isEmpty()) return args.get(0);
      if (!explicitParens) throw fail("Expected an expression, got " + cur().describe());
    }
    return tupleNode(line, args);
  }

  private Expr tupleNode(int line, List<Expr> items) {
    boolean allConst = items.stream().allMatch(e -> e instanceof Nodes.Const);
    if (allConst) {
      Object[] vals = new Object[items.size()];
      for (int i = 0; i < vals.length; i++) vals[i] = ((Nodes.Const) items.get(i)).value;
      Nodes.TupleLit lit = new Nodes.TupleLit(line, items.toArray(new Expr[0]));
      return lit;
    }
    return new Nodes.TupleLit(line, items.toArray(new Expr[0]));
  }

  private Expr parseList() {
    int line = expectOp("[").line;
    List<Expr> items = new ArrayList<>();
    while (!isOp("]")) {
      if (!items.isEmpty()) expectOp(",");
      if (isOp("]")) break;
      items.add(parseExpression(true));
    }
    expectOp("]");
    return new Nodes.ListLit(line, items.toArray(new Expr[0]));
  }

  private Expr parseDict() {
    int line = expectOp("{").line;
    List<Expr> keys = new ArrayList<>();
    List<Expr> values = new ArrayList<>();
    while (!isOp("}")) {
      if (!keys.isEmpty()) expectOp(",");
      if (isOp("}")) break;
      keys.add(parseExpression(true));
      expectOp(":");
      values.add(parseExpression(true));
    }
    expectOp("}");
    return new Nodes.DictLit(line, keys.toArray(new Expr[0]), values.toArray(new Expr[0]));
  }

  private Expr parsePostfix(Expr node) {
    while (true) {
      if (isOp(".") || isOp("[")) node = parseSubscript(node);
      else if (isOp("(")) node = new Nodes.Call(cur().line, node, parseCallArgs());
      else return node;
    }
  }

  private Expr parseFilterExpr(Expr node) {
    while (true) {
      if (isOp("|")) node = parseFilterChain(node, false);
      else if (isName("is")) node = parseTest(node);
      else if (isOp("(")) node = new Nodes.Call(cur().line, node, parseCallArgs());
      else return node;
    }
  }

  private Expr parseSubscript(Expr node) {
    Token t = next();
    int line = t.line;
    if (t.text.equals(".")) {
      Token a = next();
      if (a.type == Lexer.NAME) return new Nodes.Getattr(line, node, a.text);
      if (a.type == Lexer.INT) return new Nodes.Getitem(line, node, new Nodes.Const(line, a.value));
      throw fail("expected name or number", line);
    }
    // '['
    List<Expr> keys = new ArrayList<>();
    Expr slice = null;
    while (!isOp("]")) {
      if (!keys.isEmpty() || slice != null) expectOp(",");
      Expr[] s = parseSubscribed();
      if (s.length == 1) keys.add(s[0]);
      else {
        if (!keys.isEmpty()) throw fail("unsupported multi-dimensional slice");
        slice = new Nodes.Slice(line, node, s[0], s[1], s[2]);
      }
    }
    expectOp("]");
    if (slice != null) return slice;
    if (keys.isEmpty()) throw fail("expected subscript", line);
    Expr key = keys.size() == 1 ? keys.get(0) : tupleNode(line, keys);
    return new Nodes.Getitem(line, node, key);
  }

  private Expr[] parseSubscribed() {
    Expr start = null;
    if (isOp(":")) {
      p++;
    } else {
      Expr e = parseExpression(true);
      if (!isOp(":")) return new Expr[] {e};
      p++;
      start = e;
    }
    Expr stop = null, step = null;
    if (!isOp("]") && !isOp(",") && !isOp(":")) stop = parseExpression(true);
    if (skipOp(":")) {
      if (!isOp("]") && !isOp(",")) step = parseExpression(true);
    }
    return new Expr[] {start, stop, step};
  }

  private Args parseCallArgs() {
    expectOp("(");
    List<Expr> args = new ArrayList<>();
    List<String> kwNames = new ArrayList<>();
    List<Expr> kwValues = new ArrayList<>();
    Expr star = null, dstar = null;
    boolean first = true;
    while (!isOp(")")) {
      if (!first) {
        expectOp(",");
        if (isOp(")")) break;
      }
      first = false;
      if (skipOp("*")) {
        star = parseExpression(true);
      } else if (skipOp("**")) {
        dstar = parseExpression(true);
      } else if (cur().type == Lexer.NAME && peek(1).isOp("=")) {
        kwNames.add(next().text);
        p++;
        kwValues.add(parseExpression(true));
      } else {
        if (!kwNames.isEmpty()) throw fail("positional argument follows keyword argument");
        args.add(parseExpression(true));
      }
    }
    p++;
    if (args.isEmpty() && kwNames.isEmpty() && star == null && dstar == null) return Args.EMPTY;
    return new Args(args.toArray(new Expr[0]), kwNames.toArray(new String[0]), kwValues.toArray(new Expr[0]), star, dstar);
  }

  private String dottedName() {
    StringBuilder sb = new StringBuilder(expectName());
    while (isOp(".") && peek(1).type == Lexer.NAME) {
      p++;
      sb.append('.').append(next().text);
    }
    return sb.toString();
  }

  /** Parses "|f(args)|g..." applied to node (null = placeholder for filter blocks). */
  private Nodes.Filter parseFilterChain(Expr node, boolean startInline) {
    Nodes.Filter result = null;
    Expr target = node;
    boolean first = startInline;
    while (first || isOp("|")) {
      int line = first ? cur().line : next().line;
      first = false;
      String fname = dottedName();
      JinjaFilter f = env.filter(fname);
      if (f == null) throw fail("No filter named '" + fname + "'.", line);
      Args args = isOp("(") ? parseCallArgs() : Args.EMPTY;
      result = new Nodes.Filter(line, target, fname, f, args);
      target = result;
    }
    return result;
  }

  private Expr parseTest(Expr node) {
    int line = next().line;
    boolean negated = skipName("not");
    String tname = dottedName();
    JinjaTest t = env.test(tname);
    if (t == null) throw fail("No test named '" + tname + "'.", line);
    Args args = Args.EMPTY;
    Token c = cur();
    if (isOp("(")) {
      args = parseCallArgs();
    } else if ((c.type == Lexer.NAME || c.type == Lexer.STRING || c.type == Lexer.INT || c.type == Lexer.FLOAT || c.isOp("[") || c.isOp("{"))
        && !(c.isName("else") || c.isName("or") || c.isName("and"))) {
      if (c.isName("is")) throw fail("You cannot chain multiple tests with is");
      Expr arg = parsePostfix(parsePrimary());
      args = new Args(new Expr[] {arg}, new String[0], new Expr[0], null, null);
    }
    return new Nodes.Test(line, node, tname, t, args, negated);
  }
}
