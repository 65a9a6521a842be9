package dev.weir.core.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SelectorsYamlTest {
  private static final Graph SHOP = Graph.of(Fixtures.shop());

  private static final String YAML = """
      selectors:
        - name: nightly
          description: Nightly models and their direct parents, seeds, but not the report
          default: true
          definition:
            union:
              - method: tag
                value: nightly
                parents: true
                parents_depth: 1
              - 'resource_type:seed'
              - exclude:
                  - report
        - name: staging_kv
          definition:
            tag: staging
        - name: cli
          definition: 'tag:nightly,config.materialized:table'
        - name: marts_of_nightly
          definition:
            intersection:
              - method: selector
                value: nightly
              - method: fqn
                value: "marts.*"
        - name: around_stg_customers
          definition:
            method: fqn
            value: stg_customers
            childrens_parents: true
        - name: downstream_cautious
          definition:
            method: fqn
            value: stg_customers
            children: true
            children_depth: 1
            indirect_selection: cautious
        - name: config_bool
          definition:
            method: config.enabled
            value: true
      """;

  private static final Selectors SELECTORS = Selectors.parseYaml(YAML);

  private static Set<String> run(String selector) {
    return run(SelectionRequest.all().withSelectors(SELECTORS).withSelector(selector));
  }

  private static Set<String> run(SelectionRequest req) {
    Set<String> out = new LinkedHashSet<>();
    for (String id : Selector.select(SHOP, req)) out.add(id.replace(".p.", "."));
    return out;
  }

  @Test void namesDescriptionsAndDefault() {
    assertThat(SELECTORS.names()).containsExactly("nightly", "staging_kv", "cli", "marts_of_nightly",
        "around_stg_customers", "downstream_cautious", "config_bool");
    assertThat(SELECTORS.defaultSelector()).contains("nightly");
    assertThat(SELECTORS.get("nightly").description()).startsWith("Nightly models");
    assertThat(SELECTORS.get("nightly").isDefault()).isTrue();
    assertThat(SelectionRequest.all().withSelectors(SELECTORS).withDefaultSelector().selector()).isEqualTo("nightly");
    assertThat(SelectionRequest.select("x").withSelectors(SELECTORS).withDefaultSelector().selector()).isNull();
    assertThat(Selectors.parseYaml("").defaultSelector()).isEmpty();
  }

  @Test void fullDefinitionWithUnionAndExclude() {
    // tag:nightly with 1 parent level: orders, report, stg_orders, stg_customers, customers; + seed; - report
    // (and report's test); eager tests of the rest
    assertThat(run("nightly")).containsExactlyInAnyOrder("model.orders", "model.stg_orders", "model.stg_customers",
        "model.customers", "seed.country_codes", "test.unique_orders_id", "test.not_null_orders_id",
        "test.relationships_orders_customer_id__customers", "test.mixed_agg", "unit_test.test_orders_logic",
        "test.not_null_stg_orders_id");
  }

  @Test void keyValueAndCliStyle() {
    assertThat(run("staging_kv")).containsExactlyInAnyOrder("model.stg_orders", "model.stg_customers",
        "test.not_null_stg_orders_id", "test.mixed_agg");
    assertThat(run("cli")).containsExactlyInAnyOrder("model.orders", "test.unique_orders_id",
        "test.not_null_orders_id", "test.relationships_orders_customer_id__customers", "test.mixed_agg",
        "unit_test.test_orders_logic");
    assertThat(run("config_bool")).containsExactly("model.stg_customers");
  }

  @Test void selectorReferencesAndIntersection() {
    assertThat(run("marts_of_nightly")).containsExactlyInAnyOrder("model.orders", "model.customers",
        "test.unique_orders_id", "test.not_null_orders_id", "test.relationships_orders_customer_id__customers",
        "unit_test.test_orders_logic", "test.mixed_agg");
    // selector: also works from --select
    assertThat(run(SelectionRequest.select("selector:staging_kv,tag:nope").withSelectors(SELECTORS))).isEmpty();
    assertThat(run(SelectionRequest.select("selector:cli").withSelectors(SELECTORS))).contains("model.orders");
  }

  @Test void childrensParentsAndPerCriteriaIndirectSelection() {
    assertThat(run("around_stg_customers")).contains("model.stg_orders", "model.other.util_model", "exposure.dashboard")
        .doesNotContain("seed.country_codes");
    // stg_customers+1 = stg_customers, orders, customers. Cautious in the YAML overrides the request's
    // eager: mixed_agg (on orders and the unselected stg_orders) stays out, relationships comes in
    assertThat(run("downstream_cautious")).containsExactlyInAnyOrder("model.stg_customers", "model.orders",
        "model.customers", "test.unique_orders_id", "test.not_null_orders_id", "unit_test.test_orders_logic",
        "test.relationships_orders_customer_id__customers");
  }

  @Test void selectorWinsOverSelectAsInDbt() {
    assertThat(run(SelectionRequest.select("report").withSelectors(SELECTORS).withSelector("staging_kv")))
        .doesNotContain("model.report");
  }

  @Test void acceptsAnAlreadyLoadedMap() {
    Map<String, Object> doc = Map.of("selectors", List.of(
        Map.of("name", "s", "definition", Map.of("union", List.of("orders", Map.of("method", "tag", "value", "staging")))),
        Map.of("name", "d", "default", "True", "definition", "customers")));
    Selectors s = Selectors.parse(doc);
    assertThat(s.defaultSelector()).contains("d");
    assertThat(run(SelectionRequest.all().withSelectors(s).withSelector("s"))).contains("model.orders", "model.stg_orders");
  }

  @Test void unknownSelectorSuggestsClosest() {
    assertThatThrownBy(() -> run("nightlly"))
        .isInstanceOfSatisfying(WeirException.class, e -> assertThat(e.kind()).isEqualTo(WeirException.Kind.USAGE))
        .hasMessage("Could not find selector named 'nightlly'. Did you mean 'nightly'?");
    assertThatThrownBy(() -> run(SelectionRequest.all().withSelector("x"))).hasMessageContaining("No selectors are defined");
  }

  @Test void definitionErrors() {
    assertThatThrownBy(() -> Selectors.parseYaml("""
        selectors:
          - name: a
            definition: {method: selector, value: b}
          - name: b
            definition: {union: [x, {method: selector, value: a}]}
        """)).isInstanceOf(WeirException.class).hasMessageContaining("cycle: a --> b --> a");
    assertThatThrownBy(() -> Selectors.parseYaml("""
        selectors:
          - name: a
            definition: {method: selector, value: nope}
        """)).hasMessageContaining("unknown selector 'nope'");
    assertThatThrownBy(() -> Selectors.parseYaml("""
        selectors:
          - {name: a, default: true, definition: x}
          - {name: b, default: true, definition: y}
        """)).hasMessageContaining("more than one").hasMessageContaining("a, b");
    assertThatThrownBy(() -> Selectors.parseYaml("""
        selectors:
          - name: a
            definition: {method: tag, value: x, chidlren: true}
        """)).hasMessageContaining("unknown key 'chidlren'").hasMessageContaining("Did you mean 'children'?");
    assertThatThrownBy(() -> Selectors.parseYaml("""
        selectors:
          - name: a
            definition: {exclude: [x]}
        """)).hasMessageContaining("'exclude' can only appear");
    assertThatThrownBy(() -> Selectors.parseYaml("""
        selectors:
          - name: a
        """)).hasMessageContaining("has no 'definition'");
    assertThatThrownBy(() -> Selectors.parseYaml("""
        selectors:
          - {name: a, definition: {method: tag, value: x, indirect_selection: sometimes}}
        """)).hasMessageContaining("selector 'a'").hasMessageContaining("indirect selection mode");
    assertThatThrownBy(() -> Selectors.parseYaml("selectors: [name: a")).isInstanceOf(WeirException.class)
        .hasMessageContaining("Could not parse selectors.yml");
    // unknown methods surface at evaluation, with a suggestion
    Selectors bad = Selectors.parseYaml("selectors: [{name: a, definition: {method: tags, value: x}}]");
    assertThatThrownBy(() -> run(SelectionRequest.all().withSelectors(bad).withSelector("a")))
        .hasMessageContaining("Did you mean 'tag'?");
  }
}
