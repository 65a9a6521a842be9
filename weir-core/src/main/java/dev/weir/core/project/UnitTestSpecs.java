package dev.weir.core.project;

import dev.weir.core.WeirException;
import dev.weir.core.util.Suggest;
import dev.weir.core.util.Yaml.YList;
import dev.weir.core.util.Yaml.YMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * dbt unit tests ({@code unit_tests:} in properties YAML): each entry becomes a UNIT_TEST node
 * ({@code unit_test.<pkg>.<model>.<name>}) that depends on its model. The given inputs, expected
 * rows and overrides are kept in the node's {@code extra} ("given", "expect", "overrides") for the
 * executor (UnitTester).
 */
public final class UnitTestSpecs {
  private UnitTestSpecs() {}

  /** Replaces {@code fixture: name} of a given input or expectation by the fixture file's rows. */
  private static void fixture(String file, String test, YMap from, Map<String, Object> spec, Map<String, java.nio.file.Path> fixtures) {
    Object name = from.get("fixture");
    if (name == null) return;
    String format = String.valueOf(from.getOrDefault("format", "dict"));
    if (from.get("rows") != null) {
      throw WeirException.project(file, from.lineOf("fixture"), "Unit test '" + test + "': give either 'rows:' or 'fixture:', not both");
    }
    if (!format.equals("csv") && !format.equals("sql")) {
      throw WeirException.project(file, from.lineOf("fixture"), "Unit test '" + test + "': a fixture needs format: csv or format: sql"
          + " (format " + format + " has its rows inline)");
    }
    String wanted = name + "." + format;
    java.nio.file.Path f = fixtures.get(wanted);
    if (f == null) {
      List<String> known = new ArrayList<>();
      for (String k : fixtures.keySet()) if (k.endsWith("." + format)) known.add(k.substring(0, k.length() - format.length() - 1));
      throw WeirException.project(file, from.lineOf("fixture"), "Unit test '" + test + "': fixture '" + name + "' not found: no "
          + wanted + " under a fixtures/ folder of the test paths." + Suggest.didYouMean(String.valueOf(name), known));
    }
    try {
      spec.put("rows", java.nio.file.Files.readString(f));
    } catch (java.io.IOException ex) {
      throw WeirException.project(file, from.lineOf("fixture"), "Unit test '" + test + "': cannot read fixture " + f + ": " + ex.getMessage());
    }
  }

  private static final Set<String> KEYS = Set.of("name", "model", "given", "expect", "overrides", "config", "description", "versions");
  private static final Pattern REF = Pattern.compile("^\\s*ref\\(\\s*['\"]([^'\"]+)['\"]\\s*(?:,\\s*['\"]([^'\"]+)['\"]\\s*)?(?:,\\s*(?:v|version)\\s*=\\s*['\"]?([^'\")]+)['\"]?\\s*)?\\)\\s*$");
  private static final Pattern SOURCE = Pattern.compile("^\\s*source\\(\\s*['\"]([^'\"]+)['\"]\\s*,\\s*['\"]([^'\"]+)['\"]\\s*\\)\\s*$");

  /** The entries under a properties file's {@code unit_tests:} key (empty when it has none). */
  public static List<YMap> entries(String file, YMap top) {
    Object list = top.get("unit_tests");
    if (list == null) return List.of();
    if (!(list instanceof YList l)) throw WeirException.project(file, top.lineOf("unit_tests"), "'unit_tests' must be a list");
    List<YMap> out = new ArrayList<>();
    for (int i = 0; i < l.size(); i++) {
      if (!(l.get(i) instanceof YMap e) || e.get("name") == null || e.get("model") == null) {
        throw WeirException.project(file, l.lineOf(i), "Each unit test needs a 'name:' and a 'model:'");
      }
      for (String k : e.keySet()) {
        if (!KEYS.contains(k)) throw WeirException.project(file, e.lineOf(k), "Unknown unit test property '" + k + "'." + Suggest.didYouMean(k, KEYS));
      }
      out.add(e);
    }
    return out;
  }

  /** A parsed given input: a ref (name) or a source (sourceName, table). */
  public record Input(String refName, String sourceName, String table) {
    public boolean isRef() { return refName != null; }

    /** {@code input: this}: the incremental model's own relation. */
    public boolean isThis() { return refName == null && sourceName == null; }

    public static Input parse(String s) {
      if (s.strip().equals("this")) return new Input(null, null, null);
      Matcher m = REF.matcher(s);
      if (m.matches()) return new Input(m.group(2) != null ? m.group(2) : m.group(1), null, null);
      m = SOURCE.matcher(s);
      if (m.matches()) return new Input(null, m.group(1), m.group(2));
      return null;
    }
  }

  /**
   * Builds the enabled unit-test nodes of {@code entries}; checks the model and inputs exist. {@code fixtures} are the
   * project's fixture files ({@code <test-path>/fixtures/**}{@code /<name>.csv|.sql}) by file name: a given input or the
   * expectation may name one ({@code format: csv, fixture: orders_in}) instead of writing its rows inline.
   */
  public static List<Node> build(String pkg, List<YMap> entries, Map<String, Node> byId, Map<String, java.nio.file.Path> fixtures) {
    List<Node> out = new ArrayList<>();
    for (YMap e : entries) {
      String file = e.file;
      String name = String.valueOf(e.get("name"));
      String modelName = String.valueOf(e.get("model"));
      Node model = null;
      List<String> names = new ArrayList<>();
      for (Node n : byId.values()) {
        if (n.resourceType != ResourceType.MODEL) continue;
        names.add(n.name);
        if (n.name.equals(modelName) && n.packageName.equals(pkg) && (model == null || isLatest(n))) model = n;
      }
      if (model == null) {
        throw WeirException.project(file, e.lineOf("model"), "Unit test '" + name + "' tests model '" + modelName
            + "', which was not found." + Suggest.didYouMean(modelName, names));
      }
      Node t = new Node("unit_test." + pkg + "." + modelName + "." + name, ResourceType.UNIT_TEST, pkg, name);
      t.originalFilePath = file;
      t.patchPath = file;
      t.path = file;
      List<String> fqn = new ArrayList<>(model.fqn.isEmpty() ? List.of(pkg) : model.fqn.subList(0, model.fqn.size() - 1));
      fqn.add(modelName);
      fqn.add(name);
      t.fqn = fqn;
      t.attachedNode = model.uniqueId;
      t.description = e.get("description") == null ? "" : String.valueOf(e.get("description"));
      t.config.put("enabled", true);
      if (e.get("config") instanceof Map<?, ?> c) {
        for (Map.Entry<?, ?> ce : c.entrySet()) t.config.put(String.valueOf(ce.getKey()), ce.getValue());
      }
      Object tags = t.config.get("tags");
      if (tags instanceof Collection<?> tl) for (Object x : tl) t.tags.add(String.valueOf(x));
      else if (tags != null) t.tags.add(String.valueOf(tags));
      t.config.put("tags", new ArrayList<>(t.tags));
      t.extra.put("yaml_line", e.line);
      t.dependsOnNodes.add(model.uniqueId);
      if (!t.enabled()) continue;
      // given
      Object given = e.get("given");
      List<Map<String, Object>> inputs = new ArrayList<>();
      if (given != null && !(given instanceof YList)) throw WeirException.project(file, e.lineOf("given"), "'given' must be a list of inputs");
      if (given instanceof YList gl) {
        for (int i = 0; i < gl.size(); i++) {
          if (!(gl.get(i) instanceof YMap g) || g.get("input") == null) {
            throw WeirException.project(file, gl.lineOf(i), "Each 'given' entry of unit test '" + name + "' needs an 'input:' (ref('...') or source('...', '...'))");
          }
          String inputText = String.valueOf(g.get("input"));
          Input in = Input.parse(inputText);
          if (in == null) {
            throw WeirException.project(file, g.lineOf("input"), "Unit test '" + name + "': input '" + inputText
                + "' must be ref('model') or source('source', 'table')");
          }
          boolean referenced = in.isThis() || (in.isRef() ? model.refs.stream().anyMatch(r -> r.name().equals(in.refName()))
              : model.sources.contains(List.of(in.sourceName(), in.table())));
          if (!referenced) {
            throw WeirException.project(file, g.lineOf("input"), "Unit test '" + name + "' gives input " + inputText
                + ", which model '" + modelName + "' does not reference (it uses " + usedInputs(model) + ")");
          }
          Map<String, Object> spec = new LinkedHashMap<>(g);
          spec.put("line", g.line);
          fixture(file, name, g, spec, fixtures);
          inputs.add(spec);
        }
      }
      if (!(e.get("expect") instanceof YMap)) {
        throw WeirException.project(file, e.line, "Unit test '" + name + "' needs an 'expect:' with 'rows:'");
      }
      t.extra.put("given", inputs);
      Map<String, Object> expect = new LinkedHashMap<>((YMap) e.get("expect"));
      fixture(file, name, (YMap) e.get("expect"), expect, fixtures);
      t.extra.put("expect", expect);
      Object ov = e.get("overrides");
      t.extra.put("overrides", ov instanceof Map<?, ?> m ? m : Map.of());
      t.extra.put("model_name", modelName);
      out.add(t);
    }
    return out;
  }

  private static boolean isLatest(Node n) {
    return n.version == null || n.latestVersion == null || String.valueOf(n.version).equals(String.valueOf(n.latestVersion));
  }

  private static String usedInputs(Node model) {
    List<String> used = new ArrayList<>();
    for (Node.RefCall r : model.refs) used.add("ref('" + r.name() + "')");
    for (List<String> s : model.sources) used.add("source('" + s.get(0) + "', '" + s.get(1) + "')");
    return used.isEmpty() ? "no inputs" : String.join(", ", used);
  }
}
