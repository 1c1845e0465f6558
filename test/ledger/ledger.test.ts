import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postEntry, type NewEntry } from '../../src/domains/ledger/post-entry.js';
import { sealLedger, SEAL_DELAY_MS } from '../../src/domains/ledger/seal-ledger.js';
import { verifyLedger } from '../../src/domains/ledger/verify-ledger.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createOrganisation } from '../support/fixtures.js';
import { expectSoundLedger } from '../support/ledger.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => t.close());

function payment(funderId: string, cents: number): NewEntry {
  return {
    journal: 'BQ',
    kind: 'funder_payment',
    label: 'Virement reçu',
    bookedOn: '2026-11-02',
    pieceRef: 'VIR-1',
    lines: [
      { account: { kind: 'bank' }, amountCents: cents },
      { account: { kind: 'funder_balance', funderId }, amountCents: -cents },
    ],
  };
}

const post = (entry: NewEntry) => t.ctx.db.transaction().execute((trx) => postEntry(trx, entry, t.ctx.clock.now()));

describe('the ledger', () => {
  it('keeps balances after each posting, seals its entries behind them and verifies the chain', async () => {
    const funder = await createOrganisation(t.ctx, 'funder');
    for (const cents of [1000, 250, 99]) await post(payment(funder.id, cents));
    // Too recent to seal with the production delay: pending, not a problem.
    expect(await sealLedger(t.ctx.db, t.ctx.clock.now())).toMatchObject({ sealed: 0 });
    expect(await verifyLedger(t.ctx.db, t.ctx.clock.now())).toMatchObject({ entries: 3, postings: 6, sealed: 0, pending: 3, problems: [] });
    t.clock.advanceMinutes(SEAL_DELAY_MS / 60_000 + 1);
    expect(await sealLedger(t.ctx.db, t.ctx.clock.now())).toMatchObject({ sealed: 3 });
    expect(await sealLedger(t.ctx.db, t.ctx.clock.now())).toMatchObject({ sealed: 0 });
    expect(await verifyLedger(t.ctx.db, t.ctx.clock.now())).toMatchObject({ entries: 3, postings: 6, sealed: 3, pending: 0, problems: [] });
    const accounts = await t.ctx.db.selectFrom('ledger_accounts').select(['kind', 'balance_cents', 'postings_count']).orderBy('kind').execute();
    expect(accounts).toEqual([
      { kind: 'bank', balance_cents: 1349, postings_count: 3 },
      { kind: 'funder_balance', balance_cents: -1349, postings_count: 3 },
    ]);
    const bank = await t.ctx.db
      .selectFrom('postings')
      .innerJoin('ledger_accounts', 'ledger_accounts.id', 'postings.account_id')
      .select(['balance_after_cents', 'account_line'])
      .where('ledger_accounts.kind', '=', 'bank')
      .orderBy('account_line')
      .execute();
    expect(bank).toEqual([
      { balance_after_cents: 1000, account_line: 1 },
      { balance_after_cents: 1250, account_line: 2 },
      { balance_after_cents: 1349, account_line: 3 },
    ]);
  });

  it('refuses an unbalanced entry, in the code and in the database', async () => {
    const funder = await createOrganisation(t.ctx, 'funder');
    const entry = payment(funder.id, 1000);
    const unbalanced = { ...entry, lines: [entry.lines[0]!, { ...entry.lines[1]!, amountCents: -999 }] };
    await expect(post(unbalanced)).rejects.toThrow(/unbalanced/);
    await post(entry);
    // Bypassing the code: an entry with a single posting is refused when its transaction commits.
    const account = await t.ctx.db.selectFrom('ledger_accounts').select('id').where('kind', '=', 'bank').executeTakeFirstOrThrow();
    await expect(
      t.ctx.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ seq: number }>`insert into journal_entries (journal, kind, label, booked_on, piece_ref, created_at) values ('OD', 'x', 'x', '2026-11-02', 'x', now()) returning seq`.execute(trx);
        await sql`insert into postings (entry_seq, line, account_id, amount_cents, balance_after_cents, account_line)
          select ${rows[0]!.seq}, 1, id, 5, balance_cents + 5, postings_count + 1 from ledger_accounts where id = ${account.id} for update`.execute(trx);
      }),
    ).rejects.toThrow(/unbalanced/);
    await expectSoundLedger(t.ctx);
  });

  it('refuses postings whose balance or rank does not follow from their account, or whose account or entry does not exist', async () => {
    const funder = await createOrganisation(t.ctx, 'funder');
    await post(payment(funder.id, 1000));
    const bank = await t.ctx.db.selectFrom('ledger_accounts').select('id').where('kind', '=', 'bank').executeTakeFirstOrThrow();
    const funderAccount = await t.ctx.db.selectFrom('ledger_accounts').select('id').where('kind', '=', 'funder_balance').executeTakeFirstOrThrow();
    // A balanced entry written by hand, with each posting's balance after and rank given (or not) by the test.
    const attempt = (lines: { account: string; amount: number; balanceAfter: number; rank: number }[], entrySeq?: number) =>
      t.ctx.db.transaction().execute(async (trx) => {
        const seq =
          entrySeq ??
          (await sql<{ seq: number }>`insert into journal_entries (journal, kind, label, booked_on, piece_ref, created_at) values ('OD', 'x', 'x', '2026-11-02', 'x', now()) returning seq`.execute(trx))
            .rows[0]!.seq;
        for (const [i, line] of lines.entries()) {
          await trx
            .insertInto('postings')
            .values({ entry_seq: seq, line: i + 1, account_id: line.account, amount_cents: line.amount, balance_after_cents: line.balanceAfter, account_line: line.rank })
            .execute();
        }
      });
    // Right: bank 1000 → 1200 (its second posting), funder −1000 → −1200.
    const right = [
      { account: bank.id, amount: 200, balanceAfter: 1200, rank: 2 },
      { account: funderAccount.id, amount: -200, balanceAfter: -1200, rank: 2 },
    ];
    await expect(attempt([{ ...right[0]!, balanceAfter: 1300 }, right[1]!])).rejects.toThrow(/do not follow/);
    await expect(attempt([{ ...right[0]!, rank: 5 }, right[1]!])).rejects.toThrow(/do not follow/);
    await expect(attempt([{ ...right[0]!, account: '00000000-0000-8000-8000-000000000000' }, right[1]!])).rejects.toThrow(/unknown ledger account/);
    await expect(attempt(right, 999_999)).rejects.toThrow(/unknown journal entry/);
    await expect(sql`delete from ledger_accounts where id = ${bank.id}`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
    await attempt(right);
    const accounts = await t.ctx.db.selectFrom('ledger_accounts').select(['kind', 'balance_cents', 'postings_count']).orderBy('kind').execute();
    expect(accounts).toEqual([
      { kind: 'bank', balance_cents: 1200, postings_count: 2 },
      { kind: 'funder_balance', balance_cents: -1200, postings_count: 2 },
    ]);
    await expectSoundLedger(t.ctx);
  });

  it('refuses any change to entries, postings and seals, and sees tampering behind its back', async () => {
    const funder = await createOrganisation(t.ctx, 'funder');
    for (const cents of [1000, 2000]) await post(payment(funder.id, cents));
    await expectSoundLedger(t.ctx);
    await expect(sql`update journal_entries set label = 'autre'`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from postings`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_seals`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`update ledger_head set last_seq = 0`.execute(t.ctx.db)).rejects.toThrow(/forward/);
    // Someone with the power to disable triggers rewrites an amount, keeping the entry balanced: the chain shows it.
    const first = await t.ctx.db.selectFrom('journal_entries').select('seq').orderBy('seq').executeTakeFirstOrThrow();
    await sql`alter table postings disable trigger postings_append_only`.execute(t.ctx.db);
    await sql`update postings set amount_cents = amount_cents / 10 * 9 where entry_seq = ${first.seq}`.execute(t.ctx.db);
    const check = await verifyLedger(t.ctx.db, t.ctx.clock.now());
    expect(check.problems).toContainEqual({ seq: first.seq, problem: 'hash' });
    expect(check.problems.some((p) => p.problem === 'balance_after')).toBe(true);
  });

  it('lets concurrent transactions post without waiting on a global number, and still verifies', async () => {
    const funders = await Promise.all(Array.from({ length: 4 }, () => createOrganisation(t.ctx, 'funder')));
    await Promise.all(Array.from({ length: 40 }, (_, i) => post(payment(funders[i % 4]!.id, 100 + i))));
    const check = await expectSoundLedger(t.ctx);
    expect(check).toMatchObject({ entries: 40, postings: 80, sealed: 40 });
  });
});
