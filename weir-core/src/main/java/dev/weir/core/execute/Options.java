package dev.weir.core.execute;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;

/**
 * The flags of one invocation, with dbt's names. Built by the CLI, read everywhere else.
 */
public record Options(String command, Path projectDir, Path profilesDir, String target, Map<String, Object> vars,
                      List<String> select, List<String> exclude, String selector, String indirectSelection,
                      int threads, boolean fullRefresh, boolean failFast, boolean empty, boolean strict,
                      boolean debug, boolean useParseCache, Duration lockTimeout, Map<String, String> env,
                      LocalDateTime eventTimeStart, LocalDateTime eventTimeEnd, Path state, boolean defer,
                      boolean favorState) {

  /** Without --state, --defer or --favor-state. */
  public Options(String command, Path projectDir, Path profilesDir, String target, Map<String, Object> vars,
                 List<String> select, List<String> exclude, String selector, String indirectSelection,
                 int threads, boolean fullRefresh, boolean failFast, boolean empty, boolean strict,
                 boolean debug, boolean useParseCache, Duration lockTimeout, Map<String, String> env,
                 LocalDateTime eventTimeStart, LocalDateTime eventTimeEnd) {
    this(command, projectDir, profilesDir, target, vars, select, exclude, selector, indirectSelection, threads, fullRefresh,
        failFast, empty, strict, debug, useParseCache, lockTimeout, env, eventTimeStart, eventTimeEnd, null, false, false);
  }

  /** Without a microbatch window (--event-time-start/--event-time-end). */
  public Options(String command, Path projectDir, Path profilesDir, String target, Map<String, Object> vars,
                 List<String> select, List<String> exclude, String selector, String indirectSelection,
                 int threads, boolean fullRefresh, boolean failFast, boolean empty, boolean strict,
                 boolean debug, boolean useParseCache, Duration lockTimeout, Map<String, String> env) {
    this(command, projectDir, profilesDir, target, vars, select, exclude, selector, indirectSelection, threads, fullRefresh,
        failFast, empty, strict, debug, useParseCache, lockTimeout, env, null, null);
  }

  public static Options defaults(String command, Path projectDir, Map<String, String> env) {
    return new Options(command, projectDir, null, null, Map.of(), List.of(), List.of(), null, null, 0, false, false,
        false, false, false, true, Duration.ofSeconds(60), env);
  }

  public Options withSelect(List<String> s) {
    return new Options(command, projectDir, profilesDir, target, vars, s, exclude, selector, indirectSelection, threads,
        fullRefresh, failFast, empty, strict, debug, useParseCache, lockTimeout, env, eventTimeStart, eventTimeEnd, state, defer,
        favorState);
  }

  /** dbt's --event-time-start / --event-time-end (UTC): the window microbatch models build. */
  public Options withEventTime(LocalDateTime start, LocalDateTime end) {
    return new Options(command, projectDir, profilesDir, target, vars, select, exclude, selector, indirectSelection, threads,
        fullRefresh, failFast, empty, strict, debug, useParseCache, lockTimeout, env, start, end, state, defer, favorState);
  }

  /**
   * dbt's --state (the folder of a previous manifest.json and run_results.json), --defer and
   * --favor-state.
   */
  public Options withState(Path stateDir, boolean deferFlag, boolean favor) {
    return new Options(command, projectDir, profilesDir, target, vars, select, exclude, selector, indirectSelection, threads,
        fullRefresh, failFast, empty, strict, debug, useParseCache, lockTimeout, env, eventTimeStart, eventTimeEnd, stateDir,
        deferFlag, favor);
  }

  /** The same flags for another command (retry runs the previous invocation's command). */
  public Options withCommand(String c, boolean fullRefreshFlag) {
    return new Options(c, projectDir, profilesDir, target, vars, select, exclude, selector, indirectSelection, threads,
        fullRefreshFlag, failFast, empty, strict, debug, useParseCache, lockTimeout, env, eventTimeStart, eventTimeEnd, state,
        defer, favorState);
  }
}
