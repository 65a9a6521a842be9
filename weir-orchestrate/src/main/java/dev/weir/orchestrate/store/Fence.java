package dev.weir.orchestrate.store;

/**
 * A held lease: the resource (a run's key) and the fencing token it was taken with. Every state write of a run
 * made under a fence succeeds only while the lease table still holds that token for that resource.
 */
public record Fence(String resource, long token) {}
