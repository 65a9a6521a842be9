{#- dbt's incremental strategy macros. Weir runs its built-in strategies natively (in Java); these
    exist so that a project's get_incremental_<strategy>_sql override can delegate to the built-in
    one, e.g. {{ return(dbt.default__get_incremental_merge_sql(arg_dict)) }} or through
    adapter.dispatch. weir_builtin_incremental_sql is defined while Weir calls an override. -#}

{% macro default__get_incremental_append_sql(arg_dict) -%}
  {{ return(weir_builtin_incremental_sql('append', arg_dict)) }}
{%- endmacro %}

{% macro default__get_incremental_merge_sql(arg_dict) -%}
  {{ return(weir_builtin_incremental_sql('merge', arg_dict)) }}
{%- endmacro %}

{% macro default__get_incremental_delete_insert_sql(arg_dict) -%}
  {{ return(weir_builtin_incremental_sql('delete+insert', arg_dict)) }}
{%- endmacro %}

{% macro default__get_incremental_microbatch_sql(arg_dict) -%}
  {{ return(weir_builtin_incremental_sql('microbatch', arg_dict)) }}
{%- endmacro %}
