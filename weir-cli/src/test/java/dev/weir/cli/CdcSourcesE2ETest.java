package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CDC tables are sources of the project without connecting anywhere: a model on {@code source('shop_cdc', 'orders')}
 * compiles to the CDC target table, lineage goes through it, and the manifest names the loader.
 */
class CdcSourcesE2ETest {
  @Test
  void cdcTablesAndTheirHistoryAreSourcesModelsBuildOn(@TempDir Path dir) {
    TestProject p = TestProject.create(dir, "cdc_sources", "");
    p.file("cdc/shop.yml", """
        name: shop_cdc
        description: The shop's operational database
        database: shop
        user: weir
        password: "{{ env_var('SHOP_CDC_PASSWORD') }}"
        tables: [public.orders, customers]
        history: true
        """);
    p.file("models/order_changes.sql", "select _weir_op, count(*) as n from {{ source('shop_cdc', 'orders_history') }} group by 1\n");
    p.file("models/open_orders.sql", "select * from {{ source('shop_cdc', 'orders') }} where not coalesce(_weir_deleted, false)\n");
    // parsing needs neither the database nor the password's variable
    assertThat(p.run("ls", "--resource-type", "source", "--output", "name").ok().out().lines())
        .containsExactlyInAnyOrder("customers", "customers_history", "orders", "orders_history");
    assertThat(p.run("ls", "-s", "source:shop_cdc.orders+", "--output", "name").ok().out().lines()).containsExactlyInAnyOrder("open_orders", "orders");
    assertThat(p.run("compile", "-s", "order_changes").ok().out()).contains("\"raw_shop_cdc\".\"orders_history\"");
    String manifest = p.read("target/manifest.json");
    boolean described = manifest.contains("\"source_description\":\"The shop's operational database\"");
    assertThat(described).as("source_description in the manifest").isTrue();
    assertThat(manifest.contains("\"loader\":\"weir-cdc\"")).as("loader weir-cdc").isTrue();
  }
}
