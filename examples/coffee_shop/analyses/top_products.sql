select product_id, sum(quantity) as sold
from {{ ref('stg_order_items') }}
group by product_id
order by sold desc
