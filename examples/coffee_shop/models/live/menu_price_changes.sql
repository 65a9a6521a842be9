-- Every price a product has had, with the time span it was on the menu (from the CDC history:
-- _weir_valid_to is null for the current price; a deleted product's last row has op 'd').
select
    product_id,
    name,
    price_cents,
    _weir_op as change,
    _weir_valid_from as valid_from,
    _weir_valid_to as valid_to
from {{ source('shop_db', 'menu_prices_history') }}
