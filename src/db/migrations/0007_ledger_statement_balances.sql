-- 0007: account balances move once per statement instead of once per posting.
-- Must run on PostgreSQL 15.
--
-- Until now a row trigger (apply_posting, 0005) updated the account of each posting as it was
-- inserted, and filled the posting's balance_after_cents and account_line. A statement writing
-- the entries of 64 redemptions, or a settlement writing 5,000 payouts against the same platform
-- accounts, updated the same rows once per posting: each update leaves one more row version that
-- the next one walks through, so the cost grew with the square of the postings per account within
-- a transaction, and the counter spent about a fifth of its database time there
-- (npm run bench -- redeem, npm run bench -- settle).
--
-- Now the writer locks the accounts it posts to (in id order, as before) and computes each
-- posting's balance after it and rank on its account (domains/ledger/post-entry.ts); a statement
-- trigger then moves each account once by the sum of its postings, and refuses the statement
-- unless every posting's balance and rank follow exactly from the account as it stood: the
-- database still decides, the code only proposes. A writer that did not lock is refused rather
-- than wrong (the update waits for the lock, then sees a balance its postings do not follow from),
-- and the unique (account_id, account_line) index stays as the last guard.
--
-- The two foreign keys of postings are checked by the same trigger, once per statement (the
-- per-row checks also locked each parent row). Their parents are never deleted: entries were
-- already append-only (0005), and ledger accounts become undeletable below.

drop trigger postings_apply on postings;
drop function apply_posting();
alter table postings drop constraint postings_account_id_fkey;
alter table postings drop constraint postings_entry_seq_fkey;

create function apply_postings() returns trigger language plpgsql as $$
declare
  accounts_posted bigint;
  accounts_moved bigint;
  out_of_line bigint;
begin
  if exists (select 1 from new_postings p where not exists (select 1 from journal_entries e where e.seq = p.entry_seq)) then
    raise exception 'posting to an unknown journal entry' using errcode = 'foreign_key_violation';
  end if;
  with moves as (
    select account_id, sum(amount_cents) as total, count(*) as lines from new_postings group by account_id
  ), moved as (
    update ledger_accounts a set balance_cents = a.balance_cents + m.total, postings_count = a.postings_count + m.lines
    from moves m
    where a.id = m.account_id
    returning a.id, a.balance_cents - m.total as balance_before, a.postings_count - m.lines as count_before
  ), followed as (
    select p.balance_after_cents = a.balance_before + sum(p.amount_cents) over w
       and p.account_line = a.count_before + row_number() over w as ok
    from new_postings p
    join moved a on a.id = p.account_id
    window w as (partition by p.account_id order by p.account_line rows unbounded preceding)
  )
  select (select count(*) from moves), (select count(*) from moved), (select count(*) from followed where not ok)
    into accounts_posted, accounts_moved, out_of_line;
  if accounts_moved <> accounts_posted then
    raise exception 'posting to an unknown ledger account' using errcode = 'foreign_key_violation';
  end if;
  if out_of_line > 0 then
    raise exception '% postings do not follow from their account''s balance and rank', out_of_line using errcode = 'check_violation';
  end if;
  return null;
end;
$$;
create trigger postings_apply after insert on postings
  referencing new table as new_postings
  for each statement execute function apply_postings();

-- Accounts are never deleted: postings point at them without a foreign key.
create trigger ledger_accounts_no_delete before delete or truncate on ledger_accounts
  for each statement execute function refuse_change_to_append_only();
