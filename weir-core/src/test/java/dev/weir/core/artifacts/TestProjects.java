package dev.weir.core.artifacts;

import dev.weir.core.project.DocDef;
import dev.weir.core.project.MacroDef;
import dev.weir.core.project.Node;
import dev.weir.core.project.Project;
import dev.weir.core.project.ProjectSettings;
import dev.weir.core.project.ResourceType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small projects built in code for artifact tests. */
final class TestProjects {
  static final String SECRET = "s3cr3t-pw-value";

  private TestProjects() {}

  static ProjectSettings settings(String name) {
    return new ProjectSettings(name, "1.0.0", name, 2, List.of("models"), List.of("seeds"), List.of("tests"),
        List.of("macros"), List.of("analyses"), List.of("snapshots"), List.of("models"), "target",
        List.of("target"), "dbt_packages", Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of(),
        List.of(), List.of(), Map.of("identifier", true), null, List.of(), Map.of());
  }

  static Node node(ResourceType type, String name, String file) {
    String pkg = "shop";
    Node n = new Node(type.dbtName() + "." + pkg + "." + name, type, pkg, name);
    n.path = file;
    n.originalFilePath = switch (type) {
      case SEED -> "seeds/" + file;
      case TEST -> "tests/" + file;
      case SNAPSHOT -> "snapshots/" + file;
      case ANALYSIS -> "analyses/" + file;
      default -> "models/" + file;
    };
    n.fqn = List.of(pkg, name);
    n.database = "dev";
    n.schema = "main";
    n.alias = name;
    n.relationName = "\"dev\".\"main\".\"" + name + "\"";
    n.checksum = "";
    return n;
  }

  /** A shop project: source, seed, ephemeral/view/table models, generic + singular tests, snapshot, analysis, exposure. */
  static Project shop() {
    Map<String, Node> nodes = new LinkedHashMap<>();
    Map<String, Node> sources = new LinkedHashMap<>();

    Node src = new Node("source.shop.raw.orders", ResourceType.SOURCE, "shop", "orders");
    src.path = "models/sources.yml";
    src.originalFilePath = "models/sources.yml";
    src.fqn = List.of("shop", "raw", "orders");
    src.database = "dev";
    src.schema = "raw";
    src.sourceName = "raw";
    src.sourceDescription = "Raw data";
    src.identifier = "orders";
    src.loader = "fivetran";
    src.loadedAtField = "_loaded_at";
    src.freshness = Map.of("warn_after", Map.of("count", 12, "period", "hour"), "error_after", Map.of("count", 1, "period", "day"));
    src.relationName = "\"dev\".\"raw\".\"orders\"";
    src.columns.put("id", new Node.ColumnDef("id"));
    sources.put(src.uniqueId, src);

    Node seed = node(ResourceType.SEED, "countries", "countries.csv");
    seed.rawCode = "";
    seed.checksum = "0f1e2d";
    seed.config.put("materialized", "seed");
    seed.config.put("delimiter", ";");
    seed.config.put("column_types", Map.of("code", "varchar"));
    seed.rootPath = "/projects/shop";
    nodes.put(seed.uniqueId, seed);

    Node stg = node(ResourceType.MODEL, "stg_orders", "staging/stg_orders.sql");
    stg.fqn = List.of("shop", "staging", "stg_orders");
    stg.rawCode = "select * from {{ source('raw', 'orders') }}";
    stg.sources.add(List.of("raw", "orders"));
    stg.dependsOnNodes.add(src.uniqueId);
    stg.config.put("materialized", "view");
    stg.compiledCode = "select * from \"dev\".\"raw\".\"orders\"";
    stg.compiled = true;
    stg.compiledPath = "target/compiled/shop/models/staging/stg_orders.sql";
    nodes.put(stg.uniqueId, stg);

    Node eph = node(ResourceType.MODEL, "eph_customers", "eph_customers.sql");
    eph.rawCode = "select 1 as customer_id";
    eph.config.put("materialized", "ephemeral");
    eph.relationName = null;
    eph.compiledCode = "select 1 as customer_id";
    nodes.put(eph.uniqueId, eph);

    Node orders = node(ResourceType.MODEL, "orders", "orders.sql");
    orders.rawCode = "select o.*, '{{ env_var('DBT_ENV_SECRET_PW') }}' as pw from {{ ref('stg_orders') }} o join {{ ref('eph_customers') }} c on true";
    orders.refs.add(new Node.RefCall(null, "stg_orders", null, 1));
    orders.refs.add(new Node.RefCall("shop", "eph_customers", 2, 1));
    orders.dependsOnNodes.add(stg.uniqueId);
    orders.dependsOnNodes.add(eph.uniqueId);
    orders.dependsOnMacros.add("macro.shop.cents_to_dollars");
    orders.config.put("materialized", "table");
    orders.config.put("tags", "finance");
    orders.config.put("post-hook", "grant select on {{ this }} to reporter");
    orders.config.put("pre-hook", List.of(Map.of("sql", "select 1", "transaction", false)));
    orders.config.put("meta", Map.of("owner", "ana", "token", SECRET));
    orders.config.put("contract", Map.of("enforced", true));
    orders.config.put("docs", Map.of("show", true, "node_color", "#00ff00"));
    orders.unrenderedConfig.put("materialized", "table");
    orders.tags.add("finance");
    orders.description = "One row per order";
    Node.ColumnDef id = new Node.ColumnDef("id");
    id.description = "Order id";
    id.dataType = "integer";
    id.constraints.add(Map.of("type", "not_null"));
    orders.columns.put("id", id);
    orders.meta.put("owner", "ana");
    orders.compiledCode = "with __dbt__cte__eph_customers as (select 1 as customer_id) select o.*, '" + SECRET
        + "' as pw from \"dev\".\"main\".\"stg_orders\" o join __dbt__cte__eph_customers c on true";
    orders.extraCtes = List.of(eph.uniqueId);
    nodes.put(orders.uniqueId, orders);

    Node generic = node(ResourceType.TEST, "not_null_orders_id", "orders.yml");
    generic.originalFilePath = "models/orders.yml";
    generic.rawCode = "{{ test_not_null(**_dbt_generic_test_kwargs) }}";
    generic.testMetadata = new Node.TestMetadata("not_null", null,
        Map.of("column_name", "id", "model", "{{ get_where_subquery(ref('orders')) }}"));
    generic.columnName = "id";
    generic.attachedNode = orders.uniqueId;
    generic.fileKeyName = "models.orders";
    generic.refs.add(new Node.RefCall(null, "orders", null, 1));
    generic.dependsOnNodes.add(orders.uniqueId);
    generic.dependsOnMacros.add("macro.dbt.test_not_null");
    generic.config.put("severity", "warn");
    generic.schema = "main_dbt_test__audit";
    generic.relationName = null;
    generic.compiledCode = "select id from \"dev\".\"main\".\"orders\" where id is null";
    nodes.put(generic.uniqueId, generic);

    Node singular = node(ResourceType.TEST, "assert_positive_total", "assert_positive_total.sql");
    singular.rawCode = "select * from {{ ref('orders') }} where total < 0";
    singular.refs.add(new Node.RefCall(null, "orders", null, 1));
    singular.dependsOnNodes.add(orders.uniqueId);
    singular.relationName = null;
    nodes.put(singular.uniqueId, singular);

    Node snap = node(ResourceType.SNAPSHOT, "orders_snapshot", "orders_snapshot.sql");
    snap.rawCode = "select * from {{ ref('orders') }}";
    snap.refs.add(new Node.RefCall(null, "orders", null, 1));
    snap.dependsOnNodes.add(orders.uniqueId);
    snap.config.put("materialized", "snapshot");
    snap.config.put("strategy", "timestamp");
    snap.config.put("unique_key", "id");
    snap.config.put("updated_at", "updated_at");
    snap.config.put("target_schema", "snapshots");
    nodes.put(snap.uniqueId, snap);

    Node analysis = node(ResourceType.ANALYSIS, "revenue", "revenue.sql");
    analysis.rawCode = "select sum(total) from {{ ref('orders') }}";
    analysis.refs.add(new Node.RefCall(null, "orders", null, 1));
    analysis.dependsOnNodes.add(orders.uniqueId);
    nodes.put(analysis.uniqueId, analysis);

    Node exposure = node(ResourceType.EXPOSURE, "weekly_dashboard", "exposures.yml");
    exposure.extra.put("type", "dashboard");
    exposure.extra.put("owner", Map.of("name", "Ana", "email", "ana@example.com"));
    exposure.extra.put("maturity", "high");
    exposure.extra.put("url", "https://bi.example.com/d/1");
    exposure.refs.add(new Node.RefCall(null, "orders", null, 1));
    exposure.dependsOnNodes.add(orders.uniqueId);
    nodes.put(exposure.uniqueId, exposure);

    Map<String, Node> disabled = new LinkedHashMap<>();
    Node old = node(ResourceType.MODEL, "old_model", "old_model.sql");
    old.rawCode = "select 1";
    old.config.put("enabled", false);
    disabled.put(old.uniqueId, old);

    Map<String, MacroDef> macros = new LinkedHashMap<>();
    macros.put("macro.shop.cents_to_dollars", new MacroDef("macro.shop.cents_to_dollars", "cents_to_dollars", "shop",
        "macros/cents.sql", "macros/cents.sql", "{% macro cents_to_dollars(col) %}({{ col }} / 100){% endmacro %}",
        List.of("col"), List.of(), "Converts cents", 1));
    macros.put("macro.dbt.test_not_null", new MacroDef("macro.dbt.test_not_null", "test_not_null", "dbt",
        "macros/generic_test_sql/not_null.sql", "macros/generic_test_sql/not_null.sql",
        "{% test not_null(model, column_name) %}...{% endtest %}", List.of("model", "column_name"), List.of(), "", 1));

    Map<String, DocDef> docs = new LinkedHashMap<>();
    docs.put("doc.shop.orders_status", new DocDef("doc.shop.orders_status", "orders_status", "shop", "docs.md",
        "models/docs.md", "Order status: placed, shipped, returned"));

    Map<String, Object> selectors = Map.of("selectors",
        List.of(Map.of("name", "nightly", "definition", Map.of("method", "tag", "value", "nightly"))));

    return new Project(Path.of("/projects/shop"), "shop", "1.0.0", "shop", settings("shop"), nodes, sources, disabled,
        macros, docs, selectors, new ArrayList<>());
  }

  /** A chain of {@code count} compiled table models, each ref()ing the previous one. */
  static Project large(int count) {
    Map<String, Node> nodes = new LinkedHashMap<>();
    String prev = null;
    for (int i = 0; i < count; i++) {
      String name = "model_" + i;
      Node n = node(ResourceType.MODEL, name, "gen/" + name + ".sql");
      n.rawCode = prev == null ? "select 1 as id, 'x' as label"
          : "select id, label, amount * 2 as amount from {{ ref('model_" + (i - 1) + "') }} where id > " + i;
      n.compiledCode = prev == null ? n.rawCode
          : "select id, label, amount * 2 as amount from \"dev\".\"main\".\"model_" + (i - 1) + "\" where id > " + i;
      n.checksum = "abc" + i;
      n.config.put("materialized", "table");
      n.config.put("tags", List.of("gen", "t" + (i % 10)));
      n.tags.add("gen");
      for (String c : List.of("id", "label", "amount")) n.columns.put(c, new Node.ColumnDef(c));
      if (prev != null) {
        n.refs.add(new Node.RefCall(null, "model_" + (i - 1), null, 1));
        n.dependsOnNodes.add(prev);
      }
      nodes.put(n.uniqueId, n);
      prev = n.uniqueId;
    }
    return new Project(Path.of("/projects/big"), "big", "1.0.0", "big", settings("big"), nodes, Map.of(), Map.of(),
        Map.of(), Map.of(), Map.of(), List.of());
  }
}
