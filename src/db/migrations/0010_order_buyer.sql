-- 0010: the funder as an order's documents name it, copied when the order is confirmed. Must run
-- on PostgreSQL 15.
--
-- From its confirmation, an order has its order form (bon de commande) and, when prepaid, its
-- invoice, numbered then (domains/vouchers/orders.ts, print/order-documents.ts). Like the funders'
-- monthly invoices (0009), these documents never change once issued: the funder's name and its
-- billing details (funder_billing_details, 0009) as they stand at confirmation are copied onto the
-- order, and a later change reaches only the orders confirmed after it. Orders confirmed before
-- this migration have no copy: their documents print the funder's name alone, as they did.
alter table orders
  add column buyer_name text,
  add column buyer_address text,
  add column buyer_postcode text,
  add column buyer_commune text,
  add column buyer_siret text,
  add constraint orders_buyer_address_whole check (
    (buyer_address is null) = (buyer_postcode is null) and (buyer_address is null) = (buyer_commune is null)
    and (buyer_siret is null or buyer_address is not null)
    and (buyer_address is null or buyer_name is not null));
