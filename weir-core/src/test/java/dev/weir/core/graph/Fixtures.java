package dev.weir.core.graph;

import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Small hand-built projects for the graph and selection tests. */
final class Fixtures {
  private Fixtures() {}

  static Node node(ResourceType type, String pkg, String name, String... deps) {
    Node n = new Node(type.dbtName() + "." + pkg + "." + name, type, pkg, name);
    n.dependsOnNodes.addAll(List.of(deps));
    n.fqn = List.of(pkg, name);
    return n;
  }

  static Node model(String name, String... deps) {
    Node n = node(ResourceType.MODEL, "p", name, deps);
    n.originalFilePath = "models/" + name + ".sql";
    return n;
  }

  /** A chain of model names, each depending on the previous: a --> b --> c ... */
  static List<Node> chain(String... names) {
    List<Node> out = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      out.add(i == 0 ? model(names[i]) : model(names[i], "model.p." + names[i - 1]));
    }
    return out;
  }

  /**
   * A small shop project, package "p" plus package "other":
   * <pre>
   * source raw.orders    --> stg_orders    --> orders    --> report --> exposure dashboard
   * source raw.customers --> stg_customers --> orders
   *                          stg_customers --> customers --> report
   * other.util_model --> customers;  stg_orders --> orders_snapshot
   * seed country_codes; analysis explore --> orders
   * tests: unique/not_null on orders, relationships orders->customers, not_null on stg_orders,
   *        not_null on source raw.orders, singular assert_positive_totals on report,
   *        singular mixed_agg on orders + stg_orders, unit test on orders
   * </pre>
   */
  static List<Node> shop() {
    List<Node> ns = new ArrayList<>();
    Node so = source("raw", "orders");
    Node srcCustomers = source("raw", "customers");
    ns.add(so);
    ns.add(srcCustomers);

    Node stgOrders = model("stg_orders", "source.p.raw.orders");
    stgOrders.fqn = List.of("p", "staging", "stg_orders");
    stgOrders.originalFilePath = "models/staging/stg_orders.sql";
    stgOrders.tags.add("staging");
    stgOrders.config.put("materialized", "view");
    Node stgCustomers = model("stg_customers", "source.p.raw.customers");
    stgCustomers.fqn = List.of("p", "staging", "stg_customers");
    stgCustomers.originalFilePath = "models/staging/stg_customers.sql";
    stgCustomers.tags.add("staging");
    stgCustomers.config.put("materialized", "view");
    stgCustomers.config.put("enabled", true);
    Node orders = model("orders", "model.p.stg_orders", "model.p.stg_customers");
    orders.fqn = List.of("p", "marts", "orders");
    orders.originalFilePath = "models/marts/orders.sql";
    orders.patchPath = "p://models/marts/_marts.yml";
    orders.tags.add("nightly");
    orders.config.put("materialized", "table");
    orders.config.put("meta", Map.of("owner", "alice"));
    orders.config.put("group", "finance");
    orders.config.put("tags", List.of("nightly"));
    Node customers = model("customers", "model.p.stg_customers", "model.other.util_model");
    customers.fqn = List.of("p", "marts", "customers");
    customers.originalFilePath = "models/marts/customers.sql";
    customers.config.put("materialized", "table");
    Node report = model("report", "model.p.orders", "model.p.customers");
    report.fqn = List.of("p", "marts", "reporting", "report");
    report.originalFilePath = "models/marts/reporting/report.sql";
    report.tags.addAll(List.of("nightly", "finance"));
    report.meta.put("owner", "bob");
    Node util = node(ResourceType.MODEL, "other", "util_model");
    util.originalFilePath = "models/util_model.sql";
    ns.addAll(List.of(stgOrders, stgCustomers, orders, customers, report, util));

    Node seed = node(ResourceType.SEED, "p", "country_codes");
    seed.originalFilePath = "seeds/country_codes.csv";
    Node snap = node(ResourceType.SNAPSHOT, "p", "orders_snapshot", "model.p.stg_orders");
    snap.fqn = List.of("p", "orders_snapshot", "orders_snapshot");
    snap.originalFilePath = "snapshots/orders_snapshot.sql";
    Node analysis = node(ResourceType.ANALYSIS, "p", "explore", "model.p.orders");
    analysis.fqn = List.of("p", "analysis", "explore");
    analysis.originalFilePath = "analyses/explore.sql";
    Node dashboard = node(ResourceType.EXPOSURE, "p", "dashboard", "model.p.report");
    dashboard.originalFilePath = "models/marts/_exposures.yml";
    ns.addAll(List.of(seed, snap, analysis, dashboard));

    ns.add(generic("unique_orders_id", "unique", "models/marts/_marts.yml", "model.p.orders"));
    ns.add(generic("not_null_orders_id", "not_null", "models/marts/_marts.yml", "model.p.orders"));
    ns.add(generic("relationships_orders_customer_id__customers", "relationships", "models/marts/_marts.yml",
        "model.p.orders", "model.p.customers"));
    ns.add(generic("not_null_stg_orders_id", "not_null", "models/staging/_staging.yml", "model.p.stg_orders"));
    Node srcTest = generic("source_not_null_raw_orders_id", "not_null", "models/staging/_sources.yml", "source.p.raw.orders");
    srcTest.config.put("severity", "WARN");
    ns.add(srcTest);
    ns.add(singular("assert_positive_totals", "model.p.report"));
    ns.add(singular("mixed_agg", "model.p.orders", "model.p.stg_orders"));
    Node unit = node(ResourceType.UNIT_TEST, "p", "test_orders_logic", "model.p.orders");
    unit.fqn = List.of("p", "marts", "orders", "test_orders_logic");
    unit.originalFilePath = "models/marts/_marts.yml";
    ns.add(unit);
    return ns;
  }

  static Node source(String src, String table) {
    Node n = new Node("source.p." + src + "." + table, ResourceType.SOURCE, "p", table);
    n.sourceName = src;
    n.fqn = List.of("p", "staging", src, table);
    n.originalFilePath = "models/staging/_sources.yml";
    return n;
  }

  static Node generic(String name, String testName, String file, String... deps) {
    Node t = node(ResourceType.TEST, "p", name, deps);
    t.testMetadata = new Node.TestMetadata(testName, null, Map.of());
    t.originalFilePath = file;
    List<String> fqn = new ArrayList<>(List.of("p"));
    int slash = file.lastIndexOf('/');
    if (slash > "models".length()) fqn.addAll(List.of(file.substring("models/".length(), slash).split("/")));
    fqn.add(name);
    t.fqn = fqn;
    if (deps.length > 0) t.attachedNode = deps[0];
    return t;
  }

  static Node singular(String name, String... deps) {
    Node t = node(ResourceType.TEST, "p", name, deps);
    t.originalFilePath = "tests/" + name + ".sql";
    t.fqn = List.of("p", name);
    return t;
  }
}
