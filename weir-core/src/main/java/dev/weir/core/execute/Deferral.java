package dev.weir.core.execute;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.core.WeirException;
import dev.weir.core.engine.Relation;
import dev.weir.core.graph.StateMethods;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import dev.weir.core.render.Renderer;
import dev.weir.core.util.Console;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * dbt's {@code --defer}: a ref to a node that is not selected reads the relation the
 * {@code --state} manifest records for it (its database, schema and alias) when the node's own
 * relation does not exist in the current target (looked up through the warehouse session, once
 * per node). With {@code --favor-state} the state's relation is used whether or not the node's
 * own exists. Selected nodes, ephemeral models and nodes the state manifest does not have are
 * never deferred.
 */
final class Deferral implements Renderer.Deferral {
  private final Map<String, Relation> stateRelations;
  private final Set<String> selected;
  private final boolean favorState;
  private final Console console;
  private final Map<String, Boolean> existsHere = new ConcurrentHashMap<>();
  private final Set<String> reported = ConcurrentHashMap.newKeySet();

  private Deferral(Map<String, Relation> stateRelations, Set<String> selected, boolean favorState, Console console) {
    this.stateRelations = stateRelations;
    this.selected = selected;
    this.favorState = favorState;
    this.console = console;
  }

  /**
   * Loads the state manifest's relations and, as dbt's manifest does under --defer, records on each
   * of {@code nodes} that the state manifest has (models, seeds, snapshots; not ephemeral) its
   * {@code defer_relation}: the state's database, schema, alias, relation_name, name, description,
   * compiled_code, meta, tags and config (kept in {@code Node.extra}, written by ManifestWriter).
   */
  @SuppressWarnings("unchecked")
  static Deferral load(Path stateDir, List<String> selected, boolean favorState, Console console, Map<String, Node> nodes) {
    Deferral d = load(stateDir, selected, favorState, console);
    JsonNode manifest = StateMethods.readJson(stateDir.resolve("manifest.json"));
    com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    for (Node n : nodes.values()) {
      Relation r = d.stateRelations.get(n.uniqueId);
      JsonNode s = manifest.path("nodes").path(n.uniqueId);
      if (r == null || s.isMissingNode()) continue;
      Map<String, Object> rel = new java.util.LinkedHashMap<>();
      rel.put("database", r.database());
      rel.put("schema", r.schema());
      rel.put("alias", r.identifier());
      rel.put("relation_name", s.path("relation_name").isTextual() ? s.get("relation_name").asText() : null);
      rel.put("resource_type", s.path("resource_type").asText());
      rel.put("name", s.path("name").asText());
      rel.put("description", s.path("description").asText(""));
      rel.put("compiled_code", s.path("compiled_code").isTextual() ? s.get("compiled_code").asText() : null);
      rel.put("meta", s.path("meta").isObject() ? mapper.convertValue(s.get("meta"), Map.class) : Map.of());
      rel.put("tags", s.path("tags").isArray() ? mapper.convertValue(s.get("tags"), List.class) : List.of());
      rel.put("config", s.path("config").isObject() ? mapper.convertValue(s.get("config"), Map.class) : null);
      n.extra.put("defer_relation", rel);
    }
    return d;
  }

  static Deferral load(Path stateDir, List<String> selected, boolean favorState, Console console) {
    JsonNode manifest = StateMethods.readJson(stateDir.resolve("manifest.json"));
    if (manifest == null) throw WeirException.usage("--defer: no manifest.json in the --state folder " + stateDir);
    Map<String, Relation> rels = new HashMap<>();
    for (var it = manifest.path("nodes").fields(); it.hasNext(); ) {
      var e = it.next();
      JsonNode n = e.getValue();
      String type = n.path("resource_type").asText("");
      if (!type.equals("model") && !type.equals("seed") && !type.equals("snapshot")) continue;
      if ("ephemeral".equals(n.path("config").path("materialized").asText(""))) continue;
      String alias = n.hasNonNull("alias") ? n.get("alias").asText() : n.path("name").asText();
      rels.put(e.getKey(), Relation.of(n.hasNonNull("database") ? n.get("database").asText() : null,
          n.path("schema").asText(), alias));
    }
    return new Deferral(rels, new HashSet<>(selected), favorState, console);
  }

  @Override
  public Relation relationFor(Node n, Renderer.Warehouse wh) {
    if (selected.contains(n.uniqueId) || n.isEphemeral() || n.resourceType == ResourceType.SOURCE) return null;
    Relation r = stateRelations.get(n.uniqueId);
    if (r == null) return null;
    if (!favorState) {
      boolean here = existsHere.computeIfAbsent(n.uniqueId, id -> {
        Optional<Relation> own = wh.session().getRelation(n.database, n.schema, n.alias != null ? n.alias : n.name);
        return own.isPresent();
      });
      if (here) return null;
    }
    if (reported.add(n.uniqueId)) console.debug("Deferring " + n.uniqueId + " to the --state relation " + r);
    return r;
  }
}
