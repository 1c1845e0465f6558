-- 0009: a funder's billing details, printed under its name on the invoices of its orders billed on
-- use (print/funder-invoice.ts). Must run on PostgreSQL 15.
--
-- A table of its own, keyed by the funder organisation, rather than columns of organisations: only
-- funders are invoiced this way, and a funder without a row keeps the name alone on its invoices,
-- as before this migration. Written by the funder's admins (domains/settlement/funder-billing-details.ts,
-- which also checks the organisation is a funder and the SIRET's Luhn keys); the checks here hold
-- the shapes. The commune is typed, not derived from the postcode: a public body's billing address
-- often has a CEDEX postcode, which no commune of the INSEE list has. The SIRET is optional (a
-- foundation or a body abroad may have none).
create table funder_billing_details (
  organisation_id uuid primary key references organisations (id),
  address text not null check (length(btrim(address)) between 1 and 300),
  postcode text not null check (postcode ~ '^\d{5}$'),
  commune text not null check (length(btrim(commune)) between 1 and 100),
  siret text check (siret ~ '^\d{14}$'),
  updated_at timestamptz not null
);

-- An issued invoice never changes: the buyer as invoiced (name and billing details as they stood)
-- is copied onto it when it is issued (domains/settlement/funder-invoices.ts), and a later change
-- of the funder's name or address only reaches the invoices issued after it. Invoices issued before
-- this migration have no copy: they print the funder's name alone, as they did.
alter table funder_invoices
  add column buyer_name text,
  add column buyer_address text,
  add column buyer_postcode text,
  add column buyer_commune text,
  add column buyer_siret text,
  add constraint funder_invoices_buyer_address_whole check (
    (buyer_address is null) = (buyer_postcode is null) and (buyer_address is null) = (buyer_commune is null)
    and (buyer_siret is null or buyer_address is not null)
    and (buyer_address is null or buyer_name is not null));

