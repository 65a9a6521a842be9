package dev.weir.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jinja in dbt_project.yml configs renders at load, as dbt does (hooks left for run time; results native). */
class ProjectYamlJinjaE2ETest {
  private static TestProject project(Path dir, String stagingExtra) {
    TestProject p = TestProject.create(dir, "yj", """
        models:
          yj:
            +schema: "{{ env_var('YJ_SCHEMA', 'fallback') }}"
            marts:
              +enabled: "{{ var('with_marts', true) }}"
            staging:
              +tags: "{{ ['nightly', 'layer_' ~ var('layer', 1)] }}"
              +materialized: "{{ 'table' if target.name == 'dev' else 'view' }}"
        """ + stagingExtra);
    p.file("models/staging/stg_orders.sql", "select 1 as id\n");
    p.file("models/marts/orders.sql", "select * from {{ ref('stg_orders') }}\n");
    return p;
  }

  @Test
  void configsRenderWithEnvVarsVarsAndTarget(@TempDir Path dir) {
    TestProject p = project(dir, "");
    p.env.put("YJ_SCHEMA", "sales");
    p.run("build").exits(0);
    // +schema from the env var (the default generate_schema_name appends it to the target's schema);
    // materialized rendered from target.name
    assertThat(p.rows("select table_schema || '.' || table_name || ':' || table_type from information_schema.tables"
        + " where table_name in ('stg_orders', 'orders') order by table_name"))
        .containsExactly("main_sales.orders:VIEW", "main_sales.stg_orders:BASE TABLE");
    // tags rendered to a list (native), selectable
    assertThat(p.run("ls", "-s", "tag:layer_1").exits(0).out()).contains("yj.staging.stg_orders").doesNotContain("yj.marts.orders");
    assertThat(p.run("ls", "-s", "tag:nightly").exits(0).out()).contains("yj.staging.stg_orders");
    // enabled rendered to a boolean from --vars: false disables the marts model
    assertThat(p.run("ls", "--vars", "{with_marts: false}").exits(0).out()).contains("yj.staging.stg_orders").doesNotContain("yj.marts.orders");
    assertThat(p.run("ls").exits(0).out()).contains("yj.marts.orders");
  }

  @Test
  void hooksAreRenderedWhenTheModelRunsNotAtLoad(@TempDir Path dir) {
    TestProject p = project(dir, "      +post-hook: \"insert into {{ this.schema }}.audit select '{{ this.name }}'\"\n");
    p.file("models/audit.sql", "{{ config(materialized='table') }}\nselect 'start' as model_name\n");
    p.file("models/staging/stg_orders.sql", "-- depends_on: {{ ref('audit') }}\nselect 1 as id\n");
    p.run("build", "-s", "+stg_orders").exits(0);
    // {{ this }} in the project-level post-hook is the model that ran (rendered then, not at load where there is none)
    assertThat(p.rows("select model_name from main_fallback.audit order by model_name")).containsExactly("start", "stg_orders");
  }

  @Test
  void aBrokenValueNamesTheFileAndKey(@TempDir Path dir) {
    TestProject p = project(dir, "");
    p.file("dbt_project.yml", p.read("dbt_project.yml").replace("env_var('YJ_SCHEMA', 'fallback')", "env_var('YJ_NOT_SET')"));
    TestProject.Result r = p.run("parse").exits(2);
    assertThat(r.out() + r.err()).contains("dbt_project.yml").contains("models.yj.+schema").contains("YJ_NOT_SET");
  }
}
