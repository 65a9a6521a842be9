package dev.weir.core.graph;

import dev.weir.core.WeirException;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The project's DAG: one vertex per node, an edge from each dependency to its dependent (dbt's
 * direction: {@code a --> b} means b depends on a). Immutable and safe to share between threads.
 *
 * <p>Built from each node's {@link Node#dependsOnNodes}; dependencies that name no node of the
 * collection (disabled nodes, nodes filtered out by the caller) are left out of the edges but kept
 * in {@link #unresolvedDependencies(String)} so that the caller can report them.
 *
 * <p>Construction is linear in nodes + edges (plus one sort of the unique ids); vertices are
 * numbered in unique-id order, which is what makes every order this class returns deterministic.
 */
public final class Graph {
  private final String[] ids;              // sorted
  private final Node[] nodes;              // by index
  private final Map<String, Integer> index;
  private final int[] parentStart, parentIdx; // CSR, each run sorted
  private final int[] childStart, childIdx;
  private final int[] rank;                // position in the global topological order
  private final int[] topo;                // the global topological order (indices)
  private final Map<String, Set<String>> unresolved;

  private Graph(Node[] sortedNodes, Map<String, Integer> index, int[][] parentsOf, Map<String, Set<String>> unresolved) {
    int n = sortedNodes.length;
    this.nodes = sortedNodes;
    this.ids = new String[n];
    this.index = index;
    for (int i = 0; i < n; i++) ids[i] = sortedNodes[i].uniqueId;
    this.unresolved = unresolved;
    // parents CSR
    parentStart = new int[n + 1];
    int edges = 0;
    for (int i = 0; i < n; i++) { parentStart[i] = edges; edges += parentsOf[i].length; }
    parentStart[n] = edges;
    parentIdx = new int[edges];
    int[] childCount = new int[n];
    for (int i = 0; i < n; i++) {
      int[] ps = parentsOf[i];
      System.arraycopy(ps, 0, parentIdx, parentStart[i], ps.length);
      for (int p : ps) childCount[p]++;
    }
    // children CSR (filled in increasing child index, so each run is sorted)
    childStart = new int[n + 1];
    int acc = 0;
    for (int i = 0; i < n; i++) { childStart[i] = acc; acc += childCount[i]; }
    childStart[n] = acc;
    childIdx = new int[edges];
    int[] fill = Arrays.copyOf(childStart, n);
    for (int c = 0; c < n; c++) {
      for (int k = parentStart[c]; k < parentStart[c + 1]; k++) childIdx[fill[parentIdx[k]]++] = c;
    }
    // global topological order: Kahn, smallest unique id first among the ready
    topo = new int[n];
    rank = new int[n];
    int[] pending = new int[n];
    PriorityQueue<Integer> ready = new PriorityQueue<>();
    for (int i = 0; i < n; i++) {
      pending[i] = parentStart[i + 1] - parentStart[i];
      if (pending[i] == 0) ready.add(i);
    }
    int done = 0;
    while (!ready.isEmpty()) {
      int v = ready.poll();
      rank[v] = done;
      topo[done++] = v;
      for (int k = childStart[v]; k < childStart[v + 1]; k++) {
        if (--pending[childIdx[k]] == 0) ready.add(childIdx[k]);
      }
    }
    if (done < n) throw cycleError(pending);
  }

  /** Builds the graph of {@code nodes}. Throws a PROJECT error naming the whole cycle if there is one. */
  public static Graph of(Collection<Node> nodes) {
    Node[] sorted = nodes.toArray(new Node[0]);
    Arrays.sort(sorted, (a, b) -> a.uniqueId.compareTo(b.uniqueId));
    Map<String, Integer> idx = new HashMap<>(sorted.length * 2);
    for (int i = 0; i < sorted.length; i++) {
      if (i > 0 && sorted[i].uniqueId.equals(sorted[i - 1].uniqueId)) {
        throw new WeirException(WeirException.Kind.PROJECT,
            "Found two resources with the unique id '" + sorted[i].uniqueId + "'");
      }
      idx.put(sorted[i].uniqueId, i);
    }
    int[][] parentsOf = new int[sorted.length][];
    Map<String, Set<String>> unresolved = new LinkedHashMap<>();
    int[] buf = new int[16];
    for (int i = 0; i < sorted.length; i++) {
      Set<String> deps = sorted[i].dependsOnNodes;
      if (buf.length < deps.size()) buf = new int[deps.size()];
      int m = 0;
      for (String d : deps) {
        Integer p = idx.get(d);
        if (p == null) {
          unresolved.computeIfAbsent(sorted[i].uniqueId, k -> new LinkedHashSet<>()).add(d);
        } else {
          buf[m++] = p;
        }
      }
      int[] ps = Arrays.copyOf(buf, m);
      Arrays.sort(ps);
      parentsOf[i] = dedupe(ps);
    }
    return new Graph(sorted, idx, parentsOf, unresolved);
  }

  private static int[] dedupe(int[] sorted) {
    int m = 0;
    for (int i = 0; i < sorted.length; i++) if (i == 0 || sorted[i] != sorted[i - 1]) sorted[m++] = sorted[i];
    return m == sorted.length ? sorted : Arrays.copyOf(sorted, m);
  }

  /**
   * The "Found a cycle" error. {@code pending} > 0 marks the vertices Kahn could not order: the
   * cycles and everything downstream of them. Trimming the vertices with no child among them leaves
   * only vertices that both have a parent and a child left, so walking children from any of them
   * must come back on itself: that loop is reported, starting at its smallest unique id.
   */
  private WeirException cycleError(int[] pending) {
    int n = ids.length;
    boolean[] left = new boolean[n];
    int[] out = new int[n];
    for (int i = 0; i < n; i++) left[i] = pending[i] > 0;
    java.util.ArrayDeque<Integer> sinks = new java.util.ArrayDeque<>();
    for (int i = 0; i < n; i++) {
      if (!left[i]) continue;
      for (int k = childStart[i]; k < childStart[i + 1]; k++) if (left[childIdx[k]]) out[i]++;
      if (out[i] == 0) sinks.add(i);
    }
    while (!sinks.isEmpty()) {
      int v = sinks.poll();
      left[v] = false;
      for (int k = parentStart[v]; k < parentStart[v + 1]; k++) {
        int p = parentIdx[k];
        if (left[p] && --out[p] == 0) sinks.add(p);
      }
    }
    int start = -1;
    for (int i = 0; i < n && start < 0; i++) if (left[i]) start = i;
    if (start < 0) return new WeirException(WeirException.Kind.INTERNAL, "Found a cycle, but could not locate it");
    int[] seenAt = new int[n];
    Arrays.fill(seenAt, -1);
    List<Integer> walk = new ArrayList<>();
    int v = start;
    while (seenAt[v] < 0) {
      seenAt[v] = walk.size();
      walk.add(v);
      int next = -1;
      for (int k = childStart[v]; k < childStart[v + 1] && next < 0; k++) if (left[childIdx[k]]) next = childIdx[k];
      v = next;
    }
    List<Integer> cycle = new ArrayList<>(walk.subList(seenAt[v], walk.size()));
    int min = 0;
    for (int i = 1; i < cycle.size(); i++) if (cycle.get(i) < cycle.get(min)) min = i;
    Collections.rotate(cycle, -min);
    StringBuilder sb = new StringBuilder("Found a cycle: ");
    for (int c : cycle) sb.append(ids[c]).append(" --> ");
    sb.append(ids[cycle.get(0)]);
    return new WeirException(WeirException.Kind.PROJECT, sb.toString());
  }

  /**
   * A copy of this graph with more dependencies: {@code extra} maps a unique id to ids it must also
   * wait for. Unknown ids are an INTERNAL error; a dependency that closes a cycle is a PROJECT error.
   */
  public Graph withExtraDependencies(Map<String, ? extends Collection<String>> extra) {
    int n = ids.length;
    List<List<Integer>> more = new ArrayList<>(Collections.nCopies(n, null));
    for (Map.Entry<String, ? extends Collection<String>> e : extra.entrySet()) {
      int c = indexOf(e.getKey());
      for (String d : e.getValue()) {
        if (more.get(c) == null) more.set(c, new ArrayList<>());
        more.get(c).add(indexOf(d));
      }
    }
    return withExtraParents(more);
  }

  /**
   * The graph {@code build} schedules by (dbt's "test edges"): every data test also gates the nodes
   * downstream of what it tests, so a failing test skips them. A test t gets an edge to each model,
   * seed or snapshot n whose upstream holds all of t's parents, or rather to the first such nodes
   * on each path (the rest follow transitively): for a one-parent test, the parent's children.
   * Use it to schedule (readyQueue, levels), not to select: tests become ancestors of models here.
   * Unit tests are left as they are (they run before their model, which is the executor's business).
   */
  public Graph withTestEdges() {
    int n = ids.length;
    List<List<Integer>> more = new ArrayList<>(Collections.nCopies(n, null));
    for (int t = 0; t < n; t++) {
      if (nodes[t].resourceType != ResourceType.TEST) continue;
      int pc = parentCount(t);
      if (pc == 0) continue;
      if (pc == 1) {
        int p = parentAt(t, 0);
        for (int k = childStart[p]; k < childStart[p + 1]; k++) {
          int c = childIdx[k];
          if (c != t && gatedByTests(c)) addParent(more, c, t);
        }
        continue;
      }
      // several parents: walk down from them in topological order, tracking which parents are
      // upstream of each node; stop at the first nodes that have them all
      int[] ps = parentsOf(t);
      Map<Integer, BitSet> cover = new HashMap<>();
      PriorityQueue<Integer> queue = new PriorityQueue<>((a, b) -> Integer.compare(rank[a], rank[b]));
      java.util.Set<Integer> queued = new java.util.HashSet<>();
      for (int i = 0; i < ps.length; i++) {
        for (int k = childStart[ps[i]]; k < childStart[ps[i] + 1]; k++) {
          int c = childIdx[k];
          cover.computeIfAbsent(c, x -> new BitSet(ps.length)).set(i);
          if (queued.add(c)) queue.add(c);
        }
      }
      while (!queue.isEmpty()) {
        int v = queue.poll();
        BitSet cv = cover.get(v);
        if (v != t && cv.cardinality() == ps.length && gatedByTests(v)) {
          addParent(more, v, t);
          continue;
        }
        for (int k = childStart[v]; k < childStart[v + 1]; k++) {
          int c = childIdx[k];
          BitSet cc = cover.computeIfAbsent(c, x -> new BitSet(ps.length));
          cc.or(cv);
          int self = Arrays.binarySearch(ps, v);
          if (self >= 0) cc.set(self);
          if (queued.add(c)) queue.add(c);
        }
      }
    }
    return withExtraParents(more);
  }

  /**
   * The graph {@code build} schedules unit tests by: a unit test runs before its model (dbt builds
   * it first), so it takes its model's parents and the model waits for it; a failing unit test
   * skips the model and what follows.
   */
  public Graph withUnitTestsFirst() {
    int n = ids.length;
    int[][] parentsOf = new int[n][];
    for (int i = 0; i < n; i++) parentsOf[i] = parentsOf(i);
    boolean any = false;
    for (int u = 0; u < n; u++) {
      if (nodes[u].resourceType != ResourceType.UNIT_TEST) continue;
      int[] ps = parentsOf(u);
      List<Integer> newParents = new ArrayList<>();
      for (int m : ps) {
        if (nodes[m].resourceType != ResourceType.MODEL) { newParents.add(m); continue; }
        any = true;
        for (int mp : parentsOf(m)) if (mp != u) newParents.add(mp);
        int[] mps = Arrays.copyOf(parentsOf[m], parentsOf[m].length + 1);
        mps[mps.length - 1] = u;
        Arrays.sort(mps);
        parentsOf[m] = dedupe(mps);
      }
      int[] np = newParents.stream().mapToInt(Integer::intValue).toArray();
      Arrays.sort(np);
      parentsOf[u] = dedupe(np);
    }
    return any ? new Graph(nodes, index, parentsOf, unresolved) : this;
  }

  private boolean gatedByTests(int i) {
    ResourceType t = nodes[i].resourceType;
    return t == ResourceType.MODEL || t == ResourceType.SEED || t == ResourceType.SNAPSHOT || t == ResourceType.EXPORT;
  }

  private static void addParent(List<List<Integer>> more, int child, int parent) {
    if (more.get(child) == null) more.set(child, new ArrayList<>());
    more.get(child).add(parent);
  }

  private Graph withExtraParents(List<List<Integer>> more) {
    int n = ids.length;
    int[][] parentsOf = new int[n][];
    for (int i = 0; i < n; i++) {
      List<Integer> m = more.get(i);
      int base = parentCount(i);
      int[] ps = Arrays.copyOf(parentsOf(i), base + (m == null ? 0 : m.size()));
      if (m != null) for (int k = 0; k < m.size(); k++) ps[base + k] = m.get(k);
      Arrays.sort(ps);
      parentsOf[i] = dedupe(ps);
    }
    return new Graph(nodes, index, parentsOf, unresolved);
  }

  // ---------------------------------------------------------------- lookup

  public int size() { return ids.length; }

  public boolean contains(String id) { return index.containsKey(id); }

  /** The node with this unique id, or null. */
  public Node node(String id) {
    Integer i = index.get(id);
    return i == null ? null : nodes[i];
  }

  /** All nodes, in unique-id order. */
  public List<Node> nodes() { return Collections.unmodifiableList(Arrays.asList(nodes)); }

  /** All unique ids, sorted. */
  public List<String> ids() { return Collections.unmodifiableList(Arrays.asList(ids)); }

  /** Dependencies of {@code id} that name no node of this graph (disabled or missing nodes). */
  public Set<String> unresolvedDependencies(String id) {
    Set<String> s = unresolved.get(id);
    return s == null ? Set.of() : Collections.unmodifiableSet(s);
  }

  /** Every node id with unresolved dependencies, mapped to them. */
  public Map<String, Set<String>> unresolvedDependencies() { return Collections.unmodifiableMap(unresolved); }

  /** Direct dependencies of {@code id} within the graph, in unique-id order. */
  public Set<String> parents(String id) {
    int i = indexOf(id);
    return idSet(parentIdx, parentStart[i], parentStart[i + 1]);
  }

  /** Direct dependents of {@code id}, in unique-id order. */
  public Set<String> children(String id) {
    int i = indexOf(id);
    return idSet(childIdx, childStart[i], childStart[i + 1]);
  }

  /** Upstream nodes of {@code id} (not itself) within {@code maxDepth} edges; maxDepth &lt; 0: all. */
  public Set<String> ancestors(String id, int maxDepth) { return ancestors(List.of(id), maxDepth); }

  /** Downstream nodes of {@code id} (not itself) within {@code maxDepth} edges; maxDepth &lt; 0: all. */
  public Set<String> descendants(String id, int maxDepth) { return descendants(List.of(id), maxDepth); }

  /** Upstream nodes of any of {@code ids}, excluding the start nodes unless reached from another one. */
  public Set<String> ancestors(Collection<String> ids, int maxDepth) {
    return toIds(inTopoOrder(walk(toBits(ids), maxDepth, false)));
  }

  /** Downstream nodes of any of {@code ids}, excluding the start nodes unless reached from another one. */
  public Set<String> descendants(Collection<String> ids, int maxDepth) {
    return toIds(inTopoOrder(walk(toBits(ids), maxDepth, true)));
  }

  // ---------------------------------------------------------------- ordering and scheduling

  /** Every node in topological order (ties by unique id). */
  public List<String> topologicalOrder() {
    List<String> out = new ArrayList<>(ids.length);
    for (int v : topo) out.add(ids[v]);
    return out;
  }

  /**
   * The nodes of {@code subset} in topological order, ties broken by unique id. Dependencies that
   * pass through nodes outside the subset still order it (dbt's subset graph keeps them): with
   * {@code a --> b --> c} and subset {a, c}, a comes before c.
   */
  public List<String> topologicalOrder(Collection<String> subset) {
    ReadyQueue q = readyQueue(subset);
    List<String> out = new ArrayList<>(subset.size());
    for (String next = q.pollReady(); next != null; next = q.pollReady()) {
      out.add(next);
      q.complete(next);
    }
    return out;
  }

  /**
   * The subset split into waves: every node of wave k depends (within the subset, transitively
   * through nodes outside it) only on nodes of earlier waves. Each wave is sorted by unique id.
   */
  public List<List<String>> levels(Collection<String> subset) {
    ReadyQueue q = readyQueue(subset);
    List<List<String>> out = new ArrayList<>();
    while (true) {
      List<String> wave = q.takeReady();
      if (wave.isEmpty()) break;
      out.add(wave);
      for (String id : wave) q.complete(id);
    }
    return out;
  }

  /** A fresh scheduling queue over {@code subset}: see {@link ReadyQueue}. */
  public ReadyQueue readyQueue(Collection<String> subset) {
    BitSet selected = toBits(subset);
    // nodes outside the subset on a path between two subset nodes are kept as pass-through nodes
    BitSet down = walk(selected, -1, true);
    BitSet up = walk(selected, -1, false);
    BitSet through = (BitSet) down.clone();
    through.and(up);
    through.andNot(selected);
    return new ReadyQueue(this, selected, through);
  }

  // ---------------------------------------------------------------- package-private, index based

  int indexOf(String id) {
    Integer i = index.get(id);
    if (i == null) throw new WeirException(WeirException.Kind.INTERNAL, "No node '" + id + "' in the graph");
    return i;
  }

  Integer indexOrNull(String id) { return index.get(id); }

  String idAt(int i) { return ids[i]; }

  Node nodeAt(int i) { return nodes[i]; }

  int rankOf(int i) { return rank[i]; }

  int[] parentsOf(int i) { return Arrays.copyOfRange(parentIdx, parentStart[i], parentStart[i + 1]); }

  int parentCount(int i) { return parentStart[i + 1] - parentStart[i]; }

  int parentAt(int i, int k) { return parentIdx[parentStart[i] + k]; }

  int childCount(int i) { return childStart[i + 1] - childStart[i]; }

  int childAt(int i, int k) { return childIdx[childStart[i] + k]; }

  BitSet toBits(Collection<String> ids) {
    BitSet b = new BitSet(this.ids.length);
    for (String id : ids) b.set(indexOf(id));
    return b;
  }

  /** Indices of {@code bits} in global topological order. */
  int[] inTopoOrder(BitSet bits) {
    int[] out = new int[bits.cardinality()];
    if (out.length * 8L < ids.length) {
      int m = 0;
      for (int i = bits.nextSetBit(0); i >= 0; i = bits.nextSetBit(i + 1)) out[m++] = i;
      Integer[] boxed = new Integer[m];
      for (int i = 0; i < m; i++) boxed[i] = out[i];
      Arrays.sort(boxed, (a, b) -> Integer.compare(rank[a], rank[b]));
      for (int i = 0; i < m; i++) out[i] = boxed[i];
    } else {
      int m = 0;
      for (int v : topo) if (bits.get(v)) out[m++] = v;
    }
    return out;
  }

  Set<String> toIds(int[] idx) {
    Set<String> out = new LinkedHashSet<>(Math.max(16, idx.length * 2));
    for (int i : idx) out.add(ids[i]);
    return Collections.unmodifiableSet(out);
  }

  /**
   * Breadth-first walk from {@code start} along child edges (down) or parent edges (up), at most
   * {@code maxDepth} steps (&lt; 0: unlimited). The start vertices are in the result only if reached
   * from another start vertex.
   */
  BitSet walk(BitSet start, int maxDepth, boolean down) {
    int n = ids.length;
    BitSet seen = new BitSet(n);
    int[] frontier = new int[start.cardinality()];
    int fn = 0;
    for (int i = start.nextSetBit(0); i >= 0; i = start.nextSetBit(i + 1)) frontier[fn++] = i;
    int[] next = new int[Math.max(16, fn)];
    int depth = 0;
    while (fn > 0 && (maxDepth < 0 || depth < maxDepth)) {
      int nn = 0;
      for (int f = 0; f < fn; f++) {
        int v = frontier[f];
        int from = down ? childStart[v] : parentStart[v];
        int to = down ? childStart[v + 1] : parentStart[v + 1];
        int[] adj = down ? childIdx : parentIdx;
        for (int k = from; k < to; k++) {
          int w = adj[k];
          if (!seen.get(w)) {
            seen.set(w);
            if (nn == next.length) next = Arrays.copyOf(next, nn * 2);
            next[nn++] = w;
          }
        }
      }
      int[] t = frontier; frontier = next; next = t.length >= 16 ? t : new int[16];
      fn = nn;
      depth++;
    }
    return seen;
  }

  private Set<String> idSet(int[] arr, int from, int to) {
    Set<String> out = new LinkedHashSet<>();
    for (int k = from; k < to; k++) out.add(ids[arr[k]]);
    return Collections.unmodifiableSet(out);
  }

  /** Whether the node at {@code i} is a test (data test or unit test): the kinds indirect selection adds. */
  boolean isTest(int i) {
    ResourceType t = nodes[i].resourceType;
    return t == ResourceType.TEST || t == ResourceType.UNIT_TEST;
  }

  @Override public String toString() { return "Graph[" + ids.length + " nodes, " + parentIdx.length + " edges]"; }
}
