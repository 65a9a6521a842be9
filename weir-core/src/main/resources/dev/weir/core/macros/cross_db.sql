{#- dbt's cross-database macros (dbt.dateadd, dbt.type_string, ...), written for Weir from dbt's
    documented behaviour. Each public macro dispatches in the 'dbt' namespace, so a project or
    package may override any of them with <adapter>__name or default__name. The default__
    implementations are SQL that DuckDB and PostgreSQL both run; duckdb__/postgres__ variants
    exist only where the two differ. -#}

{#- ---------------------------------------------------------------- data types -#}

{% macro type_string() -%}{{ return(adapter.dispatch('type_string', 'dbt')()) }}{%- endmacro %}
{% macro default__type_string() -%}{{ return('varchar') }}{%- endmacro %}

{% macro type_timestamp() -%}{{ return(adapter.dispatch('type_timestamp', 'dbt')()) }}{%- endmacro %}
{% macro default__type_timestamp() -%}{{ return('timestamp') }}{%- endmacro %}

{% macro type_int() -%}{{ return(adapter.dispatch('type_int', 'dbt')()) }}{%- endmacro %}
{% macro default__type_int() -%}{{ return('integer') }}{%- endmacro %}

{% macro type_bigint() -%}{{ return(adapter.dispatch('type_bigint', 'dbt')()) }}{%- endmacro %}
{% macro default__type_bigint() -%}{{ return('bigint') }}{%- endmacro %}

{#- 'float' is double precision on PostgreSQL but 4-byte REAL on DuckDB. -#}
{% macro type_float() -%}{{ return(adapter.dispatch('type_float', 'dbt')()) }}{%- endmacro %}
{% macro default__type_float() -%}{{ return('float') }}{%- endmacro %}
{% macro duckdb__type_float() -%}{{ return('double') }}{%- endmacro %}

{% macro type_numeric() -%}{{ return(adapter.dispatch('type_numeric', 'dbt')()) }}{%- endmacro %}
{% macro default__type_numeric() -%}{{ return('numeric(28,6)') }}{%- endmacro %}

{% macro type_boolean() -%}{{ return(adapter.dispatch('type_boolean', 'dbt')()) }}{%- endmacro %}
{% macro default__type_boolean() -%}{{ return('boolean') }}{%- endmacro %}

{% macro cast(field, type) -%}{{ return(adapter.dispatch('cast', 'dbt')(field, type)) }}{%- endmacro %}
{% macro default__cast(field, type) -%}cast({{ field }} as {{ type }}){%- endmacro %}

{% macro safe_cast(field, type) -%}{{ return(adapter.dispatch('safe_cast', 'dbt')(field, type)) }}{%- endmacro %}
{#- PostgreSQL has no try_cast: a value that does not convert is an error there. -#}
{% macro default__safe_cast(field, type) -%}cast({{ field }} as {{ type }}){%- endmacro %}
{% macro duckdb__safe_cast(field, type) -%}try_cast({{ field }} as {{ type }}){%- endmacro %}

{% macro cast_bool_to_text(field) -%}{{ return(adapter.dispatch('cast_bool_to_text', 'dbt')(field)) }}{%- endmacro %}
{% macro default__cast_bool_to_text(field) -%}cast({{ field }} as {{ dbt.type_string() }}){%- endmacro %}

{#- ---------------------------------------------------------------- dates -#}

{#- Interval units both engines accept in a literal; a quarter is three months. -#}
{% macro _weir_interval_unit(datepart) -%}
  {%- set p = datepart | lower | trim -%}
  {%- if p == 'quarter' -%}{{ return('3 month') }}{%- endif -%}
  {{ return('1 ' ~ p) }}
{%- endmacro %}

{% macro dateadd(datepart, interval, from_date_or_timestamp) -%}
  {{ return(adapter.dispatch('dateadd', 'dbt')(datepart, interval, from_date_or_timestamp)) }}
{%- endmacro %}
{% macro default__dateadd(datepart, interval, from_date_or_timestamp) -%}
({{ from_date_or_timestamp }} + (({{ interval }}) * interval '{{ dbt._weir_interval_unit(datepart) }}'))
{%- endmacro %}

{#- The number of datepart boundaries crossed between the two values (as dbt's datediff counts:
    datediff('2024-01-31', '2024-02-01', 'month') is 1). -#}
{% macro datediff(first_date, second_date, datepart) -%}
  {{ return(adapter.dispatch('datediff', 'dbt')(first_date, second_date, datepart)) }}
{%- endmacro %}
{% macro default__datediff(first_date, second_date, datepart) -%}
  {%- set p = datepart | lower | trim -%}
  {%- set a = 'cast(' ~ first_date ~ ' as timestamp)' -%}
  {%- set b = 'cast(' ~ second_date ~ ' as timestamp)' -%}
  {%- set years = '(extract(year from ' ~ b ~ ') - extract(year from ' ~ a ~ '))' -%}
  {%- set days = '(cast(' ~ b ~ ' as date) - cast(' ~ a ~ ' as date))' -%}
  {%- set hours = '(' ~ days ~ ' * 24 + extract(hour from ' ~ b ~ ') - extract(hour from ' ~ a ~ '))' -%}
  {%- set minutes = '(' ~ hours ~ ' * 60 + extract(minute from ' ~ b ~ ') - extract(minute from ' ~ a ~ '))' -%}
  {%- if p == 'year' -%}
cast({{ years }} as bigint)
  {%- elif p == 'quarter' -%}
cast({{ years }} * 4 + extract(quarter from {{ b }}) - extract(quarter from {{ a }}) as bigint)
  {%- elif p == 'month' -%}
cast({{ years }} * 12 + extract(month from {{ b }}) - extract(month from {{ a }}) as bigint)
  {%- elif p == 'week' -%}
cast((cast(date_trunc('week', {{ b }}) as date) - cast(date_trunc('week', {{ a }}) as date)) / 7 as bigint)
  {%- elif p == 'day' -%}
cast({{ days }} as bigint)
  {%- elif p == 'hour' -%}
cast({{ hours }} as bigint)
  {%- elif p == 'minute' -%}
cast({{ minutes }} as bigint)
  {%- elif p == 'second' -%}
cast({{ minutes }} * 60 + floor(extract(second from {{ b }})) - floor(extract(second from {{ a }})) as bigint)
  {%- else -%}
{{ exceptions.raise_compiler_error("datediff: unsupported datepart '" ~ datepart ~ "' (use year, quarter, month, week, day, hour, minute or second)") }}
  {%- endif -%}
{%- endmacro %}

{% macro date_trunc(datepart, date) -%}
  {{ return(adapter.dispatch('date_trunc', 'dbt')(datepart, date)) }}
{%- endmacro %}
{% macro default__date_trunc(datepart, date) -%}
date_trunc('{{ datepart }}', {{ date }})
{%- endmacro %}

{#- The last day of the datepart (month, quarter, year, week) the date falls in, as a date. -#}
{% macro last_day(date, datepart) -%}
  {{ return(adapter.dispatch('last_day', 'dbt')(date, datepart)) }}
{%- endmacro %}
{% macro default__last_day(date, datepart) -%}
cast({{ dbt.dateadd('day', -1, dbt.dateadd(datepart, 1, dbt.date_trunc(datepart, 'cast(' ~ date ~ ' as timestamp)'))) }} as date)
{%- endmacro %}

{#- dbt.date(2024, 1, 31): a date literal. -#}
{% macro date(year, month, day) -%}
  {{ return(adapter.dispatch('date', 'dbt')(year, month, day)) }}
{%- endmacro %}
{% macro default__date(year, month, day) -%}
cast('{{ "%04d-%02d-%02d" % (year | int, month | int, day | int) }}' as date)
{%- endmacro %}

{#- ---------------------------------------------------------------- strings -#}

{% macro concat(fields) -%}{{ return(adapter.dispatch('concat', 'dbt')(fields)) }}{%- endmacro %}
{% macro default__concat(fields) -%}concat({{ fields | join(', ') }}){%- endmacro %}

{% macro hash(field) -%}{{ return(adapter.dispatch('hash', 'dbt')(field)) }}{%- endmacro %}
{% macro default__hash(field) -%}md5(cast({{ field }} as {{ dbt.type_string() }})){%- endmacro %}

{% macro split_part(string_text, delimiter_text, part_number) -%}
  {{ return(adapter.dispatch('split_part', 'dbt')(string_text, delimiter_text, part_number)) }}
{%- endmacro %}
{#- A negative part counts from the end, as in dbt. -#}
{% macro default__split_part(string_text, delimiter_text, part_number) -%}
  {%- if part_number | int >= 0 -%}
split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
  {%- else -%}
split_part({{ string_text }}, {{ delimiter_text }},
  cast((length({{ string_text }}) - length(replace({{ string_text }}, {{ delimiter_text }}, ''))) / length({{ delimiter_text }}) + 2 + ({{ part_number }}) as integer))
  {%- endif -%}
{%- endmacro %}

{% macro position(substring_text, string_text) -%}
  {{ return(adapter.dispatch('position', 'dbt')(substring_text, string_text)) }}
{%- endmacro %}
{% macro default__position(substring_text, string_text) -%}position({{ substring_text }} in {{ string_text }}){%- endmacro %}

{% macro replace(field, old_chars, new_chars) -%}
  {{ return(adapter.dispatch('replace', 'dbt')(field, old_chars, new_chars)) }}
{%- endmacro %}
{% macro default__replace(field, old_chars, new_chars) -%}replace({{ field }}, {{ old_chars }}, {{ new_chars }}){%- endmacro %}

{% macro right(string_text, length_expression) -%}
  {{ return(adapter.dispatch('right', 'dbt')(string_text, length_expression)) }}
{%- endmacro %}
{% macro default__right(string_text, length_expression) -%}right({{ string_text }}, {{ length_expression }}){%- endmacro %}

{% macro length(expression) -%}{{ return(adapter.dispatch('length', 'dbt')(expression)) }}{%- endmacro %}
{% macro default__length(expression) -%}length({{ expression }}){%- endmacro %}

{% macro escape_single_quotes(expression) -%}
  {{ return(adapter.dispatch('escape_single_quotes', 'dbt')(expression)) }}
{%- endmacro %}
{% macro default__escape_single_quotes(expression) -%}{{ expression | replace("'", "''") }}{%- endmacro %}

{% macro string_literal(value) -%}{{ return(adapter.dispatch('string_literal', 'dbt')(value)) }}{%- endmacro %}
{% macro default__string_literal(value) -%}'{{ value }}'{%- endmacro %}

{#- ---------------------------------------------------------------- aggregates -#}

{#- measure: SQL expression; delimiter_text: a SQL string literal such as "', '"; order_by_clause:
    "order by x"; limit_num: keep only the first n values. -#}
{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}
  {{ return(adapter.dispatch('listagg', 'dbt')(measure, delimiter_text, order_by_clause, limit_num)) }}
{%- endmacro %}
{% macro default__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
  {%- if limit_num -%}
array_to_string((array_agg({{ measure }}{% if order_by_clause %} {{ order_by_clause }}{% endif %}))[1:{{ limit_num }}], {{ delimiter_text }})
  {%- else -%}
string_agg({{ measure }}, {{ delimiter_text }}{% if order_by_clause %} {{ order_by_clause }}{% endif %})
  {%- endif -%}
{%- endmacro %}

{% macro any_value(expression) -%}{{ return(adapter.dispatch('any_value', 'dbt')(expression)) }}{%- endmacro %}
{% macro default__any_value(expression) -%}any_value({{ expression }}){%- endmacro %}
{#- any_value() arrived in PostgreSQL 16; min() is any value too, on every version. -#}
{% macro postgres__any_value(expression) -%}min({{ expression }}){%- endmacro %}

{% macro bool_or(expression) -%}{{ return(adapter.dispatch('bool_or', 'dbt')(expression)) }}{%- endmacro %}
{% macro default__bool_or(expression) -%}bool_or({{ expression }}){%- endmacro %}

{#- ---------------------------------------------------------------- arrays -#}

{% macro array_construct(inputs=[], data_type='integer') -%}
  {{ return(adapter.dispatch('array_construct', 'dbt')(inputs, data_type)) }}
{%- endmacro %}
{% macro default__array_construct(inputs, data_type) -%}
cast(array[{{ inputs | join(', ') }}] as {{ data_type }}[])
{%- endmacro %}

{% macro array_append(array, new_element) -%}
  {{ return(adapter.dispatch('array_append', 'dbt')(array, new_element)) }}
{%- endmacro %}
{% macro default__array_append(array, new_element) -%}array_append({{ array }}, {{ new_element }}){%- endmacro %}

{% macro array_concat(array_1, array_2) -%}
  {{ return(adapter.dispatch('array_concat', 'dbt')(array_1, array_2)) }}
{%- endmacro %}
{% macro default__array_concat(array_1, array_2) -%}array_cat({{ array_1 }}, {{ array_2 }}){%- endmacro %}

{#- ---------------------------------------------------------------- set operators -#}

{% macro except() -%}{{ return(adapter.dispatch('except', 'dbt')()) }}{%- endmacro %}
{% macro default__except() -%}except{%- endmacro %}

{% macro intersect() -%}{{ return(adapter.dispatch('intersect', 'dbt')()) }}{%- endmacro %}
{% macro default__intersect() -%}intersect{%- endmacro %}
