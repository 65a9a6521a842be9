{%- set categories = ['coffee', 'bakery', 'retail'] -%}
select
    i.order_id,
    i.product_id,
    p.category,
    i.quantity,
    i.quantity * p.price_cents as line_cents
    {%- for c in categories %},
    case when p.category = '{{ c }}' then i.quantity * p.price_cents else 0 end as {{ c }}_cents
    {%- endfor %}
from {{ ref('raw_order_items') }} as i
join {{ ref('raw_products') }} as p using (product_id)
