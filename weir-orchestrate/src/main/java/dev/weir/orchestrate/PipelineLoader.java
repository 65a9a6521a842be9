package dev.weir.orchestrate;

import dev.weir.core.WeirException;
import dev.weir.core.util.Suggest;
import dev.weir.core.util.Yaml;
import dev.weir.orchestrate.alert.AlertParser;
import dev.weir.orchestrate.alert.AlertSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads {@code pipelines/*.yml} of a project into {@link Pipeline}s, checking everything a run would trip
 * over later: unknown keys (with the closest known one suggested), steps without exactly one kind, unknown
 * steps in {@code depends_on}, dependency cycles, references to unknown pipelines, bad cron expressions,
 * unknown time zones and malformed durations. Each error names the file and line.
 */
public final class PipelineLoader {
  /** The folder, relative to the project, that holds pipeline files. */
  public static final String FOLDER = "pipelines";
  /** The file in {@link #FOLDER} that declares pools ({@code pools: {name: slots}}) instead of a pipeline. */
  public static final String POOLS_FILE = "pools.yml";

  private static final Set<String> PIPELINE_KEYS = new LinkedHashSet<>(List.of("name", "description", "params", "schedule",
      "retries", "retry_delay", "retry_backoff", "max_retry_delay", "timeout", "max_parallel", "max_active_runs", "depends_on_past",
      "pool", "steps", "alerts", "late_after"));
  private static final Set<String> STEP_KEYS = new LinkedHashSet<>(List.of("name", "description", "depends_on", "weir", "shell",
      "noop", "http", "pipeline", "retries", "retry_delay", "retry_backoff", "max_retry_delay", "timeout", "pool", "depends_on_past", "sensor",
      "alerts"));
  private static final Set<String> KINDS = new LinkedHashSet<>(List.of("weir", "shell", "noop", "http", "pipeline", "sensor"));
  private static final Set<String> SENSOR_KEYS = new LinkedHashSet<>(List.of("file", "source_freshness", "pipeline", "step", "http",
      "body_contains", "poke_interval", "timeout"));
  private static final List<String> SENSOR_KINDS = List.of("file", "source_freshness", "pipeline", "http");
  /** Airflow's default poke interval is 60 s; files and HTTP conditions are cheap to look at, so half that. */
  static final Duration DEFAULT_POKE = Duration.ofSeconds(30);
  /** How long a sensor waits by default before its try fails. */
  static final Duration DEFAULT_SENSOR_TIMEOUT = Duration.ofHours(24);
  private static final Set<String> SCHEDULE_KEYS = new LinkedHashSet<>(List.of("cron", "timezone", "catchup", "start_date", "end_date"));
  private static final Set<String> HTTP_KEYS = new LinkedHashSet<>(List.of("url", "method", "expect_status", "body"));
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");

  private PipelineLoader() {}

  /** Every pipeline of the project at {@code projectDir}, by name (sorted); empty when there is no pipelines/ folder. */
  public static Map<String, Pipeline> load(Path projectDir) {
    Path dir = projectDir.resolve(FOLDER);
    Map<String, Pipeline> out = new TreeMap<>();
    if (!Files.isDirectory(dir)) return out;
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw WeirException.project(FOLDER, 0, "Cannot list pipeline files: " + e.getMessage());
    }
    Map<String, Integer> pools = loadPools(projectDir);
    AlertSpec alertDefaults = AlertParser.loadDefaults(projectDir);
    for (Path f : files) {
      if (isPoolsFile(f) || AlertParser.isDefaultsFile(f)) continue;
      String display = FOLDER + "/" + f.getFileName();
      Pipeline p = parse(Yaml.load(f, display), display, stem(f), alertDefaults);
      Pipeline dup = out.put(p.name(), p);
      if (dup != null) {
        throw WeirException.project(display, 1, "Pipeline '" + p.name() + "' is also declared in " + dup.file() + "; pipeline names must be unique");
      }
    }
    checkPipelineReferences(out);
    for (Pipeline p : out.values()) {
      for (Pipeline.Step s : p.steps()) {
        if (s.pool() != null && !pools.containsKey(s.pool())) {
          throw WeirException.project(p.file(), s.line(), "Step '" + s.name() + "' uses pool '" + s.pool() + "', which is not declared in "
              + FOLDER + "/" + POOLS_FILE + "." + Suggest.didYouMean(s.pool(), pools.keySet())
              + (pools.isEmpty() ? " Declare it there: 'pools: {" + s.pool() + ": 2}'." : " Pools: " + String.join(", ", pools.keySet())));
        }
      }
    }
    return out;
  }

  private static boolean isPoolsFile(Path f) {
    String n = f.getFileName().toString();
    return n.equals(POOLS_FILE) || n.equals("pools.yaml");
  }

  /**
   * The pools of the project: {@code pipelines/pools.yml} holding {@code pools:} with a name and a number of slots each
   * (e.g. {@code pools: {source_db: 2}}); empty when there is no such file.
   */
  public static Map<String, Integer> loadPools(Path projectDir) {
    Map<String, Integer> out = new TreeMap<>();
    for (String n : List.of(POOLS_FILE, "pools.yaml")) {
      Path f = projectDir.resolve(FOLDER).resolve(n);
      if (!Files.isRegularFile(f)) continue;
      String display = FOLDER + "/" + n;
      Object doc = Yaml.load(f, display);
      if (doc == null) continue;
      if (!(doc instanceof Yaml.YMap m) || !(m.get("pools") instanceof Yaml.YMap pm)) {
        throw WeirException.project(display, doc instanceof Yaml.YMap mm ? mm.line : 1, "The pools file holds 'pools:', a mapping of pool names to slot counts, e.g. 'pools: {source_db: 2}'");
      }
      checkKeys(m, Set.of("pools"), "pools file");
      for (String name : pm.keySet()) {
        if (!NAME.matcher(name).matches()) throw WeirException.project(display, pm.lineOf(name), "Pool name '" + name + "' must start with a letter or _ and hold only letters, digits, _, . and -");
        out.put(name, (int) integer(pm, name, 1));
      }
    }
    return out;
  }

  /** Parses one pipeline document ({@code display} names the file in messages; {@code defaultName} when no name: key). */
  public static Pipeline parse(Object doc, String display, String defaultName) { return parse(doc, display, defaultName, AlertSpec.NONE); }

  /** {@link #parse(Object, String, String)} with the project's default alerts (from {@code pipelines/alerts.yml}). */
  public static Pipeline parse(Object doc, String display, String defaultName, AlertSpec alertDefaults) {
    if (!(doc instanceof Yaml.YMap m)) {
      throw WeirException.project(display, doc instanceof Yaml.YList l ? l.line : 1,
          "A pipeline file holds a mapping with 'steps:' (and optionally name, params, schedule, retries, timeout)");
    }
    checkKeys(m, PIPELINE_KEYS, "pipeline");
    String name = m.containsKey("name") ? string(m, "name") : defaultName;
    if (name == null || !NAME.matcher(name).matches()) {
      throw WeirException.project(display, m.lineOf("name"), "Pipeline name '" + name + "' must start with a letter or _ and hold only letters, digits, _, . and -");
    }
    String description = m.containsKey("description") ? string(m, "description") : null;
    Map<String, Object> params = new LinkedHashMap<>();
    Object ps = m.get("params");
    if (ps != null) {
      if (!(ps instanceof Map<?, ?> pm)) throw WeirException.project(display, m.lineOf("params"), "'params' must be a mapping of names to default values");
      for (Map.Entry<?, ?> e : pm.entrySet()) params.put(String.valueOf(e.getKey()), e.getValue());
    }
    Schedule schedule = m.get("schedule") == null ? null : schedule(m, display);
    Pipeline.Policy defaults = policy(m, Pipeline.Policy.DEFAULT, display);
    int maxParallel = m.containsKey("max_parallel") ? (int) integer(m, "max_parallel", 1) : 8;
    int maxActiveRuns = m.containsKey("max_active_runs") ? (int) integer(m, "max_active_runs", 1) : 1;
    boolean dependsOnPast = m.containsKey("depends_on_past") && bool(m, "depends_on_past");
    String pool = m.containsKey("pool") ? string(m, "pool") : null;

    Object st = m.get("steps");
    if (!(st instanceof Yaml.YList list) || list.isEmpty()) {
      throw WeirException.project(display, m.containsKey("steps") ? m.lineOf("steps") : m.line, "A pipeline needs 'steps:', a list of steps");
    }
    List<Pipeline.Step> steps = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < list.size(); i++) {
      Object o = list.get(i);
      if (!(o instanceof Yaml.YMap sm)) throw WeirException.project(display, list.lineOf(i), "Each step is a mapping with 'name:' and one of: " + String.join(", ", KINDS));
      Pipeline.Step s = step(sm, defaults, display, pool, dependsOnPast);
      Integer prev = seen.put(s.name(), s.line());
      if (prev != null) throw WeirException.project(display, s.line(), "Step '" + s.name() + "' is declared twice (first on line " + prev + ")");
      steps.add(s);
    }
    for (Pipeline.Step s : steps) {
      for (String d : s.dependsOn()) {
        if (!seen.containsKey(d)) {
          throw WeirException.project(display, s.line(), "Step '" + s.name() + "' depends on '" + d + "', which is not a step of pipeline '"
              + name + "'." + Suggest.didYouMean(d, seen.keySet()));
        }
        if (d.equals(s.name())) throw WeirException.project(display, s.line(), "Step '" + s.name() + "' depends on itself");
      }
    }
    List<String> cycle = findCycle(steps);
    if (cycle != null) {
      throw WeirException.project(display, seen.get(cycle.get(0)), "Steps depend on each other in a cycle: " + String.join(" -> ", cycle));
    }
    AlertSpec alerts = AlertParser.parse(m, display, schedule != null, alertDefaults);
    return new Pipeline(name, description, display, params, schedule, maxParallel, maxActiveRuns, List.copyOf(steps), alerts);
  }

  private static Pipeline.Step step(Yaml.YMap sm, Pipeline.Policy defaults, String display, String defaultPool, boolean defaultPast) {
    checkKeys(sm, STEP_KEYS, "step");
    if (!sm.containsKey("name")) throw WeirException.project(display, sm.line, "A step needs a 'name:'");
    String name = string(sm, "name");
    if (!NAME.matcher(name).matches()) {
      throw WeirException.project(display, sm.lineOf("name"), "Step name '" + name + "' must start with a letter or _ and hold only letters, digits, _, . and -");
    }
    List<String> kinds = sm.keySet().stream().filter(KINDS::contains).toList();
    if (kinds.size() != 1) {
      throw WeirException.project(display, sm.line, "Step '" + name + "' needs exactly one of: " + String.join(", ", KINDS)
          + (kinds.isEmpty() ? "" : " (it has " + String.join(" and ", kinds) + ")"));
    }
    String k = kinds.get(0);
    Pipeline.Kind kind = Pipeline.Kind.valueOf(k.toUpperCase(java.util.Locale.ROOT));
    String command = null;
    Pipeline.Http http = null;
    Pipeline.Sensor sensor = null;
    switch (kind) {
      case WEIR, SHELL, PIPELINE -> {
        command = string(sm, k);
        if (command == null || command.isBlank()) throw WeirException.project(display, sm.lineOf(k), "Step '" + name + "': '" + k + ":' must not be empty");
      }
      case NOOP -> {
        Object v = sm.get(k);
        if (v != null && !(v instanceof Map<?, ?> nm && nm.isEmpty()) && !Boolean.TRUE.equals(v)) {
          throw WeirException.project(display, sm.lineOf(k), "Step '" + name + "': write 'noop: {}'");
        }
      }
      case HTTP -> http = http(sm, name, display);
      case SENSOR -> sensor = sensor(sm, name, display);
    }
    List<String> deps = new ArrayList<>();
    Object d = sm.get("depends_on");
    if (d instanceof String ds) deps.add(ds);
    else if (d instanceof List<?> dl) for (Object x : dl) deps.add(String.valueOf(x));
    else if (d != null) throw WeirException.project(display, sm.lineOf("depends_on"), "Step '" + name + "': 'depends_on' is a list of step names");
    String pool = sm.containsKey("pool") ? string(sm, "pool") : defaultPool;
    boolean past = sm.containsKey("depends_on_past") ? bool(sm, "depends_on_past") : defaultPast;
    return new Pipeline.Step(name, List.copyOf(new LinkedHashSet<>(deps)), kind, command, http, policy(sm, defaults, display), sm.line,
        pool, past, sensor);
  }

  private static Pipeline.Sensor sensor(Yaml.YMap sm, String step, String display) {
    if (!(sm.get("sensor") instanceof Yaml.YMap m)) {
      throw WeirException.project(display, sm.lineOf("sensor"), "Step '" + step + "': 'sensor' is a mapping with one of "
          + String.join(", ", SENSOR_KINDS) + ", and optionally poke_interval and timeout");
    }
    checkKeys(m, SENSOR_KEYS, "sensor");
    List<String> what = m.keySet().stream().filter(SENSOR_KINDS::contains).toList();
    if (what.size() != 1) {
      throw WeirException.project(display, sm.lineOf("sensor"), "Sensor step '" + step + "' waits for exactly one of: " + String.join(", ", SENSOR_KINDS)
          + (what.isEmpty() ? "" : " (it has " + String.join(" and ", what) + ")"));
    }
    String k = what.get(0);
    Pipeline.SensorKind kind = Pipeline.SensorKind.valueOf(k.toUpperCase(java.util.Locale.ROOT));
    if (m.containsKey("step") && kind != Pipeline.SensorKind.PIPELINE) {
      throw WeirException.project(display, m.lineOf("step"), "Sensor step '" + step + "': 'step' goes with 'pipeline:' only");
    }
    if (m.containsKey("body_contains") && kind != Pipeline.SensorKind.HTTP) {
      throw WeirException.project(display, m.lineOf("body_contains"), "Sensor step '" + step + "': 'body_contains' goes with 'http:' only");
    }
    Pipeline.Http http = kind == Pipeline.SensorKind.HTTP ? http(m, step, display) : null;
    String target = kind == Pipeline.SensorKind.HTTP ? http.url() : string(m, k);
    if (target == null || target.isBlank()) {
      throw WeirException.project(display, m.lineOf(k), "Sensor step '" + step + "': '" + k + ":' must not be empty");
    }
    if (kind == Pipeline.SensorKind.SOURCE_FRESHNESS && !target.matches("[A-Za-z_][A-Za-z0-9_]*\\.[A-Za-z_][A-Za-z0-9_]*")) {
      throw WeirException.project(display, m.lineOf(k), "Sensor step '" + step + "': 'source_freshness' names a source table as "
          + "source_name.table_name, not '" + target + "'");
    }
    Duration poke = m.containsKey("poke_interval") ? duration(m, "poke_interval") : DEFAULT_POKE;
    Duration timeout = m.containsKey("timeout") ? duration(m, "timeout") : DEFAULT_SENSOR_TIMEOUT;
    if (poke.isZero() || timeout.isZero()) {
      throw WeirException.project(display, m.lineOf(poke.isZero() ? "poke_interval" : "timeout"), "Sensor step '" + step
          + "': poke_interval and timeout must be longer than zero");
    }
    return new Pipeline.Sensor(kind, target, m.containsKey("step") ? string(m, "step") : null, http,
        m.containsKey("body_contains") ? string(m, "body_contains") : null, poke, timeout);
  }

  private static Pipeline.Http http(Yaml.YMap sm, String step, String display) {
    Object v = sm.get("http");
    if (v instanceof String url) return new Pipeline.Http(url, "GET", null, null);
    if (!(v instanceof Yaml.YMap hm)) throw WeirException.project(display, sm.lineOf("http"), "Step '" + step + "': 'http' is a mapping with url, method, expect_status");
    checkKeys(hm, HTTP_KEYS, "http step");
    String url = string(hm, "url");
    if (url == null || !(url.startsWith("http://") || url.startsWith("https://"))) {
      throw WeirException.project(display, hm.lineOf("url"), "Step '" + step + "': 'url' must be an http:// or https:// address");
    }
    String method = hm.containsKey("method") ? string(hm, "method").toUpperCase(java.util.Locale.ROOT) : "GET";
    Integer expect = hm.containsKey("expect_status") ? (int) integer(hm, "expect_status", 100) : null;
    return new Pipeline.Http(url, method, expect, hm.containsKey("body") ? string(hm, "body") : null);
  }

  private static Schedule schedule(Yaml.YMap m, String display) {
    Object v = m.get("schedule");
    int line = m.lineOf("schedule");
    Yaml.YMap sm;
    if (v instanceof String cron) {
      sm = new Yaml.YMap(display, line);
      sm.put("cron", cron);
    } else if (v instanceof Yaml.YMap x) {
      sm = x;
    } else {
      throw WeirException.project(display, line, "'schedule' is a mapping with cron, timezone, catchup, start_date, end_date");
    }
    checkKeys(sm, SCHEDULE_KEYS, "schedule");
    String cron = string(sm, "cron");
    if (cron == null) throw WeirException.project(display, sm.line, "'schedule' needs 'cron:' (5 fields, or @hourly, @daily, @weekly, @monthly, @yearly)");
    ZoneId zone = ZoneId.of("UTC");
    if (sm.containsKey("timezone")) {
      String tz = string(sm, "timezone");
      try {
        zone = ZoneId.of(tz);
      } catch (DateTimeException e) {
        throw WeirException.project(display, sm.lineOf("timezone"), "Unknown time zone '" + tz + "' (use a name such as Europe/Berlin or UTC)."
            + Suggest.didYouMean(tz, ZoneId.getAvailableZoneIds()));
      }
    }
    boolean catchup = sm.containsKey("catchup") ? bool(sm, "catchup") : false;
    Instant start = date(sm, "start_date", zone, display);
    Instant end = date(sm, "end_date", zone, display);
    if (start != null && end != null && end.isBefore(start)) {
      throw WeirException.project(display, sm.lineOf("end_date"), "end_date is before start_date");
    }
    try {
      return new Schedule(cron, zone, catchup, start, end);
    } catch (IllegalArgumentException e) {
      throw WeirException.project(display, sm.lineOf("cron"), "Bad cron expression: " + e.getMessage());
    }
  }

  private static Instant date(Yaml.YMap m, String key, ZoneId zone, String display) {
    if (m.get(key) == null) return null;
    try {
      return Schedule.parseDate(String.valueOf(m.get(key)), zone);
    } catch (IllegalArgumentException e) {
      throw WeirException.project(display, m.lineOf(key), "'" + key + "': " + e.getMessage());
    }
  }

  private static Pipeline.Policy policy(Yaml.YMap m, Pipeline.Policy base, String display) {
    int retries = m.containsKey("retries") ? (int) integer(m, "retries", 0) : base.retries();
    Duration delay = m.containsKey("retry_delay") ? duration(m, "retry_delay") : base.retryDelay();
    boolean backoff = m.containsKey("retry_backoff") ? bool(m, "retry_backoff") : base.retryBackoff();
    Duration maxDelay = m.containsKey("max_retry_delay") ? duration(m, "max_retry_delay") : base.maxRetryDelay();
    Duration timeout = m.containsKey("timeout") ? duration(m, "timeout") : base.timeout();
    if (timeout != null && timeout.isZero()) timeout = null;
    return new Pipeline.Policy(retries, delay, backoff, maxDelay, timeout);
  }

  // ------------------------------------------------------------------ values

  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

  /** "90s", "5m", "1h30m", "500ms", "2d", or a number of seconds. */
  public static Duration parseDuration(String text) {
    String t = text.trim().replace(" ", "");
    if (t.matches("\\d+(\\.\\d+)?")) return Duration.ofMillis(Math.round(Double.parseDouble(t) * 1000));
    Matcher mt = DURATION.matcher(t);
    long millis = 0;
    int at = 0;
    while (mt.find() && mt.start() == at) {
      double n = Double.parseDouble(mt.group(1));
      long unit = switch (mt.group(2)) {
        case "ms" -> 1;
        case "s" -> 1000;
        case "m" -> 60_000;
        case "h" -> 3_600_000;
        default -> 86_400_000;
      };
      millis += Math.round(n * unit);
      at = mt.end();
    }
    if (at == 0 || at != t.length()) throw new IllegalArgumentException(text);
    return Duration.ofMillis(millis);
  }

  private static Duration duration(Yaml.YMap m, String key) {
    Object v = m.get(key);
    try {
      if (v instanceof Number n) return Duration.ofMillis(Math.round(n.doubleValue() * 1000));
      return parseDuration(String.valueOf(v));
    } catch (IllegalArgumentException e) {
      throw WeirException.project(m.file, m.lineOf(key), "'" + key + "' must be a duration such as 30s, 5m, 1h30m or a number of seconds, not '" + v + "'");
    }
  }

  private static long integer(Yaml.YMap m, String key, long min) {
    Object v = m.get(key);
    if (!(v instanceof Long l) || l < min) throw WeirException.project(m.file, m.lineOf(key), "'" + key + "' must be a whole number of at least " + min + ", not '" + v + "'");
    return l;
  }

  private static boolean bool(Yaml.YMap m, String key) {
    Object v = m.get(key);
    if (!(v instanceof Boolean b)) throw WeirException.project(m.file, m.lineOf(key), "'" + key + "' must be true or false, not '" + v + "'");
    return b;
  }

  private static String string(Yaml.YMap m, String key) {
    Object v = m.get(key);
    if (v == null) return null;
    if (v instanceof Map || v instanceof List) throw WeirException.project(m.file, m.lineOf(key), "'" + key + "' must be a single value, not a " + (v instanceof Map ? "mapping" : "list"));
    return String.valueOf(v);
  }

  private static void checkKeys(Yaml.YMap m, Set<String> known, String what) {
    for (String k : m.keySet()) {
      if (!known.contains(k)) {
        throw WeirException.project(m.file, m.lineOf(k), "Unknown key '" + k + "' in " + what + "." + Suggest.didYouMean(k, known)
            + " Known keys: " + String.join(", ", known));
      }
    }
  }

  private static String stem(Path f) {
    String n = f.getFileName().toString();
    return n.substring(0, n.lastIndexOf('.'));
  }

  // ------------------------------------------------------------------ graph checks

  /** A dependency cycle as a path that starts and ends with the same step, or null. */
  private static List<String> findCycle(List<Pipeline.Step> steps) {
    Map<String, List<String>> deps = new LinkedHashMap<>();
    for (Pipeline.Step s : steps) deps.put(s.name(), s.dependsOn());
    return cycle(deps);
  }

  static List<String> cycle(Map<String, List<String>> edges) {
    Map<String, Integer> state = new HashMap<>(); // 1 = on the path, 2 = done
    for (String start : edges.keySet()) {
      List<String> path = new ArrayList<>();
      List<String> c = visit(start, edges, state, path);
      if (c != null) return c;
    }
    return null;
  }

  private static List<String> visit(String n, Map<String, List<String>> edges, Map<String, Integer> state, List<String> path) {
    Integer s = state.get(n);
    if (s != null && s == 2) return null;
    if (s != null && s == 1) {
      List<String> c = new ArrayList<>(path.subList(path.indexOf(n), path.size()));
      c.add(n);
      return c;
    }
    state.put(n, 1);
    path.add(n);
    for (String d : edges.getOrDefault(n, List.of())) {
      List<String> c = visit(d, edges, state, path);
      if (c != null) return c;
    }
    path.remove(path.size() - 1);
    state.put(n, 2);
    return null;
  }

  private static void checkPipelineReferences(Map<String, Pipeline> all) {
    Map<String, List<String>> calls = new LinkedHashMap<>();
    for (Pipeline p : all.values()) {
      List<String> c = new ArrayList<>();
      for (Pipeline.Step s : p.steps()) {
        if (s.kind() == Pipeline.Kind.SENSOR && s.sensor().what() == Pipeline.SensorKind.PIPELINE) checkSensorReference(all, p, s);
        if (s.kind() != Pipeline.Kind.PIPELINE) continue;
        if (!all.containsKey(s.command())) {
          throw WeirException.project(p.file(), s.line(), "Step '" + s.name() + "' runs pipeline '" + s.command() + "', which does not exist."
              + Suggest.didYouMean(s.command(), all.keySet()));
        }
        c.add(s.command());
      }
      calls.put(p.name(), c);
    }
    List<String> cycle = cycle(calls);
    if (cycle != null) {
      Pipeline p = all.get(cycle.get(0));
      int line = p.steps().stream().filter(s -> s.kind() == Pipeline.Kind.PIPELINE && s.command().equals(cycle.get(1)))
          .mapToInt(Pipeline.Step::line).findFirst().orElse(1);
      throw WeirException.project(p.file(), line, "Pipelines run each other in a cycle: " + String.join(" -> ", cycle));
    }
  }

  /** A pipeline sensor must name an existing pipeline (not its own) and, when it names a step, one of that pipeline's steps. */
  private static void checkSensorReference(Map<String, Pipeline> all, Pipeline p, Pipeline.Step s) {
    String other = s.sensor().target();
    Pipeline o = all.get(other);
    if (o == null) {
      throw WeirException.project(p.file(), s.line(), "Sensor step '" + s.name() + "' waits for pipeline '" + other + "', which does not exist."
          + Suggest.didYouMean(other, all.keySet()));
    }
    if (o == p) throw WeirException.project(p.file(), s.line(), "Sensor step '" + s.name() + "' waits for its own pipeline (use depends_on_past)");
    String st = s.sensor().step();
    if (st != null && o.step(st) == null) {
      throw WeirException.project(p.file(), s.line(), "Sensor step '" + s.name() + "' waits for step '" + st + "' of pipeline '" + other
          + "', which has no such step." + Suggest.didYouMean(st, o.steps().stream().map(Pipeline.Step::name).toList()));
    }
  }
}
