package dev.weir.core.render;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import dev.weir.core.engine.TargetConfig;
import dev.weir.core.project.DocDef;
import dev.weir.core.project.Node;
import dev.weir.core.project.ProjectSettings;
import dev.weir.core.project.ResourceType;
import dev.weir.core.util.Secrets;
import dev.weir.core.util.Suggest;
import dev.weir.jinja.JinjaCallable;
import dev.weir.jinja.JinjaEnvironment;
import dev.weir.jinja.JinjaException;
import dev.weir.jinja.JinjaObject;
import dev.weir.jinja.Macro;
import dev.weir.jinja.PyTuple;
import dev.weir.jinja.Python;
import dev.weir.jinja.RenderContext;
import dev.weir.jinja.Template;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Renders SQL templates with dbt's context: ref, source, config, var, env_var, this, target,
 * adapter, run_query, statement/load_result, macros and the rest.
 *
 * <p>Two modes. PARSE records what a node calls (refs, sources, in-file config) without touching
 * the warehouse — {@code execute} is false there, as in dbt. EXECUTE resolves refs to real
 * relations, inlines ephemeral models and runs introspective queries on the given session.
 */
public final class Renderer {
  public enum Mode { PARSE, EXECUTE }

  /** What execute-mode rendering needs from the loaded project. */
  public interface Resolver {
    Node findRef(Node from, String packageName, String name, Object version);

    Node findSource(Node from, String source, String table);

    Relation relationOf(Node n);

    Collection<Node> allNodes();

    Map<String, DocDef> docs();
  }

  /** dbt's --defer: the relation a ref to {@code n} reads instead of its own, or null to read its own. */
  public interface Deferral {
    Relation relationFor(Node n, Warehouse wh);
  }

  /** Per-render warehouse access (the thread's session); null while parsing. */
  public interface Warehouse {
    Session session();

    boolean fullRefresh();

    /** dbt's --empty: refs and sources read no rows. */
    default boolean empty() { return false; }

    /** The microbatch batch being rendered: refs and sources with an event_time read only its rows. */
    default EventTimeWindow eventTimeWindow() { return null; }
  }

  /** What one render produced besides its text. */
  public static final class RenderState {
    public final Node node;
    public final Mode mode;
    /** Ephemeral nodes this render referenced, in order of first use. */
    public final List<Node> ephemerals = new ArrayList<>();
    /** config(...) calls made in the template (parse mode). */
    public final Map<String, Object> inFileConfig = new LinkedHashMap<>();
    final Map<String, Object> results = new LinkedHashMap<>();
    Warehouse warehouse;

    RenderState(Node node, Mode mode) {
      this.node = node;
      this.mode = mode;
    }
  }

  private final JinjaEnvironment env;
  private final ProjectSettings settings;
  private final TargetConfig target;
  private final Dialect dialect;
  private final Map<String, Object> cliVars;
  private final Function<String, String> envLookup;
  private final MacroRegistry macros;
  private final Consumer<String> info;
  private final Consumer<String> debug;
  private final Map<String, Object> globals = new LinkedHashMap<>();
  private final List<String> adapterPrefixes;
  private final Set<String> envVarsUsed = ConcurrentHashMap.newKeySet();
  private volatile Resolver resolver;
  private volatile Map<String, Object> graph;
  private volatile List<String> selectedResources = List.of();
  private volatile Deferral deferral;

  public Renderer(JinjaEnvironment env, ProjectSettings settings, TargetConfig target, Dialect dialect,
                  Map<String, Object> cliVars, Function<String, String> envLookup, MacroRegistry macros,
                  String invocationId, Instant runStartedAt, Map<String, Object> flags,
                  Consumer<String> info, Consumer<String> debug) {
    this.env = env;
    this.settings = settings;
    this.target = target;
    this.dialect = dialect;
    this.cliVars = cliVars;
    this.envLookup = envLookup;
    this.macros = macros;
    this.info = info;
    this.debug = debug;
    this.adapterPrefixes = List.of(target.type(), "default");

    Map<String, Object> t = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : target.settings().entrySet()) {
      if (!isSecretKey(e.getKey())) t.put(e.getKey(), e.getValue());
    }
    t.put("name", target.name());
    t.put("target_name", target.name());
    t.put("profile_name", target.profileName());
    t.put("type", target.type());
    t.put("schema", target.schema());
    t.put("database", target.database());
    t.put("threads", (long) target.threads());
    globals.put("target", t);
    globals.put("project_name", settings.name());
    globals.put("invocation_id", invocationId);
    globals.put("run_started_at", new PyModules.PyDateTime(OffsetDateTime.ofInstant(runStartedAt, ZoneOffset.UTC)));
    globals.put("dbt_version", "1.10.0");
    globals.put("modules", PyModules.modules());
    globals.put("flags", flags);
    globals.put("env_var", (JinjaCallable) (c, a, k) -> envVar(a, k));
    globals.put("fromjson", (JinjaCallable) (c, a, k) -> {
      try {
        return PyModules.fromjson(Python.str(a.get(0)));
      } catch (IllegalArgumentException e) {
        return a.size() > 1 ? a.get(1) : null;
      }
    });
    globals.put("tojson", (JinjaCallable) (c, a, k) -> PyModules.tojson(a.get(0), k.get("sort_keys")));
    globals.put("fromyaml", (JinjaCallable) (c, a, k) -> PyModules.fromyaml(Python.str(a.get(0))));
    globals.put("toyaml", (JinjaCallable) (c, a, k) -> PyModules.toyaml(a.get(0)));
    globals.put("log", (JinjaCallable) (c, a, k) -> {
      String msg = Python.str(a.isEmpty() ? "" : a.get(0));
      boolean inf = Python.truthy(a.size() > 1 ? a.get(1) : k.get("info"));
      (inf ? this.info : this.debug).accept(msg);
      return "";
    });
    globals.put("print", (JinjaCallable) (c, a, k) -> {
      this.info.accept(Python.str(a.isEmpty() ? "" : a.get(0)));
      return "";
    });
    globals.put("exceptions", exceptions());
    globals.put("zip", (JinjaCallable) (c, a, k) -> zip(a));
    globals.put("set", (JinjaCallable) (c, a, k) -> new ArrayList<>(new LinkedHashSet<>(iter(a.isEmpty() ? List.of() : a.get(0)))));
    globals.put("set_strict", (JinjaCallable) (c, a, k) -> new ArrayList<>(new LinkedHashSet<>(iter(a.get(0)))));
    globals.put("local_md5", (JinjaCallable) (c, a, k) -> md5(Python.str(a.get(0))));
    globals.put("try_or_compiler_error", (JinjaCallable) (c, a, k) -> {
      try {
        return ((JinjaCallable) a.get(1)).call(c, a.subList(2, a.size()), k);
      } catch (RuntimeException e) {
        throw new CompilerError(Python.str(a.get(0)));
      }
    });
    globals.put("api", api());
  }

  public JinjaEnvironment environment() { return env; }

  public MacroRegistry macros() { return macros; }

  public Dialect dialect() { return dialect; }

  public TargetConfig target() { return target; }

  /** Names of env vars read so far (part of the parse cache key). */
  public Set<String> envVarsUsed() { return envVarsUsed; }

  public void setResolver(Resolver r) {
    this.resolver = r;
    this.graph = null;
  }

  public void setSelectedResources(List<String> ids) { this.selectedResources = ids; }

  /** Installed packages' own dbt_project.yml vars (their defaults, below the root project's). */
  private volatile Map<String, Map<String, Object>> packageVars = Map.of();

  public void setPackageVars(Map<String, Map<String, Object>> vars) { this.packageVars = vars; }

  /** Installs --defer resolution for refs (null: none). */
  public void setDeferral(Deferral d) { this.deferral = d; }

  private boolean isSecretKey(String k) {
    String l = k.toLowerCase(java.util.Locale.ROOT);
    return l.contains("password") || l.contains("token") || l.contains("secret") || l.equals("private_key");
  }

  // ------------------------------------------------------------------ rendering

  /** Renders {@code template} for {@code node}; errors become a WeirException naming file and line. */
  public String render(Template template, Node node, Mode mode, Warehouse wh, RenderState state,
                       Map<String, Object> extra) {
    RenderContext ctx = context(node, mode, wh, state, extra);
    try {
      return template.render(ctx);
    } catch (JinjaException e) {
      throw compileError(node, e);
    } catch (CompilerError e) {
      throw WeirException.compile(fileOf(node), 0, "Compilation Error in " + describe(node) + ": " + e.getMessage(), e);
    }
  }

  public RenderState newState(Node node, Mode mode) { return new RenderState(node, mode); }

  /** Calls a macro by name (run-operation, generate_schema_name, tests); returns its value. */
  public Object callMacro(String name, Node node, Mode mode, Warehouse wh, List<Object> args, Map<String, Object> kwargs) {
    RenderState state = new RenderState(node, mode);
    RenderContext ctx = context(node, mode, wh, state, Map.of());
    Object m = ctx.get(name);
    if (m instanceof dev.weir.jinja.Undefined || m == null) {
      int dot = name.indexOf('.');
      if (dot > 0) m = macros.find(name.substring(0, dot), name.substring(dot + 1));
    }
    if (!(m instanceof JinjaCallable callable)) {
      throw WeirException.compile(null, 0, "No macro named '" + name + "'."
          + Suggest.didYouMean(name, macroNames()), null);
    }
    try {
      return callable.call(ctx, args, kwargs);
    } catch (JinjaException e) {
      throw compileError(node, e);
    } catch (CompilerError e) {
      throw WeirException.compile(null, 0, "Compilation Error in macro " + name + ": " + e.getMessage(), e);
    }
  }

  private List<String> macroNames() {
    List<String> names = new ArrayList<>();
    for (var d : macros.defs().values()) names.add(d.name());
    return names;
  }

  private WeirException compileError(Node node, JinjaException e) {
    String file = e.templateName() != null ? e.templateName() : fileOf(node);
    Throwable cause = e.getCause();
    String msg = cause instanceof CompilerError ce ? ce.getMessage() : e.getMessage();
    String where = node == null ? "" : " in " + describe(node);
    return WeirException.compile(file, e.line(), "Compilation Error" + where + ": " + stripPlace(msg, file), e);
  }

  private static String stripPlace(String msg, String file) {
    if (msg == null) return "";
    if (file != null && msg.startsWith(file + ":")) {
      int i = msg.indexOf(": ", file.length());
      if (i > 0) return msg.substring(i + 2);
    }
    return msg;
  }

  private static String fileOf(Node node) { return node == null ? null : node.originalFilePath; }

  private static String describe(Node n) {
    return n.resourceType.dbtName() + " " + n.packageName + "." + n.name + " (" + n.originalFilePath + ")";
  }

  // ------------------------------------------------------------------ context

  public RenderContext context(Node node, Mode mode, Warehouse wh, RenderState state, Map<String, Object> extra) {
    if (state != null) state.warehouse = wh;
    Map<String, Object> local = new LinkedHashMap<>(48);
    String pkg = node == null ? macros.rootPackage() : node.packageName;
    boolean exec = mode == Mode.EXECUTE;
    local.put("execute", exec);
    JinjaCallable ref = (c, a, k) -> ref(node, mode, state, a, k);
    JinjaCallable source = (c, a, k) -> source(node, mode, wh, a);
    ConfigValue config = new ConfigValue(node, state, mode);
    local.put("ref", ref);
    local.put("source", source);
    local.put("config", config);
    local.put("builtins", Map.of("ref", ref, "source", source, "config", config));
    local.put("var", new VarFunction(pkg));
    if (node != null) {
      // dbt defines 'this' while parsing too (before the node's schema is known: the target's).
      local.put("this", thisRelation(node));
      local.put("model", nodeDict(node));
    }
    local.put("is_incremental", (JinjaCallable) (c, a, k) -> isIncremental(node, mode, wh));
    // dbt's should_store_failures(): the node's store_failures config when set, else the --store-failures flag.
    local.put("should_store_failures", (JinjaCallable) (c, a, k) -> {
      Object v = node == null ? null : node.config.get("store_failures");
      if (v != null) return Python.truthy(v);
      Object flags = globals.get("flags");
      return flags instanceof Map<?, ?> f && Python.truthy(f.get("STORE_FAILURES"));
    });
    local.put("adapter", new AdapterValue(node, mode, wh));
    local.put("run_query", (JinjaCallable) (c, a, k) -> {
      if (!exec) return null;
      return new TableValue(wh.session().query(Python.str(a.get(0)), -1));
    });
    local.put("statement", (JinjaCallable) (c, a, k) -> statement(c, node, mode, wh, state, a, k));
    local.put("load_result", (JinjaCallable) (c, a, k) -> state.results.get(Python.str(a.get(0))));
    local.put("store_result", (JinjaCallable) (c, a, k) -> {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("response", k.get("response"));
      r.put("table", k.get("agate_table"));
      r.put("data", k.get("agate_table"));
      state.results.put(Python.str(a.get(0)), r);
      return "";
    });
    local.put("graph", (JinjaObject) this::graphAttr);
    local.put("selected_resources", selectedResources);
    local.put("doc", (JinjaCallable) (c, a, k) -> doc(a));
    if (extra != null) local.putAll(extra);
    return new RenderContext(env, name -> {
      if (("ref".equals(name) || "source".equals(name)) && macros.find(macros.rootPackage(), name) != null) {
        return macros.find(macros.rootPackage(), name);
      }
      Object v = local.get(name);
      if (v != null || local.containsKey(name)) return v;
      v = globals.get(name);
      if (v != null) return v;
      return macros.lookup(pkg, name);
    });
  }

  private Object graphAttr(String name) {
    Map<String, Object> g = graph;
    if (g == null) {
      g = buildGraph();
      graph = g;
    }
    return g.get(name);
  }

  private Map<String, Object> buildGraph() {
    Map<String, Object> nodes = new LinkedHashMap<>();
    Map<String, Object> sources = new LinkedHashMap<>();
    Map<String, Object> exposures = new LinkedHashMap<>();
    if (resolver != null) {
      for (Node n : resolver.allNodes()) {
        Map<String, Object> d = nodeDict(n);
        if (n.resourceType == ResourceType.SOURCE) sources.put(n.uniqueId, d);
        else if (n.resourceType == ResourceType.EXPOSURE) exposures.put(n.uniqueId, d);
        else nodes.put(n.uniqueId, d);
      }
    }
    Map<String, Object> g = new LinkedHashMap<>();
    g.put("nodes", nodes);
    g.put("sources", sources);
    g.put("exposures", exposures);
    g.put("metrics", Map.of());
    g.put("groups", Map.of());
    g.put("semantic_models", Map.of());
    g.put("saved_queries", Map.of());
    return g;
  }

  /**
   * The node as templates see it ({@code model}, {@code graph.nodes[...]}): a map built on first
   * access, since most renders never look at it.
   */
  public static Map<String, Object> nodeDict(Node n) {
    return new java.util.AbstractMap<>() {
      private Map<String, Object> m;

      private Map<String, Object> m() {
        if (m == null) m = buildNodeDict(n);
        return m;
      }

      @Override public Set<Map.Entry<String, Object>> entrySet() { return m().entrySet(); }
      @Override public Object get(Object key) { return m().get(key); }
      @Override public boolean containsKey(Object key) { return m().containsKey(key); }
      @Override public int size() { return m().size(); }
    };
  }

  private static Map<String, Object> buildNodeDict(Node n) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("unique_id", n.uniqueId);
    d.put("name", n.name);
    d.put("resource_type", n.resourceType.dbtName());
    d.put("package_name", n.packageName);
    d.put("path", n.path);
    d.put("original_file_path", n.originalFilePath);
    d.put("fqn", n.fqn);
    d.put("database", n.database);
    d.put("schema", n.schema);
    d.put("alias", n.alias);
    d.put("identifier", n.identifier != null ? n.identifier : n.alias);
    d.put("config", n.config);
    d.put("tags", new ArrayList<>(n.tags));
    d.put("meta", n.meta);
    d.put("description", n.description);
    d.put("raw_code", n.rawCode);
    d.put("raw_sql", n.rawCode);
    d.put("language", n.language);
    d.put("relation_name", n.relationName);
    d.put("version", n.version);
    d.put("latest_version", n.latestVersion);
    Map<String, Object> cols = new LinkedHashMap<>();
    for (Node.ColumnDef c : n.columns.values()) {
      Map<String, Object> cd = new LinkedHashMap<>();
      cd.put("name", c.name);
      cd.put("description", c.description);
      cd.put("data_type", c.dataType);
      cd.put("meta", c.meta);
      cd.put("tags", c.tags);
      cols.put(c.name, cd);
    }
    d.put("columns", cols);
    Map<String, Object> deps = new LinkedHashMap<>();
    deps.put("nodes", new ArrayList<>(n.dependsOnNodes));
    deps.put("macros", new ArrayList<>(n.dependsOnMacros));
    d.put("depends_on", deps);
    List<Object> refs = new ArrayList<>();
    for (Node.RefCall r : n.refs) {
      Map<String, Object> rd = new LinkedHashMap<>();
      rd.put("name", r.name());
      rd.put("package", r.packageName());
      rd.put("version", r.version());
      refs.add(rd);
    }
    d.put("refs", refs);
    d.put("sources", n.sources);
    if (n.resourceType == ResourceType.SOURCE) {
      d.put("source_name", n.sourceName);
      d.put("loaded_at_field", n.loadedAtField);
    }
    if (n.testMetadata != null) {
      Map<String, Object> tm = new LinkedHashMap<>();
      tm.put("name", n.testMetadata.name());
      tm.put("namespace", n.testMetadata.namespace());
      tm.put("kwargs", n.testMetadata.kwargs());
      d.put("test_metadata", tm);
      d.put("column_name", n.columnName);
      d.put("attached_node", n.attachedNode);
    }
    d.put("compiled_code", n.compiledCode);
    return d;
  }

  private RelationValue thisRelation(Node node) {
    if (resolver != null) return new RelationValue(resolver.relationOf(node), dialect);
    return new RelationValue(Relation.of(node.database != null ? node.database : target.database(),
        node.schema != null ? node.schema : target.schema(), node.alias != null ? node.alias : node.name), dialect);
  }

  // ------------------------------------------------------------------ ref / source

  private Object ref(Node from, Mode mode, RenderState state, List<Object> a, Map<String, Object> k) {
    if (a.isEmpty() || a.size() > 2) throw new CompilerError("ref() takes 1 or 2 arguments: ref('model') or ref('package', 'model')");
    String pkg = a.size() == 2 ? Python.str(a.get(0)) : null;
    String name = Python.str(a.get(a.size() - 1));
    Object version = k.containsKey("v") ? k.get("v") : k.get("version");
    if (mode == Mode.PARSE) {
      if (from != null) {
        Node.RefCall call = new Node.RefCall(pkg, name, version, 0);
        synchronized (from) {
          if (!from.refs.contains(call)) from.refs.add(call);
        }
      }
      return new RelationValue(Relation.of(target.database(), target.schema(), name), dialect);
    }
    Node n = resolver.findRef(from, pkg, name, version);
    if (n == null) {
      throw new CompilerError("ref('" + name + "') does not resolve to a node");
    }
    if (n.isEphemeral()) {
      if (state != null && !state.ephemerals.contains(n)) state.ephemerals.add(n);
      return RelationValue.cte(resolver.relationOf(n), dialect, "__dbt__cte__" + n.name);
    }
    Deferral d = deferral;
    if (d != null && state != null && state.warehouse != null) {
      Relation deferred = d.relationFor(n, state.warehouse);
      if (deferred != null) {
        return state.warehouse.empty() ? RelationValue.empty(deferred, dialect) : new RelationValue(deferred, dialect);
      }
    }
    if (state != null && state.warehouse != null && state.warehouse.empty()) return RelationValue.empty(resolver.relationOf(n), dialect);
    if (state != null && state.warehouse != null) return batchFiltered(n, state.warehouse);
    return new RelationValue(resolver.relationOf(n), dialect);
  }

  private Object source(Node from, Mode mode, Warehouse wh, List<Object> a) {
    if (a.size() != 2) throw new CompilerError("source() takes 2 arguments: source('source_name', 'table_name')");
    String src = Python.str(a.get(0));
    String table = Python.str(a.get(1));
    if (mode == Mode.PARSE) {
      if (from != null) {
        List<String> call = List.of(src, table);
        synchronized (from) {
          if (!from.sources.contains(call)) from.sources.add(call);
        }
      }
      return new RelationValue(Relation.of(target.database(), src, table), dialect);
    }
    Node n = resolver.findSource(from, src, table);
    if (n == null) throw new CompilerError("source('" + src + "', '" + table + "') was not found");
    if (wh != null && wh.empty()) return RelationValue.empty(resolver.relationOf(n), dialect);
    if (wh != null) return batchFiltered(n, wh);
    return new RelationValue(resolver.relationOf(n), dialect);
  }

  /** The relation of {@code n}, filtered to the batch window when a microbatch batch renders and n has an event_time. */
  private RelationValue batchFiltered(Node n, Warehouse wh) {
    EventTimeWindow w = wh.eventTimeWindow();
    Object et = n.config.get("event_time");
    if (w == null || et == null) return new RelationValue(resolver.relationOf(n), dialect);
    return RelationValue.filtered(resolver.relationOf(n), dialect, Python.str(et), w);
  }

  private Object doc(List<Object> a) {
    String name = Python.str(a.get(a.size() - 1));
    if (resolver == null) return "";
    for (DocDef d : resolver.docs().values()) {
      if (d.name().equals(name) && (a.size() == 1 || d.packageName().equals(Python.str(a.get(0))))) return d.blockContents();
    }
    throw new CompilerError("doc('" + name + "') was not found");
  }

  private boolean isIncremental(Node node, Mode mode, Warehouse wh) {
    if (mode != Mode.EXECUTE || node == null || wh == null) return false;
    if (!"incremental".equals(node.materialized())) return false;
    Object fr = node.config.get("full_refresh");
    if (fr == null ? wh.fullRefresh() : Python.truthy(fr)) return false;
    Relation r = resolver.relationOf(node);
    Optional<Relation> existing = wh.session().getRelation(r.database(), r.schema(), r.identifier());
    return existing.isPresent() && existing.get().type() == RelationType.TABLE;
  }

  // ------------------------------------------------------------------ var / env_var

  /** var('name', default): CLI --vars, then the package-scoped and global project vars. */
  final class VarFunction implements JinjaCallable, JinjaObject {
    private final String pkg;

    VarFunction(String pkg) { this.pkg = pkg; }

    @Override
    public Object call(RenderContext ctx, List<Object> a, Map<String, Object> k) {
      if (a.isEmpty()) throw new CompilerError("var() needs a variable name");
      String name = Python.str(a.get(0));
      Object found = lookup(name);
      if (found != MISSING) return found;
      if (a.size() > 1) return a.get(1);
      if (k.containsKey("default")) return k.get("default");
      throw new CompilerError("Required var '" + name + "' not found in config. Vars supplied: "
          + Python.repr(visibleVars()) + "." + Suggest.didYouMean(name, visibleVars().keySet())
          + " Set it in dbt_project.yml 'vars:' or pass --vars '{" + name + ": ...}'");
    }

    private Object lookup(String name) {
      if (cliVars.containsKey(name)) return cliVars.get(name);
      Object scoped = settings.vars().get(pkg);
      if (scoped instanceof Map<?, ?> m && m.containsKey(name)) return m.get(name);
      if (settings.vars().containsKey(name) && !(isPackageName(name))) return settings.vars().get(name);
      Map<String, Object> own = packageVars.get(pkg);
      if (own != null && own.containsKey(name)) return own.get(name);
      return MISSING;
    }

    private boolean isPackageName(String name) {
      return settings.vars().get(name) instanceof Map && (name.equals(settings.name()) || macros.hasPackage(name)
          || packageVars.containsKey(name));
    }

    private Map<String, Object> visibleVars() {
      Map<String, Object> v = new LinkedHashMap<>(packageVars.getOrDefault(pkg, Map.of()));
      for (Map.Entry<String, Object> e : settings.vars().entrySet()) if (!isPackageName(e.getKey())) v.put(e.getKey(), e.getValue());
      if (settings.vars().get(pkg) instanceof Map<?, ?> m) for (Map.Entry<?, ?> e : m.entrySet()) v.put(String.valueOf(e.getKey()), e.getValue());
      v.putAll(cliVars);
      return v;
    }

    @Override
    public Object getAttribute(String name) {
      if ("has_var".equals(name)) return (JinjaCallable) (c, a, k) -> lookup(Python.str(a.get(0))) != MISSING;
      return null;
    }
  }

  private static final Object MISSING = new Object();

  private Object envVar(List<Object> a, Map<String, Object> k) {
    if (a.isEmpty()) throw new CompilerError("env_var() needs a variable name");
    String name = Python.str(a.get(0));
    envVarsUsed.add(name);
    String v = envLookup.apply(name);
    if (v == null) {
      if (a.size() > 1) return a.get(1);
      if (k.containsKey("default")) return k.get("default");
      throw new CompilerError("Env var required but not provided: '" + name + "'");
    }
    if (Secrets.isSecretEnvName(name)) Secrets.register(v);
    return v;
  }

  // ------------------------------------------------------------------ statement

  private Object statement(RenderContext c, Node node, Mode mode, Warehouse wh, RenderState state,
                           List<Object> a, Map<String, Object> k) {
    String name = a.isEmpty() ? (String) k.get("name") : Python.str(a.get(0));
    boolean fetch = Python.truthy(a.size() > 1 ? a.get(1) : k.get("fetch_result"));
    Object caller = k.get("caller");
    String sql = caller instanceof JinjaCallable cc ? Python.str(cc.call(c, List.of(), Map.of())) : "";
    if (mode != Mode.EXECUTE || wh == null) return "";
    QueryResult r = fetch ? wh.session().query(sql, -1) : QueryResult.affected(wh.session().execute(sql));
    if (name != null) {
      Map<String, Object> res = new LinkedHashMap<>();
      Map<String, Object> response = new LinkedHashMap<>();
      response.put("_message", "OK");
      response.put("rows_affected", r.rowsAffected());
      response.put("code", "OK");
      res.put("response", (JinjaObject) response::get);
      TableValue table = new TableValue(r);
      res.put("table", table);
      List<Object> data = new ArrayList<>();
      for (List<Object> row : r.rows()) data.add(PyTuple.copyOf(row));
      res.put("data", data);
      state.results.put(name, res);
    }
    return "";
  }

  // ------------------------------------------------------------------ config

  /** {@code config(...)}, {@code config.get(k, default)}, {@code config.require(k)}. */
  final class ConfigValue implements JinjaCallable, JinjaObject {
    private final Node node;
    private final RenderState state;
    private final Mode mode;

    ConfigValue(Node node, RenderState state, Mode mode) {
      this.node = node;
      this.state = state;
      this.mode = mode;
    }

    @Override
    public Object call(RenderContext ctx, List<Object> a, Map<String, Object> k) {
      if (!a.isEmpty() && a.get(0) instanceof Map<?, ?> m) {
        for (Map.Entry<?, ?> e : m.entrySet()) state.inFileConfig.put(String.valueOf(e.getKey()), e.getValue());
      }
      if (mode == Mode.PARSE && state != null) state.inFileConfig.putAll(k);
      return "";
    }

    private Object value(String key) {
      if (state != null && state.inFileConfig.containsKey(key)) return state.inFileConfig.get(key);
      return node == null ? null : node.config.get(key);
    }

    @Override
    public Object getAttribute(String name) {
      return switch (name) {
        case "get" -> (JinjaCallable) (c, a, k) -> {
          Object v = value(Python.str(a.get(0)));
          if (v == null) return a.size() > 1 ? a.get(1) : k.get("default");
          return v;
        };
        case "require" -> (JinjaCallable) (c, a, k) -> {
          String key = Python.str(a.get(0));
          Object v = value(key);
          if (v == null && mode == Mode.EXECUTE) {
            throw new CompilerError("Required config '" + key + "' is missing for " + (node == null ? "this node" : node.name));
          }
          return v;
        };
        case "set" -> (JinjaCallable) (c, a, k) -> {
          state.inFileConfig.put(Python.str(a.get(0)), a.get(1));
          return "";
        };
        case "persist_relation_docs", "persist_column_docs" -> (JinjaCallable) (c, a, k) -> false;
        case "model" -> node == null ? null : nodeDict(node);
        default -> null;
      };
    }
  }

  // ------------------------------------------------------------------ adapter

  final class AdapterValue implements JinjaObject {
    private final Node node;
    private final Mode mode;
    private final Warehouse wh;

    AdapterValue(Node node, Mode mode, Warehouse wh) {
      this.node = node;
      this.mode = mode;
      this.wh = wh;
    }

    private boolean live() { return mode == Mode.EXECUTE && wh != null; }

    @Override
    public Object getAttribute(String name) {
      return switch (name) {
        case "dispatch" -> (JinjaCallable) (c, a, k) -> dispatch(a, k);
        case "quote" -> (JinjaCallable) (c, a, k) -> dialect.quote(Python.str(a.get(0)));
        case "type" -> (JinjaCallable) (c, a, k) -> target.type();
        case "get_relation" -> (JinjaCallable) (c, a, k) -> {
          if (!live()) return null;
          String db = str(arg(a, k, 0, "database"));
          String schema = str(arg(a, k, 1, "schema"));
          String id = str(arg(a, k, 2, "identifier"));
          return wh.session().getRelation(db, schema, id).map(r -> (Object) new RelationValue(r, dialect)).orElse(null);
        };
        case "load_relation" -> (JinjaCallable) (c, a, k) -> {
          if (!live()) return null;
          Relation r = ((RelationValue) a.get(0)).relation();
          return wh.session().getRelation(r.database(), r.schema(), r.identifier()).map(x -> (Object) new RelationValue(x, dialect)).orElse(null);
        };
        case "get_columns_in_relation" -> (JinjaCallable) (c, a, k) -> {
          if (!live()) return new ArrayList<>();
          List<Object> out = new ArrayList<>();
          for (ColumnInfo ci : wh.session().getColumns(((RelationValue) a.get(0)).relation())) out.add(new ColumnValue(ci, dialect));
          return out;
        };
        case "check_schema_exists" -> (JinjaCallable) (c, a, k) -> live() && wh.session().schemaExists(str(a.get(0)), str(a.get(1)));
        case "create_schema" -> (JinjaCallable) (c, a, k) -> {
          if (live()) {
            Relation r = ((RelationValue) a.get(0)).relation();
            wh.session().createSchema(r.database(), r.schema());
          }
          return "";
        };
        case "drop_relation" -> (JinjaCallable) (c, a, k) -> {
          if (live()) {
            Relation r = ((RelationValue) a.get(0)).relation();
            wh.session().execute(dialect.dropIfExists(r, r.type() == RelationType.UNKNOWN ? RelationType.TABLE : r.type()));
          }
          return "";
        };
        case "execute" -> (JinjaCallable) (c, a, k) -> {
          if (!live()) return PyTuple.copyOf(java.util.Arrays.asList("", new ArrayList<>()));
          boolean fetch = Python.truthy(k.get("fetch"));
          String sql = Python.str(a.get(0));
          QueryResult r = fetch ? wh.session().query(sql, -1) : QueryResult.affected(wh.session().execute(sql));
          return PyTuple.copyOf(java.util.Arrays.asList(Map.of("_message", "OK", "rows_affected", r.rowsAffected()), new TableValue(r)));
        };
        case "list_relations_without_caching" -> (JinjaCallable) (c, a, k) -> {
          List<Object> out = new ArrayList<>();
          if (!live()) return out;
          Relation r = ((RelationValue) a.get(0)).relation();
          for (Relation x : wh.session().listRelations(r.database(), r.schema())) out.add(new RelationValue(x, dialect));
          return out;
        };
        case "config" -> Map.of("credentials", Map.of("schema", target.schema(), "database", String.valueOf(target.database())));
        default -> null;
      };
    }

    private Object dispatch(List<Object> a, Map<String, Object> k) {
      String macroName = Python.str(arg(a, k, 0, "macro_name"));
      Object ns = arg(a, k, 1, "macro_namespace");
      List<String> order = new ArrayList<>();
      if (ns != null) {
        String n = Python.str(ns);
        List<String> configured = null;
        for (Map<String, Object> d : settings.dispatch()) {
          if (n.equals(String.valueOf(d.get("macro_namespace"))) && d.get("search_order") instanceof List<?> l) {
            configured = new ArrayList<>();
            for (Object o : l) configured.add(String.valueOf(o));
          }
        }
        if (configured != null) order.addAll(configured);
        else {
          order.add(macros.rootPackage());
          order.add(n);
        }
      } else {
        if (node != null) order.add(node.packageName);
        order.add(macros.rootPackage());
      }
      Macro m = macros.dispatch(macroName, order, adapterPrefixes);
      if (m == null) {
        List<String> searched = new ArrayList<>();
        for (String o : order) for (String p : adapterPrefixes) searched.add(o + "." + p + "__" + macroName);
        throw new CompilerError("In dispatch: No macro named '" + macroName + "' found"
            + (ns == null ? "" : " within namespace: '" + ns + "'") + ". Searched for: " + String.join(", ", searched));
      }
      return m;
    }
  }

  private static Object arg(List<Object> a, Map<String, Object> k, int i, String name) {
    return a.size() > i ? a.get(i) : k.get(name);
  }

  private static String str(Object o) { return o == null ? null : Python.str(o); }

  // ------------------------------------------------------------------ misc globals

  private JinjaObject exceptions() {
    return name -> switch (name) {
      case "raise_compiler_error", "raise_not_implemented", "raise_database_error", "raise_fail_fast_error",
           "raise_contract_error", "column_type_missing", "relation_wrong_type", "raise_dependency_error" ->
          (JinjaCallable) (c, a, k) -> {
            throw new CompilerError(a.isEmpty() ? name : Python.str(a.get(0)));
          };
      case "warn" -> (JinjaCallable) (c, a, k) -> {
        info.accept("[WARNING]: " + (a.isEmpty() ? "" : Python.str(a.get(0))));
        return "";
      };
      default -> null;
    };
  }

  private JinjaObject api() {
    JinjaObject relation = name -> "create".equals(name) ? (JinjaCallable) (c, a, k) -> {
      RelationType type = RelationType.UNKNOWN;
      Object t = k.get("type");
      if (t != null) for (RelationType x : RelationType.values()) if (x.dbtName().equals(String.valueOf(t))) type = x;
      return new RelationValue(new Relation(str(k.get("database")), str(k.get("schema")),
          String.valueOf(k.getOrDefault("identifier", k.get("table"))), type), dialect);
    } : null;
    JinjaObject column = name -> "create".equals(name)
        ? (JinjaCallable) (c, a, k) -> new ColumnValue(new ColumnInfo(Python.str(a.get(0)), Python.str(a.get(1))), dialect) : null;
    return name -> switch (name) {
      case "Relation" -> relation;
      case "Column" -> column;
      default -> null;
    };
  }

  private static List<Object> iter(Object o) {
    List<Object> out = new ArrayList<>();
    if (o instanceof Map<?, ?> m) out.addAll(m.keySet());
    else if (o instanceof Iterable<?> it) for (Object x : it) out.add(x);
    else if (o instanceof String s) for (char ch : s.toCharArray()) out.add(String.valueOf(ch));
    return out;
  }

  private static List<Object> zip(List<Object> lists) {
    List<List<Object>> ls = new ArrayList<>();
    for (Object o : lists) ls.add(iter(o));
    List<Object> out = new ArrayList<>();
    int n = ls.stream().mapToInt(List::size).min().orElse(0);
    for (int i = 0; i < n; i++) {
      List<Object> t = new ArrayList<>();
      for (List<Object> l : ls) t.add(l.get(i));
      out.add(PyTuple.copyOf(t));
    }
    return out;
  }

  static String md5(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
