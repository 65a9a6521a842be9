-- What the beans cost per month, from the roaster's delivery files.
select
    cast(date_trunc('month', delivered_on) as date) as delivery_month,
    bean,
    sum(kilos) as kilos,
    sum(kilos * price_per_kilo) as cost
from {{ source('landing', 'deliveries') }}
group by 1, 2
