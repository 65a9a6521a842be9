{{ config(materialized='view') }}

select
    order_id,
    customer_id,
    cast(ordered_at as timestamp) as ordered_at,
    lower(status) as status
from {{ ref('raw_orders') }}
where cast(ordered_at as date) >= date '{{ var("first_day") }}'
