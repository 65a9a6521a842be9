package dev.weir.core.execute;

import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import java.util.Locale;

/**
 * dbt's {@code store_failures} / {@code store_failures_as} for tests: the failing rows are kept in a
 * table (or a view over the test query) named after the test, in {@code <target schema>_dbt_test__audit}
 * (or {@code <target schema>_<schema>} when the test sets {@code schema}), replaced atomically each run.
 */
public final class StoreFailures {
  private StoreFailures() {}

  /** table, view, or null when the test's failures are not stored. */
  public static String mode(Node n, boolean flag) {
    if (n.resourceType != ResourceType.TEST) return null;
    Object as = n.config.get("store_failures_as");
    if (as != null && !String.valueOf(as).isBlank() && !"None".equals(String.valueOf(as))) {
      String a = String.valueOf(as).strip().toLowerCase(Locale.ROOT);
      return a.equals("ephemeral") ? null : a;
    }
    Object sf = n.config.get("store_failures");
    boolean on = sf == null ? flag : Boolean.TRUE.equals(sf) || "true".equalsIgnoreCase(String.valueOf(sf));
    return on ? "table" : null;
  }

  /** The relation a test's failures are stored in. */
  public static Relation relation(Node n) {
    Object custom = n.config.get("schema");
    String schema = custom != null && !String.valueOf(custom).isBlank() ? n.schema : n.schema + "_dbt_test__audit";
    return new Relation(n.database, schema, n.alias, RelationType.UNKNOWN);
  }

  /** Replaces the audit relation with the test's failing rows (or a view over them). */
  static void store(Node n, String sql, String mode, Session s) {
    Relation r = relation(n);
    // Tests run on several threads and share the audit schema: create it once.
    synchronized (StoreFailures.class) {
      if (!s.schemaExists(r.database(), r.schema())) s.createSchema(r.database(), r.schema());
    }
    if (mode.equals("view")) s.replaceView(r, sql);
    else s.replaceTable(r, sql);
  }
}
