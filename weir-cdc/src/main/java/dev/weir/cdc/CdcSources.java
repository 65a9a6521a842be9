package dev.weir.cdc;

import dev.weir.core.project.SourceProvider;
import dev.weir.core.util.Yaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The tables a CDC source keeps as sources of the project: {@code source('<cdc source name>', '<table>')} for each
 * table named in {@code tables:} (and {@code '<table>_history'} when {@code history: true}), in the source's
 * {@code target_schema}, with loader {@code weir-cdc}. Tables matched by {@code table_pattern} are known only once
 * captured and are not sources (declare them under {@code sources:}). Only names are read: no connection, no
 * environment variables.
 */
public final class CdcSources implements SourceProvider {
  @Override
  public List<Provided> sources(Path projectDir) {
    Path dir = projectDir.resolve(CdcSpecs.FOLDER);
    if (!Files.isDirectory(dir)) return List.of();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".yml") || p.getFileName().toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
    List<Provided> out = new ArrayList<>();
    for (Path f : files) {
      String shown = CdcSpecs.FOLDER + "/" + f.getFileName();
      for (Yaml.YMap m : entries(Yaml.load(f, shown))) {
        Object name = m.get("name");
        if (name == null || !(m.get("tables") instanceof Yaml.YList tables)) continue; // reported when the source runs
        String schema = m.get("target_schema") != null ? String.valueOf(m.get("target_schema")) : "raw_" + name;
        boolean history = Boolean.TRUE.equals(m.get("history"));
        // publish.warehouse false: the tables are in Kafka only (a stream with format debezium makes them sources)
        if (m.get("publish") instanceof Yaml.YMap pub && Boolean.FALSE.equals(pub.get("warehouse"))) continue;
        for (Object t : tables) {
          String full = String.valueOf(t).strip();
          String table = full.substring(full.indexOf('.') + 1);
          Map<String, Object> meta = new LinkedHashMap<>();
          meta.put("weir_cdc", String.valueOf(name));
          String connector = m.get("connector") == null ? "postgres" : String.valueOf(m.get("connector"));
          String defaultSchema = connector.equalsIgnoreCase("postgres") ? "public" : String.valueOf(m.get("database"));
          meta.put("source_table", full.contains(".") ? full : defaultSchema + "." + full);
          String desc = m.get("description") == null ? "" : String.valueOf(m.get("description"));
          out.add(new Provided(String.valueOf(name), table, schema, table, "", desc, shown, m.line, "weir-cdc", meta));
          if (history) {
            Map<String, Object> hm = new LinkedHashMap<>(meta);
            hm.put("history_of", table);
            out.add(new Provided(String.valueOf(name), table + "_history", schema, table + "_history",
                "Every change of " + table + " in source order", desc, shown, m.line, "weir-cdc", hm));
          }
        }
      }
    }
    return out;
  }

  private static List<Yaml.YMap> entries(Object root) {
    if (!(root instanceof Yaml.YMap m)) return List.of();
    if (m.containsKey("cdc") && !m.containsKey("name")) {
      List<Yaml.YMap> out = new ArrayList<>();
      if (m.get("cdc") instanceof Yaml.YList list) for (Object o : list) if (o instanceof Yaml.YMap sm) out.add(sm);
      return out;
    }
    return List.of(m);
  }
}
