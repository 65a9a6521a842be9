package dev.weir.core.execute;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import dev.weir.core.project.Node;
import dev.weir.core.project.SnapshotConfigs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Runs a snapshot (slowly changing dimension, type 2) the way dbt's snapshot materialization does
 * (dbt-adapters 1.x: {@code snapshot_staging_table}, {@code build_snapshot_table}, and Postgres'
 * merge-free {@code snapshot_merge_sql}), in portable SQL: no MERGE, only CTEs, joins,
 * {@code UPDATE ... FROM} and {@code INSERT ... SELECT}, which DuckDB and Postgres both accept.
 *
 * <p>First run: {@code create table <target> as select *, dbt_scd_id, dbt_updated_at, dbt_valid_from,
 * dbt_valid_to [, dbt_is_deleted] from (<snapshot query>)}. Later runs, in one transaction: build a
 * staging table of changes (insert / update / delete rows, as dbt's staging query), add columns the
 * query gained, close the changed versions ({@code update ... set dbt_valid_to}) and insert the new
 * ones. A failure rolls everything back: the snapshot table stays as it was.
 *
 * <p>{@code dbt_scd_id} is dbt's {@code snapshot_hash_arguments}:
 * {@code md5(coalesce(cast(k1 as varchar), '') || '|' || ... || '|' || coalesce(cast(<updated_at> as varchar), ''))}
 * over the unique key column(s) and the strategy's updated_at (the {@code updated_at} column for
 * timestamp; the snapshot time for check unless updated_at is set). A new_record deletion row's id is
 * {@code md5(coalesce(cast(<old dbt_scd_id> as varchar), '') || '|' || coalesce(cast(<snapshot time> as varchar), ''))}.
 * The snapshot time is {@code cast(current_timestamp as timestamp)}: the transaction's start on both
 * engines, so one run stamps every row with one time.
 */
final class Snapshotter {
  /** dbt's snapshot_get_time(): the same value for the whole transaction. */
  static final String NOW = "cast(current_timestamp as timestamp)";

  private final Compiler compiler;

  Snapshotter(Compiler compiler) {
    this.compiler = compiler;
  }

  Materializer.Outcome run(Node n, String sql, Session s) {
    SnapshotConfigs cfg = SnapshotConfigs.of(n);
    Dialect d = s.dialect();
    Relation target = new Relation(n.database, n.schema, n.alias, RelationType.TABLE);
    Optional<Relation> existing = s.getRelation(target.database(), target.schema(), target.identifier());
    if (existing.isPresent() && existing.get().type() == RelationType.VIEW) {
      throw WeirException.runtime("Snapshot target " + d.render(target) + " is a view, not a table: drop it or give the snapshot"
          + " another alias", null);
    }
    List<ColumnInfo> targetCols = existing.isEmpty() ? null : s.getColumns(existing.get());
    Strategy st = strategy(cfg, sql, s, targetCols);
    return targetCols == null ? create(n, sql, s, cfg, st, target) : update(n, sql, s, cfg, st, target, targetCols);
  }

  /** dbt's strategy dict: the updated_at expression, row_changed, scd_id. */
  private record Strategy(String updatedAt, String rowChanged, String scdId) {}

  private static Strategy strategy(SnapshotConfigs cfg, String sql, Session s, List<ColumnInfo> targetCols) {
    Map<String, String> c = cfg.columns();
    String updatedAt;
    String rowChanged;
    if (cfg.strategy().equals("timestamp")) {
      updatedAt = cfg.updatedAt();
      rowChanged = "(snapshotted_data." + c.get("dbt_valid_from") + " < source_data." + updatedAt + ")";
    } else {
      updatedAt = cfg.updatedAt() != null ? cfg.updatedAt() : NOW;
      rowChanged = targetCols == null ? "(true)" : checkRowChanged(cfg, sql, s, targetCols);
    }
    List<String> args = new ArrayList<>(cfg.uniqueKey());
    args.add(updatedAt);
    return new Strategy(updatedAt, rowChanged, hash(args));
  }

  /** dbt's snapshot_check_all_get_existing_columns + the check strategy's row_changed. */
  private static String checkRowChanged(SnapshotConfigs cfg, String sql, Session s, List<ColumnInfo> targetCols) {
    Dialect d = s.dialect();
    Set<String> existing = names(targetCols);
    String probe = cfg.checkAll() ? sql : "select " + String.join(", ", cfg.checkCols()) + " from (\n" + sql + "\n) subq";
    List<ColumnInfo> queryCols = columnsOf(s, probe);
    boolean added = false;
    List<String> cols = new ArrayList<>();
    for (ColumnInfo col : queryCols) {
      if (existing.contains(col.name().toLowerCase(Locale.ROOT))) cols.add(d.quote(col.name()));
      else added = true;
    }
    // A column new to the snapshot table: dbt treats every row as changed.
    if (added || cols.isEmpty()) return "(true)";
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < cols.size(); i++) {
      String col = cols.get(i);
      String a = "snapshotted_data." + col;
      String b = "source_data." + col;
      if (i > 0) sb.append(" or ");
      sb.append(a).append(" != ").append(b).append(" or ((").append(a).append(" is null) and not (").append(b)
          .append(" is null)) or ((not ").append(a).append(" is null) and (").append(b).append(" is null))");
    }
    return sb.append(')').toString();
  }

  /** dbt's snapshot_hash_arguments. */
  static String hash(List<String> args) {
    StringBuilder sb = new StringBuilder("md5(");
    for (int i = 0; i < args.size(); i++) {
      if (i > 0) sb.append(" || '|' || ");
      sb.append("coalesce(cast(").append(args.get(i)).append(" as varchar), '')");
    }
    return sb.append(')').toString();
  }

  // ------------------------------------------------------------------ first run

  private Materializer.Outcome create(Node n, String sql, Session s, SnapshotConfigs cfg, Strategy st, Relation target) {
    Dialect d = s.dialect();
    Map<String, String> c = cfg.columns();
    String select = "select *,\n    " + st.scdId() + " as " + c.get("dbt_scd_id") + ",\n    "
        + st.updatedAt() + " as " + c.get("dbt_updated_at") + ",\n    "
        + st.updatedAt() + " as " + c.get("dbt_valid_from") + ",\n    "
        + validToCurrent(cfg, st) + " as " + c.get("dbt_valid_to")
        + (cfg.hardDeletes().equals("new_record") ? ",\n    cast('False' as varchar) as " + c.get("dbt_is_deleted") : "")
        + "\nfrom (\n" + sql + "\n) sbq";
    String ddl = d.createTableAs(target, select);
    compiler.writeFile("run", n, ddl + ";\n");
    long rows = inTransaction(s, List.of(ddl), 0);
    if (rows < 0) rows = count(s, d.render(target));
    return new Materializer.Outcome(NodeResult.Status.SUCCESS, "SELECT " + rows, null, Materializer.response("SELECT " + rows, rows));
  }

  /** dbt's get_dbt_valid_to_current: null (typed as updated_at) or the configured expression. */
  private static String validToCurrent(SnapshotConfigs cfg, Strategy st) {
    return "coalesce(nullif(" + st.updatedAt() + ", " + st.updatedAt() + "), "
        + (cfg.validToCurrent() == null ? "null" : cfg.validToCurrent()) + ")";
  }

  // ------------------------------------------------------------------ later runs

  private Materializer.Outcome update(Node n, String sql, Session s, SnapshotConfigs cfg, Strategy st, Relation target,
                                     List<ColumnInfo> targetCols) {
    Dialect d = s.dialect();
    Map<String, String> c = cfg.columns();
    boolean newRecord = cfg.hardDeletes().equals("new_record");
    Set<String> existing = names(targetCols);
    List<String> missing = new ArrayList<>();
    for (String meta : List.of("dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")) {
      if (!existing.contains(c.get(meta).toLowerCase(Locale.ROOT))) missing.add(c.get(meta));
    }
    if (newRecord && !existing.contains(c.get("dbt_is_deleted").toLowerCase(Locale.ROOT))) missing.add(c.get("dbt_is_deleted"));
    if (!missing.isEmpty()) {
      throw WeirException.runtime("Snapshot target " + d.render(target) + " is not a snapshot table of this configuration: it lacks "
          + String.join(", ", missing) + ". A snapshot table built with other snapshot_meta_column_names or hard_deletes must be"
          + " migrated by hand (dbt does not alter it either).", null);
    }
    List<ColumnInfo> sourceCols = columnsOf(s, sql);
    String staging = stagingSql(d, cfg, st, sql, d.render(target), sourceCols, existing);

    Relation tmp = new Relation(null, null, d.scratchIdentifier(n.alias, "__weir_snapshot_staging"), RelationType.TABLE);
    String tt = d.render(tmp);
    String rt = d.render(target);
    String dest = "dbt_internal_dest";
    String src = "dbt_internal_source";
    String currentDest = current(cfg, dest);

    boolean own = !s.inTransaction();
    if (own) s.begin();
    List<String> log = new ArrayList<>();
    long inserted;
    long closed;
    try {
      expandColumnTypes(n, sql, s, target, targetCols, log);
      log.add(exec(s, d.dropIfExists(tmp, RelationType.TABLE)));
      log.add(exec(s, "create temporary table " + tt + " as (\n" + staging + "\n)"));
      // Columns the query gained since the table was built (dbt's create_columns).
      Set<String> skip = new HashSet<>(List.of("dbt_change_type", "dbt_unique_key"));
      for (int i = 1; i <= cfg.uniqueKey().size(); i++) skip.add("dbt_unique_key_" + i);
      List<String> insertCols = new ArrayList<>();
      for (ColumnInfo col : columnsOf(s, "select * from " + tt)) {
        String lower = col.name().toLowerCase(Locale.ROOT);
        if (skip.contains(lower)) continue;
        insertCols.add(d.quote(col.name()));
        if (!existing.contains(lower)) log.add(exec(s, "alter table " + rt + " add column " + d.quote(col.name()) + " " + col.dataType()));
      }
      String cols = String.join(", ", insertCols);
      String update = "update " + rt + " as " + dest + "\nset " + c.get("dbt_valid_to") + " = " + src + "." + c.get("dbt_valid_to")
          + "\nfrom " + tt + " as " + src
          + "\nwhere " + src + "." + c.get("dbt_scd_id") + " = " + dest + "." + c.get("dbt_scd_id")
          + "\n  and " + src + ".dbt_change_type in ('update', 'delete')"
          + "\n  and " + currentDest;
      String insert = "insert into " + rt + " (" + cols + ")\nselect " + prefixed(src, insertCols) + "\nfrom " + tt + " as " + src
          + "\nwhere " + src + ".dbt_change_type = 'insert'";
      log.add(update);
      closed = s.execute(update);
      log.add(insert);
      inserted = s.execute(insert);
      log.add(exec(s, d.dropIfExists(tmp, RelationType.TABLE)));
      if (own) s.commit();
    } catch (RuntimeException e) {
      if (own) {
        try {
          s.rollback();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    } finally {
      compiler.writeFile("run", n, String.join(";\n\n", log) + ";\n");
    }
    String msg = "INSERT " + Math.max(inserted, 0) + ", UPDATE " + Math.max(closed, 0);
    return new Materializer.Outcome(NodeResult.Status.SUCCESS, msg, null,
        Materializer.response(msg, Math.max(inserted, 0) + Math.max(closed, 0)));
  }

  private static final java.util.regex.Pattern STRING_TYPE =
      java.util.regex.Pattern.compile("(?i)(character varying|varchar|text|string)(?:\\s*\\((\\d+)\\))?");
  private static final java.util.regex.Pattern NUMERIC_TYPE =
      java.util.regex.Pattern.compile("(?i)(numeric|decimal)\\s*\\((\\d+)\\s*(?:,\\s*(\\d+))?\\)");

  /**
   * dbt's expand_target_column_types: a snapshot column whose type the query has widened since
   * the table was built (varchar(10) → varchar(50) or unbounded, numeric(10,2) → numeric(12,4)) is
   * altered to the wider type instead of failing the insert. The query's types come from an empty
   * temporary table made from it (the catalog keeps lengths and precisions; JDBC metadata does not).
   */
  private static void expandColumnTypes(Node n, String sql, Session s, Relation target, List<ColumnInfo> targetCols, List<String> log) {
    if (targetCols.stream().noneMatch(c -> c.dataType() != null && c.dataType().contains("("))) return;
    Dialect d = s.dialect();
    String probe = d.scratchIdentifier(n.alias, "__weir_snapshot_types");
    Relation probeRel = new Relation(null, null, probe, RelationType.TABLE);
    s.execute(d.dropIfExists(probeRel, RelationType.TABLE));
    s.execute("create temporary table " + d.render(probeRel) + " as select * from (\n" + sql + "\n) weir_types_probe where 1 = 0");
    List<ColumnInfo> sourceCols = s.getColumns(Relation.of(null, "pg_temp", probe));
    if (sourceCols.isEmpty()) {
      try {
        sourceCols = s.getColumns(Relation.of("temp", "main", probe)); // DuckDB's temporary catalog
      } catch (RuntimeException e) {
        sourceCols = List.of();
      }
    }
    s.execute(d.dropIfExists(probeRel, RelationType.TABLE));
    Map<String, String> sourceTypes = new HashMap<>();
    for (ColumnInfo c : sourceCols) sourceTypes.put(c.name().toLowerCase(Locale.ROOT), c.dataType());
    for (ColumnInfo t : targetCols) {
      String from = t.dataType();
      String to = sourceTypes.get(t.name().toLowerCase(Locale.ROOT));
      if (from == null || to == null) continue;
      String wider = wider(from, to);
      if (wider != null) log.add(exec(s, "alter table " + d.render(target) + " alter column " + d.quote(t.name()) + " type " + wider));
    }
  }

  /** The type to widen {@code target} to so that it holds {@code source}'s values, or null when it already does. */
  static String wider(String target, String source) {
    java.util.regex.Matcher ts = STRING_TYPE.matcher(target.strip());
    java.util.regex.Matcher ss = STRING_TYPE.matcher(source.strip());
    if (ts.matches() && ss.matches()) {
      if (ts.group(2) == null) return null; // unbounded already
      if (ss.group(2) == null) return source.strip();
      return Integer.parseInt(ss.group(2)) > Integer.parseInt(ts.group(2)) ? ts.group(1) + "(" + ss.group(2) + ")" : null;
    }
    java.util.regex.Matcher tn = NUMERIC_TYPE.matcher(target.strip());
    java.util.regex.Matcher sn = NUMERIC_TYPE.matcher(source.strip());
    if (tn.matches() && sn.matches()) {
      int tp = Integer.parseInt(tn.group(2));
      int tsc = tn.group(3) == null ? 0 : Integer.parseInt(tn.group(3));
      int sp = Integer.parseInt(sn.group(2));
      int ssc = sn.group(3) == null ? 0 : Integer.parseInt(sn.group(3));
      int scale = Math.max(tsc, ssc);
      int precision = Math.max(tp - tsc, sp - ssc) + scale;
      return precision > tp || scale > tsc ? tn.group(1) + "(" + precision + "," + scale + ")" : null;
    }
    return null;
  }

  /** dbt's snapshot_staging_table: one row per change, dbt_change_type insert, update or delete. */
  private static String stagingSql(Dialect d, SnapshotConfigs cfg, Strategy st, String sql, String target, List<ColumnInfo> sourceCols,
                                   Set<String> targetCols) {
    Map<String, String> c = cfg.columns();
    String hd = cfg.hardDeletes();
    boolean newRecord = hd.equals("new_record");
    boolean deletes = newRecord || hd.equals("invalidate");
    String del = c.get("dbt_is_deleted");
    String keyFields = uniqueKeyFields(cfg);
    String join = joinOn(cfg, "snapshotted_data", "source_data");
    String changed = st.rowChanged() + (newRecord ? " or snapshotted_data." + del + " = 'True'" : "");
    StringBuilder q = new StringBuilder();
    q.append("with snapshot_query as (\n").append(sql).append("\n),\n\n");
    q.append("snapshotted_data as (\n    select *, ").append(keyFields).append("\n    from ").append(target)
        .append("\n    where ").append(current(cfg, null)).append("\n),\n\n");
    q.append("insertions_source_data as (\n    select *, ").append(keyFields).append(",\n        ")
        .append(st.updatedAt()).append(" as ").append(c.get("dbt_updated_at")).append(",\n        ")
        .append(st.updatedAt()).append(" as ").append(c.get("dbt_valid_from")).append(",\n        ")
        .append(validToCurrent(cfg, st)).append(" as ").append(c.get("dbt_valid_to")).append(",\n        ")
        .append(st.scdId()).append(" as ").append(c.get("dbt_scd_id")).append("\n    from snapshot_query\n),\n\n");
    q.append("updates_source_data as (\n    select *, ").append(keyFields).append(",\n        ")
        .append(st.updatedAt()).append(" as ").append(c.get("dbt_updated_at")).append(",\n        ")
        .append(st.updatedAt()).append(" as ").append(c.get("dbt_valid_from")).append(",\n        ")
        .append(st.updatedAt()).append(" as ").append(c.get("dbt_valid_to")).append("\n    from snapshot_query\n),\n\n");
    if (deletes) {
      q.append("deletes_source_data as (\n    select *, ").append(keyFields).append("\n    from snapshot_query\n),\n\n");
    }
    q.append("insertions as (\n    select 'insert' as dbt_change_type, source_data.*")
        .append(newRecord ? ", cast('False' as varchar) as " + del : "")
        .append("\n    from insertions_source_data as source_data\n    left outer join snapshotted_data\n        on ").append(join)
        .append("\n    where ").append(keyIsNull(cfg, "snapshotted_data"))
        .append("\n       or (").append(keyIsNotNull(cfg, "snapshotted_data")).append(" and (").append(changed).append("))\n),\n\n");
    q.append("updates as (\n    select 'update' as dbt_change_type, source_data.*, snapshotted_data.").append(c.get("dbt_scd_id"))
        .append(newRecord ? ", snapshotted_data." + del : "")
        .append("\n    from updates_source_data as source_data\n    join snapshotted_data\n        on ").append(join)
        .append("\n    where (").append(changed).append(")\n)");
    // Only the latest version of a deleted row counts: once marked deleted it is not deleted again.
    String notAlreadyDeleted = "not (snapshotted_data." + del + " = 'True' and " + current(cfg, "snapshotted_data") + ")";
    if (deletes) {
      q.append(",\n\ndeletes as (\n    select 'delete' as dbt_change_type, source_data.*,\n        ")
          .append(NOW).append(" as ").append(c.get("dbt_valid_from")).append(",\n        ")
          .append(NOW).append(" as ").append(c.get("dbt_updated_at")).append(",\n        ")
          .append(NOW).append(" as ").append(c.get("dbt_valid_to")).append(",\n        snapshotted_data.").append(c.get("dbt_scd_id"))
          .append(newRecord ? ", snapshotted_data." + del : "")
          .append("\n    from snapshotted_data\n    left join deletes_source_data as source_data\n        on ").append(join)
          .append("\n    where ").append(keyIsNull(cfg, "source_data"))
          .append(newRecord ? "\n      and " + notAlreadyDeleted : "").append("\n)");
    }
    if (newRecord) {
      q.append(",\n\ndeletion_records as (\n    select 'insert' as dbt_change_type,");
      // A column the query gained has no old value: null stands in for it.
      for (ColumnInfo col : sourceCols) {
        String qc = d.quote(col.name());
        q.append("\n        ").append(targetCols.contains(col.name().toLowerCase(Locale.ROOT)) ? "snapshotted_data." + qc : "null as " + qc)
            .append(',');
      }
      if (cfg.compositeKey()) {
        for (int i = 1; i <= cfg.uniqueKey().size(); i++) {
          q.append("\n        snapshotted_data.dbt_unique_key_").append(i).append(" as dbt_unique_key_").append(i).append(',');
        }
      } else {
        q.append("\n        snapshotted_data.dbt_unique_key as dbt_unique_key,");
      }
      q.append("\n        ").append(NOW).append(" as ").append(c.get("dbt_valid_from"))
          .append(",\n        ").append(NOW).append(" as ").append(c.get("dbt_updated_at"))
          .append(",\n        snapshotted_data.").append(c.get("dbt_valid_to")).append(" as ").append(c.get("dbt_valid_to"))
          .append(",\n        ").append(hash(List.of("snapshotted_data." + c.get("dbt_scd_id"), NOW))).append(" as ").append(c.get("dbt_scd_id"))
          .append(",\n        cast('True' as varchar) as ").append(del)
          .append("\n    from snapshotted_data\n    left join deletes_source_data as source_data\n        on ").append(join)
          .append("\n    where ").append(keyIsNull(cfg, "source_data")).append("\n      and ").append(notAlreadyDeleted).append("\n)");
    }
    q.append("\n\nselect * from insertions\nunion all\nselect * from updates");
    if (deletes) q.append("\nunion all\nselect * from deletes");
    if (newRecord) q.append("\nunion all\nselect * from deletion_records");
    return q.toString();
  }

  /** The rows that are current: dbt_valid_to null, or equal to dbt_valid_to_current when that is set. */
  private static String current(SnapshotConfigs cfg, String alias) {
    String vt = (alias == null ? "" : alias + ".") + cfg.column("dbt_valid_to");
    if (cfg.validToCurrent() == null) return vt + " is null";
    return "(" + vt + " = " + cfg.validToCurrent() + " or " + vt + " is null)";
  }

  private static String uniqueKeyFields(SnapshotConfigs cfg) {
    if (!cfg.compositeKey()) return cfg.uniqueKey().get(0) + " as dbt_unique_key";
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < cfg.uniqueKey().size(); i++) parts.add(cfg.uniqueKey().get(i) + " as dbt_unique_key_" + (i + 1));
    return String.join(", ", parts);
  }

  private static String joinOn(SnapshotConfigs cfg, String a, String b) {
    if (!cfg.compositeKey()) return a + ".dbt_unique_key = " + b + ".dbt_unique_key";
    List<String> parts = new ArrayList<>();
    for (int i = 1; i <= cfg.uniqueKey().size(); i++) parts.add(a + ".dbt_unique_key_" + i + " = " + b + ".dbt_unique_key_" + i);
    return String.join(" and ", parts);
  }

  private static String keyIsNull(SnapshotConfigs cfg, String alias) {
    return alias + (cfg.compositeKey() ? ".dbt_unique_key_1" : ".dbt_unique_key") + " is null";
  }

  private static String keyIsNotNull(SnapshotConfigs cfg, String alias) {
    return alias + (cfg.compositeKey() ? ".dbt_unique_key_1" : ".dbt_unique_key") + " is not null";
  }

  // ------------------------------------------------------------------ helpers

  private static String prefixed(String alias, List<String> cols) {
    List<String> out = new ArrayList<>();
    for (String col : cols) out.add(alias + "." + col);
    return String.join(", ", out);
  }

  private static Set<String> names(List<ColumnInfo> cols) {
    Set<String> out = new HashSet<>();
    for (ColumnInfo col : cols) out.add(col.name().toLowerCase(Locale.ROOT));
    return out;
  }

  /** The columns a query returns, without fetching rows. */
  private static List<ColumnInfo> columnsOf(Session s, String sql) {
    return s.query("select * from (\n" + sql + "\n) weir_columns_probe where 1 = 0", 0).columns();
  }

  private static long count(Session s, String relation) {
    var r = s.query("select count(*) from " + relation, 1);
    return r.rows().isEmpty() ? -1 : ((Number) r.rows().get(0).get(0)).longValue();
  }

  private static String exec(Session s, String sql) {
    s.execute(sql);
    return sql;
  }

  private static long inTransaction(Session s, List<String> statements, int resultIndex) {
    boolean own = !s.inTransaction();
    if (own) s.begin();
    long result = -1;
    try {
      for (int i = 0; i < statements.size(); i++) {
        long r = s.execute(statements.get(i));
        if (i == resultIndex) result = r;
      }
      if (own) s.commit();
    } catch (RuntimeException e) {
      if (own) {
        try {
          s.rollback();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
    return result;
  }
}
