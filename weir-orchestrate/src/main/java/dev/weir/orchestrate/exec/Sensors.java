package dev.weir.orchestrate.exec;

import dev.weir.orchestrate.Pipeline;
import dev.weir.orchestrate.Schedule;
import dev.weir.orchestrate.store.MetadataStore;
import dev.weir.orchestrate.store.PipelineRun;
import dev.weir.orchestrate.store.State;
import dev.weir.orchestrate.store.StepRun;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One look ("poke") at a sensor's condition. A poke is short: it lists files, reads the store, sends one HTTP request
 * or runs one {@code weir source freshness}; the executor calls it again after the poke interval, holding no thread in
 * between.
 */
final class Sensors {
  private final Path projectDir;
  private final MetadataStore store;
  private final Supplier<Map<String, Pipeline>> pipelines;
  private final Supplier<HttpClient> http;
  private final WeirInvoker weir;

  Sensors(Path projectDir, MetadataStore store, Supplier<Map<String, Pipeline>> pipelines, Supplier<HttpClient> http, WeirInvoker weir) {
    this.projectDir = projectDir;
    this.store = store;
    this.pipelines = pipelines;
    this.http = http;
    this.weir = weir;
  }

  /** What a poke found: whether the condition holds, and what was seen (for the step's log). */
  record Poke(boolean met, String seen) {}

  Poke poke(Pipeline.Sensor s, RunRequest req, Map<String, String> env, Path log) throws Exception {
    return switch (s.what()) {
      case FILE -> file(fill(s.target(), req.vars()));
      case HTTP -> http(s, fill(s.target(), req.vars()));
      case PIPELINE -> pipeline(s, req);
      case SOURCE_FRESHNESS -> freshness(s.target(), req, env, log);
    };
  }

  // ------------------------------------------------------------------ files

  /** Met when at least one regular file matches the glob (relative to the project, or absolute). */
  Poke file(String glob) throws IOException {
    Path base = projectDir;
    String pattern = glob;
    if (glob.startsWith("/")) {
      base = Path.of("/");
      pattern = glob.substring(1);
    }
    // walk from the longest folder prefix without wildcards, as deep as the pattern can reach
    String[] parts = pattern.split("/");
    int fixed = 0;
    while (fixed < parts.length - 1 && !hasWildcard(parts[fixed])) fixed++;
    Path root = base;
    for (int i = 0; i < fixed; i++) root = root.resolve(parts[i]);
    if (!Files.isDirectory(root)) return new Poke(false, "no file matches " + glob);
    String rest = String.join("/", java.util.Arrays.copyOfRange(parts, fixed, parts.length));
    PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + rest);
    int depth = rest.contains("**") ? Integer.MAX_VALUE : parts.length - fixed;
    Path r = root;
    try (Stream<Path> files = Files.walk(root, depth)) {
      Optional<Path> hit = files.filter(Files::isRegularFile).filter(f -> m.matches(r.relativize(f))).findFirst();
      return hit.map(f -> new Poke(true, "found " + projectDir.relativize(f.toAbsolutePath())))
          .orElseGet(() -> new Poke(false, "no file matches " + glob));
    }
  }

  private static boolean hasWildcard(String part) {
    return part.contains("*") || part.contains("?") || part.contains("[") || part.contains("{");
  }

  // ------------------------------------------------------------------ HTTP

  /** Met when the response has the expected status (any 2xx when not set) and contains the expected text; errors are "not yet". */
  private Poke http(Pipeline.Sensor s, String url) throws InterruptedException {
    Pipeline.Http h = s.http();
    HttpRequest.BodyPublisher body = h.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(h.body());
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).method(h.method(), body)
        .timeout(s.pokeInterval().compareTo(Duration.ofSeconds(30)) < 0 ? Duration.ofSeconds(30) : s.pokeInterval()).build();
    HttpResponse<String> resp;
    try {
      resp = http.get().send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return new Poke(false, h.method() + " " + url + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
    }
    int status = resp.statusCode();
    boolean statusOk = h.expectStatus() != null ? status == h.expectStatus() : status >= 200 && status < 300;
    boolean bodyOk = s.bodyContains() == null || resp.body().contains(s.bodyContains());
    String seen = h.method() + " " + url + ": status " + status
        + (s.bodyContains() == null ? "" : bodyOk ? ", body contains '" + s.bodyContains() + "'" : ", body lacks '" + s.bodyContains() + "'");
    return new Poke(statusOk && bodyOk, seen);
  }

  // ------------------------------------------------------------------ another pipeline

  /**
   * Met when the other pipeline's runs cover this run's data interval: every interval of its schedule that overlaps
   * [start, end) has a successful run (or, with {@code step}, that step succeeded in it). A pipeline without a schedule
   * needs a successful run of the same data interval (e.g. triggered with the same logical date).
   */
  private Poke pipeline(Pipeline.Sensor s, RunRequest req) {
    Pipeline other = pipelines.get().get(s.target());
    if (other == null) return new Poke(false, "pipeline '" + s.target() + "' no longer exists");
    List<Instant> starts = new ArrayList<>();
    Instant from = req.interval().start();
    Instant to = req.interval().end() == null || req.interval().end().equals(from) ? from.plusNanos(1) : req.interval().end();
    Schedule sch = other.schedule();
    if (sch != null) {
      Instant t = sch.atOrBefore(from);
      if (t == null) t = sch.next(from);
      for (int i = 0; t != null && t.isBefore(to) && i < 100_000; i++, t = sch.next(t)) {
        Instant end = sch.next(t);
        if (end != null && end.isAfter(from)) starts.add(t);
      }
    }
    String what = s.step() == null ? "pipeline " + other.name() : "step " + s.step() + " of pipeline " + other.name();
    if (starts.isEmpty()) {
      for (PipelineRun r : store.runs(other.name(), 200)) {
        if (from.equals(r.intervalStart()) && succeeded(r, s.step())) return new Poke(true, what + " succeeded in run " + r.id());
      }
      return new Poke(false, "no successful run of " + what + " for the interval starting " + from);
    }
    for (Instant st : starts) {
      Optional<PipelineRun> r = store.runByKey(PipelineExecutor.runKey(other.name(), st));
      if (r.isEmpty()) return new Poke(false, what + " has no run yet for the interval starting " + st);
      if (!succeeded(r.get(), s.step())) {
        return new Poke(false, what + " has not succeeded yet for the interval starting " + st + " (run " + r.get().id() + ", "
            + r.get().state().dbName() + ")");
      }
    }
    return new Poke(true, what + " succeeded for " + starts.size() + " interval" + (starts.size() == 1 ? "" : "s") + " covering " + req.interval());
  }

  private boolean succeeded(PipelineRun r, String step) {
    if (step == null) return r.state() == State.SUCCESS;
    StepRun last = null;
    for (StepRun sr : store.steps(r.id())) if (sr.step().equals(step) && (last == null || sr.tryNumber() > last.tryNumber())) last = sr;
    return last != null && last.state() == State.SUCCESS;
  }

  // ------------------------------------------------------------------ source freshness

  /** Met when {@code weir source freshness -s source:<name>} passes (exit code 0: every table fresh, or only warned). */
  private Poke freshness(String source, RunRequest req, Map<String, String> env, Path log) throws Exception {
    if (weir == null) return new Poke(false, "source freshness cannot be checked here (no Weir command runner)");
    List<String> args = PipelineExecutor.weirArgs("source freshness --select source:" + source, req.vars(), projectDir);
    int code = weir.invoke(args, env, log);
    return new Poke(code == 0, "source freshness of " + source + (code == 0 ? " passed" : " did not pass (exit code " + code + ")"));
  }

  // ------------------------------------------------------------------ templates

  private static final Pattern VAR = Pattern.compile("\\{\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*}}");

  /**
   * Fills {@code {{ name }}} with the run's variables (ds, data_interval_start, data_interval_end, logical_date, params);
   * {@code {{ ds_nodash }}} is ds without dashes. An unknown name is an error naming the variables there are.
   */
  static String fill(String text, Map<String, Object> vars) {
    Matcher m = VAR.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      Object v;
      if (name.equals("ds_nodash") && vars.get("ds") != null) v = String.valueOf(vars.get("ds")).replace("-", "");
      else if (vars.containsKey(name)) v = vars.get(name);
      else throw new IllegalArgumentException("unknown variable '" + name + "' in '" + text + "' (there are: ds, ds_nodash, "
          + String.join(", ", vars.keySet().stream().filter(k -> !k.equals("ds")).toList()) + ")");
      m.appendReplacement(out, Matcher.quoteReplacement(String.valueOf(v)));
    }
    m.appendTail(out);
    return out.toString();
  }
}
