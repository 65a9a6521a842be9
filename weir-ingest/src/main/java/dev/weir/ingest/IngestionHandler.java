package dev.weir.ingest;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Session;
import dev.weir.core.execute.NodeHandler;
import dev.weir.core.execute.NodeResult;
import dev.weir.core.execute.LoadQuarantine;
import dev.weir.core.execute.Workspace;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import dev.weir.core.util.Secrets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs INGESTION nodes (registered for {@link NodeHandler}'s ServiceLoader): one source table, a
 * query, or every table a pattern matches, each loaded by a {@link TableLoad}; or a file table
 * ({@code files:}), loaded by a {@link FileLoad}. The run result's
 * message says how many rows loaded, how many went to the dead-letter table and what schema drift
 * was absorbed; the adapter response carries the same as fields.
 */
public final class IngestionHandler implements NodeHandler {

  @Override
  public boolean handles(Node node) {
    return node.resourceType == ResourceType.INGESTION;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Outcome run(Node node, Session session, Workspace ws) {
    Map<String, Object> spec = (Map<String, Object>) node.extra.get("ingest");
    String file = String.valueOf(spec.get("file"));
    int line = ((Number) spec.get("line")).intValue();
    if ("files".equals(spec.get("kind"))) {
      FileLoad fl = new FileLoad(spec, session, ws.console(), ws.invocationId(), ws.options().fullRefresh(), ws.projectDir(),
          ws.targetDir().resolve("weir_ingest_tmp").resolve(spec.get("schema") + "." + spec.get("table")));
      String every = ws.options().env().get("WEIR_INGEST_PROGRESS_SECONDS");
      if (every != null) {
        try {
          fl.progressSeconds = Double.parseDouble(every);
        } catch (NumberFormatException e) {
          throw WeirException.usage("WEIR_INGEST_PROGRESS_SECONDS must be a number of seconds, not '" + every + "'");
        }
      }
      fl.quarantine = quarantine(node, session, ws);
      return outcome(List.of(fl.load()));
    }
    SourceDb db = new SourceDb((Map<String, Object>) spec.get("connection"), name -> ws.options().env().get(name), file, line);
    TableLoad load = new TableLoad(spec, db, session, ws.console(), ws.invocationId(), ws.options().fullRefresh());
    String every = ws.options().env().get("WEIR_INGEST_PROGRESS_SECONDS");
    if (every != null) {
      try {
        load.progressSeconds = Double.parseDouble(every);
      } catch (NumberFormatException e) {
        throw WeirException.usage("WEIR_INGEST_PROGRESS_SECONDS must be a number of seconds, not '" + every + "'");
      }
    }
    load.tmpRoot = ws.targetDir().resolve("weir_ingest_tmp");
    load.quarantine = quarantine(node, session, ws);
    List<TableLoad.Result> results = new ArrayList<>();
    try {
      if (spec.get("pattern") != null) {
        List<String> tables;
        try (Connection c = db.open()) {
          tables = db.tables(c, String.valueOf(spec.get("pattern")));
        }
        if (tables.isEmpty()) {
          throw WeirException.runtime("No table of " + Secrets.mask(db.url) + " matches pattern '" + spec.get("pattern") + "' ("
              + file + ":" + line + ")", null);
        }
        for (String t : tables) results.add(load.load(t, null, t.substring(t.lastIndexOf('.') + 1)));
      } else {
        results.add(load.load((String) spec.get("source_table"), (String) spec.get("query"), String.valueOf(spec.get("table"))));
      }
    } catch (SQLException e) {
      // the same words as a failure while rows stream (RowStream): where it failed does not change what the user sees
      throw WeirException.runtime("Reading " + Secrets.mask(db.url) + " failed (" + file + ":" + line + "): "
          + Secrets.mask(String.valueOf(e.getMessage())), null);
    }
    return outcome(results);
  }

  /** Quarantine checks on the ingestion's tables (its sources' data_tests with action: quarantine), or null when none. */
  private static TableLoad.Quarantine quarantine(Node node, Session session, Workspace ws) {
    Map<String, String> sourceByTable = new java.util.HashMap<>();
    for (Node src : ws.project().sources().values()) {
      if (src.dependsOnNodes.contains(node.uniqueId) && LoadQuarantine.wanted(ws, src.uniqueId)) {
        sourceByTable.put(src.identifier.toLowerCase(java.util.Locale.ROOT), src.uniqueId);
      }
    }
    if (sourceByTable.isEmpty()) return null;
    return (table, staging) -> {
      String id = sourceByTable.get(table.toLowerCase(java.util.Locale.ROOT));
      return id == null ? 0 : LoadQuarantine.divert(ws, id, staging, session);
    };
  }

  private static Outcome outcome(List<TableLoad.Result> results) {
    long rows = 0;
    long bad = 0;
    long read = 0;
    List<String> changes = new ArrayList<>();
    List<String> parts = new ArrayList<>();
    for (TableLoad.Result r : results) {
      rows += r.rows();
      bad += r.bad();
      read += r.read();
      for (String c : r.changes()) changes.add(r.target() + ": " + c);
      if (results.size() > 1) parts.add(r.target() + " " + r.rows());
    }
    StringBuilder msg = new StringBuilder().append(rows).append(rows == 1 ? " row" : " rows");
    String how = results.get(0).mode();
    if (how.contains("|")) msg.append(' ').append(how.substring(how.indexOf('|') + 1)); // file loads: which files
    if (results.size() > 1) msg.append(" into ").append(results.size()).append(" tables (").append(String.join(", ", parts)).append(')');
    long quarantined = 0;
    for (TableLoad.Result r : results) quarantined += r.quarantined();
    if (quarantined > 0) msg.append(", ").append(quarantined).append(" quarantined");
    if (bad > 0) msg.append(", ").append(bad).append(" bad to ").append(results.get(0).target().replaceAll("\"?$", "")).append("__dead_letter");
    if (!changes.isEmpty()) msg.append("; schema changes: ").append(String.join("; ", changes));
    Map<String, Object> resp = new LinkedHashMap<>();
    resp.put("_message", "INSERT " + rows);
    resp.put("code", "INSERT");
    resp.put("rows_affected", rows);
    resp.put("weir_rows_read", read);
    resp.put("weir_bad_rows", bad);
    resp.put("weir_quarantined_rows", quarantined);
    resp.put("weir_schema_changes", changes);
    resp.put("weir_mode", how.contains("|") ? how.substring(0, how.indexOf('|')) : how);
    if (results.size() == 1 && results.get(0).mark() != null) resp.put("weir_high_water_mark", results.get(0).mark());
    List<String> tables = new ArrayList<>();
    for (TableLoad.Result r : results) tables.add(r.target());
    resp.put("weir_tables", tables);
    return new Outcome(NodeResult.Status.SUCCESS, msg.toString(), resp);
  }
}
