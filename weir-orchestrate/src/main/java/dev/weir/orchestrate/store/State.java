package dev.weir.orchestrate.store;

import java.util.Locale;

/** The states of runs and step tries, with Airflow's names (stored in lower case). */
public enum State {
  QUEUED, RUNNING, SUCCESS, FAILED, UPSTREAM_FAILED, SKIPPED, UP_FOR_RETRY;

  /** The stored name, e.g. "up_for_retry". */
  public String dbName() { return name().toLowerCase(Locale.ROOT); }

  public static State of(String dbName) { return valueOf(dbName.toUpperCase(Locale.ROOT)); }

  /** Whether nothing more will happen to it. */
  public boolean finished() { return this == SUCCESS || this == FAILED || this == UPSTREAM_FAILED || this == SKIPPED; }
}
