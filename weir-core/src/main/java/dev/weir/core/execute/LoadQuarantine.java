package dev.weir.core.execute;

import dev.weir.core.engine.Relation;
import dev.weir.core.engine.Session;
import dev.weir.core.project.Node;
import dev.weir.core.render.Renderer;
import java.util.List;

/**
 * {@code action: quarantine} on the checks of a load's source (an ingestion table's {@code data_tests:}): the loaded
 * rows failing such a check move from the load's staging table to {@code <table>__quarantine} inside the load's
 * publishing transaction, so only good rows reach the table and both commit together. The check, run after the
 * load, reports how many rows it quarantined (a warning: what depends on the table still builds, on good rows).
 */
public final class LoadQuarantine {
  private LoadQuarantine() {}

  /** Whether source {@code sourceId} has quarantine checks. */
  public static boolean wanted(Workspace ws, String sourceId) {
    Node source = ws.project().sources().get(sourceId);
    return source != null && !Quarantine.checksOn(ws, source).isEmpty();
  }

  /**
   * Moves the rows of {@code staging} failing the quarantine checks of source {@code sourceId}; returns how many moved
   * (0 without such checks). Runs in the caller's open transaction on {@code s}.
   */
  public static long divert(Workspace ws, String sourceId, Relation staging, Session s) {
    Node source = ws.project().sources().get(sourceId);
    if (source == null) return 0;
    List<Node> checks = Quarantine.checksOn(ws, source);
    if (checks.isEmpty()) return 0;
    Compiler compiler = ws.memo("load-quarantine-compiler", () -> new Compiler(ws));
    Renderer.Warehouse wh = new Renderer.Warehouse() {
      @Override public Session session() { return s; }

      @Override public boolean fullRefresh() { return ws.options().fullRefresh(); }
    };
    return Quarantine.divert(ws, compiler, source, staging, s, wh, checks).rows();
  }
}
