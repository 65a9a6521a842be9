package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.execute.Runner;
import dev.weir.core.execute.Workspace;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import dev.weir.jinja.Python;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "show", mixinStandardHelpOptions = true,
    description = "Runs a node's query or an inline query and prints the first rows, without building anything.")
final class ShowCommand extends WeirCommand {
  @Mixin
  Common.Selection sel;

  @Option(names = "--inline", description = "A SQL query (Jinja allowed) to preview.")
  String inline;

  @Option(names = "--limit", description = "Rows to print (default ${DEFAULT-VALUE}; -1 for all).", defaultValue = "5")
  long limit;

  @Option(names = "--output", description = "text (default) or json.", defaultValue = "text")
  String output;

  @Override String commandName() { return "show"; }

  @Override Common.Selection selection() { return sel; }

  @Override
  int execute(Workspace ws) throws Exception {
    ws.loaded();
    Runner runner = new Runner(ws, true);
    String sql;
    String title;
    if (inline != null) {
      sql = runner.withWarehouse(wh -> runner.compiler().compileInline(inline, wh));
      title = "inline query";
    } else {
      // Tests come along with their model by indirect selection; show them only when nothing else matched.
      List<String> ids = ws.select(Set.of(ResourceType.MODEL, ResourceType.SEED, ResourceType.ANALYSIS, ResourceType.SNAPSHOT));
      if (ids.isEmpty()) ids = ws.select(Set.of(ResourceType.TEST));
      if (ids.isEmpty()) throw WeirException.usage("show needs --inline SQL or -s NODE that matches one node");
      if (ids.size() > 1) throw WeirException.usage("show -s matched " + ids.size() + " nodes; select exactly one");
      Node n = ws.project().node(ids.get(0));
      title = n.name;
      if (n.resourceType == ResourceType.SEED) {
        sql = "select * from " + n.relationName;
      } else if (dev.weir.core.execute.StoreFailures.mode(n, false) != null) {
        // A test that stores its failures: page through its audit relation.
        sql = "select * from " + ws.engineFactory().dialect(ws.target()).render(dev.weir.core.execute.StoreFailures.relation(n));
      } else {
        sql = runner.withWarehouse(wh -> runner.compiler().compile(n, wh));
      }
    }
    QueryResult r = runner.show(sql, limit);
    if ("json".equals(output)) {
      List<Object> rows = new ArrayList<>();
      for (List<Object> row : r.rows()) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < r.columns().size(); i++) m.put(r.columns().get(i).name(), row.get(i) == null ? null : String.valueOf(row.get(i)));
        rows.add(m);
      }
      console.print(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(java.util.Map.of("node", title, "show", rows)));
      return 0;
    }
    console.info("Previewing " + title + ":");
    console.print(table(r));
    return 0;
  }

  static String table(QueryResult r) {
    int n = r.columns().size();
    int[] w = new int[n];
    List<String[]> cells = new ArrayList<>();
    for (int i = 0; i < n; i++) w[i] = r.columns().get(i).name().length();
    for (List<Object> row : r.rows()) {
      String[] c = new String[n];
      for (int i = 0; i < n; i++) {
        Object v = row.get(i);
        c[i] = v == null ? "" : v instanceof String s ? s : v instanceof java.math.BigDecimal b ? b.toPlainString() : Python.str(v);
        w[i] = Math.max(w[i], c[i].length());
      }
      cells.add(c);
    }
    StringBuilder sb = new StringBuilder();
    sb.append('|');
    for (int i = 0; i < n; i++) {
      ColumnInfo c = r.columns().get(i);
      sb.append(' ').append(pad(c.name(), w[i])).append(" |");
    }
    sb.append("\n|");
    for (int i = 0; i < n; i++) sb.append('-').append("-".repeat(w[i])).append("-|");
    for (String[] c : cells) {
      sb.append("\n|");
      for (int i = 0; i < n; i++) sb.append(' ').append(pad(c[i], w[i])).append(" |");
    }
    return sb.toString();
  }

  private static String pad(String s, int w) { return s + " ".repeat(Math.max(0, w - s.length())); }
}
