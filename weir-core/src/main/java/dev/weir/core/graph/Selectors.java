package dev.weir.core.graph;

import dev.weir.core.WeirException;
import dev.weir.core.graph.SelectionSpec.Criteria;
import dev.weir.core.graph.SelectionSpec.Difference;
import dev.weir.core.graph.SelectionSpec.Intersection;
import dev.weir.core.graph.SelectionSpec.Union;
import dev.weir.core.util.Suggest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The named selectors of a project's {@code selectors.yml}:
 * <pre>
 * selectors:
 *   - name: nightly
 *     description: ...
 *     default: true
 *     definition: ...   # a CLI string, {method: value}, a full {method, value, children, ...} map,
 *                       # {union: [...]}, {intersection: [...]}; {exclude: [...]} inside either
 * </pre>
 * {@code method: selector, value: other} refers to another selector (cycles are an error).
 * Definitions are parsed (and references checked) eagerly; method names are checked when a
 * selection is evaluated, since methods can be registered late.
 */
public final class Selectors {
  private static final String FILE = "selectors.yml";
  private static final Set<String> SELECTOR_KEYS = Set.of("name", "description", "default", "definition");
  private static final Set<String> CRITERIA_KEYS = Set.of("method", "value", "children", "parents",
      "children_depth", "parents_depth", "childrens_parents", "indirect_selection", "greedy");

  /** One named selector. */
  public record Definition(String name, String description, boolean isDefault, SelectionSpec spec) {}

  private final Map<String, Definition> byName;
  private final String defaultName;

  private Selectors(Map<String, Definition> byName, String defaultName) {
    this.byName = byName;
    this.defaultName = defaultName;
  }

  public static Selectors empty() { return new Selectors(Map.of(), null); }

  /** Parses selectors.yml text (SnakeYAML, safe constructor). Empty text: no selectors. */
  public static Selectors parseYaml(String text) {
    Object doc;
    try {
      doc = new org.yaml.snakeyaml.Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (RuntimeException e) {
      throw new WeirException(WeirException.Kind.PROJECT, FILE, 0, "Could not parse " + FILE + ": " + e.getMessage(), e);
    }
    if (doc == null) return empty();
    if (!(doc instanceof Map<?, ?> m)) throw error("the file must be a mapping with a 'selectors' list");
    return parse(m);
  }

  /** Parses the already-loaded YAML document (the top-level mapping). */
  public static Selectors parse(Map<?, ?> document) {
    if (document == null) return empty();
    Object list = document.get("selectors");
    if (list == null) return empty();
    if (!(list instanceof List<?> items)) throw error("'selectors' must be a list");
    Map<String, Definition> byName = new LinkedHashMap<>();
    List<String> defaults = new ArrayList<>();
    int i = 0;
    for (Object item : items) {
      i++;
      if (!(item instanceof Map<?, ?> sel)) throw error("selector #" + i + " must be a mapping with 'name' and 'definition'");
      Object name = sel.get("name");
      if (!(name instanceof String n) || n.isBlank()) throw error("selector #" + i + " has no 'name'");
      for (Object k : sel.keySet()) {
        if (!SELECTOR_KEYS.contains(String.valueOf(k))) {
          throw error("selector '" + n + "': unknown key '" + k + "'." + Suggest.didYouMean(String.valueOf(k), SELECTOR_KEYS));
        }
      }
      if (byName.containsKey(n)) throw error("two selectors are named '" + n + "'");
      if (!sel.containsKey("definition") || sel.get("definition") == null) throw error("selector '" + n + "' has no 'definition'");
      SelectionSpec spec;
      try {
        spec = parseDefinition(sel.get("definition"));
      } catch (WeirException e) {
        throw error("selector '" + n + "': " + e.getMessage());
      }
      boolean isDefault = truthy(sel.get("default"), n);
      if (isDefault) defaults.add(n);
      Object desc = sel.get("description");
      byName.put(n, new Definition(n, desc == null ? "" : desc.toString(), isDefault, spec));
    }
    if (defaults.size() > 1) {
      throw error("more than one selector is marked 'default: true': " + String.join(", ", defaults));
    }
    Selectors s = new Selectors(Collections.unmodifiableMap(byName), defaults.isEmpty() ? null : defaults.get(0));
    for (String n : byName.keySet()) s.checkReferences(n, new ArrayDeque<>());
    return s;
  }

  /** The selector marked {@code default: true}, used when no --select/--exclude/--selector is given. */
  public Optional<String> defaultSelector() { return Optional.ofNullable(defaultName); }

  /** Selector names in file order. */
  public Set<String> names() { return byName.keySet(); }

  public boolean contains(String name) { return byName.containsKey(name); }

  /** The definition, or a USAGE error suggesting the closest name. */
  public Definition get(String name) {
    Definition d = byName.get(name);
    if (d == null) {
      String hint = byName.isEmpty() ? " No selectors are defined in " + FILE + "."
          : Suggest.didYouMean(name, byName.keySet());
      throw WeirException.usage("Could not find selector named '" + name + "'." + hint);
    }
    return d;
  }

  /** The parsed selection of {@code name}. */
  public SelectionSpec spec(String name) { return get(name).spec(); }

  // ------------------------------------------------------------------ definitions

  /** Parses one definition (or one element of a union/intersection). */
  static SelectionSpec parseDefinition(Object def) {
    if (def instanceof String s) {
      SelectionSpec spec = SelectionSpec.parse(s);
      if (spec instanceof Union u && u.parts().isEmpty()) throw WeirException.usage("empty selector string");
      return spec;
    }
    if (def instanceof List<?> l) return combine(l, true, "a list");
    if (!(def instanceof Map<?, ?> m)) throw WeirException.usage("a definition must be a string or a mapping, not " + describe(def));
    if (m.containsKey("union") || m.containsKey("intersection")) {
      if (m.size() != 1) throw WeirException.usage("'union' and 'intersection' must be the only key of their mapping, found " + m.keySet());
      boolean union = m.containsKey("union");
      Object items = m.get(union ? "union" : "intersection");
      if (!(items instanceof List<?> l)) throw WeirException.usage("'" + (union ? "union" : "intersection") + "' must be a list");
      return combine(l, union, union ? "union" : "intersection");
    }
    if (m.containsKey("exclude")) {
      throw WeirException.usage("'exclude' can only appear as an element of a 'union' or 'intersection' list");
    }
    if (m.containsKey("method")) return fullCriteria(m);
    if (m.size() == 1) {
      // key-value form: {tag: nightly}
      Map.Entry<?, ?> e = m.entrySet().iterator().next();
      return criteria(String.valueOf(e.getKey()), scalar(e.getValue(), "value"), false, false, -1, false, -1, null);
    }
    throw WeirException.usage("cannot read definition " + m + ": expected 'method' and 'value', or a single 'method: value' pair");
  }

  private static SelectionSpec combine(List<?> items, boolean union, String what) {
    List<SelectionSpec> include = new ArrayList<>();
    SelectionSpec exclude = null;
    for (Object item : items) {
      if (item instanceof Map<?, ?> m && m.containsKey("exclude")) {
        if (m.size() != 1) throw WeirException.usage("'exclude' must be the only key of its mapping, found " + m.keySet());
        if (exclude != null) throw WeirException.usage("only one 'exclude' is allowed in a " + what);
        Object ex = m.get("exclude");
        if (!(ex instanceof List<?> el)) throw WeirException.usage("'exclude' must be a list");
        exclude = combine(el, true, "exclude");
      } else {
        include.add(parseDefinition(item));
      }
    }
    if (include.isEmpty()) throw WeirException.usage("a " + what + " needs at least one element besides 'exclude'");
    SelectionSpec base = union ? new Union(include, null) : new Intersection(include, null);
    return exclude == null ? base : new Difference(base, exclude);
  }

  private static Criteria fullCriteria(Map<?, ?> m) {
    for (Object k : m.keySet()) {
      if (!CRITERIA_KEYS.contains(String.valueOf(k))) {
        throw WeirException.usage("unknown key '" + k + "' in " + m + "." + Suggest.didYouMean(String.valueOf(k), CRITERIA_KEYS));
      }
    }
    String method = scalar(m.get("method"), "method");
    if (!m.containsKey("value")) throw WeirException.usage("'" + method + "' criteria has no 'value'");
    String value = scalar(m.get("value"), "value");
    int pDepth = depth(m.get("parents_depth"), "parents_depth");
    int cDepth = depth(m.get("children_depth"), "children_depth");
    boolean parents = flag(m.get("parents"), "parents") || pDepth >= 0;
    boolean children = flag(m.get("children"), "children") || cDepth >= 0;
    boolean at = flag(m.get("childrens_parents"), "childrens_parents");
    IndirectSelection mode = null;
    if (m.get("indirect_selection") != null) {
      mode = IndirectSelection.parse(String.valueOf(m.get("indirect_selection")));
    } else if (m.get("greedy") != null) {
      mode = flag(m.get("greedy"), "greedy") ? IndirectSelection.EAGER : IndirectSelection.CAUTIOUS;
    }
    return criteria(method, value, at, parents, pDepth, children, cDepth, mode);
  }

  private static Criteria criteria(String method, String value, boolean at, boolean parents, int pDepth,
                                   boolean children, int cDepth, IndirectSelection mode) {
    String[] pieces = method.split("\\.", -1);
    for (String p : pieces) {
      if (!p.matches("\\w+")) throw WeirException.usage("bad method name '" + method + "'");
    }
    StringBuilder raw = new StringBuilder();
    if (at) raw.append('@');
    if (parents) raw.append(pDepth >= 0 ? pDepth : "").append('+');
    raw.append(method).append(':').append(value);
    if (children) raw.append('+').append(cDepth >= 0 ? cDepth : "");
    return new Criteria(raw.toString(), pieces[0], List.of(pieces).subList(1, pieces.length), value,
        at, parents, pDepth, children, cDepth, mode);
  }

  private static String scalar(Object v, String key) {
    if (v == null || v instanceof Map<?, ?> || v instanceof List<?>) {
      throw WeirException.usage("'" + key + "' must be a plain value, not " + describe(v));
    }
    return v.toString();
  }

  private static boolean flag(Object v, String key) {
    if (v == null) return false;
    if (v instanceof Boolean b) return b;
    String s = v.toString().trim();
    if (s.equalsIgnoreCase("true")) return true;
    if (s.equalsIgnoreCase("false")) return false;
    throw WeirException.usage("'" + key + "' must be true or false, not '" + v + "'");
  }

  private static int depth(Object v, String key) {
    if (v == null) return -1;
    try {
      int d = v instanceof Number n ? n.intValue() : Integer.parseInt(v.toString().trim());
      if (d < 0) throw new NumberFormatException();
      return d;
    } catch (NumberFormatException e) {
      throw WeirException.usage("'" + key + "' must be a non-negative whole number, not '" + v + "'");
    }
  }

  private static boolean truthy(Object v, String name) {
    try {
      return flag(v, "default");
    } catch (WeirException e) {
      throw error("selector '" + name + "': " + e.getMessage() + " (render Jinja in 'default' before parsing)");
    }
  }

  private static String describe(Object v) {
    if (v == null) return "nothing";
    if (v instanceof Map<?, ?>) return "a mapping";
    if (v instanceof List<?>) return "a list";
    return "'" + v + "'";
  }

  private static WeirException error(String msg) {
    return WeirException.project(FILE, 0, msg);
  }

  // ------------------------------------------------------------------ references

  private void checkReferences(String name, Deque<String> stack) {
    if (stack.contains(name)) {
      List<String> path = new ArrayList<>(stack);
      Collections.reverse(path);
      path = path.subList(path.indexOf(name), path.size());
      throw error("selectors refer to each other in a cycle: " + String.join(" --> ", path) + " --> " + name);
    }
    stack.push(name);
    for (String ref : references(byName.get(name).spec(), new LinkedHashSet<>())) {
      if (!byName.containsKey(ref)) {
        throw error("selector '" + name + "' refers to an unknown selector '" + ref + "'." + Suggest.didYouMean(ref, byName.keySet()));
      }
      checkReferences(ref, stack);
    }
    stack.pop();
  }

  static Set<String> references(SelectionSpec spec, Set<String> out) {
    if (spec instanceof Criteria c) {
      if ("selector".equals(c.method())) out.add(c.value());
    } else if (spec instanceof Union u) {
      for (SelectionSpec p : u.parts()) references(p, out);
    } else if (spec instanceof Intersection i) {
      for (SelectionSpec p : i.parts()) references(p, out);
    } else if (spec instanceof Difference d) {
      references(d.include(), out);
      references(d.exclude(), out);
    }
    return out;
  }
}
