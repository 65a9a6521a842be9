package dev.weir.stream;

import dev.weir.core.project.SourceProvider;
import dev.weir.core.util.Yaml;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each stream's target as a source of the project: {@code source('streams', '<stream name>')} (the source's name can be
 * set with {@code source_name:}), so models and checks build on stream tables and lineage shows where they come from.
 * Only names, targets and topics are read here (no environment variables, no broker): full validation is
 * {@link StreamSpecs#load}'s, when a stream runs.
 */
public final class StreamSources implements SourceProvider {
  /** The source name stream tables get unless a stream says {@code source_name:}. */
  public static final String DEFAULT_SOURCE = "streams";

  @Override
  public List<Provided> sources(Path projectDir) {
    List<Provided> out = new ArrayList<>();
    for (Path f : StreamSpecs.files(projectDir)) {
      String shown = StreamSpecs.FOLDER + "/" + f.getFileName();
      for (Yaml.YMap m : StreamSpecs.entries(Yaml.load(f, shown))) {
        Object name = m.get("name");
        Object target = m.get("target");
        if (name == null || target == null) continue; // reported by StreamSpecs when the stream runs
        String t = String.valueOf(target);
        int dot = t.lastIndexOf('.');
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("weir_stream", String.valueOf(name));
        if (m.get("topics") != null) meta.put("topics", m.get("topics"));
        if (m.get("topic") != null) meta.put("topics", List.of(m.get("topic")));
        if (m.get("topic_pattern") != null) meta.put("topic_pattern", m.get("topic_pattern"));
        String source = m.get("source_name") == null ? DEFAULT_SOURCE : String.valueOf(m.get("source_name"));
        out.add(new Provided(source, String.valueOf(name), dot < 0 ? null : t.substring(0, dot), t.substring(dot + 1),
            m.get("description") == null ? "" : String.valueOf(m.get("description")), "", shown, m.line, "weir-stream", meta));
      }
    }
    return out;
  }
}
