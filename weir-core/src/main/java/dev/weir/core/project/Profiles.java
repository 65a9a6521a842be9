package dev.weir.core.project;

import dev.weir.core.WeirException;
import dev.weir.core.engine.TargetConfig;
import dev.weir.core.util.Suggest;
import dev.weir.core.util.Yaml;
import dev.weir.core.util.Yaml.YMap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Finds profiles.yml the way dbt does and resolves the target to build into.
 *
 * <p>Search order: {@code --profiles-dir}, {@code WEIR_PROFILES_DIR}, {@code DBT_PROFILES_DIR}, the
 * project folder, {@code ~/.dbt/}. A project with no profiles.yml anywhere, or whose
 * dbt_project.yml names no profile that exists, runs on a default DuckDB file {@code target/weir.duckdb}.
 */
public final class Profiles {
  private Profiles() {}

  /** Where profiles.yml was looked for and found (null when none). */
  public record Located(Path file, List<Path> searched) {}

  public static Located locate(Path projectDir, Path profilesDirFlag, Function<String, String> env) {
    List<Path> candidates = new ArrayList<>();
    if (profilesDirFlag != null) {
      candidates.add(profilesDirFlag);
    } else {
      String w = env.apply("WEIR_PROFILES_DIR");
      String d = env.apply("DBT_PROFILES_DIR");
      if (w != null && !w.isBlank()) candidates.add(Path.of(w));
      else if (d != null && !d.isBlank()) candidates.add(Path.of(d));
      candidates.add(projectDir);
      String home = env.apply("HOME");
      if (home == null) home = System.getProperty("user.home");
      candidates.add(Path.of(home, ".dbt"));
    }
    for (Path p : candidates) {
      Path f = p.resolve("profiles.yml");
      if (Files.isRegularFile(f)) return new Located(f, candidates);
    }
    if (profilesDirFlag != null) {
      throw WeirException.usage("No profiles.yml in --profiles-dir " + profilesDirFlag);
    }
    return new Located(null, candidates);
  }

  /**
   * Resolves the target. {@code render} renders a string value that may hold Jinja (env_var).
   */
  @SuppressWarnings("unchecked")
  public static TargetConfig resolve(Path projectDir, ProjectSettings settings, Located located, String targetFlag,
                                     Function<String, Object> render, int threadsFlag) {
    String profileName = settings.profile() != null ? settings.profile() : settings.name();
    if (located.file() == null) {
      if (targetFlag != null && !targetFlag.equals("dev")) {
        throw WeirException.usage("Target '" + targetFlag + "' requested but no profiles.yml was found (looked in "
            + located.searched() + ")");
      }
      return defaultTarget(profileName, projectDir, settings, threadsFlag);
    }
    String shown = located.file().toString();
    Object parsed = Yaml.load(located.file(), shown);
    if (!(parsed instanceof YMap all)) {
      throw WeirException.project(shown, 1, "profiles.yml must be a mapping of profile names");
    }
    Object p = all.get(profileName);
    if (p == null) {
      if (settings.profile() == null) return defaultTarget(profileName, projectDir, settings, threadsFlag);
      List<String> names = new ArrayList<>(all.keySet());
      names.remove("config");
      // The place to fix is where the profile is named: dbt_project.yml's 'profile:' line.
      int line = settings.raw() instanceof YMap rm ? rm.lineOf("profile") : 0;
      throw WeirException.project("dbt_project.yml", line, "Profile '" + profileName + "' is not in "
          + shown + "." + Suggest.didYouMean(profileName, names) + " Profiles there: " + names);
    }
    if (!(p instanceof YMap profile)) throw WeirException.project(shown, all.lineOf(profileName), "Profile '" + profileName + "' must be a mapping");
    Object outputsObj = profile.get("outputs");
    if (!(outputsObj instanceof YMap outputs)) {
      throw WeirException.project(shown, profile.line, "Profile '" + profileName + "' has no 'outputs:' mapping");
    }
    String target = targetFlag;
    if (target == null) {
      Object t = profile.get("target");
      try {
        target = t == null ? "dev" : String.valueOf(render.apply(String.valueOf(t)));
      } catch (WeirException ex) {
        throw placed(ex, profile, "target");
      }
    }
    Object o = outputs.get(target);
    if (!(o instanceof YMap out)) {
      throw WeirException.usage("Target '" + target + "' is not in profile '" + profileName + "' (" + shown + ")."
          + Suggest.didYouMean(target, outputs.keySet()) + " Targets there: " + outputs.keySet());
    }
    Map<String, Object> rendered = (Map<String, Object>) renderAll(out, render);
    Object type = rendered.get("type");
    if (type == null) throw WeirException.project(shown, out.line, "Target '" + target + "' has no 'type:'");
    int threads = threadsFlag > 0 ? threadsFlag : rendered.get("threads") == null ? 1 : toInt(rendered.get("threads"), shown, out.lineOf("threads"));
    String schema = rendered.get("schema") != null ? String.valueOf(rendered.get("schema"))
        : "duckdb".equals(type) ? "main" : null;
    if (schema == null) throw WeirException.project(shown, out.line, "Target '" + target + "' has no 'schema:'");
    String database = rendered.get("database") != null ? String.valueOf(rendered.get("database"))
        : rendered.get("dbname") != null ? String.valueOf(rendered.get("dbname")) : null;
    return new TargetConfig(profileName, target, String.valueOf(type), database, schema, threads, rendered, projectDir);
  }

  private static int toInt(Object v, String file, int line) {
    try {
      return v instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw WeirException.project(file, line, "'threads' must be a whole number, got '" + v + "'");
    }
  }

  /** An error rendering {@code key} of a profiles.yml mapping, placed at that key's line (unless it has a place). */
  private static WeirException placed(WeirException ex, Object map, String key) {
    if (ex.file() != null || !(map instanceof YMap ym)) return ex;
    return new WeirException(ex.kind(), ym.file, ym.lineOf(key), ex.getMessage(), ex);
  }

  private static Object renderAll(Object v, Function<String, Object> render) {
    if (v instanceof String s) return s.contains("{") ? render.apply(s) : s;
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String key = String.valueOf(e.getKey());
        try {
          out.put(key, renderAll(e.getValue(), render));
        } catch (WeirException ex) {
          throw placed(ex, m, key);
        }
      }
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      for (Object o : l) out.add(renderAll(o, render));
      return out;
    }
    return v;
  }

  public static TargetConfig defaultTarget(String profileName, Path projectDir, ProjectSettings settings, int threadsFlag) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", "duckdb");
    s.put("path", settings.targetPath() + "/weir.duckdb");
    s.put("schema", "main");
    return new TargetConfig(profileName, "dev", "duckdb", "weir", "main", threadsFlag > 0 ? threadsFlag : 4, s, projectDir);
  }
}
