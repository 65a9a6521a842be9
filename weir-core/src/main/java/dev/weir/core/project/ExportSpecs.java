package dev.weir.core.project;

import dev.weir.core.WeirException;
import dev.weir.core.util.Yaml.YList;
import dev.weir.core.util.Yaml.YMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Exports ({@code exports:} in properties YAML): a model, a source or any relation written to
 * Parquet or CSV files, as an EXPORT node ({@code export.<project>.<name>}) that depends on what it
 * writes, so that {@code weir build} writes it after the model and its tests. The settings are
 * checked here (with file and line) and kept in the node's {@code extra["export"]} for the runner
 * (module weir-ingest). Exports are not manifest nodes (dbt's schema has no such kind); they appear
 * in {@code weir ls}, selection and {@code run_results.json}.
 */
public final class ExportSpecs {
  private ExportSpecs() {}

  /** The formats an export writes. */
  public static final List<String> FORMATS = List.of("parquet", "csv");

  private static final Set<String> KEYS = Set.of("name", "description", "model", "path", "format", "partition_by", "tags", "meta",
      "enabled", "header", "delimiter");
  private static final Pattern REF = Pattern.compile("ref\\(\\s*['\"]([^'\"]+)['\"]\\s*(?:,\\s*['\"]([^'\"]+)['\"]\\s*)?\\)");
  private static final Pattern SOURCE = Pattern.compile("source\\(\\s*['\"]([^'\"]+)['\"]\\s*,\\s*['\"]([^'\"]+)['\"]\\s*\\)");
  private static final Pattern RELATION = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*){0,2}");

  /** The export nodes declared under a properties file's {@code exports:} key (empty when it has none). */
  public static List<Node> read(String pkg, String file, YMap top, List<String> folders) {
    Object list = top.get("exports");
    if (list == null) return List.of();
    if (!(list instanceof YList l)) throw WeirException.project(file, top.lineOf("exports"), "'exports' must be a list");
    List<Node> out = new ArrayList<>();
    for (int i = 0; i < l.size(); i++) {
      if (!(l.get(i) instanceof YMap e) || e.get("name") == null) {
        throw WeirException.project(file, l.lineOf(i), "Each export needs a 'name:'");
      }
      IngestionSpecs.checkKeys(file, e, KEYS, "export property");
      String name = String.valueOf(e.get("name"));
      if (!IngestionSpecs.NAME.matcher(name).matches()) {
        throw WeirException.project(file, e.lineOf("name"), "Export name '" + name + "' must be an identifier (letters, digits, _)");
      }
      Node n = new Node("export." + pkg + "." + name, ResourceType.EXPORT, pkg, name);
      n.originalFilePath = file;
      n.path = file;
      n.patchPath = file;
      List<String> fqn = new ArrayList<>();
      fqn.add(pkg);
      fqn.addAll(folders);
      fqn.add(name);
      n.fqn = fqn;
      n.description = IngestionSpecs.str(e.get("description"), "");
      n.extra.put("yaml_line", e.line);
      boolean enabled = Boolean.parseBoolean(IngestionSpecs.str(e.get("enabled"), "true"));
      n.config.put("enabled", enabled);
      n.config.put("materialized", "export");
      for (Object tag : ConfigKeys.asList(e.get("tags"))) n.tags.add(String.valueOf(tag));
      n.config.put("tags", new ArrayList<>(n.tags));
      if (e.get("meta") instanceof Map<?, ?> m) for (var me : m.entrySet()) n.meta.put(String.valueOf(me.getKey()), me.getValue());

      Map<String, Object> spec = new LinkedHashMap<>();
      spec.put("file", file);
      spec.put("line", e.line);
      Object model = e.get("model");
      if (model == null) {
        throw WeirException.project(file, e.line, "Export '" + name + "' needs a 'model:': ref('orders'), source('shop', 'orders') or a"
            + " relation name (schema.table)");
      }
      String expr = String.valueOf(model).strip();
      Matcher rm = REF.matcher(expr);
      Matcher sm = SOURCE.matcher(expr);
      if (rm.matches()) {
        String p = rm.group(2) == null ? null : rm.group(1);
        String m = rm.group(2) == null ? rm.group(1) : rm.group(2);
        n.refs.add(new Node.RefCall(p, m, null, e.lineOf("model")));
      } else if (sm.matches()) {
        n.sources.add(List.of(sm.group(1), sm.group(2)));
      } else if (RELATION.matcher(expr).matches()) {
        spec.put("relation", expr);
      } else {
        throw WeirException.project(file, e.lineOf("model"), "Export '" + name + "': 'model' must be ref('...'), source('...', '...')"
            + " or a relation name, got: " + expr);
      }
      Object pathO = e.get("path");
      if (pathO == null || String.valueOf(pathO).isBlank()) {
        throw WeirException.project(file, e.line, "Export '" + name + "' needs a 'path:' (a folder, or a file ending in .parquet or"
            + " .csv), relative to the project");
      }
      String path = String.valueOf(pathO).strip().replaceAll("/+$", "");
      String norm = java.nio.file.Path.of(path).normalize().toString();
      if (norm.isEmpty() || norm.equals(".") || norm.equals("..") || norm.startsWith("../") || norm.equals("/")) {
        throw WeirException.project(file, e.lineOf("path"), "Export path '" + path + "' must name a folder or file inside the project (it"
            + " is replaced on each run), or an absolute path below /");
      }
      String lower = path.toLowerCase(Locale.ROOT);
      boolean isFile = lower.endsWith(".parquet") || lower.endsWith(".csv") || lower.endsWith(".csv.gz");
      String format = e.get("format") != null ? String.valueOf(e.get("format")).toLowerCase(Locale.ROOT)
          : lower.endsWith(".csv") || lower.endsWith(".csv.gz") ? "csv" : "parquet";
      format = IngestionSpecs.choice(file, e, "format", format, FORMATS);
      List<String> partitionBy = new ArrayList<>();
      for (Object p : ConfigKeys.asList(e.get("partition_by"))) partitionBy.add(String.valueOf(p));
      if (!partitionBy.isEmpty() && isFile) {
        throw WeirException.project(file, e.lineOf("partition_by"), "Export '" + name + "' is partitioned, so its path names a folder"
            + " (one sub-folder per value): drop the file extension of '" + path + "'");
      }
      if (!format.equals("csv")) {
        for (String k : List.of("header", "delimiter")) {
          if (e.get(k) != null) throw WeirException.project(file, e.lineOf(k), "'" + k + "' applies to CSV exports only");
        }
      }
      spec.put("path", path);
      spec.put("format", format);
      spec.put("single_file", isFile);
      spec.put("partition_by", partitionBy);
      spec.put("header", Boolean.parseBoolean(IngestionSpecs.str(e.get("header"), "true")));
      String delim = IngestionSpecs.str(e.get("delimiter"), ",");
      if (delim.equals("\\t")) delim = "\t";
      if (delim.length() != 1) throw WeirException.project(file, e.lineOf("delimiter"), "delimiter must be one character");
      spec.put("delimiter", delim);
      n.extra.put("export", spec);
      n.checksum = Integer.toHexString(spec.toString().hashCode() ^ expr.hashCode());
      out.add(n);
    }
    return out;
  }
}
