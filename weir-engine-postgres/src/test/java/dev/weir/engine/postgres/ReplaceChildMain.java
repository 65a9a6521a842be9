package dev.weir.engine.postgres;

import dev.weir.core.engine.Engines;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.TargetConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A process killed in the middle of a replacement: {@code ReplaceChildMain <port> <database> <table> <sleepSeconds>}.
 * Connects to the test server with the test login, prints {@code STARTED} and then replaces the table
 * with a CTAS whose SELECT sleeps.
 */
public final class ReplaceChildMain {
  public static void main(String[] args) {
    Map<String, Object> s = new HashMap<>();
    s.put("type", "postgres");
    s.put("host", "localhost");
    s.put("port", Integer.parseInt(args[0]));
    s.put("user", TestingPostgres.USER);
    s.put("password", TestingPostgres.PASSWORD);
    s.put("dbname", args[1]);
    s.put("schema", "analytics");
    TargetConfig target = new TargetConfig("p", "dev", "postgres", args[1], "analytics", 1, s, Path.of("."));
    try (PostgresEngine engine = (PostgresEngine) Engines.forType("postgres").open(target, TestingPostgres.options(null));
         PostgresSession session = engine.openSession()) {
      System.out.println("STARTED");
      System.out.flush();
      long n = session.replaceTable(Relation.of(null, null, args[2]),
          "select g as id, 'new' as tag from generate_series(1, 5) g, (select pg_sleep(" + args[3] + ")) s");
      System.out.println("DONE " + n);
    }
  }
}
