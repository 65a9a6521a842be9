package dev.weir.core.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.core.WeirException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * dbt's {@code state:} and {@code result:} selection methods, comparing the project with the
 * artifacts of a previous invocation in a {@code --state} folder.
 *
 * <p>Both sides are compared as manifest JSON: the current project is written by the same
 * ManifestWriter that wrote the state manifest, so equal projects compare equal field by field.
 *
 * <ul>
 *   <li>{@code state:new}: the unique id is not in the state manifest; {@code state:old}: it is.</li>
 *   <li>{@code state:modified.body}: the checksum (of the raw code, or the seed file) differs.</li>
 *   <li>{@code state:modified.configs}: the rendered config differs, database/schema/alias left out.</li>
 *   <li>{@code state:modified.relation}: database, schema or alias as written in the config
 *       (unrendered: independent of the target and of generate_x_name macros); for sources the
 *       rendered database, schema and identifier.</li>
 *   <li>{@code state:modified.persisted_descriptions}: the description (with persist_docs.relation)
 *       or a column description (with persist_docs.columns) differs.</li>
 *   <li>{@code state:modified.macros}: a macro the node calls, directly or through other macros,
 *       is new or its SQL differs. Weir does not record depends_on.macros for nodes, so calls are
 *       found by name in the raw code (and in the macros' SQL): {@code name(} or {@code package.name(}.
 *       Macros reached only through dispatch or the materialization are not seen.</li>
 *   <li>{@code state:modified.contract}: the contract's enforced flag, or (when enforced) a
 *       column's name or data type, differs.</li>
 *   <li>{@code state:modified}: new, or any of the above; {@code state:unmodified}: old and none.</li>
 * </ul>
 *
 * <p>{@code result:<status>} selects the nodes whose status in the state folder's
 * run_results.json is that status (success, error, fail, warn, pass, skipped, ...).
 */
public final class StateMethods {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CALL = Pattern.compile("(?<![\\w.])([A-Za-z_]\\w*)(?:\\.([A-Za-z_]\\w*))?\\s*\\(");
  private static final List<String> SUBS = List.of("body", "configs", "relation", "persisted_descriptions", "macros",
      "contract");

  private final Path stateDir;
  private final Supplier<JsonNode> currentManifest;
  private JsonNode current;
  private JsonNode state;
  private JsonNode runResults;
  private Map<String, JsonNode> currentNodes;
  private Map<String, JsonNode> stateNodes;
  private Set<String> modifiedMacros;
  private Map<String, List<String>> macrosByName;

  private StateMethods(Path stateDir, Supplier<JsonNode> currentManifest) {
    this.stateDir = stateDir;
    this.currentManifest = currentManifest;
  }

  /**
   * Registers {@code state} and {@code result} on {@code methods}. {@code stateDir} may be null
   * (no --state): the methods then fail with a usage error naming the flag.
   */
  public static SelectorMethods register(SelectorMethods methods, Path stateDir, Supplier<JsonNode> currentManifest) {
    StateMethods m = new StateMethods(stateDir, currentManifest);
    methods.register("state", (ctx, args, value) -> m.state(ctx, value));
    methods.register("result", (ctx, args, value) -> m.result(ctx, value));
    return methods;
  }

  /** Reads a JSON artifact, or null if the file does not exist. */
  public static JsonNode readJson(Path file) {
    if (!Files.isRegularFile(file)) return null;
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw WeirException.usage("Could not read " + file + ": " + e.getMessage());
    }
  }

  // ------------------------------------------------------------------ state:

  private synchronized Set<String> state(SelectorMethod.Context ctx, String value) {
    load();
    Set<String> out = new LinkedHashSet<>();
    String v = value;
    String sub = null;
    if (v.startsWith("modified.")) {
      sub = v.substring("modified.".length());
      v = "modified";
      if (!SUBS.contains(sub)) {
        throw WeirException.usage("Invalid state selector 'state:" + value + "': expected one of state:modified."
            + String.join(", state:modified.", SUBS));
      }
    }
    for (String id : ctx.graph().ids()) {
      JsonNode now = currentNodes.get(id);
      if (now == null) continue;
      JsonNode old = stateNodes.get(id);
      boolean hit = switch (v) {
        case "new" -> old == null;
        case "old" -> old != null;
        case "modified" -> old == null ? sub == null : sub == null ? modified(now, old) : modified(sub, now, old);
        case "unmodified" -> old != null && !modified(now, old);
        default -> throw WeirException.usage("Invalid state selector 'state:" + value
            + "': expected new, old, modified, unmodified or modified.<body|configs|relation|persisted_descriptions|macros|contract>");
      };
      if (hit) out.add(id);
    }
    return out;
  }

  private void load() {
    if (state != null) return;
    if (stateDir == null) {
      throw WeirException.usage("Got a state selector method, but no comparison manifest: pass --state DIR (the folder "
          + "of a previous target/manifest.json), or set WEIR_STATE / DBT_STATE");
    }
    JsonNode s = readJson(stateDir.resolve("manifest.json"));
    if (s == null) throw WeirException.usage("No manifest.json in the --state folder " + stateDir);
    current = currentManifest.get();
    stateNodes = index(s);
    currentNodes = index(current);
    state = s;
  }

  private static Map<String, JsonNode> index(JsonNode manifest) {
    Map<String, JsonNode> m = new HashMap<>();
    for (String section : List.of("nodes", "sources", "exposures", "unit_tests", "snapshots")) {
      JsonNode sec = manifest.get(section);
      if (sec == null || !sec.isObject()) continue;
      for (Iterator<Map.Entry<String, JsonNode>> it = sec.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        m.put(e.getKey(), e.getValue());
      }
    }
    return m;
  }

  private boolean modified(JsonNode now, JsonNode old) {
    for (String sub : SUBS) if (modified(sub, now, old)) return true;
    return false;
  }

  private boolean modified(String sub, JsonNode now, JsonNode old) {
    return switch (sub) {
      case "body" -> !text(now.path("checksum").path("checksum")).equals(text(old.path("checksum").path("checksum")));
      case "configs" -> !withoutRelationKeys(now.get("config")).equals(withoutRelationKeys(old.get("config")));
      case "relation" -> !relation(now).equals(relation(old));
      case "persisted_descriptions" -> persistedDescriptionsDiffer(now, old);
      case "macros" -> callsModifiedMacro(now);
      case "contract" -> contractDiffers(now, old);
      default -> false;
    };
  }

  private static String text(JsonNode n) { return n == null || n.isMissingNode() || n.isNull() ? "" : n.asText(); }

  private static JsonNode withoutRelationKeys(JsonNode config) {
    if (!(config instanceof ObjectNode o)) return config == null ? JSON.nullNode() : config;
    ObjectNode c = o.deepCopy();
    c.remove(List.of("database", "schema", "alias"));
    return c;
  }

  private static String relation(JsonNode n) {
    if ("source".equals(text(n.get("resource_type")))) {
      return text(n.get("database")) + "." + text(n.get("schema")) + "." + text(n.get("identifier"));
    }
    JsonNode u = n.path("unrendered_config");
    return text(u.get("database")) + "." + text(u.get("schema")) + "." + text(u.get("alias"));
  }

  private static boolean persistedDescriptionsDiffer(JsonNode now, JsonNode old) {
    JsonNode pd = now.path("config").path("persist_docs");
    JsonNode opd = old.path("config").path("persist_docs");
    if ((pd.path("relation").asBoolean(false) || opd.path("relation").asBoolean(false))
        && !text(now.get("description")).equals(text(old.get("description")))) {
      return true;
    }
    if (pd.path("columns").asBoolean(false) || opd.path("columns").asBoolean(false)) {
      return !columnField(now, "description").equals(columnField(old, "description"));
    }
    return false;
  }

  private static Map<String, String> columnField(JsonNode n, String field) {
    Map<String, String> m = new LinkedHashMap<>();
    JsonNode cols = n.get("columns");
    if (cols == null || !cols.isObject()) return m;
    for (Iterator<Map.Entry<String, JsonNode>> it = cols.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      m.put(e.getKey(), text(e.getValue().get(field)));
    }
    return m;
  }

  private static boolean contractDiffers(JsonNode now, JsonNode old) {
    boolean e1 = now.path("contract").path("enforced").asBoolean(false);
    boolean e0 = old.path("contract").path("enforced").asBoolean(false);
    if (e1 != e0) return true;
    if (!e1) return false;
    return !columnField(now, "data_type").equals(columnField(old, "data_type"));
  }

  // ------------------------------------------------------------------ macros

  private boolean callsModifiedMacro(JsonNode node) {
    if (modifiedMacros == null) computeMacros();
    if (modifiedMacros.isEmpty()) return false;
    String pkg = text(node.get("package_name"));
    Deque<String> todo = new ArrayDeque<>(macroCalls(node.path("depends_on").path("macros"), text(node.get("raw_code")), pkg));
    Set<String> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      String id = todo.pop();
      if (!seen.add(id)) continue;
      if (modifiedMacros.contains(id)) return true;
      JsonNode m = current.path("macros").path(id);
      todo.addAll(macroCalls(m.path("depends_on").path("macros"), text(m.get("macro_sql")), text(m.get("package_name"))));
    }
    return false;
  }

  private void computeMacros() {
    modifiedMacros = new HashSet<>();
    macrosByName = new HashMap<>();
    JsonNode now = current.path("macros");
    JsonNode old = state.path("macros");
    for (Iterator<Map.Entry<String, JsonNode>> it = now.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode o = old.get(e.getKey());
      if (o == null || !text(o.get("macro_sql")).equals(text(e.getValue().get("macro_sql")))) modifiedMacros.add(e.getKey());
      macrosByName.computeIfAbsent(text(e.getValue().get("name")), k -> new java.util.ArrayList<>()).add(e.getKey());
    }
  }

  /** Macro unique ids a piece of code calls: its depends_on.macros, plus names called in the code. */
  private List<String> macroCalls(JsonNode dependsOn, String code, String pkg) {
    Set<String> out = new LinkedHashSet<>();
    if (dependsOn != null && dependsOn.isArray()) for (JsonNode d : dependsOn) out.add(d.asText());
    Matcher m = CALL.matcher(code == null ? "" : code);
    while (m.find()) {
      String first = m.group(1);
      String second = m.group(2);
      if (second != null) {
        String id = "macro." + first + "." + second;
        if (current.path("macros").has(id)) {
          out.add(id);
          continue;
        }
      }
      String name = second != null ? null : first;
      if (name == null) continue;
      List<String> ids = macrosByName.get(name);
      if (ids == null) continue;
      // The caller's own package wins, as in dbt's lookup; otherwise every package's macro of that name counts.
      String own = "macro." + pkg + "." + name;
      if (ids.contains(own)) out.add(own); else out.addAll(ids);
    }
    return List.copyOf(out);
  }

  // ------------------------------------------------------------------ result:

  private synchronized Set<String> result(SelectorMethod.Context ctx, String value) {
    if (runResults == null) {
      if (stateDir == null) {
        throw WeirException.usage("Got a result selector method, but no previous results: pass --state DIR (the folder "
            + "of a previous target/run_results.json), or set WEIR_STATE / DBT_STATE");
      }
      runResults = readJson(stateDir.resolve("run_results.json"));
      if (runResults == null) throw WeirException.usage("No run_results.json in the --state folder " + stateDir);
    }
    Set<String> out = new LinkedHashSet<>();
    for (JsonNode r : runResults.path("results")) {
      String id = text(r.get("unique_id"));
      if (text(r.get("status")).equalsIgnoreCase(value) && ctx.graph().contains(id)) out.add(id);
    }
    return out;
  }
}
