package dev.weir.core.graph;

import dev.weir.core.WeirException;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import dev.weir.core.util.Suggest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The registry of selection methods by name. {@link #defaults()} holds dbt's methods that need only
 * the project itself: fqn, tag, path, file, source, resource_type, config, package, test_type,
 * test_name, exposure, unit_test, group, access. Methods that need more (dbt's {@code state:},
 * {@code result:}, {@code source_status:}) are added by whoever has that information:
 * {@code SelectorMethods.defaults().register("state", myStateMethod)}.
 *
 * <p>{@code selector:} is not a registered method: {@link Selector} resolves it against the
 * request's selectors.yml definitions.
 */
public final class SelectorMethods {
  /** dbt methods that exist but that nobody has registered here: named in the error instead of a guess. */
  private static final Map<String, String> NOT_REGISTERED = Map.of(
      "state", "it compares with a previous manifest (--state)",
      "result", "it reads a previous run_results.json (--state)",
      "source_status", "it reads a previous sources.json (--state)",
      "metric", "Weir has no metrics",
      "semantic_model", "Weir has no semantic models",
      "saved_query", "Weir has no saved queries",
      "version", "model versions are not supported");

  private final Map<String, SelectorMethod> methods = new LinkedHashMap<>();

  private SelectorMethods() {}

  /** A new registry holding the built-in methods; callers may register more. */
  public static SelectorMethods defaults() {
    SelectorMethods r = new SelectorMethods();
    r.register("fqn", SelectorMethod.matching(SelectorMethods::fqn));
    r.register("tag", SelectorMethod.matching(SelectorMethods::tag));
    r.register("path", SelectorMethod.matching(SelectorMethods::path));
    r.register("file", SelectorMethod.matching(SelectorMethods::file));
    r.register("source", SelectorMethod.matching(SelectorMethods::source));
    r.register("resource_type", SelectorMethod.matching(SelectorMethods::resourceType));
    r.register("config", SelectorMethod.withArguments(SelectorMethod.matching(SelectorMethods::config)));
    r.register("package", SelectorMethod.matching((ctx, a, v) -> {
      Glob g = Glob.of(v);
      return n -> g.matches(n.packageName);
    }));
    r.register("test_type", SelectorMethod.matching(SelectorMethods::testType));
    r.register("test_name", SelectorMethod.matching(SelectorMethods::testName));
    r.register("exposure", SelectorMethod.matching((ctx, a, v) -> packagedName(v, ResourceType.EXPOSURE, "exposure")));
    r.register("unit_test", SelectorMethod.matching(SelectorMethods::unitTest));
    r.register("group", SelectorMethod.matching((ctx, a, v) -> {
      Glob g = Glob.of(v);
      return n -> n.config.get("group") != null && g.matches(String.valueOf(n.config.get("group")));
    }));
    r.register("access", SelectorMethod.matching((ctx, a, v) ->
        n -> n.resourceType == ResourceType.MODEL && v.equals(String.valueOf(n.config.getOrDefault("access", "protected")))));
    return r;
  }

  /** Adds or replaces a method. Returns this registry. */
  public synchronized SelectorMethods register(String name, SelectorMethod method) {
    if (name == null || !name.matches("\\w+")) throw new IllegalArgumentException("Bad selector method name: " + name);
    if ("selector".equals(name)) throw new IllegalArgumentException("'selector' is reserved for selectors.yml references");
    methods.put(name, method);
    return this;
  }

  /** The method registered under {@code name}, or null. */
  public synchronized SelectorMethod get(String name) { return methods.get(name); }

  /** Registered names (plus {@code selector}), sorted. */
  public synchronized Set<String> names() {
    Set<String> s = new TreeSet<>(methods.keySet());
    s.add("selector");
    return s;
  }

  /** The method for {@code name}, or a USAGE error naming the closest valid method. */
  synchronized SelectorMethod require(String name, String raw) {
    SelectorMethod m = methods.get(name);
    if (m != null) return m;
    String why = NOT_REGISTERED.get(name);
    if (why != null) {
      throw WeirException.usage("The selection method '" + name + "' (in '" + raw + "') is not available in Weir: " + why + ".");
    }
    List<String> close = Suggest.closest(name, names(), 1);
    String hint = close.isEmpty()
        ? " Valid methods: " + String.join(", ", names()) + "."
        : " Did you mean '" + close.get(0) + "'?";
    throw WeirException.usage("Unknown selection method '" + name + "' in '" + raw + "'." + hint);
  }

  // ------------------------------------------------------------------ built-ins

  /** Kinds that fqn and bare names select: dbt's manifest nodes and unit tests, not sources or exposures. */
  private static boolean hasSelectableFqn(Node n) {
    return switch (n.resourceType) {
      case MODEL, SEED, TEST, SNAPSHOT, ANALYSIS, UNIT_TEST, INGESTION, EXPORT -> true;
      default -> false;
    };
  }

  static Predicate<Node> fqn(SelectorMethod.Context ctx, List<String> args, String value) {
    FqnPattern p = new FqnPattern(value);
    return n -> {
      if (!hasSelectableFqn(n) || n.fqn.isEmpty()) return false;
      return p.matches(n.fqn) || p.matches(n.fqn.subList(1, n.fqn.size()));
    };
  }

  /**
   * dbt's rule: the value equals the last fqn part (the node's name), or its dotted parts are a
   * prefix of the fqn (a folder or a full path); from the first part with a wildcard on, the rest of
   * the value is matched against the rest of the fqn, dots included.
   */
  static final class FqnPattern {
    private final String value;
    private final String[] parts;
    private final int wildcardAt;
    private final Glob rest;

    FqnPattern(String value) {
      this.value = value;
      this.parts = value.split("\\.", -1);
      int w = -1;
      for (int i = 0; i < parts.length && w < 0; i++) if (Glob.hasWildcard(parts[i])) w = i;
      this.wildcardAt = w;
      this.rest = w < 0 ? null : Glob.of(String.join(".", Arrays.asList(parts).subList(w, parts.length)));
    }

    boolean matches(List<String> fqn) {
      if (fqn.isEmpty()) return false;
      if (fqn.get(fqn.size() - 1).equals(value)) return true;
      List<String> flat = new ArrayList<>(fqn.size() + 2);
      for (String seg : fqn) {
        if (seg.indexOf('.') < 0) flat.add(seg); else flat.addAll(Arrays.asList(seg.split("\\.", -1)));
      }
      if (flat.size() < parts.length) return false;
      int fixed = wildcardAt < 0 ? parts.length : wildcardAt;
      for (int i = 0; i < fixed; i++) if (!flat.get(i).equals(parts[i])) return false;
      return wildcardAt < 0 || rest.matches(String.join(".", flat.subList(wildcardAt, flat.size())));
    }
  }

  static Predicate<Node> tag(SelectorMethod.Context ctx, List<String> args, String value) {
    Glob g = Glob.of(value);
    return n -> {
      for (String t : n.tags) if (g.matches(t)) return true;
      Object ct = n.config.get("tags");
      if (ct instanceof Collection<?> c) {
        for (Object t : c) if (t != null && g.matches(t.toString())) return true;
      } else if (ct instanceof String s) {
        return g.matches(s);
      }
      return false;
    };
  }

  /** Normalises a user-written path: forward slashes, no "./" prefix, no trailing slash. */
  static String normalisePath(String p, Path root) {
    String s = p.replace('\\', '/');
    if (root != null) {
      try {
        Path given = Path.of(p);
        if (given.isAbsolute()) s = root.toAbsolutePath().normalize().relativize(given.normalize()).toString().replace('\\', '/');
      } catch (RuntimeException ignored) {
        // not a valid path on this platform: match it as written
      }
    }
    while (s.startsWith("./")) s = s.substring(2);
    while (s.length() > 1 && s.endsWith("/")) s = s.substring(0, s.length() - 1);
    return s.equals(".") ? "" : s;
  }

  static Predicate<Node> path(SelectorMethod.Context ctx, List<String> args, String value) {
    String v = normalisePath(value, ctx.projectRoot());
    if (v.isEmpty()) return n -> n.originalFilePath != null;   // the project root itself
    Glob g = Glob.ofPath(v);
    return n -> pathMatches(g, n.originalFilePath) || pathMatches(g, patchFile(n.patchPath));
  }

  /** Whether the file or one of its folders matches. */
  private static boolean pathMatches(Glob g, String file) {
    if (file == null) return false;
    String f = normalisePath(file, null);
    while (!f.isEmpty()) {
      if (g.matches(f)) return true;
      int slash = f.lastIndexOf('/');
      f = slash < 0 ? "" : f.substring(0, slash);
    }
    return false;
  }

  /** dbt writes patch_path as "package://models/schema.yml". */
  private static String patchFile(String patchPath) {
    if (patchPath == null) return null;
    int i = patchPath.indexOf("://");
    return i < 0 ? patchPath : patchPath.substring(i + 3);
  }

  static Predicate<Node> file(SelectorMethod.Context ctx, List<String> args, String value) {
    Glob g = Glob.of(value);
    return n -> {
      if (n.originalFilePath == null) return false;
      String p = n.originalFilePath.replace('\\', '/');
      String name = p.substring(p.lastIndexOf('/') + 1);
      int dot = name.lastIndexOf('.');
      String stem = dot > 0 ? name.substring(0, dot) : name;
      return g.matches(name) || g.matches(stem);
    };
  }

  static Predicate<Node> source(SelectorMethod.Context ctx, List<String> args, String value) {
    String[] p = value.split("\\.", -1);
    Glob pkg, src, table;
    switch (p.length) {
      case 1 -> { pkg = Glob.of("*"); src = Glob.of(p[0]); table = Glob.of("*"); }
      case 2 -> { pkg = Glob.of("*"); src = Glob.of(p[0]); table = Glob.of(p[1]); }
      case 3 -> { pkg = Glob.of(p[0]); src = Glob.of(p[1]); table = Glob.of(p[2]); }
      default -> throw WeirException.usage("Invalid source selector value '" + value
          + "': expected source_name, source_name.table_name or package.source_name.table_name");
    }
    return n -> n.resourceType == ResourceType.SOURCE && pkg.matches(n.packageName)
        && src.matches(n.sourceName) && table.matches(n.name);
  }

  private static Predicate<Node> packagedName(String value, ResourceType type, String what) {
    String[] p = value.split("\\.", -1);
    Glob pkg, name;
    switch (p.length) {
      case 1 -> { pkg = Glob.of("*"); name = Glob.of(p[0]); }
      case 2 -> { pkg = Glob.of(p[0]); name = Glob.of(p[1]); }
      default -> throw WeirException.usage("Invalid " + what + " selector value '" + value
          + "': expected " + what + "_name or package." + what + "_name");
    }
    return n -> n.resourceType == type && pkg.matches(n.packageName) && name.matches(n.name);
  }

  static Predicate<Node> resourceType(SelectorMethod.Context ctx, List<String> args, String value) {
    ResourceType t = ResourceType.fromDbtName(value.toLowerCase(Locale.ROOT));
    List<String> valid = List.of("model", "seed", "test", "source", "snapshot", "analysis", "exposure", "unit_test",
        "operation");
    if (t == null || !valid.contains(t.dbtName())) {
      throw WeirException.usage("Invalid resource_type selector value '" + value + "': expected one of "
          + String.join(", ", valid) + "." + Suggest.didYouMean(value, valid));
    }
    return n -> n.resourceType == t;
  }

  static Predicate<Node> config(SelectorMethod.Context ctx, List<String> args, String value) {
    if (args.isEmpty()) {
      throw WeirException.usage("The config selector needs a key, as in 'config.materialized:" + value + "'");
    }
    boolean caseInsensitive = args.equals(List.of("severity"));
    return n -> {
      Object v = descend(n.config, args);
      if (v == null && args.get(0).equals("meta") && !n.config.containsKey("meta")) {
        v = descend(n.meta, args.subList(1, args.size()));
      }
      if (v == null) return false;
      if (v instanceof Collection<?> c) {
        for (Object e : c) if (configEquals(e, value, caseInsensitive)) return true;
        return false;
      }
      return configEquals(v, value, caseInsensitive);
    };
  }

  private static Object descend(Object root, List<String> keys) {
    Object cur = root;
    for (String k : keys) {
      if (!(cur instanceof Map<?, ?> m)) return null;
      cur = m.get(k);
      if (cur == null) return null;
    }
    return cur;
  }

  private static boolean configEquals(Object actual, String wanted, boolean caseInsensitive) {
    if (actual == null || actual instanceof Map<?, ?> || actual instanceof Collection<?>) return false;
    String s = actual.toString();
    if (actual instanceof Boolean || caseInsensitive) return s.equalsIgnoreCase(wanted);
    return s.equals(wanted);
  }

  static Predicate<Node> testType(SelectorMethod.Context ctx, List<String> args, String value) {
    return switch (value) {
      case "generic", "schema" -> n -> n.resourceType == ResourceType.TEST && n.testMetadata != null;
      case "singular" -> n -> n.resourceType == ResourceType.TEST && n.testMetadata == null;
      case "data" -> n -> n.resourceType == ResourceType.TEST;
      case "unit" -> n -> n.resourceType == ResourceType.UNIT_TEST;
      default -> throw WeirException.usage("Invalid test_type selector value '" + value
          + "': expected generic, singular, unit or data." + Suggest.didYouMean(value, List.of("generic", "singular", "unit", "data")));
    };
  }

  static Predicate<Node> testName(SelectorMethod.Context ctx, List<String> args, String value) {
    Glob g = Glob.of(value);
    return n -> {
      if (n.resourceType == ResourceType.TEST) {
        return n.testMetadata != null ? g.matches(n.testMetadata.name()) : g.matches(n.name);
      }
      return n.resourceType == ResourceType.UNIT_TEST && g.matches(n.name);
    };
  }

  /** dbt's unit_test method: an fqn-style match on unit tests only. */
  static Predicate<Node> unitTest(SelectorMethod.Context ctx, List<String> args, String value) {
    Predicate<Node> f = fqn(ctx, args, value);
    Glob g = Glob.of(value);
    return n -> n.resourceType == ResourceType.UNIT_TEST && (f.test(n) || g.matches(n.name));
  }
}
