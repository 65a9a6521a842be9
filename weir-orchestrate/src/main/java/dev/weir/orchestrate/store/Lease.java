package dev.weir.orchestrate.store;

import java.time.Instant;

/** A row of the lease table: who holds a resource, with which fencing token, until when. */
public record Lease(String resource, String owner, long token, Instant expiresAt) {
  /** Whether it is still held at {@code now}. */
  public boolean heldAt(Instant now) { return expiresAt.isAfter(now); }
}
