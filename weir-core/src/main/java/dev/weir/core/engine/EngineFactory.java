package dev.weir.core.engine;

import java.util.Set;

/**
 * Creates engines of one profile type. Registered in
 * {@code META-INF/services/dev.weir.core.engine.EngineFactory}.
 */
public interface EngineFactory {

  /** The {@code type:} value in profiles.yml this factory serves. */
  String type();

  /** Profile keys whose values are secrets (masked in logs, errors and artifacts). */
  default Set<String> secretKeys() { return Set.of("password", "token", "private_key", "secret"); }

  /**
   * The engine's SQL dialect, available without opening the warehouse (parse and compile of
   * relation names need it before any connection exists).
   */
  Dialect dialect(TargetConfig target);

  /** Profile keys this engine understands, used to flag misspelled keys with a suggestion. */
  Set<String> knownKeys();

  /**
   * Opens the warehouse described by {@code target}. Fails with a
   * {@link dev.weir.core.WeirException} naming the profile key at fault when the target is wrong,
   * and with a clear message naming the holder when the warehouse is locked by another process
   * past {@link EngineOptions#lockTimeout()}.
   */
  Engine open(TargetConfig target, EngineOptions options);
}
