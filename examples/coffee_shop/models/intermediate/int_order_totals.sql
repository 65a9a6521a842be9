select
    order_id,
    sum(quantity) as items,
    sum(line_cents) as total_cents,
    sum(coffee_cents) as coffee_cents
from {{ ref('stg_order_items') }}
group by order_id
