package dev.weir.core.execute;

import dev.weir.core.engine.Session;
import dev.weir.core.project.Node;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Runs nodes of kinds weir-core does not know how to run itself (ingestions, later exports). An
 * implementation lives in another module (weir-ingest) and is registered in
 * {@code META-INF/services/dev.weir.core.execute.NodeHandler}; the materializer finds it with
 * {@link ServiceLoader} and hands it the node, the warehouse session of the running thread and the
 * workspace (options, console, invocation id).
 */
public interface NodeHandler {

  /** Whether this handler runs {@code node}. */
  boolean handles(Node node);

  /** Runs {@code node}; throws a {@link dev.weir.core.WeirException} (or any runtime exception) to fail it. */
  Outcome run(Node node, Session session, Workspace workspace);

  /** What running a node gave: status, message (the run result's), and the adapter response (rows_affected, ...). */
  record Outcome(NodeResult.Status status, String message, Map<String, Object> adapterResponse) {}

  /** The handlers on the class path. */
  static List<NodeHandler> installed() {
    return Holder.ALL;
  }

  /** Lazily loaded list of installed handlers. */
  final class Holder {
    private Holder() {}

    static final List<NodeHandler> ALL = ServiceLoader.load(NodeHandler.class).stream().map(ServiceLoader.Provider::get).toList();
  }
}
