-- Completed orders and their revenue per loyalty tier, from the live orders.
select
    loyalty_tier,
    count(*) as completed_orders,
    {{ cents_to_dollars('sum(amount_cents)') }} as revenue
from {{ ref('live_orders') }}
where status = 'completed'
group by loyalty_tier
