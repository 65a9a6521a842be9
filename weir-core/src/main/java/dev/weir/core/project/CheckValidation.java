package dev.weir.core.project;

import dev.weir.core.WeirException;
import dev.weir.core.render.MacroRegistry;
import dev.weir.core.util.Suggest;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Parse-time checks of generic tests declared in properties YAML, so that a typo fails
 * {@code weir parse} / {@code build} (exit 2) with the YAML file and line before anything runs:
 * <ul>
 *   <li>the test's macro {@code test_<name>} exists (project, packages or built-ins; {@code weir.}
 *       names the built-ins), with the closest name suggested otherwise;</li>
 *   <li>the arguments of Weir's built-in expectations (expectations.sql): known names only,
 *       numeric bounds with min &le; max, {@code mostly} in (0, 1], {@code p} in [0, 1], exactly one
 *       age unit, a regex that compiles;</li>
 *   <li>the tested column exists where the columns are known at parse time: a seed's CSV header, or
 *       a model with an enforced contract (its YAML columns are the full list).</li>
 * </ul>
 * Arguments that hold Jinja ({@code "{{ var('x') }}"}) are rendered only when the test compiles
 * and are not checked here.
 */
public final class CheckValidation {
  private CheckValidation() {}

  private static final Pattern IDENTIFIER = Pattern.compile("\"?[A-Za-z_][A-Za-z0-9_$]*\"?");

  /** What one built-in check accepts. */
  private record Spec(boolean column, Set<String> args) {}

  private static final Set<String> BOUNDS = Set.of("min_value", "max_value");
  private static final Set<String> AGES = Set.of("days", "hours", "minutes");

  private static final Map<String, Spec> CHECKS = Map.ofEntries(
      Map.entry("values_between", new Spec(true, Set.of("min_value", "max_value", "inclusive", "mostly"))),
      Map.entry("not_accepted_values", new Spec(true, Set.of("values", "quote", "mostly"))),
      Map.entry("matches_regex", new Spec(true, Set.of("regex", "mostly"))),
      Map.entry("not_matches_regex", new Spec(true, Set.of("regex", "mostly"))),
      Map.entry("length_between", new Spec(true, Set.of("min_length", "max_length", "inclusive", "mostly"))),
      Map.entry("not_in_future", new Spec(true, Set.of("mostly"))),
      Map.entry("not_older_than", new Spec(true, Set.of("days", "hours", "minutes", "mostly"))),
      Map.entry("expression_is_true", new Spec(false, Set.of("expression", "mostly"))),
      Map.entry("row_count_between", new Spec(false, BOUNDS)),
      Map.entry("null_fraction", new Spec(true, BOUNDS)),
      Map.entry("distinct_fraction", new Spec(true, BOUNDS)),
      Map.entry("min_between", new Spec(true, BOUNDS)),
      Map.entry("max_between", new Spec(true, BOUNDS)),
      Map.entry("mean_between", new Spec(true, BOUNDS)),
      Map.entry("stddev_between", new Spec(true, BOUNDS)),
      Map.entry("sum_between", new Spec(true, BOUNDS)),
      Map.entry("percentile_between", new Spec(true, Set.of("p", "min_value", "max_value"))),
      Map.entry("recency", new Spec(true, AGES)),
      Map.entry("unique_combination", new Spec(false, Set.of("columns"))),
      Map.entry("column_type", new Spec(true, Set.of("type"))));

  /** The names of Weir's built-in expectations (beyond dbt's four generic tests). */
  public static Set<String> expectationNames() { return new TreeSet<>(CHECKS.keySet()); }

  /** Checks every generic test in {@code tests}; {@code nodes} holds the nodes they attach to. */
  public static void validate(Collection<Node> tests, MacroRegistry macros, Map<String, Node> nodes) {
    Map<String, List<String>> columnsOf = new java.util.HashMap<>();
    for (Node t : tests) {
      if (t.testMetadata == null) continue;
      String pkg = resolve(t, macros);
      if (MacroRegistry.INTERNAL.equals(pkg) && CHECKS.containsKey(t.testMetadata.name())) checkArguments(t);
      Node attached = t.attachedNode == null ? null : nodes.get(t.attachedNode);
      if (attached == null) continue;
      if (!columnsOf.containsKey(attached.uniqueId)) columnsOf.put(attached.uniqueId, knownColumns(attached));
      checkColumns(t, attached, columnsOf.get(attached.uniqueId));
    }
  }

  /** The package whose test_ macro the test runs (as the compiler resolves it); fails when there is none. */
  private static String resolve(Node t, MacroRegistry macros) {
    Node.TestMetadata tm = t.testMetadata;
    String macro = "test_" + tm.name();
    Map<String, MacroDef> defs = macros.defs();
    List<String> order = new ArrayList<>();
    if (tm.namespace() != null) {
      order.add("weir".equals(tm.namespace()) ? MacroRegistry.INTERNAL : tm.namespace());
    } else {
      order.add(t.packageName);
      order.add(macros.rootPackage());
      order.add(MacroRegistry.INTERNAL);
    }
    for (String p : order) if (defs.containsKey("macro." + p + "." + macro)) return p;
    Set<String> names = new TreeSet<>();
    for (MacroDef d : defs.values()) {
      if (!d.name().startsWith("test_")) continue;
      String bare = d.name().substring(5);
      names.add(MacroRegistry.INTERNAL.equals(d.packageName()) || d.packageName().equals(macros.rootPackage())
          ? bare : d.packageName() + "." + bare);
    }
    String written = (tm.namespace() == null ? "" : tm.namespace() + ".") + tm.name();
    throw fail(t, "Unknown generic test '" + written + "': no macro '" + macro + "' in the project, its packages or"
        + " Weir's built-in tests." + Suggest.didYouMean(written, names));
  }

  // ------------------------------------------------------------------ arguments of built-in checks

  private static void checkArguments(Node t) {
    String name = t.testMetadata.name();
    Spec spec = CHECKS.get(name);
    Map<String, Object> kw = t.testMetadata.kwargs();
    Object column = kw.get("column_name");
    if (spec.column() && column == null) {
      throw fail(t, "Test '" + name + "' checks a column: declare it under a column (columns: - name: ... data_tests:)"
          + " or give column_name.");
    }
    if (!spec.column() && column != null && !name.equals("expression_is_true")) {
      throw fail(t, "Test '" + name + "' checks the whole relation: declare it under the model's data_tests, not a column's.");
    }
    for (String k : kw.keySet()) {
      if (k.equals("model") || k.equals("column_name") || spec.args().contains(k)) continue;
      throw fail(t, "Unknown argument '" + k + "' for test '" + name + "'; it takes "
          + String.join(", ", new TreeSet<>(spec.args())) + "." + Suggest.didYouMean(k, spec.args()));
    }
    if (kw.containsKey("mostly")) {
      Double m = number(t, kw, "mostly");
      if (m != null && !(m > 0 && m <= 1)) throw fail(t, "'mostly' of test '" + name + "' must be in (0, 1], got " + m);
    }
    switch (name) {
      case "values_between", "min_between", "max_between" -> datesOrBounds(t, kw, "min_value", "max_value");
      case "length_between" -> bounds(t, kw, "min_length", "max_length");
      case "row_count_between", "null_fraction", "distinct_fraction", "mean_between",
           "stddev_between", "sum_between" -> bounds(t, kw, "min_value", "max_value");
      case "percentile_between" -> {
        if (!kw.containsKey("p")) throw fail(t, "Test 'percentile_between' needs 'p' (the percentile, in [0, 1]).");
        Double p = number(t, kw, "p");
        if (p != null && (p < 0 || p > 1)) throw fail(t, "'p' of test 'percentile_between' must be in [0, 1], got " + p);
        bounds(t, kw, "min_value", "max_value");
      }
      case "not_older_than", "recency" -> {
        List<String> given = new ArrayList<>();
        for (String a : List.of("days", "hours", "minutes")) if (kw.get(a) != null) given.add(a);
        if (given.size() != 1) {
          throw fail(t, "Test '" + name + "' needs exactly one of days, hours or minutes"
              + (given.isEmpty() ? "." : ", got " + String.join(" and ", given) + "."));
        }
        Double v = number(t, kw, given.get(0));
        if (v != null && v <= 0) throw fail(t, "'" + given.get(0) + "' of test '" + name + "' must be positive, got " + v);
      }
      case "matches_regex", "not_matches_regex" -> {
        Object re = kw.get("regex");
        if (re == null) throw fail(t, "Test '" + name + "' needs 'regex'.");
        if (!jinja(re)) {
          try {
            Pattern.compile(String.valueOf(re));
          } catch (PatternSyntaxException e) {
            throw fail(t, "Invalid regex in test '" + name + "': " + e.getDescription() + " near index " + e.getIndex()
                + " of '" + re + "'");
          }
        }
      }
      case "not_accepted_values" -> {
        if (!(kw.get("values") instanceof List<?> l) || l.isEmpty()) {
          throw fail(t, "Test 'not_accepted_values' needs 'values': a non-empty list.");
        }
      }
      case "expression_is_true" -> {
        if (kw.get("expression") == null || String.valueOf(kw.get("expression")).isBlank()) {
          throw fail(t, "Test 'expression_is_true' needs 'expression'.");
        }
      }
      case "unique_combination" -> {
        if (!(kw.get("columns") instanceof List<?> l) || l.isEmpty()) {
          throw fail(t, "Test 'unique_combination' needs 'columns': a non-empty list of column names.");
        }
      }
      case "column_type" -> {
        if (kw.get("type") == null || String.valueOf(kw.get("type")).isBlank()) {
          throw fail(t, "Test 'column_type' needs 'type': a family (integer, numeric, string, date, timestamp, boolean)"
              + " or a type name.");
        }
      }
      default -> { }
    }
  }

  /** At least one of the two bounds, each a number, and lo &le; hi. */
  private static void bounds(Node t, Map<String, Object> kw, String lo, String hi) {
    String name = t.testMetadata.name();
    if (kw.get(lo) == null && kw.get(hi) == null) {
      throw fail(t, "Test '" + name + "' needs at least one of '" + lo + "' and '" + hi + "'.");
    }
    Double a = kw.get(lo) == null ? null : number(t, kw, lo);
    Double b = kw.get(hi) == null ? null : number(t, kw, hi);
    if (a != null && b != null && a > b) {
      throw fail(t, "Test '" + name + "': " + lo + " (" + kw.get(lo) + ") is greater than " + hi + " (" + kw.get(hi) + ").");
    }
  }

  /** Bounds that are both dates or timestamps (ISO text, compared in order), or else numbers as {@link #bounds}. */
  private static void datesOrBounds(Node t, Map<String, Object> kw, String lo, String hi) {
    java.time.LocalDateTime a = temporal(kw.get(lo));
    java.time.LocalDateTime b = temporal(kw.get(hi));
    boolean anyDate = a != null || b != null;
    if (!anyDate) {
      bounds(t, kw, lo, hi);
      return;
    }
    for (String k : List.of(lo, hi)) {
      Object v = kw.get(k);
      if (v != null && temporal(v) == null && !jinja(v)) {
        throw fail(t, "'" + k + "' of test '" + t.testMetadata.name() + "' must be a number or a date/timestamp "
            + "(YYYY-MM-DD[ HH:MM:SS]) like the other bound, got '" + v + "'");
      }
    }
    if (a != null && b != null && a.isAfter(b)) {
      throw fail(t, "Test '" + t.testMetadata.name() + "': " + lo + " (" + kw.get(lo) + ") is after " + hi + " (" + kw.get(hi) + ").");
    }
  }

  private static java.time.LocalDateTime temporal(Object v) {
    if (!(v instanceof String s)) return v instanceof java.time.LocalDate d ? d.atStartOfDay() : null;
    String x = s.strip().replace(' ', 'T');
    try {
      return x.contains("T") ? java.time.LocalDateTime.parse(x) : java.time.LocalDate.parse(x).atStartOfDay();
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  /** The argument as a number; null when it holds Jinja (rendered later); fails when it is not a number. */
  private static Double number(Node t, Map<String, Object> kw, String key) {
    Object v = kw.get(key);
    if (v instanceof Number n) return n.doubleValue();
    if (jinja(v)) return null;
    throw fail(t, "'" + key + "' of test '" + t.testMetadata.name() + "' must be a number, got "
        + (v == null ? "nothing" : "'" + v + "'"));
  }

  private static boolean jinja(Object v) {
    return v instanceof String s && (s.contains("{{") || s.contains("{%"));
  }

  // ------------------------------------------------------------------ columns known at parse time

  private static void checkColumns(Node t, Node attached, List<String> known) {
    if (known == null) return;
    Set<String> lower = new LinkedHashSet<>();
    for (String c : known) lower.add(c.toLowerCase(Locale.ROOT));
    List<String> wanted = new ArrayList<>();
    Object column = t.testMetadata.kwargs().get("column_name");
    if (column instanceof String c) wanted.add(c);
    if ("unique_combination".equals(t.testMetadata.name()) && t.testMetadata.kwargs().get("columns") instanceof List<?> l) {
      for (Object o : l) if (o instanceof String s) wanted.add(s);
    }
    for (String w : wanted) {
      if (!IDENTIFIER.matcher(w).matches()) continue; // an expression, or Jinja: not checked
      String bare = w.replace("\"", "");
      if (lower.contains(bare.toLowerCase(Locale.ROOT))) continue;
      String what = attached.resourceType == ResourceType.SEED ? "seed '" + attached.name + "' (columns of " + attached.originalFilePath + ")"
          : "model '" + attached.name + "' (its enforced contract)";
      throw fail(t, "Test '" + t.testMetadata.name() + "' names column '" + bare + "', which " + what + " does not have."
          + Suggest.didYouMean(bare, known));
    }
  }

  /** The full column list when known before running: a seed's CSV header, a contracted model's YAML columns; else null. */
  private static List<String> knownColumns(Node n) {
    if (n.resourceType == ResourceType.SEED && n.rootPath != null && n.originalFilePath != null) {
      Object d = n.config.get("delimiter");
      char delimiter = d instanceof String s && s.length() == 1 ? s.charAt(0) : ',';
      return csvHeader(Path.of(n.rootPath).resolve(n.originalFilePath), delimiter);
    }
    if (n.resourceType == ResourceType.MODEL && n.config.get("contract") instanceof Map<?, ?> c
        && (Boolean.TRUE.equals(c.get("enforced")) || "true".equalsIgnoreCase(String.valueOf(c.get("enforced"))))
        && !n.columns.isEmpty()) {
      return new ArrayList<>(n.columns.keySet());
    }
    return null;
  }

  /** The first non-blank line of a CSV file split into fields (quotes removed); null when unreadable. */
  private static List<String> csvHeader(Path file, char delimiter) {
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      do {
        line = r.readLine();
      } while (line != null && line.isBlank());
      if (line == null) return null;
      if (line.startsWith("\uFEFF")) line = line.substring(1);
      List<String> out = new ArrayList<>();
      StringBuilder cur = new StringBuilder();
      boolean quoted = false;
      for (int i = 0; i < line.length(); i++) {
        char ch = line.charAt(i);
        if (quoted) {
          if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
            cur.append('"');
            i++;
          } else if (ch == '"') {
            quoted = false;
          } else {
            cur.append(ch);
          }
        } else if (ch == '"') {
          quoted = true;
        } else if (ch == delimiter) {
          out.add(cur.toString().trim());
          cur.setLength(0);
        } else {
          cur.append(ch);
        }
      }
      if (quoted) return null; // a header spanning lines: not worth guessing
      out.add(cur.toString().trim());
      return out;
    } catch (IOException e) {
      return null;
    }
  }

  private static WeirException fail(Node t, String message) {
    Object line = t.extra.get("yaml_line");
    String file = t.originalFilePath != null ? t.originalFilePath : t.patchPath;
    return WeirException.project(file, line instanceof Integer i ? i : 0, message);
  }
}
