-- 0005: the ledger. Double entry, append-only, in the same database as the business changes it
-- records, so that every money event and its entry commit together (the money domain, issue 5).
-- Amounts are signed integer cents: a debit is positive, a credit negative; each entry sums to zero.
-- Must run on PostgreSQL 15.

create table ledger_accounts (
  id uuid primary key default gen_random_uuid(),
  -- Stable key: kind, and the owner when the account is per owner ('provider_payable:<uuid>').
  key text not null unique,
  kind text not null check (kind in (
    'bank', 'funder_balance', 'vouchers_outstanding', 'provider_payable', 'platform_fees',
    'territorial_fund', 'vat_collected', 'subscription_revenue', 'subscriptions_receivable',
    'payouts_in_transit', 'expired_vouchers'
  )),
  organisation_id uuid references organisations (id),
  order_id uuid references orders (id),
  -- The territory of a territorial fund: a département code.
  territory text,
  -- Number in the French chart of accounts (PCG), for the FEC: 512000, 411000, 467100…
  chart_number text not null check (chart_number ~ '^\d{3}[0-9A-Z]*$'),
  label text not null,
  -- Running balance and number of postings, kept by the posting trigger; debit positive.
  balance_cents bigint not null default 0,
  postings_count bigint not null default 0,
  created_at timestamptz not null
);

-- Entries are numbered from a sequence, so that concurrent money transactions never wait on each
-- other for a number (a rolled-back transaction leaves a gap; the FEC numbers its lines itself).
create sequence journal_entry_seq;

create table journal_entries (
  seq bigint primary key default nextval('journal_entry_seq'),
  -- VT sales of vouchers, EN redemptions, RE settlements, BQ bank, OD other.
  journal text not null check (journal in ('VT', 'EN', 'RE', 'BQ', 'OD')),
  kind text not null,
  label text not null check (length(label) between 1 and 300),
  -- The day it is booked (Europe/Paris) and the supporting document.
  booked_on date not null,
  piece_ref text not null,
  order_id uuid references orders (id),
  redemption_id uuid references redemptions (id),
  -- Corrections are new entries that point at the entry they correct.
  corrects_seq bigint references journal_entries (seq),
  created_at timestamptz not null
);
create index journal_entries_order_idx on journal_entries (order_id) where order_id is not null;
create index journal_entries_redemption_idx on journal_entries (redemption_id) where redemption_id is not null;
create index journal_entries_booked_idx on journal_entries (booked_on, seq);

create table postings (
  entry_seq bigint not null references journal_entries (seq),
  line integer not null check (line >= 1),
  account_id uuid not null references ledger_accounts (id),
  amount_cents bigint not null check (amount_cents <> 0),
  -- The account's balance once this posting is applied, and the posting's rank on its account (the
  -- order postings were applied in, which concurrent transactions may give differently from entry
  -- numbers): set by the trigger below, never by the code.
  balance_after_cents bigint not null default 0,
  account_line bigint not null default 0,
  primary key (entry_seq, line),
  unique (account_id, account_line)
);

-- The hash chain, written behind the entries by the sealer (domains/ledger/seal-ledger.ts), in
-- number order, once an entry is old enough that no transaction can still commit a lower number:
-- hash = SHA-256(previous seal's hash ‖ seq ‖ SHA-256 of the entry's content with its postings).
-- Tampering with a sealed entry breaks every hash after it (npx passnum verify-ledger). Sealing
-- apart keeps the counter free of a lock that every money transaction would queue on.
create table ledger_seals (
  seq bigint primary key references journal_entries (seq),
  hash bytea not null unique,
  sealed_at timestamptz not null
);

-- The last seal: one row, moved forward by the sealer only.
create table ledger_head (
  id boolean primary key default true check (id),
  last_seq bigint not null,
  last_hash bytea not null
);
insert into ledger_head (id, last_seq, last_hash) values (true, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

-- Append-only: entries and postings never change; the head only moves forward.
create trigger journal_entries_append_only before update or delete or truncate on journal_entries
  for each statement execute function refuse_change_to_append_only();
create trigger postings_append_only before update or delete or truncate on postings
  for each statement execute function refuse_change_to_append_only();
create trigger ledger_seals_append_only before update or delete or truncate on ledger_seals
  for each statement execute function refuse_change_to_append_only();

create function refuse_ledger_head_rewind() returns trigger language plpgsql as $$
begin
  if new.last_seq <= old.last_seq then
    raise exception 'the ledger head only moves forward' using errcode = 'check_violation';
  end if;
  return new;
end;
$$;
create trigger ledger_head_forward before update on ledger_head for each row execute function refuse_ledger_head_rewind();
create trigger ledger_head_no_delete before delete or truncate on ledger_head for each statement execute function refuse_change_to_append_only();

-- Every entry balances, checked when its transaction commits (postings arrive one by one).
create function check_entry_balanced() returns trigger language plpgsql as $$
declare
  total bigint;
  lines integer;
begin
  select coalesce(sum(amount_cents), 0), count(*) into total, lines from postings where entry_seq = new.seq;
  if lines < 2 or total <> 0 then
    raise exception 'journal entry % is unbalanced (% lines, total % cents)', new.seq, lines, total using errcode = 'check_violation';
  end if;
  return null;
end;
$$;
create constraint trigger journal_entries_balanced after insert on journal_entries
  deferrable initially deferred for each row execute function check_entry_balanced();

-- Balances follow postings: each posting moves its account's balance and records the result and its
-- rank. The account row stays locked by this update until the transaction ends; writers apply their
-- postings in account-id order (domains/ledger/post-entry.ts), so they never wait in a cycle.
create function apply_posting() returns trigger language plpgsql as $$
begin
  update ledger_accounts set balance_cents = balance_cents + new.amount_cents, postings_count = postings_count + 1
    where id = new.account_id
    returning balance_cents, postings_count into new.balance_after_cents, new.account_line;
  if not found then
    raise exception 'posting to unknown account %', new.account_id using errcode = 'foreign_key_violation';
  end if;
  return new;
end;
$$;
create trigger postings_apply before insert on postings for each row execute function apply_posting();
