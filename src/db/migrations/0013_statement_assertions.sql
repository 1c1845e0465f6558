-- 0013: a statement checks what it wrote and fails, with its transaction, if that is not what it
-- meant to write. Must run on PostgreSQL 15.
--
-- The counter's last statement of a batch has its COMMIT sent right behind it, without waiting for
-- its answer (db/prepared.ts, PREPARED_LAST): the counts the application checked between that
-- statement and the commit (every voucher marked, every posting written) are checked by the
-- statement itself, so that a wrong count rolls the batch back as it did.

create function assert_true(ok boolean, message text) returns boolean language plpgsql as $$
begin
  if ok is not true then
    raise exception '%', message using errcode = 'assert_failure';
  end if;
  return true;
end $$;
