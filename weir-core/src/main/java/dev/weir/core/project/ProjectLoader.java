package dev.weir.core.project;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.TargetConfig;
import dev.weir.core.render.MacroRegistry;
import dev.weir.core.render.Renderer;
import dev.weir.core.util.Suggest;
import dev.weir.core.util.Yaml;
import dev.weir.core.util.Yaml.YList;
import dev.weir.core.util.Yaml.YMap;
import dev.weir.jinja.BlockDef;
import dev.weir.jinja.JinjaEnvironment;
import dev.weir.jinja.JinjaException;
import dev.weir.jinja.Macro;
import dev.weir.jinja.Python;
import dev.weir.jinja.Template;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Loads a dbt project: dbt_project.yml, macros, models, seeds, tests, analyses, properties YAML
 * and docs, resolving configs through dbt's hierarchy (dbt_project.yml → properties YAML → in-file
 * config()) and refs into dependencies. SQL files are parsed and rendered in PARSE mode in parallel.
 */
public final class ProjectLoader {

  /** What a load needs besides the project folder. */
  public record Request(Path projectDir, TargetConfig target, Dialect dialect, Map<String, Object> cliVars,
                        Function<String, String> env, boolean strict, Consumer<String> warn, Consumer<String> info,
                        Consumer<String> debug, String invocationId, Instant runStartedAt, Map<String, Object> flags,
                        boolean useCache) {}

  /**
   * The result: the project, the renderer bound to it, and its templates (parsed once, on first
   * need: files the parse cache answered for are parsed only if they are compiled).
   */
  public record Loaded(Project project, Renderer renderer, Function<Node, Template> templates, int cacheHits) {
    public Template template(Node n) { return templates.apply(n); }
  }

  /** Weir's version of the parse rules; part of the parse cache key. */
  public static final String PARSE_RULES_VERSION = "weir-parse-1";

  private static final String BUILTIN_INDEX = "/dev/weir/core/macros/index.txt";

  private final Request req;
  private final ProjectSettings settings;
  private final Path root;
  private final String pkg;
  private final List<String> warnings = new ArrayList<>();
  // Maps with an entry per node are made large at once: growing a concurrent map to 10,000 entries resizes it ten times
  // (it showed in profiles of large parses); an empty table of this size is 64 KB.
  private final Map<String, Template> templates = new ConcurrentHashMap<>(16384);
  private final Map<String, DocDef> docs = new LinkedHashMap<>();
  private final Set<String> usedConfigPaths = ConcurrentHashMap.newKeySet();
  private final List<String> allConfigPaths = new ArrayList<>();
  private final Map<String, Integer> configPathLines = new HashMap<>();
  private JinjaEnvironment env = new JinjaEnvironment();
  private final StringBuilder cacheKey = new StringBuilder(PARSE_RULES_VERSION);

  private ProjectLoader(Request req, ProjectSettings settings) {
    this.req = req;
    this.settings = settings;
    this.root = req.projectDir();
    this.pkg = settings.name();
  }

  public static ProjectSettings readSettings(Path projectDir, Consumer<String> warn, boolean strict) {
    return DbtProjectFile.load(projectDir, warn, strict);
  }

  /** Loads, with the project's SQL files read ahead by {@code prefetch} (of this project's folder, or null) where it has them. */
  public static Loaded load(Request req, ProjectSettings settings, FilePrefetch prefetch) {
    ProjectLoader loader = new ProjectLoader(req, settings);
    if (prefetch != null && prefetch.root().equals(loader.root)) {
      loader.prefetch = prefetch;
      loader.env = prefetch.env(); // its templates were parsed with it
    } else if (prefetch != null) {
      prefetch.stop();
    }
    return loader.run();
  }

  /** Files read ahead (root project only), or null. */
  private FilePrefetch prefetch;
  /** The files nodes were read from when read ahead, by node id: their templates may be parsed already. */
  private final Map<String, FilePrefetch.Content> readAhead = new ConcurrentHashMap<>(16384);

  private void warn(String msg) {
    warnings.add(msg);
    req.warn().accept(msg);
  }

  private long phaseStart = System.nanoTime();

  private void phase(String name) {
    long now = System.nanoTime();
    req.debug().accept("parse phase " + name + ": " + dev.weir.core.util.Console.seconds((now - phaseStart) / 1e9) + "s");
    phaseStart = now;
  }

  private Loaded run() {
    MacroRegistry macros = new MacroRegistry(pkg);
    loadBuiltinMacros(macros);
    phase("built-in macros");
    // Installed packages (dbt_packages/): their macros under their own package names.
    List<ProjectLoader> packages = packageLoaders();
    for (ProjectLoader p : packages) {
      for (String mp : p.settings.macroPaths()) p.loadMacroFiles(macros, p.files(mp, ".sql"));
      for (String tp : p.settings.testPaths()) p.loadMacroFiles(macros, p.files(tp + "/generic", ".sql"));
      cacheKey.append("|package=").append(p.pkg).append(p.cacheKey);
    }
    phase("packages");
    for (String mp : settings.macroPaths()) loadMacroFiles(macros, files(mp, ".sql"));
    for (String tp : settings.testPaths()) loadMacroFiles(macros, files(tp + "/generic", ".sql"));
    macros.freeze();
    phase("macros");
    Renderer renderer = new Renderer(env, settings, req.target(), req.dialect(), req.cliVars(), req.env(), macros,
        req.invocationId(), req.runStartedAt(), req.flags(), req.info(), req.debug());
    Map<String, ProjectLoader> owners = new HashMap<>();
    owners.put(pkg, this);
    Map<String, Map<String, Object>> packageVars = new LinkedHashMap<>();
    for (ProjectLoader p : packages) {
      owners.put(p.pkg, p);
      packageVars.put(p.pkg, p.ownVars());
    }
    renderer.setPackageVars(packageVars);

    List<Node> nodes = fileNodes();
    for (ProjectLoader p : packages) {
      nodes.addAll(p.fileNodes());
      docs.putAll(p.docs);
    }

    phase(prefetch == null ? "files" : "files (" + prefetch.taken() + " read ahead, " + prefetch.parsed() + " parsed so far)");
    // Jinja in dbt_project.yml's configs (this project's and each package's), rendered as dbt does at load.
    renderProjectYaml(renderer);
    for (ProjectLoader p : packages) p.renderProjectYaml(renderer);
    // Project-level configs first: in-file config.get() sees them while parsing. A package's own
    // dbt_project.yml configs its nodes; the root project's configs apply on top.
    collectConfigPaths();
    for (Node n : nodes) {
      Map<String, Object> projectConfig = projectConfig(n);
      ProjectLoader owner = owners.getOrDefault(n.packageName, this);
      if (owner != this) {
        Map<String, Object> own = owner.projectConfig(n);
        ConfigKeys.merge(own, projectConfig);
        projectConfig = own;
      }
      n.config.putAll(projectConfig);
    }
    return runWithNodes(macros, renderer, nodes, packages);
  }

  private void renderProjectYaml(Renderer renderer) {
    java.util.function.Function<String, String> render = text -> {
      Template t = parse(root.relativize(root.resolve("dbt_project.yml")).toString(), text);
      return renderer.render(t, null, Renderer.Mode.PARSE, null, renderer.newState(null, Renderer.Mode.PARSE), Map.of());
    };
    ProjectYamlJinja.render(settings.models(), "models", render);
    ProjectYamlJinja.render(settings.seeds(), "seeds", render);
    ProjectYamlJinja.render(settings.tests(), "data_tests", render);
    ProjectYamlJinja.render(settings.sources(), "sources", render);
    ProjectYamlJinja.render(settings.snapshots(), "snapshots", render);
    for (String section : List.of("analyses", "unit_tests", "exposures")) {
      ProjectYamlJinja.render(castMap(settings.raw().get(section)), section, render);
    }
  }

  /** Unit-test fixture files ({@code <test-path>/fixtures/**}), by file name; the first of a name wins. */
  private Map<String, Path> fixtures() {
    Map<String, Path> out = new LinkedHashMap<>();
    for (String tp : settings.testPaths()) {
      for (Path f : files(tp, "")) {
        String name = f.getFileName().toString();
        if (rel(f).startsWith(tp + "/fixtures/") && (name.endsWith(".csv") || name.endsWith(".sql"))) out.putIfAbsent(name, f);
      }
    }
    return out;
  }

  /** The installed packages, each loaded by a loader of its own folder and dbt_project.yml. */
  private List<ProjectLoader> packageLoaders() {
    List<ProjectLoader> out = new ArrayList<>();
    for (Path dir : Packages.installed(root, settings)) {
      Request r = new Request(dir, req.target(), req.dialect(), req.cliVars(), req.env(), false, req.warn(), req.info(),
          req.debug(), req.invocationId(), req.runStartedAt(), req.flags(), false);
      ProjectSettings ps = DbtProjectFile.load(dir, req.warn(), false);
      if (ps.name().equals(pkg)) continue; // a project installed into itself
      out.add(new ProjectLoader(r, ps));
    }
    return out;
  }

  /**
   * Sources other modules keep loaded (streams, change data capture: {@link SourceProvider}). A source the project
   * declares itself under the same name and table replaces the provided one (to add tests, freshness or columns).
   */
  private List<Node> providedSources(List<Node> declared) {
    Set<String> ids = new HashSet<>();
    for (Node d : declared) ids.add(d.uniqueId);
    List<Node> out = new ArrayList<>();
    for (SourceProvider provider : SourceProvider.installed()) {
      for (SourceProvider.Provided p : provider.sources(root)) {
        String id = "source." + pkg + "." + p.sourceName() + "." + p.table();
        if (!ids.add(id)) continue;
        Node s = new Node(id, ResourceType.SOURCE, pkg, p.table());
        s.sourceName = p.sourceName();
        s.originalFilePath = p.file();
        s.path = p.file();
        s.fqn = List.of(pkg, p.sourceName(), p.table());
        s.description = p.description() == null ? "" : p.description();
        s.sourceDescription = p.sourceDescription() == null ? "" : p.sourceDescription();
        s.loader = p.loader();
        s.identifier = p.identifier();
        s.schema = p.schema() != null ? p.schema() : req.target().schema();
        s.database = req.target().database();
        s.meta.putAll(p.meta());
        s.extra.put("source_yaml_line", p.line());
        out.add(s);
      }
    }
    return out;
  }

  /** A package's own dbt_project.yml vars (global ones and those it scopes to itself), its defaults. */
  private Map<String, Object> ownVars() {
    Map<String, Object> v = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : settings.vars().entrySet()) {
      if (!(e.getKey().equals(pkg) && e.getValue() instanceof Map)) v.put(e.getKey(), e.getValue());
    }
    if (settings.vars().get(pkg) instanceof Map<?, ?> m) for (Map.Entry<?, ?> e : m.entrySet()) v.put(String.valueOf(e.getKey()), e.getValue());
    return v;
  }

  /** This project's (or package's) models, seeds, tests, analyses and snapshots; its docs blocks into {@code docs}. */
  private List<Node> fileNodes() {
    List<Node> nodes = new ArrayList<>();
    for (String mp : settings.modelPaths()) {
      for (Path f : files(mp, ".py")) {
        throw WeirException.project(rel(f), 1, "Python models are not supported: Weir runs SQL models (Java only, no Python runtime). Rewrite "
            + rel(f) + " as a .sql model.");
      }
      // From here the loader reads what was not read ahead (no file is read twice).
      if (prefetch != null) prefetch.loaderReads();
      nodes.addAll(files(mp, ".sql").parallelStream().map(f -> sqlNode(f, mp, ResourceType.MODEL)).toList());
    }
    // dbt: docs blocks live in docs-paths, by default in every resource path.
    List<String> docsPaths = !settings.docsPaths().isEmpty() ? settings.docsPaths() : distinct(settings.modelPaths(),
        settings.seedPaths(), settings.analysisPaths(), settings.macroPaths(), settings.snapshotPaths(), settings.testPaths());
    for (String dp : docsPaths) for (Path f : files(dp, ".md")) loadDocs(f);
    for (String sp : settings.seedPaths()) {
      for (Path f : files(sp, ".csv")) nodes.add(seedNode(f, sp));
    }
    for (String tp : settings.testPaths()) {
      for (Path f : files(tp, ".sql")) {
        if (rel(f).startsWith(tp + "/generic/") || rel(f).startsWith(tp + "/fixtures/")) continue;
        nodes.add(sqlNode(f, tp, ResourceType.TEST));
      }
    }
    for (String ap : settings.analysisPaths()) for (Path f : files(ap, ".sql")) nodes.add(sqlNode(f, ap, ResourceType.ANALYSIS));
    for (String sp : settings.snapshotPaths()) for (Path f : files(sp, ".sql")) nodes.addAll(snapshotNodes(f, sp));
    return nodes;
  }

  private Loaded runWithNodes(MacroRegistry macros, Renderer renderer, List<Node> nodes, List<ProjectLoader> packages) {
    phase("project config");
    // Properties YAML: patches for nodes, sources, generic tests.
    Properties props = new Properties();
    List<Path> yamls = new ArrayList<>();
    for (String p : distinct(settings.modelPaths(), settings.seedPaths(), settings.analysisPaths(),
        settings.snapshotPaths(), settings.macroPaths(), settings.testPaths())) {
      yamls.addAll(files(p, ".yml"));
      yamls.addAll(files(p, ".yaml"));
    }
    for (Path y : yamls) props.read(y);
    props.splitVersions(nodes);
    Map<String, Properties> propsByPackage = new HashMap<>();
    propsByPackage.put(pkg, props);
    for (ProjectLoader p : packages) {
      Properties pp = p.new Properties();
      for (String d : distinct(p.settings.modelPaths(), p.settings.seedPaths(), p.settings.analysisPaths(),
          p.settings.snapshotPaths(), p.settings.macroPaths(), p.settings.testPaths())) {
        for (Path y : p.files(d, ".yml")) pp.read(y);
        for (Path y : p.files(d, ".yaml")) pp.read(y);
      }
      pp.splitVersions(nodes);
      for (Node n : pp.yamlSnapshots) {
        Map<String, Object> c = p.projectConfig(n);
        ConfigKeys.merge(c, projectConfig(n));
        n.config.putAll(c);
        nodes.add(n);
      }
      propsByPackage.put(p.pkg, pp);
    }
    // dbt 1.9 snapshots defined in YAML (relation: ref(...)/source(...)): nodes of their own.
    for (Node n : props.yamlSnapshots) {
      n.config.putAll(projectConfig(n));
      nodes.add(n);
    }

    phase("properties");
    // Parse-render SQL nodes in parallel: records refs, sources, in-file config. Files whose
    // content the parse cache knows are neither parsed nor rendered.
    TargetConfig tc = req.target();
    cacheKey.append("|project=").append(sha256(read(root.resolve("dbt_project.yml"))))
        .append("|target=").append(tc.type()).append('/').append(tc.name()).append('/').append(tc.database()).append('/').append(tc.schema())
        .append("|vars=").append(Python.repr(new TreeMap<>(req.cliVars())));
    String globalKey = sha256(cacheKey.toString());
    Path cacheFile = root.resolve(settings.targetPath()).resolve("weir_parse_cache.bin");
    ParseCache cache = req.useCache() ? ParseCache.read(cacheFile, globalKey, req.env()) : ParseCache.empty();
    // Files served from the cache were parsed with these env vars: this parse depends on them too
    // (kept in the cache written below and in parse's up-to-date record).
    renderer.envVarsUsed().addAll(cache.envNames());
    ParseCache next = ParseCache.empty();
    java.util.concurrent.atomic.AtomicInteger hits = new java.util.concurrent.atomic.AtomicInteger();
    Map<String, Map<String, Object>> inFile = new ConcurrentHashMap<>(16384);
    // From here every core renders (and parses what was not parsed ahead).
    if (prefetch != null) prefetch.stop();
    nodes.parallelStream().filter(n -> n.resourceType != ResourceType.SEED).forEach(n -> {
      // The parse cache knows the root project's files (a package's paths may repeat the root's).
      boolean own = n.packageName.equals(pkg);
      ParseCache.Entry e = own ? cache.hit(n.originalFilePath, n.checksum) : null;
      if (e != null) {
        hits.incrementAndGet();
        n.refs.addAll(e.refs());
        n.sources.addAll(e.sources());
        if (!e.config().isEmpty()) inFile.put(n.uniqueId, new LinkedHashMap<>(e.config()));
        next.put(n.originalFilePath, e);
        return;
      }
      Template t = template(n);
      Renderer.RenderState st = renderer.newState(n, Renderer.Mode.PARSE);
      renderer.render(t, n, Renderer.Mode.PARSE, null, st, Map.of());
      if (!st.inFileConfig.isEmpty()) inFile.put(n.uniqueId, st.inFileConfig);
      if (own && ParseCache.cacheable(st.inFileConfig)) {
        next.put(n.originalFilePath, new ParseCache.Entry(n.checksum, List.copyOf(n.refs), List.copyOf(n.sources),
            new LinkedHashMap<>(st.inFileConfig)));
      }
    });
    phase("render");
    Map<String, Node> byId = new LinkedHashMap<>();
    Map<String, Node> disabled = new LinkedHashMap<>();
    Map<String, String> namesSeen = new HashMap<>();
    for (Node n : nodes) {
      String key = n.resourceType.dbtName() + ":" + n.name;
      if (n.resourceType == ResourceType.MODEL || n.resourceType == ResourceType.SEED || n.resourceType == ResourceType.SNAPSHOT) {
        key = "relation:" + n.name + (n.version == null ? "" : ".v" + n.version);
      }
      if (!n.packageName.equals(pkg)) key = n.packageName + ":" + key;
      String prev = namesSeen.putIfAbsent(key, n.resourceType.dbtName() + " " + n.originalFilePath);
      if (prev != null) {
        // prev names its own kind: a model and a seed of one name clash too (both are relations).
        throw WeirException.project(n.originalFilePath, 0, "Duplicate name: '" + n.name + "' is defined twice, as "
            + prev + " and as " + n.resourceType.dbtName() + " " + n.originalFilePath
            + ". Node names must be unique within a project.");
      }
      // YAML config then in-file config() on top of project config.
      Map<String, Properties.Patch> patches = propsByPackage.getOrDefault(n.packageName, props).patches;
      Properties.Patch patch = patches.isEmpty() ? null : patches.get(n.resourceType.dbtName() + ":" + n.name);
      if (patch != null) {
        patch.used = true;
        props.applyPatch(n, patch);
        if (n.version != null) props.applyVersion(n, patch);
      }
      Map<String, Object> f = inFile.get(n.uniqueId);
      if (f != null) checkInFileConfig(n, f);
      if (f != null) ConfigKeys.merge(n.config, f);
      finishConfig(n);
      if (n.resourceType == ResourceType.SNAPSHOT && n.enabled()) SnapshotConfigs.validate(n);
    }
    for (Properties.Patch p : props.patches.values()) {
      if (!p.used) {
        String kind = p.kind;
        Collection<String> names = nodes.stream().filter(n -> n.resourceType.dbtName().equals(kind)).map(n -> n.name).toList();
        String msg = kind + " '" + p.name + "' is described here but no such " + kind + " exists."
            + Suggest.didYouMean(p.name, names);
        if (req.strict()) throw WeirException.project(p.file, p.line, msg);
        warn(p.file + ":" + p.line + ": " + msg);
      }
    }

    phase("configs");
    // Sources.
    Map<String, Node> sources = new LinkedHashMap<>();
    List<Node> declaredSources = new ArrayList<>();
    for (Properties pp : propsByPackage.values()) declaredSources.addAll(pp.sources);
    // Ingestions: nodes of their own, and the sources they define (which depend on them).
    IngestionSpecs.Built ingested = IngestionSpecs.build(pkg, props.ingestions, req.target(),
        declaredSources.stream().map(s -> s.uniqueId).toList());
    declaredSources.addAll(ingested.sources());
    declaredSources.addAll(providedSources(declaredSources));
    for (Node s : declaredSources) {
      Map<String, Object> cfg = projectConfigFor(settings.sources(), s.fqn, "sources");
      Map<String, Object> own = new LinkedHashMap<>(s.config);
      s.config.clear();
      s.config.put("enabled", true);
      ConfigKeys.merge(s.config, cfg);
      ConfigKeys.merge(s.config, own);
      if (s.enabled()) sources.put(s.uniqueId, s);
      else disabled.put(s.uniqueId, s);
    }

    // Names, schemas and relations.
    for (Node n : nodes) {
      if (!n.enabled()) {
        disabled.put(n.uniqueId, n);
        continue;
      }
      byId.put(n.uniqueId, n);
    }
    resolveNames(renderer, byId.values());
    for (Node s : sources.values()) s.relationName = req.dialect().render(Relation.of(s.database, s.schema, s.identifier));
    for (Node i : ingested.ingestions()) {
      i.relationName = req.dialect().render(Relation.of(i.database, i.schema, i.alias));
      byId.put(i.uniqueId, i);
    }

    phase("names");
    // Generic tests from YAML (need the attached nodes' names).
    List<Node> genericTests = new ArrayList<>(props.genericTests(byId, sources, disabled));
    for (ProjectLoader p : packages) genericTests.addAll(propsByPackage.get(p.pkg).genericTests(byId, sources, disabled));
    for (Node t : genericTests) {
      Map<String, Object> own = new LinkedHashMap<>(t.config);
      t.config.clear();
      t.config.putAll(defaultConfig(ResourceType.TEST));
      ConfigKeys.merge(t.config, projectConfigFor(settings.tests(), t.fqn, "tests"));
      ConfigKeys.merge(t.config, own);
      finishConfig(t);
      if (!t.enabled()) {
        disabled.put(t.uniqueId, t);
        continue;
      }
      Node prev = byId.put(t.uniqueId, t);
      if (prev != null) {
        throw WeirException.project(t.patchPath, 0, "Duplicate test: '" + t.name + "' is declared twice (" + t.patchPath + ")");
      }
    }
    resolveNames(renderer, byId.values().stream().filter(n -> n.resourceType == ResourceType.TEST).toList());
    CheckValidation.validate(genericTests.stream().filter(Node::enabled).toList(), macros, byId);

    phase("tests");
    // Exposures: nodes that depend on others and never run.
    Map<String, Map<String, Object>> groups = new LinkedHashMap<>();
    for (Properties pp : propsByPackage.values()) {
      for (Node e : pp.exposures) {
        if (!e.enabled()) disabled.put(e.uniqueId, e);
        else if (byId.putIfAbsent(e.uniqueId, e) != null) {
          throw WeirException.project(e.originalFilePath, (Integer) e.extra.get("yaml_line"), "Duplicate exposure '" + e.name + "'");
        }
      }
      groups.putAll(pp.groups);
      for (Node x : pp.exports) {
        if (!x.enabled()) disabled.put(x.uniqueId, x);
        else if (byId.putIfAbsent(x.uniqueId, x) != null) {
          throw WeirException.project(x.originalFilePath, (Integer) x.extra.get("yaml_line"), "Duplicate export '" + x.name + "'");
        }
      }
    }
    AccessRules.checkGroups(byId.values(), groups);
    Set<String> restricted = new HashSet<>();
    for (ProjectLoader p : packages) if (Boolean.TRUE.equals(p.settings.raw().get("restrict-access"))) restricted.add(p.pkg);

    phase("exposures");
    // Refs and sources → dependencies.
    Resolution resolution = new Resolution(byId, sources, disabled);
    resolution.restrictedPackages = restricted;
    for (Node n : byId.values()) resolution.link(n);
    phase("refs and sources");
    // Unit tests (need their models' refs and sources).
    for (Node u : UnitTestSpecs.build(pkg, props.unitTests, byId, fixtures())) {
      if (byId.putIfAbsent(u.uniqueId, u) != null) {
        throw WeirException.project(u.originalFilePath, (Integer) u.extra.get("yaml_line"), "Duplicate unit test '" + u.name + "'");
      }
    }

    phase("unit tests");
    // depends_on.macros: what each macro and node calls (dispatch included), for state:modified.macros.
    MacroDeps macroDeps = new MacroDeps(macros.defs(), pkg, settings.dispatch());
    for (MacroDef d : macros.defs().values()) {
      if (!MacroRegistry.INTERNAL.equals(d.packageName())) d.dependsOnMacros().addAll(macroDeps.calls(d.macroSql(), d.packageName(), d.uniqueId()));
    }
    phase("macros' macro calls");
    // Each node's scan reads only shared, finished maps: in parallel (~80 ms on one core for 10,000 models).
    new ArrayList<>(byId.values()).parallelStream().forEach(n -> {
      if (n.rawCode != null && n.resourceType != ResourceType.SEED) n.dependsOnMacros.addAll(macroDeps.calls(n.rawCode, n.packageName, null));
    });

    phase("nodes' macro calls");
    warnUnusedConfigPaths(nodes);

    Project project = new Project(root, pkg, settings.version(), req.target().profileName(), settings,
        byId, sources, disabled, macros.defs(), docs, props.selectors(root), warnings, groups);
    renderer.setResolver(resolution.resolver(project));
    renderDescriptions(renderer, byId.values());
    renderDescriptions(renderer, sources.values());
    if (req.useCache()) {
      Map<String, String> envUsed = new TreeMap<>();
      for (String name : renderer.envVarsUsed()) envUsed.put(name, req.env().apply(name));
      next.write(cacheFile, globalKey, envUsed);
    }
    phase("cache (" + hits.get() + " files from the parse cache)");
    return new Loaded(project, renderer, this::template, hits.get());
  }

  /** Descriptions may use Jinja, typically {{ doc('name') }}: dbt renders them at parse time. */
  private void renderDescriptions(Renderer renderer, Collection<Node> nodes) {
    for (Node n : nodes) {
      n.description = renderDescription(renderer, n, n.description);
      for (Node.ColumnDef c : n.columns.values()) c.description = renderDescription(renderer, n, c.description);
    }
  }

  private String renderDescription(Renderer renderer, Node n, String text) {
    if (text == null || !text.contains("{")) return text;
    String where = n.patchPath != null ? n.patchPath.replaceFirst("^[^:]+://", "") : n.originalFilePath;
    Template t = parse(where, text);
    return renderer.render(t, n, Renderer.Mode.PARSE, null, renderer.newState(n, Renderer.Mode.PARSE), Map.of());
  }

  @SafeVarargs
  private static List<String> distinct(List<String>... lists) {
    Set<String> s = new java.util.LinkedHashSet<>();
    for (List<String> l : lists) s.addAll(l);
    return new ArrayList<>(s);
  }

  // ------------------------------------------------------------------ files

  /** Each folder's files, sorted, grouped by their ending (".sql": the part of the name from its last dot). */
  private final Map<String, Map<String, List<Path>>> listings = new ConcurrentHashMap<>();

  /** Files under {@code folder} ending with {@code ext}, sorted; each folder is walked once per load. */
  private List<Path> files(String folder, String ext) {
    Map<String, List<Path>> byEnding = listings.computeIfAbsent(folder, f -> {
      List<Path> walked = prefetch == null ? null : prefetch.listing(f);
      return byEnding(walked != null ? walked : walk(root, f));
    });
    if (ext.startsWith(".") && ext.indexOf('.', 1) < 0 && ext.indexOf('/') < 0) return new ArrayList<>(byEnding.getOrDefault(ext, List.of()));
    List<Path> out = new ArrayList<>();
    for (Path p : byEnding.get("")) if (p.toString().endsWith(ext)) out.add(p);
    return out;
  }

  /** The files by ending, in one pass ("" holds them all). */
  private static Map<String, List<Path>> byEnding(List<Path> files) {
    Map<String, List<Path>> out = new HashMap<>();
    out.put("", files);
    for (Path p : files) {
      String s = p.toString();
      int dot = s.lastIndexOf('.');
      if (dot > Math.max(s.lastIndexOf('/'), s.lastIndexOf(java.io.File.separatorChar))) {
        out.computeIfAbsent(s.substring(dot), k -> new ArrayList<>()).add(p);
      }
    }
    return out;
  }

  /** The regular files under {@code root/folder}, sorted (none when it is not a folder). */
  static List<Path> walk(Path root, String folder) {
    Path dir = root.resolve(folder);
    if (!Files.isDirectory(dir)) return List.of();
    List<Path> out = new ArrayList<>();
    try {
      Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
        @Override
        public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes attrs) {
          if (attrs.isRegularFile()) out.add(file);
          return java.nio.file.FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw WeirException.project(folder, 0, "Cannot list files: " + e.getMessage());
    }
    out.sort(null);
    return out;
  }

  private String rel(Path f) {
    return UpToDate.relative(root, f).replace('\\', '/');
  }

  private String read(Path f) {
    FilePrefetch.Content ahead = prefetch == null ? null : prefetch.take(f);
    if (ahead != null) return ahead.text;
    try {
      return Files.readString(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw WeirException.project(rel(f), 0, "Cannot read file: " + e.getMessage());
    }
  }

  private Template parse(String name, String source) {
    try {
      return env.parse(name, source);
    } catch (JinjaException e) {
      throw WeirException.compile(name, e.line(), "Jinja syntax error: " + stripPlace(e.getMessage(), name), e);
    }
  }

  private static String stripPlace(String msg, String file) {
    if (msg != null && msg.startsWith(file + ":")) {
      int i = msg.indexOf(": ", file.length());
      if (i > 0) return msg.substring(i + 2);
    }
    return msg;
  }

  // ------------------------------------------------------------------ macros

  private void loadBuiltinMacros(MacroRegistry macros) {
    for (BuiltinMacroFile f : builtinMacroFiles()) {
      // Parsed on first use of any of its macros (the names come from a scan of the file).
      java.util.function.Supplier<Template> template = new java.util.function.Supplier<>() {
        private Template t;

        @Override
        public synchronized Template get() {
          if (t == null) t = parse(f.path(), f.source());
          return t;
        }
      };
      for (Map.Entry<String, List<String>> e : f.signatures().entrySet()) {
        String name = e.getKey();
        MacroDef def = new MacroDef("macro." + MacroRegistry.INTERNAL + "." + name, name, MacroRegistry.INTERNAL, f.path(), f.path(),
            "", e.getValue(), List.of(), "", 0);
        macros.addLazy(MacroRegistry.INTERNAL, name, () -> template.get().macros().get(name), def);
      }
    }
  }

  /** One of Weir's built-in macro files: its path (as macros report it), source and macros' parameters by name. */
  record BuiltinMacroFile(String path, String source, Map<String, List<String>> signatures) {}

  private static volatile List<BuiltinMacroFile> builtinMacroFiles;

  /** Weir's built-in macro files, read and scanned once per process (they are on the class path). */
  static List<BuiltinMacroFile> builtinMacroFiles() {
    List<BuiltinMacroFile> files = builtinMacroFiles;
    if (files != null) return files;
    synchronized (ProjectLoader.class) {
      if (builtinMacroFiles != null) return builtinMacroFiles;
      List<BuiltinMacroFile> out = new ArrayList<>();
      try (InputStream in = ProjectLoader.class.getResourceAsStream(BUILTIN_INDEX)) {
        if (in == null) throw new IllegalStateException("Weir's built-in macros are missing from the class path");
        for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
          String file = line.trim();
          if (file.isEmpty()) continue;
          try (InputStream m = ProjectLoader.class.getResourceAsStream("/dev/weir/core/macros/" + file)) {
            String src = new String(m.readAllBytes(), StandardCharsets.UTF_8);
            out.add(new BuiltinMacroFile("macros/" + file, src, java.util.Collections.unmodifiableMap(builtinMacroSignatures(src))));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      builtinMacroFiles = List.copyOf(out);
      return builtinMacroFiles;
    }
  }

  private static final java.util.regex.Pattern MACRO_HEAD =
      java.util.regex.Pattern.compile("\\{%[-+]?\\s*(macro|test)\\s+(\\w+)\\s*\\(([^)]*)\\)");

  /**
   * Macro names and parameter names declared in a built-in macro file, found by a scan instead of a
   * parse ({@code {% test x(...) %}} declares {@code test_x}). Built-ins are Weir's own files, written
   * so that this scan sees every declaration (a test checks it against a real parse).
   */
  static Map<String, List<String>> builtinMacroSignatures(String src) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    java.util.regex.Matcher m = MACRO_HEAD.matcher(src);
    while (m.find()) {
      List<String> params = new ArrayList<>();
      // Split on top-level commas: defaults may hold quoted commas ("','") or brackets.
      String list = m.group(3);
      int depth = 0;
      char quote = 0;
      StringBuilder cur = new StringBuilder();
      for (int i = 0; i <= list.length(); i++) {
        char c = i < list.length() ? list.charAt(i) : ',';
        if (quote != 0) {
          if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
          quote = c;
        } else if (c == '[' || c == '{') {
          depth++;
        } else if (c == ']' || c == '}') {
          depth--;
        } else if (c == ',' && depth == 0) {
          String name = cur.toString().strip();
          int eq = name.indexOf('=');
          if (eq >= 0) name = name.substring(0, eq).strip();
          if (!name.isEmpty()) params.add(name);
          cur.setLength(0);
          continue;
        }
        cur.append(c);
      }
      out.put(("test".equals(m.group(1)) ? "test_" : "") + m.group(2), params);
    }
    return out;
  }

  private void loadMacroFiles(MacroRegistry macros, List<Path> files) {
    List<Object[]> parsed = files.parallelStream().map(f -> new Object[] {rel(f), read(f)}).toList();
    for (Object[] p : parsed) {
      cacheKey.append('|').append(p[0]).append('=').append(sha256((String) p[1]));
      registerMacros(macros, pkg, (String) p[0], (String) p[1]);
    }
  }

  private void registerMacros(MacroRegistry macros, String packageName, String path, String src) {
    Template t = parse(path, src);
    Map<String, String> sources = MacroDeps.macroSources(src);
    for (Map.Entry<String, Macro> e : t.macros().entrySet()) {
      Macro m = e.getValue();
      String name = e.getKey();
      if (!MacroRegistry.INTERNAL.equals(packageName) && macros.find(packageName, name) != null) {
        throw WeirException.project(path, 0, "Duplicate macro '" + name + "' in package " + packageName
            + ": it is defined more than once (also in " + macros.defs().get("macro." + packageName + "." + name).originalFilePath() + ")");
      }
      MacroDef def = new MacroDef("macro." + packageName + "." + name, name, packageName, path, path,
          sources.getOrDefault(name, ""), new ArrayList<>(m.parameterNames()), new ArrayList<>(), "", 0);
      macros.add(packageName, name, m, def);
    }
    for (BlockDef d : t.blocks("docs")) {
      docs.put("doc." + packageName + "." + d.name(), new DocDef("doc." + packageName + "." + d.name(), d.name(),
          packageName, path, path, docText(d)));
    }
  }

  /** A node's template, parsed on first need. */
  private Template template(Node n) {
    return templates.computeIfAbsent(n.uniqueId, id -> {
      // Parsed ahead from the very text the node holds, under the same name.
      FilePrefetch.Content ahead = readAhead.remove(id);
      if (ahead != null && ahead.template != null && ahead.rel.equals(n.originalFilePath)) return ahead.template;
      // A snapshot's code is its block's body: padded so that error lines are the file's lines.
      return parse(n.originalFilePath,
          n.resourceType == ResourceType.SNAPSHOT && n.firstLine > 1 ? "\n".repeat(n.firstLine - 1) + n.rawCode : n.rawCode);
    });
  }

  private static String docText(BlockDef d) {
    return d.body() == null ? "" : d.body().render(Map.of());
  }

  private void loadDocs(Path f) {
    String path = rel(f);
    Template t = parse(path, read(f));
    for (BlockDef d : t.blocks("docs")) {
      String id = "doc." + pkg + "." + d.name();
      if (docs.containsKey(id)) {
        throw WeirException.project(path, d.line(), "Duplicate docs block '" + d.name() + "' (also in " + docs.get(id).originalFilePath() + ")");
      }
      docs.put(id, new DocDef(id, d.name(), pkg, path, path, docText(d).strip()));
    }
  }

  // ------------------------------------------------------------------ nodes

  private Node sqlNode(Path f, String resourceFolder, ResourceType type) {
    String path = rel(f);
    String within = path.startsWith(resourceFolder + "/") ? path.substring(resourceFolder.length() + 1)
        : root.resolve(resourceFolder).relativize(f).toString().replace('\\', '/');
    String fileName = f.getFileName().toString();
    String name = fileName.substring(0, fileName.length() - 4);
    Node n = new Node(type.dbtName() + "." + pkg + "." + name, type, pkg, name);
    n.path = within;
    n.originalFilePath = path;
    FilePrefetch.Content read = prefetch == null ? null : prefetch.take(f);
    n.rawCode = read != null ? read.text : read(f);
    n.checksum = read != null ? read.sha256 : sha256(n.rawCode);
    if (read != null && type != ResourceType.SNAPSHOT) readAhead.put(n.uniqueId, read);
    n.fqn = fqn(within, name);
    n.config.putAll(defaultConfig(type));
    return n;
  }

  private Node seedNode(Path f, String resourceFolder) {
    String path = rel(f);
    String within = root.resolve(resourceFolder).relativize(f).toString().replace('\\', '/');
    String fileName = f.getFileName().toString();
    String name = fileName.substring(0, fileName.length() - 4);
    Node n = new Node("seed." + pkg + "." + name, ResourceType.SEED, pkg, name);
    n.path = within;
    n.originalFilePath = path;
    n.rootPath = root.toString();
    try {
      n.checksum = sha256(Files.readString(f));
    } catch (IOException e) {
      throw WeirException.project(path, 0, "Cannot read seed: " + e.getMessage());
    }
    n.fqn = fqn(within, name);
    n.config.putAll(defaultConfig(ResourceType.SEED));
    return n;
  }

  private static final java.util.regex.Pattern SNAPSHOT_BLOCK = java.util.regex.Pattern.compile(
      "\\{%-?\\s*snapshot\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*-?%}(.*?)\\{%-?\\s*endsnapshot\\s*-?%}", java.util.regex.Pattern.DOTALL);

  /** The {@code {% snapshot name %}} blocks of a file in snapshot-paths, one node each (code: the block's body). */
  private List<Node> snapshotNodes(Path f, String resourceFolder) {
    String path = rel(f);
    String src = read(f);
    String within = root.resolve(resourceFolder).relativize(f).toString().replace('\\', '/');
    List<BlockDef> blocks = parse(path, src).blocks("snapshot");
    Map<String, String> bodies = new HashMap<>();
    java.util.regex.Matcher m = SNAPSHOT_BLOCK.matcher(src);
    while (m.find()) bodies.putIfAbsent(m.group(1), m.group(2));
    if (blocks.isEmpty() && !src.isBlank()) warn(path + ": no {% snapshot <name> %} block in this file; it defines no snapshot");
    List<Node> out = new ArrayList<>();
    for (BlockDef b : blocks) {
      if (b.name() == null) throw WeirException.project(path, b.line(), "A snapshot block needs a name: {% snapshot my_snapshot %}");
      String body = bodies.get(b.name());
      if (body == null) throw WeirException.project(path, b.line(), "Cannot read the body of snapshot '" + b.name() + "'");
      Node n = new Node("snapshot." + pkg + "." + b.name(), ResourceType.SNAPSHOT, pkg, b.name());
      n.path = within;
      n.originalFilePath = path;
      n.rawCode = body;
      n.firstLine = b.line();
      n.checksum = sha256(body);
      n.fqn = fqn(within, b.name());
      n.config.putAll(defaultConfig(ResourceType.SNAPSHOT));
      out.add(n);
    }
    return out;
  }

  private List<String> fqn(String within, String name) {
    List<String> f = new ArrayList<>();
    f.add(pkg);
    String[] parts = within.split("/");
    for (int i = 0; i < parts.length - 1; i++) f.add(parts[i]);
    f.add(name);
    return f;
  }

  static Map<String, Object> defaultConfig(ResourceType type) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("enabled", true);
    switch (type) {
      case MODEL -> c.put("materialized", "view");
      case SEED -> c.put("materialized", "seed");
      case TEST -> {
        c.put("materialized", "test");
        c.put("severity", "ERROR");
        c.put("fail_calc", "count(*)");
        c.put("warn_if", "!= 0");
        c.put("error_if", "!= 0");
        c.put("store_failures", null);
      }
      case ANALYSIS -> c.put("materialized", "view");
      case SNAPSHOT -> c.put("materialized", "snapshot");
      default -> { }
    }
    c.put("tags", new ArrayList<>());
    c.put("meta", new LinkedHashMap<>());
    return c;
  }

  private void finishConfig(Node n) {
    n.tags.clear();
    for (Object t : ConfigKeys.asList(n.config.get("tags"))) n.tags.add(String.valueOf(t));
    n.config.put("tags", new ArrayList<>(n.tags));
    if (n.config.get("meta") instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) n.meta.putIfAbsent(String.valueOf(e.getKey()), e.getValue());
    }
    Object sev = n.config.get("severity");
    if (sev != null) n.config.put("severity", String.valueOf(sev).toUpperCase(java.util.Locale.ROOT));
  }

  // ------------------------------------------------------------------ project config hierarchy

  private Map<String, Object> projectConfig(Node n) {
    Map<String, Object> tree = switch (n.resourceType) {
      case MODEL -> settings.models();
      case SEED -> settings.seeds();
      case TEST -> settings.tests();
      case SNAPSHOT -> settings.snapshots();
      case ANALYSIS -> castMap(settings.raw().get("analyses"));
      default -> Map.of();
    };
    return projectConfigFor(tree, n.fqn, n.resourceType == ResourceType.ANALYSIS ? "analyses" : n.resourceType.dbtName() + "s");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object o) {
    return o instanceof Map ? (Map<String, Object>) o : Map.of();
  }

  /** Applies dbt_project.yml configs along the node's fqn: top level, package, then each folder. */
  private Map<String, Object> projectConfigFor(Map<String, Object> tree, List<String> fqn, String section) {
    // Every file of a folder shares the folders' levels: computed once per section and folder.
    FolderConfig folder = folderConfigs.computeIfAbsent(section + '\u0000' + String.join("\u0000", fqn.subList(0, fqn.size() - 1)), k -> {
      Map<String, Object> out = new LinkedHashMap<>();
      Map<String, Object> level = tree;
      String path = section;
      applyLevel(out, level);
      for (int i = 0; i < fqn.size() - 1 && level != null; i++) {
        Object sub = level.get(fqn.get(i));
        if (!(sub instanceof Map)) break;
        level = castMap(sub);
        path = path + "." + fqn.get(i);
        usedConfigPaths.add(path);
        applyLevel(out, level);
      }
      return new FolderConfig(out, level, path);
    });
    Map<String, Object> out = new LinkedHashMap<>();
    // each node its own lists and maps (as merging gave it before), the folder's stay as they are
    for (Map.Entry<String, Object> e : folder.config().entrySet()) {
      Object v = e.getValue();
      out.put(e.getKey(), v instanceof List<?> l ? new ArrayList<>(l) : v instanceof Map<?, ?> m ? new LinkedHashMap<>(m) : v);
    }
    // A config path may also name the file itself (models: {pkg: {folder: {model_name: {...}}}}).
    if (folder.level() != null && folder.level().get(fqn.get(fqn.size() - 1)) instanceof Map<?, ?> leaf) {
      usedConfigPaths.add(folder.path() + "." + fqn.get(fqn.size() - 1));
      applyLevel(out, castMap(leaf));
    }
    return out;
  }

  /** The config a folder's levels give (before a file's own level), the deepest level reached and its config path. */
  private record FolderConfig(Map<String, Object> config, Map<String, Object> level, String path) {}

  private final Map<String, FolderConfig> folderConfigs = new ConcurrentHashMap<>();

  private static void applyLevel(Map<String, Object> out, Map<String, Object> level) {
    Map<String, Object> here = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : level.entrySet()) {
      String k = e.getKey();
      if (k.startsWith("+")) here.put(k.substring(1), e.getValue());
      else if (ConfigKeys.KNOWN.contains(k) && !(e.getValue() instanceof Map && !ConfigKeys.MERGED_MAPS.contains(k))) here.put(k, e.getValue());
    }
    ConfigKeys.merge(out, here);
  }

  private void collectConfigPaths() {
    String[][] sections = {{"models", null}, {"seeds", null}, {"tests", null}, {"snapshots", null}, {"sources", null}};
    for (String[] s : sections) {
      Map<String, Object> tree = switch (s[0]) {
        case "models" -> settings.models();
        case "seeds" -> settings.seeds();
        case "tests" -> settings.tests();
        case "snapshots" -> settings.snapshots();
        default -> settings.sources();
      };
      walkConfigPaths(s[0], tree);
    }
  }

  private void walkConfigPaths(String path, Map<String, Object> level) {
    for (Map.Entry<String, Object> e : level.entrySet()) {
      String k = e.getKey();
      if (k.startsWith("+")) {
        String key = k.substring(1);
        if (!ConfigKeys.KNOWN.contains(key)) {
          List<String> close = Suggest.closest(key, ConfigKeys.KNOWN, 1);
          if (!close.isEmpty() && Suggest.distance(key, close.get(0)) <= 2) {
            int line = level instanceof YMap ym ? ym.lineOf(k) : 0;
            String place = "dbt_project.yml" + (line > 0 ? ":" + line : "") + ": ";
            String msg = place + "unknown config '+" + key + "' at " + path + ". Did you mean '+" + close.get(0) + "'?";
            if (req.strict()) throw WeirException.project("dbt_project.yml", line, msg.substring(place.length()));
            warn(msg);
          }
        }
        continue;
      }
      if (ConfigKeys.KNOWN.contains(k)) continue;
      if (e.getValue() instanceof Map<?, ?> m) {
        String p = path + "." + k;
        allConfigPaths.add(p);
        if (level instanceof YMap ym) configPathLines.put(p, ym.lineOf(k));
        walkConfigPaths(p, castMap(m));
      }
    }
  }

  /** config(materialised=...) in a SQL file: a near miss of a known key warns (an error with --strict). */
  private void checkInFileConfig(Node n, Map<String, Object> cfg) {
    for (String k : cfg.keySet()) {
      if (ConfigKeys.KNOWN.contains(k)) continue;
      List<String> close = Suggest.closest(k, ConfigKeys.KNOWN, 1);
      if (close.isEmpty() || Suggest.distance(k, close.get(0)) > 2) continue;
      int line = 0;
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b" + java.util.regex.Pattern.quote(k) + "\\b")
          .matcher(n.rawCode == null ? "" : n.rawCode);
      if (m.find()) line = (int) n.rawCode.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
      String msg = "unknown config '" + k + "' in config(). Did you mean '" + close.get(0) + "'?";
      if (req.strict()) throw WeirException.project(n.originalFilePath, line, msg);
      warn(n.originalFilePath + (line > 0 ? ":" + line : "") + ": " + msg);
    }
  }

  private void warnUnusedConfigPaths(List<Node> nodes) {
    for (String p : allConfigPaths) {
      if (usedConfigPaths.contains(p)) continue;
      boolean prefixUsed = false;
      for (String u : usedConfigPaths) if (u.startsWith(p + ".")) prefixUsed = true;
      if (prefixUsed) continue;
      Set<String> candidates = new HashSet<>(usedConfigPaths);
      for (Node n : nodes) {
        String sec = n.resourceType == ResourceType.ANALYSIS ? "analyses" : n.resourceType.dbtName() + "s";
        StringBuilder sb = new StringBuilder(sec);
        for (String part : n.fqn) {
          sb.append('.').append(part);
          candidates.add(sb.toString());
        }
      }
      int line = configPathLines.getOrDefault(p, 0);
      String place = "dbt_project.yml" + (line > 0 ? ":" + line : "") + ": ";
      String msg = place + "configuration path '" + p + "' does not apply to any resource." + Suggest.didYouMean(p, candidates);
      if (req.strict()) throw WeirException.project("dbt_project.yml", line, msg.substring(place.length()));
      warn(msg);
    }
  }

  // ------------------------------------------------------------------ names

  private void resolveNames(Renderer renderer, Collection<Node> nodes) {
    TargetConfig t = req.target();
    boolean nativeSchema = !overridden(renderer, "generate_schema_name");
    boolean nativeAlias = !overridden(renderer, "generate_alias_name");
    boolean nativeDb = !overridden(renderer, "generate_database_name");
    nodes.parallelStream().forEach(n -> {
      if (n.resourceType == ResourceType.SOURCE) return;
      Object customSchema = n.config.get("schema");
      Object customDb = n.config.get("database");
      Object customAlias = n.config.get("alias");
      Map<String, Object> nd = nativeSchema && nativeDb && nativeAlias ? null : Renderer.nodeDict(n);
      // Weir's built-in naming macros, computed natively unless the project overrides one of them.
      String schema = nativeSchema ? (customSchema == null ? t.schema() : t.schema() + "_" + String.valueOf(customSchema).strip())
          : Python.str(renderer.callMacro("generate_schema_name", n, Renderer.Mode.PARSE, null, listOf(customSchema, nd), Map.of()));
      String db = nativeDb ? (customDb == null ? t.database() : String.valueOf(customDb).strip())
          : Python.str(renderer.callMacro("generate_database_name", n, Renderer.Mode.PARSE, null, listOf(customDb, nd), Map.of()));
      String alias = nativeAlias ? (customAlias != null && !String.valueOf(customAlias).isEmpty() ? String.valueOf(customAlias).strip()
          : n.version != null ? n.name + "_v" + String.valueOf(n.version).replace(".", "_") : n.name)
          : Python.str(renderer.callMacro("generate_alias_name", n, Renderer.Mode.PARSE, null, listOf(customAlias, nd), Map.of()));
      if (n.resourceType == ResourceType.SNAPSHOT) {
        // dbt: a snapshot's legacy target_schema / target_database are used as written (no generate_*_name).
        Object ts = n.config.get("target_schema");
        Object td = n.config.get("target_database");
        if (ts != null && !String.valueOf(ts).isBlank()) schema = String.valueOf(ts);
        if (td != null && !String.valueOf(td).isBlank()) db = String.valueOf(td);
      }
      n.schema = schema.strip();
      String dbs = db == null ? null : db.strip();
      n.database = dbs == null || dbs.isEmpty() || dbs.equals("None") ? t.database() : dbs;
      n.alias = alias.strip();
      if (n.resourceType != ResourceType.TEST && n.resourceType != ResourceType.ANALYSIS && !n.isEphemeral()) {
        n.relationName = req.dialect().render(Relation.of(n.database, n.schema, n.alias));
      }
    });
  }

  /** Whether a project defines the macro or an adapter-specific variant of its default implementation. */
  private static boolean overridden(Renderer renderer, String name) {
    MacroRegistry m = renderer.macros();
    String root = m.rootPackage();
    if (m.find(root, name) != null) return true;
    return m.find(root, renderer.target().type() + "__" + name) != null || m.find(root, "default__" + name) != null
        || m.find(MacroRegistry.INTERNAL, renderer.target().type() + "__" + name) != null;
  }

  private static List<Object> listOf(Object a, Object b) {
    List<Object> l = new ArrayList<>(2);
    l.add(a);
    l.add(b);
    return l;
  }

  // ------------------------------------------------------------------ resolution of refs

  private final class Resolution {
    final Map<String, Node> nodes;
    final Map<String, Node> sources;
    final Map<String, Node> disabled;
    /** Refable nodes by name (the first of a name) and by package and name: looked up without building keys. */
    final Map<String, Node> refIndex = new HashMap<>();
    final Map<String, Map<String, Node>> refsByPackage = new HashMap<>();
    final Map<String, Node> sourceIndex = new HashMap<>();
    /** Versioned models: "pkg.name" and "name" → version (as a string) → node. */
    final Map<String, Map<String, Node>> versionIndex = new HashMap<>();
    Set<String> restrictedPackages = Set.of();

    Resolution(Map<String, Node> nodes, Map<String, Node> sources, Map<String, Node> disabled) {
      this.nodes = nodes;
      this.sources = sources;
      this.disabled = disabled;
      for (Node n : nodes.values()) {
        if (n.resourceType == ResourceType.MODEL && n.version != null) {
          versionIndex.computeIfAbsent(n.packageName + "." + n.name, k -> new TreeMap<>()).put(versionKey(n.version), n);
          versionIndex.computeIfAbsent(n.name, k -> new TreeMap<>()).putIfAbsent(versionKey(n.version), n);
          if (!versionKey(n.version).equals(versionKey(n.latestVersion))) continue;
        }
        if (n.resourceType == ResourceType.MODEL || n.resourceType == ResourceType.SEED || n.resourceType == ResourceType.SNAPSHOT) {
          refsByPackage.computeIfAbsent(n.packageName, k -> new HashMap<>()).put(n.name, n);
          refIndex.putIfAbsent(n.name, n);
        }
      }
      for (Node s : sources.values()) sourceIndex.put(s.sourceName + "." + s.name, s);
    }

    Node findRef(String p, String name) {
      return p == null ? refIndex.get(name) : refsByPackage.getOrDefault(p, Map.of()).get(name);
    }

    /** An unqualified ref prefers the referring node's own package (dbt's rule), then any. */
    Node findRef(String fromPackage, String p, String name) {
      if (p == null && fromPackage != null) {
        Node own = refsByPackage.getOrDefault(fromPackage, Map.of()).get(name);
        if (own != null) return own;
      }
      return findRef(p, name);
    }

    /** A ref with a version: that version of a versioned model; null when the model has no such version. */
    Node findRef(String fromPackage, String p, String name, Object version) {
      if (version == null) return findRef(fromPackage, p, name);
      Map<String, Node> vs = versionsOf(fromPackage, p, name);
      return vs == null ? null : vs.get(versionKey(version));
    }

    Map<String, Node> versionsOf(String fromPackage, String p, String name) {
      if (p == null && fromPackage != null && versionIndex.containsKey(fromPackage + "." + name)) return versionIndex.get(fromPackage + "." + name);
      return versionIndex.get(p == null ? name : p + "." + name);
    }

    void link(Node n) {
      if (n.extra.get("deprecation_date") instanceof String date && DeprecationDates.passed(date)) {
        warn("model '" + n.uniqueId + "' (" + n.originalFilePath + ") has passed its deprecation date of " + date
            + ": it should be disabled or removed");
      }
      for (Node.RefCall r : n.refs) {
        Node target = findRef(n.packageName, r.packageName(), r.name(), r.version());
        if (target == null && r.version() != null && findRef(n.packageName, r.packageName(), r.name()) != null) {
          Map<String, Node> vs = versionsOf(n.packageName, r.packageName(), r.name());
          int line = r.line() > 0 ? r.line() : lineOf(n.rawCode, r.name());
          if (line == 0 && n.extra.get("yaml_line") instanceof Integer yl) line = yl;
          String place = n.originalFilePath != null ? n.originalFilePath : n.patchPath;
          throw WeirException.project(place, line, describe(n) + " refers to version " + versionKey(r.version()) + " of model '"
              + r.name() + "', " + (vs == null ? "which is not versioned." : "which has versions " + String.join(", ", vs.keySet()) + "."));
        }
        if (target != null) AccessRules.checkRef(n, target, restrictedPackages);
        if (target != null && target.extra.get("deprecation_date") instanceof String date && !n.uniqueId.equals(target.uniqueId)) {
          String from = n.originalFilePath != null ? n.originalFilePath : String.valueOf(n.patchPath).replaceFirst("^[^:]+://", "");
          String to = target.patchPath == null ? target.originalFilePath : target.patchPath.replaceFirst("^[^:]+://", "");
          warn(describe(n) + " (" + from + ") refs model '" + target.uniqueId + "', which "
              + (DeprecationDates.passed(date) ? "is deprecated since " + date : "will be deprecated on " + date)
              + " (deprecation_date in " + to + ")");
        }
        if (target == null) {
          boolean isDisabled = disabled.values().stream().anyMatch(d -> d.name.equals(r.name()));
          List<String> names = List.copyOf(refIndex.keySet());
          int line = lineOf(n.rawCode, r.name());
          // A generic test's ref (relationships' to:) stands in its properties YAML, at the test's line.
          if (line == 0 && n.extra.get("yaml_line") instanceof Integer yl) line = yl;
          String place = n.originalFilePath != null ? n.originalFilePath : n.patchPath;
          throw WeirException.project(place, line, describe(n) + " depends on a node named '" + r.name() + "' which "
              + (isDisabled ? "is disabled." : "was not found." + Suggest.didYouMean(r.name(), names)));
        }
        n.dependsOnNodes.add(target.uniqueId);
      }
      for (List<String> s : n.sources) {
        Node src = sourceIndex.get(s.get(0) + "." + s.get(1));
        if (src == null) src = patternSource(s.get(0), s.get(1));
        if (src == null) {
          List<String> names = new ArrayList<>(sourceIndex.keySet());
          int line = lineOf(n.rawCode, s.get(1));
          if (line == 0 && n.extra.get("yaml_line") instanceof Integer yl) line = yl;
          String place = n.originalFilePath != null ? n.originalFilePath : n.patchPath;
          throw WeirException.project(place, line, describe(n) + " depends on a source named '" + s.get(0) + "." + s.get(1)
              + "' which was not found." + Suggest.didYouMean(s.get(0) + "." + s.get(1), names));
        }
        n.dependsOnNodes.add(src.uniqueId);
      }
    }

    private String describe(Node n) {
      return n.resourceType.dbtName() + " '" + n.uniqueId + "'";
    }

    /**
     * {@code source('<ingestion>', '<table>')} of a table an ingestion's {@code pattern:} loads: the tables a pattern
     * matches are known only when it runs, so the source is made when a node names a table the pattern matches
     * (its name part, as the database's LIKE would: {@code %} any run, {@code _} one character; case-insensitive).
     */
    private Node patternSource(String sourceName, String table) {
      for (Node ing : nodes.values()) {
        if (ing.resourceType != ResourceType.INGESTION || ing.fqn.size() < 2 || !ing.fqn.get(1).equals(sourceName)) continue;
        if (!(ing.extra.get("ingest") instanceof Map<?, ?> spec) || spec.get("pattern") == null) continue;
        String pattern = String.valueOf(spec.get("pattern"));
        String namePart = pattern.substring(pattern.lastIndexOf('.') + 1);
        if (!likeMatches(namePart, table)) continue;
        Node src = IngestionSpecs.source(ing.packageName, sourceName, table, ing, ing.originalFilePath, "",
            ing.extra.get("yaml_line") instanceof Integer l ? l : 0);
        src.extra.put("weir_pattern", pattern);
        src.relationName = req.dialect().render(Relation.of(src.database, src.schema, src.identifier));
        sources.put(src.uniqueId, src);
        sourceIndex.put(sourceName + "." + table, src);
        return src;
      }
      return null;
    }

    private static boolean likeMatches(String like, String value) {
      StringBuilder re = new StringBuilder();
      for (char c : like.toCharArray()) {
        if (c == '%') re.append(".*");
        else if (c == '_') re.append('.');
        else re.append(java.util.regex.Pattern.quote(String.valueOf(c)));
      }
      return java.util.regex.Pattern.compile(re.toString(), java.util.regex.Pattern.CASE_INSENSITIVE).matcher(value).matches();
    }

    Renderer.Resolver resolver(Project project) {
      List<Node> all = new ArrayList<>(nodes.values());
      all.addAll(sources.values());
      return new Renderer.Resolver() {
        @Override public Node findRef(Node from, String packageName, String name, Object version) {
          return Resolution.this.findRef(from == null ? null : from.packageName, packageName, name, version);
        }

        @Override public Node findSource(Node from, String source, String table) {
          return sourceIndex.get(source + "." + table);
        }

        @Override public Relation relationOf(Node n) {
          if (n.resourceType == ResourceType.SOURCE) return Relation.of(n.database, n.schema, n.identifier);
          return Relation.of(n.database, n.schema, n.alias);
        }

        @Override public Collection<Node> allNodes() { return all; }

        @Override public Map<String, DocDef> docs() { return project.docs(); }
      };
    }
  }

  /** A version as written ({@code 1}, {@code 1.0}, {@code "2"}) in one spelling: whole numbers without a fraction. */
  static String versionKey(Object v) {
    if (v == null) return "";
    if (v instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue())) return String.valueOf(num.longValue());
    return String.valueOf(v).strip();
  }

  static int lineOf(String code, String needle) {
    if (code == null) return 0;
    int i = code.indexOf("'" + needle + "'");
    if (i < 0) i = code.indexOf("\"" + needle + "\"");
    if (i < 0) return 0;
    int line = 1;
    for (int k = 0; k < i; k++) if (code.charAt(k) == '\n') line++;
    return line;
  }

  static String sha256(String s) {
    // one digest per thread, reset by digest(): a new one per file is a provider lookup and its buffers each time
    return HexFormat.of().formatHex(SHA256.get().digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });

  static String md5(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ properties YAML

  private static final Set<String> MODEL_KEYS = Set.of("name", "description", "config", "columns", "tests", "data_tests",
      "docs", "meta", "tags", "latest_version", "versions", "access", "group", "constraints", "time_spine",
      "deprecation_date", "columns_order");
  private static final Set<String> COLUMN_KEYS = Set.of("name", "description", "data_type", "tests", "data_tests",
      "meta", "tags", "constraints", "quote", "policy_tags", "granularity", "config");
  private static final Set<String> SOURCE_KEYS = Set.of("name", "description", "database", "schema", "loader",
      "loaded_at_field", "loaded_at_query", "freshness", "meta", "tags", "config", "quoting", "tables", "overrides", "catalog");
  private static final Set<String> SOURCE_TABLE_KEYS = Set.of("name", "description", "identifier", "loaded_at_field",
      "loaded_at_query", "freshness", "meta", "tags", "config", "quoting", "columns", "tests", "data_tests", "external");
  private static final Set<String> TOP_KEYS = Set.of("version", "models", "sources", "seeds", "macros", "analyses",
      "snapshots", "exposures", "metrics", "semantic_models", "saved_queries", "groups", "unit_tests", "data_tests", "ingestions", "exports");

  private static final Set<String> SNAPSHOT_KEYS = Stream.concat(MODEL_KEYS.stream(), Stream.of("relation"))
      .collect(Collectors.toUnmodifiableSet());

  private final class Properties {
    final Map<String, Patch> patches = new LinkedHashMap<>();
    /** Snapshots defined in YAML (an entry under 'snapshots:' with 'relation:'). */
    final List<Node> yamlSnapshots = new ArrayList<>();
    final List<Node> sources = new ArrayList<>();
    final List<TestDecl> tests = new ArrayList<>();
    /** Exposures declared under 'exposures:'. */
    final List<Node> exposures = new ArrayList<>();
    /** Entries under 'unit_tests:'. */
    final List<dev.weir.core.util.Yaml.YMap> unitTests = new ArrayList<>();
    /** Entries under 'ingestions:' (weir-ingest). */
    final List<dev.weir.core.util.Yaml.YMap> ingestions = new ArrayList<>();
    /** Export nodes declared under 'exports:' (weir-ingest runs them). */
    final List<Node> exports = new ArrayList<>();
    /** Groups declared under 'groups:', by name: name, owner, and where ("file", "line"). */
    final Map<String, Map<String, Object>> groups = new LinkedHashMap<>();
    Map<String, Object> selectors;

    final class Patch {
      final String kind;
      final String name;
      final String file;
      final int line;
      final YMap body;
      boolean used;

      Patch(String kind, String name, String file, int line, YMap body) {
        this.kind = kind;
        this.name = name;
        this.file = file;
        this.line = line;
        this.body = body;
      }
    }

    record TestDecl(String file, int line, String attachedKind, String attachedName, String sourceName, String column, Object spec,
                    String fileKeyName, List<String> fqnFolders) {}

    void read(Path yamlFile) {
      String file = rel(yamlFile);
      Object doc = Yaml.load(yamlFile, file);
      if (doc == null) return;
      if (!(doc instanceof YMap top)) throw WeirException.project(file, 1, "A properties file must be a mapping (version: 2, models: [...])");
      checkKeys(top, TOP_KEYS, file, "top-level key");
      List<String> folders = new ArrayList<>(List.of(file.split("/")));
      folders.remove(folders.size() - 1);
      if (!folders.isEmpty()) folders.remove(0);
      for (String kind : List.of("models", "seeds", "analyses", "snapshots")) {
        Object list = top.get(kind);
        if (list == null) continue;
        if (!(list instanceof YList entries)) throw WeirException.project(file, top.lineOf(kind), "'" + kind + "' must be a list");
        String singular = kind.equals("analyses") ? "analysis" : kind.substring(0, kind.length() - 1);
        for (int i = 0; i < entries.size(); i++) {
          if (!(entries.get(i) instanceof YMap e) || e.get("name") == null) {
            throw WeirException.project(file, entries.lineOf(i), "Each entry under '" + kind + "' needs a 'name:'");
          }
          String name = String.valueOf(e.get("name"));
          checkKeys(e, kind.equals("snapshots") ? SNAPSHOT_KEYS : MODEL_KEYS, file, singular + " property");
          if (kind.equals("snapshots") && e.get("relation") != null) yamlSnapshots.add(yamlSnapshot(file, e, name, folders));
          String key = singular + ":" + name;
          if (patches.containsKey(key)) {
            Patch prev = patches.get(key);
            throw WeirException.project(file, e.line, singular + " '" + name + "' is described twice: in " + prev.file + ":" + prev.line + " and here");
          }
          patches.put(key, new Patch(singular, name, file, e.line, e));
          collectTests(file, e, singular, name, null, folders);
        }
      }
      readGroups(file, top);
      readExposures(file, top, folders);
      unitTests.addAll(UnitTestSpecs.entries(file, top));
      for (YMap e : IngestionSpecs.entries(file, top)) {
        ingestions.add(e);
        // checks on each load: tests declared on an ingestion's table or file attach to the source it defines
        for (YMap t : IngestionSpecs.tableEntries(e)) collectTests(file, t, "source", String.valueOf(t.get("name")), String.valueOf(e.get("name")), folders);
      }
      exports.addAll(ExportSpecs.read(pkg, file, top, folders));
      Object srcs = top.get("sources");
      if (srcs instanceof YList sl) {
        for (int i = 0; i < sl.size(); i++) {
          if (!(sl.get(i) instanceof YMap s) || s.get("name") == null) {
            throw WeirException.project(file, sl.lineOf(i), "Each source needs a 'name:'");
          }
          checkKeys(s, SOURCE_KEYS, file, "source property");
          readSource(file, s, folders);
        }
      } else if (srcs != null) {
        throw WeirException.project(file, top.lineOf("sources"), "'sources' must be a list");
      }
    }

    private void readGroups(String file, YMap top) {
      Object list = top.get("groups");
      if (list == null) return;
      if (!(list instanceof YList gl)) throw WeirException.project(file, top.lineOf("groups"), "'groups' must be a list");
      for (int i = 0; i < gl.size(); i++) {
        if (!(gl.get(i) instanceof YMap g) || g.get("name") == null) {
          throw WeirException.project(file, gl.lineOf(i), "Each group needs a 'name:' (and an 'owner:')");
        }
        checkKeys(g, Set.of("name", "owner", "description", "config", "meta"), file, "group property");
        String name = String.valueOf(g.get("name"));
        Map<String, Object> prev = groups.get(name);
        if (prev != null) throw WeirException.project(file, g.line, "group '" + name + "' is declared twice: in " + prev.get("file") + ":" + prev.get("line") + " and here");
        Map<String, Object> def = new LinkedHashMap<>();
        def.put("name", name);
        def.put("package", pkg);
        def.put("owner", castMap(g.get("owner")));
        def.put("description", g.get("description"));
        Object gconfig = g.get("config");
        Object gmeta = g.get("meta") != null ? g.get("meta") : gconfig instanceof Map<?, ?> gc ? gc.get("meta") : null;
        def.put("meta", castMap(gmeta));
        def.put("file", file);
        def.put("line", g.line);
        groups.put(name, def);
      }
    }

    private static final Set<String> EXPOSURE_KEYS = Set.of("name", "type", "owner", "depends_on", "label", "maturity", "url",
        "description", "meta", "tags", "config");
    private static final Set<String> EXPOSURE_TYPES = Set.of("dashboard", "notebook", "analysis", "ml", "application");

    private void readExposures(String file, YMap top, List<String> folders) {
      Object list = top.get("exposures");
      if (list == null) return;
      if (!(list instanceof YList el)) throw WeirException.project(file, top.lineOf("exposures"), "'exposures' must be a list");
      for (int i = 0; i < el.size(); i++) {
        if (!(el.get(i) instanceof YMap e) || e.get("name") == null) {
          throw WeirException.project(file, el.lineOf(i), "Each exposure needs a 'name:'");
        }
        checkKeys(e, EXPOSURE_KEYS, file, "exposure property");
        String name = String.valueOf(e.get("name"));
        Object type = e.get("type");
        if (type == null || !EXPOSURE_TYPES.contains(String.valueOf(type))) {
          throw WeirException.project(file, type == null ? e.line : e.lineOf("type"), "exposure '" + name + "' needs a 'type:', one of "
              + String.join(", ", new java.util.TreeSet<>(EXPOSURE_TYPES)) + (type == null ? "" : " (got '" + type + "')"));
        }
        if (!(e.get("owner") instanceof Map<?, ?> owner) || (owner.get("name") == null && owner.get("email") == null)) {
          throw WeirException.project(file, e.line, "exposure '" + name + "' needs an 'owner:' with a 'name:' or an 'email:'");
        }
        Node n = new Node("exposure." + pkg + "." + name, ResourceType.EXPOSURE, pkg, name);
        n.originalFilePath = file;
        n.path = file.substring(file.indexOf('/') + 1);
        List<String> fqn = new ArrayList<>();
        fqn.add(pkg);
        fqn.addAll(folders);
        fqn.add(name);
        n.fqn = fqn;
        n.description = str(e.get("description"), "");
        for (String k : List.of("type", "owner", "label", "maturity", "url")) if (e.get(k) != null) n.extra.put(k, e.get(k));
        n.extra.put("yaml_line", e.line);
        n.config.put("enabled", true);
        ConfigKeys.merge(n.config, castMap(e.get("config")));
        n.meta.putAll(castMap(e.get("meta")));
        for (Object tag : ConfigKeys.asList(e.get("tags"))) n.tags.add(String.valueOf(tag));
        n.config.put("tags", new ArrayList<>(n.tags));
        n.config.put("meta", n.meta);
        Object deps = e.get("depends_on");
        if (deps != null && !(deps instanceof List)) throw WeirException.project(file, e.lineOf("depends_on"), "'depends_on' of exposure '" + name + "' must be a list");
        for (Object d : ConfigKeys.asList(deps)) {
          String expr = String.valueOf(d).strip();
          java.util.regex.Matcher rm = EXPOSURE_REF.matcher(expr);
          java.util.regex.Matcher sm = EXPOSURE_SOURCE.matcher(expr);
          if (rm.matches()) {
            Object v = rm.group(4) == null ? null : rm.group(4).matches("\\d+") ? (Object) Integer.valueOf(rm.group(4)) : rm.group(4);
            n.refs.add(new Node.RefCall(rm.group(2) == null ? null : rm.group(1), rm.group(2) == null ? rm.group(1) : rm.group(2), v, e.lineOf("depends_on")));
          } else if (sm.matches()) {
            n.sources.add(List.of(sm.group(1), sm.group(2)));
          } else {
            throw WeirException.project(file, e.lineOf("depends_on"), "exposure '" + name + "': each 'depends_on' entry must be ref('...') or source('...', '...'), got: " + expr);
          }
        }
        exposures.add(n);
      }
    }

    /** Each versioned model's SQL file (defined_in, default {@code <name>_v<v>}) becomes the node {@code model.<pkg>.<name>.v<v>}. */
    void splitVersions(List<Node> nodes) {
      for (Patch p : patches.values()) {
        if (!p.kind.equals("model") || p.body.get("versions") == null) continue;
        if (!(p.body.get("versions") instanceof YList vl) || vl.isEmpty()) {
          throw WeirException.project(p.file, p.body.lineOf("versions"), "'versions' of model '" + p.name + "' must be a non-empty list");
        }
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < vl.size(); i++) {
          if (!(vl.get(i) instanceof YMap v) || v.get("v") == null) {
            throw WeirException.project(p.file, vl.lineOf(i), "Each version of model '" + p.name + "' needs a 'v:'");
          }
          String k = versionKey(v.get("v"));
          if (keys.contains(k)) throw WeirException.project(p.file, vl.lineOf(i), "model '" + p.name + "' declares version " + k + " twice");
          keys.add(k);
        }
        Object latest = p.body.get("latest_version");
        String latestKey = latest != null ? versionKey(latest) : keys.stream().max(ProjectLoader::compareVersions).orElseThrow();
        if (!keys.contains(latestKey)) {
          throw WeirException.project(p.file, p.body.lineOf("latest_version"), "latest_version " + latestKey + " of model '" + p.name
              + "' is not one of its versions (" + String.join(", ", keys) + ")");
        }
        for (int i = 0; i < vl.size(); i++) {
          YMap v = (YMap) vl.get(i);
          String k = versionKey(v.get("v"));
          String definedIn = v.get("defined_in") != null ? String.valueOf(v.get("defined_in")) : p.name + "_v" + k.replace('.', '_');
          int at = indexOfModel(nodes, definedIn);
          // dbt: the latest version may live in the unsuffixed file.
          if (at < 0 && v.get("defined_in") == null && k.equals(latestKey)) at = indexOfModel(nodes, p.name);
          if (at < 0) {
            throw WeirException.project(p.file, vl.lineOf(i), "version " + k + " of model '" + p.name + "' is defined in a file named '"
                + definedIn + ".sql', which does not exist" + (v.get("defined_in") == null ? " (set 'defined_in:' to name another file)" : ""));
          }
          Node f = nodes.get(at);
          Node n = new Node("model." + pkg + "." + p.name + ".v" + k, ResourceType.MODEL, pkg, p.name);
          n.path = f.path;
          n.originalFilePath = f.originalFilePath;
          List<String> fqn = new ArrayList<>(f.fqn.subList(0, f.fqn.size() - 1));
          fqn.add(p.name);
          fqn.add("v" + k);
          n.fqn = fqn;
          n.rawCode = f.rawCode;
          n.language = f.language;
          n.checksum = f.checksum;
          n.config.putAll(f.config);
          n.unrenderedConfig.putAll(f.unrenderedConfig);
          n.firstLine = f.firstLine;
          n.version = v.get("v") instanceof Number num ? (Object) num : k;
          n.latestVersion = latest instanceof Number ln ? (Object) ln : latestKey.matches("\\d+") ? (Object) Integer.valueOf(latestKey) : latestKey;
          n.extra.put("version_yaml_line", vl.lineOf(i));
          nodes.set(at, n);
        }
      }
    }

    private int indexOfModel(List<Node> nodes, String name) {
      for (int i = 0; i < nodes.size(); i++) {
        Node n = nodes.get(i);
        if (n.resourceType == ResourceType.MODEL && n.packageName.equals(pkg) && n.version == null && n.name.equals(name)) return i;
      }
      return -1;
    }

    /** A version's own properties on top of the model's: config, description, columns (include/exclude of the model's). */
    void applyVersion(Node n, Patch p) {
      if (!(p.body.get("versions") instanceof YList vl)) return;
      for (Object o : vl) {
        if (!(o instanceof YMap v) || !versionKey(v.get("v")).equals(versionKey(n.version))) continue;
        if (v.get("config") instanceof Map<?, ?> cfg) ConfigKeys.merge(n.config, castMap(cfg));
        if (v.get("description") != null) n.description = String.valueOf(v.get("description"));
        if (v.get("access") != null) n.config.put("access", String.valueOf(v.get("access")));
        if (v.get("group") != null) n.config.put("group", String.valueOf(v.get("group")));
        if (v.get("deprecation_date") != null) n.extra.put("deprecation_date", deprecationDate(p.file, v.lineOf("deprecation_date"), v.get("deprecation_date")));
        if (!(v.get("columns") instanceof YList cl)) continue;
        Object include = "all";
        List<String> exclude = new ArrayList<>();
        for (Object c : cl) {
          if (c instanceof YMap cm && cm.get("name") == null && (cm.containsKey("include") || cm.containsKey("exclude"))) {
            if (cm.get("include") != null) include = cm.get("include");
            for (Object x : ConfigKeys.asList(cm.get("exclude"))) exclude.add(String.valueOf(x));
          }
        }
        if (!"all".equals(include) && !"*".equals(include)) {
          Set<String> keep = new HashSet<>();
          for (Object x : ConfigKeys.asList(include)) keep.add(String.valueOf(x));
          n.columns.keySet().retainAll(keep);
        }
        exclude.forEach(n.columns::remove);
        for (int i = 0; i < cl.size(); i++) {
          if (cl.get(i) instanceof YMap c && c.get("name") != null) readColumn(p.file, n, c);
          else if (!(cl.get(i) instanceof YMap c2 && (c2.containsKey("include") || c2.containsKey("exclude")))) {
            throw WeirException.project(p.file, cl.lineOf(i), "Each column of version " + versionKey(n.version) + " needs a 'name:' (or is an include/exclude entry)");
          }
        }
      }
    }

    /** dbt 1.9: a YAML snapshot's code is {@code select * from {{ <relation> }}}; its path is {@code <yaml path>/<name>.sql}. */
    private Node yamlSnapshot(String file, YMap e, String name, List<String> folders) {
      String relation = String.valueOf(e.get("relation")).strip();
      if (!relation.matches("(?s)(ref|source)\\s*\\(.*\\)")) {
        throw WeirException.project(file, e.lineOf("relation"), "snapshot '" + name + "': 'relation' must be ref('...') or source('...', '...'), got: " + relation);
      }
      Node n = new Node("snapshot." + pkg + "." + name, ResourceType.SNAPSHOT, pkg, name);
      n.originalFilePath = file;
      n.path = file.substring(file.indexOf('/') + 1) + "/" + name + ".sql";
      n.rawCode = "select * from {{ " + relation + " }}";
      n.checksum = sha256(n.rawCode);
      List<String> fqn = new ArrayList<>();
      fqn.add(pkg);
      fqn.addAll(folders);
      fqn.add(name);
      n.fqn = fqn;
      n.config.putAll(defaultConfig(ResourceType.SNAPSHOT));
      n.extra.put("yaml_line", e.line);
      return n;
    }

    private void checkKeys(YMap m, Set<String> known, String file, String what) {
      for (String k : m.keySet()) {
        if (!known.contains(k)) {
          String msg = "unknown " + what + " '" + k + "'." + Suggest.didYouMean(k, known);
          if (req.strict()) throw WeirException.project(file, m.lineOf(k), msg);
          warn(file + ":" + m.lineOf(k) + ": " + msg);
        }
      }
    }

    private void readSource(String file, YMap s, List<String> folders) {
      String sourceName = String.valueOf(s.get("name"));
      Object tables = s.get("tables");
      if (tables == null) return;
      if (!(tables instanceof YList tl)) throw WeirException.project(file, s.lineOf("tables"), "'tables' of source '" + sourceName + "' must be a list");
      for (int i = 0; i < tl.size(); i++) {
        if (!(tl.get(i) instanceof YMap t) || t.get("name") == null) {
          throw WeirException.project(file, tl.lineOf(i), "Each table of source '" + sourceName + "' needs a 'name:'");
        }
        checkKeys(t, SOURCE_TABLE_KEYS, file, "source table property");
        String tname = String.valueOf(t.get("name"));
        Node n = new Node("source." + pkg + "." + sourceName + "." + tname, ResourceType.SOURCE, pkg, tname);
        n.sourceName = sourceName;
        n.originalFilePath = file;
        n.path = file;
        n.patchPath = null;
        List<String> fqn = new ArrayList<>();
        fqn.add(pkg);
        fqn.addAll(folders);
        fqn.add(sourceName);
        fqn.add(tname);
        n.fqn = fqn;
        n.description = str(t.get("description"), "");
        n.sourceDescription = str(s.get("description"), "");
        n.loader = str(s.get("loader"), "");
        n.identifier = str(t.get("identifier"), tname);
        n.schema = str(s.get("schema"), sourceName);
        n.database = s.get("database") != null ? String.valueOf(s.get("database")) : req.target().database();
        SourceFreshnessConfig fc = SourceFreshnessConfig.resolve(file, s, t);
        n.loadedAtField = fc.loadedAtField();
        n.freshness = fc.freshness();
        n.meta.putAll(castMap(s.get("meta")));
        n.meta.putAll(castMap(t.get("meta")));
        n.sourceMeta.putAll(castMap(s.get("meta")));
        for (Object tag : ConfigKeys.asList(s.get("tags"))) n.tags.add(String.valueOf(tag));
        for (Object tag : ConfigKeys.asList(t.get("tags"))) n.tags.add(String.valueOf(tag));
        ConfigKeys.merge(n.config, castMap(s.get("config")));
        ConfigKeys.merge(n.config, castMap(t.get("config")));
        if (fc.loadedAtQuery() != null) n.config.put("loaded_at_query", fc.loadedAtQuery()); else n.config.remove("loaded_at_query");
        readColumns(file, n, t);
        n.extra.put("source_yaml_line", t.line);
        sources.add(n);
        collectTests(file, t, "source", tname, sourceName, folders);
      }
    }

    private void readColumns(String file, Node n, YMap body) {
      Object cols = body.get("columns");
      if (cols == null) return;
      if (!(cols instanceof YList cl)) throw WeirException.project(file, body.lineOf("columns"), "'columns' must be a list");
      for (int i = 0; i < cl.size(); i++) {
        if (!(cl.get(i) instanceof YMap c) || c.get("name") == null) {
          throw WeirException.project(file, cl.lineOf(i), "Each column needs a 'name:'");
        }
        readColumn(file, n, c);
      }
    }

    private void readColumn(String file, Node n, YMap c) {
        checkKeys(c, COLUMN_KEYS, file, "column property");
        Node.ColumnDef cd = new Node.ColumnDef(String.valueOf(c.get("name")));
        cd.description = str(c.get("description"), "");
        cd.dataType = c.get("data_type") == null ? null : String.valueOf(c.get("data_type"));
        cd.meta.putAll(castMap(c.get("meta")));
        for (Object tag : ConfigKeys.asList(c.get("tags"))) cd.tags.add(String.valueOf(tag));
        for (Object con : ConfigKeys.asList(c.get("constraints"))) if (con instanceof Map<?, ?> cm) cd.constraints.add(castMap(cm));
        if (c.get("quote") instanceof Boolean b) cd.quote = b;
        n.columns.put(cd.name, cd);
    }

    private void collectTests(String file, YMap body, String kind, String name, String sourceName, List<String> folders) {
      addTests(file, body, "data_tests", kind, name, sourceName, null, folders);
      addTests(file, body, "tests", kind, name, sourceName, null, folders);
      Object cols = body.get("columns");
      if (cols instanceof YList cl) {
        for (Object o : cl) {
          if (o instanceof YMap c && c.get("name") != null) {
            addTests(file, c, "data_tests", kind, name, sourceName, String.valueOf(c.get("name")), folders);
            addTests(file, c, "tests", kind, name, sourceName, String.valueOf(c.get("name")), folders);
          }
        }
      }
    }

    private void addTests(String file, YMap body, String key, String kind, String name, String sourceName, String column,
                          List<String> folders) {
      Object list = body.get(key);
      if (list == null) return;
      if (!(list instanceof YList tl)) throw WeirException.project(file, body.lineOf(key), "'" + key + "' must be a list");
      for (int i = 0; i < tl.size(); i++) {
        String fileKey = kind.equals("source") ? "sources" : kind + "s";
        tests.add(new TestDecl(file, tl.lineOf(i), kind, name, sourceName, column, tl.get(i), fileKey, folders));
      }
    }

    void applyPatch(Node n, Patch p) {
      YMap b = p.body;
      n.patchPath = pkg + "://" + p.file;
      n.description = str(b.get("description"), n.description);
      if (b.get("config") != null) {
        if (!(b.get("config") instanceof Map)) throw WeirException.project(p.file, b.lineOf("config"), "'config' must be a mapping");
        YMap cfg = (YMap) b.get("config");
        for (String k : cfg.keySet()) {
          if (!ConfigKeys.KNOWN.contains(k)) {
            List<String> close = Suggest.closest(k, ConfigKeys.KNOWN, 1);
            if (!close.isEmpty() && Suggest.distance(k, close.get(0)) <= 2) {
              String msg = "unknown config '" + k + "'. Did you mean '" + close.get(0) + "'?";
              if (req.strict()) throw WeirException.project(p.file, cfg.lineOf(k), msg);
              warn(p.file + ":" + cfg.lineOf(k) + ": " + msg);
            }
          }
        }
        ConfigKeys.merge(n.config, cfg);
      }
      if (b.get("meta") instanceof Map<?, ?> m) ConfigKeys.merge(n.config, Map.of("meta", castMap(m)));
      if (b.get("tags") != null) ConfigKeys.merge(n.config, Map.of("tags", b.get("tags")));
      if (b.get("docs") instanceof Map<?, ?> d) n.config.put("docs", castMap(d));
      if (b.get("access") != null) n.config.put("access", String.valueOf(b.get("access")));
      if (b.get("group") != null) n.config.put("group", String.valueOf(b.get("group")));
      if (b.get("deprecation_date") != null && n.resourceType == ResourceType.MODEL) {
        n.extra.put("deprecation_date", deprecationDate(p.file, b.lineOf("deprecation_date"), b.get("deprecation_date")));
      }
      readColumns(p.file, n, b);
    }

    /** A model's deprecation_date (a YAML date or date-time), normalised to ISO {@code yyyy-MM-ddTHH:mm:ss[offset]}. */
    private String deprecationDate(String file, int line, Object value) {
      String text = String.valueOf(value).strip();
      try {
        return DeprecationDates.normalise(text);
      } catch (java.time.format.DateTimeParseException e) {
        throw WeirException.project(file, line, "deprecation_date '" + text + "' is not a date (write it as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS[+HH:MM])");
      }
    }

    /** The generic tests of these properties; a test on a disabled node is left out, as dbt disables it with its node. */
    List<Node> genericTests(Map<String, Node> nodes, Map<String, Node> srcs, Map<String, Node> disabled) {
      List<Node> out = new ArrayList<>();
      for (TestDecl d : tests) {
        if (attachedToDisabled(d, nodes, srcs, disabled)) continue;
        // a test declared on a versioned model applies to each of its versions, as in dbt
        List<Node> versions = new ArrayList<>();
        if (!"source".equals(d.attachedKind())) {
          for (Node n : nodes.values()) {
            if (n.name.equals(d.attachedName()) && n.version != null && n.resourceType.dbtName().equals(d.attachedKind())) versions.add(n);
          }
        }
        if (versions.isEmpty()) out.add(buildTest(d, nodes, srcs, null));
        else for (Node v : versions) out.add(buildTest(d, nodes, srcs, v));
      }
      return out;
    }

    /** Whether the node a test is declared on is disabled (and no enabled node of that name exists). */
    private boolean attachedToDisabled(TestDecl d, Map<String, Node> nodes, Map<String, Node> srcs, Map<String, Node> disabled) {
      boolean source = "source".equals(d.attachedKind());
      for (Node n : (source ? srcs : nodes).values()) {
        if (n.name.equals(d.attachedName()) && (!source || d.sourceName().equals(n.sourceName))) return false;
      }
      for (Node n : disabled.values()) {
        if (!n.name.equals(d.attachedName())) continue;
        if (source ? n.resourceType == ResourceType.SOURCE && d.sourceName().equals(n.sourceName) : n.resourceType != ResourceType.SOURCE) return true;
      }
      return false;
    }

    @SuppressWarnings("unchecked")
    private Node buildTest(TestDecl d, Map<String, Node> nodes, Map<String, Node> srcs, Node version) {
      String testName;
      Map<String, Object> args = new LinkedHashMap<>();
      Map<String, Object> config = new LinkedHashMap<>();
      String customName = null;
      if (d.spec() instanceof String s) {
        testName = s;
      } else if (d.spec() instanceof Map<?, ?> m && m.size() >= 1) {
        Map<String, Object> mm = (Map<String, Object>) m;
        String key = null;
        for (String k : mm.keySet()) {
          if (!k.equals("name") && !k.equals("config") && !k.equals("arguments")) {
            key = k;
            break;
          }
        }
        if (key == null && mm.containsKey("test_name")) key = "test_name";
        if (key == null) throw WeirException.project(d.file(), d.line(), "A test entry must name the test, e.g. '- unique' or '- accepted_values: {values: [...]}'");
        testName = key;
        Object body = mm.get(key);
        if (body instanceof Map<?, ?> bm) {
          Map<String, Object> b = (Map<String, Object>) bm;
          for (Map.Entry<String, Object> e : b.entrySet()) {
            switch (e.getKey()) {
              case "config" -> config.putAll(castMap(e.getValue()));
              case "name" -> customName = String.valueOf(e.getValue());
              case "arguments" -> args.putAll(castMap(e.getValue()));
              case "severity", "tags", "enabled", "where", "limit", "fail_calc", "warn_if", "error_if", "store_failures",
                   "store_failures_as", "meta", "alias", "schema", "database", "action" -> config.put(e.getKey(), e.getValue());
              default -> args.put(e.getKey(), e.getValue());
            }
          }
        } else if (body != null) {
          throw WeirException.project(d.file(), d.line(), "Arguments of test '" + key + "' must be a mapping");
        }
        if (mm.get("config") instanceof Map<?, ?> c) config.putAll(castMap(c));
        if (mm.get("arguments") instanceof Map<?, ?> a) args.putAll(castMap(a));
        if (mm.get("name") != null && !"name".equals(key)) customName = String.valueOf(mm.get("name"));
      } else {
        throw WeirException.project(d.file(), d.line(), "Cannot read this test entry: " + d.spec());
      }
      String namespace = null;
      String macroName = testName;
      int dot = testName.indexOf('.');
      if (dot > 0) {
        namespace = testName.substring(0, dot);
        macroName = testName.substring(dot + 1);
      }
      // The attached node.
      Node attached;
      String modelExpr;
      if ("source".equals(d.attachedKind())) {
        attached = srcs.get("source." + pkg + "." + d.sourceName() + "." + d.attachedName());
        modelExpr = "source('" + d.sourceName() + "', '" + d.attachedName() + "')";
      } else if (version != null) {
        attached = version;
        modelExpr = "ref('" + d.attachedName() + "', v=" + versionLiteral(version.version) + ")";
      } else {
        attached = null;
        for (Node n : nodes.values()) {
          if (n.name.equals(d.attachedName()) && n.resourceType.dbtName().equals(d.attachedKind())) attached = n;
        }
        modelExpr = "ref('" + d.attachedName() + "')";
      }
      String base = macroName + "_" + (d.sourceName() != null ? "source_" + d.sourceName() + "_" : "") + d.attachedName()
          + (version != null ? "_v" + version.version : "")
          + (d.column() != null ? "_" + d.column() : "");
      StringBuilder argPart = new StringBuilder();
      for (Map.Entry<String, Object> e : new TreeMap<>(args).entrySet()) {
        argPart.append("__").append(flatten(e.getValue()));
      }
      String full = (namespace != null ? namespace + "_" : "") + base + argPart;
      full = full.replaceAll("[^A-Za-z0-9_]+", "_");
      String name = customName != null ? customName : full.length() > 63
          ? (namespace != null ? namespace + "_" : "") + macroName + "_" + md5(full).substring(0, 10) : full;
      String hash = md5(name + "|" + d.file() + "|" + d.line()).substring(0, 10);
      Node t = new Node("test." + pkg + "." + name + "." + hash, ResourceType.TEST, pkg, name);
      t.originalFilePath = d.file();
      t.path = name + ".sql";
      t.patchPath = d.file();
      List<String> fqn = new ArrayList<>();
      fqn.add(pkg);
      fqn.addAll(d.fqnFolders());
      fqn.add(name);
      t.fqn = fqn;
      t.fileKeyName = d.fileKeyName() + "." + d.attachedName();
      t.columnName = d.column();
      Map<String, Object> kwargs = new LinkedHashMap<>();
      if (d.column() != null) kwargs.put("column_name", d.column());
      kwargs.putAll(args);
      kwargs.put("model", "{{ get_where_subquery(" + modelExpr + ") }}");
      t.testMetadata = new Node.TestMetadata(macroName, namespace, kwargs);
      t.rawCode = "{{ test_" + macroName + "(**_dbt_generic_test_kwargs) }}";
      t.checksum = sha256(t.rawCode);
      t.config.putAll(config);
      t.extra.put("yaml_line", d.line());
      if (attached == null) {
        List<String> names = new ArrayList<>();
        for (Node n : nodes.values()) names.add(n.name);
        throw WeirException.project(d.file(), d.line(), "Test '" + testName + "' is attached to " + d.attachedKind() + " '"
            + d.attachedName() + "', which does not exist or is disabled." + Suggest.didYouMean(d.attachedName(), names));
      }
      t.attachedNode = attached.uniqueId;
      if ("source".equals(d.attachedKind())) t.sources.add(List.of(d.sourceName(), d.attachedName()));
      else t.refs.add(new Node.RefCall(null, d.attachedName(), version == null ? null : version.version, d.line()));
      // ref()/source() inside arguments (relationships' to:) add dependencies.
      for (Object v : args.values()) scanRefs(t, v);
      return t;
    }

    /** A version as Jinja reads it in {@code ref(..., v=...)}: a number as is, anything else quoted. */
    private static String versionLiteral(Object v) {
      String text = String.valueOf(v);
      return text.matches("\\d+(\\.\\d+)?") ? text : "'" + text.replace("'", "\\'") + "'";
    }

    private void scanRefs(Node t, Object v) {
      if (v instanceof String s) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("ref\\(\\s*['\"]([^'\"]+)['\"]\\s*\\)").matcher(s);
        while (m.find()) t.refs.add(new Node.RefCall(null, m.group(1), null, 0));
        java.util.regex.Matcher sm = java.util.regex.Pattern.compile("source\\(\\s*['\"]([^'\"]+)['\"]\\s*,\\s*['\"]([^'\"]+)['\"]\\s*\\)").matcher(s);
        while (sm.find()) t.sources.add(List.of(sm.group(1), sm.group(2)));
      } else if (v instanceof Collection<?> c) {
        for (Object o : c) scanRefs(t, o);
      } else if (v instanceof Map<?, ?> m) {
        for (Object o : m.values()) scanRefs(t, o);
      }
    }

    private String flatten(Object v) {
      if (v instanceof Collection<?> c) {
        List<String> parts = new ArrayList<>();
        for (Object o : c) parts.add(flatten(o));
        return String.join("__", parts);
      }
      if (v instanceof Map<?, ?> m) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) parts.add(e.getKey() + "_" + flatten(e.getValue()));
        return String.join("__", parts);
      }
      return String.valueOf(v);
    }

    Map<String, Object> selectors(Path root) {
      Path f = root.resolve("selectors.yml");
      if (!Files.isRegularFile(f)) return Map.of();
      Object doc = Yaml.load(f, "selectors.yml");
      return doc instanceof Map ? castMap(doc) : Map.of();
    }
  }

  private static String str(Object o, String dflt) { return o == null ? dflt : String.valueOf(o); }

  private static final java.util.regex.Pattern EXPOSURE_REF = java.util.regex.Pattern.compile(
      "ref\\(\\s*['\"]([^'\"]+)['\"]\\s*(?:,\\s*['\"]([^'\"]+)['\"]\\s*)?(,\\s*(?:v|version)\\s*=\\s*['\"]?([^'\"\\s)]+)['\"]?\\s*)?\\)");
  private static final java.util.regex.Pattern EXPOSURE_SOURCE = java.util.regex.Pattern.compile(
      "source\\(\\s*['\"]([^'\"]+)['\"]\\s*,\\s*['\"]([^'\"]+)['\"]\\s*\\)");

  /** Orders versions numerically where both are numbers, else as text. */
  static int compareVersions(String a, String b) {
    try {
      return Double.compare(Double.parseDouble(a), Double.parseDouble(b));
    } catch (NumberFormatException e) {
      return a.compareTo(b);
    }
  }

  static Comparator<Node> byId() { return Comparator.comparing(n -> n.uniqueId); }
}
