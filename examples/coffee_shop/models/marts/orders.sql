select
    o.order_id,
    o.customer_id,
    o.ordered_at,
    o.status,
    t.items,
    {{ cents_to_dollars('t.total_cents') }} as total_amount,
    {{ cents_to_dollars('t.coffee_cents') }} as coffee_amount
from {{ ref('stg_orders') }} as o
join {{ ref('int_order_totals') }} as t using (order_id)
