package dev.weir.cli;

import dev.weir.core.execute.RunSummary;
import dev.weir.core.execute.Runner;
import dev.weir.core.execute.Workspace;
import dev.weir.core.graph.Graph;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;

/** A command that selects nodes of some kinds and runs them in dependency order. */
abstract class NodeCommand extends WeirCommand {
  @Mixin
  Common.Selection sel;

  @Mixin
  Common.RunFlags run;

  @Override Common.Selection selection() { return sel; }

  @Override Common.RunFlags runFlags() { return run; }

  abstract Set<ResourceType> types();

  boolean compileOnly() { return false; }

  @Override
  int execute(Workspace ws) {
    console.info("Running with weir=" + Main.VERSION);
    ws.loaded();
    header(ws);
    List<String> ids = ws.select(types());
    writeManifest(ws);
    console.info("");
    console.info("Concurrency: " + ws.target().threads() + " threads (target='" + ws.target().name() + "')");
    console.info("");
    started = true;
    Runner runner = new Runner(ws, compileOnly());
    RunSummary summary = runner.run(ids, buildGraph(ws, ids));
    writeManifest(ws);
    writeRunResults(ws, summary);
    return summarize(ws, summary);
  }

  /** The graph to schedule on; build adds edges so that a model's tests gate its children. */
  Graph buildGraph(Workspace ws, List<String> ids) {
    return ws.graph();
  }

  /** dbt build: children of a tested node wait for its tests (unless the child is itself upstream of the test). */
  static Graph testGatedGraph(Workspace ws, List<String> ids) {
    Graph g = ws.graph();
    Set<String> selected = new HashSet<>(ids);
    List<Node> proxies = new ArrayList<>();
    java.util.Map<String, Set<String>> extra = new java.util.HashMap<>();
    for (String id : ids) {
      Node t = ws.project().node(id);
      if (t == null || t.resourceType != ResourceType.TEST) continue;
      Set<String> upstream = g.ancestors(id, -1);
      for (String parent : g.parents(id)) {
        for (String child : g.children(parent)) {
          if (!selected.contains(child) || upstream.contains(child) || child.equals(id)) continue;
          Node c = ws.project().node(child);
          if (c == null || c.resourceType == ResourceType.TEST) continue;
          extra.computeIfAbsent(child, k -> new HashSet<>()).add(id);
        }
      }
    }
    if (extra.isEmpty()) return g;
    for (Node n : g.nodes()) {
      Node p = new Node(n.uniqueId, n.resourceType, n.packageName, n.name);
      p.dependsOnNodes.addAll(n.dependsOnNodes);
      Set<String> more = extra.get(n.uniqueId);
      if (more != null) p.dependsOnNodes.addAll(more);
      proxies.add(p);
    }
    return Graph.of(proxies);
  }

  static final Set<ResourceType> BUILD_TYPES = Set.of(ResourceType.MODEL, ResourceType.SEED, ResourceType.TEST, ResourceType.SNAPSHOT);

  @SuppressWarnings("unused")
  private static ArgGroup unused() { return null; }
}
