-- 0014: the vouchers of a redemption are listed in a table of their own, and a voucher marked
-- spent is updated in place. Must run on PostgreSQL 15.
--
-- Marking a voucher spent sets its redemption_id. The partial index on that column (0004) made
-- every mark a new row version with a new entry in each of the five indexes of vouchers (its id,
-- code hash, booklet and position, order, redemption), written to the WAL: 0 of 67,000 marks
-- were HOT updates in npm run bench -- redeem. Without an index on the columns a mark sets, and
-- with room left in each page for the new version (fillfactor), all of them were: PostgreSQL CPU
-- per redemption fell from 0.29-0.33 ms to 0.22-0.25 ms, WAL from 3.3 to 2.7 kB.
--
-- What that index served, finding the vouchers of a redemption (a provider's statement with its
-- vouchers' serials, the billed-on-use invoices, the settlement's checks), is served by
-- redemption_vouchers: one row per voucher
-- spent, written by the statement that marks it, from the vouchers it marked. The mark stays on the
-- voucher: it is what the counter locks and checks (at most one redemption per voucher).
--
-- The two agree, and the database checks it: a link names a voucher marked with its redemption, a
-- voucher marked has its link (in the same statement), and neither ever changes (a redeemed voucher
-- is never updated again: 0004).
--
-- fillfactor applies to the pages written from now on: vouchers issued before this migration keep
-- their full pages, and their marks are written as before, until a rewrite of the table (VACUUM
-- FULL, in a maintenance window) gives their pages the same room.

-- No voucher is marked while the marks are copied (a server of the version before may still run).
lock table vouchers in access exclusive mode;

create table redemption_vouchers (
  redemption_id uuid not null,
  voucher_id uuid not null,
  primary key (redemption_id, voucher_id)
);
create trigger redemption_vouchers_append_only before update or delete or truncate on redemption_vouchers
  for each statement execute function refuse_change_to_append_only();

insert into redemption_vouchers (redemption_id, voucher_id)
select redemption_id, id from vouchers where redemption_id is not null;

drop index vouchers_redemption_idx;
alter table vouchers set (fillfactor = 80);

-- A link names a voucher marked with its redemption (which vouchers_redemption_reference_* checks).
create function check_redemption_voucher_links() returns trigger language plpgsql set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
begin
  if exists (select 1 from new_links l where not exists (select 1 from vouchers v where v.id = l.voucher_id and v.redemption_id = l.redemption_id)) then
    raise exception 'a redemption''s voucher that it did not mark' using errcode = 'foreign_key_violation';
  end if;
  return null;
end;
$$;
create trigger redemption_vouchers_marked after insert on redemption_vouchers
  referencing new table as new_links
  for each statement execute function check_redemption_voucher_links();

-- A voucher marked names a redemption that exists (0011) and that lists it.
create or replace function check_voucher_redemptions() returns trigger language plpgsql set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
begin
  if exists (select 1 from new_vouchers v where v.redemption_id is not null and not exists (select 1 from redemptions r where r.id = v.redemption_id)) then
    raise exception 'voucher redeemed by an unknown redemption' using errcode = 'foreign_key_violation';
  end if;
  if exists (select 1 from new_vouchers v where v.redemption_id is not null
      and not exists (select 1 from redemption_vouchers l where l.redemption_id = v.redemption_id and l.voucher_id = v.id)) then
    raise exception 'voucher redeemed without its redemption listing it' using errcode = 'foreign_key_violation';
  end if;
  return null;
end;
$$;
