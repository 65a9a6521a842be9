package dev.weir.core.project;

import dev.weir.core.WeirException;
import dev.weir.core.engine.TargetConfig;
import dev.weir.core.util.Yaml.YList;
import dev.weir.core.util.Yaml.YMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * File ingestions: an {@code ingestions:} entry with {@code files:} instead of a
 * {@code connection:}. {@code files:} is a list of tables, each read from local files (a path or a
 * glob relative to the project) in one format; a single mapping is a shorthand for one table
 * named after the ingestion. Each table becomes an INGESTION node and a source, exactly like a
 * database table (see {@link IngestionSpecs}); the resolved settings go to the node's
 * {@code extra["ingest"]} with {@code "kind": "files"}.
 */
public final class FileSpecs {
  private FileSpecs() {}

  /** The formats Weir reads files in (DuckDB's readers). */
  public static final List<String> FORMATS = List.of("csv", "json", "ndjson", "parquet", "orc");
  /** The modes a file table loads in; {@code append} (each file once) is the default. */
  public static final List<String> MODES = List.of("append", "full_refresh", "upsert");
  /** Compression values (DuckDB's). */
  public static final List<String> COMPRESSION = List.of("auto", "none", "gzip", "zstd");

  private static final Set<String> FILE_KEYS = Set.of("name", "description", "path", "format", "header", "delimiter", "quote",
      "columns", "compression", "mode", "primary_key", "on_schema_change", "bad_rows", "tags", "meta", "enabled", "data_tests",
      "tests");
  private static final Set<String> INGESTION_KEYS = Set.of("name", "description", "schema", "database", "mode",
      "on_schema_change", "bad_rows", "tags", "meta", "enabled", "files");

  static void build(String pkg, YMap e, String ing, TargetConfig target, Collection<String> existingSources,
                    Map<String, String> seen, List<Node> ingestions, List<Node> sources) {
    String file = e.file;
    for (String k : e.keySet()) {
      if (!INGESTION_KEYS.contains(k)) {
        throw WeirException.project(file, e.lineOf(k), "Ingestion '" + ing + "' reads files ('files:'): '" + k + "' does not apply"
            + (k.equals("connection") || k.equals("tables") ? " (a database ingestion is a separate entry)" : ""));
      }
    }
    String schema = IngestionSpecs.str(e.get("schema"), target.schema());
    String database = IngestionSpecs.str(e.get("database"), target.database());
    String mode = IngestionSpecs.choice(file, e, "mode", IngestionSpecs.str(e.get("mode"), "append"), MODES);
    String osc = IngestionSpecs.choice(file, e, "on_schema_change", IngestionSpecs.str(e.get("on_schema_change"), "append_new_columns"),
        IngestionSpecs.ON_SCHEMA_CHANGE);
    double maxFraction = IngestionSpecs.badRows(file, e, 0.0);
    List<YMap> tables = new ArrayList<>();
    Object f = e.get("files");
    if (f instanceof YMap single) {
      tables.add(single);
    } else if (f instanceof YList fl && !fl.isEmpty()) {
      for (int i = 0; i < fl.size(); i++) {
        if (!(fl.get(i) instanceof YMap t)) {
          throw WeirException.project(file, fl.lineOf(i), "Each entry of 'files:' of ingestion '" + ing + "' is a mapping:"
              + " {name: events, path: \"data/events/*.csv\"}");
        }
        tables.add(t);
      }
    } else {
      throw WeirException.project(file, e.lineOf("files"), "'files' of ingestion '" + ing + "' is a mapping {path: \"data/*.csv\", ...}"
          + " or a list of them, each with a 'name:'");
    }
    boolean shorthand = f instanceof YMap;
    for (YMap t : tables) {
      IngestionSpecs.checkKeys(file, t, FILE_KEYS, "file ingestion property");
      if (!Boolean.parseBoolean(IngestionSpecs.str(t.get("enabled"), "true"))) continue;
      String name = t.get("name") != null ? String.valueOf(t.get("name")) : shorthand ? ing : null;
      if (name == null) throw WeirException.project(file, t.line, "Each entry of 'files:' of ingestion '" + ing + "' needs a 'name:' (the target table)");
      if (!IngestionSpecs.NAME.matcher(name).matches()) {
        throw WeirException.project(file, t.lineOf("name"), "Table name '" + name + "' must be an identifier (letters, digits, _)");
      }
      String prev = seen.put(ing + "." + name, file + ":" + t.line);
      if (prev != null) {
        throw WeirException.project(file, t.line, "Table '" + name + "' of ingestion '" + ing + "' is declared twice (also at " + prev + ")");
      }
      if (t.get("path") == null || String.valueOf(t.get("path")).isBlank()) {
        throw WeirException.project(file, t.line, "File table '" + name + "' of ingestion '" + ing + "' needs a 'path:' (a file or a glob"
            + " relative to the project, e.g. \"data/events/*.csv.gz\")");
      }
      String path = String.valueOf(t.get("path")).strip();
      if (path.contains("://")) {
        throw WeirException.project(file, t.lineOf("path"), "path '" + path + "': only local files are read (a path relative to the"
            + " project, or an absolute one)");
      }
      String format = t.get("format") != null ? String.valueOf(t.get("format")).toLowerCase(Locale.ROOT) : formatOf(path);
      if (format == null) {
        throw WeirException.project(file, t.lineOf("path"), "Cannot tell the format of '" + path + "' from its name: set format: one of "
            + String.join(", ", FORMATS));
      }
      if (format.equals("jsonl")) format = "ndjson";
      format = IngestionSpecs.choice(file, t, "format", format, FORMATS);
      String tmode = IngestionSpecs.choice(file, t, "mode", IngestionSpecs.str(t.get("mode"), mode), MODES);
      Map<String, Object> spec = new LinkedHashMap<>();
      spec.put("kind", "files");
      spec.put("ingestion", ing);
      spec.put("table", name);
      spec.put("file", file);
      spec.put("line", t.line);
      spec.put("path", path);
      spec.put("format", format);
      spec.put("mode", tmode);
      spec.put("on_schema_change", IngestionSpecs.choice(file, t, "on_schema_change",
          IngestionSpecs.str(t.get("on_schema_change"), osc), IngestionSpecs.ON_SCHEMA_CHANGE));
      spec.put("max_bad_fraction", IngestionSpecs.badRows(file, t, maxFraction));
      if (t.get("header") != null) {
        String h = String.valueOf(t.get("header")).toLowerCase(Locale.ROOT);
        if (!h.equals("true") && !h.equals("false")) throw WeirException.project(file, t.lineOf("header"), "header is true or false");
        spec.put("header", Boolean.parseBoolean(h));
      }
      for (String k : List.of("delimiter", "quote")) {
        if (t.get(k) == null) continue;
        String v = String.valueOf(t.get(k));
        if (v.equals("\\t") || v.equalsIgnoreCase("tab")) v = "\t";
        if (v.length() != 1) throw WeirException.project(file, t.lineOf(k), k + " must be one character (or \"\\t\"), not '" + v + "'");
        spec.put(k, v);
      }
      if (!format.equals("csv")) {
        for (String k : List.of("header", "delimiter", "quote")) {
          if (t.get(k) != null) throw WeirException.project(file, t.lineOf(k), "'" + k + "' applies to CSV files only (format is " + format + ")");
        }
      }
      spec.put("compression", IngestionSpecs.choice(file, t, "compression", IngestionSpecs.str(t.get("compression"), "auto"), COMPRESSION));
      Map<String, String> cols = new LinkedHashMap<>();
      if (t.get("columns") != null) {
        if (!(t.get("columns") instanceof YMap cm) || cm.isEmpty()) {
          throw WeirException.project(file, t.lineOf("columns"), "'columns' of a file table declares its schema: a mapping of"
              + " name: TYPE (BIGINT, INTEGER, DECIMAL(p,s), DOUBLE, BOOLEAN, DATE, TIMESTAMP, TIMESTAMPTZ, TIME, VARCHAR)");
        }
        for (var ce : cm.entrySet()) {
          String ty = String.valueOf(ce.getValue()).strip();
          if (!ty.matches("(?i)(BIGINT|INTEGER|INT|SMALLINT|DOUBLE|FLOAT|REAL|BOOLEAN|BOOL|DATE|TIMESTAMP|TIMESTAMPTZ|TIME|VARCHAR|TEXT"
              + "|(DECIMAL|NUMERIC)\\s*\\(\\s*\\d+\\s*(,\\s*\\d+\\s*)?\\))")) {
            throw WeirException.project(file, cm.lineOf(ce.getKey()), "Column '" + ce.getKey() + "': '" + ty + "' is not a type file"
                + " ingestion knows (BIGINT, INTEGER, SMALLINT, DECIMAL(p,s), DOUBLE, BOOLEAN, DATE, TIMESTAMP, TIMESTAMPTZ, TIME, VARCHAR)");
          }
          cols.put(ce.getKey(), ty.toUpperCase(Locale.ROOT));
        }
      }
      spec.put("columns", cols);
      Object pk = t.get("primary_key");
      if (pk != null) {
        List<String> keys = new ArrayList<>();
        for (Object k : ConfigKeys.asList(pk)) keys.add(String.valueOf(k));
        spec.put("primary_key", keys);
      }
      if (tmode.equals("upsert") && pk == null) {
        throw WeirException.project(file, t.line, "File table '" + name + "' loads in mode upsert and needs a 'primary_key:' [col, ...]");
      }
      spec.put("schema", schema);
      spec.put("database", database);

      Node n = IngestionSpecs.ingestionNode(pkg, ing, name, file, schema, database, tmode, spec, e, shorthand ? null : t, t);
      ingestions.add(n);
      sources.add(IngestionSpecs.sourceFor(pkg, ing, name, n, e, t.line, existingSources));
    }
  }

  /** The format a path's name says (csv, json, ndjson, parquet, orc), compression suffixes aside; null when unknown. */
  static String formatOf(String path) {
    String p = path.toLowerCase(Locale.ROOT).replaceAll("[*?]+$", "").replaceAll("\\.(gz|gzip|zst|zstd)$", "");
    if (p.endsWith(".csv") || p.endsWith(".tsv") || p.endsWith(".txt")) return "csv";
    if (p.endsWith(".ndjson") || p.endsWith(".jsonl")) return "ndjson";
    if (p.endsWith(".json")) return "json";
    if (p.endsWith(".parquet") || p.endsWith(".pq")) return "parquet";
    if (p.endsWith(".orc")) return "orc";
    return null;
  }
}
