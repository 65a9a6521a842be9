package dev.weir.stream;

import dev.weir.core.engine.Engine;
import dev.weir.core.engine.EngineOptions;
import dev.weir.core.engine.Engines;
import dev.weir.core.engine.Session;
import dev.weir.core.engine.TargetConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A real DuckDB warehouse on a file, for the stream tests. */
public final class TestWarehouse {
  private TestWarehouse() {}

  public static Engine duckdb(Path dir) {
    Map<String, Object> s = new HashMap<>();
    s.put("type", "duckdb");
    s.put("path", dir.resolve("warehouse.duckdb").toString());
    TargetConfig t = new TargetConfig("p", "dev", "duckdb", null, "main", 1, s, dir);
    return Engines.forType("duckdb").open(t, new EngineOptions(dir.resolve("target"), false, Duration.ofSeconds(30), "weir test", null));
  }

  /** The first column of the first row of {@code sql}. */
  public static Object scalar(Engine e, String sql) {
    try (Session s = e.openSession()) {
      return s.query(sql, 1).rows().get(0).get(0);
    }
  }

  public static List<List<Object>> rows(Engine e, String sql) {
    try (Session s = e.openSession()) {
      return s.query(sql, -1).rows();
    }
  }
}
