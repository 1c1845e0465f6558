-- 0006: the monthly counter-payment. A settlement per month takes the redemptions of the month,
-- computes per provider the gross, the fees, the subscription due and the net; payouts go to the
-- bank in SEPA batches (pain.001.001.09) and come back settled or rejected; statements and invoices
-- carry gapless numbers. Also the providers' subscriptions, the expiry of orders and the funders'
-- monthly invoices (the money domain, issue 5). Amounts are integer cents. Must run on PostgreSQL 15.

create table settlements (
  id uuid primary key default gen_random_uuid(),
  -- The first day of the month settled (services dated in that month).
  month date not null unique check (extract(day from month) = 1),
  -- Rates in basis points (1/100 of a percent) and prices, as they were when it ran: history never moves.
  platform_fee_bp integer not null check (platform_fee_bp between 0 and 10000),
  fund_fee_bp integer not null check (fund_fee_bp between 0 and 10000),
  -- Scans recorded until this instant count for the month (late scans, configurable grace day).
  scans_until timestamptz not null,
  subscription_monthly_cents integer not null,
  subscription_yearly_cents integer not null,
  vat_bp integer not null,
  redemptions integer not null default 0,
  gross_cents bigint not null default 0,
  platform_fee_cents bigint not null default 0,
  fund_fee_cents bigint not null default 0,
  subscription_cents bigint not null default 0,
  net_cents bigint not null default 0,
  status text not null check (status in ('running', 'done')),
  started_by uuid references users (id),
  started_at timestamptz not null,
  completed_at timestamptz,
  check ((status = 'done') = (completed_at is not null))
);

create table payout_batches (
  id uuid primary key default gen_random_uuid(),
  settlement_id uuid not null references settlements (id),
  -- MsgId of the pain.001 file.
  message_id text not null unique,
  transactions integer not null,
  control_sum_cents bigint not null,
  requested_on date not null,
  file_name text not null,
  file_sha256 text not null,
  xml text not null,
  created_at timestamptz not null
);

create table payouts (
  id uuid primary key default gen_random_uuid(),
  settlement_id uuid not null references settlements (id),
  provider_id uuid not null references providers (organisation_id),
  -- Statement number, gapless per year: R-2026-000001.
  statement_number text not null unique,
  gross_cents bigint not null check (gross_cents >= 0),
  platform_fee_cents bigint not null check (platform_fee_cents >= 0),
  fund_fee_cents bigint not null check (fund_fee_cents >= 0),
  -- Subscription deducted (VAT included), and what a rejected earlier payout brings back.
  subscription_cents bigint not null check (subscription_cents >= 0),
  carried_in_cents bigint not null default 0 check (carried_in_cents >= 0),
  net_cents bigint not null check (net_cents >= 0),
  check (net_cents = gross_cents - platform_fee_cents - fund_fee_cents - subscription_cents + carried_in_cents),
  -- Bank details as they were when it was computed.
  iban text,
  bic text,
  account_holder text,
  end_to_end_id text not null unique,
  -- pending → file_generated → sent → settled | rejected; no transfer when there is nothing to pay.
  status text not null check (status in ('pending', 'file_generated', 'sent', 'settled', 'rejected', 'nothing_to_pay')),
  batch_id uuid references payout_batches (id),
  rejected_reason text,
  -- A rejected payout is paid again once, by a later payout that names it.
  retries_payout_id uuid unique references payouts (id),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  unique (settlement_id, provider_id)
);
create index payouts_provider_idx on payouts (provider_id, created_at desc);
create index payouts_status_idx on payouts (status);

-- Which redemptions a payout pays, with the fee of each: every redemption is paid once.
create table payout_lines (
  redemption_id uuid primary key references redemptions (id),
  payout_id uuid not null references payouts (id),
  gross_cents integer not null,
  platform_fee_cents integer not null,
  fund_fee_cents integer not null,
  -- The département of the place: whose territorial fund the 1 % goes to.
  territory text not null
);
create index payout_lines_payout_idx on payout_lines (payout_id);

create table provider_subscriptions (
  provider_id uuid primary key references providers (organisation_id),
  plan text not null check (plan in ('monthly', 'yearly')),
  -- The day of the first scan: the subscription starts there, its first month free.
  started_on date not null,
  created_at timestamptz not null
);

-- Subscription invoices: one per provider and period, deducted from a payout or carried over.
create table subscription_invoices (
  id uuid primary key default gen_random_uuid(),
  provider_id uuid not null references providers (organisation_id),
  number text not null unique,
  period_start date not null,
  period_end date not null,
  amount_excl_vat_cents integer not null check (amount_excl_vat_cents >= 0),
  vat_cents integer not null check (vat_cents >= 0),
  amount_incl_vat_cents integer not null check (amount_incl_vat_cents = amount_excl_vat_cents + vat_cents),
  -- The payout that deducted it; null while carried over.
  paid_by_payout_id uuid references payouts (id),
  created_at timestamptz not null,
  unique (provider_id, period_start)
);

-- Funders billed on use: one invoice a month for the vouchers used.
create table funder_invoices (
  id uuid primary key default gen_random_uuid(),
  funder_id uuid not null references organisations (id),
  month date not null,
  number text not null unique,
  amount_cents bigint not null check (amount_cents >= 0),
  created_at timestamptz not null,
  unique (funder_id, month)
);

-- Expiry: the notices sent to the funder, and the credit note for what was not used. Each stage once.
create table order_expiry_steps (
  order_id uuid not null references orders (id),
  stage text not null check (stage in ('alert_30', 'block_15', 'acknowledge_7', 'credit_note')),
  done_at timestamptz not null,
  -- The credit note's number and amount (stage credit_note only).
  credit_note_number text unique,
  amount_cents bigint,
  primary key (order_id, stage)
);

-- Scheduled work, claimed with `for update skip locked` by whichever process runs the worker.
create table jobs (
  id uuid primary key default gen_random_uuid(),
  kind text not null,
  run_at timestamptz not null,
  payload jsonb not null default '{}',
  -- One pending job per kind and key: scheduling twice does nothing.
  key text not null,
  status text not null default 'pending' check (status in ('pending', 'running', 'done', 'failed')),
  attempts integer not null default 0,
  last_error text,
  finished_at timestamptz,
  unique (kind, key)
);
create index jobs_due_idx on jobs (run_at) where status = 'pending';

create trigger payout_lines_append_only before update or delete or truncate on payout_lines
  for each statement execute function refuse_change_to_append_only();
create trigger payout_batches_append_only before update or delete or truncate on payout_batches
  for each statement execute function refuse_change_to_append_only();
