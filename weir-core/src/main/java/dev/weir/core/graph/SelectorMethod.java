package dev.weir.core.graph;

import dev.weir.core.project.Node;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One selection method ({@code tag:}, {@code path:}, {@code state:} ...). Register implementations
 * by name in {@link SelectorMethods}; {@link Selector} calls {@link #search} for every atom that
 * names the method, then applies graph operators and indirect test selection itself.
 */
@FunctionalInterface
public interface SelectorMethod {

  /** What a method may look at besides its value. */
  record Context(Graph graph, Path projectRoot) {}

  /**
   * The unique ids of the nodes of {@code ctx.graph()} that {@code value} selects.
   *
   * @param arguments the dotted parts after the method name ({@code config.meta.owner:x} gives
   *     [meta, owner]); empty for most methods
   * @throws dev.weir.core.WeirException (USAGE) if the value or arguments are invalid
   */
  Set<String> search(Context ctx, List<String> arguments, String value);

  /** Whether the method takes dotted arguments ({@code config.materialized}); others reject them. */
  default boolean takesArguments() { return false; }

  /** A method that tests each node with a predicate built once from the arguments and value. */
  interface NodeMatcher {
    Predicate<Node> compile(Context ctx, List<String> arguments, String value);
  }

  /** A method from a per-node predicate. */
  static SelectorMethod matching(NodeMatcher matcher) {
    return (ctx, args, value) -> {
      Predicate<Node> p = matcher.compile(ctx, args, value);
      Set<String> out = new LinkedHashSet<>();
      for (Node n : ctx.graph().nodes()) if (p.test(n)) out.add(n.uniqueId);
      return out;
    };
  }

  /** The same method, accepting dotted arguments. */
  static SelectorMethod withArguments(SelectorMethod m) {
    return new SelectorMethod() {
      @Override public Set<String> search(Context ctx, List<String> arguments, String value) {
        return m.search(ctx, arguments, value);
      }

      @Override public boolean takesArguments() { return true; }
    };
  }
}
