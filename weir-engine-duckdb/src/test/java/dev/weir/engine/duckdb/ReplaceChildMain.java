package dev.weir.engine.duckdb;

import dev.weir.core.engine.Relation;
import java.nio.file.Path;
import java.util.Map;

/**
 * A process killed in the middle of a replacement: {@code ReplaceChildMain <projectDir> <path> <table> <rows>}.
 * Prints {@code STARTED} and then replaces the table with a large CTAS.
 */
public final class ReplaceChildMain {
  public static void main(String[] args) {
    Path projectDir = Path.of(args[0]);
    try (DuckDbEngine engine = TestSupport.open(projectDir, Map.of("path", args[1]));
         DuckDbSession s = engine.openSession()) {
      System.out.println("STARTED");
      System.out.flush();
      long n = s.replaceTable(Relation.of(null, null, args[2]),
          "select range as id, md5(range::varchar) as h from range(" + args[3] + ")");
      System.out.println("DONE " + n);
    }
  }
}
