package dev.weir.core.execute;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.RelationType;
import dev.weir.core.engine.Session;
import dev.weir.core.project.Node;
import dev.weir.core.render.ColumnValue;
import dev.weir.core.render.EventTimeWindow;
import dev.weir.core.render.MacroRegistry;
import dev.weir.core.render.RelationValue;
import dev.weir.core.render.Renderer;
import dev.weir.jinja.JinjaCallable;
import dev.weir.jinja.JinjaException;
import dev.weir.jinja.Macro;
import dev.weir.jinja.Python;
import dev.weir.jinja.RenderContext;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The incremental materialization, as dbt's: strategies {@code append}, {@code merge},
 * {@code delete+insert} and {@code microbatch} (or a project's own {@code get_incremental_<name>_sql}),
 * {@code unique_key} (one or many), {@code incremental_predicates},
 * {@code merge_update_columns}/{@code merge_exclude_columns}, {@code on_schema_change} and
 * full refreshes.
 *
 * <p>An incremental run builds the model's rows into {@code <alias>__dbt_tmp} (a table in the
 * target's schema), compares its columns with the target's, applies the schema change the config
 * asks for, runs the strategy's statements and drops the scratch table — all in one transaction,
 * so a failure at any step leaves the target as it was. The SQL is portable (MERGE exists in DuckDB
 * and in Postgres 15+; everything else is plain SQL).
 *
 * <p>A project overrides a strategy's SQL as in dbt, by defining {@code get_incremental_<strategy>_sql}
 * (or its {@code <adapter>__} / {@code default__} form): Weir calls it with dbt's argument dict
 * ({@code target_relation}, {@code temp_relation}, {@code unique_key}, {@code dest_columns},
 * {@code incremental_predicates}) and runs the SQL it returns. The built-in strategies are
 * available to such macros as {@code dbt.default__get_incremental_<strategy>_sql}.
 */
final class Incremental {
  static final Set<String> BUILT_IN = Set.of("append", "merge", "delete+insert", "microbatch");
  private static final Set<String> SCHEMA_CHANGE_MODES = Set.of("ignore", "fail", "append_new_columns", "sync_all_columns");

  private final Workspace ws;
  private final Compiler compiler;

  Incremental(Workspace ws, Compiler compiler) {
    this.ws = ws;
    this.compiler = compiler;
  }

  /** dbt's should_full_refresh(): the model's full_refresh config when set, else --full-refresh. */
  static boolean shouldFullRefresh(Node n, boolean flag) {
    Object v = n.config.get("full_refresh");
    return v == null ? flag : Python.truthy(v);
  }

  static List<String> uniqueKey(Node n) {
    List<String> keys = new ArrayList<>();
    Object uk = n.config.get("unique_key");
    if (uk instanceof List<?> l) {
      for (Object o : l) if (o != null) keys.add(Python.str(o));
    } else if (uk != null && !Python.str(uk).isBlank()) {
      keys.add(Python.str(uk));
    }
    return keys;
  }

  static String strategy(Node n) {
    Object s = n.config.get("incremental_strategy");
    if (s == null || Python.str(s).isBlank()) return uniqueKey(n).isEmpty() ? "append" : "delete+insert";
    return Python.str(s).toLowerCase(Locale.ROOT).strip();
  }

  static boolean isMicrobatch(Node n) {
    return "incremental".equals(n.materialized()) && "microbatch".equals(strategy(n));
  }

  Materializer.Outcome run(Node n, String sql, Session s, Relation target, Renderer.Warehouse wh) {
    String strategy = strategy(n);
    if (!BUILT_IN.contains(strategy) && findOverride(n, strategy) == null) {
      throw WeirException.compile(n.originalFilePath, 0, "Incremental strategy '" + strategy + "' of model " + n.name
          + " is not known: use append, merge, delete+insert or microbatch, or define a macro get_incremental_"
          + macroPart(strategy) + "_sql" + dev.weir.core.util.Suggest.didYouMean(strategy, BUILT_IN), null);
    }
    if (strategy.equals("microbatch")) return microbatch(n, s, target, wh);
    Optional<Relation> existing = s.getRelation(target.database(), target.schema(), target.identifier());
    boolean full = shouldFullRefresh(n, wh.fullRefresh());
    if (existing.isEmpty() || existing.get().type() != RelationType.TABLE || full) {
      return create(n, sql, s, target, wh);
    }
    return merge(n, sql, s, target, existing.get(), strategy, List.of(), wh);
  }

  /** First build or full refresh: the whole result replaces the relation atomically. */
  private Materializer.Outcome create(Node n, String sql, Session s, Relation target, Renderer.Warehouse wh) {
    compiler.writeFile("run", n, s.dialect().createTableAs(target, sql));
    List<Node> quarantine = Quarantine.checksOn(ws, n);
    long rows = quarantine.isEmpty() ? s.replaceTable(target, sql) : Quarantine.replace(ws, compiler, n, target, sql, s, wh, quarantine);
    return outcome(rows);
  }

  private static Materializer.Outcome outcome(long rows) {
    return new Materializer.Outcome(NodeResult.Status.SUCCESS, rows >= 0 ? rows + (rows == 1 ? " row" : " rows") : "OK", null,
        Materializer.response("OK", rows));
  }

  // ------------------------------------------------------------------ one incremental step

  /**
   * Builds {@code sql} into the scratch table and brings its rows into {@code existing} with the
   * strategy, in one transaction (the caller's when one is open: model hooks run in it).
   */
  private Materializer.Outcome merge(Node n, String sql, Session s, Relation target, Relation existing, String strategy,
                                     List<String> extraPredicates, Renderer.Warehouse wh) {
    Dialect d = s.dialect();
    Relation tgt = new Relation(existing.database(), existing.schema(), existing.identifier(), RelationType.TABLE);
    Relation tmp = new Relation(existing.database(), existing.schema(), d.scratchIdentifier(n.alias, "__dbt_tmp"), RelationType.TABLE);
    List<String> log = new ArrayList<>();
    boolean own = !s.inTransaction();
    if (own) s.begin();
    try {
      exec(s, log, d.dropIfExists(tmp, RelationType.TABLE));
      exec(s, log, d.createTableAs(tmp, sql));
      List<Node> quarantine = Quarantine.checksOn(ws, n);
      if (!quarantine.isEmpty()) log.addAll(Quarantine.divert(ws, compiler, n, tmp, s, wh, quarantine).statements());
      List<ColumnInfo> source = s.getColumns(tmp);
      List<ColumnInfo> dest = schemaChanges(n, s, tgt, source, s.getColumns(tgt), log);
      List<String> predicates = new ArrayList<>(predicates(n));
      predicates.addAll(extraPredicates);
      long rows;
      Macro override = findOverride(n, strategy);
      if (override != null) {
        String generated = callOverride(n, strategy, wh, tgt, tmp, dest, predicates);
        rows = generated.isBlank() ? -1 : exec(s, log, generated);
      } else {
        rows = -1;
        for (String stmt : builtIn(n, strategy, d, d.render(tgt), d.render(tmp), uniqueKey(n), names(dest), predicates)) {
          rows = exec(s, log, stmt);
        }
      }
      exec(s, log, d.dropIfExists(tmp, RelationType.TABLE));
      if (own) s.commit();
      return outcome(rows);
    } catch (RuntimeException e) {
      if (own) {
        try {
          s.rollback();
        } catch (RuntimeException ignored) {
          // the first failure is the one to report
        }
      }
      throw e;
    } finally {
      compiler.writeFile("run", n, String.join(";\n\n", log) + ";\n");
    }
  }

  private static long exec(Session s, List<String> log, String sql) {
    log.add(sql.strip());
    return s.execute(sql);
  }

  private static List<String> predicates(Node n) {
    List<String> out = new ArrayList<>();
    Object p = n.config.get("incremental_predicates");
    if (p instanceof List<?> l) {
      for (Object o : l) if (o != null) out.add(Python.str(o));
    } else if (p != null && !Python.str(p).isBlank()) {
      out.add(Python.str(p));
    }
    return out;
  }

  private static List<String> names(List<ColumnInfo> cols) {
    List<String> out = new ArrayList<>();
    for (ColumnInfo c : cols) out.add(c.name());
    return out;
  }

  // ------------------------------------------------------------------ on_schema_change

  /**
   * Compares the new rows' columns with the target's and applies {@code on_schema_change}.
   * Returns the columns the strategy writes (dbt's dest_columns).
   */
  private List<ColumnInfo> schemaChanges(Node n, Session s, Relation target, List<ColumnInfo> source,
                                         List<ColumnInfo> existing, List<String> log) {
    String mode = n.config.get("on_schema_change") == null ? "ignore"
        : Python.str(n.config.get("on_schema_change")).toLowerCase(Locale.ROOT).strip();
    if (!SCHEMA_CHANGE_MODES.contains(mode)) {
      ws.console().warn("Invalid value for on_schema_change (" + mode + ") specified in model " + n.name
          + ". Setting default value of ignore (valid: ignore, fail, append_new_columns, sync_all_columns)");
      mode = "ignore";
    }
    Map<String, ColumnInfo> src = byName(source);
    Map<String, ColumnInfo> tgt = byName(existing);
    List<ColumnInfo> added = new ArrayList<>();
    List<ColumnInfo> removed = new ArrayList<>();
    List<ColumnInfo[]> retyped = new ArrayList<>();
    for (ColumnInfo c : source) {
      ColumnInfo t = tgt.get(key(c.name()));
      if (t == null) added.add(c);
      else if (!normType(t.dataType()).equals(normType(c.dataType()))) retyped.add(new ColumnInfo[] {t, c});
    }
    for (ColumnInfo c : existing) if (!src.containsKey(key(c.name()))) removed.add(c);
    boolean changed = !added.isEmpty() || !removed.isEmpty() || !retyped.isEmpty();
    Dialect d = s.dialect();
    String rt = d.render(target);
    switch (mode) {
      case "fail" -> {
        if (changed) {
          throw WeirException.runtime("The source and target schemas on this incremental model (" + n.name + ") are out of sync!"
              + " They can be reconciled in several ways: set on_schema_change to 'append_new_columns' or 'sync_all_columns',"
              + " or re-run the model with --full-refresh."
              + (added.isEmpty() ? "" : "\n  Source columns not in target: " + describe(added))
              + (removed.isEmpty() ? "" : "\n  Target columns not in source: " + describe(removed))
              + (retyped.isEmpty() ? "" : "\n  New column types: " + describeTypes(retyped)), null);
        }
        return existing;
      }
      case "append_new_columns", "sync_all_columns" -> {
        List<String> alters = new ArrayList<>();
        for (ColumnInfo c : added) alters.add("alter table " + rt + " add column " + d.quote(c.name()) + " " + c.dataType());
        if (mode.equals("sync_all_columns")) {
          for (ColumnInfo c : removed) alters.add("alter table " + rt + " drop column " + d.quote(c.name()));
          for (ColumnInfo[] t : retyped) {
            String q = d.quote(t[0].name());
            alters.add("alter table " + rt + " alter column " + q + " type " + t[1].dataType() + " using cast(" + q + " as "
                + t[1].dataType() + ")");
          }
        }
        if (!alters.isEmpty()) {
          // Through the session: views on the table must survive the change (Postgres pins their columns).
          log.addAll(alters);
          s.alterTable(target, alters);
        }
        if (changed) {
          ws.console().info("  " + n.name + ": on_schema_change=" + mode + (added.isEmpty() ? "" : ", added " + describe(added))
              + (mode.equals("sync_all_columns") && !removed.isEmpty() ? ", dropped " + describe(removed) : "")
              + (mode.equals("sync_all_columns") && !retyped.isEmpty() ? ", retyped " + describeTypes(retyped) : ""));
        }
        // Columns the new rows have; target columns they lack are left NULL.
        return source;
      }
      default -> {
        if (!removed.isEmpty()) {
          throw WeirException.runtime("Column(s) " + describe(removed) + " of " + rt + " are not in the new rows of incremental"
              + " model " + n.name + " (on_schema_change='ignore' keeps the table's columns and inserts into all of them)."
              + " Set on_schema_change to 'append_new_columns' or 'sync_all_columns', or re-run with --full-refresh.", null);
        }
        return existing;
      }
    }
  }

  private static String key(String name) { return name.toLowerCase(Locale.ROOT); }

  private static String normType(String t) { return t == null ? "" : t.toLowerCase(Locale.ROOT).replace(" ", ""); }

  private static Map<String, ColumnInfo> byName(List<ColumnInfo> cols) {
    Map<String, ColumnInfo> m = new LinkedHashMap<>();
    for (ColumnInfo c : cols) m.put(key(c.name()), c);
    return m;
  }

  private static String describe(List<ColumnInfo> cols) {
    List<String> out = new ArrayList<>();
    for (ColumnInfo c : cols) out.add(c.name() + " (" + c.dataType() + ")");
    return String.join(", ", out);
  }

  private static String describeTypes(List<ColumnInfo[]> cols) {
    List<String> out = new ArrayList<>();
    for (ColumnInfo[] c : cols) out.add(c[0].name() + " " + c[0].dataType() + " -> " + c[1].dataType());
    return String.join(", ", out);
  }

  // ------------------------------------------------------------------ built-in strategies

  /** The statements of a built-in strategy. {@code target} and {@code source} are rendered relation names. */
  static List<String> builtIn(Node n, String strategy, Dialect d, String target, String source, List<String> keys,
                              List<String> columns, List<String> predicates) {
    String cols = quotedCsv(d, columns);
    String insert = "insert into " + target + " (" + cols + ")\n(\n  select " + cols + "\n  from " + source + "\n)";
    List<String> out = new ArrayList<>();
    switch (strategy) {
      case "append" -> out.add(insert);
      case "delete+insert" -> {
        if (!keys.isEmpty()) {
          StringBuilder sb = new StringBuilder("delete from " + target + "\nwhere exists (\n  select 1 from " + source
              + " as DBT_INTERNAL_SOURCE\n  where ");
          for (int i = 0; i < keys.size(); i++) {
            if (i > 0) sb.append(" and ");
            sb.append("DBT_INTERNAL_SOURCE.").append(keys.get(i)).append(" = ").append(target).append('.').append(keys.get(i));
          }
          sb.append("\n)");
          for (String p : predicates) sb.append("\nand (").append(p).append(')');
          out.add(sb.toString());
        } else if (!predicates.isEmpty()) {
          out.add("delete from " + target + "\nwhere " + and(predicates));
        }
        out.add(insert);
      }
      case "microbatch" -> {
        // dbt-duckdb's microbatch: the batch's window (and any incremental_predicates) is replaced.
        out.add("delete from " + target + "\nwhere " + and(predicates));
        out.add(insert);
      }
      case "merge" -> out.add(mergeSql(n, d, target, source, keys, columns, predicates));
      default -> throw new IllegalArgumentException(strategy);
    }
    return out;
  }

  private static String and(List<String> predicates) {
    StringBuilder sb = new StringBuilder();
    for (String p : predicates) {
      if (sb.length() > 0) sb.append("\n  and ");
      sb.append('(').append(p).append(')');
    }
    return sb.toString();
  }

  private static String quotedCsv(Dialect d, List<String> columns) {
    StringBuilder sb = new StringBuilder();
    for (String c : columns) {
      if (sb.length() > 0) sb.append(", ");
      sb.append(d.quote(c));
    }
    return sb.toString();
  }

  private static String mergeSql(Node n, Dialect d, String target, String source, List<String> keys, List<String> columns,
                                 List<String> predicates) {
    StringBuilder on = new StringBuilder();
    for (String p : predicates) on.append('(').append(p).append(") and ");
    if (keys.isEmpty()) {
      on.append("FALSE");
    } else {
      on.append('(');
      for (int i = 0; i < keys.size(); i++) {
        if (i > 0) on.append(" and ");
        on.append("DBT_INTERNAL_SOURCE.").append(keys.get(i)).append(" = DBT_INTERNAL_DEST.").append(keys.get(i));
      }
      on.append(')');
    }
    List<String> update = updateColumns(n, columns);
    StringBuilder sb = new StringBuilder("merge into " + target + " as DBT_INTERNAL_DEST\nusing " + source
        + " as DBT_INTERNAL_SOURCE\non " + on + "\n");
    if (!keys.isEmpty() && !update.isEmpty()) {
      sb.append("when matched then update set\n  ");
      for (int i = 0; i < update.size(); i++) {
        if (i > 0) sb.append(",\n  ");
        sb.append(d.quote(update.get(i))).append(" = DBT_INTERNAL_SOURCE.").append(d.quote(update.get(i)));
      }
      sb.append('\n');
    }
    sb.append("when not matched then insert (").append(quotedCsv(d, columns)).append(")\nvalues (");
    for (int i = 0; i < columns.size(); i++) {
      if (i > 0) sb.append(", ");
      sb.append("DBT_INTERNAL_SOURCE.").append(d.quote(columns.get(i)));
    }
    return sb.append(')').toString();
  }

  /** merge_update_columns (only these), else all columns but merge_exclude_columns. */
  private static List<String> updateColumns(Node n, List<String> columns) {
    Object only = n.config.get("merge_update_columns");
    Object except = n.config.get("merge_exclude_columns");
    if (only != null && except != null) {
      throw WeirException.compile(n.originalFilePath, 0, "Model " + n.name + " sets both merge_update_columns and "
          + "merge_exclude_columns: use one of them", null);
    }
    List<String> out = new ArrayList<>();
    if (only != null) {
      for (Object o : dev.weir.core.project.ConfigKeys.asList(only)) out.add(Python.str(o));
      return out;
    }
    List<String> excluded = new ArrayList<>();
    for (Object o : dev.weir.core.project.ConfigKeys.asList(except)) excluded.add(key(Python.str(o)));
    for (String c : columns) if (!excluded.contains(key(c))) out.add(c);
    return out;
  }

  // ------------------------------------------------------------------ overridable macros

  private static String macroPart(String strategy) { return strategy.replace("+", "_"); }

  /**
   * The project's override of {@code get_incremental_<strategy>_sql}: the macro itself, or its
   * adapter-specific / default__ implementation, in the node's package or the root project.
   * Null when only Weir's built-in exists.
   */
  private Macro findOverride(Node n, String strategy) {
    MacroRegistry macros = ws.renderer().macros();
    String name = "get_incremental_" + macroPart(strategy) + "_sql";
    List<String> candidates = List.of(name, ws.target().type() + "__" + name, "default__" + name);
    for (String pkg : new String[] {n.packageName, macros.rootPackage()}) {
      for (String c : candidates) {
        Macro m = macros.find(pkg, c);
        if (m != null && !MacroRegistry.INTERNAL.equals(pkg)) return m;
      }
    }
    return null;
  }

  /** Calls the project's get_incremental_<strategy>_sql with dbt's arg dict; returns the SQL it produced. */
  private String callOverride(Node n, String strategy, Renderer.Warehouse wh, Relation target, Relation tmp,
                              List<ColumnInfo> dest, List<String> predicates) {
    Renderer r = ws.renderer();
    Dialect d = r.dialect();
    String name = "get_incremental_" + macroPart(strategy) + "_sql";
    Map<String, Object> arg = new LinkedHashMap<>();
    arg.put("target_relation", new RelationValue(target, d));
    arg.put("temp_relation", new RelationValue(tmp, d));
    Object uk = n.config.get("unique_key");
    arg.put("unique_key", uk);
    List<Object> cols = new ArrayList<>();
    for (ColumnInfo c : dest) cols.add(new ColumnValue(c, d));
    arg.put("dest_columns", cols);
    arg.put("incremental_predicates", predicates.isEmpty() ? null : new ArrayList<Object>(predicates));
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("weir_builtin_incremental_sql", (JinjaCallable) (c, a, k) -> builtInFromArgs(n, Python.str(a.get(0)), d,
        a.size() > 1 ? a.get(1) : k.get("arg_dict")));
    RenderContext ctx = r.context(n, Renderer.Mode.EXECUTE, wh, r.newState(n, Renderer.Mode.EXECUTE), extra);
    Object m = ctx.get(name);
    if (!(m instanceof JinjaCallable)) m = findOverride(n, strategy);
    try {
      Object out = ((JinjaCallable) m).call(ctx, List.of(arg), Map.of());
      return out == null ? "" : Python.str(out).strip();
    } catch (JinjaException e) {
      throw WeirException.compile(e.templateName() != null ? e.templateName() : n.originalFilePath, e.line(),
          "Compilation Error in macro " + name + " (called for model " + n.name + "): " + e.getMessage(), e);
    } catch (RuntimeException e) {
      if (e instanceof WeirException) throw e;
      throw WeirException.compile(n.originalFilePath, 0, "Compilation Error in macro " + name + " (called for model "
          + n.name + "): " + e.getMessage(), e);
    }
  }

  /** Weir's built-in SQL for an arg dict (what dbt.default__get_incremental_<strategy>_sql returns). */
  private static String builtInFromArgs(Node n, String strategy, Dialect d, Object argDict) {
    if (!(argDict instanceof Map<?, ?> arg)) throw new IllegalArgumentException("expected dbt's arg_dict");
    String target = Python.str(arg.get("target_relation"));
    String source = Python.str(arg.get("temp_relation"));
    List<String> keys = new ArrayList<>();
    Object uk = arg.get("unique_key");
    if (uk instanceof List<?> l) for (Object o : l) keys.add(Python.str(o));
    else if (uk != null) keys.add(Python.str(uk));
    List<String> cols = new ArrayList<>();
    if (arg.get("dest_columns") instanceof List<?> l) {
      for (Object o : l) cols.add(o instanceof ColumnValue cv ? Python.str(cv.getAttribute("name")) : Python.str(o));
    }
    List<String> preds = new ArrayList<>();
    if (arg.get("incremental_predicates") instanceof List<?> l) for (Object o : l) preds.add(Python.str(o));
    String s = strategy.replace("delete_insert", "delete+insert");
    return String.join(";\n", builtIn(n, s, d, target, source, keys, cols, preds));
  }

  // ------------------------------------------------------------------ microbatch

  /** A warehouse handle that renders one batch: refs and sources with an event_time read only its window. */
  private record BatchWarehouse(Renderer.Warehouse inner, EventTimeWindow window) implements Renderer.Warehouse {
    @Override public Session session() { return inner.session(); }

    @Override public boolean fullRefresh() { return inner.fullRefresh(); }

    @Override public boolean empty() { return inner.empty(); }

    @Override public EventTimeWindow eventTimeWindow() { return window; }
  }

  enum BatchSize { HOUR, DAY, MONTH, YEAR }

  static LocalDateTime truncate(LocalDateTime t, BatchSize b) {
    return switch (b) {
      case HOUR -> t.truncatedTo(ChronoUnit.HOURS);
      case DAY -> t.truncatedTo(ChronoUnit.DAYS);
      case MONTH -> t.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1);
      case YEAR -> t.truncatedTo(ChronoUnit.DAYS).withDayOfYear(1);
    };
  }

  static LocalDateTime offset(LocalDateTime t, BatchSize b, int n) {
    LocalDateTime x = truncate(t, b);
    return switch (b) {
      case HOUR -> x.plusHours(n);
      case DAY -> x.plusDays(n);
      case MONTH -> x.plusMonths(n);
      case YEAR -> x.plusYears(n);
    };
  }

  static LocalDateTime ceiling(LocalDateTime t, BatchSize b) {
    LocalDateTime x = truncate(t, b);
    return x.equals(t) ? x : offset(x, b, 1);
  }

  /** dbt's MicrobatchBuilder: [start, end) cut into batches; the last ends exactly at end. */
  static List<EventTimeWindow> batches(LocalDateTime start, LocalDateTime end, BatchSize b) {
    List<EventTimeWindow> out = new ArrayList<>();
    LocalDateTime s = start;
    LocalDateTime e = offset(s, b, 1);
    out.add(new EventTimeWindow(s, e));
    while (e.isBefore(end)) {
      s = e;
      e = offset(s, b, 1);
      out.add(new EventTimeWindow(s, e));
    }
    EventTimeWindow last = out.get(out.size() - 1);
    out.set(out.size() - 1, new EventTimeWindow(last.start(), end));
    return out;
  }

  private static String batchLabel(LocalDateTime t, BatchSize b) {
    String iso = t.toString();
    return switch (b) {
      case YEAR -> iso.substring(0, 4);
      case MONTH -> iso.substring(0, 7);
      case DAY -> iso.substring(0, 10);
      case HOUR -> iso.substring(0, 13);
    };
  }

  private static String dots(String desc) { return ".".repeat(Math.max(3, 60 - desc.length())); }

  private Materializer.Outcome microbatch(Node n, Session s, Relation target, Renderer.Warehouse wh) {
    Object et = n.config.get("event_time");
    if (et == null || Python.str(et).isBlank()) {
      throw WeirException.compile(n.originalFilePath, 0, "Microbatch model " + n.name + " needs an 'event_time' config "
          + "(the column of its rows' time)", null);
    }
    String eventTime = Python.str(et);
    Object bs = n.config.get("batch_size");
    BatchSize size;
    try {
      size = BatchSize.valueOf(Python.str(bs).strip().toUpperCase(Locale.ROOT));
    } catch (RuntimeException e) {
      throw WeirException.compile(n.originalFilePath, 0, "Microbatch model '" + n.name + "' does not have a valid 'batch_size' "
          + "config (one of hour, day, month, year)" + (bs == null ? "" : ": got '" + Python.str(bs) + "'"), null);
    }
    int lookback = 1;
    if (n.config.get("lookback") != null) {
      try {
        lookback = Integer.parseInt(Python.str(n.config.get("lookback")).strip());
      } catch (NumberFormatException e) {
        throw WeirException.compile(n.originalFilePath, 0, "Model " + n.name + ": 'lookback' must be a whole number >= 0", null);
      }
    }
    Optional<Relation> existing = s.getRelation(target.database(), target.schema(), target.identifier());
    boolean incremental = existing.isPresent() && existing.get().type() == RelationType.TABLE
        && !shouldFullRefresh(n, wh.fullRefresh());
    Options o = ws.options();
    LocalDateTime now = LocalDateTime.ofInstant(ws.startedAt(), ZoneOffset.UTC);
    LocalDateTime end = ceiling(o.eventTimeEnd() != null ? o.eventTimeEnd() : now, size);
    LocalDateTime start;
    if (o.eventTimeStart() != null) {
      start = truncate(o.eventTimeStart(), size);
    } else if (!incremental) {
      Object begin = n.config.get("begin");
      if (begin == null || Python.str(begin).isBlank()) {
        throw WeirException.compile(n.originalFilePath, 0, "Microbatch model '" + n.name + "' requires a 'begin' configuration "
            + "(the first event time to build, e.g. begin='2024-01-01')", null);
      }
      try {
        start = truncate(EventTimeWindow.parse(Python.str(begin)), size);
      } catch (IllegalArgumentException e) {
        throw WeirException.compile(n.originalFilePath, 0, "Model " + n.name + ": 'begin' " + e.getMessage(), null);
      }
    } else {
      // dbt: the checkpoint is the end; a checkpoint on a batch boundary looks back one batch more.
      int lb = lookback + (end.equals(truncate(end, size)) ? 1 : 0);
      start = offset(end, size, -lb);
    }
    if (!start.isBefore(end)) {
      throw WeirException.runtime("Microbatch model " + n.name + ": the batch window starts (" + start + ") at or after it ends ("
          + end + ")", null);
    }
    List<EventTimeWindow> batches = batches(start, end, size);
    String rel = n.schema + "." + n.alias;
    long total = 0;
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < batches.size(); i++) {
      EventTimeWindow w = batches.get(i);
      String label = batchLabel(w.start(), size);
      String desc = "batch " + label + " of " + rel;
      ws.console().info(String.format("Batch %d of %d START %s %s [RUN]", i + 1, batches.size(), desc, dots(desc)));
      long t0 = System.nanoTime();
      boolean creates = i == 0 && !incremental;
      try {
        BatchWarehouse bwh = new BatchWarehouse(wh, w);
        Map<String, Object> extra = new LinkedHashMap<>();
        if (!creates) {
          extra.put("is_incremental", (JinjaCallable) (c, a, k) -> true);
          extra.put("should_full_refresh", (JinjaCallable) (c, a, k) -> false);
        }
        String sql = compiler.compile(n, bwh, extra);
        Materializer.Outcome out;
        if (creates) {
          out = create(n, sql, s, target, bwh);
        } else {
          Relation now2 = s.getRelation(target.database(), target.schema(), target.identifier()).orElseThrow(() ->
              WeirException.runtime("Microbatch model " + n.name + ": " + rel + " is missing", null));
          List<String> window = List.of(eventTime + " >= " + EventTimeWindow.literal(w.start()),
              eventTime + " < " + EventTimeWindow.literal(w.end()));
          out = merge(n, sql, s, target, now2, "microbatch", window, bwh);
        }
        Object rows = out.adapterResponse().get("rows_affected");
        if (rows instanceof Long l && l > 0) total += l;
        ws.console().info(String.format("Batch %d of %d OK created %s %s [%s in %.2fs]", i + 1, batches.size(), desc,
            dots(desc), out.message(), (System.nanoTime() - t0) / 1e9));
      } catch (RuntimeException e) {
        String msg = e instanceof WeirException we ? we.describe() : String.valueOf(e.getMessage());
        ws.console().error(String.format("Batch %d of %d ERROR creating %s %s [ERROR in %.2fs]", i + 1, batches.size(), desc,
            dots(desc), (System.nanoTime() - t0) / 1e9));
        failures.add("batch " + label + ": " + msg);
        if (creates) {
          // Without the first batch there is no table for the others to go into.
          for (int j = i + 1; j < batches.size(); j++) failures.add("batch " + batchLabel(batches.get(j).start(), size) + ": skipped");
          break;
        }
      }
    }
    if (!failures.isEmpty()) {
      throw WeirException.runtime(failures.size() + " of " + batches.size() + " batches of microbatch model " + n.name
          + " failed (the others are built):\n  " + String.join("\n  ", failures), null);
    }
    return new Materializer.Outcome(NodeResult.Status.SUCCESS, batches.size() + (batches.size() == 1 ? " batch" : " batches")
        + ", " + total + (total == 1 ? " row" : " rows"), null, Materializer.response("OK", total));
  }
}
