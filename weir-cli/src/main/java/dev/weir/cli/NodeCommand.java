package dev.weir.cli;

import dev.weir.core.execute.RunSummary;
import dev.weir.core.execute.Runner;
import dev.weir.core.execute.Workspace;
import dev.weir.core.graph.Graph;
import dev.weir.core.project.ResourceType;
import java.util.List;
import java.util.Set;
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

  /** dbt's --store-failures (test and build declare the flag). */
  boolean storeFailures() { return false; }

  /** Checks on one relation in one scan: true, false, or null for the engine's default (test and build declare the flags). */
  Boolean checkFusion() { return null; }

  @Override
  int execute(Workspace ws) {
    console.info("Running with weir=" + Main.VERSION);
    ws.loaded();
    header(ws);
    List<String> ids = selectIds(ws);
    if (ids == null) return 0;
    ws.installDeferral(ids);
    writeManifest(ws);
    console.info("");
    console.info("Concurrency: " + ws.target().threads() + " threads (target='" + ws.target().name() + "')");
    console.info("");
    // Open the warehouse before anything runs: failing to get it (held by another process past
    // --lock-timeout, a bad path) is an error before anything ran, exit 2 like dbt's connection errors.
    if (!compileOnly() && !ids.isEmpty()) ws.engine(false);
    started = true;
    ws.setStoreFailures(storeFailures());
    ws.setCheckFusion(checkFusion());
    Runner runner = new Runner(ws, compileOnly());
    beforeRun(ws, runner, ids);
    RunSummary summary = runner.run(ids, buildGraph(ws, ids));
    writeManifest(ws);
    writeRunResults(ws, summary);
    return summarize(ws, summary);
  }

  /** A last step before the nodes run (build: the source freshness gate). */
  void beforeRun(Workspace ws, Runner runner, List<String> ids) {}

  /** The nodes to run, in topological order; null: nothing to do, exit 0 (retry with nothing to retry). */
  List<String> selectIds(Workspace ws) {
    return ws.select(types());
  }

  /** The graph to schedule on; build adds edges so that a model's tests gate its children. */
  Graph buildGraph(Workspace ws, List<String> ids) {
    return ws.graph();
  }

  static final Set<ResourceType> BUILD_TYPES = Set.of(ResourceType.MODEL, ResourceType.SEED, ResourceType.TEST, ResourceType.SNAPSHOT,
      ResourceType.UNIT_TEST, ResourceType.INGESTION, ResourceType.EXPORT);

}
