{#- Weir's history checks. They are judged by Weir against the check history table
    (<target schema>.weir_check_history); the SQL below is what they measure, shown by compile. -#}

{% macro weir_history_metric(metric, column_name) -%}
  {%- if metric == 'row_count' -%} count(*)
  {%- elif metric == 'null_count' -%} count(*) filter (where {{ column_name }} is null)
  {%- elif metric == 'null_fraction' -%} cast(count(*) filter (where {{ column_name }} is null) as double precision) / nullif(count(*), 0)
  {%- elif metric == 'distinct_count' -%} count(distinct {{ column_name }})
  {%- elif metric == 'mean' -%} avg({{ column_name }})
  {%- elif metric == 'stddev' -%} stddev_samp({{ column_name }})
  {%- else -%} {{ metric }}({{ column_name }})
  {%- endif -%}
{%- endmacro %}

{% test metric_change(model, metric='row_count', column_name=none, max_pct=10) %}
select {{ weir_history_metric(metric, column_name) }} as metric_value
from {{ model }}
{% endtest %}

{% test anomaly(model, metric='row_count', column_name=none, window=14, z=3, min_history=5) %}
select {{ weir_history_metric(metric, column_name) }} as metric_value
from {{ model }}
{% endtest %}
