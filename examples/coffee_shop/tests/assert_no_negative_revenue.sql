-- A singular test: it fails if any day shows negative revenue.
select order_day, revenue
from {{ ref('daily_revenue') }}
where revenue < 0
