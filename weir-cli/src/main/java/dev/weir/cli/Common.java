package dev.weir.cli;

import dev.weir.core.WeirException;
import dev.weir.core.execute.Options;
import dev.weir.core.util.Console;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Flags shared by the commands, with dbt's names. */
public final class Common {
  @Option(names = "--project-dir", description = "The folder holding dbt_project.yml (default: the current folder).")
  Path projectDir;

  @Option(names = "--profiles-dir", description = "The folder holding profiles.yml (default: WEIR_PROFILES_DIR, DBT_PROFILES_DIR, the project folder, ~/.dbt).")
  Path profilesDir;

  @Option(names = {"-t", "--target"}, description = "The target (output) of the profile to use.")
  String target;

  @Option(names = "--vars", description = "Variables as a YAML mapping, e.g. '{key: value}'.")
  String vars;

  @Option(names = {"-d", "--debug"}, description = "Print debug logging and stack traces.")
  boolean debug;

  @Option(names = "--log-format", description = "Terminal log format: text (default) or json.", defaultValue = "text")
  String logFormat;

  @Option(names = "--strict", description = "Treat misspelled or misplaced config keys and properties as errors.")
  boolean strict;

  @Option(names = "--no-parse-cache", description = "Parse every file again instead of reusing target/weir_parse_cache.bin.")
  boolean noParseCache;

  @Option(names = {"-q", "--quiet"}, description = "Print only errors and data output.")
  boolean quiet;

  @Option(names = "--lock-timeout", description = "Seconds to wait for another process that holds the warehouse (default ${DEFAULT-VALUE}).", defaultValue = "60")
  long lockTimeout;

  @Option(names = "--no-color", description = "No colour in the output (also NO_COLOR).")
  boolean noColor;

  Console console(String invocationId) {
    boolean json = "json".equalsIgnoreCase(logFormat);
    boolean color = !noColor && !json && Console.colorWanted(env());
    return new Console(System.out, color, json ? Console.Format.JSON : Console.Format.TEXT, debug, quiet, invocationId);
  }

  Options options(String command, Selection sel, RunFlags run) {
    Map<String, Object> v = parseVars(vars);
    Path dir = projectDir != null ? projectDir : Path.of(".");
    List<String> select = sel == null ? List.of() : split(sel.select);
    List<String> exclude = sel == null ? List.of() : split(sel.exclude);
    Options o = new Options(command, dir, profilesDir, target, v, select, exclude, sel == null ? null : sel.selector,
        sel == null ? null : sel.indirectSelection, run == null ? 0 : run.threads, run != null && run.fullRefresh,
        run != null && run.failFast, run != null && run.empty, strict, debug, !noParseCache,
        Duration.ofSeconds(lockTimeout), env());
    return sel == null ? o : o.withState(sel.stateDir(), sel.defer, sel.favorState);
  }

  /** The environment commands see: the process's, or the map given to {@link Main#run(Map, String...)} (tests). */
  static final ThreadLocal<Map<String, String>> ENV = new ThreadLocal<>();

  static Map<String, String> env() {
    Map<String, String> e = ENV.get();
    return e != null ? e : System.getenv();
  }

  /** dbt accepts both "-s a b" and "-s a -s b"; each string may hold several space-separated criteria. */
  static List<String> split(List<String> values) {
    List<String> out = new ArrayList<>();
    if (values == null) return out;
    for (String v : values) if (v != null && !v.isBlank()) out.add(v.trim());
    return out;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> parseVars(String text) {
    if (text == null || text.isBlank()) return Map.of();
    Object parsed;
    try {
      parsed = dev.weir.core.util.Yaml.parse(text, "--vars");
    } catch (WeirException e) {
      throw WeirException.usage("--vars is not valid YAML: " + e.getMessage());
    }
    if (!(parsed instanceof Map)) throw WeirException.usage("--vars must be a YAML mapping, e.g. --vars '{key: value}'");
    return new LinkedHashMap<>((Map<String, Object>) parsed);
  }

  /** Selection flags. */
  public static final class Selection {
    @Option(names = {"-s", "--select", "-m", "--models"}, arity = "1..*", description = "Nodes to include (dbt's selection syntax).")
    List<String> select;

    @Option(names = "--exclude", arity = "1..*", description = "Nodes to leave out.")
    List<String> exclude;

    @Option(names = "--selector", description = "A selector defined in selectors.yml.")
    String selector;

    @Option(names = "--indirect-selection", description = "How tests are selected with the nodes they test: eager (default), cautious, buildable, empty.")
    String indirectSelection;

    @Option(names = "--state", description = "The folder of a previous invocation's manifest.json and run_results.json, for state: and result: selection and --defer (default: WEIR_STATE, DBT_STATE).")
    Path state;

    @Option(names = "--defer", negatable = true, description = "Refs to unselected nodes whose relation does not exist in the target read the --state manifest's relation.")
    boolean defer;

    @Option(names = "--favor-state", negatable = true, description = "With --defer: refs to unselected nodes always read the --state manifest's relation.")
    boolean favorState;

    /** --state, else WEIR_STATE, else DBT_STATE (relative to the current folder). */
    Path stateDir() {
      if (state != null) return state.toAbsolutePath().normalize();
      for (String name : List.of("WEIR_STATE", "DBT_STATE")) {
        String v = env().get(name);
        if (v != null && !v.isBlank()) return Path.of(v).toAbsolutePath().normalize();
      }
      return null;
    }
  }

  /**
   * --fusion / --no-fusion (test, build): whether the checks on one relation are decided by one scan. Neither: the
   * engine's default (one scan on Postgres, where every query scans; one query per check on DuckDB, where the
   * separate queries read statistics and measured faster — docs/benchmarks.md "Data-quality checks").
   */
  public static final class FusionFlags {
    @Option(names = "--fusion", description = "Decide the checks on one relation in one scan (the default on Postgres).")
    boolean fusion;

    @Option(names = "--no-fusion", description = "Run each check as its own query (the default on DuckDB).")
    boolean noFusion;

    /** True, false, or null for the engine's default. */
    Boolean choice() {
      if (fusion && noFusion) throw WeirException.usage("--fusion and --no-fusion contradict each other: give one");
      return fusion ? Boolean.TRUE : noFusion ? Boolean.FALSE : null;
    }
  }

  /** dbt's --event-time-start / --event-time-end (run, build): the window microbatch models build. */
  public static final class EventTimeFlags {
    @Option(names = "--event-time-start", description = "Microbatch models build batches from this time on (UTC, e.g. 2024-01-01 or '2024-01-01 10:00:00'); needs --event-time-end.")
    String start;

    @Option(names = "--event-time-end", description = "Microbatch models build batches up to this time (UTC, exclusive); needs --event-time-start.")
    String end;

    Options apply(Options o) {
      if (start == null && end == null) return o;
      if (start == null || end == null) {
        throw WeirException.usage("--event-time-start and --event-time-end go together: pass both, e.g. "
            + "--event-time-start 2024-01-01 --event-time-end 2024-01-04");
      }
      java.time.LocalDateTime s = parse("--event-time-start", start);
      java.time.LocalDateTime e = parse("--event-time-end", end);
      if (!s.isBefore(e)) throw WeirException.usage("--event-time-start (" + start + ") must be before --event-time-end (" + end + ")");
      return o.withEventTime(s, e);
    }

    private static java.time.LocalDateTime parse(String flag, String value) {
      try {
        return dev.weir.core.render.EventTimeWindow.parse(value);
      } catch (IllegalArgumentException e) {
        throw WeirException.usage(flag + ": " + e.getMessage());
      }
    }
  }

  /** Flags of commands that run nodes. */
  public static final class RunFlags {
    @Option(names = "--threads", description = "How many nodes to run at once (default: the profile's threads).")
    int threads;

    @Option(names = {"-f", "--full-refresh"}, description = "Rebuild incremental models from scratch.")
    boolean fullRefresh;

    @Option(names = {"-x", "--fail-fast"}, description = "Stop at the first failure.")
    boolean failFast;

    @Option(names = "--empty", description = "Build relations with no rows (refs and sources read nothing).")
    boolean empty;
  }
}
