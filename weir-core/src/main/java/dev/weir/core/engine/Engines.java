package dev.weir.core.engine;

import dev.weir.core.WeirException;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds engine factories on the class path. */
public final class Engines {
  private Engines() {}

  public static Map<String, EngineFactory> available() {
    Map<String, EngineFactory> found = new TreeMap<>();
    for (EngineFactory f : ServiceLoader.load(EngineFactory.class)) found.put(f.type(), f);
    return found;
  }

  public static EngineFactory forType(String type) {
    Map<String, EngineFactory> all = available();
    EngineFactory f = all.get(type);
    if (f == null) {
      throw WeirException.usage("No engine for profile type '" + type + "'. Available: "
          + String.join(", ", all.keySet()));
    }
    return f;
  }
}
