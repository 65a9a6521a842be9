package dev.weir.core.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.resource.DisallowSchemaLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Validates artifact JSON against dbt's published schemas (the copies in
 * {@code <workspace>/shared/dbt-artifact-schemas/}), offline. Public so that other modules' tests
 * (e.g. CLI end-to-end) can use it through weir-core's test-jar:
 *
 * <pre>{@code ArtifactSchemas.assertValid(target.resolve("manifest.json"), ArtifactSchemas.MANIFEST);}</pre>
 *
 * <p>The schema folder is found from the system property {@code weir.artifactSchemas} or the env var
 * {@code WEIR_ARTIFACT_SCHEMAS} if set, else by walking up from the working directory until a
 * directory containing {@code shared/dbt-artifact-schemas} is found.
 */
public final class ArtifactSchemas {
  public static final String MANIFEST = "manifest-v12.json";
  public static final String RUN_RESULTS = "run-results-v6.json";
  public static final String CATALOG = "catalog-v1.json";
  public static final String SOURCES = "sources-v3.json";

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Map<String, JsonSchema> CACHE = new ConcurrentHashMap<>();
  private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
      // Offline: any attempt to load a schema by URI (remote $ref, meta-schema fetch) fails instead of downloading.
      b -> b.schemaLoaders(l -> l.values(list -> {
        list.clear();
        list.add(DisallowSchemaLoader.getInstance());
      })));

  private ArtifactSchemas() {}

  /** The folder holding dbt's schema files; fails with a clear message if it cannot be found. */
  public static Path schemaDir() {
    String explicit = System.getProperty("weir.artifactSchemas", System.getenv("WEIR_ARTIFACT_SCHEMAS"));
    if (explicit != null && !explicit.isBlank()) {
      Path p = Path.of(explicit);
      if (Files.isDirectory(p)) return p;
      throw new AssertionError("weir.artifactSchemas / WEIR_ARTIFACT_SCHEMAS points to " + p + ", which is not a directory");
    }
    Path start = Path.of("").toAbsolutePath();
    for (Path d = start; d != null; d = d.getParent()) {
      Path candidate = d.resolve("shared").resolve("dbt-artifact-schemas");
      if (Files.isDirectory(candidate)) return candidate;
    }
    throw new AssertionError("dbt artifact schemas not found: no shared/dbt-artifact-schemas folder in " + start
        + " or any parent (set -Dweir.artifactSchemas=<dir> to point at it)");
  }

  /** The validation messages for {@code json} against {@code schemaFile} (e.g. {@link #MANIFEST}); empty if valid. */
  public static Set<ValidationMessage> validate(Path json, String schemaFile) {
    try {
      return validate(MAPPER.readTree(json.toFile()), schemaFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + json, e);
    }
  }

  public static Set<ValidationMessage> validate(JsonNode json, String schemaFile) {
    return schema(schemaFile).validate(json);
  }

  /** Fails with the first validation messages if {@code json} does not conform to {@code schemaFile}. */
  public static void assertValid(Path json, String schemaFile) {
    Set<ValidationMessage> errors = validate(json, schemaFile);
    if (!errors.isEmpty()) {
      throw new AssertionError(json + " does not conform to " + schemaFile + " (" + errors.size() + " errors):\n  "
          + errors.stream().limit(25).map(ValidationMessage::toString).collect(Collectors.joining("\n  ")));
    }
  }

  private static JsonSchema schema(String schemaFile) {
    return CACHE.computeIfAbsent(schemaFile, f -> {
      Path p = schemaDir().resolve(f);
      if (!Files.isRegularFile(p)) throw new AssertionError("schema file not found: " + p);
      try {
        JsonNode node = MAPPER.readTree(p.toFile());
        return FACTORY.getSchema(node);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read schema " + p, e);
      }
    });
  }
}
