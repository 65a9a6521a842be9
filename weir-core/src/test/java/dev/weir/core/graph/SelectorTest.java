package dev.weir.core.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Selection over {@link Fixtures#shop()}; ids are written short: "model.orders" for model.p.orders. */
class SelectorTest {
  private static final Graph SHOP = Graph.of(Fixtures.shop());

  private static final String[] ORDERS_TESTS = {"test.unique_orders_id", "test.not_null_orders_id",
      "test.relationships_orders_customer_id__customers", "test.mixed_agg", "unit_test.test_orders_logic"};

  /** Selection with no indirect test selection, to look at methods and operators alone. */
  private static Set<String> direct(String... select) {
    return run(SelectionRequest.select(select).withIndirectSelection(IndirectSelection.EMPTY));
  }

  private static Set<String> sel(IndirectSelection mode, String... select) {
    return run(SelectionRequest.select(select).withIndirectSelection(mode));
  }

  private static Set<String> run(SelectionRequest req) {
    Set<String> out = new LinkedHashSet<>();
    for (String id : Selector.select(SHOP, req)) out.add(id.replace(".p.", "."));
    return out;
  }

  private static String[] plus(String[] a, String... b) {
    List<String> l = new ArrayList<>(Arrays.asList(a));
    l.addAll(Arrays.asList(b));
    return l.toArray(new String[0]);
  }

  // ------------------------------------------------------------------ methods

  @Test void fqnMethod() {
    // generic tests' fqn is the folder of their properties file: models/staging/*.yml
    String[] staging = {"model.stg_orders", "model.stg_customers", "test.not_null_stg_orders_id",
        "test.source_not_null_raw_orders_id"};
    assertThat(direct("staging")).containsExactlyInAnyOrder(staging);
    assertThat(direct("fqn:staging.*")).containsExactlyInAnyOrder(staging);
    assertThat(direct("staging.stg_c*")).containsExactly("model.stg_customers");
    assertThat(direct("p.staging.stg_orders")).containsExactly("model.stg_orders");
    assertThat(direct("stg_orders")).containsExactly("model.stg_orders");
    assertThat(direct("marts.reporting")).containsExactly("model.report");
    assertThat(direct("fqn:marts")).containsExactlyInAnyOrder("model.orders", "model.customers", "model.report",
        "test.unique_orders_id", "test.not_null_orders_id", "test.relationships_orders_customer_id__customers",
        "unit_test.test_orders_logic");
    assertThat(direct("other.*")).containsExactly("model.other.util_model");
    assertThat(direct("util_model")).containsExactly("model.other.util_model");
    // fqn never selects sources or exposures
    assertThat(direct("fqn:*")).hasSize(SHOP.size() - 3)
        .doesNotContain("source.raw.orders", "source.raw.customers", "exposure.dashboard");
    assertThat(direct("no_such_model")).isEmpty();
  }

  @Test void tagMethod() {
    assertThat(direct("tag:nightly")).containsExactlyInAnyOrder("model.orders", "model.report");
    assertThat(direct("tag:fin*")).containsExactly("model.report");
    assertThat(direct("tag:staging")).containsExactlyInAnyOrder("model.stg_orders", "model.stg_customers");
  }

  @Test void pathMethodAndBarePaths() {
    String[] staging = {"source.raw.orders", "source.raw.customers", "model.stg_orders", "model.stg_customers",
        "test.not_null_stg_orders_id", "test.source_not_null_raw_orders_id"};
    assertThat(direct("path:models/staging")).containsExactlyInAnyOrder(staging);
    assertThat(direct("models/staging/")).containsExactlyInAnyOrder(staging);
    assertThat(direct("./models/staging")).containsExactlyInAnyOrder(staging);
    assertThat(direct("path:models/marts/*.sql")).containsExactlyInAnyOrder("model.orders", "model.customers");
    assertThat(direct("path:models/**/report.sql")).containsExactly("model.report");
    assertThat(direct("models/marts/orders.sql")).containsExactly("model.orders");
    // a properties file selects what it defines and what it patches
    assertThat(direct("path:models/marts/_marts.yml")).containsExactlyInAnyOrder("model.orders",
        "test.unique_orders_id", "test.not_null_orders_id", "test.relationships_orders_customer_id__customers",
        "unit_test.test_orders_logic");
    assertThat(direct("path:seeds")).containsExactly("seed.country_codes");
  }

  @Test void bareFolderNameUnderTheProjectRootIsAPath(@TempDir Path root) throws Exception {
    Files.createDirectories(root.resolve("seeds"));
    SelectionRequest r = SelectionRequest.select("seeds").withIndirectSelection(IndirectSelection.EMPTY);
    assertThat(run(r)).isEmpty();                                      // fqn: no node is named "seeds"
    assertThat(run(r.withProjectRoot(root))).containsExactly("seed.country_codes");
    assertThat(run(SelectionRequest.select("path:" + root.resolve("seeds")).withProjectRoot(root)))
        .containsExactly("seed.country_codes");
    assertThat(Selector.defaultMethod("models/x", null)).isEqualTo("path");
    assertThat(Selector.defaultMethod("x.sql", null)).isEqualTo("file");
    assertThat(Selector.defaultMethod("x.CSV", null)).isEqualTo("file");
    assertThat(Selector.defaultMethod("x", null)).isEqualTo("fqn");
  }

  @Test void fileMethod() {
    assertThat(direct("file:orders.sql")).containsExactly("model.orders");
    assertThat(direct("orders.sql")).containsExactly("model.orders");
    assertThat(direct("file:orders")).containsExactly("model.orders");
    assertThat(direct("file:country_codes.csv")).containsExactly("seed.country_codes");
    assertThat(direct("file:_sources.yml")).containsExactlyInAnyOrder("source.raw.orders", "source.raw.customers",
        "test.source_not_null_raw_orders_id");
  }

  @Test void sourceMethod() {
    assertThat(direct("source:raw")).containsExactlyInAnyOrder("source.raw.orders", "source.raw.customers");
    assertThat(direct("source:raw.orders")).containsExactly("source.raw.orders");
    assertThat(direct("source:p.raw.cust*")).containsExactly("source.raw.customers");
    assertThat(direct("source:*")).hasSize(2);
    assertThat(direct("source:other.raw.orders")).isEmpty();
    assertThat(direct("source:raw+1")).containsExactlyInAnyOrder("source.raw.orders", "source.raw.customers",
        "model.stg_orders", "model.stg_customers", "test.source_not_null_raw_orders_id");
    assertThatThrownBy(() -> direct("source:a.b.c.d")).isInstanceOf(WeirException.class)
        .hasMessageContaining("package.source_name.table_name");
  }

  @Test void resourceTypeMethod() {
    assertThat(direct("resource_type:seed")).containsExactly("seed.country_codes");
    assertThat(direct("resource_type:snapshot")).containsExactly("snapshot.orders_snapshot");
    assertThat(direct("resource_type:analysis")).containsExactly("analysis.explore");
    assertThat(direct("resource_type:exposure")).containsExactly("exposure.dashboard");
    assertThat(direct("resource_type:unit_test")).containsExactly("unit_test.test_orders_logic");
    assertThat(direct("resource_type:source")).hasSize(2);
    assertThat(direct("resource_type:test")).hasSize(7);
    assertThat(direct("resource_type:model")).hasSize(6);
    assertThatThrownBy(() -> direct("resource_type:modle")).isInstanceOf(WeirException.class)
        .hasMessageContaining("Did you mean 'model'?");
  }

  @Test void configMethod() {
    assertThat(direct("config.materialized:table")).containsExactlyInAnyOrder("model.orders", "model.customers");
    assertThat(direct("config.meta.owner:alice")).containsExactly("model.orders");
    assertThat(direct("config.meta.owner:bob")).containsExactly("model.report");   // top-level meta
    assertThat(direct("config.tags:nightly")).containsExactly("model.orders");     // list contains
    assertThat(direct("config.enabled:TRUE")).containsExactly("model.stg_customers"); // boolean, any case
    assertThat(direct("config.severity:warn")).containsExactly("test.source_not_null_raw_orders_id");
    assertThat(direct("config.materialized:TABLE")).isEmpty();                    // strings are exact
    assertThat(direct("config.no_such_key:x")).isEmpty();
    assertThatThrownBy(() -> direct("config:table")).isInstanceOf(WeirException.class)
        .hasMessageContaining("config.<key>");
    assertThatThrownBy(() -> direct("tag.sub:x")).isInstanceOf(WeirException.class)
        .hasMessageContaining("takes no arguments");
  }

  @Test void packageGroupExposureMethods() {
    assertThat(direct("package:other")).containsExactly("model.other.util_model");
    assertThat(direct("package:p")).hasSize(SHOP.size() - 1);
    assertThat(direct("group:finance")).containsExactly("model.orders");
    assertThat(direct("exposure:dashboard")).containsExactly("exposure.dashboard");
    assertThat(direct("exposure:p.dashboard")).containsExactly("exposure.dashboard");
    assertThat(direct("+exposure:dashboard")).contains("model.report", "model.orders", "source.raw.orders");
  }

  @Test void testTypeAndTestNameMethods() {
    assertThat(direct("test_type:generic")).containsExactlyInAnyOrder("test.unique_orders_id",
        "test.not_null_orders_id", "test.relationships_orders_customer_id__customers",
        "test.not_null_stg_orders_id", "test.source_not_null_raw_orders_id");
    assertThat(direct("test_type:singular")).containsExactlyInAnyOrder("test.assert_positive_totals", "test.mixed_agg");
    assertThat(direct("test_type:unit")).containsExactly("unit_test.test_orders_logic");
    assertThat(direct("test_type:data")).hasSize(7);
    assertThatThrownBy(() -> direct("test_type:singluar")).isInstanceOf(WeirException.class)
        .hasMessageContaining("Did you mean 'singular'?");
    assertThat(direct("test_name:unique")).containsExactly("test.unique_orders_id");
    assertThat(direct("test_name:not_null")).hasSize(3);
    assertThat(direct("test_name:not_*")).hasSize(3);
    assertThat(direct("test_name:assert_positive_totals")).containsExactly("test.assert_positive_totals");
    assertThat(direct("test_name:test_orders_logic")).containsExactly("unit_test.test_orders_logic");
    assertThat(direct("unit_test:test_orders_logic")).containsExactly("unit_test.test_orders_logic");
  }

  @Test void unknownMethodsSuggestTheClosest() {
    assertThatThrownBy(() -> direct("tagg:nightly"))
        .isInstanceOfSatisfying(WeirException.class, e -> assertThat(e.kind()).isEqualTo(WeirException.Kind.USAGE))
        .hasMessage("Unknown selection method 'tagg' in 'tagg:nightly'. Did you mean 'tag'?");
    assertThatThrownBy(() -> direct("resourcetype:model")).hasMessageContaining("Did you mean 'resource_type'?");
    assertThatThrownBy(() -> direct("state:modified")).hasMessageContaining("'state'").hasMessageContaining("not available");
  }

  @Test void registeredMethodsExtendTheGrammar() {
    SelectorMethods methods = SelectorMethods.defaults()
        .register("state", (ctx, args, value) -> value.equals("modified") ? Set.of("model.p.orders") : Set.of());
    Set<String> got = new Selector(methods).run(SHOP,
        SelectionRequest.select("state:modified+1").withIndirectSelection(IndirectSelection.EMPTY)).selected();
    assertThat(got).contains("model.p.orders", "model.p.report").doesNotContain("model.p.stg_orders");
    assertThat(methods.names()).contains("state", "tag", "selector");
  }

  // ------------------------------------------------------------------ graph operators

  @Test void parentsOperators() {
    assertThat(direct("+orders")).containsExactlyInAnyOrder("model.orders", "model.stg_orders",
        "model.stg_customers", "source.raw.orders", "source.raw.customers");
    assertThat(direct("1+orders")).containsExactlyInAnyOrder("model.orders", "model.stg_orders", "model.stg_customers");
    assertThat(direct("0+orders")).containsExactly("model.orders");
  }

  @Test void childrenOperators() {
    assertThat(direct("orders+")).containsExactlyInAnyOrder(plus(ORDERS_TESTS, "model.orders", "model.report",
        "exposure.dashboard", "analysis.explore", "test.assert_positive_totals"));
    assertThat(direct("orders+1")).containsExactlyInAnyOrder(plus(ORDERS_TESTS, "model.orders", "model.report",
        "analysis.explore"));
    assertThat(direct("stg_customers+2")).containsExactlyInAnyOrder("model.stg_customers", "model.orders",
        "model.customers", "model.report", "analysis.explore", "test.unique_orders_id", "test.not_null_orders_id",
        "test.relationships_orders_customer_id__customers", "test.mixed_agg", "unit_test.test_orders_logic");
    assertThat(direct("1+orders+1")).contains("model.stg_orders", "model.report").doesNotContain("source.raw.orders");
  }

  @Test void atOperator() {
    assertThat(direct("@stg_customers")).containsExactlyInAnyOrder(plus(ORDERS_TESTS,
        "model.stg_customers", "model.orders", "model.customers", "model.report", "exposure.dashboard",
        "analysis.explore", "test.assert_positive_totals",
        // ancestors of those descendants
        "source.raw.customers", "model.stg_orders", "source.raw.orders", "model.other.util_model"));
    assertThat(direct("@stg_customers")).doesNotContain("seed.country_codes", "snapshot.orders_snapshot",
        "test.not_null_stg_orders_id");
  }

  // ------------------------------------------------------------------ set operators

  @Test void intersectionsAndUnions() {
    assertThat(direct("tag:nightly,marts.reporting")).containsExactly("model.report");
    assertThat(direct("+report,+customers")).containsExactlyInAnyOrder("model.customers", "model.stg_customers",
        "source.raw.customers", "model.other.util_model");
    assertThat(direct("stg_orders customers")).containsExactlyInAnyOrder("model.stg_orders", "model.customers");
    assertThat(direct("stg_orders", "customers")).containsExactlyInAnyOrder("model.stg_orders", "model.customers");
    assertThat(direct("tag:nightly,config.materialized:table tag:staging,stg_orders"))
        .containsExactlyInAnyOrder("model.orders", "model.stg_orders");
  }

  @Test void unmatchedPartsAreReported() {
    Selector.Result r = new Selector().run(SHOP, SelectionRequest.select("orders tag:nope", "a,b"));
    assertThat(r.unmatched()).containsExactly("tag:nope", "a,b");
    assertThat(r.selected()).contains("model.p.orders");
  }

  @Test void excludeRemovesNodesAndTheirTests() {
    assertThat(run(SelectionRequest.select("marts").withExclude("tag:nightly")
        .withIndirectSelection(IndirectSelection.EMPTY))).containsExactly("model.customers");
    assertThat(run(SelectionRequest.select("stg_orders", "orders").withExclude("stg_orders")))
        .containsExactlyInAnyOrder("model.orders", "test.unique_orders_id", "test.not_null_orders_id",
            "test.relationships_orders_customer_id__customers", "unit_test.test_orders_logic");
  }

  @Test void resultIteratesInTopologicalOrder() {
    List<String> order = new ArrayList<>(Selector.select(SHOP, SelectionRequest.select("+report")));
    assertThat(order.indexOf("model.p.report")).isGreaterThan(order.indexOf("model.p.orders"));
    assertThat(order.indexOf("model.p.orders")).isGreaterThan(order.indexOf("model.p.stg_orders"));
    assertThat(order.indexOf("model.p.stg_orders")).isGreaterThan(order.indexOf("source.p.raw.orders"));
    assertThat(order.indexOf("test.p.unique_orders_id")).isGreaterThan(order.indexOf("model.p.orders"));
  }

  @Test void noSelectMeansEverything() {
    assertThat(run(SelectionRequest.all())).hasSize(SHOP.size());
    // exclusion still applies, tests of excluded nodes go too; the exposure stays
    assertThat(run(SelectionRequest.all().withExclude("tag:nightly")))
        .doesNotContain("model.orders", "model.report", "test.assert_positive_totals", "test.mixed_agg",
            "test.relationships_orders_customer_id__customers", "unit_test.test_orders_logic")
        .contains("exposure.dashboard", "model.customers", "test.not_null_stg_orders_id")
        .hasSize(SHOP.size() - 8);
  }

  // ------------------------------------------------------------------ indirect selection

  @Test void eagerAddsTestsWithAnySelectedParent() {
    assertThat(sel(IndirectSelection.EAGER, "orders")).containsExactlyInAnyOrder(plus(ORDERS_TESTS, "model.orders"));
    assertThat(sel(IndirectSelection.EAGER, "customers")).containsExactlyInAnyOrder("model.customers",
        "test.relationships_orders_customer_id__customers");
    assertThat(run(SelectionRequest.select("orders"))).isEqualTo(sel(IndirectSelection.EAGER, "orders"));
  }

  @Test void cautiousAddsTestsWithAllParentsSelected() {
    assertThat(sel(IndirectSelection.CAUTIOUS, "orders")).containsExactlyInAnyOrder("model.orders",
        "test.unique_orders_id", "test.not_null_orders_id", "unit_test.test_orders_logic");
    assertThat(sel(IndirectSelection.CAUTIOUS, "customers")).containsExactly("model.customers");
    // parents selected by two different parts of a union count together
    assertThat(sel(IndirectSelection.CAUTIOUS, "orders customers")).containsExactlyInAnyOrder("model.orders",
        "model.customers", "test.unique_orders_id", "test.not_null_orders_id", "unit_test.test_orders_logic",
        "test.relationships_orders_customer_id__customers");
    assertThat(sel(IndirectSelection.CAUTIOUS, "+orders")).contains("test.mixed_agg", "test.not_null_stg_orders_id",
        "test.source_not_null_raw_orders_id").doesNotContain("test.relationships_orders_customer_id__customers");
  }

  @Test void buildableAlsoAcceptsParentsUpstreamOfTheSelection() {
    assertThat(sel(IndirectSelection.BUILDABLE, "orders")).containsExactlyInAnyOrder("model.orders",
        "test.unique_orders_id", "test.not_null_orders_id", "unit_test.test_orders_logic", "test.mixed_agg");
    assertThat(sel(IndirectSelection.BUILDABLE, "customers")).containsExactly("model.customers");
    assertThat(sel(IndirectSelection.BUILDABLE, "customers orders"))
        .contains("test.relationships_orders_customer_id__customers", "test.mixed_agg");
  }

  @Test void emptyAddsNoTestsButKeepsDirectlySelectedOnes() {
    assertThat(sel(IndirectSelection.EMPTY, "orders")).containsExactly("model.orders");
    assertThat(sel(IndirectSelection.EMPTY, "orders", "test_name:relationships"))
        .containsExactlyInAnyOrder("model.orders", "test.relationships_orders_customer_id__customers");
  }

  @Test void exclusionIsGreedyInEveryMode() {
    String[] expected = {"model.orders", "test.unique_orders_id", "test.not_null_orders_id",
        "unit_test.test_orders_logic"};
    assertThat(run(SelectionRequest.select("orders", "customers").withExclude("customers")
        .withIndirectSelection(IndirectSelection.CAUTIOUS))).containsExactlyInAnyOrder(expected);
    assertThat(run(SelectionRequest.select("orders", "customers").withExclude("customers")
        .withIndirectSelection(IndirectSelection.BUILDABLE))).containsExactlyInAnyOrder(plus(expected, "test.mixed_agg"));
    assertThat(run(SelectionRequest.select("orders").withExclude("customers")))
        .containsExactlyInAnyOrder(plus(expected, "test.mixed_agg"));
    // excluding a test directly
    assertThat(run(SelectionRequest.select("orders").withExclude("test_name:unique")))
        .doesNotContain("test.unique_orders_id").contains("test.not_null_orders_id");
  }

  @Test void intersectionsSeeExpandedTestsAsDbtDoes() {
    // each atom is expanded before intersecting: tests of nightly models are in both sides
    assertThat(sel(IndirectSelection.EAGER, "resource_type:model,tag:nightly")).containsExactlyInAnyOrder(
        plus(ORDERS_TESTS, "model.orders", "model.report", "test.assert_positive_totals"));
  }

  @Test void indirectSelectionModeParsing() {
    assertThat(IndirectSelection.parse("Cautious")).isEqualTo(IndirectSelection.CAUTIOUS);
    assertThat(IndirectSelection.parse(null)).isEqualTo(IndirectSelection.EAGER);
    assertThatThrownBy(() -> IndirectSelection.parse("eagre")).hasMessageContaining("Did you mean 'eager'?");
  }
}
