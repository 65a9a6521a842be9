package dev.weir.core.project;

import dev.weir.core.WeirException;
import dev.weir.core.util.Suggest;
import dev.weir.core.util.Yaml;
import dev.weir.core.util.Yaml.YMap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/** Reads dbt_project.yml into {@link ProjectSettings}, applying dbt's defaults. */
public final class DbtProjectFile {
  private DbtProjectFile() {}

  static final Set<String> KNOWN_KEYS = Set.of("name", "version", "config-version", "profile", "model-paths",
      "seed-paths", "test-paths", "macro-paths", "analysis-paths", "snapshot-paths", "docs-paths", "asset-paths",
      "target-path", "log-path", "packages-install-path", "clean-targets", "vars", "models", "seeds", "tests",
      "data_tests", "sources", "snapshots", "analyses", "exposures", "metrics", "semantic-models", "saved-queries",
      "unit_tests", "on-run-start", "on-run-end", "require-dbt-version", "quoting", "query-comment", "dispatch",
      "flags", "restrict-access", "dbt-cloud", "source-paths", "data-paths");

  public static ProjectSettings load(Path projectDir, Consumer<String> warn, boolean strict) {
    Path file = projectDir.resolve("dbt_project.yml");
    if (!Files.isRegularFile(file)) {
      throw WeirException.project(file.toString(), 0,
          "No dbt_project.yml found in " + projectDir.toAbsolutePath().normalize()
              + ". Run weir in a project folder, pass --project-dir, or create one with 'weir init NAME'.");
    }
    Object parsed = Yaml.load(file, "dbt_project.yml");
    if (!(parsed instanceof YMap m)) {
      throw WeirException.project("dbt_project.yml", 1, "dbt_project.yml must be a mapping of keys to values");
    }
    for (String k : m.keySet()) {
      if (!KNOWN_KEYS.contains(k)) {
        String msg = "dbt_project.yml:" + m.lineOf(k) + ": unknown key '" + k + "'." + Suggest.didYouMean(k, KNOWN_KEYS);
        if (strict) throw WeirException.project("dbt_project.yml", m.lineOf(k), "unknown key '" + k + "'." + Suggest.didYouMean(k, KNOWN_KEYS));
        warn.accept(msg);
      }
    }
    Object name = m.get("name");
    if (name == null) throw WeirException.project("dbt_project.yml", m.line, "Required key 'name' is missing");
    String n = String.valueOf(name);
    if (!n.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw WeirException.project("dbt_project.yml", m.lineOf("name"),
          "Project name '" + n + "' must be letters, digits and underscores, not starting with a digit");
    }
    int cv = m.get("config-version") == null ? 2 : ((Number) m.get("config-version")).intValue();
    if (cv != 2) {
      throw WeirException.project("dbt_project.yml", m.lineOf("config-version"),
          "config-version " + cv + " is not supported: use config-version: 2 (dbt 1.x)");
    }
    Map<String, Object> tests = map(m, "data_tests");
    if (tests.isEmpty()) tests = map(m, "tests");
    return new ProjectSettings(n, str(m.get("version"), "1.0.0"), m.get("profile") == null ? null : String.valueOf(m.get("profile")), cv,
        paths(m, "model-paths", "source-paths", "models"), paths(m, "seed-paths", "data-paths", "seeds"),
        paths(m, "test-paths", null, "tests"), paths(m, "macro-paths", null, "macros"),
        paths(m, "analysis-paths", null, "analyses"), paths(m, "snapshot-paths", null, "snapshots"),
        m.containsKey("docs-paths") ? paths(m, "docs-paths", null, null) : List.of(),
        str(m.get("target-path"), "target"), list(m.get("clean-targets")),
        str(m.get("packages-install-path"), "dbt_packages"), map(m, "vars"),
        map(m, "models"), map(m, "seeds"), tests, map(m, "sources"), map(m, "snapshots"),
        list(m.get("on-run-start")), list(m.get("on-run-end")), map(m, "quoting"), m.get("require-dbt-version"),
        dispatch(m), m);
  }

  private static String str(Object o, String dflt) { return o == null ? dflt : String.valueOf(o); }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(YMap m, String key) {
    Object v = m.get(key);
    if (v == null) return new LinkedHashMap<>();
    if (!(v instanceof Map)) throw WeirException.project("dbt_project.yml", m.lineOf(key), "'" + key + "' must be a mapping");
    return (Map<String, Object>) v;
  }

  private static List<String> list(Object v) {
    List<String> out = new ArrayList<>();
    if (v == null) return out;
    if (v instanceof List<?> l) {
      for (Object o : l) if (o != null) out.add(String.valueOf(o));
    } else {
      out.add(String.valueOf(v));
    }
    return out;
  }

  private static List<String> paths(YMap m, String key, String legacyKey, String dflt) {
    Object v = m.get(key);
    if (v == null && legacyKey != null) v = m.get(legacyKey);
    if (v == null) return dflt == null ? List.of() : List.of(dflt);
    if (!(v instanceof List)) throw WeirException.project("dbt_project.yml", m.lineOf(key), "'" + key + "' must be a list of folders");
    return list(v);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> dispatch(YMap m) {
    Object v = m.get("dispatch");
    if (v == null) return List.of();
    if (!(v instanceof List)) throw WeirException.project("dbt_project.yml", m.lineOf("dispatch"), "'dispatch' must be a list of {macro_namespace, search_order}");
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : (List<Object>) v) out.add((Map<String, Object>) o);
    return out;
  }
}
