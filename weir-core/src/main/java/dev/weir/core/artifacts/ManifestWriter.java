package dev.weir.core.artifacts;

import dev.weir.core.project.DocDef;
import dev.weir.core.project.MacroDef;
import dev.weir.core.project.Node;
import dev.weir.core.project.Project;
import dev.weir.core.project.ResourceType;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Writes {@code target/manifest.json} in dbt's manifest v12 schema from a loaded (and possibly
 * compiled) {@link Project}, streaming with Jackson's generator so that large projects stay fast.
 *
 * <p>Nodes are written with every field dbt writes for their resource type; compiled fields
 * ({@code compiled}, {@code compiled_code}, {@code extra_ctes}, {@code extra_ctes_injected}) only for
 * nodes that were compiled ({@code compiledCode != null}), as dbt omits them otherwise. Every string
 * goes through the {@link SecretMasker}.
 *
 * <p>Thread-safe: holds no per-write state.
 */
public final class ManifestWriter {
  public static final String FILE_NAME = "manifest.json";

  private final SecretMasker masker;
  private final String dbtVersion;
  private final Map<String, String> env;

  public ManifestWriter(SecretMasker masker) { this(masker, Artifacts.DBT_VERSION, Map.of()); }

  /**
   * @param env metadata.env: the {@code DBT_ENV_CUSTOM_ENV_} variables, prefix stripped
   *            (see {@link Artifacts#customEnv})
   */
  public ManifestWriter(SecretMasker masker, String dbtVersion, Map<String, String> env) {
    this.masker = masker == null ? SecretMasker.none() : masker;
    this.dbtVersion = dbtVersion == null ? Artifacts.DBT_VERSION : dbtVersion;
    this.env = Artifacts.copy(env);
  }

  /** Writes the manifest to {@code file} (atomically: temp file, then move). */
  public void write(Project project, String invocationId, Instant generatedAt, String adapterType, Path file) {
    Artifacts.writeAtomically(file, g -> new Run(new JsonOut(g, masker), project, invocationId, generatedAt, adapterType).write());
  }

  /** Writes the manifest to a stream (left open). */
  public void write(Project project, String invocationId, Instant generatedAt, String adapterType, OutputStream out) {
    Artifacts.write(out, g -> new Run(new JsonOut(g, masker), project, invocationId, generatedAt, adapterType).write());
  }

  /** dbt's project_id: the md5 hex digest of the project name. */
  public static String projectId(String projectName) {
    return hex("MD5", projectName == null ? "" : projectName);
  }

  static String hex(String algorithm, String text) {
    try {
      MessageDigest md = MessageDigest.getInstance(algorithm);
      return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A number as the generator writes it. */
  private static String numberText(double d) {
    java.io.StringWriter w = new java.io.StringWriter();
    try (com.fasterxml.jackson.core.JsonGenerator g = Artifacts.JSON.createGenerator(w)) {
      g.writeNumber(d);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return w.toString();
  }

  /** From this many nodes on, their JSON is serialized in parallel. */
  private static final int PARALLEL_NODES = 256;

  /** One write: the state of a single manifest being written. */
  private final class Run {
    final JsonOut o;
    final Project p;
    final String invocationId;
    final Instant generatedAt;
    final String adapterType;
    final double createdAt;
    final String createdAtText;

    Run(JsonOut o, Project p, String invocationId, Instant generatedAt, String adapterType) {
      this.o = o;
      this.p = p;
      this.invocationId = invocationId;
      this.generatedAt = generatedAt == null ? Instant.now() : generatedAt;
      this.adapterType = adapterType;
      this.createdAt = Artifacts.epochSeconds(this.generatedAt);
      this.createdAtText = numberText(createdAt);
    }

    void write() throws IOException {
      var g = o.g;
      g.writeStartObject();
      metadata();

      List<Node> exposures = new ArrayList<>();
      List<Node> nodes = new ArrayList<>();
      for (Node n : p.nodes().values()) {
        if (n.resourceType == ResourceType.EXPOSURE) exposures.add(n);
        else if (isManifestNode(n.resourceType)) nodes.add(n);
      }
      // A large project's parent/child maps are serialized on a pool thread while the nodes are.
      java.util.concurrent.CompletableFuture<Chunk> mapsJson = nodes.size() >= PARALLEL_NODES
          && g.getOutputTarget() instanceof java.io.OutputStream
          ? java.util.concurrent.CompletableFuture.supplyAsync(() -> chunk(nodes.size() * 256, r -> r.maps(exposures))) : null;
      o.fieldName("nodes");
      g.writeStartObject();
      if (nodes.size() >= PARALLEL_NODES && g.getOutputTarget() instanceof java.io.OutputStream out) {
        // The generator thinks this object empty: the chunks go straight to its stream, comma-separated.
        List<Chunk> parts = nodesJson(nodes);
        g.flush();
        for (int i = 0; i < parts.size(); i++) {
          if (i > 0) out.write(',');
          parts.get(i).writeMembers(out);
        }
      } else {
        for (Node n : nodes) {
          g.writeFieldName(o.mask(n.uniqueId));
          node(n);
        }
      }
      g.writeEndObject();

      o.fieldName("sources");
      g.writeStartObject();
      for (Node s : p.sources().values()) {
        g.writeFieldName(o.mask(s.uniqueId));
        source(s);
      }
      g.writeEndObject();

      o.fieldName("macros");
      g.writeStartObject();
      for (MacroDef m : p.macros().values()) {
        g.writeFieldName(o.mask(m.uniqueId()));
        macro(m);
      }
      g.writeEndObject();

      o.fieldName("docs");
      g.writeStartObject();
      for (DocDef d : p.docs().values()) {
        g.writeFieldName(o.mask(d.uniqueId()));
        doc(d);
      }
      g.writeEndObject();

      o.fieldName("exposures");
      g.writeStartObject();
      for (Node e : exposures) {
        g.writeFieldName(o.mask(e.uniqueId));
        exposure(e);
      }
      g.writeEndObject();

      o.emptyObject("metrics");
      groups();
      selectors();
      disabled();
      if (mapsJson != null && g.getOutputTarget() instanceof java.io.OutputStream out) {
        // The generator has written fields before: the chunk's members follow a comma, and its next field writes one.
        Chunk maps;
        try {
          maps = mapsJson.join();
        } catch (java.util.concurrent.CompletionException e) {
          if (e.getCause() instanceof java.io.UncheckedIOException u) throw u.getCause();
          throw e;
        }
        g.flush();
        out.write(',');
        maps.writeMembers(out);
      } else {
        maps(exposures);
      }
      o.emptyObject("saved_queries");
      o.emptyObject("semantic_models");
      o.fieldName("unit_tests");
      g.writeStartObject();
      for (Node u : p.nodes().values()) {
        if (u.resourceType != ResourceType.UNIT_TEST) continue;
        g.writeFieldName(o.mask(u.uniqueId));
        unitTest(u);
      }
      g.writeEndObject();
      o.emptyObject("functions");
      g.writeEndObject();
    }

    /**
     * The nodes' JSON members ({@code "id": {...}, ...}), serialized in parallel in chunks, each chunk by a Run
     * of its own into an object of its own: the nodes are most of a large project's manifest (20 MB for
     * 10,000 models), and one generator runs on one core.
     */
    private List<Chunk> nodesJson(List<Node> nodes) {
      int chunks = Math.max(2, 4 * Runtime.getRuntime().availableProcessors());
      int size = (nodes.size() + chunks - 1) / chunks;
      List<List<Node>> parts = new ArrayList<>();
      for (int i = 0; i < nodes.size(); i += size) parts.add(nodes.subList(i, Math.min(nodes.size(), i + size)));
      return parts.parallelStream().map(part -> chunk(part.size() * 3072, r -> {
        for (Node n : part) {
          r.o.g.writeFieldName(o.mask(n.uniqueId));
          r.node(n);
        }
      })).toList();
    }

    private interface Members {
      void write(Run r) throws IOException;
    }

    /** A JSON object of the members {@code body} writes, by a Run of its own (for another thread). */
    private Chunk chunk(int size, Members body) {
      Chunk bytes = new Chunk(size);
      try (com.fasterxml.jackson.core.JsonGenerator g2 = Artifacts.JSON.createGenerator(bytes, com.fasterxml.jackson.core.JsonEncoding.UTF8)) {
        Run r = new Run(new JsonOut(g2, o.masker), p, invocationId, generatedAt, adapterType);
        g2.writeStartObject();
        body.write(r);
        g2.writeEndObject();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return bytes;
    }

    /** One chunk's JSON object, written out without the copy {@code toByteArray} would make (2 KB per node). */
    private static final class Chunk extends java.io.ByteArrayOutputStream {
      Chunk(int size) { super(size); }

      /** The object's members: its bytes without the enclosing braces. */
      void writeMembers(java.io.OutputStream out) throws IOException { out.write(buf, 1, count - 2); }
    }

    private boolean isManifestNode(ResourceType t) {
      return t == ResourceType.MODEL || t == ResourceType.SEED || t == ResourceType.TEST
          || t == ResourceType.SNAPSHOT || t == ResourceType.ANALYSIS || t == ResourceType.OPERATION;
    }

    private void metadata() throws IOException {
      var g = o.g;
      o.fieldName("metadata");
      g.writeStartObject();
      o.str("dbt_schema_version", Artifacts.MANIFEST_SCHEMA);
      o.str("dbt_version", dbtVersion);
      o.str("generated_at", Artifacts.timestamp(generatedAt));
      o.str("invocation_id", invocationId);
      o.str("invocation_started_at", Artifacts.timestamp(generatedAt));
      o.stringMap("env", env);
      o.str("project_name", p.name());
      o.str("project_id", projectId(p.name()));
      o.nul("user_id");
      o.bool("send_anonymous_usage_stats", false);
      o.str("adapter_type", adapterType);
      quoting("quoting", p.settings() == null ? null : p.settings().quoting());
      o.str("run_started_at", Artifacts.timestamp(generatedAt));
      g.writeEndObject();
    }

    private void quoting(String field, Map<String, Object> q) throws IOException {
      o.g.writeFieldName(field);
      o.g.writeStartObject();
      for (String k : new String[] {"database", "schema", "identifier", "column"}) {
        Boolean b = q == null ? null : ConfigJson.bool(q.get(k));
        o.g.writeFieldName(k);
        if (b == null) o.g.writeNull(); else o.g.writeBoolean(b);
      }
      o.g.writeEndObject();
    }

    // ---- nodes ----

    private void node(Node n) throws IOException {
      var g = o.g;
      g.writeStartObject();
      common(n);
      switch (n.resourceType) {
        case SEED -> {
          ConfigJson.write(o, "config", ConfigJson.SEED, n.config, n.tags);
          described(n);
          o.str("root_path", n.rootPath != null ? n.rootPath : p.root() == null ? null : p.root().toString());
          o.fieldName("depends_on");
          g.writeStartObject();
          o.strings("macros", n.dependsOnMacros);
          g.writeEndObject();
          deferRelation(n);
        }
        case MODEL -> {
          ConfigJson.write(o, "config", ConfigJson.MODEL, n.config, n.tags);
          described(n);
          compiledPart(n);
          Object access = n.config.get("access");
          o.str("access", access == null || !Set.of("private", "protected", "public").contains(access.toString())
              ? "protected" : access.toString());
          o.emptyArray("constraints");
          o.fieldName("version");
          o.value(n.version);
          o.fieldName("latest_version");
          o.value(n.latestVersion);
          Object deprecation = n.extra.get("deprecation_date");
          o.str("deprecation_date", deprecation == null ? null : deprecation.toString());
          deferRelation(n);
          o.emptyArray("primary_key");
          o.nul("time_spine");
        }
        case TEST -> {
          ConfigJson.write(o, "config", ConfigJson.TEST, n.config, n.tags);
          described(n);
          compiledPart(n);
          if (n.testMetadata != null) {
            o.str("column_name", n.columnName);
            o.str("file_key_name", n.fileKeyName);
            o.str("attached_node", n.attachedNode);
            o.fieldName("test_metadata");
            g.writeStartObject();
            o.strNN("name", n.testMetadata.name());
            o.object("kwargs", n.testMetadata.kwargs() == null ? Map.of() : n.testMetadata.kwargs());
            o.str("namespace", n.testMetadata.namespace());
            g.writeEndObject();
          }
        }
        case SNAPSHOT -> {
          ConfigJson.write(o, "config", ConfigJson.SNAPSHOT, n.config, n.tags);
          described(n);
          compiledPart(n);
          deferRelation(n);
        }
        case OPERATION -> {
          ConfigJson.write(o, "config", ConfigJson.OPERATION, n.config, n.tags);
          described(n);
          compiledPart(n);
          Long idx = ConfigJson.integer(n.extra.get("index"));
          if (idx == null) o.nul("index"); else g.writeNumberField("index", idx);
        }
        default -> { // ANALYSIS
          ConfigJson.write(o, "config", ConfigJson.ANALYSIS, n.config, n.tags);
          described(n);
          compiledPart(n);
        }
      }
      g.writeEndObject();
    }

    /** Fields every node kind has, in dbt's order, up to checksum. */
    private void common(Node n) throws IOException {
      o.str("database", n.database);
      o.strNN("schema", n.schema);
      o.strNN("name", n.name);
      o.str("resource_type", n.resourceType.dbtName());
      o.strNN("package_name", n.packageName);
      o.strNN("path", n.path);
      o.strNN("original_file_path", n.originalFilePath);
      o.str("unique_id", n.uniqueId);
      o.strings("fqn", n.fqn);
      o.strNN("alias", n.alias != null ? n.alias : n.name);
      var g = o.g;
      o.fieldName("checksum");
      g.writeStartObject();
      o.str("name", "sha256");
      o.str("checksum", n.checksum != null && !n.checksum.isEmpty() ? n.checksum : hex("SHA-256", n.rawCode == null ? "" : n.rawCode));
      g.writeEndObject();
    }

    /** Fields after config, shared by all node kinds: docs, columns, raw code, ... */
    private void described(Node n) throws IOException {
      var g = o.g;
      o.strings("tags", n.tags);
      o.strNN("description", n.description);
      columns(n.columns);
      o.object("meta", n.meta);
      Object group = n.config.get("group");
      o.str("group", group == null ? null : group.toString());
      ConfigJson.docs(o, "docs", n.config.get("docs"));
      o.str("patch_path", n.patchPath);
      o.nul("build_path");
      o.object("unrendered_config", n.unrenderedConfig);
      o.fieldName("created_at");
      g.writeNumber(createdAtText); // the same text for every node: formatted once
      o.emptyObject("config_call_dict");
      o.emptyObject("unrendered_config_call_dict");
      o.str("relation_name", n.isEphemeral() ? null : n.relationName);
      o.strNN("raw_code", n.rawCode);
      o.emptyArray("doc_blocks");
      if (n.resourceType == ResourceType.SEED) return;
      o.strNN("language", n.language == null ? "sql" : n.language);
      refs(n.refs);
      o.fieldName("sources");
      g.writeStartArray();
      for (List<String> s : n.sources) {
        g.writeStartArray();
        for (String part : s) o.string(o.mask(part == null ? "" : part));
        g.writeEndArray();
      }
      g.writeEndArray();
      o.emptyArray("metrics");
      o.emptyArray("functions");
      dependsOn(n);
    }

    private void refs(List<Node.RefCall> refs) throws IOException {
      var g = o.g;
      o.fieldName("refs");
      g.writeStartArray();
      for (Node.RefCall r : refs) {
        g.writeStartObject();
        o.strNN("name", r.name());
        o.str("package", r.packageName());
        o.fieldName("version");
        Object v = r.version();
        if (v == null) g.writeNull();
        else if (v instanceof Number num) o.value(num);
        else g.writeString(o.mask(v.toString()));
        g.writeEndObject();
      }
      g.writeEndArray();
    }

    private void dependsOn(Node n) throws IOException {
      var g = o.g;
      o.fieldName("depends_on");
      g.writeStartObject();
      o.strings("macros", n.dependsOnMacros);
      o.strings("nodes", n.dependsOnNodes);
      g.writeEndObject();
    }

    private void compiledPart(Node n) throws IOException {
      var g = o.g;
      o.str("compiled_path", n.compiledPath);
      String code = n.compiledCode;
      if (code != null) {
        o.bool("compiled", true);
        o.str("compiled_code", code);
        o.bool("extra_ctes_injected", true);
        o.fieldName("extra_ctes");
        g.writeStartArray();
        for (String id : n.extraCtes) {
          Node cte = p.node(id);
          g.writeStartObject();
          o.str("id", id);
          // Node keeps only the ids of inlined ephemeral models; their own compiled SQL stands for the CTE body.
          o.strNN("sql", cte == null ? "" : cte.compiledCode);
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      o.fieldName("contract");
      g.writeStartObject();
      Object c = n.config.get("contract");
      Map<?, ?> cm = c instanceof Map<?, ?> m ? m : Map.of();
      o.bool("enforced", ConfigJson.truthy(cm.get("enforced"), false));
      o.bool("alias_types", ConfigJson.truthy(cm.get("alias_types"), true));
      o.nul("checksum");
      g.writeEndObject();
    }

    private void columns(Map<String, Node.ColumnDef> cols) throws IOException {
      var g = o.g;
      o.fieldName("columns");
      g.writeStartObject();
      for (Node.ColumnDef c : cols.values()) {
        g.writeFieldName(o.mask(c.name));
        g.writeStartObject();
        o.strNN("name", c.name);
        o.strNN("description", c.description);
        o.object("meta", c.meta);
        o.str("data_type", c.dataType);
        o.fieldName("constraints");
        g.writeStartArray();
        for (Map<String, Object> con : c.constraints) constraint(con);
        g.writeEndArray();
        o.fieldName("quote");
        if (c.quote == null) g.writeNull(); else g.writeBoolean(c.quote);
        o.fieldName("config");
        g.writeStartObject();
        o.object("meta", c.meta);
        o.strings("tags", c.tags);
        g.writeEndObject();
        o.strings("tags", c.tags);
        o.nul("granularity");
        o.emptyArray("doc_blocks");
        g.writeEndObject();
      }
      g.writeEndObject();
    }

    private static final Set<String> CONSTRAINT_TYPES =
        Set.of("check", "not_null", "unique", "primary_key", "foreign_key", "custom");

    private void constraint(Map<String, Object> con) throws IOException {
      var g = o.g;
      Object type = con.get("type");
      String t = type == null ? "custom" : type.toString();
      g.writeStartObject();
      o.str("type", CONSTRAINT_TYPES.contains(t) ? t : "custom");
      o.str("name", con.get("name") == null ? null : con.get("name").toString());
      Object expr = con.get("expression");
      o.str("expression", expr == null ? null : expr.toString());
      o.bool("warn_unenforced", ConfigJson.truthy(con.get("warn_unenforced"), true));
      o.bool("warn_unsupported", ConfigJson.truthy(con.get("warn_unsupported"), true));
      o.str("to", con.get("to") == null ? null : con.get("to").toString());
      o.strings("to_columns", ConfigJson.stringList(con.get("to_columns")));
      g.writeEndObject();
    }

    // ---- sources ----

    private void source(Node s) throws IOException {
      var g = o.g;
      g.writeStartObject();
      o.str("database", s.database);
      o.strNN("schema", s.schema);
      o.strNN("name", s.name);
      o.str("resource_type", "source");
      o.strNN("package_name", s.packageName);
      o.strNN("path", s.path);
      o.strNN("original_file_path", s.originalFilePath);
      o.str("unique_id", s.uniqueId);
      o.strings("fqn", s.fqn);
      o.strNN("source_name", s.sourceName);
      o.strNN("source_description", s.sourceDescription);
      o.strNN("loader", s.loader);
      o.strNN("identifier", s.identifier != null ? s.identifier : s.name);
      Object q = s.config.get("quoting");
      @SuppressWarnings("unchecked")
      Map<String, Object> qm = q instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
      quoting("quoting", qm);
      o.str("loaded_at_field", s.loadedAtField);
      Object laq = s.config.get("loaded_at_query");
      o.str("loaded_at_query", laq == null ? null : laq.toString());
      freshness("freshness", s.freshness);
      Object ext = s.extra.get("external");
      if (ext instanceof Map<?, ?> em) o.field("external", em); else o.nul("external");
      o.strNN("description", s.description);
      columns(s.columns);
      o.object("meta", s.meta);
      o.object("source_meta", s.sourceMeta);
      o.strings("tags", s.tags);
      // config (SourceConfig)
      o.fieldName("config");
      g.writeStartObject();
      o.bool("enabled", s.enabled());
      o.field("event_time", s.config.get("event_time"));
      freshness("freshness", s.freshness);
      o.str("loaded_at_field", s.loadedAtField);
      o.str("loaded_at_query", laq == null ? null : laq.toString());
      o.object("meta", s.config.getOrDefault("meta", s.meta));
      o.strings("tags", s.config.containsKey("tags") ? ConfigJson.stringList(s.config.get("tags")) : List.copyOf(s.tags));
      for (Map.Entry<String, Object> e : s.config.entrySet()) {
        if (SOURCE_CONFIG_KEYS.contains(e.getKey())) continue;
        ConfigJson.writeEntry(o, e.getKey(), e.getValue(), null);
      }
      g.writeEndObject();
      o.str("patch_path", s.patchPath);
      o.object("unrendered_config", s.unrenderedConfig);
      o.str("relation_name", s.relationName);
      o.fieldName("created_at");
      g.writeNumber(createdAtText); // the same text for every node: formatted once
      o.str("unrendered_database", s.database);
      o.str("unrendered_schema", s.schema);
      o.emptyArray("doc_blocks");
      g.writeEndObject();
    }

    private static final Set<String> SOURCE_CONFIG_KEYS =
        Set.of("enabled", "event_time", "freshness", "loaded_at_field", "loaded_at_query", "meta", "tags");

    private void freshness(String field, Map<String, Object> f) throws IOException {
      var g = o.g;
      g.writeFieldName(field);
      if (f == null) { g.writeNull(); return; }
      g.writeStartObject();
      time("warn_after", f.get("warn_after"));
      time("error_after", f.get("error_after"));
      Object filter = f.get("filter");
      o.str("filter", filter == null ? null : filter.toString());
      g.writeEndObject();
    }

    private void time(String field, Object t) throws IOException {
      var g = o.g;
      g.writeFieldName(field);
      if (!(t instanceof Map<?, ?> m)) { g.writeNull(); return; }
      g.writeStartObject();
      Long count = ConfigJson.integer(m.get("count"));
      if (count == null) o.nul("count"); else g.writeNumberField("count", count);
      Object period = m.get("period");
      String ps = period == null ? null : period.toString();
      o.str("period", ps != null && Set.of("minute", "hour", "day").contains(ps) ? ps : null);
      g.writeEndObject();
    }

    // ---- macros, docs, exposures ----

    private void macro(MacroDef m) throws IOException {
      var g = o.g;
      g.writeStartObject();
      o.strNN("name", m.name());
      o.str("resource_type", "macro");
      o.strNN("package_name", m.packageName());
      o.strNN("path", m.path());
      o.strNN("original_file_path", m.originalFilePath());
      o.str("unique_id", m.uniqueId());
      o.strNN("macro_sql", m.macroSql());
      o.fieldName("depends_on");
      g.writeStartObject();
      o.strings("macros", m.dependsOnMacros() == null ? List.of() : m.dependsOnMacros());
      g.writeEndObject();
      o.strNN("description", m.description());
      o.emptyObject("meta");
      ConfigJson.docs(o, "docs", null);
      o.nul("patch_path");
      o.fieldName("arguments");
      g.writeStartArray();
      if (m.arguments() != null) for (String a : m.arguments()) {
        g.writeStartObject();
        o.strNN("name", a);
        o.nul("type");
        o.str("description", "");
        g.writeEndObject();
      }
      g.writeEndArray();
      o.fieldName("created_at");
      g.writeNumber(createdAtText); // the same text for every node: formatted once
      o.nul("supported_languages");
      g.writeEndObject();
    }

    private void doc(DocDef d) throws IOException {
      var g = o.g;
      g.writeStartObject();
      o.strNN("name", d.name());
      o.str("resource_type", "doc");
      o.strNN("package_name", d.packageName());
      o.strNN("path", d.path());
      o.strNN("original_file_path", d.originalFilePath());
      o.str("unique_id", d.uniqueId());
      o.strNN("block_contents", d.blockContents());
      g.writeEndObject();
    }

    private static final Set<String> EXPOSURE_TYPES = Set.of("dashboard", "notebook", "analysis", "ml", "application");
    private static final Set<String> MATURITIES = Set.of("low", "medium", "high");

    /** A unit test as dbt's UnitTestDefinition: model, given fixtures, expect, overrides. */
    @SuppressWarnings("unchecked")
    private void unitTest(Node u) throws IOException {
      var g = o.g;
      g.writeStartObject();
      o.str("model", String.valueOf(u.extra.get("model_name")));
      o.fieldName("given");
      g.writeStartArray();
      Object given = u.extra.get("given");
      if (given instanceof Collection<?> gl) {
        for (Object x : gl) {
          Map<String, Object> in = (Map<String, Object>) x;
          g.writeStartObject();
          o.str("input", String.valueOf(in.get("input")));
          fixture(in);
          g.writeEndObject();
        }
      }
      g.writeEndArray();
      o.fieldName("expect");
      g.writeStartObject();
      Object expect = u.extra.get("expect");
      fixture(expect instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of());
      g.writeEndObject();
      o.strNN("name", u.name);
      o.str("resource_type", "unit_test");
      o.strNN("package_name", u.packageName);
      o.strNN("path", u.path);
      o.strNN("original_file_path", u.originalFilePath);
      o.str("unique_id", u.uniqueId);
      o.strings("fqn", u.fqn);
      o.strNN("description", u.description);
      Object ov = u.extra.get("overrides");
      if (ov instanceof Map<?, ?> m && !m.isEmpty()) o.object("overrides", m);
      else o.nul("overrides");
      o.fieldName("depends_on");
      g.writeStartObject();
      o.strings("macros", u.dependsOnMacros);
      o.strings("nodes", u.dependsOnNodes);
      g.writeEndObject();
      o.fieldName("config");
      g.writeStartObject();
      o.strings("tags", u.tags);
      o.object("meta", u.config.get("meta") instanceof Map<?, ?> mm ? mm : Map.of());
      o.bool("enabled", u.enabled());
      g.writeEndObject();
      o.str("checksum", null);
      o.str("schema", u.schema);
      o.fieldName("created_at");
      g.writeNumber(createdAtText); // the same text for every node: formatted once
      o.str("version", null);
      g.writeEndObject();
    }

    private void fixture(Map<String, Object> f) throws IOException {
      var g = o.g;
      o.fieldName("rows");
      if (f.get("rows") == null) g.writeNull();
      else if (f.get("rows") instanceof String s) g.writeString(o.mask(s));
      else o.value(f.get("rows"));
      o.str("format", f.get("format") == null ? "dict" : String.valueOf(f.get("format")));
      o.str("fixture", f.get("fixture") == null ? null : String.valueOf(f.get("fixture")));
    }

    /** dbt's defer_relation: the --state manifest's relation of the node, under --defer (else null). */
    private void deferRelation(Node n) throws IOException {
      o.fieldName("defer_relation");
      o.value(n.extra.get("defer_relation"));
    }

    /** Groups declared under 'groups:', as dbt writes them (unique_id group.<package>.<name>). */
    private void groups() throws IOException {
      var g = o.g;
      Map<String, Map<String, Object>> byId = new java.util.TreeMap<>();
      for (Map<String, Object> def : p.groups().values()) byId.put("group." + def.get("package") + "." + def.get("name"), def);
      o.fieldName("groups");
      g.writeStartObject();
      for (Map.Entry<String, Map<String, Object>> e : byId.entrySet()) {
        Map<String, Object> def = e.getValue();
        String file = String.valueOf(def.get("file"));
        g.writeFieldName(o.mask(e.getKey()));
        g.writeStartObject();
        o.strNN("name", String.valueOf(def.get("name")));
        o.str("resource_type", "group");
        o.strNN("package_name", String.valueOf(def.get("package")));
        o.strNN("path", file.substring(file.indexOf('/') + 1));
        o.strNN("original_file_path", file);
        o.str("unique_id", e.getKey());
        o.object("owner", def.get("owner"));
        Object description = def.get("description");
        o.str("description", description == null ? null : description.toString());
        o.fieldName("config");
        g.writeStartObject();
        o.object("meta", def.get("meta"));
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeEndObject();
    }

    private void exposure(Node e) throws IOException {
      var g = o.g;
      g.writeStartObject();
      o.strNN("name", e.name);
      o.str("resource_type", "exposure");
      o.strNN("package_name", e.packageName);
      o.strNN("path", e.path);
      o.strNN("original_file_path", e.originalFilePath);
      o.str("unique_id", e.uniqueId);
      o.strings("fqn", e.fqn);
      Object type = e.extra.get("type");
      o.str("type", type != null && EXPOSURE_TYPES.contains(type.toString()) ? type.toString() : "dashboard");
      o.fieldName("owner");
      g.writeStartObject();
      Object owner = e.extra.get("owner");
      Map<?, ?> om = owner instanceof Map<?, ?> m ? m : Map.of();
      Object email = om.get("email");
      o.fieldName("email");
      if (email == null) g.writeNull();
      else if (email instanceof Collection<?>) o.value(ConfigJson.stringList(email));
      else g.writeString(o.mask(email.toString()));
      Object oname = om.get("name");
      o.str("name", oname == null ? null : oname.toString());
      g.writeEndObject();
      o.strNN("description", e.description);
      Object label = e.extra.get("label");
      o.str("label", label == null ? null : label.toString());
      Object maturity = e.extra.get("maturity");
      o.str("maturity", maturity != null && MATURITIES.contains(maturity.toString()) ? maturity.toString() : null);
      o.object("meta", e.meta);
      o.strings("tags", e.tags);
      o.fieldName("config");
      g.writeStartObject();
      o.bool("enabled", e.enabled());
      o.strings("tags", e.tags);
      o.object("meta", e.meta);
      g.writeEndObject();
      o.object("unrendered_config", e.unrenderedConfig);
      Object url = e.extra.get("url");
      o.str("url", url == null ? null : url.toString());
      dependsOn(e);
      refs(e.refs);
      o.fieldName("sources");
      g.writeStartArray();
      for (List<String> s : e.sources) o.value(s);
      g.writeEndArray();
      o.emptyArray("metrics");
      o.fieldName("created_at");
      g.writeNumber(createdAtText); // the same text for every node: formatted once
      g.writeEndObject();
    }

    // ---- selectors, disabled, maps ----

    private void selectors() throws IOException {
      Map<String, Object> sel = p.selectors() == null ? Map.of() : p.selectors();
      Object list = sel.get("selectors");
      if (list instanceof List<?> l) {
        // selectors.yml as written: {selectors: [{name, definition, ...}]}; dbt keys them by name
        Map<String, Object> byName = new LinkedHashMap<>();
        for (Object s : l) {
          if (s instanceof Map<?, ?> m && m.get("name") != null) byName.put(m.get("name").toString(), m);
        }
        o.field("selectors", byName);
      } else {
        o.field("selectors", sel);
      }
    }

    private void disabled() throws IOException {
      var g = o.g;
      o.fieldName("disabled");
      g.writeStartObject();
      for (Node n : p.disabled().values()) {
        boolean known = n.resourceType == ResourceType.SOURCE || n.resourceType == ResourceType.EXPOSURE
            || isManifestNode(n.resourceType);
        if (!known) continue;
        g.writeFieldName(o.mask(n.uniqueId));
        g.writeStartArray();
        if (n.resourceType == ResourceType.SOURCE) source(n);
        else if (n.resourceType == ResourceType.EXPOSURE) exposure(n);
        else node(n);
        g.writeEndArray();
      }
      g.writeEndObject();
    }

    /** parent_map and child_map over nodes, sources and exposures (lists sorted, as dbt does). */
    private void maps(List<Node> exposures) throws IOException {
      // Sorted lists, not tree sets: 10,000 models make 20,000 of them.
      Map<String, List<String>> children = new HashMap<>();
      List<String> order = new ArrayList<>();
      for (Node n : p.nodes().values()) {
        if (!isManifestNode(n.resourceType) && n.resourceType != ResourceType.EXPOSURE) continue;
        order.add(n.uniqueId);
        children.put(n.uniqueId, new ArrayList<>(2));
      }
      for (Node s : p.sources().values()) {
        order.add(s.uniqueId);
        children.put(s.uniqueId, new ArrayList<>(2));
      }
      Map<String, Collection<String>> parents = new LinkedHashMap<>();
      for (String id : order) {
        Node n = p.node(id);
        List<String> ps = new ArrayList<>(n.dependsOnNodes.size());
        // ingestion nodes are not manifest nodes: their sources carry them
        for (String parent : n.dependsOnNodes) if (children.containsKey(parent)) ps.add(parent);
        ps.sort(null);
        parents.put(id, ps);
        for (String parent : ps) children.get(parent).add(id);
      }
      for (List<String> c : children.values()) if (c.size() > 1) c.sort(null);
      var g = o.g;
      o.fieldName("parent_map");
      g.writeStartObject();
      for (Map.Entry<String, Collection<String>> e : parents.entrySet()) o.strings(o.mask(e.getKey()), e.getValue());
      g.writeEndObject();
      o.fieldName("child_map");
      g.writeStartObject();
      for (String id : order) o.strings(o.mask(id), children.get(id));
      g.writeEndObject();
      o.fieldName("group_map");
      g.writeStartObject();
      Map<String, TreeSet<String>> members = new java.util.TreeMap<>();
      for (String name : p.groups().keySet()) members.put(name, new TreeSet<>());
      for (String id : order) {
        Node n = p.node(id);
        Object group = n == null ? null : n.config.get("group");
        if (group != null && members.containsKey(group.toString())) members.get(group.toString()).add(id);
      }
      for (Map.Entry<String, TreeSet<String>> e : members.entrySet()) o.strings(o.mask(e.getKey()), e.getValue());
      g.writeEndObject();
    }
  }
}
