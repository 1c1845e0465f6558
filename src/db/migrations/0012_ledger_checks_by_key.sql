-- 0012: the ledger's checks look rows up by key, never read a table whole. Must run on PostgreSQL 15.
--
-- The deferred balance check of 0005 and the postings trigger of 0007 check the few rows a
-- statement wrote against tables that only grow (postings, journal entries). PL/pgSQL plans a
-- function's queries once per connection and keeps the plan until the tables' statistics change; a
-- plan made while a table was small, or for a large statement, can be a hash join over a scan of
-- the whole table, and kept, it reads every row of a table that grows with each redemption. Seen
-- with auto_explain on npm run bench -- redeem: the postings trigger read every journal entry on
-- about a third of the counter's batches, even after ANALYZE, and the balance check read every
-- posting until the statistics caught up. (The reference checks of 0011 are written this way.)
--
-- The balance check runs with sequential scans off. The postings trigger keeps its hash joins,
-- which join a statement's postings with the accounts it moved (thousands of each in a
-- settlement): its check of the entries becomes a lookup per posting, and no table is read whole.

alter function check_entry_balanced() set enable_seqscan = off;

create or replace function apply_postings() returns trigger language plpgsql as $$
declare
  accounts_posted bigint;
  accounts_moved bigint;
  out_of_line bigint;
begin
  -- offset 0 keeps the lookup by key for each posting: never a join that could read every entry.
  if exists (select 1 from new_postings p where not exists (select 1 from journal_entries e where e.seq = p.entry_seq offset 0)) then
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
alter function apply_postings() set enable_seqscan = off;
