package dev.weir.jinja;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An immutable AST node. Tools can walk the tree with {@link #children()} and identify nodes with {@link #kind()}:
 * statements ({@code Template, Data, Output, If, For, Set, SetBlock, Macro, CallBlock, FilterBlock, With, Do, Break,
 * Continue, CustomBlock}) and expressions ({@code Const, Name, Getattr, Getitem, Slice, Call, Filter, Test, BinOp,
 * Compare, And, Or, Not, Neg, Pos, CondExpr, List, Tuple, Dict, Concat}). {@link #describe()} gives a short detail
 * (a name, an operator, a literal).
 */
public abstract class Node {
  final int line;

  Node(int line) { this.line = line; }

  /** 1-based source line. */
  public int line() { return line; }

  /** Node kind, e.g. "Call", "For", "Name". */
  public String kind() { return getClass().getSimpleName(); }

  /** Short detail for tools (name, operator, ...). Empty when not applicable. */
  public String describe() { return ""; }

  /** Direct child nodes in source order. */
  public List<Node> children() { return Collections.emptyList(); }

  static List<Node> kids(Object... parts) {
    List<Node> out = new ArrayList<>();
    for (Object p : parts) add(out, p);
    return out;
  }

  private static void add(List<Node> out, Object p) {
    if (p == null) return;
    if (p instanceof Node n) out.add(n);
    else if (p instanceof Object[] arr) for (Object o : arr) add(out, o);
    else if (p instanceof List<?> l) for (Object o : l) add(out, o);
  }

  @Override public String toString() {
    String d = describe();
    return kind() + (d.isEmpty() ? "" : "(" + d + ")") + "@" + line;
  }
}
