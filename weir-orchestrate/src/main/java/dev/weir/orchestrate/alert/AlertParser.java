package dev.weir.orchestrate.alert;

import dev.weir.core.WeirException;
import dev.weir.core.util.Secrets;
import dev.weir.core.util.Suggest;
import dev.weir.core.util.Yaml;
import dev.weir.orchestrate.PipelineLoader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code alerts:} and {@code late_after:} of a pipeline file (and the project's defaults in
 * {@code pipelines/alerts.yml}) into an {@link AlertSpec}, and resolves a target's env_var references when alerts are
 * sent. Secrets are accepted only from environment variables: an SMTP password or a Slack address written in the file,
 * or a webhook address that holds what looks like a token, is an error naming the file and line.
 */
public final class AlertParser {
  /** The file in pipelines/ that holds the project's default alerts instead of a pipeline. */
  public static final String DEFAULTS_FILE = "alerts.yml";

  private static final Set<String> TARGET_KEYS = new LinkedHashSet<>(List.of("on", "webhook", "slack", "email"));
  private static final Set<String> KINDS = new LinkedHashSet<>(List.of("webhook", "slack", "email"));
  private static final Set<String> EMAIL_KEYS = new LinkedHashSet<>(List.of("to", "from", "smtp_host", "smtp_port", "username", "password",
      "starttls", "ssl"));
  private static final Set<String> DEFAULTS_KEYS = new LinkedHashSet<>(List.of("alerts", "late_after"));
  /** {@code {{ env_var('NAME') }}} or {@code {{ env_var('NAME', 'default') }}}. */
  private static final Pattern ENV = Pattern.compile("\\{\\{\\s*env_var\\(\\s*['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]\\s*(?:,\\s*['\"]([^'\"]*)['\"]\\s*)?\\)\\s*}}");
  private static final Pattern TOKENISH = Pattern.compile("[A-Za-z0-9_\\-]{16,}");
  private static final Set<AlertSpec.Event> DEFAULT_EVENTS = EnumSet.of(AlertSpec.Event.FAILURE, AlertSpec.Event.RECOVERY);
  private static final Set<AlertSpec.Event> STEP_DEFAULT_EVENTS = EnumSet.of(AlertSpec.Event.FAILURE);

  private AlertParser() {}

  /** The project's default alerts from {@code pipelines/alerts.yml}, or {@link AlertSpec#NONE} without that file. */
  public static AlertSpec loadDefaults(Path projectDir) {
    for (String n : List.of(DEFAULTS_FILE, "alerts.yaml")) {
      Path f = projectDir.resolve(PipelineLoader.FOLDER).resolve(n);
      if (!Files.isRegularFile(f)) continue;
      String display = PipelineLoader.FOLDER + "/" + n;
      Object doc = Yaml.load(f, display);
      if (doc == null) continue;
      if (!(doc instanceof Yaml.YMap m)) {
        throw WeirException.project(display, doc instanceof Yaml.YList l ? l.line : 1,
            "The alerts file holds 'alerts:' (a list of targets) and optionally 'late_after:', the defaults of every pipeline");
      }
      checkKeys(m, DEFAULTS_KEYS, "alerts file");
      return parse(m, display, true, AlertSpec.NONE);
    }
    return AlertSpec.NONE;
  }

  /** Whether {@code f} is the defaults file (not a pipeline). */
  public static boolean isDefaultsFile(Path f) {
    String n = f.getFileName().toString();
    return n.equals(DEFAULTS_FILE) || n.equals("alerts.yaml");
  }

  /**
   * The alerts of one pipeline file: its {@code alerts:} (a list of targets; {@code alerts: []} turns the project's
   * defaults off) and {@code late_after:}, each falling back to {@code defaults} when absent.
   *
   * @param scheduled whether the pipeline has a schedule (lateness needs one)
   */
  public static AlertSpec parse(Yaml.YMap m, String display, boolean scheduled, AlertSpec defaults) {
    List<AlertSpec.Target> targets = defaults.targets();
    if (m.containsKey("alerts")) targets = targets(m, display, DEFAULT_EVENTS);
    Duration lateAfter = scheduled ? defaults.lateAfter() : null;
    if (m.get("late_after") != null) {
      if (!scheduled) {
        throw WeirException.project(display, m.lineOf("late_after"), "'late_after' needs a 'schedule:': lateness is counted from the end of a scheduled interval");
      }
      lateAfter = positiveDuration(m, "late_after");
    }
    if (lateAfter == null && m.containsKey("alerts")) {
      for (AlertSpec.Target t : targets) {
        if (t.on().contains(AlertSpec.Event.LATE)) {
          throw WeirException.project(t.file(), t.line(), "An alert 'on: [late]' needs 'late_after:' (e.g. 'late_after: 2h') on the pipeline"
              + (scheduled ? "" : ", which needs a 'schedule:'") + " or in " + PipelineLoader.FOLDER + "/" + DEFAULTS_FILE);
        }
      }
    }
    return new AlertSpec(targets, lateAfter, stepTargets(m, display));
  }

  /** The {@code alerts:} of steps that have one: only {@code failure} and {@code retry} (default: failure) are step events. */
  private static Map<String, List<AlertSpec.Target>> stepTargets(Yaml.YMap m, String display) {
    Map<String, List<AlertSpec.Target>> out = new LinkedHashMap<>();
    if (!(m.get("steps") instanceof Yaml.YList steps)) return out;
    for (Object o : steps) {
      if (!(o instanceof Yaml.YMap sm) || !sm.containsKey("alerts") || sm.get("name") == null) continue;
      List<AlertSpec.Target> ts = targets(sm, display, STEP_DEFAULT_EVENTS);
      for (AlertSpec.Target t : ts) {
        for (AlertSpec.Event e : t.on()) {
          if (e != AlertSpec.Event.FAILURE && e != AlertSpec.Event.RETRY) {
            throw WeirException.project(display, t.line(), "A step's alerts hear only failure and retry ('" + e.key()
                + "' is about the whole run: declare it in the pipeline's 'alerts:')");
          }
        }
      }
      out.put(String.valueOf(sm.get("name")), ts);
    }
    return Map.copyOf(out);
  }

  private static List<AlertSpec.Target> targets(Yaml.YMap m, String display, Set<AlertSpec.Event> defaultEvents) {
    Object v = m.get("alerts");
    if (v == null) return List.of();
    if (!(v instanceof Yaml.YList list)) {
      throw WeirException.project(display, m.lineOf("alerts"), "'alerts' is a list of targets, each with 'on:' and one of: " + String.join(", ", KINDS));
    }
    List<AlertSpec.Target> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof Yaml.YMap tm)) {
        throw WeirException.project(display, list.lineOf(i), "Each alert is a mapping with 'on:' and one of: " + String.join(", ", KINDS));
      }
      out.add(target(tm, display, defaultEvents));
    }
    return List.copyOf(out);
  }

  private static AlertSpec.Target target(Yaml.YMap tm, String display, Set<AlertSpec.Event> defaultEvents) {
    // YAML 1.1 reads an unquoted key 'on' as the boolean true
    if (tm.containsKey("true")) {
      Yaml.YMap fixed = new Yaml.YMap(tm.file, tm.line);
      fixed.putAll(tm);
      fixed.remove("true");
      fixed.put("on", tm.get("true"));
      int onLine = tm.lineOf("true");
      checkKeys(fixed, TARGET_KEYS, "alert", tm);
      return target(fixed, display, onLine, tm, defaultEvents);
    }
    checkKeys(tm, TARGET_KEYS, "alert", tm);
    return target(tm, display, tm.lineOf("on"), tm, defaultEvents);
  }

  private static AlertSpec.Target target(Yaml.YMap tm, String display, int onLine, Yaml.YMap lines, Set<AlertSpec.Event> defaultEvents) {
    List<String> kinds = tm.keySet().stream().filter(KINDS::contains).toList();
    if (kinds.size() != 1) {
      throw WeirException.project(display, tm.line, "An alert needs exactly one of: " + String.join(", ", KINDS)
          + (kinds.isEmpty() ? "" : " (it has " + String.join(" and ", kinds) + ")"));
    }
    Set<AlertSpec.Event> on = events(tm.get("on"), display, onLine, defaultEvents);
    String k = kinds.get(0);
    int line = lines.lineOf(k);
    return switch (k) {
      case "webhook" -> new AlertSpec.Target(on, AlertSpec.Kind.WEBHOOK, webhook(lines, k, display, false), null, display, line);
      case "slack" -> new AlertSpec.Target(on, AlertSpec.Kind.SLACK, webhook(lines, k, display, true), null, display, line);
      default -> new AlertSpec.Target(on, AlertSpec.Kind.EMAIL, null, email(lines, display), display, line);
    };
  }

  private static Set<AlertSpec.Event> events(Object v, String display, int line, Set<AlertSpec.Event> defaultEvents) {
    if (v == null) return Set.copyOf(defaultEvents);
    List<Object> names = new ArrayList<>();
    if (v instanceof List<?> l) names.addAll(l);
    else if (v instanceof Map<?, ?>) throw WeirException.project(display, line, "'on' is a list of events: failure, retry, recovery, success, late");
    else names.add(v);
    Set<String> known = new LinkedHashSet<>();
    for (AlertSpec.Event e : AlertSpec.Event.values()) known.add(e.key());
    Set<AlertSpec.Event> out = EnumSet.noneOf(AlertSpec.Event.class);
    for (Object n : names) {
      String s = String.valueOf(n).trim().toLowerCase(Locale.ROOT);
      if (!known.contains(s)) {
        throw WeirException.project(display, line, "Unknown alert event '" + n + "'." + Suggest.didYouMean(s, known) + " Events: " + String.join(", ", known));
      }
      out.add(AlertSpec.Event.valueOf(s.toUpperCase(Locale.ROOT)));
    }
    if (out.isEmpty()) throw WeirException.project(display, line, "'on' names no event (events: " + String.join(", ", known) + ")");
    return Set.copyOf(out);
  }

  private static String webhook(Yaml.YMap tm, String key, String display, boolean slack) {
    String raw = value(tm, key, display);
    int line = tm.lineOf(key);
    if (raw == null || raw.isBlank()) throw WeirException.project(display, line, "'" + key + "' must be an http:// or https:// address");
    boolean fromEnv = ENV.matcher(raw).find();
    if (!fromEnv) {
      URI u = uri(raw, key, display, line);
      if (slack) {
        throw WeirException.project(display, line, "The Slack webhook address is a secret (it holds the token): give it as "
            + "slack: \"{{ env_var('SLACK_WEBHOOK_URL') }}\", never as a literal in the project");
      }
      if (looksLikeCredential(u)) {
        throw WeirException.project(display, line, "The webhook address " + masked(raw) + "... holds what looks like a credential "
            + "(user:password@, a query string or a long token in its path): give it as webhook: \"{{ env_var('ALERT_WEBHOOK_URL') }}\", "
            + "never as a literal in the project");
      }
    }
    return raw;
  }

  private static URI uri(String text, String key, String display, int line) {
    try {
      URI u = new URI(text.trim());
      if (!"http".equalsIgnoreCase(u.getScheme()) && !"https".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
        throw new URISyntaxException(text, "not http(s)");
      }
      return u;
    } catch (URISyntaxException e) {
      throw WeirException.project(display, line, "'" + key + "' must be an http:// or https:// address");
    }
  }

  private static boolean looksLikeCredential(URI u) {
    if (u.getRawUserInfo() != null || u.getRawQuery() != null) return true;
    String path = u.getRawPath() == null ? "" : u.getRawPath();
    for (String seg : path.split("/")) {
      if (TOKENISH.matcher(seg).matches() && seg.chars().anyMatch(Character::isDigit) && seg.chars().anyMatch(Character::isLetter)) return true;
    }
    return false;
  }

  private static AlertSpec.Email email(Yaml.YMap tm, String display) {
    if (!(tm.get("email") instanceof Yaml.YMap em)) {
      throw WeirException.project(display, tm.lineOf("email"), "'email' is a mapping with to, from, smtp_host, smtp_port, username, password, starttls");
    }
    checkKeys(em, EMAIL_KEYS, "email alert", em);
    List<String> to = new ArrayList<>();
    Object t = em.get("to");
    if (t instanceof List<?> l) for (Object x : l) to.add(String.valueOf(x));
    else if (t != null && !(t instanceof Map)) to.add(String.valueOf(t));
    if (to.isEmpty()) throw WeirException.project(display, em.containsKey("to") ? em.lineOf("to") : em.line, "An email alert needs 'to:', one address or a list");
    for (String a : to) {
      if (!a.contains("@") && !ENV.matcher(a).find()) throw WeirException.project(display, em.lineOf("to"), "'" + a + "' is not an email address");
    }
    String from = value(em, "from", display);
    if (from == null) throw WeirException.project(display, em.line, "An email alert needs 'from:', the sender's address");
    String host = value(em, "smtp_host", display);
    if (host == null) throw WeirException.project(display, em.line, "An email alert needs 'smtp_host:', the SMTP server");
    boolean ssl = em.containsKey("ssl") && bool(em, "ssl");
    boolean starttls = em.containsKey("starttls") ? bool(em, "starttls") : !ssl;
    int port = starttls ? 587 : ssl ? 465 : 25;
    if (em.containsKey("smtp_port")) {
      if (!(em.get("smtp_port") instanceof Long l) || l < 1 || l > 65535) {
        throw WeirException.project(display, em.lineOf("smtp_port"), "'smtp_port' must be a port number (1 to 65535), not '" + em.get("smtp_port") + "'");
      }
      port = (int) (long) (Long) em.get("smtp_port");
    }
    String user = value(em, "username", display);
    String password = value(em, "password", display);
    if (password != null && !ENV.matcher(password).find()) {
      throw WeirException.project(display, em.lineOf("password"), "The SMTP password is a secret: give it as password: \"{{ env_var('SMTP_PASSWORD') }}\","
          + " never as a literal in the project");
    }
    if (password != null && user == null) throw WeirException.project(display, em.lineOf("password"), "An SMTP 'password' needs a 'username'");
    return new AlertSpec.Email(List.copyOf(to), from, host, port, user, password, starttls, ssl);
  }

  // ------------------------------------------------------------------ values

  /** A value as written: a scalar, or {@code {env_var: NAME}} turned into its {@code {{ env_var('NAME') }}} form. */
  private static String value(Yaml.YMap m, String key, String display) {
    Object v = m.get(key);
    if (v == null) return null;
    if (v instanceof Yaml.YMap em) {
      if (em.size() != 1 || !(em.get("env_var") instanceof String name)) {
        throw WeirException.project(display, m.lineOf(key), "'" + key + "' must be a value, \"{{ env_var('NAME') }}\" or {env_var: NAME}");
      }
      return "{{ env_var('" + name + "') }}";
    }
    if (v instanceof List) throw WeirException.project(display, m.lineOf(key), "'" + key + "' must be a single value, not a list");
    return String.valueOf(v);
  }

  /**
   * A value with its {@code {{ env_var('NAME') }}} references replaced from {@code env}; what comes from the environment
   * is registered as a secret when {@code secret} (so no log line, error or stored text shows it).
   *
   * @throws WeirException naming {@code file:line} when a variable without default is not set
   */
  public static String resolve(String raw, Function<String, String> env, boolean secret, String file, int line) {
    if (raw == null) return null;
    Matcher m = ENV.matcher(raw);
    StringBuilder out = new StringBuilder();
    boolean any = false;
    while (m.find()) {
      String v = env.apply(m.group(1));
      if (v == null) v = m.group(2);
      if (v == null) throw WeirException.project(file, line, "The alert reads environment variable " + m.group(1) + ", which is not set");
      if (secret) Secrets.register(v);
      any = true;
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    String s = out.toString();
    if (secret && any) Secrets.register(s);
    return s;
  }

  /** An address as it may be shown: scheme and host (and port) only, e.g. {@code https://hooks.slack.com}. */
  public static String masked(String url) {
    try {
      URI u = new URI(url.trim());
      if (u.getScheme() == null || u.getHost() == null) return "(address)";
      return u.getScheme() + "://" + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "");
    } catch (URISyntaxException e) {
      return "(address)";
    }
  }

  private static Duration positiveDuration(Yaml.YMap m, String key) {
    Object v = m.get(key);
    Duration d;
    try {
      d = v instanceof Number n ? Duration.ofMillis(Math.round(n.doubleValue() * 1000)) : PipelineLoader.parseDuration(String.valueOf(v));
    } catch (IllegalArgumentException e) {
      d = null;
    }
    if (d == null || d.isZero() || d.isNegative()) {
      throw WeirException.project(m.file, m.lineOf(key), "'" + key + "' must be a positive duration such as 30m, 2h or 1h30m, not '" + v + "'");
    }
    return d;
  }

  private static boolean bool(Yaml.YMap m, String key) {
    Object v = m.get(key);
    if (!(v instanceof Boolean b)) throw WeirException.project(m.file, m.lineOf(key), "'" + key + "' must be true or false, not '" + v + "'");
    return b;
  }

  private static void checkKeys(Yaml.YMap m, Set<String> known, String what) { checkKeys(m, known, what, m); }

  private static void checkKeys(Yaml.YMap m, Set<String> known, String what, Yaml.YMap lines) {
    for (String k : m.keySet()) {
      if (!known.contains(k)) {
        throw WeirException.project(m.file, lines.lineOf(k), "Unknown key '" + k + "' in " + what + "." + Suggest.didYouMean(k, known)
            + " Known keys: " + String.join(", ", known));
      }
    }
  }
}
