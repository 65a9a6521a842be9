package dev.weir.core.graph;

import dev.weir.core.WeirException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed node selection: dbt's selection grammar as a tree. Build one from CLI strings with
 * {@link #parseArgs(List)} / {@link #parse(String)}, or from selectors.yml with {@link Selectors}.
 *
 * <p>CLI grammar (dbt 1.8+): each {@code --select} argument is split on whitespace into a union;
 * each part is split on commas into an intersection; each atom is
 * {@code [@][N+|+][method[.arg...]:]value[+|+N]}.
 */
public sealed interface SelectionSpec {

  /** One atom: a method (null: the default, decided from the value), its value and graph operators. */
  record Criteria(String raw, String method, List<String> arguments, String value,
                  boolean childrensParents, boolean parents, int parentsDepth,
                  boolean children, int childrenDepth, IndirectSelection indirectSelection)
      implements SelectionSpec {
    public Criteria {
      arguments = List.copyOf(arguments);
      if (value == null || value.isEmpty()) {
        throw WeirException.usage("Invalid selector '" + raw + "': it selects by an empty value");
      }
      if (childrensParents && parents) {
        throw WeirException.usage("Invalid selector '" + raw + "': the '@' and '+' prefixes cannot be combined");
      }
    }

    /** The method as written, with its arguments ("config.materialized"), or null for the default. */
    public String fullMethod() {
      if (method == null) return null;
      return arguments.isEmpty() ? method : method + "." + String.join(".", arguments);
    }

    /** This criteria with its indirect-selection mode replaced. */
    public Criteria withIndirectSelection(IndirectSelection mode) {
      return new Criteria(raw, method, arguments, value, childrensParents, parents, parentsDepth,
          children, childrenDepth, mode);
    }
  }

  /** Nodes selected by any part. */
  record Union(List<SelectionSpec> parts, String raw) implements SelectionSpec {
    public Union { parts = List.copyOf(parts); }
  }

  /** Nodes selected by every part. */
  record Intersection(List<SelectionSpec> parts, String raw) implements SelectionSpec {
    public Intersection { parts = List.copyOf(parts); }
  }

  /** Nodes of {@code include} that {@code exclude} does not select (tests of excluded nodes go too). */
  record Difference(SelectionSpec include, SelectionSpec exclude) implements SelectionSpec {}

  /** Every node of the graph: what dbt selects when no --select is given. */
  record All() implements SelectionSpec {}

  // ------------------------------------------------------------------ parsing

  Pattern ATOM = Pattern.compile(
      "\\A(?<at>@)?(?<parents>(?<pdepth>\\d*)\\+)?(?:(?<method>[\\w.]+):)?(?<value>.*?)(?<children>\\+(?<cdepth>\\d*))?\\z",
      Pattern.DOTALL);

  /** A whole {@code --select} or {@code --exclude} list: the union of its arguments; empty list: null. */
  static SelectionSpec parseArgs(List<String> args) {
    if (args == null || args.isEmpty()) return null;
    List<SelectionSpec> parts = new ArrayList<>();
    for (String a : args) {
      SelectionSpec s = parse(a);
      if (s instanceof Union u && u.raw() == null) parts.addAll(u.parts()); else parts.add(s);
    }
    if (parts.isEmpty()) return null;
    return new Union(parts, null);
  }

  /**
   * One {@code --select} argument: whitespace-separated parts (union) of comma-separated atoms
   * (intersection). Each part of the returned union carries its raw text, for "no nodes matched"
   * warnings.
   */
  static SelectionSpec parse(String arg) {
    if (arg == null) throw WeirException.usage("Invalid selector: null");
    List<SelectionSpec> parts = new ArrayList<>();
    for (String part : arg.trim().split("\\s+")) {
      if (part.isEmpty()) continue;
      List<SelectionSpec> atoms = new ArrayList<>();
      for (String atom : part.split(",", -1)) {
        if (atom.isEmpty()) {
          throw WeirException.usage("Invalid selector '" + part + "': empty element in a comma-separated intersection");
        }
        atoms.add(parseCriteria(atom));
      }
      parts.add(new Intersection(atoms, part));
    }
    return new Union(parts, null);
  }

  /** One atom, e.g. {@code 2+tag:nightly+}, {@code @my_model}, {@code config.materialized:table}. */
  static Criteria parseCriteria(String atom) {
    Matcher m = ATOM.matcher(atom);
    if (!m.matches()) throw WeirException.usage("Invalid selector '" + atom + "'");
    boolean parents = m.group("parents") != null;
    boolean children = m.group("children") != null;
    int pDepth = depth(m.group("pdepth"), atom);
    int cDepth = depth(m.group("cdepth"), atom);
    String method = m.group("method");
    List<String> args = List.of();
    if (method != null) {
      String[] pieces = method.split("\\.", -1);
      for (String p : pieces) {
        if (p.isEmpty()) throw WeirException.usage("Invalid selector '" + atom + "': bad method name '" + method + "'");
      }
      method = pieces[0];
      args = Arrays.asList(pieces).subList(1, pieces.length);
    }
    return new Criteria(atom, method, args, m.group("value"), m.group("at") != null,
        parents, pDepth, children, cDepth, null);
  }

  private static int depth(String digits, String atom) {
    if (digits == null || digits.isEmpty()) return -1;
    try {
      return Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      throw WeirException.usage("Invalid selector '" + atom + "': depth " + digits + " is too large");
    }
  }
}
