package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The projects a new user meets first: what {@code weir init} scaffolds, and examples/coffee_shop. */
class ExampleProjectsE2ETest {

  @Test
  void initScaffoldsAProjectThatBuilds(@TempDir Path tmp) {
    Map<String, String> env = new TestProject(tmp).env;
    TestProject.runRaw(env, "init", "my_project", "--project-dir", tmp.toString()).ok();
    TestProject p = new TestProject(tmp.resolve("my_project"));
    assertThat(p.exists("dbt_project.yml")).isTrue();
    assertThat(p.exists("seeds/raw_orders.csv")).isTrue();

    TestProject.Result r = p.run("build").ok();
    assertThat(r.out()).contains("Completed successfully");

    // The seed: ada ordered 12.50 and 20.25, grace 8.00, linus 5.75.
    assertThat(p.rows("select customer, orders, cast(total_amount * 100 as integer) from main.customer_totals order by customer"))
        .containsExactly("ada|2|3275", "grace|1|800", "linus|1|575");
    assertThat(p.relationType("main", "stg_orders")).isEqualTo("VIEW");
    assertThat(p.relationType("main", "customer_totals")).isEqualTo("BASE TABLE");
    assertThat(p.rows("select count(*) from main.raw_orders")).containsExactly("4");

    // A second init with the same name refuses to overwrite.
    TestProject.runRaw(env, "init", "my_project", "--project-dir", tmp.toString()).exits(2);
  }

  @Test
  void coffeeShopBuildsWithTheRightNumbers(@TempDir Path tmp) {
    TestProject p = TestProject.copyOf(TestProject.repoRoot().resolve("examples").resolve("coffee_shop"), tmp);
    TestProject.Result r = p.run("build").ok();
    assertThat(r.out()).contains("Completed successfully").doesNotContain("ERROR=1");

    // first_day is 2026-01-01: order 100 (2025-12-30) is left out of the marts.
    assertThat(p.rows("select order_id from main.orders order by order_id"))
        .containsExactly("101", "102", "103", "104", "105", "106", "107");
    // Customer 1: order 100 (excluded), 101 completed = 2 flat whites (380) + 1 croissant (300) = 10.60,
    // 106 only placed. Customer 2: 102 = beans 1450 + cold brew 420 and 104 = 3 espressos 750 -> 26.20.
    // Customer 3: 103 returned -> 0. Customer 4: 105 = 4 beans 5800 + flat white 380 -> 61.80 (VIP, >= 50.00).
    // Customer 5: 107 = 2 croissants 600 + 2 flat whites 760 -> 13.60.
    assertThat(p.rows("select customer_id, completed_orders, cast(lifetime_amount * 100 as integer), is_vip "
        + "from main.customers order by customer_id"))
        .containsExactly("1|1|1060|false", "2|2|2620|false", "3|0|0|false", "4|1|6180|true", "5|1|1360|false");
    // The intermediate model is ephemeral: no relation of its own.
    assertThat(p.relationExists("main", "int_order_totals")).isFalse();
    // daily_revenue (incremental): completed orders per day since first_day.
    assertThat(p.rows("select cast(order_day as varchar), orders, cast(revenue * 100 as integer) from main.daily_revenue order by 1"))
        .containsExactly("2026-01-02|2|2930", "2026-01-09|1|750", "2026-01-21|1|6180", "2026-02-02|1|1360");

    // Files ingested before the models (data/deliveries/*.csv, data/feedback.ndjson), and the export written after.
    assertThat(p.rows("select count(*), sum(kilos) from main.deliveries")).containsExactly("7|64");
    assertThat(p.rows("select count(*) from main.feedback")).containsExactly("4");
    assertThat(p.exists("exports/bean_costs/delivery_month=2026-01-01")).isTrue();
    assertThat(p.exists("exports/bean_costs/delivery_month=2026-02-01")).isTrue();

    // A second build takes the incremental path and still has one row per day.
    p.run("build").ok();
    assertThat(p.rows("select count(*), count(distinct order_day) from main.daily_revenue")).containsExactly("4|4");

    // Moving first_day with --vars changes the marts.
    p.run("run", "-s", "+customers", "--vars", "{first_day: '2026-01-10'}").ok();
    assertThat(p.rows("select customer_id, cast(lifetime_amount * 100 as integer) from main.customers order by customer_id"))
        .containsExactly("1|0", "2|0", "3|0", "4|6180", "5|1360");
  }

  @Test
  void coffeeShopsDailyPipelineWaitsForItsFilesThenBuilds(@TempDir Path tmp) {
    TestProject p = TestProject.copyOf(TestProject.repoRoot().resolve("examples").resolve("coffee_shop"), tmp);
    TestProject.Result r = p.run("pipeline", "trigger", "daily", "--logical-date", "2026-02-01").ok(); // the interval holding it starts 2026-01-31 06:15 Paris
    assertThat(r.out()).contains("Run 1 of daily succeeded: 4 success");
    assertThat(p.read("target/runs/1/deliveries_landed/1.log")).contains("found data/deliveries/").contains("condition met");
    assertThat(p.read("target/runs/1/report/1.log")).contains("built the shop for 2026-01-31");
    assertThat(p.rows("select count(*) from main.orders")).containsExactly("7");
  }
}
