{#- Converts an integer amount of cents to a decimal amount, per warehouse. -#}
{% macro cents_to_dollars(column_name, scale=2) -%}
  {{ return(adapter.dispatch('cents_to_dollars', 'coffee_shop')(column_name, scale)) }}
{%- endmacro %}

{% macro default__cents_to_dollars(column_name, scale) -%}
  round(cast({{ column_name }} as decimal(18, 4)) / 100, {{ scale }})
{%- endmacro %}

{% macro duckdb__cents_to_dollars(column_name, scale) -%}
  round({{ column_name }}::decimal(18, 4) / 100, {{ scale }})
{%- endmacro %}
