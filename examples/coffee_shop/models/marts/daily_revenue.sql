{{ config(materialized='incremental', unique_key='order_day') }}

select
    cast(ordered_at as date) as order_day,
    count(*) as orders,
    sum(total_amount) as revenue
from {{ ref('orders') }}
where status = 'completed'
{% if is_incremental() %}
  and cast(ordered_at as date) >= (select max(order_day) from {{ this }})
{% endif %}
group by 1
