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
  -- Running balance, kept by the posting trigger; debit positive.
  balance_cents bigint not null default 0,
  created_at timestamptz not null
);

create table journal_entries (
  -- Continuous sequence, taken under the ledger head's lock: no gaps, no two entries with one number.
  seq bigint primary key,
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
  -- SHA-256 of (hash of entry seq − 1 ‖ seq ‖ SHA-256 of this entry's content with its postings),
  -- computed by the update of the ledger head: tampering with any entry breaks every hash after it
  -- (npx passnum verify-ledger).
  hash bytea not null unique,
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
  -- The account's balance once this posting is applied: set by the trigger below, never by the code.
  balance_after_cents bigint not null default 0,
  primary key (entry_seq, line)
);
create index postings_account_idx on postings (account_id, entry_seq);

-- The head of the chain: one row. Writers lock it last, after their accounts.
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

create function refuse_ledger_head_rewind() returns trigger language plpgsql as $$
begin
  if new.last_seq <> old.last_seq + 1 then
    raise exception 'the ledger head only moves one entry forward' using errcode = 'check_violation';
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

-- Balances follow postings: each posting moves its account's balance and records the result. The
-- account row is locked by this update until the transaction ends; writers take the ledger head
-- first, so they never wait on each other's accounts in a cycle.
create function apply_posting() returns trigger language plpgsql as $$
begin
  update ledger_accounts set balance_cents = balance_cents + new.amount_cents where id = new.account_id
    returning balance_cents into new.balance_after_cents;
  if not found then
    raise exception 'posting to unknown account %', new.account_id using errcode = 'foreign_key_violation';
  end if;
  return new;
end;
$$;
create trigger postings_apply before insert on postings for each row execute function apply_posting();
