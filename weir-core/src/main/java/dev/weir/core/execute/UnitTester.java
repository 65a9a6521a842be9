package dev.weir.core.execute;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Dialect;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.Session;
import dev.weir.core.project.Node;
import dev.weir.core.project.UnitTestSpecs;
import dev.weir.core.render.Renderer;
import dev.weir.core.render.RelationValue;
import dev.weir.jinja.JinjaCallable;
import dev.weir.jinja.Python;
import dev.weir.jinja.RenderContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Runs a dbt unit test: compiles its model with each given input's ref/source (or {@code this})
 * replaced by a CTE of the given rows, applies the overrides (vars, macros such as is_incremental,
 * env_vars) and compares the model's output with the expected rows as multisets, on the expected
 * columns only. Only queries run: no relation is created or changed.
 */
final class UnitTester {
  private final Workspace ws;
  private final Compiler compiler;

  UnitTester(Workspace ws, Compiler compiler) {
    this.ws = ws;
    this.compiler = compiler;
  }

  @SuppressWarnings("unchecked")
  Materializer.Outcome run(Node t, Session s, Renderer.Warehouse wh) {
    Dialect d = s.dialect();
    Node model = ws.project().node(t.attachedNode);
    if (model == null) throw WeirException.project(t.originalFilePath, line(t), "Unit test " + t.name + ": model not found");
    List<Map<String, Object>> given = (List<Map<String, Object>>) t.extra.get("given");
    Map<String, Object> overrides = (Map<String, Object>) t.extra.get("overrides");
    LinkedHashMap<String, String> fixtures = new LinkedHashMap<>();
    Map<String, RelationValue> byRef = new LinkedHashMap<>();
    Map<String, RelationValue> bySource = new LinkedHashMap<>();
    RelationValue thisFixture = null;
    Renderer renderer = ws.renderer();
    for (Map<String, Object> g : given) {
      String inputText = String.valueOf(g.get("input"));
      UnitTestSpecs.Input in = UnitTestSpecs.Input.parse(inputText);
      Relation rel;
      String cte;
      if (in.isThis()) {
        rel = Runner.relation(model);
        cte = "__dbt__fixture__this";
      } else if (in.isRef()) {
        Node target = ws.project().nodes().values().stream().filter(n -> n.name.equals(in.refName())
            && n.resourceType != dev.weir.core.project.ResourceType.UNIT_TEST && n.resourceType != dev.weir.core.project.ResourceType.TEST)
            .findFirst().orElse(null);
        rel = target == null ? Relation.of(model.database, model.schema, in.refName()) : Runner.relation(target);
        cte = "__dbt__fixture__" + safe(in.refName());
      } else {
        Node src = ws.project().sources().get("source." + model.packageName + "." + in.sourceName() + "." + in.table());
        if (src == null) src = ws.project().sources().values().stream().filter(n -> in.sourceName().equals(n.sourceName)
            && in.table().equals(n.name)).findFirst().orElse(null);
        rel = src == null ? Relation.of(model.database, in.sourceName(), in.table()) : Relation.of(src.database, src.schema, src.identifier);
        cte = "__dbt__fixture__" + safe(in.sourceName() + "__" + in.table());
      }
      List<ColumnInfo> cols = existingColumns(s, rel);
      fixtures.put(cte, rowsSql(t, g, cols, d));
      RelationValue rv = RelationValue.cte(rel, d, cte);
      if (in.isThis()) thisFixture = rv;
      else if (in.isRef()) byRef.put(in.refName(), rv);
      else bySource.put(in.sourceName() + "." + in.table(), rv);
    }

    // Overrides and input substitution, through the render context's extra entries.
    Renderer.RenderState base = renderer.newState(model, Renderer.Mode.EXECUTE);
    RenderContext baseCtx = renderer.context(model, Renderer.Mode.EXECUTE, wh, base, Map.of());
    Object baseVar = baseCtx.get("var");
    Object baseEnv = baseCtx.get("env_var");
    Map<String, Object> vars = asMap(overrides.get("vars"));
    Map<String, Object> macros = asMap(overrides.get("macros"));
    Map<String, Object> envs = asMap(overrides.get("env_vars"));
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("ref", (JinjaCallable) (c, a, k) -> {
      String name = Python.str(a.get(a.size() - 1));
      RelationValue rv = byRef.get(name);
      if (rv == null) throw new IllegalStateException("Unit test " + t.name + ": model " + model.name + " uses ref('" + name
          + "'), which has no 'given' input; add one (rows: [] for no rows)");
      return rv;
    });
    extra.put("source", (JinjaCallable) (c, a, k) -> {
      String key = Python.str(a.get(0)) + "." + Python.str(a.get(1));
      RelationValue rv = bySource.get(key);
      if (rv == null) throw new IllegalStateException("Unit test " + t.name + ": model " + model.name + " uses source('"
          + Python.str(a.get(0)) + "', '" + Python.str(a.get(1)) + "'), which has no 'given' input; add one (rows: [] for no rows)");
      return rv;
    });
    if (thisFixture != null) extra.put("this", thisFixture);
    extra.put("is_incremental", (JinjaCallable) (c, a, k) -> false);
    for (Map.Entry<String, Object> m : macros.entrySet()) {
      Object v = m.getValue();
      extra.put(m.getKey(), (JinjaCallable) (c, a, k) -> v);
    }
    if (!vars.isEmpty()) {
      extra.put("var", (JinjaCallable) (c, a, k) -> {
        String name = Python.str(a.get(0));
        if (vars.containsKey(name)) return vars.get(name);
        return ((JinjaCallable) baseVar).call(c, a, k);
      });
    }
    if (!envs.isEmpty()) {
      extra.put("env_var", (JinjaCallable) (c, a, k) -> {
        String name = Python.str(a.get(0));
        if (envs.containsKey(name)) return Python.str(envs.get(name));
        return ((JinjaCallable) baseEnv).call(c, a, k);
      });
    }
    String modelSql;
    try {
      modelSql = compiler.compileForUnitTest(model, wh, extra);
    } catch (WeirException e) {
      throw WeirException.compile(t.originalFilePath, line(t), "Unit test " + t.name + ": " + e.getMessage(), e);
    }
    String sql = Compiler.injectCtes(modelSql, fixtures);

    // The model's output columns and types; the expected rows are cast to them.
    QueryResult shape = s.query("select * from (\n" + sql + "\n) dbt_internal_unit_test_actual limit 0", 0);
    Map<String, ColumnInfo> outCols = new LinkedHashMap<>();
    for (ColumnInfo c : shape.columns()) outCols.put(c.name().toLowerCase(Locale.ROOT), c);
    Map<String, Object> expect = (Map<String, Object>) t.extra.get("expect");
    List<String> expectCols = expectColumns(t, expect, s);
    List<ColumnInfo> typed = new ArrayList<>();
    for (String c : expectCols) {
      ColumnInfo ci = outCols.get(c.toLowerCase(Locale.ROOT));
      if (ci == null) {
        throw WeirException.compile(t.originalFilePath, line(t), "Unit test " + t.name + ": expected column '" + c
            + "' is not in the output of model " + model.name + " (columns: " + String.join(", ", outCols.keySet()) + ")", null);
      }
      typed.add(new ColumnInfo(c, ci.dataType()));
    }
    String expectedSql = rowsSql(t, expect, typed, d);
    StringBuilder colList = new StringBuilder();
    for (String c : expectCols) colList.append(colList.length() == 0 ? "" : ", ").append(d.quote(c));
    if (expectCols.isEmpty()) colList.append("1 as no_columns");
    String diff = "with dbt_internal_unit_test_actual as (\n  select " + colList + " from (\n" + sql + "\n  ) a\n),\n"
        + "dbt_internal_unit_test_expected as (\n  select " + colList + " from (\n" + expectedSql + "\n  ) e\n)\n"
        + "select '-' as dbt_diff, * from (select * from dbt_internal_unit_test_expected except all select * from dbt_internal_unit_test_actual) m\n"
        + "union all\n"
        + "select '+' as dbt_diff, * from (select * from dbt_internal_unit_test_actual except all select * from dbt_internal_unit_test_expected) u";
    compiler.writeFile("run", t, diff);
    t.compiledCode = sql;
    QueryResult r = s.query(diff, -1);
    if (r.rows().isEmpty()) return new Materializer.Outcome(NodeResult.Status.PASS, null, 0L, Materializer.response("OK", -1));
    return new Materializer.Outcome(NodeResult.Status.FAIL, diffMessage(t, expectCols, r), (long) r.rows().size(),
        Materializer.response("OK", -1));
  }

  private static String diffMessage(Node t, List<String> cols, QueryResult r) {
    List<String> header = new ArrayList<>();
    header.add("+/-");
    header.addAll(cols);
    List<List<String>> rows = new ArrayList<>();
    for (List<Object> row : r.rows()) {
      List<String> cells = new ArrayList<>();
      for (int i = 0; i < header.size(); i++) cells.add(row.get(i) == null ? "null" : Python.str(row.get(i)));
      rows.add(cells);
    }
    rows.sort((a, b) -> a.get(0).compareTo(b.get(0)));
    int[] w = new int[header.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = header.get(i).length();
      for (List<String> row : rows) w[i] = Math.max(w[i], row.get(i).length());
    }
    StringBuilder sb = new StringBuilder("Unit test " + t.name + " failed: actual differs from expected"
        + " (- expected row missing from the actual output, + actual row not expected):\n");
    appendRow(sb, header, w);
    for (List<String> row : rows) appendRow(sb, row, w);
    return sb.toString().stripTrailing();
  }

  private static void appendRow(StringBuilder sb, List<String> cells, int[] w) {
    sb.append("  |");
    for (int i = 0; i < cells.size(); i++) sb.append(' ').append(String.format("%-" + w[i] + "s", cells.get(i))).append(" |");
    sb.append('\n');
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object o) { return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of(); }

  private static int line(Node t) { return t.extra.get("yaml_line") instanceof Integer i ? i : 0; }

  private static String safe(String s) { return s.replaceAll("[^A-Za-z0-9_]", "_"); }

  private static List<ColumnInfo> existingColumns(Session s, Relation rel) {
    try {
      if (s.getRelation(rel.database(), rel.schema(), rel.identifier()).isEmpty()) return List.of();
      return s.getColumns(rel);
    } catch (RuntimeException e) {
      return List.of();
    }
  }

  private static List<String> expectColumns(Node t, Map<String, Object> expect, Session s) {
    String format = String.valueOf(expect.getOrDefault("format", "dict"));
    Object rows = expect.get("rows");
    Set<String> cols = new LinkedHashSet<>();
    if (format.equals("sql")) {
      QueryResult q = s.query("select * from (" + rows + ") x limit 0", 0);
      for (ColumnInfo c : q.columns()) cols.add(c.name());
    } else {
      for (Map<String, Object> row : parseRows(t, expect)) cols.addAll(row.keySet());
    }
    return new ArrayList<>(cols);
  }

  /** The given (or expected) rows as a select: typed by {@code cols} when known, else literals. */
  private String rowsSql(Node t, Map<String, Object> spec, List<ColumnInfo> cols, Dialect d) {
    String format = String.valueOf(spec.getOrDefault("format", "dict"));
    if (format.equals("sql")) {
      Object rows = spec.get("rows");
      if (rows == null) throw WeirException.project(t.originalFilePath, line(t), "Unit test " + t.name + ": format sql needs 'rows:' with a select");
      return String.valueOf(rows);
    }
    List<Map<String, Object>> rows = parseRows(t, spec);
    Map<String, String> types = new LinkedHashMap<>();
    for (ColumnInfo c : cols) types.put(c.name().toLowerCase(Locale.ROOT), c.dataType());
    List<String> names = new ArrayList<>();
    for (ColumnInfo c : cols) names.add(c.name());
    for (Map<String, Object> row : rows) {
      for (String k : row.keySet()) if (names.stream().noneMatch(n -> n.equalsIgnoreCase(k))) names.add(k);
    }
    boolean csv = format.equals("csv");
    StringBuilder sb = new StringBuilder();
    if (rows.isEmpty()) {
      sb.append("select ");
      if (names.isEmpty()) sb.append("null as dbt_no_columns");
      for (int i = 0; i < names.size(); i++) {
        if (i > 0) sb.append(", ");
        String type = types.get(names.get(i).toLowerCase(Locale.ROOT));
        sb.append(type == null ? "null" : "cast(null as " + type + ")").append(" as ").append(d.quote(names.get(i)));
      }
      return sb.append(" where false").toString();
    }
    for (int r = 0; r < rows.size(); r++) {
      if (r > 0) sb.append("\nunion all\n");
      sb.append("select ");
      Map<String, Object> row = rows.get(r);
      for (int i = 0; i < names.size(); i++) {
        if (i > 0) sb.append(", ");
        String name = names.get(i);
        Object v = null;
        for (Map.Entry<String, Object> e : row.entrySet()) if (e.getKey().equalsIgnoreCase(name)) v = e.getValue();
        if (csv && "".equals(v)) v = null;
        String type = types.get(name.toLowerCase(Locale.ROOT));
        String lit = literal(v, csv && type == null, d);
        sb.append(type == null ? lit : "cast(" + lit + " as " + type + ")").append(" as ").append(d.quote(name));
      }
    }
    return sb.toString();
  }

  private static String literal(Object v, boolean inferFromText, Dialect d) {
    if (v == null) return "null";
    if (v instanceof Boolean b) return b ? "true" : "false";
    if (v instanceof Number n) return Python.str(n);
    String s = String.valueOf(v);
    if (inferFromText) {
      if (s.matches("-?\\d+(\\.\\d+)?")) return s;
      if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) return s.toLowerCase(Locale.ROOT);
    }
    if (v instanceof java.util.Date dt) s = new java.text.SimpleDateFormat("yyyy-MM-dd").format(dt);
    return d.stringLiteral(s);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> parseRows(Node t, Map<String, Object> spec) {
    String format = String.valueOf(spec.getOrDefault("format", "dict"));
    Object rows = spec.get("rows");
    if (rows == null) return List.of();
    if (format.equals("csv")) {
      List<String> lines = new ArrayList<>();
      for (String l : String.valueOf(rows).split("\\r?\\n")) if (!l.isBlank()) lines.add(l);
      if (lines.isEmpty()) return List.of();
      List<String> header = csvLine(lines.get(0));
      List<Map<String, Object>> out = new ArrayList<>();
      for (int i = 1; i < lines.size(); i++) {
        List<String> cells = csvLine(lines.get(i));
        Map<String, Object> row = new LinkedHashMap<>();
        for (int c = 0; c < header.size(); c++) row.put(header.get(c).strip(), c < cells.size() ? cells.get(c) : null);
        out.add(row);
      }
      return out;
    }
    if (!format.equals("dict")) {
      throw WeirException.project(t.originalFilePath, line(t), "Unit test " + t.name + ": unknown format '" + format + "' (dict, csv or sql)");
    }
    if (!(rows instanceof List<?> l)) {
      throw WeirException.project(t.originalFilePath, line(t), "Unit test " + t.name + ": 'rows' must be a list of mappings");
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object o : l) {
      if (!(o instanceof Map<?, ?> m)) throw WeirException.project(t.originalFilePath, line(t), "Unit test " + t.name + ": each row must be a mapping");
      out.add((Map<String, Object>) m);
    }
    return out;
  }

  private static List<String> csvLine(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean q = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (q) {
        if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') { cur.append('"'); i++; }
        else if (ch == '"') q = false;
        else cur.append(ch);
      } else if (ch == '"') q = true;
      else if (ch == ',') { out.add(cur.toString().strip()); cur.setLength(0); }
      else cur.append(ch);
    }
    out.add(cur.toString().strip());
    return out;
  }
}
