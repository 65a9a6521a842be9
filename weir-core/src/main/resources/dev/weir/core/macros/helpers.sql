{#- Small helpers dbt projects call from models and macros. -#}

{% macro should_full_refresh() -%}
  {%- set v = config.get('full_refresh') -%}
  {%- if v is none -%}
    {{ return(flags.FULL_REFRESH) }}
  {%- endif -%}
  {{ return(v) }}
{%- endmacro %}

{% macro current_timestamp() -%}
  {{ return(adapter.dispatch('current_timestamp', 'dbt')()) }}
{%- endmacro %}

{% macro default__current_timestamp() -%}
  current_timestamp
{%- endmacro %}
