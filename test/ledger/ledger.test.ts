import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postEntry, type NewEntry } from '../../src/domains/ledger/post-entry.js';
import { verifyLedger } from '../../src/domains/ledger/verify-ledger.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createOrganisation } from '../support/fixtures.js';

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

describe('the ledger', () => {
  it('numbers entries continuously, keeps balances and verifies its chain', async () => {
    const funder = await createOrganisation(t.ctx, 'funder');
    for (const cents of [1000, 250, 99]) await t.ctx.db.transaction().execute((trx) => postEntry(trx, payment(funder.id, cents), t.ctx.clock.now()));
    const check = await verifyLedger(t.ctx.db);
    expect(check).toEqual({ entries: 3, postings: 6, lastSeq: 3, problems: [] });
    const accounts = await t.ctx.db.selectFrom('ledger_accounts').select(['kind', 'balance_cents']).orderBy('kind').execute();
    expect(accounts).toEqual([
      { kind: 'bank', balance_cents: 1349 },
      { kind: 'funder_balance', balance_cents: -1349 },
    ]);
    const after = await t.ctx.db.selectFrom('postings').select('balance_after_cents').where('line', '=', 1).orderBy('entry_seq').execute();
    expect(after.map((p) => p.balance_after_cents)).toEqual([1000, 1250, 1349]);
  });

  it('refuses an unbalanced entry, in the code and in the database', async () => {
    const funder = await createOrganisation(t.ctx, 'funder');
    const entry = payment(funder.id, 1000);
    const unbalanced = { ...entry, lines: [entry.lines[0]!, { ...entry.lines[1]!, amountCents: -999 }] };
    await expect(t.ctx.db.transaction().execute((trx) => postEntry(trx, unbalanced, t.ctx.clock.now()))).rejects.toThrow(/unbalanced/);
    await t.ctx.db.transaction().execute((trx) => postEntry(trx, entry, t.ctx.clock.now()));
    // Bypassing the code: a posting added to an existing entry makes it unbalanced at commit.
    const account = await t.ctx.db.selectFrom('ledger_accounts').select('id').where('kind', '=', 'bank').executeTakeFirstOrThrow();
    await expect(
      t.ctx.db.transaction().execute(async (trx) => {
        await sql`insert into journal_entries (seq, journal, kind, label, booked_on, piece_ref, hash, created_at) values (2, 'OD', 'x', 'x', '2026-11-02', 'x', ${Buffer.alloc(32, 1)}, now())`.execute(trx);
        await trx.insertInto('postings').values({ entry_seq: 2, line: 1, account_id: account.id, amount_cents: 5 }).execute();
      }),
    ).rejects.toThrow(/unbalanced/);
    expect((await verifyLedger(t.ctx.db)).problems).toEqual([]);
  });

  it('refuses any change to entries and postings, and sees tampering behind its back', async () => {
    const funder = await createOrganisation(t.ctx, 'funder');
    for (const cents of [1000, 2000]) await t.ctx.db.transaction().execute((trx) => postEntry(trx, payment(funder.id, cents), t.ctx.clock.now()));
    await expect(sql`update journal_entries set label = 'autre' where seq = 1`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from postings where entry_seq = 1`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`update ledger_head set last_seq = 1`.execute(t.ctx.db)).rejects.toThrow(/forward/);
    // Someone with the power to disable triggers rewrites an amount: the chain shows it.
    await sql`alter table postings disable trigger postings_append_only`.execute(t.ctx.db);
    await sql`update postings set amount_cents = 900 where entry_seq = 1 and line = 1`.execute(t.ctx.db);
    await sql`update postings set amount_cents = -900 where entry_seq = 1 and line = 2`.execute(t.ctx.db);
    const check = await verifyLedger(t.ctx.db);
    expect(check.problems).toContainEqual({ seq: 1, problem: 'hash' });
  });

  it('chains entries written by concurrent transactions without a gap', async () => {
    const funders = await Promise.all(Array.from({ length: 4 }, () => createOrganisation(t.ctx, 'funder')));
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => t.ctx.db.transaction().execute((trx) => postEntry(trx, payment(funders[i % 4]!.id, 100 + i), t.ctx.clock.now()))),
    );
    const check = await verifyLedger(t.ctx.db);
    expect(check).toMatchObject({ entries: 40, lastSeq: 40, problems: [] });
  });
});
