-- 0004: the vouchers. A funder's order and its rules, the booklets and vouchers it issues, the
-- distributors that hand booklets out, and the redemptions at the places: a voucher goes from an
-- order to a holder's hand to a place's scanner exactly once (the vouchers domain, issue 4).
-- Amounts are integer cents. Must run on PostgreSQL 15.

-- Numbers of documents that the law wants without gaps (invoices): one counter row per series and
-- year, taken under the row's lock in the transaction that uses the number.
create table document_counters (
  series text not null,
  year integer not null,
  last_number integer not null default 0 check (last_number >= 0),
  primary key (series, year)
);

create table funder_distributors (
  funder_id uuid not null references organisations (id),
  distributor_id uuid not null references organisations (id),
  created_at timestamptz not null,
  primary key (funder_id, distributor_id)
);
create index funder_distributors_distributor_idx on funder_distributors (distributor_id);

create sequence order_number_seq;

create table orders (
  id uuid primary key default gen_random_uuid(),
  -- Shown as CMD-000042; from a sequence (an order number may have gaps, an invoice number may not).
  number integer not null unique default nextval('order_number_seq'),
  funder_id uuid not null references organisations (id),
  label text check (length(label) <= 200),
  booklet_count integer not null check (booklet_count between 1 and 20000),
  vouchers_per_booklet integer not null check (vouchers_per_booklet in (5, 10)),
  face_value_cents integer not null check (face_value_cents between 100 and 10000),
  -- prepaid: the funder pays the face value up front; billed_on_use: invoiced each month for what
  -- was used (public funders who may not prepay).
  funding_mode text not null check (funding_mode in ('prepaid', 'billed_on_use')),
  -- Rules. An empty array restricts nothing. Territory entries: 'commune:33063', 'epci:243300316',
  -- 'departement:33', 'region:75' (INSEE codes, SIREN for EPCI).
  territory text[] not null default '{}',
  service_levels integer[] not null default '{}' check (service_levels <@ array[1, 2, 3]),
  service_codes text[] not null default '{}',
  place_types text[] not null default '{}',
  -- Services dated from valid_from to valid_until (Europe/Paris days) are paid; scans are taken
  -- until a month after valid_until (the tolerance of DOMAIN.md).
  valid_from date not null,
  valid_until date not null,
  holder_share_allowed boolean not null default true,
  delivery_modes text[] not null default '{on_site}' check (cardinality(delivery_modes) > 0 and delivery_modes <@ array['on_site', 'remote', 'home']),
  -- on_hand_out: a voucher is worthless until a distributor hands its booklet out (the default);
  -- on_issue: usable as soon as it is issued.
  activation text not null default 'on_hand_out' check (activation in ('on_hand_out', 'on_issue')),
  -- draft → confirmed → committed (paid or engaged) → issued; draft or confirmed → cancelled.
  status text not null default 'draft' check (status in ('draft', 'confirmed', 'committed', 'issued', 'cancelled')),
  invoice_number text unique,
  commitment_reference text check (length(commitment_reference) <= 100),
  created_by uuid references users (id),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  confirmed_at timestamptz,
  committed_at timestamptz,
  issued_at timestamptz,
  cancelled_at timestamptz,
  check (valid_until >= valid_from),
  check ((status in ('draft', 'cancelled')) or confirmed_at is not null),
  check ((status in ('committed', 'issued')) = (committed_at is not null)),
  check ((status = 'issued') = (issued_at is not null)),
  check ((status = 'cancelled') = (cancelled_at is not null)),
  check (funding_mode <> 'prepaid' or confirmed_at is null or invoice_number is not null)
);
create index orders_funder_idx on orders (funder_id, created_at desc);

create sequence booklet_number_seq start 1000;

create table booklets (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null references orders (id),
  -- Printed with a Luhn check digit (domains/vouchers/codes.ts).
  number bigint not null unique,
  position integer not null check (position >= 1),
  distributor_id uuid references organisations (id),
  allocated_at timestamptz,
  handed_out_at timestamptz,
  handed_out_by uuid references users (id),
  -- Anonymous categories of the public, both optional; nothing that identifies a holder.
  public_age text check (public_age in ('under_26', '26_59', '60_74', '75_plus')),
  public_situation text check (public_situation in ('job_seeker', 'minimum_income', 'retired', 'student', 'employed', 'disability', 'other')),
  cancelled_at timestamptz,
  cancel_reason text check (cancel_reason in ('lost', 'stolen', 'damaged', 'other')),
  cancelled_by uuid references users (id),
  unique (order_id, position),
  check ((distributor_id is null) = (allocated_at is null)),
  check (handed_out_at is null or distributor_id is not null),
  check (handed_out_at is not null or (public_age is null and public_situation is null)),
  check ((cancelled_at is null) = (cancel_reason is null))
);
create index booklets_distributor_idx on booklets (distributor_id) where distributor_id is not null;

create table redemptions (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null references providers (organisation_id),
  place_id uuid not null references places (id),
  catalogue_entry_id uuid not null references catalogue_entries (id),
  referential_version integer not null,
  service_code text not null,
  service_date date not null,
  delivery_mode text not null check (delivery_mode in ('on_site', 'remote', 'home')),
  price_cents integer not null check (price_cents >= 0),
  -- The face value of the vouchers taken (what the place is owed), and what the holder paid on top.
  vouchers_cents integer not null check (vouchers_cents > 0),
  holder_share_cents integer not null check (holder_share_cents = greatest(price_cents - vouchers_cents, 0)),
  voucher_count integer not null check (voucher_count >= 1),
  mediator_id uuid references mediators (id),
  public_age text check (public_age in ('under_26', '26_59', '60_74', '75_plus')),
  public_situation text check (public_situation in ('job_seeker', 'minimum_income', 'retired', 'student', 'employed', 'disability', 'other')),
  recorded_by_user uuid references users (id),
  recorded_by_token uuid references api_tokens (id),
  created_at timestamptz not null,
  check (recorded_by_user is not null or recorded_by_token is not null)
);
create index redemptions_provider_idx on redemptions (provider_id, created_at);
create index redemptions_service_date_idx on redemptions (service_date);

create table vouchers (
  id uuid primary key default gen_random_uuid(),
  order_id uuid not null references orders (id),
  booklet_id uuid not null references booklets (id),
  position integer not null check (position between 1 and 10),
  -- HMAC-SHA-256 of the code under a key kept outside the database: finds a typed code.
  code_hash bytea not null unique check (length(code_hash) = 32),
  -- AES-256-GCM of the code under another such key: reprints it.
  code_sealed bytea not null,
  face_value_cents integer not null check (face_value_cents > 0),
  redemption_id uuid references redemptions (id),
  redeemed_at timestamptz,
  unique (booklet_id, position),
  check ((redemption_id is null) = (redeemed_at is null))
);
create index vouchers_order_idx on vouchers (order_id);
create index vouchers_redemption_idx on vouchers (redemption_id) where redemption_id is not null;

-- A voucher is spent once: once its redemption is set, nothing changes it, whatever the code does.
create function refuse_second_redemption() returns trigger language plpgsql as $$
begin
  if old.redemption_id is not null then
    raise exception 'voucher % is already redeemed', old.id using errcode = 'unique_violation';
  end if;
  if new.code_hash <> old.code_hash or new.order_id <> old.order_id or new.booklet_id <> old.booklet_id
     or new.face_value_cents <> old.face_value_cents then
    raise exception 'a voucher''s identity and value never change' using errcode = 'check_violation';
  end if;
  return new;
end;
$$;
create trigger vouchers_redeemed_once before update on vouchers for each row execute function refuse_second_redemption();
create trigger vouchers_never_deleted before delete or truncate on vouchers for each statement execute function refuse_change_to_append_only();
create trigger redemptions_append_only before update or delete or truncate on redemptions for each statement execute function refuse_change_to_append_only();

-- Refused attempts, with their reason: what the rate limits count, and what the operator reads.
-- Never the code itself.
create table redemption_refusals (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null references organisations (id),
  place_id uuid references places (id),
  voucher_id uuid references vouchers (id),
  -- The reasons of domains/vouchers/rules.ts (REFUSAL_REASONS).
  reason text not null check (reason in ('voucher_unknown', 'voucher_repeated', 'voucher_not_issued', 'voucher_not_active', 'voucher_cancelled', 'voucher_already_used', 'voucher_not_yet_valid', 'voucher_expired', 'service_date_invalid', 'provider_not_qualified', 'provider_suspended', 'place_not_published', 'service_not_in_catalogue', 'place_outside_territory', 'place_type_not_allowed', 'service_not_allowed', 'delivery_mode_not_allowed', 'mediator_not_allowed', 'holder_share_not_allowed', 'too_many_vouchers')),
  recorded_by_user uuid references users (id),
  recorded_by_token uuid references api_tokens (id),
  created_at timestamptz not null
);
create index redemption_refusals_place_idx on redemption_refusals (place_id, created_at);
create index redemption_refusals_user_idx on redemption_refusals (recorded_by_user, created_at) where recorded_by_user is not null;
create index redemption_refusals_token_idx on redemption_refusals (recorded_by_token, created_at) where recorded_by_token is not null;

-- Idempotency-Key of the API: the same key gives the same answer; another payload under it is a
-- conflict. Kept per API token.
create table idempotency_keys (
  token_id uuid not null references api_tokens (id),
  key text not null check (length(key) between 1 and 255),
  -- SHA-256 of the request's meaningful content, and the outcome the key answers with.
  request_hash bytea not null,
  outcome jsonb not null,
  created_at timestamptz not null,
  primary key (token_id, key)
);
