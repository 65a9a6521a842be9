package dev.weir.core.project;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Tables that other parts of Weir keep loaded (streams, change data capture) declared as sources of the project, so that
 * models, checks and lineage build on them like on any other source. An implementation lives in the module that owns
 * the files ({@code streams/*.yml} in weir-stream) and is registered in
 * {@code META-INF/services/dev.weir.core.project.SourceProvider}. It reads only names and targets, never connects to
 * anything: parsing stays offline and fast.
 */
public interface SourceProvider {

  /** The sources the project at {@code projectDir} defines through this provider's files (none when it has no such files). */
  List<Provided> sources(Path projectDir);

  /**
   * One provided source table.
   *
   * @param sourceName  the source's name ({@code source('<sourceName>', '<table>')})
   * @param table       the table's name in the source
   * @param schema      the schema it lands in, or null for the target's schema
   * @param identifier  the relation's name in the warehouse
   * @param description the table's description (may be empty)
   * @param sourceDescription the source's description (may be empty)
   * @param file        the file declaring it, relative to the project (for messages and the manifest)
   * @param line        the line of its declaration
   * @param loader      what keeps it loaded (the manifest's {@code loader}), e.g. "weir-stream"
   * @param meta        extra facts for the manifest's {@code meta} (e.g. the topics)
   */
  record Provided(String sourceName, String table, String schema, String identifier, String description, String sourceDescription,
      String file, int line,
      String loader, Map<String, Object> meta) {}

  /** The providers on the class path. */
  static List<SourceProvider> installed() { return Holder.ALL; }

  /** Lazily loaded list of installed providers. */
  final class Holder {
    private Holder() {}

    static final List<SourceProvider> ALL = ServiceLoader.load(SourceProvider.class).stream().map(ServiceLoader.Provider::get).toList();
  }
}
