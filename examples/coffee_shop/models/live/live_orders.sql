-- Each order's latest state from the till events (Kafka), priced with the current menu and
-- tagged with the customer's loyalty tier (both captured from the shop database).
with ranked as (
    select
        *,
        row_number() over (partition by order_id order by event_at desc, _kafka_offset desc) as nth_latest
    from {{ source('streams', 'order_events') }}
)
select
    e.order_id,
    e.customer_id,
    coalesce(m.tier, 'none') as loyalty_tier,
    e.product_id,
    p.name as product,
    e.quantity,
    e.status,
    e.event_at as updated_at,
    e.quantity * p.price_cents as amount_cents
from ranked as e
left join {{ source('shop_db', 'menu_prices') }} as p using (product_id)
left join {{ source('shop_db', 'loyalty_members') }} as m using (customer_id)
where e.nth_latest = 1
