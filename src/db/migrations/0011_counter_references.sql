-- 0011: the counter's references checked once per statement, against parents that are never
-- deleted. Must run on PostgreSQL 15.
--
-- A foreign key checks each new row on its own: it looks its parent up and locks it FOR KEY SHARE.
-- That lock is a write: it marks the parent row and is logged, and when two transactions hold it on
-- the same row (two batches of redemptions at the same place, the same provider, the same API
-- token, the same order), PostgreSQL records a multixact. A batch of 20 redemptions took about 140
-- such locks on a few dozen rows: redemptions (provider, place, catalogue entry, mediator, user,
-- API token), the vouchers they mark (the redemption), their journal entries (the order, the
-- redemption), their Idempotency-Keys (the API token). On a batch of 23 redemptions (EXPLAIN
-- ANALYZE, one client), their checks took 2.2 ms; the statement checks below take 1.1 ms.
--
-- The lock only keeps the parent from being deleted (or its key changed) before the child commits.
-- None of these parents is ever deleted nor has its key changed, so the database now refuses both
-- outright, and a statement trigger checks each statement's new rows against their parents in one
-- query, without locking them. The guarantee is the one the foreign keys gave: no row points at a
-- parent that does not exist. Errors keep the foreign keys' code (foreign_key_violation).
--
-- The other foreign keys to these parents stay: they are not on the counter's path.
--
-- The checks look a few rows up by key in tables that only grow. PL/pgSQL keeps a function's plans
-- per connection: a plan made while a table was small (a hash join over a scan) would stay in use
-- as the table grows, so they run with the plans that could scan turned off.

alter table redemptions
  drop constraint redemptions_provider_id_fkey,
  drop constraint redemptions_place_id_fkey,
  drop constraint redemptions_catalogue_entry_id_fkey,
  drop constraint redemptions_mediator_id_fkey,
  drop constraint redemptions_recorded_by_user_fkey,
  drop constraint redemptions_recorded_by_token_fkey;
alter table vouchers drop constraint vouchers_redemption_id_fkey;
alter table journal_entries
  drop constraint journal_entries_order_id_fkey,
  drop constraint journal_entries_redemption_id_fkey;
alter table idempotency_keys drop constraint idempotency_keys_token_id_fkey;

-- The parents: never deleted, their key never changed. Redemptions already refuse both (0004).
create function refuse_delete() returns trigger language plpgsql as $$
begin
  raise exception 'rows of % are never deleted: % refused', tg_table_name, tg_op using errcode = 'restrict_violation';
end;
$$;
create function refuse_key_change() returns trigger language plpgsql as $$
begin
  raise exception 'the key of a row of % never changes', tg_table_name using errcode = 'restrict_violation';
end;
$$;

do $$
declare
  parent record;
begin
  for parent in select * from (values ('providers', 'organisation_id'), ('places', 'id'), ('catalogue_entries', 'id'), ('mediators', 'id'),
      ('users', 'id'), ('api_tokens', 'id'), ('orders', 'id')) as p (name, key)
  loop
    execute format('create trigger %I before delete or truncate on %I for each statement execute function refuse_delete()',
      parent.name || '_never_deleted', parent.name);
    execute format('create trigger %I before update of %I on %I for each row when (old.%I is distinct from new.%I) execute function refuse_key_change()',
      parent.name || '_key_fixed', parent.key, parent.name, parent.key, parent.key);
  end loop;
end;
$$;

-- The children: each statement's new rows, checked against their parents in one query.
-- Each parent is looked up in a subquery of its own: no join to turn off, only the scans.
create function check_redemption_references() returns trigger language plpgsql set enable_seqscan = off as $$
begin
  if exists (
    select 1 from new_redemptions r
    where not exists (select 1 from providers p where p.organisation_id = r.provider_id)
       or not exists (select 1 from places p where p.id = r.place_id)
       or not exists (select 1 from catalogue_entries e where e.id = r.catalogue_entry_id)
       or (r.mediator_id is not null and not exists (select 1 from mediators m where m.id = r.mediator_id))
       or (r.recorded_by_user is not null and not exists (select 1 from users u where u.id = r.recorded_by_user))
       or (r.recorded_by_token is not null and not exists (select 1 from api_tokens t where t.id = r.recorded_by_token))
  ) then
    raise exception 'redemption of an unknown provider, place, catalogue entry, mediator, user or API token' using errcode = 'foreign_key_violation';
  end if;
  return null;
end;
$$;
create trigger redemptions_references after insert on redemptions
  referencing new table as new_redemptions
  for each statement execute function check_redemption_references();

create function check_voucher_redemptions() returns trigger language plpgsql set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
begin
  if exists (select 1 from new_vouchers v where v.redemption_id is not null and not exists (select 1 from redemptions r where r.id = v.redemption_id)) then
    raise exception 'voucher redeemed by an unknown redemption' using errcode = 'foreign_key_violation';
  end if;
  return null;
end;
$$;
-- (A trigger with a transition table has one event.)
create trigger vouchers_redemption_reference_insert after insert on vouchers
  referencing new table as new_vouchers
  for each statement execute function check_voucher_redemptions();
create trigger vouchers_redemption_reference_update after update on vouchers
  referencing new table as new_vouchers
  for each statement execute function check_voucher_redemptions();

create function check_entry_references() returns trigger language plpgsql set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
begin
  if exists (select 1 from new_entries e where e.order_id is not null and not exists (select 1 from orders o where o.id = e.order_id)) then
    raise exception 'journal entry of an unknown order' using errcode = 'foreign_key_violation';
  end if;
  if exists (select 1 from new_entries e where e.redemption_id is not null and not exists (select 1 from redemptions r where r.id = e.redemption_id)) then
    raise exception 'journal entry of an unknown redemption' using errcode = 'foreign_key_violation';
  end if;
  return null;
end;
$$;
create trigger journal_entries_references after insert on journal_entries
  referencing new table as new_entries
  for each statement execute function check_entry_references();

create function check_idempotency_tokens() returns trigger language plpgsql set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off as $$
begin
  if exists (select 1 from new_keys k where not exists (select 1 from api_tokens t where t.id = k.token_id)) then
    raise exception 'Idempotency-Key of an unknown API token' using errcode = 'foreign_key_violation';
  end if;
  return null;
end;
$$;
create trigger idempotency_keys_token_reference after insert on idempotency_keys
  referencing new table as new_keys
  for each statement execute function check_idempotency_tokens();
