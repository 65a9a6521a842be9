package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weir.stream.KafkaBroker;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Real time" tour on a copy of examples/coffee_shop: a real Kafka broker and a real
 * Postgres with logical replication, set up as examples/coffee_shop/dev/services.sh does
 * ({@link DevServices}); order events produced to the topic and changes made in the shop database;
 * then {@code weir cdc run} / {@code weir stream run --until-caught-up} with the variables the script
 * prints, and the live models built with {@code --vars '{live: true}'}.
 */
class ExampleRealTimeE2ETest {

  @Test
  void theCoffeeShopsStreamAndCdcSourceFeedItsLiveModels(@TempDir Path tmp) throws Exception {
    TestProject p = TestProject.copyOf(TestProject.repoRoot().resolve("examples").resolve("coffee_shop"), tmp.resolve("shop"));
    // Without the services and without --vars, the live models are disabled: nothing to build on the sources.
    assertThat(p.run("ls", "-s", "source:streams+", "source:shop_db+", "--resource-type", "model", "--output", "name")
        .ok().out()).doesNotContain("live_orders");

    Path work = Path.of("target", "embedded-pg").toAbsolutePath();
    Files.createDirectories(work);
    try (KafkaBroker broker = KafkaBroker.start(tmp.resolve("kafka"));
         EmbeddedPostgres pg = EmbeddedPostgres.builder()
             .setOverrideWorkingDirectory(work.toFile())
             .setDataDirectory(tmp.resolve("pgdata"))
             .setCleanDataDirectory(true)
             .setServerConfig("wal_level", "logical")
             .start()) {
      try (Connection c = pg.getPostgresDatabase().getConnection()) {
        DevServices.createShopDatabase(c);
      }
      try (Connection c = pg.getDatabase("postgres", "shop").getConnection()) {
        DevServices.createShopTables(c);
      }
      DevServices.createTopic(broker.bootstrapServers(), 1);
      p.env.putAll(DevServices.envVars(broker.bootstrapServers(), pg.getPort()));

      LocalDateTime t = LocalDateTime.of(2026, 3, 2, 8, 0);
      List<String[]> events = new ArrayList<>();
      events.add(event(9001, 1, 11, 2, "placed", t));
      events.add(event(9002, 2, 30, 1, "placed", t.plusMinutes(1)));
      events.add(event(9003, 3, 10, 3, "placed", t.plusMinutes(2)));
      events.add(event(9001, 1, 11, 2, "completed", t.plusMinutes(5)));
      events.add(event(9002, 2, 30, 1, "completed", t.plusMinutes(6)));
      events.add(event(9003, 3, 10, 3, "cancelled", t.plusMinutes(7)));
      events.add(event(9004, 6, 20, 2, " Completed ", t.plusMinutes(8)));   // the transform trims and lower-cases
      events.add(event(9005, 1, 10, "two", "placed", t.plusMinutes(9)));    // does not cast: a dead letter
      events.add(event(9006, 4, 12, 0, "placed", t.plusMinutes(10)));       // quantity 0: filtered by the transform
      events.add(event(9007, 4, 12, 1, "placed", t.plusMinutes(11)));
      broker.produce(DevServices.TOPIC, events);

      // The first capture snapshots the tables: 5 members and 6 menu items.
      assertThat(p.run("cdc", "run", "--until-caught-up").ok().out()).contains("snapshot");
      assertThat(p.rows("select count(*) from raw_shop_db.loyalty_members_history")).containsExactly("5");
      try (Connection c = pg.getDatabase("postgres", "shop").getConnection(); Statement st = c.createStatement()) {
        st.execute("update public.menu_prices set price_cents = 400 where product_id = 11");
        st.execute("insert into public.loyalty_members (customer_id, tier, points) values (6, 'bronze', 0)");
        st.execute("delete from public.loyalty_members where customer_id = 3");
        st.execute("update public.loyalty_members set points = 140 where customer_id = 1");
      }
      assertThat(p.run("cdc", "run", "--until-caught-up").ok().out()).contains(", 4 changes applied");
      TestProject.Result stream = p.run("stream", "run", "--until-caught-up").ok();
      assertThat(stream.out()).contains("1 dead letters");

      // 10 events: one dead letter, one filtered out.
      assertThat(p.rows("select count(*), count(distinct order_id) from raw.order_events")).containsExactly("8|5");
      assertThat(p.rows("select record_key, error like '%quantity%' from raw.order_event_errors")).containsExactly("9005|true");
      // Current tables: member 3 left, 6 joined, 1 has 140 points; the flat white costs 4.00 now.
      assertThat(p.rows("select customer_id, tier, points from raw_shop_db.loyalty_members order by 1"))
          .containsExactly("1|silver|140", "2|gold|340", "4|gold|610", "5|bronze|15", "6|bronze|0");

      TestProject.Result build = p.run("build", "-s", "tag:live", "--vars", "{live: true}").ok();
      assertThat(build.out()).contains("PASS=3");
      // Each order's latest event, priced with the current menu, tiered from the current members.
      assertThat(p.rows("select order_id, customer_id, loyalty_tier, product, quantity, status, amount_cents from main.live_orders order by 1"))
          .containsExactly(
              "9001|1|silver|Flat white|2|completed|800",  // 2 x 400 (the new price)
              "9002|2|gold|Beans 250g|1|completed|1450",
              "9003|3|none|Espresso|3|cancelled|750",      // member 3 left the programme
              "9004|6|bronze|Croissant|2|completed|600",   // member 6 joined
              "9007|4|gold|Cold brew|1|placed|420");
      assertThat(p.rows("select loyalty_tier, completed_orders, cast(revenue * 100 as integer) from main.revenue_by_tier order by 1"))
          .containsExactly("bronze|1|600", "gold|1|1450", "silver|1|800");
      // History: 6 snapshot rows, then the flat white's price change closes the old price's span.
      assertThat(p.rows("select price_cents, change, valid_to is null from main.menu_price_changes where product_id = 11 order by valid_from"))
          .containsExactly("380|r|false", "400|u|true");
      assertThat(p.rows("select count(*) from main.menu_price_changes")).containsExactly("7");

      assertThat(p.run("stream", "status").ok().out()).contains("order_events").contains("dead letters 1");
      assertThat(p.run("cdc", "status").ok().out()).contains("shop_db").contains("weir_shop_db");
    }
  }

  private static String[] event(long order, int customer, int product, Object quantity, String status, LocalDateTime at) {
    return new String[] {String.valueOf(order), DevServices.orderEvent(order, customer, product, quantity, status, at)};
  }
}
