package dev.weir.jinja;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Micro benchmark: parse + render a dbt-like model N times (default 100k) and print ops/s.
 * Run: {@code cd weir-jinja && mvn -q -o test-compile && java -cp target/classes:target/test-classes dev.weir.jinja.JinjaBench [n]}
 */
public final class JinjaBench {
  static final String MACROS = """
      {% macro default__cast(col, t) %}cast({{ col }} as {{ t }}){% endmacro %}
      {% macro cast(col, t) %}{{ return(dispatch('cast')(col, t)) }}{% endmacro %}
      {% macro star(cols, except=[]) -%}
        {%- for c in cols if c not in except %}{{ c }}{{ ', ' if not loop.last }}{% endfor -%}
      {%- endmacro %}
      {% macro is_incremental() %}{{ return(false) }}{% endmacro %}
      """;

  static final String MODEL = """
      {{ config(materialized='table', tags=['nightly', 'core']) }}

      with orders as (
          select * from {{ ref('stg_orders') }}
      ), payments as (
          select * from {{ source('raw', 'payments') }}
      )
      select
          {{ star(['id', 'customer_id', 'status', 'amount'], except=['status']) }},
          {{ cast('amount', 'decimal(18,2)') }} as amount_dec,
          {%- for m in ['credit_card', 'coupon', 'bank_transfer'] %}
          sum(case when payment_method = '{{ m }}' then amount else 0 end) as {{ m }}_amount{{ ',' if not loop.last }}
          {%- endfor %}
      from orders
      left join payments using (order_id)
      {% if is_incremental() %}where updated_at > (select max(updated_at) from {{ this }}){% endif %}
      {% set n = 'x' | upper %}-- {{ n }} {{ "%s.%s" % (target.schema, 'orders') }} {{ 'a,b'.split(',') | join('|') }}
      """;

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    JinjaEnvironment env = new JinjaEnvironment();
    Map<String, Object> globals = new HashMap<>();
    globals.putAll(env.parse("macros.sql", MACROS).macros());
    globals.put("ref", (JinjaCallable) (ctx, a, kw) -> "\"main\".\"" + a.get(0) + "\"");
    globals.put("source", (JinjaCallable) (ctx, a, kw) -> "\"" + a.get(0) + "\".\"" + a.get(1) + "\"");
    globals.put("config", (JinjaCallable) (ctx, a, kw) -> "");
    globals.put("dispatch", (JinjaCallable) (ctx, a, kw) -> ctx.get("default__" + a.get(0)));
    globals.put("this", "\"main\".\"orders\"");
    globals.put("target", Map.of("schema", "main", "name", "dev"));
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    String out = null;
    for (int round = 0; round < 3; round++) {
      long t0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
      int iters = round < 2 ? n / 5 : n;
      for (int i = 0; i < iters; i++) {
        Template t = env.parse("models/orders.sql", MODEL);
        out = t.render(new RenderContext(env, Map.of(), globals::get));
      }
      long dt = System.nanoTime() - t0, dc = mx.getCurrentThreadCpuTime() - c0;
      System.out.printf("%s: %d parse+render in %.2fs wall = %.0f ops/s (%.0f ops/s per CPU-second)%n", round < 2 ? "warmup" : "measure",
          iters, dt / 1e9, iters / (dt / 1e9), iters / (dc / 1e9));
    }
    long t0 = mx.getCurrentThreadCpuTime();
    Template t = env.parse("models/orders.sql", MODEL);
    for (int i = 0; i < n; i++) t.render(new RenderContext(env, Map.of(), globals::get));
    long dt = mx.getCurrentThreadCpuTime() - t0;
    System.out.printf("render only: %.0f ops/s per CPU-second%n", n / (dt / 1e9));
    t0 = mx.getCurrentThreadCpuTime();
    for (int i = 0; i < n; i++) env.parse("models/orders.sql", MODEL).staticCalls(java.util.Set.of("ref", "source", "config"));
    dt = mx.getCurrentThreadCpuTime() - t0;
    System.out.printf("parse + staticCalls only: %.0f ops/s per CPU-second%n", n / (dt / 1e9));
    System.out.println(out);
    if (out.isEmpty()) throw new AssertionError(List.of());
  }
}
