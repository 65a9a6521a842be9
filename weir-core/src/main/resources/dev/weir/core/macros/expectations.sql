{#- Weir's expectation library: built-in generic tests beyond dbt's four, written bare
    (`- values_between: {...}`) or namespaced (`- weir.values_between: {...}`). Each returns a query
    selecting the failing rows (0 rows = pass), so fail_calc / warn_if / error_if / limit / where /
    store_failures apply unchanged. Row checks select the rows whose "bad" predicate is true (a null
    predicate is not bad), subject to `mostly`; aggregate checks select one row (`metric_value`)
    when the metric is outside [min_value, max_value] (a null metric is not outside).
    docs/reference.md ("Expectations") states the semantics; a fused Java evaluator must match. -#}

{#- ---------------------------------------------------------------- shared helpers -#}

{#- The rows of `model` where `bad_predicate` is true. With mostly < 1, those rows only when their
    count exceeds (1 - mostly) * count(*) (exact decimal arithmetic on both engines). -#}
{% macro weir_row_check(model, bad_predicate, mostly=none) -%}
  {%- if mostly is none or mostly >= 1 -%}
select *
from {{ model }}
where {{ bad_predicate }}
  {%- else -%}
with weir_all as (
    select * from {{ model }}
),
weir_bad as (
    select * from weir_all where {{ bad_predicate }}
)
select *
from weir_bad
where (select count(*) from weir_bad) > (1 - {{ mostly }}) * (select count(*) from weir_all)
  {%- endif -%}
{%- endmacro %}

{#- One row holding `metric` (an aggregate over `model`) as metric_value when it is outside the
    inclusive bounds, else none. -#}
{% macro weir_metric_check(model, metric, min_value=none, max_value=none) -%}
select metric_value
from (
    select {{ metric }} as metric_value
    from {{ model }}
) weir_metric
where {{ weir_outside('metric_value', min_value, max_value, true) }}
{%- endmacro %}

{#- SQL that is true when `expr` lies outside the bounds (either may be none). -#}
{% macro weir_outside(expr, min_value=none, max_value=none, inclusive=true) -%}
  {%- set lo = '<' if inclusive else '<=' -%}
  {%- set hi = '>' if inclusive else '>=' -%}
  {%- set parts = [] -%}
  {%- if min_value is not none -%}{%- do parts.append(expr ~ ' ' ~ lo ~ ' ' ~ weir_bound(min_value)) -%}{%- endif -%}
  {%- if max_value is not none -%}{%- do parts.append(expr ~ ' ' ~ hi ~ ' ' ~ weir_bound(max_value)) -%}{%- endif -%}
  {%- if parts | length == 0 -%}{{ return('false') }}{%- endif -%}
  {{ return('(' ~ parts | join(' or ') ~ ')') }}
{%- endmacro %}

{#- A bound as SQL: a number as it is, anything else (a date, a timestamp, a string) as a string literal. -#}
{% macro weir_bound(v) -%}
  {%- if v is number or (v is string and (v | float(none)) is not none) -%}{{ return(v | string) }}
  {%- else -%}{{ return(weir_sql_string(v)) }}{%- endif -%}
{%- endmacro %}

{#- A SQL string literal. -#}
{% macro weir_sql_string(s) -%}
  {{ return("'" ~ (s | string | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{#- Now minus the one given age (days, hours or minutes), as a timestamp expression. -#}
{% macro weir_age_threshold(days=none, hours=none, minutes=none) -%}
  {{ return(adapter.dispatch('weir_age_threshold', 'dbt')(days, hours, minutes)) }}
{%- endmacro %}

{% macro default__weir_age_threshold(days=none, hours=none, minutes=none) -%}
  {%- if days is not none -%}{%- set seconds = days * 86400 -%}
  {%- elif hours is not none -%}{%- set seconds = hours * 3600 -%}
  {%- else -%}{%- set seconds = minutes * 60 -%}{%- endif -%}
  {{ return("(cast(current_timestamp as timestamp) - interval '" ~ (seconds | round | int) ~ " seconds')") }}
{%- endmacro %}

{#- ---------------------------------------------------------------- row checks -#}

{% test values_between(model, column_name, min_value=none, max_value=none, inclusive=true, mostly=none) %}
  {{ return(adapter.dispatch('test_values_between', 'dbt')(model, column_name, min_value, max_value, inclusive, mostly)) }}
{% endtest %}

{% macro default__test_values_between(model, column_name, min_value, max_value, inclusive, mostly) %}
{{ weir_row_check(model, column_name ~ ' is not null and ' ~ weir_outside(column_name, min_value, max_value, inclusive), mostly) }}
{% endmacro %}

{% test not_accepted_values(model, column_name, values, quote=true, mostly=none) %}
  {{ return(adapter.dispatch('test_not_accepted_values', 'dbt')(model, column_name, values, quote, mostly)) }}
{% endtest %}

{% macro default__test_not_accepted_values(model, column_name, values, quote, mostly) %}
  {%- set items = [] -%}
  {%- for v in values -%}
    {%- do items.append(weir_sql_string(v) if quote else (v | string)) -%}
  {%- endfor -%}
{{ weir_row_check(model, column_name ~ ' in (' ~ items | join(', ') ~ ')', mostly) }}
{% endmacro %}

{% test matches_regex(model, column_name, regex, mostly=none) %}
  {{ return(adapter.dispatch('test_matches_regex', 'dbt')(model, column_name, regex, mostly)) }}
{% endtest %}

{% macro default__test_matches_regex(model, column_name, regex, mostly) %}
{{ weir_row_check(model, column_name ~ ' is not null and not ' ~ weir_regex_search(column_name, regex), mostly) }}
{% endmacro %}

{% test not_matches_regex(model, column_name, regex, mostly=none) %}
  {{ return(adapter.dispatch('test_not_matches_regex', 'dbt')(model, column_name, regex, mostly)) }}
{% endtest %}

{% macro default__test_not_matches_regex(model, column_name, regex, mostly) %}
{{ weir_row_check(model, column_name ~ ' is not null and ' ~ weir_regex_search(column_name, regex), mostly) }}
{% endmacro %}

{#- True when the regex matches anywhere in the value (a search, not a full match). -#}
{% macro weir_regex_search(column_name, regex) -%}
  {{ return(adapter.dispatch('weir_regex_search', 'dbt')(column_name, regex)) }}
{%- endmacro %}

{% macro default__weir_regex_search(column_name, regex) -%}
  {{ return('regexp_matches(cast(' ~ column_name ~ ' as varchar), ' ~ weir_sql_string(regex) ~ ')') }}
{%- endmacro %}

{% macro postgres__weir_regex_search(column_name, regex) -%}
  {{ return('(cast(' ~ column_name ~ ' as varchar) ~ ' ~ weir_sql_string(regex) ~ ')') }}
{%- endmacro %}

{% test length_between(model, column_name, min_length=none, max_length=none, inclusive=true, mostly=none) %}
  {{ return(adapter.dispatch('test_length_between', 'dbt')(model, column_name, min_length, max_length, inclusive, mostly)) }}
{% endtest %}

{% macro default__test_length_between(model, column_name, min_length, max_length, inclusive, mostly) %}
  {%- set len = 'length(cast(' ~ column_name ~ ' as varchar))' -%}
{{ weir_row_check(model, column_name ~ ' is not null and ' ~ weir_outside(len, min_length, max_length, inclusive), mostly) }}
{% endmacro %}

{% test not_in_future(model, column_name, mostly=none) %}
  {{ return(adapter.dispatch('test_not_in_future', 'dbt')(model, column_name, mostly)) }}
{% endtest %}

{% macro default__test_not_in_future(model, column_name, mostly) %}
{{ weir_row_check(model, 'cast(' ~ column_name ~ ' as timestamp) > cast(current_timestamp as timestamp)', mostly) }}
{% endmacro %}

{% test not_older_than(model, column_name, days=none, hours=none, minutes=none, mostly=none) %}
  {{ return(adapter.dispatch('test_not_older_than', 'dbt')(model, column_name, days, hours, minutes, mostly)) }}
{% endtest %}

{% macro default__test_not_older_than(model, column_name, days, hours, minutes, mostly) %}
{{ weir_row_check(model, 'cast(' ~ column_name ~ ' as timestamp) < ' ~ weir_age_threshold(days, hours, minutes), mostly) }}
{% endmacro %}

{% test expression_is_true(model, expression, column_name=none, mostly=none) %}
  {{ return(adapter.dispatch('test_expression_is_true', 'dbt')(model, expression, column_name, mostly)) }}
{% endtest %}

{% macro default__test_expression_is_true(model, expression, column_name, mostly) %}
  {%- set expr = (column_name ~ ' ' ~ expression) if column_name is not none else expression -%}
{{ weir_row_check(model, 'not (' ~ expr ~ ')', mostly) }}
{% endmacro %}

{#- ---------------------------------------------------------------- aggregate checks -#}

{% test row_count_between(model, min_value=none, max_value=none) %}
  {{ return(adapter.dispatch('test_row_count_between', 'dbt')(model, min_value, max_value)) }}
{% endtest %}

{% macro default__test_row_count_between(model, min_value, max_value) %}
{{ weir_metric_check(model, 'count(*)', min_value, max_value) }}
{% endmacro %}

{% test null_fraction(model, column_name, min_value=none, max_value=none) %}
  {{ return(adapter.dispatch('test_null_fraction', 'dbt')(model, column_name, min_value, max_value)) }}
{% endtest %}

{% macro default__test_null_fraction(model, column_name, min_value, max_value) %}
  {%- set metric = 'case when count(*) = 0 then 0 else cast(count(*) - count(' ~ column_name ~ ') as '
      ~ dbt.type_float() ~ ') / count(*) end' -%}
{{ weir_metric_check(model, metric, min_value, max_value) }}
{% endmacro %}

{% test distinct_fraction(model, column_name, min_value=none, max_value=none) %}
  {{ return(adapter.dispatch('test_distinct_fraction', 'dbt')(model, column_name, min_value, max_value)) }}
{% endtest %}

{% macro default__test_distinct_fraction(model, column_name, min_value, max_value) %}
  {%- set metric = 'case when count(' ~ column_name ~ ') = 0 then 0 else cast(count(distinct ' ~ column_name ~ ') as '
      ~ dbt.type_float() ~ ') / count(' ~ column_name ~ ') end' -%}
{{ weir_metric_check(model, metric, min_value, max_value) }}
{% endmacro %}

{% test min_between(model, column_name, min_value=none, max_value=none) %}
  {{ return(adapter.dispatch('test_min_between', 'dbt')(model, column_name, min_value, max_value)) }}
{% endtest %}

{% macro default__test_min_between(model, column_name, min_value, max_value) %}
{{ weir_metric_check(model, 'min(' ~ column_name ~ ')', min_value, max_value) }}
{% endmacro %}

{% test max_between(model, column_name, min_value=none, max_value=none) %}
  {{ return(adapter.dispatch('test_max_between', 'dbt')(model, column_name, min_value, max_value)) }}
{% endtest %}

{% macro default__test_max_between(model, column_name, min_value, max_value) %}
{{ weir_metric_check(model, 'max(' ~ column_name ~ ')', min_value, max_value) }}
{% endmacro %}

{% test mean_between(model, column_name, min_value=none, max_value=none) %}
  {{ return(adapter.dispatch('test_mean_between', 'dbt')(model, column_name, min_value, max_value)) }}
{% endtest %}

{% macro default__test_mean_between(model, column_name, min_value, max_value) %}
{{ weir_metric_check(model, 'avg(' ~ column_name ~ ')', min_value, max_value) }}
{% endmacro %}

{% test stddev_between(model, column_name, min_value=none, max_value=none) %}
  {{ return(adapter.dispatch('test_stddev_between', 'dbt')(model, column_name, min_value, max_value)) }}
{% endtest %}

{% macro default__test_stddev_between(model, column_name, min_value, max_value) %}
{{ weir_metric_check(model, 'stddev_samp(' ~ column_name ~ ')', min_value, max_value) }}
{% endmacro %}

{% test sum_between(model, column_name, min_value=none, max_value=none) %}
  {{ return(adapter.dispatch('test_sum_between', 'dbt')(model, column_name, min_value, max_value)) }}
{% endtest %}

{% macro default__test_sum_between(model, column_name, min_value, max_value) %}
{{ weir_metric_check(model, 'sum(' ~ column_name ~ ')', min_value, max_value) }}
{% endmacro %}

{% test percentile_between(model, column_name, p, min_value=none, max_value=none) %}
  {{ return(adapter.dispatch('test_percentile_between', 'dbt')(model, column_name, p, min_value, max_value)) }}
{% endtest %}

{% macro default__test_percentile_between(model, column_name, p, min_value, max_value) %}
{{ weir_metric_check(model, 'quantile_cont(' ~ column_name ~ ', ' ~ p ~ ')', min_value, max_value) }}
{% endmacro %}

{% macro postgres__test_percentile_between(model, column_name, p, min_value, max_value) %}
{{ weir_metric_check(model, 'percentile_cont(' ~ p ~ ') within group (order by ' ~ column_name ~ ')', min_value, max_value) }}
{% endmacro %}

{% test recency(model, column_name, days=none, hours=none, minutes=none) %}
  {{ return(adapter.dispatch('test_recency', 'dbt')(model, column_name, days, hours, minutes)) }}
{% endtest %}

{% macro default__test_recency(model, column_name, days, hours, minutes) %}
select metric_value
from (
    select max({{ column_name }}) as metric_value, count(*) as weir_rows
    from {{ model }}
) weir_metric
where weir_rows = 0
   or cast(metric_value as timestamp) < {{ weir_age_threshold(days, hours, minutes) }}
{% endmacro %}

{% test unique_combination(model, columns) %}
  {{ return(adapter.dispatch('test_unique_combination', 'dbt')(model, columns)) }}
{% endtest %}

{% macro default__test_unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_records
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endmacro %}

{#- The attached relation comes from weir_test_relation (set by the compiler for generic tests):
    `model` is already SQL text (it may be a `where` subquery). -#}
{% test column_type(model, column_name, type) %}
  {{ return(adapter.dispatch('test_column_type', 'dbt')(model, column_name, type)) }}
{% endtest %}

{% macro default__test_column_type(model, column_name, type) %}
  {%- set actual = namespace(type=none) -%}
  {%- if execute and weir_test_relation is defined and weir_test_relation is not none -%}
    {%- for c in adapter.get_columns_in_relation(weir_test_relation) -%}
      {%- if c.name | lower == column_name | lower | replace('"', '') -%}{%- set actual.type = c.data_type -%}{%- endif -%}
    {%- endfor -%}
  {%- else -%}
    {%- set actual.type = type -%}
  {%- endif -%}
  {%- if actual.type is none -%}
select {{ weir_sql_string('column ' ~ column_name ~ ' not found') }} as actual_type
  {%- elif weir_type_matches(actual.type, type) -%}
select {{ weir_sql_string(actual.type) }} as actual_type where 1 = 0
  {%- else -%}
select {{ weir_sql_string(actual.type) }} as actual_type
  {%- endif -%}
{% endmacro %}

{#- Whether an engine type name belongs to `expected`: a family (integer, numeric, string, date,
    timestamp, boolean) or an exact type name, compared case-insensitively. -#}
{% macro weir_type_matches(actual, expected) -%}
  {%- set a = actual | lower | trim -%}
  {%- set e = expected | lower | trim -%}
  {%- set base = (a.split('(')[0]) | trim -%}
  {%- set integers = ['tinyint', 'smallint', 'integer', 'int', 'bigint', 'hugeint', 'int1', 'int2', 'int4', 'int8',
      'utinyint', 'usmallint', 'uinteger', 'ubigint', 'uhugeint', 'smallserial', 'serial', 'bigserial', 'long', 'short'] -%}
  {%- set decimals = ['decimal', 'numeric', 'double', 'double precision', 'float', 'float4', 'float8', 'real'] -%}
  {%- set strings = ['varchar', 'text', 'char', 'character', 'character varying', 'bpchar', 'string', 'nvarchar', 'nchar'] -%}
  {%- if e == 'integer' -%}{{ return(base in integers) }}
  {%- elif e == 'numeric' -%}{{ return(base in integers or base in decimals) }}
  {%- elif e == 'string' -%}{{ return(base in strings) }}
  {%- elif e == 'date' -%}{{ return(base == 'date') }}
  {%- elif e == 'timestamp' -%}{{ return(base.startswith('timestamp') or base == 'datetime') }}
  {%- elif e == 'boolean' -%}{{ return(base in ['boolean', 'bool']) }}
  {%- endif -%}
  {{ return(a == e) }}
{%- endmacro %}
