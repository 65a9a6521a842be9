package dev.weir.core.execute;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Engine;
import dev.weir.core.engine.EngineFactory;
import dev.weir.core.engine.EngineOptions;
import dev.weir.core.engine.Engines;
import dev.weir.core.engine.TargetConfig;
import dev.weir.core.graph.Graph;
import dev.weir.core.graph.IndirectSelection;
import dev.weir.core.graph.SelectionRequest;
import dev.weir.core.graph.Selector;
import dev.weir.core.graph.Selectors;
import dev.weir.core.graph.SelectorMethods;
import dev.weir.core.graph.StateMethods;
import dev.weir.core.project.Node;
import dev.weir.core.project.Profiles;
import dev.weir.core.project.Project;
import dev.weir.core.project.ProjectLoader;
import dev.weir.core.project.ProjectSettings;
import dev.weir.core.project.ResourceType;
import dev.weir.core.render.Renderer;
import dev.weir.core.util.Console;
import dev.weir.core.util.Secrets;
import dev.weir.jinja.JinjaEnvironment;
import dev.weir.jinja.Python;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * One invocation's view of a project: settings, target, the loaded project and its graph, and
 * the warehouse (opened on first use). Commands are thin layers over this.
 */
public final class Workspace implements AutoCloseable {
  private final Options opts;
  private final Console console;
  private final String invocationId;
  private final Instant startedAt = Instant.now();
  private final Path projectDir;
  private ProjectSettings settings;
  private TargetConfig target;
  private EngineFactory factory;
  private ProjectLoader.Loaded loaded;
  private Graph graph;
  private Engine engine;

  public Workspace(Options opts, Console console) {
    this.opts = opts;
    this.console = console;
    // One id for the JSON log lines, the Jinja context and the artifacts.
    this.invocationId = console.invocationId() != null ? console.invocationId() : UUID.randomUUID().toString();
    this.projectDir = opts.projectDir().toAbsolutePath().normalize();
  }

  public Options options() { return opts; }

  private final java.util.Map<String, Object> memo = new java.util.concurrent.ConcurrentHashMap<>();

  /** A value computed once per workspace (per loaded project), e.g. an index over the nodes. */
  @SuppressWarnings("unchecked")
  public <T> T memo(String key, java.util.function.Supplier<T> compute) {
    return (T) memo.computeIfAbsent(key, k -> compute.get());
  }

  private volatile boolean storeFailures;
  /** dbt's {@code flags} as Jinja sees them (the renderer holds this map). */
  private final Map<String, Object> flags = java.util.Collections.synchronizedMap(new LinkedHashMap<>());

  /** dbt's --store-failures (test, build): keep every test's failing rows unless the test's config says otherwise. */
  public boolean storeFailures() { return storeFailures; }

  public void setStoreFailures(boolean on) {
    this.storeFailures = on;
    flags.put("STORE_FAILURES", on); // flags.STORE_FAILURES and should_store_failures() in Jinja
  }

  private volatile Boolean checkFusion;

  /**
   * Whether checks on one relation are decided by one scan: {@code --fusion} / {@code --no-fusion}, else the engine's
   * default — on for Postgres (every query scans the table), off for DuckDB, where one query per check reads row-group
   * statistics for null and range checks and measured ~25 % faster than the fused scan on the checks benchmark.
   */
  public boolean checkFusion() {
    Boolean c = checkFusion;
    return c != null ? c : !"duckdb".equals(target().type());
  }

  /** True, false, or null for the engine's default. */
  public void setCheckFusion(Boolean on) { this.checkFusion = on; }

  private final java.util.Map<String, dev.weir.core.engine.QueryResult> failingSamples = new java.util.concurrent.ConcurrentHashMap<>();

  /** A few of a failing or warning test's rows, for the console summary. */
  public void recordFailingSample(String uniqueId, dev.weir.core.engine.QueryResult rows) { failingSamples.put(uniqueId, rows); }

  public dev.weir.core.engine.QueryResult failingSample(String uniqueId) { return failingSamples.get(uniqueId); }

  public Console console() { return console; }

  public String invocationId() { return invocationId; }

  public Instant startedAt() { return startedAt; }

  public Path projectDir() { return projectDir; }

  public ProjectSettings settings() {
    if (settings == null) settings = ProjectLoader.readSettings(projectDir, console::warn, opts.strict());
    return settings;
  }

  public Path targetDir() { return projectDir.resolve(settings().targetPath()); }

  /** The resolved profile target (env_var in profiles.yml rendered; secrets registered for masking). */
  public TargetConfig target() {
    if (target != null) return target;
    ProjectSettings s = settings();
    Profiles.Located located = Profiles.locate(projectDir, opts.profilesDir(), opts.env()::get);
    JinjaEnvironment env = new JinjaEnvironment();
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put("env_var", (dev.weir.jinja.JinjaCallable) (c, a, k) -> {
      String name = Python.str(a.get(0));
      String v = opts.env().get(name);
      if (v == null) {
        if (a.size() > 1) return a.get(1);
        // Profiles.resolve adds the place (profiles.yml and the line of the key being rendered).
        throw new WeirException(WeirException.Kind.USAGE, "Env var required but not provided: '" + name + "'");
      }
      if (Secrets.isSecretEnvName(name)) Secrets.register(v);
      return v;
    });
    ctx.put("var", (dev.weir.jinja.JinjaCallable) (c, a, k) -> {
      String name = Python.str(a.get(0));
      if (opts.vars().containsKey(name)) return opts.vars().get(name);
      if (a.size() > 1) return a.get(1);
      throw new WeirException(WeirException.Kind.USAGE, "Required var '" + name + "' not found: pass it with --vars '{"
          + name + ": ...}'");
    });
    target = Profiles.resolve(projectDir, s, located, opts.target(), str -> {
      try {
        return env.parse(String.valueOf(located.file()), str).render(ctx);
      } catch (dev.weir.jinja.JinjaException e) {
        if (e.getCause() instanceof WeirException we) throw we;
        throw new WeirException(WeirException.Kind.PROJECT, String.valueOf(located.file()), e.line(), e.getMessage(), e);
      }
    }, opts.threads());
    factory = Engines.forType(target.type());
    for (String key : factory.secretKeys()) {
      Object v = target.settings().get(key);
      if (v != null) Secrets.register(String.valueOf(v));
    }
    return target;
  }

  /** Everything besides the project's files that decides what parsing produces (part of cache keys). */
  public String parseInputs() {
    TargetConfig t = target();
    return dev.weir.core.project.ProjectLoader.PARSE_RULES_VERSION + "|" + t.profileName() + "/" + t.name() + "/" + t.type()
        + "/" + t.database() + "/" + t.schema() + "|vars=" + new java.util.TreeMap<>(opts.vars()) + "|strict=" + opts.strict();
  }

  public EngineFactory engineFactory() {
    target();
    return factory;
  }

  private dev.weir.core.project.FilePrefetch filePrefetch;

  /** The project's files being read ahead (by {@code weir parse}), for the load to use. */
  public void useFilePrefetch(dev.weir.core.project.FilePrefetch prefetch) { this.filePrefetch = prefetch; }

  /** Loads (once) and returns the project. */
  public ProjectLoader.Loaded loaded() {
    if (loaded != null) return loaded;
    TargetConfig t = target();
    long start = System.nanoTime();
    flags.put("FULL_REFRESH", opts.fullRefresh());
    flags.put("WHICH", opts.command());
    flags.putIfAbsent("STORE_FAILURES", storeFailures);
    flags.put("FAIL_FAST", opts.failFast());
    flags.put("EMPTY", opts.empty());
    ProjectLoader.Request req = new ProjectLoader.Request(projectDir, t, factory.dialect(t), opts.vars(), opts.env()::get,
        opts.strict(), console::warn, console::info, console::debug, invocationId, startedAt, flags, opts.useParseCache());
    loaded = ProjectLoader.load(req, settings(), filePrefetch);
    console.debug("Loaded project " + loaded.project().name() + " in " + Console.seconds((System.nanoTime() - start) / 1e9) + "s");
    return loaded;
  }

  public Project project() { return loaded().project(); }

  public Renderer renderer() { return loaded().renderer(); }

  public Graph graph() {
    if (graph == null) {
      List<Node> all = new ArrayList<>(project().nodes().values());
      all.addAll(project().sources().values());
      try {
        graph = Graph.of(all);
      } catch (WeirException e) {
        if (e.getMessage() == null || !e.getMessage().startsWith("Found a cycle")) throw e;
        // Name the files too: the ids say what, the files say where to fix it.
        StringBuilder files = new StringBuilder();
        for (Node n : all) {
          if (n.originalFilePath != null && (e.getMessage().contains(n.uniqueId + " ") || e.getMessage().endsWith(n.uniqueId))) {
            if (files.length() > 0) files.append(", ");
            files.append(n.originalFilePath);
          }
        }
        throw new WeirException(WeirException.Kind.PROJECT, null, 0, e.getMessage() + " (files: " + files + ")", e);
      }
    }
    return graph;
  }

  /** Selected unique ids of the given resource types, in topological order. */
  public List<String> select(Set<ResourceType> types) {
    Selectors selectors = project().selectors().isEmpty() ? Selectors.empty() : Selectors.parse(project().selectors());
    IndirectSelection mode = opts.indirectSelection() == null ? IndirectSelection.EAGER
        : IndirectSelection.parse(opts.indirectSelection());
    SelectionRequest req = new SelectionRequest(opts.select(), opts.exclude(), opts.selector(), selectors, mode, projectDir);
    if (opts.select().isEmpty() && opts.selector() == null) req = req.withDefaultSelector();
    Selector.Result result = new Selector(selectorMethods()).run(graph(), req);
    for (String u : result.unmatched()) console.warn("The selection criterion '" + u + "' does not match any enabled nodes");
    Set<String> chosen = new LinkedHashSet<>();
    for (String id : result.selected()) {
      Node n = project().node(id);
      if (n != null && types.contains(n.resourceType)) chosen.add(id);
    }
    return new ArrayList<>(chosen);
  }

  /** The selection methods: dbt's built-ins plus {@code state:} and {@code result:} (which read --state). */
  public SelectorMethods selectorMethods() {
    return StateMethods.register(SelectorMethods.defaults(), opts.state(), this::manifestJson);
  }

  /** The project as manifest JSON, written as target/manifest.json would be (for state comparison). */
  public com.fasterxml.jackson.databind.JsonNode manifestJson() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    new dev.weir.core.artifacts.ManifestWriter(dev.weir.core.util.Secrets::mask)
        .write(project(), invocationId, startedAt, target().type(), out);
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toByteArray());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * dbt's --defer (and --favor-state): refs to nodes outside {@code selected} may read the
   * relations recorded in the --state manifest. Does nothing without --defer.
   */
  public void installDeferral(List<String> selected) {
    if (!opts.defer() && !opts.favorState()) return;
    if (opts.state() == null) throw WeirException.usage("--defer needs --state DIR (the folder of a previous manifest.json)");
    renderer().setDeferral(Deferral.load(opts.state(), selected, opts.favorState(), console, project().nodes()));
  }

  /** Opens the warehouse (once). Read-only commands avoid the write lock where the engine allows it. */
  public Engine engine(boolean readOnly) {
    if (engine == null) {
      TargetConfig t = target();
      EngineOptions eo = new EngineOptions(targetDir(), readOnly, opts.lockTimeout(), "weir " + opts.command(), console::warn);
      engine = factory.open(t, eo);
    }
    return engine;
  }

  @Override
  public void close() {
    if (engine != null) {
      engine.close();
      engine = null;
    }
  }
}
