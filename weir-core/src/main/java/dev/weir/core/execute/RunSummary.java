package dev.weir.core.execute;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** All node results of one invocation plus what run_results.json needs around them. */
public record RunSummary(String invocationId, String command, Instant generatedAt, double elapsedTime,
                         List<NodeResult> results, Map<String, Object> args) {

  public boolean anyFailure() {
    return results.stream().anyMatch(r -> r.status().isFailure());
  }
}
