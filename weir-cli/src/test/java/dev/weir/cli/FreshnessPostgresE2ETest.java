package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.core.artifacts.ArtifactSchemas;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Source freshness on a real PostgreSQL 17 (zonky): timestamp and timestamptz columns, and build's gate. */
class FreshnessPostgresE2ETest {
  static EmbeddedPostgres pg;

  @BeforeAll
  static void start() {
    pg = SharedPostgres.get();
  }

  static void exec(String... sql) {
    Properties props = new Properties();
    props.setProperty("user", "postgres");
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + pg.getPort() + "/postgres", props);
         Statement st = c.createStatement()) {
      for (String s : sql) st.execute(s);
    } catch (SQLException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  @Test
  void checksTimestampAndTimestamptzSourcesAndGatesTheBuild(@TempDir Path dir) {
    exec("create schema fresh_raw",
        "create table fresh_raw.orders as select 1 as id, (now() at time zone 'UTC') - interval '3 hours' as loaded_at",
        "create table fresh_raw.events as select 1 as id, now() - interval '10 minutes' as ts",
        "create table fresh_raw.payments as select 1 as id, (now() at time zone 'UTC') - interval '2 days' as loaded_at");
    TestProject p = TestProject.create(dir, "pgfresh", "")
        .file("profiles.yml", """
            pgfresh:
              target: dev
              outputs:
                dev:
                  type: postgres
                  host: localhost
                  port: %d
                  user: postgres
                  password: unused
                  dbname: postgres
                  schema: fresh_models
            """.formatted(pg.getPort()))
        .file("models/sources.yml", """
            version: 2
            sources:
              - name: raw
                schema: fresh_raw
                loaded_at_field: loaded_at
                freshness:
                  warn_after: {count: 1, period: hour}
                  error_after: {count: 1, period: day}
                tables:
                  - name: orders
                  - name: events
                    loaded_at_field: ts
                  - name: payments
            """)
        .file("models/stg_orders.sql", "select id from {{ source('raw', 'orders') }}\n")
        .file("models/stg_payments.sql", "select id from {{ source('raw', 'payments') }}\n");

    TestProject.Result r = p.run("source", "freshness").exits(1);
    assertThat(r.out()).contains("PASS freshness of raw.events").contains("WARN freshness of raw.orders")
        .contains("ERROR STALE freshness of raw.payments");
    ArtifactSchemas.assertValid(dir.resolve("target/sources.json"), ArtifactSchemas.SOURCES);
    Map<String, JsonNode> results = new HashMap<>();
    for (JsonNode n : p.json("target/sources.json").path("results")) results.put(n.path("unique_id").asText(), n);
    assertThat(results.get("source.pgfresh.raw.orders").path("max_loaded_at_time_ago_in_s").asDouble())
        .isBetween(3 * 3600.0 - 5, 3 * 3600.0 + 120);
    assertThat(results.get("source.pgfresh.raw.events").path("max_loaded_at_time_ago_in_s").asDouble())
        .isBetween(600.0 - 5, 600.0 + 120);

    TestProject.Result build = p.run("build", "--check-source-freshness").exits(1);
    assertThat(build.out()).contains("SKIP relation sql view model fresh_models.stg_payments");
    assertThat(build.out()).contains("OK created sql view model fresh_models.stg_orders");
  }
}
