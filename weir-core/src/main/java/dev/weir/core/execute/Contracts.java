package dev.weir.core.execute;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import dev.weir.core.project.Node;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * dbt model contracts ({@code contract: {enforced: true}}): the query's columns (names and types,
 * read by running it with {@code limit 0}) must match the YAML columns' {@code data_type}, checked
 * before anything is replaced; tables are then built from DDL with the declared columns and their
 * constraints ({@code not_null}, {@code check}, {@code unique}, {@code primary_key}), filled by an
 * insert, and swapped in within one transaction, so a violation leaves the old relation.
 */
final class Contracts {
  private Contracts() {}

  static boolean enforced(Node n) {
    Object c = n.config.get("contract");
    if (!(c instanceof Map<?, ?> m)) return false;
    Object e = m.get("enforced");
    return Boolean.TRUE.equals(e) || "true".equalsIgnoreCase(String.valueOf(e));
  }

  /** Fails (before any change to the warehouse) when the query's columns differ from the contract. */
  static void check(Node n, String sql, Session s) {
    Dialect d = s.dialect();
    List<String> untyped = new ArrayList<>();
    for (Node.ColumnDef c : n.columns.values()) if (c.dataType == null || c.dataType.isBlank()) untyped.add(c.name);
    if (n.columns.isEmpty()) {
      throw WeirException.compile(n.originalFilePath, 0, "Contracted model " + n.name
          + " declares no columns: a contract needs every column with its data_type in the model's YAML", null);
    }
    if (!untyped.isEmpty()) {
      throw WeirException.compile(n.originalFilePath, 0, "Contracted models require data_type to be defined for each column. "
          + "Please ensure that the column name and data_type are defined within the YAML configuration for the "
          + untyped + " column(s) of model " + n.name + ".", null);
    }
    List<ColumnInfo> actual = s.query(d.limit(sql, 0), 0).columns();
    Map<String, ColumnInfo> byName = new LinkedHashMap<>();
    for (ColumnInfo c : actual) byName.put(c.name().toLowerCase(Locale.ROOT), c);
    Map<String, Node.ColumnDef> declared = new LinkedHashMap<>();
    for (Node.ColumnDef c : n.columns.values()) declared.put(c.name.toLowerCase(Locale.ROOT), c);
    List<String[]> rows = new ArrayList<>();
    for (Node.ColumnDef c : n.columns.values()) {
      ColumnInfo a = byName.get(c.name.toLowerCase(Locale.ROOT));
      if (a == null) rows.add(new String[] {c.name, "", c.dataType, "missing in definition"});
      else if (!sameType(d, a.dataType(), c.dataType)) rows.add(new String[] {c.name, a.dataType(), c.dataType, "data type mismatch"});
    }
    for (ColumnInfo a : actual) {
      if (!declared.containsKey(a.name().toLowerCase(Locale.ROOT))) rows.add(new String[] {a.name(), a.dataType(), "", "missing in contract"});
    }
    if (rows.isEmpty()) return;
    StringBuilder sb = new StringBuilder("This model has an enforced contract that failed.\n"
        + "Please ensure the name, data_type, and number of columns in your contract match the columns in your model's definition.\n\n");
    String[] head = {"column_name", "definition_type", "contract_type", "mismatch_reason"};
    int[] w = new int[4];
    for (int i = 0; i < 4; i++) w[i] = head[i].length();
    for (String[] r : rows) for (int i = 0; i < 4; i++) w[i] = Math.max(w[i], r[i].length());
    appendRow(sb, head, w);
    for (int i = 0; i < 4; i++) sb.append(i == 0 ? "| " : " | ").append("-".repeat(w[i]));
    sb.append(" |\n");
    for (String[] r : rows) appendRow(sb, r, w);
    throw WeirException.runtime("Compilation Error in model " + n.name + " (" + n.originalFilePath + ")\n  " + sb.toString().strip(), null);
  }

  private static void appendRow(StringBuilder sb, String[] r, int[] w) {
    for (int i = 0; i < 4; i++) sb.append(i == 0 ? "| " : " | ").append(r[i]).append(" ".repeat(w[i] - r[i].length()));
    sb.append(" |\n");
  }

  /** Equal after normalising; a side written without parameters matches any parameters of the other. */
  static boolean sameType(Dialect d, String actual, String contract) {
    String a = d.normalizeType(actual);
    String c = d.normalizeType(contract);
    if (a == null || c == null) return false;
    if (a.equals(c)) return true;
    String ab = a.contains("(") ? a.substring(0, a.indexOf('(')) : a;
    String cb = c.contains("(") ? c.substring(0, c.indexOf('(')) : c;
    return ab.equals(cb) && (!a.contains("(") || !c.contains("("));
  }

  /** Column DDL with the declared types and the column-level constraints dbt enforces on this engine. */
  static String createTableDdl(Node n, Relation target, Dialect d) {
    StringBuilder sb = new StringBuilder("create table ").append(d.render(target)).append(" (\n");
    int i = 0;
    for (Node.ColumnDef c : n.columns.values()) {
      if (i++ > 0) sb.append(",\n");
      sb.append("  ").append(d.quote(c.name)).append(' ').append(c.dataType);
      for (Map<String, Object> con : c.constraints) {
        String type = String.valueOf(con.get("type")).toLowerCase(Locale.ROOT);
        switch (type) {
          case "not_null" -> sb.append(" not null");
          case "unique" -> sb.append(" unique");
          case "primary_key" -> sb.append(" primary key");
          case "check" -> {
            Object expr = con.get("expression");
            if (expr != null) sb.append(" check (").append(expr).append(')');
          }
          default -> { } // foreign_key, custom: not enforced
        }
      }
    }
    return sb.append("\n)").toString();
  }

  /**
   * Builds {@code target} from DDL plus an insert of the query's rows in the contract's column
   * order, and swaps it in, all in one transaction: a constraint violation rolls back and leaves the
   * old relation as it was.
   */
  static long replaceTable(Node n, Relation target, String sql, Session s) {
    Dialect d = s.dialect();
    Relation tmp = target.withIdentifier(d.scratchIdentifier(target.identifier(), "__weir_ctmp"));
    Optional<Relation> existing = s.getRelation(target.database(), target.schema(), target.identifier());
    StringBuilder cols = new StringBuilder();
    for (Node.ColumnDef c : n.columns.values()) {
      if (cols.length() > 0) cols.append(", ");
      cols.append(d.quote(c.name));
    }
    boolean own = !s.inTransaction();
    if (own) s.begin();
    try {
      s.execute(d.dropIfExists(tmp, RelationType.TABLE));
      s.execute(createTableDdl(n, tmp, d));
      long rows = s.execute("insert into " + d.render(tmp) + " (" + cols + ")\nselect " + cols + " from (\n"
          + stripSemicolons(sql) + "\n) as weir_contract_subq");
      if (existing.isPresent()) s.execute(d.dropIfExists(target, existing.get().type() == RelationType.VIEW ? RelationType.VIEW : RelationType.TABLE));
      s.execute(d.rename(tmp, RelationType.TABLE, target.identifier()));
      if (own) s.commit();
      return rows;
    } catch (RuntimeException e) {
      if (own && s.inTransaction()) {
        try {
          s.rollback();
        } catch (RuntimeException ignored) {
          // the original failure is what matters
        }
      }
      throw e;
    }
  }

  private static String stripSemicolons(String sql) {
    String t = sql.strip();
    while (t.endsWith(";")) t = t.substring(0, t.length() - 1).strip();
    return t;
  }
}
