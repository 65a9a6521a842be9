with completed as (
    select * from {{ ref('orders') }} where status = 'completed'
)
select
    c.customer_id,
    c.full_name,
    count(o.order_id) as completed_orders,
    coalesce(sum(o.total_amount), 0) as lifetime_amount,
    coalesce(sum(o.total_amount), 0) * 100 >= {{ var('vip_threshold_cents') }} as is_vip
from {{ ref('stg_customers') }} as c
left join completed as o using (customer_id)
group by c.customer_id, c.full_name
