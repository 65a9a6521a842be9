package dev.weir.core.graph;

import dev.weir.core.WeirException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Scheduling state for running a subset of the graph in parallel: a node becomes ready once every
 * node it depends on within the subset has completed. Dependencies that pass through nodes outside
 * the subset count too ({@code a --> b --> c}, subset {a, c}: c waits for a); those in-between nodes
 * are never handed out, they complete by themselves as soon as their own parents have.
 *
 * <p>Typical use by an executor with a thread pool: {@link #takeReady()} and submit each id; when a
 * node finishes call {@link #complete(String)} (or {@link #fail(String)}, which skips everything
 * downstream of it), then take the ready nodes again; stop when {@link #isFinished()}. All methods
 * are synchronized, so worker threads may call them directly.
 */
public final class ReadyQueue {
  private enum State { WAITING, READY, RUNNING, DONE, FAILED, SKIPPED }

  private final Graph graph;
  private final BitSet selected;
  private final BitSet member;       // selected or pass-through
  private final int[] pending;       // remaining parents among members
  private final State[] state;
  private final TreeSet<Integer> ready = new TreeSet<>();  // index order == unique-id order
  private final Set<String> skipped = new LinkedHashSet<>();
  private int unfinished;            // selected nodes not DONE/FAILED/SKIPPED
  private int running;

  ReadyQueue(Graph graph, BitSet selected, BitSet passThrough) {
    this.graph = graph;
    this.selected = selected;
    this.member = (BitSet) selected.clone();
    member.or(passThrough);
    int n = graph.size();
    this.pending = new int[n];
    this.state = new State[n];
    this.unfinished = selected.cardinality();
    for (int v = member.nextSetBit(0); v >= 0; v = member.nextSetBit(v + 1)) {
      int c = 0;
      for (int k = 0; k < graph.parentCount(v); k++) if (member.get(graph.parentAt(v, k))) c++;
      pending[v] = c;
      state[v] = State.WAITING;
    }
    for (int v = member.nextSetBit(0); v >= 0; v = member.nextSetBit(v + 1)) {
      // pass-through nodes always have a member parent (they lie downstream of a selected node)
      if (pending[v] == 0) { state[v] = State.READY; ready.add(v); }
    }
  }

  /** Every ready node not yet handed out, in unique-id order; they are now considered running. */
  public synchronized List<String> takeReady() {
    List<String> out = new ArrayList<>(ready.size());
    for (int v : ready) {
      state[v] = State.RUNNING;
      out.add(graph.idAt(v));
    }
    running += ready.size();
    ready.clear();
    return out;
  }

  /** The ready node with the smallest unique id (now running), or null if none is ready. */
  public synchronized String pollReady() {
    Integer v = ready.pollFirst();
    if (v == null) return null;
    state[v] = State.RUNNING;
    running++;
    return graph.idAt(v);
  }

  /** Marks a handed-out node as finished successfully, which may make its dependents ready. */
  public synchronized void complete(String id) {
    int v = running(id);
    state[v] = State.DONE;
    running--;
    unfinished--;
    ArrayDeque<Integer> stack = new ArrayDeque<>();
    stack.push(v);
    while (!stack.isEmpty()) {
      int u = stack.pop();
      for (int k = 0; k < graph.childCount(u); k++) {
        int c = graph.childAt(u, k);
        if (!member.get(c) || state[c] != State.WAITING) continue;
        if (--pending[c] == 0) {
          if (selected.get(c)) {
            state[c] = State.READY;
            ready.add(c);
          } else {
            state[c] = State.DONE;  // pass-through: nothing to run
            stack.push(c);
          }
        }
      }
    }
  }

  /**
   * Marks a handed-out node as failed: every node of the subset downstream of it will not run.
   * Returns those skipped nodes (selected ones only) in topological order.
   */
  public synchronized List<String> fail(String id) {
    int v = running(id);
    state[v] = State.FAILED;
    running--;
    unfinished--;
    List<Integer> newlySkipped = new ArrayList<>();
    ArrayDeque<Integer> stack = new ArrayDeque<>();
    stack.push(v);
    while (!stack.isEmpty()) {
      int u = stack.pop();
      for (int k = 0; k < graph.childCount(u); k++) {
        int c = graph.childAt(u, k);
        if (!member.get(c) || state[c] != State.WAITING) continue;
        state[c] = State.SKIPPED;
        if (selected.get(c)) {
          unfinished--;
          newlySkipped.add(c);
        }
        stack.push(c);
      }
    }
    newlySkipped.sort((a, b) -> Integer.compare(graph.rankOf(a), graph.rankOf(b)));
    List<String> out = new ArrayList<>(newlySkipped.size());
    for (int c : newlySkipped) {
      out.add(graph.idAt(c));
      skipped.add(graph.idAt(c));
    }
    return out;
  }

  /** How many of the node's dependencies (within the subset, incl. pass-through) have not finished. */
  public synchronized int remainingParents(String id) {
    int v = graph.indexOf(id);
    if (!selected.get(v)) throw new WeirException(WeirException.Kind.INTERNAL, id + " is not in this subset");
    return pending[v];
  }

  /** Whether every node of the subset has completed, failed or been skipped. */
  public synchronized boolean isFinished() { return unfinished == 0; }

  /** Nodes handed out and not yet completed or failed. */
  public synchronized int running() { return running; }

  /** Nodes skipped so far because something upstream failed, in the order they were skipped. */
  public synchronized Set<String> skipped() { return Collections.unmodifiableSet(new LinkedHashSet<>(skipped)); }

  private int running(String id) {
    int v = graph.indexOf(id);
    if (!selected.get(v) || state[v] != State.RUNNING) {
      throw new WeirException(WeirException.Kind.INTERNAL,
          id + " was not handed out by this queue (state " + (selected.get(v) ? state[v] : "not selected") + ")");
    }
    return v;
  }
}
