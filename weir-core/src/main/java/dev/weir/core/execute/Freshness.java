package dev.weir.core.execute;

import dev.weir.core.WeirException;
import dev.weir.core.artifacts.SourcesWriter;
import dev.weir.core.engine.QueryResult;
import dev.weir.core.engine.Session;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import dev.weir.core.project.SourceFreshnessConfig;
import dev.weir.core.render.Renderer;
import dev.weir.core.util.Console;
import dev.weir.core.util.Secrets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * dbt's source freshness: for each source table with a {@code warn_after} or {@code error_after},
 * reads {@code max(loaded_at_field)} (with the freshness {@code filter} as a where clause) or runs
 * its {@code loaded_at_query}, and compares that time with now. A timestamp without time zone is
 * taken as UTC. Used by {@code weir source freshness} and by {@code weir build --check-source-freshness},
 * which skips what depends on a source in error (see {@link #gate}).
 */
public final class Freshness {

  /** dbt's freshness statuses. */
  public enum Status {
    PASS("pass"), WARN("warn"), ERROR("error"), RUNTIME_ERROR("runtime error");

    private final String dbtName;

    Status(String dbtName) { this.dbtName = dbtName; }

    public String dbtName() { return dbtName; }

    /** error and runtime error make the command exit 1. */
    public boolean isFailure() { return this == ERROR || this == RUNTIME_ERROR; }
  }

  /** One source's outcome; {@code maxLoadedAt} is null for a runtime error, whose {@code message} says why. */
  public record Check(Node source, Status status, Instant maxLoadedAt, Instant snapshottedAt, String message,
                      Instant started, Instant completed, String threadId) {

    /** How long ago the source was last loaded (zero when unknown). */
    public Duration age() {
      return maxLoadedAt == null ? Duration.ZERO : Duration.between(maxLoadedAt, snapshottedAt);
    }

    public double executionTime() { return Duration.between(started, completed).toNanos() / 1e9; }

    /** The entry of target/sources.json. */
    public SourcesWriter.FreshnessResult toArtifact() {
      if (status == Status.RUNTIME_ERROR) return SourcesWriter.FreshnessResult.error(source.uniqueId, message);
      return SourcesWriter.FreshnessResult.checked(source.uniqueId, status.dbtName(), maxLoadedAt, snapshottedAt,
          source.freshness, started, completed, threadId);
    }

    /** As run_results.json and build's summary report it. */
    public NodeResult toNodeResult() {
      NodeResult.Status s = switch (status) {
        case PASS -> NodeResult.Status.PASS;
        case WARN -> NodeResult.Status.WARN;
        case ERROR -> NodeResult.Status.ERROR;
        case RUNTIME_ERROR -> NodeResult.Status.RUNTIME_ERROR;
      };
      return new NodeResult(source.uniqueId, s, message, null, started, started, started, completed, executionTime(),
          threadId, Map.of(), null, source.relationName);
    }
  }

  /**
   * What build's freshness gate found: the checks, and for every selected node downstream of a
   * source in error the message it is skipped with.
   */
  public record Gate(List<Check> checks, Map<String, String> blocked, double elapsedTime) {
    public boolean anyFailure() { return checks.stream().anyMatch(c -> c.status().isFailure()); }
  }

  private final Workspace ws;
  private final Console console;

  public Freshness(Workspace ws) {
    this.ws = ws;
    this.console = ws.console();
  }

  /** Whether dbt checks this source: it has a warn_after or an error_after. */
  public static boolean configured(Node source) {
    return source.resourceType == ResourceType.SOURCE && SourceFreshnessConfig.hasThreshold(source.freshness);
  }

  /** Checks {@code sources} in order on one session, printing dbt's START and result lines. */
  public List<Check> run(List<Node> sources) {
    List<Check> out = new ArrayList<>();
    if (sources.isEmpty()) return out;
    try (Session session = ws.engine(false).openSession()) {
      int i = 0;
      for (Node s : sources) {
        i++;
        String desc = "freshness of " + s.sourceName + "." + s.name;
        console.info(String.format("%d of %d START %s %s [RUN]", i, sources.size(), desc, dots(desc)));
        Check c = check(s, session);
        report(c, i, sources.size(), desc);
        out.add(c);
      }
    }
    return out;
  }

  /** Checks one source on {@code session}; a failing query becomes a runtime error naming the source and its YAML. */
  public Check check(Node s, Session session) {
    Instant started = Instant.now();
    String thread = Thread.currentThread().getName();
    Instant maxLoadedAt;
    try {
      Object value = query(s, session);
      maxLoadedAt = toInstant(value);
      if (maxLoadedAt == null) {
        throw new IllegalStateException(value == null
            ? "the query returned no timestamp (is the table empty, or does the filter match no rows?)"
            : "expected a timestamp, got " + value.getClass().getSimpleName() + " " + value);
      }
    } catch (RuntimeException e) {
      String msg = e instanceof WeirException we ? we.describe() : e.getMessage() == null ? e.toString() : e.getMessage();
      Instant now = Instant.now();
      return new Check(s, Status.RUNTIME_ERROR, null, now, "Runtime Error in source " + s.sourceName + "." + s.name
          + " (" + where(s) + ")\n  " + Secrets.mask(msg.strip()), started, now, thread);
    }
    Instant now = Instant.now();
    Status status = status(s.freshness, Duration.between(maxLoadedAt, now));
    String msg = switch (status) {
      case PASS -> null;
      case WARN -> "source " + s.sourceName + "." + s.name + " was last loaded " + describe(Duration.between(maxLoadedAt, now))
          + " ago (warn_after " + threshold(s.freshness.get("warn_after")) + ")";
      default -> "source " + s.sourceName + "." + s.name + " is stale: last loaded " + describe(Duration.between(maxLoadedAt, now))
          + " ago (error_after " + threshold(s.freshness.get("error_after")) + ")";
    };
    return new Check(s, status, maxLoadedAt, now, msg, started, now, thread);
  }

  /** dbt's rule: error when older than error_after, else warn when older than warn_after, else pass. */
  public static Status status(Map<String, Object> freshness, Duration age) {
    Duration error = after(freshness.get("error_after"));
    Duration warn = after(freshness.get("warn_after"));
    if (error != null && age.compareTo(error) > 0) return Status.ERROR;
    if (warn != null && age.compareTo(warn) > 0) return Status.WARN;
    return Status.PASS;
  }

  /** Writes target/sources.json (or {@code file}) for {@code checks}. */
  public void write(List<Check> checks, double elapsedTime, Path file) {
    List<SourcesWriter.FreshnessResult> results = new ArrayList<>();
    for (Check c : checks) results.add(c.toArtifact());
    new SourcesWriter(Secrets::mask, dev.weir.core.artifacts.Artifacts.DBT_VERSION,
        dev.weir.core.artifacts.Artifacts.customEnv(ws.options().env()))
        .write(results, elapsedTime, ws.invocationId(), Instant.now(), file);
  }

  /**
   * build's gate: checks every source with a freshness config upstream of {@code selected}; each
   * selected node downstream of a source in error (stale past error_after, or a runtime error) is
   * to be skipped with a message naming the source and its age.
   */
  public Gate gate(List<String> selected) {
    long t0 = System.nanoTime();
    List<Node> sources = new ArrayList<>();
    for (String id : ws.graph().ancestors(selected, -1)) {
      Node n = ws.project().node(id);
      if (n != null && configured(n)) sources.add(n);
    }
    for (String id : selected) {
      Node n = ws.project().node(id);
      if (n != null && configured(n) && !sources.contains(n)) sources.add(n);
    }
    if (sources.isEmpty()) return new Gate(List.of(), Map.of(), 0);
    console.info("Checking the freshness of " + sources.size() + (sources.size() == 1 ? " source" : " sources"));
    List<Check> checks = run(sources);
    console.info("");
    Set<String> chosen = new LinkedHashSet<>(selected);
    Map<String, String> blocked = new LinkedHashMap<>();
    for (Check c : checks) {
      if (!c.status().isFailure()) continue;
      String why = c.status() == Status.ERROR ? c.message()
          : "the freshness of source " + c.source().sourceName + "." + c.source().name + " could not be checked (runtime error)";
      int count = 0;
      for (String d : ws.graph().descendants(c.source().uniqueId, -1)) {
        if (chosen.contains(d) && blocked.putIfAbsent(d, "Skipped: " + why) == null) count++;
      }
      console.warn(why + ": skipping " + count + (count == 1 ? " node" : " nodes") + " that depend on it");
    }
    return new Gate(checks, blocked, (System.nanoTime() - t0) / 1e9);
  }

  // ------------------------------------------------------------------ helpers

  private Object query(Node s, Session session) {
    Object laq = s.config.get("loaded_at_query");
    String sql;
    if (laq != null) {
      sql = laq.toString();
      if (sql.contains("{{") || sql.contains("{%")) sql = render(s, sql, session);
    } else if (s.loadedAtField != null) {
      Object filter = s.freshness.get("filter");
      sql = "select max(" + s.loadedAtField + ") as max_loaded_at from " + s.relationName
          + (filter == null ? "" : "\nwhere " + filter);
    } else {
      throw new IllegalStateException("the source has a freshness config but neither loaded_at_field nor loaded_at_query; "
          + "set one of them, or 'freshness: null' to leave it unchecked");
    }
    QueryResult r = session.query(sql, 1);
    if (r.rows().isEmpty() || r.rows().get(0).isEmpty()) return null;
    return r.rows().get(0).get(0);
  }

  private String render(Node s, String sql, Session session) {
    Renderer renderer = ws.renderer();
    Renderer.Warehouse wh = new Renderer.Warehouse() {
      @Override public Session session() { return session; }

      @Override public boolean fullRefresh() { return false; }
    };
    String name = where(s) + " (loaded_at_query)";
    return renderer.render(renderer.environment().parse(name, sql), s, Renderer.Mode.EXECUTE, wh,
        renderer.newState(s, Renderer.Mode.EXECUTE), Map.of());
  }

  /** A warehouse value as an instant: a timestamp without time zone is UTC, one with a zone is itself. */
  static Instant toInstant(Object v) {
    if (v instanceof Instant i) return i;
    if (v instanceof OffsetDateTime o) return o.toInstant();
    if (v instanceof ZonedDateTime z) return z.toInstant();
    if (v instanceof LocalDateTime dt) return dt.toInstant(ZoneOffset.UTC);
    if (v instanceof LocalDate d) return d.atStartOfDay().toInstant(ZoneOffset.UTC);
    if (v instanceof java.sql.Timestamp ts) return ts.toLocalDateTime().toInstant(ZoneOffset.UTC);
    if (v instanceof java.util.Date d) return d.toInstant();
    return null;
  }

  private static Duration after(Object threshold) {
    if (!(threshold instanceof Map<?, ?> m) || !(m.get("count") instanceof Number n) || m.get("period") == null) return null;
    return switch (m.get("period").toString()) {
      case "minute" -> Duration.ofMinutes(n.longValue());
      case "hour" -> Duration.ofHours(n.longValue());
      case "day" -> Duration.ofDays(n.longValue());
      default -> null;
    };
  }

  private static String threshold(Object t) {
    if (!(t instanceof Map<?, ?> m)) return "unset";
    long count = ((Number) m.get("count")).longValue();
    return count + " " + m.get("period") + (count == 1 ? "" : "s");
  }

  /** An age as "3h 12m" (or "45m 10s", "2d 4h"). */
  public static String describe(Duration d) {
    long s = Math.max(0, d.getSeconds());
    if (s >= 86400) return s / 86400 + "d " + (s % 86400) / 3600 + "h";
    if (s >= 3600) return s / 3600 + "h " + (s % 3600) / 60 + "m";
    return s / 60 + "m " + s % 60 + "s";
  }

  private static String where(Node s) {
    Object line = s.extra.get("source_yaml_line");
    return s.originalFilePath + (line == null ? "" : ":" + line);
  }

  private void report(Check c, int index, int total, String desc) {
    String secs = String.format("%.2fs", c.executionTime());
    String word = switch (c.status()) {
      case PASS -> console.paint(Console.GREEN, "PASS");
      case WARN -> console.paint(Console.YELLOW, "WARN");
      case ERROR -> console.paint(Console.RED, "ERROR STALE");
      case RUNTIME_ERROR -> console.paint(Console.RED, "ERROR");
    };
    String line = String.format("%d of %d %s %s %s [%s in %s]", index, total, word, desc, dots(desc), word, secs);
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("node", c.source().uniqueId);
    fields.put("status", c.status().dbtName());
    fields.put("execution_time", c.executionTime());
    if (c.maxLoadedAt() != null) fields.put("max_loaded_at", c.maxLoadedAt().toString());
    console.event(c.status().isFailure() ? Console.Level.ERROR : Console.Level.INFO, line, fields);
  }

  private static String dots(String desc) {
    return ".".repeat(Math.max(3, 60 - desc.length()));
  }
}
