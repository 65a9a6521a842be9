package dev.weir.jinja;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ApiTest {
  final JinjaEnvironment env = new JinjaEnvironment();

  @Test
  void bindsMacrosAcrossTemplatesIntoOneNamespace() {
    Template a = env.parse("macros/a.sql", "{% macro cast(x, t) %}{{ return(adapter_dispatch('cast')(x, t)) }}{% endmacro %}");
    Template b = env.parse("macros/b.sql", "{% macro default__cast(x, t) %}cast({{ x }} as {{ t }}){% endmacro %}"
        + "{% macro upper_all(xs) %}{{ return(xs|map('upper')|list) }}{% endmacro %}");
    Map<String, Macro> all = new HashMap<>();
    all.putAll(a.macros());
    all.putAll(b.macros());
    JinjaCallable dispatch = (ctx, args, kw) -> ctx.get("default__" + args.get(0));
    Template model = env.parse("models/m.sql", "select {{ cast('id', 'int') }}, {{ upper_all(['a']) }} from {{ target_schema }}");
    RenderContext ctx = new RenderContext(env, Map.of("target_schema", "main"),
        n -> n.equals("adapter_dispatch") ? dispatch : all.get(n));
    assertThat(model.render(ctx)).isEqualTo("select cast(id as int), ['A'] from main");
    // bound macro called from Java
    Macro bound = all.get("upper_all").bind(new RenderContext(env, Map.of()));
    assertThat(bound.call(List.of("x", "y"))).isEqualTo(List.of("X", "Y"));
    assertThat(all.get("cast").parameterNames()).containsExactly("x", "t");
  }

  @Test
  void customGlobalsFiltersTests() {
    JinjaEnvironment e = new JinjaEnvironment()
        .addGlobal("ref", (JinjaCallable) (ctx, args, kw) -> "\"db\".\"" + args.get(0) + "\"")
        .addFilter("shout", (ctx, v, args, kw) -> Python.str(v).toUpperCase() + "!")
        .addTest("short", (ctx, v, args) -> Python.len(v) < 3);
    assertThat(e.parse("t", "{{ ref('orders') }} {{ 'hi'|shout }} {{ 'ab' is short }}").render(Map.of()))
        .isEqualTo("\"db\".\"orders\" HI! True");
  }

  @Test
  void jinjaObjectAttributesAndCalls() {
    JinjaObject target = n -> switch (n) {
      case "name" -> "dev";
      case "schema" -> "main";
      default -> null;
    };
    assertThat(env.parse("t", "{{ target.name }}.{{ target['schema'] }}[{{ target.nope }}]").render(Map.of("target", target)))
        .isEqualTo("dev.main[]");
  }

  @Test
  void staticCalls() {
    Template t = env.parse("m.sql", "{{ config(materialized='table', tags=['a', 1]) }}\n"
        + "select * from {{ ref('orders') }} join {{ source('raw', 'cust') }}\n"
        + "{% if x %}{{ ref(var_name) }}{% endif %}{% macro m() %}{{ ref('inside_macro') }}{% endmacro %}");
    List<StaticCall> calls = t.staticCalls(Set.of("ref", "source", "config"));
    assertThat(calls).hasSize(4);
    assertThat(calls.get(0).function()).isEqualTo("config");
    assertThat(calls.get(0).kwargs()).containsEntry("materialized", "table").containsEntry("tags", List.of("a", 1L));
    assertThat(calls.get(1).args()).containsExactly("orders");
    assertThat(calls.get(2).args()).containsExactly("raw", "cust");
    assertThat(calls.get(2).line()).isEqualTo(2);
    assertThat(calls.get(3).allLiteral()).isFalse();
    assertThat(calls.get(3).args().get(0)).isSameAs(StaticCall.NON_LITERAL);
    assertThat(t.isStaticallyAnalyzable(Set.of("ref", "source", "config"))).isFalse();
    assertThat(env.parse("s", "select * from {{ ref('a') }}").isStaticallyAnalyzable(Set.of("ref"))).isTrue();
  }

  @Test
  void customBlocks() {
    Template t = env.parse("x.sql", "{% docs orders %}Orders **table**{% enddocs %}"
        + "{% test not_null(model, column_name, severity='error') %}select * from {{ model }} where {{ column_name }} is null{% endtest %}"
        + "{% snapshot snap %}{{ config(strategy='check') }}select 1{% endsnapshot %}"
        + "{% materialization table, adapter='duckdb' %}{{ return({'relations': []}) }}{% endmaterialization %}"
        + "{% materialization view, default %}v{% endmaterialization %}after");
    assertThat(t.render(Map.of())).isEqualTo("after");
    BlockDef docs = t.blocks("docs").get(0);
    assertThat(docs.name()).isEqualTo("orders");
    assertThat(docs.body().render(Map.of())).isEqualTo("Orders **table**");
    assertThat(t.blocks("snapshot").get(0).body().staticCalls(Set.of("config")).get(0).kwargs()).containsEntry("strategy", "check");
    assertThat(t.macros()).containsKeys("test_not_null", "materialization_table_duckdb", "materialization_view_default");
    Macro test = t.macros().get("test_not_null");
    assertThat(test.parameterNames()).containsExactly("model", "column_name", "severity");
    assertThat(test.defaults()).containsEntry("severity", "error");
    RenderContext ctx = new RenderContext(env, Map.of());
    assertThat(test.call(ctx, List.of("t", "c"), Map.of())).isEqualTo("select * from t where c is null");
    assertThat(t.macros().get("materialization_table_duckdb").call(ctx, List.of(), Map.of())).isEqualTo(Map.of("relations", List.of()));
    assertThat(t.blocks("materialization").get(0).kwargs()).containsEntry("adapter", "duckdb");
  }

  @Test
  void undefinedPolicies() {
    assertThat(env.parse("t", "[{{ x }}][{{ x is defined }}]").render(Map.of())).isEqualTo("[][False]");
    assertThatThrownBy(() -> env.parse("t", "{{ x.y }}").render(Map.of())).isInstanceOf(UndefinedError.class)
        .hasMessage("t:1: 'x' is undefined");
    JinjaEnvironment strict = new JinjaEnvironment().undefined(UndefinedPolicy.STRICT);
    assertThatThrownBy(() -> strict.parse("my_model.sql", "a\n\n{{ foo }}").render(Map.of())).isInstanceOf(UndefinedError.class)
        .hasMessage("my_model.sql:3: 'foo' is undefined");
    assertThat(strict.parse("t", "{{ foo|default('d') }}{{ foo is defined }}").render(Map.of())).isEqualTo("dFalse");
    JinjaEnvironment chain = new JinjaEnvironment().undefined(UndefinedPolicy.CHAINABLE);
    assertThat(chain.parse("t", "[{{ a.b.c }}][{{ a.b()(1) }}]").render(Map.of())).isEqualTo("[][]");
  }

  @Test
  void errorLinesAndMessages() {
    assertThatThrownBy(() -> env.parse("bad.sql", "ok\n{% if %}").render(Map.of())).isInstanceOf(TemplateSyntaxError.class)
        .satisfies(e -> assertThat(((JinjaException) e).line()).isEqualTo(2));
    assertThatThrownBy(() -> env.parse("m.sql", "a\n{{ 'x'.foo() }}").render(Map.of())).isInstanceOf(UndefinedError.class)
        .hasMessage("m.sql:2: 'str object' has no attribute 'foo'");
    assertThatThrownBy(() -> env.parse("m.sql", "\n\n{{ 1() }}").render(Map.of())).isInstanceOf(TemplateRuntimeError.class)
        .hasMessage("m.sql:3: 'int' object is not callable");
    // error inside a macro from another template names that template
    Template lib = env.parse("lib.sql", "{% macro boom() %}\n\n{{ nothing.attr }}{% endmacro %}");
    Template user = env.parse("user.sql", "{{ boom() }}");
    RenderContext ctx = new RenderContext(env, Map.of(), n -> lib.macros().get(n));
    assertThatThrownBy(() -> user.render(ctx)).hasMessage("lib.sql:3: 'nothing' is undefined");
  }

  @Test
  void recursionLimit() {
    Template t = env.parse("r.sql", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
    assertThatThrownBy(() -> t.render(Map.of())).isInstanceOf(TemplateRuntimeError.class).hasMessageContaining("recursion");
  }

  @Test
  void returnValues() {
    Template t = env.parse("r", "{% macro m() %}{{ return({'a': [1, none]}) }}{% endmacro %}");
    Object v = t.macros().get("m").call(new RenderContext(env, Map.of()), List.of(), Map.of());
    Map<Object, Object> expected = new LinkedHashMap<>();
    expected.put("a", java.util.Arrays.asList(1L, null));
    assertThat(v).isEqualTo(expected);
    assertThat(env.parse("r", "x{{ return([1]) }}").render(Map.of())).isEqualTo("[1]");
    assertThat(env.parse("r", "x{{ return([1]) }}").evaluate(new RenderContext(env, Map.of()))).isEqualTo(List.of(1L));
  }

  @Test
  void pythonHelpers() {
    assertThat(Python.str(java.util.Arrays.asList(1L, "a", null, 1.0, PyTuple.of(1L)))).isEqualTo("[1, 'a', None, 1.0, (1,)]");
    assertThat(Python.repr("it's")).isEqualTo("\"it's\"");
    assertThat(Python.str(1e-5)).isEqualTo("1e-05");
    assertThat(Python.truthy(List.of())).isFalse();
    assertThat(Python.str(Integer.valueOf(3))).isEqualTo("3");
    assertThat(env.parse("t", "{{ x + 1 }} {{ y * 2 }}").render(Map.of("x", 1, "y", new java.math.BigDecimal("1.5")))).isEqualTo("2 3.0");
  }

  @Test
  void topLevelSetsWriteIntoContext() {
    RenderContext ctx = new RenderContext(env, Map.of());
    env.parse("t", "{% set x = 5 %}{% macro m() %}{% endmacro %}").render(ctx);
    assertThat(ctx.get("x")).isEqualTo(5L);
    assertThat(ctx.get("m")).isInstanceOf(Macro.class);
  }

  @Test
  void astForTools() {
    Node root = env.parse("t", "{% for x in y %}{{ f(x) }}{% endfor %}").root();
    assertThat(root.kind()).isEqualTo("Template");
    Node loop = root.children().get(0);
    assertThat(loop.kind()).isEqualTo("For");
    assertThat(loop.toString()).startsWith("For@1");
  }

  @Test
  void concurrentRendersOfOneTemplate() throws Exception {
    Template t = env.parse("c", "{% set ns = namespace(n=0) %}{% for i in range(k) %}{% set ns.n = ns.n + i %}{% endfor %}"
        + "{% macro m(a) %}{{ return(a * 2) }}{% endmacro %}{{ ns.n }}-{{ m(k) }}");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> fs = new ArrayList<>();
      Map<Integer, Boolean> seen = new ConcurrentHashMap<>();
      for (int i = 0; i < 2000; i++) {
        final long k = i % 50;
        fs.add(pool.submit(() -> {
          String out = t.render(Map.of("k", k));
          seen.put((int) k, true);
          return out.equals((k * (k - 1) / 2) + "-" + (k * 2));
        }));
      }
      for (Future<Boolean> f : fs) assertThat(f.get()).isTrue();
      assertThat(seen).hasSize(50);
    } finally {
      pool.shutdown();
    }
    assertThat(Collections.emptyList()).isEmpty();
  }
}
