package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dbt's cross-database macros ({@code dbt.dateadd}, {@code dbt.listagg}, ...) as packages call them:
 * one model per group, each row a macro's result cast to text, built on DuckDB and on a real
 * PostgreSQL 17. Expected values are worked out by hand (see the comments).
 */
class CrossDbMacrosE2ETest {

  /** name → {SQL expression (Jinja), expected text}. */
  static final Map<String, String[]> SCALAR = new LinkedHashMap<>();
  static final Map<String, String[]> AGGREGATE = new LinkedHashMap<>();

  static void scalar(String name, String expr, String expected) { SCALAR.put(name, new String[] {expr, expected}); }

  static void aggregate(String name, String expr, String expected) { AGGREGATE.put(name, new String[] {expr, expected}); }

  static {
    scalar("dateadd_day", "cast({{ dbt.dateadd('day', 3, \"cast('2024-02-27' as date)\") }} as date)", "2024-03-01"); // leap year
    scalar("dateadd_month", "cast({{ dbt.dateadd('month', 1, \"cast('2024-01-31' as date)\") }} as date)", "2024-02-29"); // clamped
    scalar("dateadd_quarter", "cast({{ dbt.dateadd('quarter', -1, \"cast('2024-05-15' as date)\") }} as date)", "2024-02-15");
    scalar("datediff_day", "{{ dbt.datediff(\"'2024-01-01'\", \"'2024-03-01'\", 'day') }}", "60"); // 31 + 29
    scalar("datediff_week", "{{ dbt.datediff(\"'2024-01-07'\", \"'2024-01-08'\", 'week') }}", "1"); // Sunday → Monday
    scalar("datediff_month", "{{ dbt.datediff(\"'2024-01-31'\", \"'2024-02-01'\", 'month') }}", "1"); // boundaries crossed
    scalar("datediff_quarter", "{{ dbt.datediff(\"'2024-03-31'\", \"'2024-04-01'\", 'quarter') }}", "1");
    scalar("datediff_year", "{{ dbt.datediff(\"'2023-12-31'\", \"'2024-01-01'\", 'year') }}", "1");
    scalar("datediff_hour", "{{ dbt.datediff(\"'2024-01-01 23:00:00'\", \"'2024-01-02 01:30:00'\", 'hour') }}", "2");
    scalar("datediff_minute", "{{ dbt.datediff(\"'2024-01-01 23:59:00'\", \"'2024-01-02 00:01:00'\", 'minute') }}", "2");
    scalar("date_trunc", "cast({{ dbt.date_trunc('month', \"cast('2024-02-17' as date)\") }} as date)", "2024-02-01");
    scalar("last_day_month", "{{ dbt.last_day(\"cast('2024-02-10' as date)\", 'month') }}", "2024-02-29");
    scalar("last_day_quarter", "{{ dbt.last_day(\"cast('2024-05-10' as date)\", 'quarter') }}", "2024-06-30");
    scalar("date", "{{ dbt.date(2024, 1, 31) }}", "2024-01-31");
    scalar("type_string", "cast(123 as {{ dbt.type_string() }}) || 'x'", "123x");
    scalar("type_int", "cast('42' as {{ dbt.type_int() }}) + 1", "43");
    scalar("type_bigint", "cast('9000000000' as {{ dbt.type_bigint() }}) + 1", "9000000001");
    // 2^24 + 1 survives a double, not a 4-byte float
    scalar("type_float", "cast(cast(16777217 as {{ dbt.type_float() }}) as bigint)", "16777217");
    scalar("type_numeric", "cast('1.2345678' as {{ dbt.type_numeric() }})", "1.234568");
    scalar("type_timestamp", "cast('2024-01-02 03:04:05' as {{ dbt.type_timestamp() }})", "2024-01-02 03:04:05");
    scalar("type_boolean", "cast('true' as {{ dbt.type_boolean() }})", "true");
    scalar("cast", "{{ dbt.cast(\"'7'\", 'integer') }} * 2", "14");
    scalar("safe_cast", "{{ dbt.safe_cast(\"'12'\", dbt.type_int()) }} + 1", "13");
    scalar("cast_bool_to_text", "{{ dbt.cast_bool_to_text('1 = 1') }}", "true");
    scalar("concat", "{{ dbt.concat([\"'a'\", \"'b'\", \"cast(1 as varchar)\"]) }}", "ab1");
    scalar("hash", "{{ dbt.hash(\"'abc'\") }}", "900150983cd24fb0d6963f7d28e17f72"); // md5('abc')
    scalar("split_part", "{{ dbt.split_part(\"'a,b,c'\", \"','\", 2) }}", "b");
    scalar("split_part_negative", "{{ dbt.split_part(\"'a,b,c'\", \"','\", -1) }}", "c");
    scalar("split_part_negative_long", "{{ dbt.split_part(\"'a--b--c'\", \"'--'\", -3) }}", "a");
    scalar("position", "{{ dbt.position(\"'c'\", \"'abcd'\") }}", "3");
    scalar("replace", "{{ dbt.replace(\"'banana'\", \"'a'\", \"'o'\") }}", "bonono");
    scalar("right", "{{ dbt.right(\"'abcdef'\", 2) }}", "ef");
    scalar("length", "{{ dbt.length(\"'abcd'\") }}", "4");
    scalar("escape_single_quotes", "'{{ dbt.escape_single_quotes(\"it's\") }}'", "it's");
    scalar("string_literal", "{{ dbt.string_literal('hello') }}", "hello");
    scalar("current_timestamp", "cast({{ dbt.current_timestamp() }} as date) > cast('2020-01-01' as date)", "true");
    scalar("unqualified", "{{ concat([\"'x'\", \"'y'\"]) }} || {{ string_literal('z') }}", "xyz");
    scalar("array_construct", "array_to_string({{ dbt.array_construct([1, 2]) }}, ',')", "1,2");
    scalar("array_construct_empty", "'e' || array_to_string({{ dbt.array_construct([]) }}, ',')", "e");
    scalar("array_append", "array_to_string({{ dbt.array_append(dbt.array_construct([1, 2]), 3) }}, ',')", "1,2,3");
    scalar("array_concat",
        "array_to_string({{ dbt.array_concat(dbt.array_construct([1]), dbt.array_construct([2, 3])) }}, ',')", "1,2,3");
    // (1, 2) except (2) = (1); (1, 2) intersect (2, 3) = (2)
    scalar("except", "(select max(n) from (select 1 as n union all select 2 {{ dbt.except() }} select 2) x)", "1");
    scalar("intersect", "(select max(n) from (select n from (select 1 as n union all select 2) a {{ dbt.intersect() }}"
        + " select n from (select 2 as n union all select 3) b) x)", "2");

    // over t(id, s, f) = (1, 'b', true), (2, 'a', false), (3, 'c', false)
    aggregate("listagg", "{{ dbt.listagg('s', \"', '\", 'order by id') }}", "b, a, c");
    aggregate("listagg_limit", "{{ dbt.listagg('s', \"'|'\", 'order by s', 2) }}", "a|b");
    aggregate("any_value", "{{ dbt.any_value(\"case when id > 0 then 'x' end\") }}", "x");
    aggregate("bool_or", "{{ dbt.bool_or('f') }}", "true");
    aggregate("bool_or_none", "{{ dbt.bool_or('id > 5') }}", "false");
  }

  static TestProject project(Path dir, String profile) {
    StringBuilder scalar = new StringBuilder("{{ config(materialized='table') }}\n");
    String sep = "";
    for (Map.Entry<String, String[]> e : SCALAR.entrySet()) {
      scalar.append(sep).append("select '").append(e.getKey()).append("' as macro, cast((")
          .append(e.getValue()[0]).append(") as varchar) as result\n");
      sep = "union all\n";
    }
    StringBuilder agg = new StringBuilder("{{ config(materialized='table') }}\n"
        + "with t as (select * from (values (1, 'b', true), (2, 'a', false), (3, 'c', false)) as v(id, s, f))\n");
    sep = "";
    for (Map.Entry<String, String[]> e : AGGREGATE.entrySet()) {
      agg.append(sep).append("select '").append(e.getKey()).append("' as macro, cast((")
          .append(e.getValue()[0]).append(") as varchar) as result from t\n");
      sep = "union all\n";
    }
    TestProject p = TestProject.create(dir, "xdb", "");
    if (profile != null) p.file("profiles.yml", profile);
    return p
        .file("models/scalar_macros.sql", scalar.toString())
        .file("models/aggregate_macros.sql", agg.toString());
  }

  static Map<String, String> expected(Map<String, String[]> cases) {
    Map<String, String> m = new LinkedHashMap<>();
    for (Map.Entry<String, String[]> e : cases.entrySet()) m.put(e.getKey(), e.getValue()[1]);
    return m;
  }

  static Map<String, String> results(java.util.List<java.util.List<Object>> rows) {
    Map<String, String> m = new LinkedHashMap<>();
    for (java.util.List<Object> r : rows) m.put(String.valueOf(r.get(0)), String.valueOf(r.get(1)));
    return m;
  }

  @Test
  void crossDatabaseMacrosOnDuckDb(@TempDir Path dir) {
    TestProject p = project(dir, null);
    p.run("build").ok();
    assertThat(results(p.query("select macro, result from main.scalar_macros")))
        .containsExactlyInAnyOrderEntriesOf(expected(SCALAR));
    assertThat(results(p.query("select macro, result from main.aggregate_macros")))
        .containsExactlyInAnyOrderEntriesOf(expected(AGGREGATE));
    // DuckDB's safe_cast is try_cast: a value that does not convert becomes null
    p.file("models/safe.sql", "select {{ dbt.safe_cast(\"'x'\", dbt.type_int()) }} as v");
    p.run("run", "--select", "safe").ok();
    assertThat(p.rows("select v is null from main.safe")).containsExactly("true");
  }

  @Test
  void crossDatabaseMacrosOnPostgres(@TempDir Path dir) throws Exception {
    Path work = Path.of("target", "embedded-pg").toAbsolutePath();
    Files.createDirectories(work);
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder()
        .setOverrideWorkingDirectory(work.toFile())
        .setDataDirectory(work.resolve("data-xdb-" + ProcessHandle.current().pid()))
        .setCleanDataDirectory(true)
        .start()) {
      TestProject p = project(dir, """
          xdb:
            target: dev
            outputs:
              dev:
                type: postgres
                host: localhost
                port: %d
                user: postgres
                password: unused
                dbname: postgres
                schema: xdb
          """.formatted(pg.getPort()));
      p.run("build").ok();
      Properties props = new Properties();
      props.setProperty("user", "postgres");
      try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + pg.getPort() + "/postgres", props)) {
        assertThat(results(query(c, "select macro, result from xdb.scalar_macros")))
            .containsExactlyInAnyOrderEntriesOf(expected(SCALAR));
        assertThat(results(query(c, "select macro, result from xdb.aggregate_macros")))
            .containsExactlyInAnyOrderEntriesOf(expected(AGGREGATE));
      }
    }
  }

  static java.util.List<java.util.List<Object>> query(Connection c, String sql) throws Exception {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      java.util.List<java.util.List<Object>> out = new java.util.ArrayList<>();
      while (rs.next()) out.add(java.util.List.of(rs.getString(1), String.valueOf(rs.getString(2))));
      return out;
    }
  }
}
