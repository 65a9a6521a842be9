package dev.weir.core.artifacts;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Scrubs secret values from every string an artifact writer emits (raw and compiled code, messages,
 * config and meta values, map keys of user-supplied maps). Writers call {@link #mask} on each string
 * they write, so an implementation must be fast and thread-safe.
 *
 * <p>dbt's rule: the values of environment variables whose names start with {@code DBT_ENV_SECRET}
 * must never reach logs or artifacts; they are replaced with {@value #REDACTED}.
 */
@FunctionalInterface
public interface SecretMasker {

  /** What a secret value is replaced with (as dbt does). */
  String REDACTED = "*****";

  /** The env var prefix that marks a secret (dbt's {@code DBT_ENV_SECRET}, with or without trailing underscore). */
  String SECRET_ENV_PREFIX = "DBT_ENV_SECRET";

  /** Returns {@code value} with every secret replaced; null stays null. */
  String mask(String value);

  /** A masker that changes nothing. */
  static SecretMasker none() { return v -> v; }

  /**
   * Masks every occurrence of each of the given secret values (empty values are ignored; longer
   * secrets are replaced first so that a secret containing another is fully redacted).
   */
  static SecretMasker forValues(Collection<String> secrets) {
    List<String> list = new ArrayList<>();
    for (String s : secrets) if (s != null && !s.isEmpty() && !list.contains(s)) list.add(s);
    if (list.isEmpty()) return none();
    list.sort(Comparator.comparingInt(String::length).reversed());
    String[] arr = list.toArray(String[]::new);
    return value -> {
      if (value == null || value.isEmpty()) return value;
      String out = value;
      for (String secret : arr) {
        if (out.contains(secret)) out = out.replace(secret, REDACTED);
      }
      return out;
    };
  }

  /**
   * Masks the values of the environment's {@code DBT_ENV_SECRET*} (and Weir's {@code WEIR_SECRET_*})
   * variables. (The process-wide registry {@code dev.weir.core.util.Secrets::mask} is also a valid
   * masker: {@code SecretMasker m = Secrets::mask;}.)
   */
  static SecretMasker fromEnvironment(Map<String, String> env) {
    List<String> secrets = new ArrayList<>();
    for (Map.Entry<String, String> e : env.entrySet()) {
      String k = e.getKey();
      if (k != null && (k.startsWith(SECRET_ENV_PREFIX) || k.startsWith("WEIR_SECRET_"))) secrets.add(e.getValue());
    }
    return forValues(secrets);
  }
}
