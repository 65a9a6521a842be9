package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks on one relation computed in one scan (fusion), on real DuckDB: every check reports the
 * same status and failure count fused as run alone (--no-fusion); the check history table; the
 * history checks metric_change and anomaly; quarantine; the build gate.
 */
class ChecksFusionE2ETest {

  static final String ORDERS = """
      {{ config(materialized='table') }}
      select * from (values
        (1, 'open',    10.0, 'a@x.io', 1, cast('2024-01-01' as timestamp)),
        (2, 'shipped', 20.5, 'b@x.io', 2, cast('2024-02-01' as timestamp)),
        (3, 'open',   -4.0,  'nope',   9, cast('2999-01-01' as timestamp)),
        (3, 'lost',    7.0,  null,     1, null),
        (5, null,      1.0,  'e@x.io', 2, cast('2024-03-01' as timestamp))
      ) as t(id, status, amount, email, customer_id, ordered_at)
      """;

  static final String CUSTOMERS = """
      {{ config(materialized='table') }}
      select * from (values (1, 'ann'), (2, 'bob')) as t(id, name)
      """;

  /** A mix of passing and failing checks, dbt's and Weir's, with where, severity and mostly. */
  static final String SCHEMA = """
      models:
        - name: customers
          columns:
            - name: id
              data_tests: [unique, not_null]
        - name: orders
          data_tests:
            - row_count_between: {min_value: 1, max_value: 100}
            - row_count_between: {min_value: 10, name: too_few_orders}
            - unique_combination: {columns: [id, status]}
            - expression_is_true: {expression: "amount < 1000"}
          columns:
            - name: id
              data_tests:
                - unique
                - not_null
                - values_between: {min_value: 1, max_value: 5}
            - name: status
              data_tests:
                - not_null
                - accepted_values: {values: [open, shipped, lost]}
                - accepted_values:
                    values: [open, shipped]
                    config: {severity: warn}
                    name: status_strict
                - not_accepted_values: {values: [cancelled]}
            - name: amount
              data_tests:
                - values_between: {min_value: 0, name: amount_not_negative}
                - values_between: {min_value: 0, config: {where: "status = 'shipped'"}, name: shipped_amount_ok}
                - values_between: {min_value: 0, mostly: 0.7, name: amount_mostly_ok}
                - mean_between: {min_value: 5, max_value: 10}
                - percentile_between: {p: 0.5, min_value: 5, max_value: 10}
                - stddev_between: {max_value: 100}
                - min_between: {min_value: 0, name: min_amount_ok}
            - name: email
              data_tests:
                - matches_regex: {regex: "@", name: email_has_at}
                - not_matches_regex: {regex: " ", name: email_no_space}
                - length_between: {min_length: 5, max_length: 50}
                - null_fraction: {max_value: 0.1}
                - distinct_fraction: {min_value: 1}
            - name: customer_id
              data_tests:
                - relationships: {to: ref('customers'), field: id}
                - relationships: {to: ref('customers'), field: id, config: {where: "id < 3"}, name: known_customer_early}
            - name: ordered_at
              data_tests:
                - not_in_future
                - not_older_than: {days: 100000, name: not_ancient}
                - values_between: {min_value: "2024-01-01", max_value: "2030-01-01", name: ordered_in_range}
        - name: ten
          columns:
            - name: v
              data_tests:
                - values_between: {min_value: 0, mostly: 0.9, name: ten_mostly_exact}
                - values_between: {min_value: 0, mostly: 0.95, name: ten_mostly_fails}
                - length_between: {min_length: 1, max_length: 2, inclusive: false, name: ten_len_exclusive}
        - name: nothing
          data_tests:
            - row_count_between: {max_value: 0, name: nothing_is_empty}
          columns:
            - name: x
              data_tests:
                - mean_between: {min_value: 1, name: nothing_mean}
                - recency: {hours: 2.5, name: nothing_recent}
      """;

  static final String TEN = """
      {{ config(materialized='table') }}
      select case when range = 3 then -1 else range end as v from range(10)
      """;

  static final String NOTHING = """
      {{ config(materialized='table') }}
      select cast(1.0 as double precision) as x, cast('2024-01-01' as timestamp) as t where 1 = 0
      """;

  static TestProject project(Path dir) {
    return TestProject.create(dir, "fusion", "")
        .file("models/orders.sql", ORDERS)
        .file("models/customers.sql", CUSTOMERS)
        .file("models/ten.sql", TEN)
        .file("models/nothing.sql", NOTHING)
        .file("models/schema.yml", SCHEMA);
  }

  /** test name -> "status failures" from run_results.json. */
  static Map<String, String> outcomes(TestProject p) { return outcomesOf(p, "fusion"); }

  @Test
  void fusedChecksReportWhatEachCheckAloneReports(@TempDir Path tmp) {
    TestProject p = project(tmp);
    p.run("run").ok();
    p.run("test", "--no-fusion").exits(1);
    Map<String, String> alone = outcomes(p);
    TestProject.Result run = p.run("test", "--fusion").exits(1);
    Map<String, String> fused = outcomes(p);
    // The summary shows a few failing rows under each failure.
    assertThat(run.out()).contains("Failure in test email_has_at").contains("first failing rows:").contains("| nope");
    assertThat(fused).isEqualTo(alone);
    assertThat(fused.size()).isGreaterThanOrEqualTo(25);
    // Crafted bad data fails what it should, and passes the rest.
    assertThat(fused).containsEntry("unique_orders_id", "fail 1")
        .containsEntry("not_null_orders_status", "fail 1")
        .containsEntry("status_strict", "warn 1")
        .containsEntry("amount_not_negative", "fail 1")
        .containsEntry("shipped_amount_ok", "pass 0")
        .containsEntry("amount_mostly_ok", "pass 0")
        .containsEntry("email_has_at", "fail 1")
        .containsEntry("too_few_orders", "fail 1")
        .containsEntry("not_in_future_orders_ordered_at", "fail 1")
        .containsEntry("not_ancient", "pass 0")
        .containsEntry("known_customer_early", "pass 0")
        .containsEntry("not_null_customers_id", "pass 0")
        .containsEntry("ordered_in_range", "fail 1")
        .containsEntry("ten_mostly_exact", "pass 0")
        .containsEntry("ten_mostly_fails", "fail 1")
        .containsEntry("nothing_is_empty", "pass 0")
        .containsEntry("nothing_mean", "pass 0")
        .containsEntry("nothing_recent", "fail 1");
    assertThat(fused.get("ten_len_exclusive")).isEqualTo("fail 10");
    assertThat(fused.get("relationships_orders_customer_id__id__ref_customers_")).isEqualTo("fail 1");

    // Fused: the passing checks on orders share one scan, reported in adapter_response.
    int fusedWithMax = 0;
    for (JsonNode r : p.json("target/run_results.json").get("results")) {
      JsonNode f = r.get("adapter_response").get("weir_fused_checks");
      if (f != null) fusedWithMax = Math.max(fusedWithMax, f.asInt());
    }
    assertThat(fusedWithMax).isGreaterThanOrEqualTo(20);

    // Each check's result is kept in the warehouse's history, once per invocation.
    assertThat(p.rows("select count(distinct invocation_id) from main_weir.weir_check_history")).containsExactly("2");
    assertThat(p.rows("select status, failures from main_weir.weir_check_history where test_name = 'amount_not_negative' "
        + "order by run_started_at")).containsExactly("fail|1", "fail|1");
    assertThat(p.rows("select metric from main_weir.weir_check_history where check_name = 'mean_between' and metric is not null"))
        .containsExactly("6.9");

    // On DuckDB the default is one query per check (measured faster there: separate queries read row-group statistics)
    p.run("test").exits(1);
    assertThat(outcomes(p)).isEqualTo(alone);
    for (JsonNode r : p.json("target/run_results.json").get("results")) assertThat(r.get("adapter_response").has("weir_fused_checks")).isFalse();
    assertThat(p.run("test", "--fusion", "--no-fusion").exits(2).toString()).contains("contradict");
  }

  @Test
  void buildSkipsDescendantsOfAnErrorButNotOfAWarning(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "gate", "")
        .file("models/a.sql", "select 1 as id union all select null")
        .file("models/b.sql", "select 1 as id")
        .file("models/a_child.sql", "select * from {{ ref('a') }}")
        .file("models/b_child.sql", "select * from {{ ref('b') }}")
        .file("models/schema.yml", """
            models:
              - name: a
                columns:
                  - name: id
                    data_tests: [not_null]
              - name: b
                columns:
                  - name: id
                    data_tests:
                      - values_between: {min_value: 5, config: {severity: warn}}
            """);
    TestProject.Result r = p.run("build").exits(1);
    JsonNode results = p.json("target/run_results.json").get("results");
    Map<String, String> status = new TreeMap<>();
    for (JsonNode n : results) status.put(n.get("unique_id").asText().replaceAll("\\.[0-9a-f]{10}$", ""), n.get("status").asText());
    assertThat(status).containsEntry("model.gate.a_child", "skipped").containsEntry("model.gate.b_child", "success");
    assertThat(r.out()).contains("PASS=");
  }

  @Test
  void metricChangeComparesWithThePreviousRun(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "baseline", "")
        .file("models/events.sql", "{{ config(materialized='table') }}\nselect range as id from range({{ var('n', 100) }})")
        .file("models/schema.yml", """
            models:
              - name: events
                data_tests:
                  - metric_change: {metric: row_count, max_pct: 10}
            """);
    p.run("build").ok();
    assertThat(p.json("target/run_results.json").toString()).contains("no baseline yet");
    p.run("build", "--vars", "{n: 105}").ok();
    TestProject.Result r = p.run("build", "--vars", "{n: 150}").exits(1);
    assertThat(r.toString()).contains("row_count 150 vs 105").contains("+42.9%").contains("within ±10%");
    // A failed run is not a baseline: the next comparison is still against 105.
    r = p.run("build", "--vars", "{n: 110}").ok();
    assertThat(p.rows("select metric, status from main_weir.weir_check_history order by run_started_at"))
        .containsExactly("100.0|pass", "105.0|pass", "150.0|fail", "110.0|pass");
  }

  @Test
  void anomalyFlagsAnOutlierAfterEnoughHistory(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "anomaly", "")
        .file("models/events.sql", "{{ config(materialized='table') }}\nselect range as id from range({{ var('n', 100) }})")
        .file("models/schema.yml", """
            models:
              - name: events
                data_tests:
                  - anomaly: {metric: row_count, window: 10, z: 3, min_history: 4}
            """);
    for (int n : new int[] {100, 104, 98, 101}) p.run("build", "--vars", "{n: " + n + "}").ok();
    assertThat(p.json("target/run_results.json").toString()).contains("learning: 3 of 4");
    p.run("build", "--vars", "{n: 102}").ok();
    TestProject.Result r = p.run("build", "--vars", "{n: 300}").exits(1);
    assertThat(r.toString()).contains("row_count 300").contains("z = ");
  }

  @Test
  void quarantineKeepsBadRowsAsideAndGoodRowsFlowOn(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "quar", "")
        .file("models/payments.sql", """
            {{ config(materialized='table') }}
            select * from (values (1, 10.0, 'card'), (2, -5.0, 'card'), (3, 7.0, 'barter'), (4, 3.0, 'cash'))
              as t(id, amount, method)
            """)
        .file("models/daily.sql", "select count(*) as n, sum(amount) as total from {{ ref('payments') }}")
        .file("models/schema.yml", """
            models:
              - name: payments
                columns:
                  - name: amount
                    data_tests:
                      - values_between: {min_value: 0, config: {action: quarantine}, name: amount_positive}
                  - name: method
                    data_tests:
                      - accepted_values: {values: [card, cash], action: quarantine, name: known_method}
            """);
    TestProject.Result r = p.run("build").ok();
    assertThat(r.out()).contains("WARN 1");
    assertThat(p.rows("select id from main.payments order by id")).containsExactly("1", "4");
    assertThat(p.rows("select n, total from main.daily")).containsExactly("2|13.0");
    assertThat(p.rows("select id, weir_check, weir_reason from main.payments__quarantine order by id"))
        .containsExactly("2|amount_positive|values_between on amount (min_value=0)",
            "3|known_method|accepted_values on method (values=[card, cash])");
    Map<String, String> out = new TreeMap<>();
    for (JsonNode n : p.json("target/run_results.json").get("results")) {
      if (n.get("unique_id").asText().startsWith("test.")) out.put(n.get("unique_id").asText().split("\\.")[2], n.get("status").asText() + " " + n.get("failures").asText());
    }
    assertThat(out).containsEntry("amount_positive", "warn 1").containsEntry("known_method", "warn 1");
    // The next build quarantines again (rows are tagged by invocation), good rows unchanged.
    p.run("build").ok();
    assertThat(p.rows("select count(*), count(distinct weir_invocation_id) from main.payments__quarantine")).containsExactly("4|2");
    assertThat(p.rows("select id from main.payments order by id")).containsExactly("1", "4");
  }

  @Test
  void quarantineOnASeedAndAClearErrorOnAView(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "quar_seed", "")
        .file("seeds/rates.csv", "code,rate\nEUR,1.1\nXX,2.0\nGBP,\n")
        .file("seeds/rates.yml", """
            seeds:
              - name: rates
                columns:
                  - name: code
                    data_tests:
                      - matches_regex: {regex: "^[A-Z]{3}$", action: quarantine}
                  - name: rate
                    data_tests:
                      - not_null: {action: quarantine}
            """);
    p.run("seed").ok();
    p.run("test").ok();
    assertThat(p.rows("select code from main.rates")).containsExactly("EUR");
    assertThat(p.rows("select code, weir_check from main.rates__quarantine order by code"))
        .containsExactly("GBP|not_null_rates_rate", "XX|matches_regex_rates_code___A_Z_3_");
    assertThat(p.relationExists("main", "rates__weir_seedload")).isFalse();

    p.file("models/v.sql", "{{ config(materialized='view') }}\nselect 1 as id")
        .file("models/v.yml", "models:\n  - name: v\n    columns:\n      - name: id\n        data_tests:\n          - not_null: {action: quarantine}\n");
    TestProject.Result r = p.run("run", "-s", "v").exits(1);
    assertThat(r.toString()).contains("action: quarantine, which works on table and incremental models and seeds").contains("materialized as view");
  }

  @Test
  void aCheckOnAMissingColumnNamesItsYamlLineAndTheOthersStillRun(@TempDir Path tmp) {
    TestProject p = TestProject.create(tmp, "missing_col", "")
        .file("models/m.sql", "{{ config(materialized='table') }}\nselect 1 as id, 'a' as name")
        .file("models/schema.yml", """
            models:
              - name: m
                columns:
                  - name: id
                    data_tests: [not_null, unique]
                  - name: nmae
                    data_tests: [not_null]
            """);
    p.run("run").ok();
    TestProject.Result r = p.run("test").exits(1);
    assertThat(r.toString()).contains("not_null_m_nmae (models/schema.yml:7)").contains("nmae");
    assertThat(outcomesOf(p, "missing_col")).containsEntry("not_null_m_id", "pass 0").containsEntry("unique_m_id", "pass 0");
  }

  static Map<String, String> outcomesOf(TestProject p, String project) {
    Map<String, String> out = new TreeMap<>();
    for (JsonNode r : p.json("target/run_results.json").get("results")) {
      String id = r.get("unique_id").asText();
      if (!id.startsWith("test.")) continue;
      out.put(id.substring(("test." + project + ".").length(), id.lastIndexOf('.')), r.get("status").asText() + " " + r.get("failures").asText());
    }
    return out;
  }
}
