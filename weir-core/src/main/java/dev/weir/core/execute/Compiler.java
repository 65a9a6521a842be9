package dev.weir.core.execute;

import dev.weir.core.WeirException;
import dev.weir.core.project.Node;
import dev.weir.core.project.ProjectLoader;
import dev.weir.core.project.ResourceType;
import dev.weir.core.engine.Relation;
import dev.weir.core.render.MacroRegistry;
import dev.weir.core.render.RelationValue;
import dev.weir.core.render.Renderer;
import dev.weir.core.util.Secrets;
import dev.weir.jinja.JinjaCallable;
import dev.weir.jinja.Macro;
import dev.weir.jinja.Python;
import dev.weir.jinja.Template;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Turns a node into the SQL that runs: renders it in EXECUTE mode (refs resolve to relations),
 * inlines ephemeral models as CTEs named {@code __dbt__cte__<name>}, builds generic tests from
 * their macros, and writes the result under {@code target/compiled/}.
 */
public final class Compiler {
  private static final Pattern LEADING_WITH = Pattern.compile("^(\\s*(--[^\\n]*\\n|/\\*.*?\\*/|\\s)*)with\\s", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
  private static final Pattern REF_OR_SOURCE = Pattern.compile("^\\s*(ref|source)\\s*\\(.*\\)\\s*$", Pattern.DOTALL);

  private final Workspace ws;
  private final Renderer renderer;
  private final ProjectLoader.Loaded loaded;
  private final Map<String, Compiled> ephemeralCache = new ConcurrentHashMap<>();

  /** A compiled ephemeral model: its own SQL and the CTEs it needs before it. */
  private record Compiled(String sql, LinkedHashMap<String, String> ctes) {}

  public Compiler(Workspace ws) {
    this.ws = ws;
    this.renderer = ws.renderer();
    this.loaded = ws.loaded();
  }

  /** Compiles {@code n} (fills compiledCode) and writes target/compiled. Returns the SQL. */
  public String compile(Node n, Renderer.Warehouse wh) { return compile(n, wh, Map.of()); }

  /** As {@link #compile(Node, Renderer.Warehouse)}, with extra context entries (a microbatch batch's is_incremental). */
  public String compile(Node n, Renderer.Warehouse wh, Map<String, Object> extra) {
    Compiled c = compileRaw(n, wh, extra);
    String sql = injectCtes(c.sql(), c.ctes());
    n.compiledCode = sql;
    n.compiled = true;
    n.compiledPath = writeFile("compiled", n, sql);
    return sql;
  }

  /** A unit test's rendering of {@code model} with extra context entries; fills nothing and writes no file. */
  String compileForUnitTest(Node model, Renderer.Warehouse wh, Map<String, Object> extra) {
    Compiled c = compileRaw(model, wh, extra);
    return injectCtes(c.sql(), c.ctes());
  }

  /** Renders an inline query (compile --inline / show --inline) as an analysis node. */
  public String compileInline(String sql, Renderer.Warehouse wh) {
    Node n = new Node("sql_operation." + ws.project().name() + ".inline_query", ResourceType.OPERATION, ws.project().name(), "inline_query");
    n.originalFilePath = "<inline>";
    n.rawCode = sql;
    n.schema = ws.target().schema();
    n.database = ws.target().database();
    n.alias = "inline_query";
    Template t = parse("<inline>", sql);
    Renderer.RenderState st = renderer.newState(n, Renderer.Mode.EXECUTE);
    String out = renderer.render(t, n, Renderer.Mode.EXECUTE, wh, st, Map.of());
    LinkedHashMap<String, String> ctes = new LinkedHashMap<>();
    for (Node e : st.ephemerals) addEphemeral(e, wh, ctes);
    return injectCtes(out, ctes);
  }

  private Template parse(String name, String sql) {
    try {
      return renderer.environment().parse(name, sql);
    } catch (dev.weir.jinja.JinjaException e) {
      throw WeirException.compile(name, e.line(), "Jinja syntax error: " + e.getMessage(), e);
    }
  }

  private Compiled compileRaw(Node n, Renderer.Warehouse wh) { return compileRaw(n, wh, Map.of()); }

  private Compiled compileRaw(Node n, Renderer.Warehouse wh, Map<String, Object> extra) {
    Renderer.RenderState st = renderer.newState(n, Renderer.Mode.EXECUTE);
    String sql;
    if (n.resourceType == ResourceType.TEST && n.testMetadata != null) {
      sql = compileGenericTest(n, wh, st);
    } else {
      Template t = loaded.template(n);
      sql = renderer.render(t, n, Renderer.Mode.EXECUTE, wh, st, extra);
    }
    LinkedHashMap<String, String> ctes = new LinkedHashMap<>();
    for (Node e : st.ephemerals) addEphemeral(e, wh, ctes);
    return new Compiled(sql.strip(), ctes);
  }

  private void addEphemeral(Node e, Renderer.Warehouse wh, LinkedHashMap<String, String> ctes) {
    String name = "__dbt__cte__" + e.name;
    if (ctes.containsKey(name)) return;
    // A microbatch batch filters refs to its window: its ephemerals are compiled for it alone.
    Compiled c = wh != null && wh.eventTimeWindow() != null ? compileRaw(e, wh)
        : ephemeralCache.computeIfAbsent(e.uniqueId, id -> compileRaw(e, wh));
    for (Map.Entry<String, String> dep : c.ctes().entrySet()) ctes.putIfAbsent(dep.getKey(), dep.getValue());
    ctes.put(name, c.sql());
  }

  static String injectCtes(String sql, LinkedHashMap<String, String> ctes) {
    if (ctes.isEmpty()) return sql;
    StringBuilder defs = new StringBuilder();
    for (Map.Entry<String, String> e : ctes.entrySet()) {
      if (defs.length() > 0) defs.append(",\n");
      defs.append(e.getKey()).append(" as (\n").append(e.getValue()).append("\n)");
    }
    var m = LEADING_WITH.matcher(sql);
    if (m.find()) {
      return sql.substring(0, m.end()) + defs + ",\n" + sql.substring(m.end());
    }
    return "with " + defs + "\n" + sql;
  }

  @SuppressWarnings("unchecked")
  private String compileGenericTest(Node n, Renderer.Warehouse wh, Renderer.RenderState st) {
    Node.TestMetadata tm = n.testMetadata;
    String macroName = "test_" + tm.name();
    MacroRegistry macros = renderer.macros();
    // The namespace 'weir' names Weir's built-in tests (weir.values_between), kept with dbt's.
    String ns = "weir".equals(tm.namespace()) ? MacroRegistry.INTERNAL : tm.namespace();
    Object macro = ns != null ? macros.find(ns, macroName) : macros.lookup(n.packageName, macroName);
    if (macro == null && tm.namespace() == null) macro = macros.find(MacroRegistry.INTERNAL, macroName);
    if (!(macro instanceof Macro m)) {
      throw WeirException.compile(n.patchPath, lineOf(n), "Generic test '" + (tm.namespace() == null ? "" : tm.namespace() + ".")
          + tm.name() + "' was not found: no macro 'test_" + tm.name() + "' in macros/ or tests/generic/", null);
    }
    // The attached relation itself (kwargs' model is SQL text, maybe a where subquery), for tests that read metadata.
    Node attached = n.attachedNode == null ? null : ws.project().node(n.attachedNode);
    Map<String, Object> extra = attached == null ? Map.of() : Map.of("weir_test_relation", new RelationValue(Relation.of(
        attached.database, attached.schema, attached.resourceType == ResourceType.SOURCE ? attached.identifier
            : attached.alias != null ? attached.alias : attached.name), renderer.dialect()));
    var ctx = renderer.context(n, Renderer.Mode.EXECUTE, wh, st, extra);
    Map<String, Object> kwargs = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : tm.kwargs().entrySet()) kwargs.put(e.getKey(), renderArg(n, e.getValue(), wh, st));
    try {
      return Python.str(((JinjaCallable) m).call(ctx, List.of(), kwargs));
    } catch (dev.weir.jinja.JinjaException e) {
      throw WeirException.compile(n.patchPath, lineOf(n), "Compilation Error in test " + n.name + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw WeirException.compile(n.patchPath, lineOf(n), "Compilation Error in test " + n.name + ": " + e.getMessage(), e);
    }
  }

  /**
   * A built-in generic test's arguments rendered for {@link CheckFusion}: {@code model} becomes the
   * tested relation itself (the test's {@code where} is applied by the fused query). Null when the
   * test's macro is not Weir's own (a project or package overrides it) or the arguments need
   * ephemeral CTEs.
   */
  Map<String, Object> fusionArgs(Node n, Renderer.Warehouse wh) {
    Node.TestMetadata tm = n.testMetadata;
    if (tm == null) return null;
    String macroName = "test_" + tm.name();
    MacroRegistry macros = renderer.macros();
    Object builtin = macros.find(MacroRegistry.INTERNAL, macroName);
    if (builtin == null) return null;
    Object macro = tm.namespace() == null ? macros.lookup(n.packageName, macroName)
        : "weir".equals(tm.namespace()) || MacroRegistry.INTERNAL.equals(tm.namespace()) ? builtin : macros.find(tm.namespace(), macroName);
    if (macro != builtin && macro != null) return null;
    // dbt's tests dispatch to default__test_x: an adapter- or project-specific override changes the SQL.
    String impl = "test_" + tm.name();
    for (String prefix : List.of(ws.target().type(), "default")) {
      Object m = macros.lookup(n.packageName, prefix + "__" + impl);
      Object internal = macros.find(MacroRegistry.INTERNAL, prefix + "__" + impl);
      if (m != null && m != internal) return null;
    }
    Renderer.RenderState st = renderer.newState(n, Renderer.Mode.EXECUTE);
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : tm.kwargs().entrySet()) {
      Object v = e.getValue();
      if (e.getKey().equals("model") && v instanceof String s) {
        var m = MODEL_ARG.matcher(s);
        if (!m.matches()) return null;
        v = "{{ " + m.group(1) + " }}";
      }
      out.put(e.getKey(), renderArg(n, v, wh, st));
    }
    if (!st.ephemerals.isEmpty()) return null;
    return out;
  }

  private static final Pattern MODEL_ARG = Pattern.compile("^\\{\\{\\s*get_where_subquery\\((.*)\\)\\s*}}$", Pattern.DOTALL);

  private static int lineOf(Node n) {
    Object l = n.extra.get("yaml_line");
    return l instanceof Integer i ? i : 0;
  }

  private Object renderArg(Node n, Object v, Renderer.Warehouse wh, Renderer.RenderState st) {
    if (v instanceof String s) {
      String src = s.contains("{{") || s.contains("{%") ? s : REF_OR_SOURCE.matcher(s).matches() ? "{{ " + s + " }}" : null;
      if (src == null) return s;
      Template t = parse(n.patchPath == null ? n.name : n.patchPath, src);
      return renderer.render(t, n, Renderer.Mode.EXECUTE, wh, st, Map.of());
    }
    return v;
  }

  /** Writes a fused check scan under target/run/{package}/weir_check_scans/, named after the tested node. */
  void writeScan(Node check, String relation, String sql) {
    Node attached = check.attachedNode == null ? null : ws.project().node(check.attachedNode);
    String name = (attached == null ? relation : attached.uniqueId).replaceAll("[^A-Za-z0-9_.-]+", "_") + ".sql";
    Path out = ws.targetDir().resolve("run").resolve(check.packageName).resolve("weir_check_scans").resolve(name);
    try {
      Files.createDirectories(out.getParent());
      Files.writeString(out, Secrets.mask(sql));
    } catch (IOException e) {
      ws.console().warn("Cannot write " + out + ": " + e.getMessage());
    }
  }

  /** Writes SQL under target/{kind}/{package}/{path}; returns the path written (relative to the project). */
  public String writeFile(String kind, Node n, String sql) {
    boolean fromYaml = n.testMetadata != null || (n.resourceType == ResourceType.SNAPSHOT && n.originalFilePath != null
        && (n.originalFilePath.endsWith(".yml") || n.originalFilePath.endsWith(".yaml")));
    String relPath = fromYaml ? n.originalFilePath + "/" + n.name + ".sql" : n.originalFilePath;
    Path out = ws.targetDir().resolve(kind).resolve(n.packageName).resolve(relPath);
    try {
      Files.createDirectories(out.getParent());
      Files.writeString(out, Secrets.mask(sql));
    } catch (IOException e) {
      ws.console().warn("Cannot write " + out + ": " + e.getMessage());
    }
    return ws.projectDir().relativize(out).toString();
  }

}
