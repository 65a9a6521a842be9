package dev.weir.core.graph;

import static dev.weir.core.graph.Fixtures.generic;
import static dev.weir.core.graph.Fixtures.model;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TestEdgesTest {

  @Test void testsGateWhatIsDownstreamOfTheirParents() {
    Graph g = Graph.of(Fixtures.shop()).withTestEdges();
    assertThat(g.parents("model.p.report")).contains("model.p.orders", "model.p.customers",
        "test.p.unique_orders_id", "test.p.not_null_orders_id",
        "test.p.relationships_orders_customer_id__customers", "test.p.mixed_agg");
    assertThat(g.parents("model.p.orders")).contains("test.p.not_null_stg_orders_id")
        .doesNotContain("test.p.mixed_agg");       // mixed_agg tests orders itself
    assertThat(g.parents("snapshot.p.orders_snapshot")).contains("test.p.not_null_stg_orders_id")
        .doesNotContain("test.p.mixed_agg");       // orders is not upstream of the snapshot
    assertThat(g.parents("model.p.stg_orders")).contains("test.p.source_not_null_raw_orders_id");
    assertThat(g.parents("exposure.p.dashboard")).containsExactly("model.p.report");  // not gated
    assertThat(g.parents("analysis.p.explore")).containsExactly("model.p.orders");
    // the original graph is untouched
    assertThat(Graph.of(Fixtures.shop()).parents("model.p.report")).containsExactly("model.p.customers", "model.p.orders");
  }

  @Test void multiParentTestGatesTheFirstNodeDownstreamOfAllItsParents() {
    // a --> c1 --> n <-- c2 <-- b, n --> after; relationships test on a and b
    Graph g = Graph.of(List.of(model("a"), model("b"), model("c1", "model.p.a"), model("c2", "model.p.b"),
        model("n", "model.p.c1", "model.p.c2"), model("after", "model.p.n"),
        generic("rel_a_b", "relationships", "models/x.yml", "model.p.a", "model.p.b"))).withTestEdges();
    assertThat(g.parents("model.p.n")).contains("test.p.rel_a_b");
    assertThat(g.parents("model.p.c1")).doesNotContain("test.p.rel_a_b");
    assertThat(g.parents("model.p.c2")).doesNotContain("test.p.rel_a_b");
    assertThat(g.parents("model.p.after")).containsExactly("model.p.n");   // follows through n
  }

  @Test void failingTestSkipsDownstreamBuildNodes() {
    Graph g = Graph.of(Fixtures.shop()).withTestEdges();
    List<String> build = List.of("model.p.stg_orders", "test.p.not_null_stg_orders_id", "model.p.orders",
        "model.p.report", "snapshot.p.orders_snapshot", "model.p.stg_customers", "model.p.customers",
        "model.other.util_model", "source.p.raw.orders", "source.p.raw.customers");
    ReadyQueue q = g.readyQueue(build);
    // sources first, then stg models once their source test (not in the subset) passes through
    assertThat(q.takeReady()).containsExactly("model.other.util_model", "source.p.raw.customers", "source.p.raw.orders");
    q.complete("source.p.raw.orders");
    q.complete("source.p.raw.customers");
    q.complete("model.other.util_model");
    assertThat(q.takeReady()).containsExactly("model.p.stg_customers", "model.p.stg_orders");
    q.complete("model.p.stg_orders");
    q.complete("model.p.stg_customers");
    assertThat(q.takeReady()).containsExactly("model.p.customers", "test.p.not_null_stg_orders_id");
    assertThat(q.fail("test.p.not_null_stg_orders_id"))
        .containsExactly("model.p.orders", "snapshot.p.orders_snapshot", "model.p.report");
  }

  @Test void extraDependencies() {
    Graph g = Graph.of(List.of(model("a"), model("b")));
    Graph h = g.withExtraDependencies(Map.of("model.p.b", Set.of("model.p.a")));
    assertThat(h.parents("model.p.b")).containsExactly("model.p.a");
    assertThat(g.parents("model.p.b")).isEmpty();
    assertThatThrownBy(() -> h.withExtraDependencies(Map.of("model.p.a", Set.of("model.p.b"))))
        .isInstanceOf(WeirException.class).hasMessage("Found a cycle: model.p.a --> model.p.b --> model.p.a");
  }
}
