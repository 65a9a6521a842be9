package dev.weir.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.core.WeirException;
import dev.weir.core.artifacts.RunResultsWriter;
import dev.weir.core.execute.Options;
import dev.weir.core.execute.Workspace;
import dev.weir.core.graph.Graph;
import dev.weir.core.graph.StateMethods;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;

/**
 * dbt's {@code retry}: reads the previous invocation's run_results.json (target/, or the
 * {@code --state} folder) and runs again, with the same command, only the nodes that errored,
 * failed or were skipped. The command, --full-refresh, --vars, --target, --threads and the
 * selection come from the recorded args (--vars and --threads given to retry win); the other flags
 * are this invocation's. With nothing to retry it says so and exits 0.
 */
@Command(name = "retry", mixinStandardHelpOptions = true,
    description = "Runs again the nodes that errored, failed or were skipped in the previous invocation, with its command.")
final class RetryCommand extends NodeCommand {
  private static final Set<String> RETRIED = Set.of("error", "fail", "skipped", "runtime error");
  private static final Set<String> COMMANDS = Set.of("run", "build", "seed", "test", "snapshot", "compile");

  private String previous;
  private final Set<String> retry = new LinkedHashSet<>();

  @Override String commandName() { return "retry"; }

  @Override
  Options commandOptions(Options o) {
    Path dir = o.state() != null ? o.state() : new Workspace(o, console).targetDir();
    Path file = dir.resolve(RunResultsWriter.FILE_NAME);
    JsonNode rr = StateMethods.readJson(file);
    if (rr == null) throw WeirException.usage("Nothing to retry from: " + file + " does not exist (run a command first)");
    previous = rr.path("args").path("which").asText("");
    if (!COMMANDS.contains(previous)) {
      throw WeirException.usage("retry: the previous invocation (" + file + ") was '" + previous + "', which retry cannot "
          + "repeat; retry repeats " + String.join(", ", new java.util.TreeSet<>(COMMANDS)));
    }
    for (JsonNode r : rr.path("results")) {
      if (RETRIED.contains(r.path("status").asText(""))) retry.add(r.path("unique_id").asText());
    }
    JsonNode args = rr.path("args");
    boolean fullRefresh = o.fullRefresh() || args.path("full_refresh").asBoolean(false);
    return previousArgs(o, args).withCommand(previous, fullRefresh);
  }

  /**
   * dbt's retry repeats the previous invocation as it was: its --vars, --target, --threads and
   * selection come from run_results.json's args; --vars and --threads given to retry itself win.
   */
  static Options previousArgs(Options o, JsonNode args) {
    Map<String, Object> vars = o.vars();
    if ((vars == null || vars.isEmpty()) && args.path("vars").isObject()) {
      vars = new ObjectMapper().convertValue(args.path("vars"), new TypeReference<LinkedHashMap<String, Object>>() {});
    }
    String target = o.target() != null ? o.target() : args.path("target").isTextual() ? args.path("target").asText() : null;
    int threads = o.threads() > 0 ? o.threads() : args.path("threads").asInt(0);
    boolean selectionGiven = !o.select().isEmpty() || !o.exclude().isEmpty() || o.selector() != null;
    List<String> select = selectionGiven ? o.select() : strings(args.path("select"));
    List<String> exclude = selectionGiven ? o.exclude() : strings(args.path("exclude"));
    String selector = selectionGiven ? o.selector() : args.path("selector").isTextual() ? args.path("selector").asText() : null;
    String indirect = o.indirectSelection() != null ? o.indirectSelection()
        : args.path("indirect_selection").isTextual() ? args.path("indirect_selection").asText() : null;
    return new Options(o.command(), o.projectDir(), o.profilesDir(), target, vars, select, exclude, selector, indirect, threads,
        o.fullRefresh(), o.failFast(), o.empty(), o.strict(), o.debug(), o.useParseCache(), o.lockTimeout(), o.env(),
        o.eventTimeStart(), o.eventTimeEnd(), o.state(), o.defer(), o.favorState());
  }

  private static List<String> strings(JsonNode list) {
    List<String> out = new ArrayList<>();
    for (JsonNode v : list) if (v.isTextual()) out.add(v.asText());
    return out;
  }

  @Override
  Set<ResourceType> types() {
    return switch (previous) {
      case "build" -> BUILD_TYPES;
      case "seed" -> Set.of(ResourceType.SEED);
      case "test" -> Set.of(ResourceType.TEST);
      case "snapshot" -> Set.of(ResourceType.SNAPSHOT);
      case "ingest" -> Set.of(ResourceType.INGESTION);
      case "export" -> Set.of(ResourceType.EXPORT);
      default -> Set.of(ResourceType.MODEL);
    };
  }

  @Override boolean compileOnly() { return "compile".equals(previous); }

  @Override
  List<String> selectIds(Workspace ws) {
    if (retry.isEmpty()) {
      console.info("Nothing to retry: the previous " + previous + " had no errors, failures or skips.");
      return null;
    }
    List<String> ids = new ArrayList<>();
    for (String id : retry) {
      Node n = ws.project().node(id);
      if (n != null && types().contains(n.resourceType)) ids.add(id);
    }
    console.info("Retrying " + WeirCommand.plural(ids.size(), "node") + " of the previous " + previous);
    return ws.graph().topologicalOrder(ids);
  }

  @Override
  Graph buildGraph(Workspace ws, List<String> ids) {
    return "build".equals(previous) ? ws.graph().withTestEdges() : ws.graph();
  }
}
