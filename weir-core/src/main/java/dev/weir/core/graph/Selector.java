package dev.weir.core.graph;

import dev.weir.core.WeirException;
import dev.weir.core.graph.SelectionSpec.All;
import dev.weir.core.graph.SelectionSpec.Criteria;
import dev.weir.core.graph.SelectionSpec.Difference;
import dev.weir.core.graph.SelectionSpec.Intersection;
import dev.weir.core.graph.SelectionSpec.Union;
import dev.weir.core.project.ResourceType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Evaluates node selection the way dbt does.
 *
 * <h2>Algorithm</h2>
 * Every atom ({@link Criteria}) selects nodes by its method, adds its graph operators' neighbours,
 * and then expands to tests: each test that is a child of a selected node and not selected itself
 * is added ("direct") or remembered as a candidate ("indirect") according to the indirect-selection
 * mode (see {@link IndirectSelection}). Unions and intersections combine the direct sets, and the
 * direct-or-indirect sets, then re-check the candidates (cautious: all parents now selected;
 * buildable: all parents selected or upstream of the selection). Tests a method selects directly
 * are always kept. The result is the top-level direct set.
 *
 * <h2>Exclusion</h2>
 * dbt documents that "test exclusion is always greedy: if ANY parent is explicitly excluded, the
 * test will be excluded as well". So whatever the mode, {@code --exclude} (and {@code exclude:} in
 * selectors.yml) is evaluated in eager mode: excluding a model also excludes every test that
 * depends on it, relationships tests to other models included. A YAML criteria inside an exclude
 * that sets {@code indirect_selection} explicitly keeps its own mode. Exclusion is applied after
 * indirect selection, so an excluded test never comes back through its parents.
 *
 * <h2>Defaults</h2>
 * A request with no select, exclude or selector selects every node of the graph (dbt's default
 * {@code fqn:*} plus sources, exposures and unit tests): the caller keeps the resource types its
 * command handles. A bare value is a {@code path:} if it contains a slash or names a folder under
 * the project root, a {@code file:} if it ends in .sql/.py/.csv/.yml/.yaml (dbt's rule: a bare
 * {@code orders.sql} is a file name, not a path from the project root), else an {@code fqn:}.
 */
public final class Selector {
  private final SelectorMethods methods;

  public Selector() { this(SelectorMethods.defaults()); }

  public Selector(SelectorMethods methods) { this.methods = methods; }

  /**
   * The outcome of a selection.
   *
   * @param selected unique ids, iterating in topological order (ties by unique id)
   * @param unmatched CLI or selectors.yml parts that selected nothing (dbt warns "The selection
   *     criterion '...' does not match any enabled nodes")
   */
  public record Result(Set<String> selected, List<String> unmatched) {}

  /** Selects with the built-in methods. */
  public static Set<String> select(Graph graph, SelectionRequest request) {
    return new Selector().run(graph, request).selected();
  }

  /** Selects; see the class comment for the semantics. */
  public Result run(Graph graph, SelectionRequest request) {
    Eval ev = new Eval(graph, request);
    Sets r = ev.eval(specFor(request), request.indirectSelection(), false);
    return new Result(graph.toIds(graph.inTopoOrder(r.direct)), Collections.unmodifiableList(ev.unmatched));
  }

  /** Evaluates a spec built elsewhere (e.g. a selector definition), with the request's settings. */
  public Set<String> evaluate(Graph graph, SelectionSpec spec, SelectionRequest request) {
    Eval ev = new Eval(graph, request);
    return graph.toIds(graph.inTopoOrder(ev.eval(spec, request.indirectSelection(), false).direct));
  }

  /** The spec a request stands for: its selector's definition, or select minus exclude. */
  public static SelectionSpec specFor(SelectionRequest request) {
    if (request.selector() != null) return request.selectors().spec(request.selector());
    SelectionSpec include = SelectionSpec.parseArgs(request.select());
    SelectionSpec exclude = SelectionSpec.parseArgs(request.exclude());
    if (include == null) include = new All();
    return exclude == null ? include : new Difference(include, exclude);
  }

  /** The method a bare value stands for (see the class comment). */
  public static String defaultMethod(String value, Path projectRoot) {
    if (value.indexOf('/') >= 0 || value.indexOf('\\') >= 0) return "path";
    String lower = value.toLowerCase(Locale.ROOT);
    for (String ext : List.of(".sql", ".py", ".csv", ".yml", ".yaml")) if (lower.endsWith(ext)) return "file";
    if (projectRoot != null && !Glob.hasWildcard(value) && !value.equals(".") && !value.equals("..")) {
      try {
        if (Files.isDirectory(projectRoot.resolve(value))) return "path";
      } catch (RuntimeException ignored) {
        // not a valid path: fall through to fqn
      }
    }
    return "fqn";
  }

  // ------------------------------------------------------------------ evaluation

  /** direct: selected; all: selected or candidate tests (direct is a subset of all). */
  private record Sets(BitSet direct, BitSet all) {}

  private final class Eval {
    final Graph g;
    final SelectionRequest req;
    final SelectorMethod.Context ctx;
    final BitSet sources;
    final List<String> unmatched = new ArrayList<>();
    final Deque<String> selectorStack = new ArrayDeque<>();

    Eval(Graph g, SelectionRequest req) {
      this.g = g;
      this.req = req;
      this.ctx = new SelectorMethod.Context(g, req.projectRoot());
      this.sources = new BitSet(g.size());
      for (int i = 0; i < g.size(); i++) if (g.nodeAt(i).resourceType == ResourceType.SOURCE) sources.set(i);
    }

    Sets eval(SelectionSpec spec, IndirectSelection mode, boolean excluding) {
      Sets out;
      if (spec instanceof Criteria c) {
        out = criteria(c, mode, excluding);
      } else if (spec instanceof Union u) {
        BitSet direct = new BitSet(), all = new BitSet();
        for (SelectionSpec p : u.parts()) {
          Sets s = eval(p, mode, excluding);
          direct.or(s.direct);
          all.or(s.all);
        }
        out = new Sets(incorporate(direct, all, mode), all);
      } else if (spec instanceof Intersection i) {
        BitSet direct = null, all = null;
        for (SelectionSpec p : i.parts()) {
          Sets s = eval(p, mode, excluding);
          if (direct == null) { direct = (BitSet) s.direct.clone(); all = (BitSet) s.all.clone(); }
          else { direct.and(s.direct); all.and(s.all); }
        }
        if (direct == null) { direct = new BitSet(); all = new BitSet(); }
        out = new Sets(incorporate(direct, all, mode), all);
      } else if (spec instanceof Difference d) {
        Sets inc = eval(d.include(), mode, excluding);
        Sets exc = eval(d.exclude(), IndirectSelection.EAGER, true);
        BitSet direct = (BitSet) inc.direct.clone();
        direct.andNot(exc.direct);
        BitSet all = (BitSet) inc.all.clone();
        all.andNot(exc.all);
        out = new Sets(incorporate(direct, all, mode), all);
      } else if (spec instanceof All) {
        BitSet every = new BitSet(g.size());
        every.set(0, g.size());
        out = new Sets(every, every);
      } else {
        throw new IllegalStateException("unknown spec " + spec);
      }
      if (!excluding && spec instanceof Intersection i && i.raw() != null && out.direct.isEmpty()) {
        unmatched.add(i.raw());
      }
      return out;
    }

    Sets criteria(Criteria c, IndirectSelection inherited, boolean excluding) {
      IndirectSelection mode = c.indirectSelection() != null ? c.indirectSelection() : inherited;
      BitSet collected;
      if ("selector".equals(c.method())) {
        collected = selectorRef(c.value(), mode, excluding);
      } else {
        String method = c.method() != null ? c.method() : defaultMethod(c.value(), req.projectRoot());
        SelectorMethod m = methods.require(method, c.raw());
        if (!c.arguments().isEmpty() && !m.takesArguments()) {
          throw WeirException.usage("The selection method '" + method + "' takes no arguments, but '" + c.raw()
              + "' gives it '" + String.join(".", c.arguments()) + "'");
        }
        if (m.takesArguments() && c.arguments().isEmpty() && method.equals("config")) {
          throw WeirException.usage("Invalid selector '" + c.raw() + "': use config.<key>:<value>, e.g. config.materialized:table");
        }
        Set<String> found = m.search(ctx, c.arguments(), c.value());
        collected = new BitSet(g.size());
        for (String id : found) {
          Integer i = g.indexOrNull(id);
          if (i != null) collected.set(i);
        }
      }
      BitSet selected = (BitSet) collected.clone();
      if (c.childrensParents()) {
        BitSet down = g.walk(collected, -1, true);
        down.or(collected);
        selected.or(down);
        selected.or(g.walk(down, -1, false));
      }
      if (c.parents()) selected.or(g.walk(collected, c.parentsDepth(), false));
      if (c.children()) selected.or(g.walk(collected, c.childrenDepth(), true));
      return expand(selected, mode);
    }

    BitSet selectorRef(String name, IndirectSelection mode, boolean excluding) {
      if (selectorStack.contains(name)) {
        throw WeirException.usage("Selector '" + name + "' refers to itself through " + String.join(" --> ", selectorStack));
      }
      SelectionSpec spec = req.selectors().spec(name);
      selectorStack.push(name);
      try {
        return eval(spec, mode, excluding).direct;
      } finally {
        selectorStack.pop();
      }
    }

    /** Adds the tests of {@code selected} by mode: chosen ones to direct, the others as candidates. */
    Sets expand(BitSet selected, IndirectSelection mode) {
      if (mode == IndirectSelection.EMPTY) return new Sets(selected, selected);
      BitSet direct = (BitSet) selected.clone();
      BitSet candidates = new BitSet(g.size());
      BitSet buildable = mode == IndirectSelection.BUILDABLE ? selectedAndUpstream(selected) : null;
      for (int v = selected.nextSetBit(0); v >= 0; v = selected.nextSetBit(v + 1)) {
        for (int k = 0; k < g.childCount(v); k++) {
          int t = g.childAt(v, k);
          if (!g.isTest(t) || direct.get(t) || candidates.get(t)) continue;
          if (mode == IndirectSelection.EAGER || parentsWithin(t, selected)
              || (buildable != null && parentsWithin(t, buildable))) {
            direct.set(t);
          } else {
            candidates.set(t);
          }
        }
      }
      BitSet all = (BitSet) direct.clone();
      all.or(candidates);
      return new Sets(direct, all);
    }

    /** Cautious/buildable: candidate tests whose parents are now all selected (or buildable) join. */
    BitSet incorporate(BitSet direct, BitSet all, IndirectSelection mode) {
      if (mode != IndirectSelection.CAUTIOUS && mode != IndirectSelection.BUILDABLE) return direct;
      BitSet candidates = (BitSet) all.clone();
      candidates.andNot(direct);
      if (candidates.isEmpty()) return direct;
      BitSet base = mode == IndirectSelection.CAUTIOUS ? direct : selectedAndUpstream(direct);
      BitSet out = (BitSet) direct.clone();
      for (int t = candidates.nextSetBit(0); t >= 0; t = candidates.nextSetBit(t + 1)) {
        if (g.isTest(t) && parentsWithin(t, base)) out.set(t);
      }
      return out;
    }

    /** dbt's "buildable" base: the selection, everything upstream of it, and every source. */
    BitSet selectedAndUpstream(BitSet selected) {
      BitSet b = g.walk(selected, -1, false);
      b.or(selected);
      b.or(sources);
      return b;
    }

    boolean parentsWithin(int t, BitSet set) {
      for (int k = 0; k < g.parentCount(t); k++) if (!set.get(g.parentAt(t, k))) return false;
      return true;
    }
  }
}
