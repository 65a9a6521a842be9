package dev.weir.core.project;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One node of the project: a model, seed, test, source table, snapshot, analysis or exposure.
 * Built by the project loader; after loading completes it is treated as immutable, except for the
 * compiled fields ({@link #compiledCode}, {@link #relationName}) that compilation fills.
 *
 * <p>Field names follow dbt's manifest so that artifacts and selectors read the same.
 */
public final class Node {
  public final String uniqueId;            // model.my_pkg.customers
  public final ResourceType resourceType;
  public final String packageName;
  public final String name;
  /** Path relative to the resource folder (models/), as dbt's "path". */
  public String path;
  /** Path relative to the project root, as dbt's "original_file_path". */
  public String originalFilePath;
  public List<String> fqn = List.of();
  public String rawCode = "";
  public String language = "sql";
  public String checksum = "";

  public String database;
  public String schema;
  public String alias;
  public String relationName;

  /** The resolved config (dbt's hierarchy applied): materialized, tags, enabled, schema, ... */
  public Map<String, Object> config = new LinkedHashMap<>();
  /** Config as written (before inheritance): dbt's unrendered_config. */
  public Map<String, Object> unrenderedConfig = new LinkedHashMap<>();
  public Set<String> tags = new LinkedHashSet<>();
  public String description = "";
  public Map<String, ColumnDef> columns = new LinkedHashMap<>();
  public Map<String, Object> meta = new LinkedHashMap<>();
  public String patchPath;
  public String docsPath;

  /** ref() calls: each [package or null, name, version or null]. */
  public List<RefCall> refs = new ArrayList<>();
  /** source() calls: each [source name, table name]. */
  public List<List<String>> sources = new ArrayList<>();
  /** Unique ids this node depends on (resolved refs and sources). */
  public Set<String> dependsOnNodes = new LinkedHashSet<>();
  public Set<String> dependsOnMacros = new LinkedHashSet<>();

  // Tests
  public TestMetadata testMetadata;
  public String columnName;
  public String attachedNode;
  public String fileKeyName;

  // Sources
  public String sourceName;
  public String sourceDescription = "";
  public String identifier;
  public String loader = "";
  public String loadedAtField;
  public Map<String, Object> freshness;
  public Map<String, Object> sourceMeta = new LinkedHashMap<>();

  // Seeds
  public String rootPath;

  // Model versions
  /** This model version's {@code v} (Integer, or String such as "1.1"); null for an unversioned model. */
  public Object version;
  /** The versioned model's {@code latest_version}; null for an unversioned model. */
  public Object latestVersion;

  // Exposures
  public Map<String, Object> extra = new LinkedHashMap<>();

  /** Where the raw code begins in its file (1-based), for error lines. */
  public int firstLine = 1;

  // Filled by compilation
  public volatile String compiledCode;
  public volatile String compiledPath;
  public volatile boolean compiled;
  /** Ephemeral models this node's compiled SQL inlines, in dependency order. */
  public volatile List<String> extraCtes = List.of();

  public Node(String uniqueId, ResourceType resourceType, String packageName, String name) {
    this.uniqueId = uniqueId;
    this.resourceType = resourceType;
    this.packageName = packageName;
    this.name = name;
  }

  public String materialized() {
    Object m = config.get("materialized");
    return m == null ? null : m.toString();
  }

  public boolean enabled() {
    Object e = config.get("enabled");
    return e == null || Boolean.TRUE.equals(e) || "true".equalsIgnoreCase(String.valueOf(e));
  }

  public boolean isEphemeral() { return "ephemeral".equals(materialized()); }

  @Override public String toString() { return uniqueId; }

  /** A ref() call as written. */
  public record RefCall(String packageName, String name, Object version, int line) {
    // Written out: a record's generated equals goes through method handles, slow until the JIT has optimized them,
    // and parsing compares every ref a model makes with the ones it made before.
    @Override
    public boolean equals(Object o) {
      return o instanceof RefCall r && line == r.line && java.util.Objects.equals(name, r.name)
          && java.util.Objects.equals(packageName, r.packageName) && java.util.Objects.equals(version, r.version);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(packageName, name, version, line);
    }
  }

  /** A generic test's name, namespace and arguments. */
  public record TestMetadata(String name, String namespace, Map<String, Object> kwargs) {}

  /** A column declared in properties YAML. */
  public static final class ColumnDef {
    public final String name;
    public String description = "";
    public String dataType;
    public Map<String, Object> meta = new LinkedHashMap<>();
    public List<String> tags = new ArrayList<>();
    public List<Map<String, Object>> constraints = new ArrayList<>();
    public Boolean quote;

    public ColumnDef(String name) { this.name = name; }
  }
}
