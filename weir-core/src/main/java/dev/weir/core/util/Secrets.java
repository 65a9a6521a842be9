package dev.weir.core.util;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Secret values seen in this process (values of {@code DBT_ENV_SECRET_*} env vars, profile
 * passwords and tokens). Every log line, error message and artifact string goes through
 * {@link #mask(String)} before it leaves the process.
 */
public final class Secrets {
  public static final String MASK = "*****";
  private static final List<String> VALUES = new CopyOnWriteArrayList<>();

  private Secrets() {}

  /** Registers a secret value (values shorter than 3 characters are not masked: they would mask everything). */
  public static void register(String value) {
    if (value == null || value.length() < 3 || VALUES.contains(value)) return;
    VALUES.add(value);
    // Longest first, so that a secret containing another is masked whole.
    VALUES.sort(Comparator.comparingInt(String::length).reversed());
  }

  public static String mask(String s) {
    if (s == null || VALUES.isEmpty()) return s;
    String out = s;
    for (String v : VALUES) {
      if (out.contains(v)) out = out.replace(v, MASK);
    }
    return out;
  }

  public static boolean isSecretEnvName(String name) {
    return name.startsWith("DBT_ENV_SECRET") || name.startsWith("WEIR_SECRET_");
  }

  /** For tests. */
  public static void clearForTests() { VALUES.clear(); }
}
