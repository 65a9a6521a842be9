package dev.weir.ingest;

import dev.weir.core.WeirException;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/**
 * Reads ORC files for file ingestion. DuckDB has no ORC reader offline, so an ORC file is rewritten
 * as newline-delimited JSON (next to the load's other temporary files) that DuckDB reads with the
 * column types the ORC schema declares: nothing is sniffed. The implementation (module weir-orc,
 * Apache ORC with Hadoop's shaded client jars, ~130 MB) is not on Weir's class path, which it would
 * slow at every start: it is loaded from the folder named by the system property
 * {@code weir.orc.lib} (the launcher sets it) the first time a project ingests ORC, or found on the
 * class path (tests).
 */
public interface OrcReader {
  /** A converted file: its JSON lines and the DuckDB type of each top-level column, in file order. */
  record Converted(Path json, LinkedHashMap<String, String> types, long rows) {}

  /** Rewrites ORC file {@code orc} as newline-delimited JSON at {@code json}. */
  Converted convert(Path orc, Path json) throws IOException;

  /** The installed reader (loaded once). */
  static OrcReader get() {
    return Holder.get();
  }

  /** {@code columns = {...}} of DuckDB's read_json for a converted file. */
  static String columnsStruct(Map<String, String> types) {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, String> e : types.entrySet()) {
      if (sb.length() > 1) sb.append(", ");
      sb.append('\'').append(e.getKey().replace("'", "''")).append("': '").append(e.getValue().replace("'", "''")).append('\'');
    }
    return sb.append('}').toString();
  }

  /** Finds the reader on first use. */
  final class Holder {
    private static OrcReader reader;

    private Holder() {}

    static synchronized OrcReader get() {
      if (reader == null) reader = find();
      return reader;
    }

    private static OrcReader find() {
      Iterator<OrcReader> onPath = ServiceLoader.load(OrcReader.class, OrcReader.class.getClassLoader()).iterator();
      if (onPath.hasNext()) return onPath.next();
      String dir = System.getProperty("weir.orc.lib");
      if (dir == null || !Files.isDirectory(Path.of(dir))) {
        throw WeirException.runtime("ORC support is not installed: Weir's ORC reader (module weir-orc) was not found"
            + (dir == null ? "" : " in " + dir) + "; build Weir with its launcher (./weir) or put weir-orc and its dependencies on the class path", null);
      }
      List<URL> urls = new ArrayList<>();
      try (Stream<Path> jars = Files.list(Path.of(dir))) {
        for (Path j : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) urls.add(j.toUri().toURL());
      } catch (IOException e) {
        throw WeirException.runtime("Cannot list Weir's ORC reader in " + dir + ": " + e.getMessage(), e);
      }
      ClassLoader loader = new URLClassLoader("weir-orc", urls.toArray(URL[]::new), OrcReader.class.getClassLoader());
      Iterator<OrcReader> found = ServiceLoader.load(OrcReader.class, loader).iterator();
      if (!found.hasNext()) throw WeirException.runtime("No ORC reader in " + dir + " (weir-orc's jar is missing from it)", null);
      return found.next();
    }
  }
}
