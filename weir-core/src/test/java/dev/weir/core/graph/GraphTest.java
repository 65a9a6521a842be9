package dev.weir.core.graph;

import static dev.weir.core.graph.Fixtures.chain;
import static dev.weir.core.graph.Fixtures.model;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.core.project.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GraphTest {

  /** a --> b --> d, a --> c --> d, d --> e; x alone. */
  private static Graph diamond() {
    return Graph.of(List.of(
        model("e", "model.p.d"),
        model("d", "model.p.b", "model.p.c"),
        model("c", "model.p.a"),
        model("b", "model.p.a"),
        model("a"),
        model("x")));
  }

  @Test void lookupParentsChildren() {
    Graph g = diamond();
    assertThat(g.size()).isEqualTo(6);
    assertThat(g.node("model.p.a").name).isEqualTo("a");
    assertThat(g.node("model.p.nope")).isNull();
    assertThat(g.contains("model.p.x")).isTrue();
    assertThat(g.ids()).containsExactly("model.p.a", "model.p.b", "model.p.c", "model.p.d", "model.p.e", "model.p.x");
    assertThat(g.nodes()).extracting(n -> n.name).containsExactly("a", "b", "c", "d", "e", "x");
    assertThat(g.parents("model.p.d")).containsExactly("model.p.b", "model.p.c");
    assertThat(g.children("model.p.a")).containsExactly("model.p.b", "model.p.c");
    assertThat(g.children("model.p.e")).isEmpty();
    assertThatThrownBy(() -> g.parents("model.p.nope")).isInstanceOf(WeirException.class);
  }

  @Test void ancestorsAndDescendantsWithDepth() {
    Graph g = diamond();
    assertThat(g.ancestors("model.p.e", -1)).containsExactly("model.p.a", "model.p.b", "model.p.c", "model.p.d");
    assertThat(g.ancestors("model.p.e", 1)).containsExactly("model.p.d");
    assertThat(g.ancestors("model.p.e", 2)).containsExactlyInAnyOrder("model.p.d", "model.p.b", "model.p.c");
    assertThat(g.ancestors("model.p.e", 0)).isEmpty();
    assertThat(g.descendants("model.p.a", -1)).containsExactly("model.p.b", "model.p.c", "model.p.d", "model.p.e");
    assertThat(g.descendants("model.p.a", 2)).containsExactly("model.p.b", "model.p.c", "model.p.d");
    assertThat(g.descendants("model.p.x", -1)).isEmpty();
    // multi-source: a start node reached from another start node is included
    assertThat(g.descendants(List.of("model.p.a", "model.p.d"), 1))
        .containsExactlyInAnyOrder("model.p.b", "model.p.c", "model.p.e");
  }

  @Test void topologicalOrderIsStableByUniqueId() {
    Graph g = diamond();
    assertThat(g.topologicalOrder())
        .containsExactly("model.p.a", "model.p.b", "model.p.c", "model.p.d", "model.p.e", "model.p.x");
    // input order must not matter
    List<Node> reversed = new ArrayList<>(diamond().nodes());
    java.util.Collections.reverse(reversed);
    assertThat(Graph.of(reversed).topologicalOrder()).isEqualTo(g.topologicalOrder());
  }

  @Test void subsetOrderRespectsPathsThroughUnselectedNodes() {
    // z_first --> m --> a_last: a_last sorts first by id but must come after z_first
    Graph g = Graph.of(List.of(model("z_first"), model("m", "model.p.z_first"), model("a_last", "model.p.m")));
    assertThat(g.topologicalOrder(List.of("model.p.a_last", "model.p.z_first")))
        .containsExactly("model.p.z_first", "model.p.a_last");
    assertThat(g.levels(List.of("model.p.a_last", "model.p.z_first")))
        .containsExactly(List.of("model.p.z_first"), List.of("model.p.a_last"));
  }

  @Test void levelsGroupIndependentNodes() {
    Graph g = diamond();
    assertThat(g.levels(g.ids())).containsExactly(
        List.of("model.p.a", "model.p.x"),
        List.of("model.p.b", "model.p.c"),
        List.of("model.p.d"),
        List.of("model.p.e"));
    assertThat(g.levels(List.of("model.p.b", "model.p.e"))).containsExactly(List.of("model.p.b"), List.of("model.p.e"));
    assertThat(g.levels(List.of())).isEmpty();
  }

  @Test void readyQueueReleasesNodesAsParentsComplete() {
    Graph g = diamond();
    ReadyQueue q = g.readyQueue(List.of("model.p.a", "model.p.b", "model.p.c", "model.p.d", "model.p.x"));
    assertThat(q.remainingParents("model.p.d")).isEqualTo(2);
    assertThat(q.takeReady()).containsExactly("model.p.a", "model.p.x");
    assertThat(q.takeReady()).isEmpty();
    assertThat(q.running()).isEqualTo(2);
    q.complete("model.p.a");
    assertThat(q.takeReady()).containsExactly("model.p.b", "model.p.c");
    q.complete("model.p.b");
    assertThat(q.remainingParents("model.p.d")).isEqualTo(1);
    assertThat(q.takeReady()).isEmpty();
    q.complete("model.p.c");
    assertThat(q.takeReady()).containsExactly("model.p.d");
    assertThat(q.isFinished()).isFalse();
    q.complete("model.p.d");
    q.complete("model.p.x");
    assertThat(q.isFinished()).isTrue();
    assertThatThrownBy(() -> q.complete("model.p.x")).isInstanceOf(WeirException.class);
  }

  @Test void readyQueueFailureSkipsEverythingDownstream() {
    Graph g = diamond();
    ReadyQueue q = g.readyQueue(g.ids());
    assertThat(q.takeReady()).containsExactly("model.p.a", "model.p.x");
    q.complete("model.p.a");
    assertThat(q.takeReady()).containsExactly("model.p.b", "model.p.c");
    assertThat(q.fail("model.p.b")).containsExactly("model.p.d", "model.p.e");
    q.complete("model.p.c");
    assertThat(q.takeReady()).isEmpty();
    assertThat(q.isFinished()).isFalse();
    q.complete("model.p.x");
    assertThat(q.isFinished()).isTrue();
    assertThat(q.skipped()).containsExactly("model.p.d", "model.p.e");
  }

  @Test void readyQueueWaitsThroughUnselectedNodes() {
    Graph g = Graph.of(chain("a", "b", "c"));
    ReadyQueue q = g.readyQueue(List.of("model.p.a", "model.p.c"));
    assertThat(q.takeReady()).containsExactly("model.p.a");
    assertThat(q.remainingParents("model.p.c")).isEqualTo(1);  // b, passed through
    q.complete("model.p.a");
    assertThat(q.takeReady()).containsExactly("model.p.c");
  }

  @Test void unresolvedDependenciesAreIgnoredButReported() {
    Graph g = Graph.of(List.of(model("a", "model.p.disabled_one"), model("b", "model.p.a")));
    assertThat(g.parents("model.p.a")).isEmpty();
    assertThat(g.unresolvedDependencies("model.p.a")).containsExactly("model.p.disabled_one");
    assertThat(g.unresolvedDependencies("model.p.b")).isEmpty();
    assertThat(g.unresolvedDependencies()).containsOnlyKeys("model.p.a");
  }

  @Test void cycleMessageNamesTheWholeCycleInOrder() {
    // a --> b --> c --> a, plus a tail into the cycle and a node downstream of it
    List<Node> nodes = List.of(
        model("a", "model.p.c", "model.p.start"),
        model("b", "model.p.a"),
        model("c", "model.p.b"),
        model("start"),
        model("downstream", "model.p.b"));
    assertThatThrownBy(() -> Graph.of(nodes))
        .isInstanceOfSatisfying(WeirException.class, e -> assertThat(e.kind()).isEqualTo(WeirException.Kind.PROJECT))
        .hasMessage("Found a cycle: model.p.a --> model.p.b --> model.p.c --> model.p.a");
  }

  @Test void cycleMessageStartsAtSmallestIdWhateverTheInput() {
    // m depends on z, z on k, k on m: upstream-to-downstream that is k --> z --> m --> k
    List<Node> nodes = List.of(model("m", "model.p.z"), model("z", "model.p.k"), model("k", "model.p.m"));
    assertThatThrownBy(() -> Graph.of(nodes))
        .hasMessage("Found a cycle: model.p.k --> model.p.z --> model.p.m --> model.p.k");
  }

  @Test void selfDependencyIsACycle() {
    assertThatThrownBy(() -> Graph.of(List.of(model("a", "model.p.a"))))
        .hasMessage("Found a cycle: model.p.a --> model.p.a");
  }

  @Test void duplicateUniqueIdsAreAnError() {
    assertThatThrownBy(() -> Graph.of(List.of(model("a"), model("a"))))
        .isInstanceOf(WeirException.class).hasMessageContaining("model.p.a");
  }

  @Test void largeChainAndFanBuildAndSortFast() {
    int n = 20_000;
    List<Node> nodes = new ArrayList<>(n);
    // a 10,000-node chain, and 10,000 nodes fanning out of chain nodes and into later ones
    for (int i = 0; i < n / 2; i++) {
      nodes.add(i == 0 ? model(id(i)) : model(id(i), "model.p." + id(i - 1)));
    }
    for (int i = 0; i < n / 2; i++) {
      Node f = model("fan_" + i, "model.p." + id(i % 5000), "model.p." + id((i * 7) % 10_000));
      nodes.add(f);
    }
    // a final sink depending on every fan node
    Node sink = model("sink");
    for (int i = 0; i < n / 2; i++) sink.dependsOnNodes.add("model.p.fan_" + i);
    nodes.add(sink);

    long t0 = System.nanoTime();
    Graph g = Graph.of(nodes);
    List<String> order = g.topologicalOrder();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    long t1 = System.nanoTime();
    List<String> subsetOrder = g.topologicalOrder(g.ids());
    List<List<String>> levels = g.levels(g.ids());
    long subsetMs = (System.nanoTime() - t1) / 1_000_000;
    System.out.println("[graph perf] " + g + ": build + topological sort in " + ms + " ms; "
        + "subset sort + levels in " + subsetMs + " ms");

    assertThat(order).hasSize(n + 1);
    assertThat(subsetOrder).hasSize(n + 1);
    assertThat(order.get(order.size() - 1)).isEqualTo("model.p.sink");
    Map<String, Integer> pos = new HashMap<>();
    for (int i = 0; i < order.size(); i++) pos.put(order.get(i), i);
    for (Node node : nodes) {
      for (String d : node.dependsOnNodes) assertThat(pos.get(d)).isLessThan(pos.get(node.uniqueId));
    }
    assertThat(levels).hasSize(n / 2 + 2);  // chain 0..9999, fan_2857 hangs off m09999, then sink
    assertThat(ms).isLessThan(2000);
    assertThat(subsetMs).isLessThan(2000);

    long t2 = System.nanoTime();
    Set<String> sel = Selector.select(g, SelectionRequest.select("+sink"));
    long selMs = (System.nanoTime() - t2) / 1_000_000;
    System.out.println("[graph perf] select +sink over " + g.size() + " nodes in " + selMs + " ms");
    assertThat(sel).hasSize(n + 1);
    assertThat(selMs).isLessThan(2000);
  }

  private static String id(int i) { return String.format("m%05d", i); }
}
