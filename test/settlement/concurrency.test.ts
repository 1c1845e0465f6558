import { expectSoundLedger } from '../support/ledger.js';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import { markPayoutRejected, markPayoutSettled, markBatchSent } from '../../src/domains/settlement/payout-lifecycle.js';
import { settleMonth } from '../../src/domains/settlement/settle-month.js';
import { TestClock, TestMailbox, onPostgres, openTestDatabase, testConfig } from '../support/context.js';
import { IBANS, at, createPaidProvider, createPurse, scan } from './fixtures.js';

let clock: TestClock;
let ctx: AppContext;
let url: string | undefined;
let drop: () => Promise<void>;
const clients: Database[] = [];

beforeEach(async () => {
  const test = await openTestDatabase();
  url = test.url;
  drop = test.drop;
  clock = new TestClock();
  ctx = { db: test.database.db, clock, mailer: new TestMailbox(), config: testConfig(), log: { error: () => undefined } };
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await drop();
});

/**
 * Contexts for `count` concurrent callers: on PostgreSQL each has its own connection pool (real
 * parallel clients, as several servers or a server and the command line would be); PGlite has one
 * connection, so its callers queue on it.
 */
async function callers(count: number): Promise<AppContext[]> {
  if (!onPostgres) return Array.from({ length: count }, () => ctx);
  const contexts: AppContext[] = [];
  for (let i = 0; i < count; i++) {
    const client = await openDatabase({ kind: 'postgres', url: url!, poolSize: 1 });
    clients.push(client);
    contexts.push({ ...ctx, db: client.db });
  }
  return contexts;
}

async function monthOfScans() {
  const purse = await createPurse(ctx);
  const providers = [
    await createPaidProvider(ctx, 'Atelier', 'bordeaux', { iban: IBANS[0], bic: null }),
    await createPaidProvider(ctx, 'Brioche', 'paris', { iban: IBANS[1], bic: null }),
    await createPaidProvider(ctx, 'Cyber', 'reunion', { iban: IBANS[2], bic: 'COBADEFFXXX' }),
  ];
  at(clock, '2026-03-16T10:00:00Z');
  for (const [i, provider] of providers.entries()) {
    for (let n = 0; n <= i; n++) await scan(ctx, provider, provider.home, await purse.take(n + 1));
  }
  return providers;
}

describe('concurrent settlements', () => {
  it('pay each redemption once: six callers at the same time, one settlement', async () => {
    await monthOfScans();
    at(clock, '2026-04-07T08:00:00Z');
    const contexts = await callers(6);
    const results = await Promise.all(contexts.map((c) => settleMonth(c, SYSTEM_ACTOR, { month: '2026-03' })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.settlement.id)).size).toBe(1);
    const { rows } = await sql<{ settlements: number; payouts: number; lines: number; distinct_lines: number; redemptions: number; batches: number; payout_entries: number }>`
      select (select count(*) from settlements)::int8 as settlements, (select count(*) from payouts)::int8 as payouts,
             (select count(*) from payout_lines)::int8 as lines, (select count(distinct redemption_id) from payout_lines)::int8 as distinct_lines,
             (select count(*) from redemptions)::int8 as redemptions, (select count(*) from payout_batches)::int8 as batches,
             (select count(*) from journal_entries where kind = 'payout')::int8 as payout_entries`.execute(ctx.db);
    expect(rows[0]).toEqual({ settlements: 1, payouts: 3, lines: 6, distinct_lines: 6, redemptions: 6, batches: 1, payout_entries: 3 });
    await expectSoundLedger(ctx);
  });

  it('let two months be settled at the same time without paying a redemption twice', async () => {
    const providers = await monthOfScans();
    const purse = await createPurse(ctx);
    const codes = await purse.take(2);
    at(clock, '2026-04-20T10:00:00Z');
    await scan(ctx, providers[0]!, 'bordeaux', codes.slice(0, 1));
    // A late scan of March, recorded after March's grace day: April pays it.
    await scan(ctx, providers[1]!, 'paris', codes.slice(1), '2026-03-31');
    at(clock, '2026-05-07T08:00:00Z');
    const contexts = await callers(6);
    const months = ['2026-03', '2026-04', '2026-03', '2026-04', '2026-03', '2026-04'];
    const results = await Promise.all(contexts.map((c, i) => settleMonth(c, SYSTEM_ACTOR, { month: months[i]! })));
    expect(results.filter((r) => r.created)).toHaveLength(2);
    const { rows } = await sql<{ lines: number; distinct_lines: number; redemptions: number }>`
      select (select count(*) from payout_lines)::int8 as lines, (select count(distinct redemption_id) from payout_lines)::int8 as distinct_lines,
             (select count(*) from redemptions)::int8 as redemptions`.execute(ctx.db);
    expect(rows[0]).toEqual({ lines: 8, distinct_lines: 8, redemptions: 8 });
    // Statement numbers stay gapless whatever the order the two runs took.
    const numbers = await ctx.db.selectFrom('payouts').select('statement_number').orderBy('statement_number').execute();
    expect(numbers.map((n) => n.statement_number)).toEqual(numbers.map((_, i) => `R-2026-${String(i + 1).padStart(6, '0')}`));
    await expectSoundLedger(ctx);
  });

  it('let one of two concurrent answers of the bank win on a payout', async () => {
    await monthOfScans();
    at(clock, '2026-04-07T08:00:00Z');
    const { settlement } = await settleMonth(ctx, SYSTEM_ACTOR, { month: '2026-03' });
    await markBatchSent(ctx, SYSTEM_ACTOR, { batchId: settlement.batches[0]!.id });
    const payout = await ctx.db.selectFrom('payouts').select('id').orderBy('statement_number').executeTakeFirstOrThrow();
    const [a, b] = await callers(2);
    const outcomes = await Promise.allSettled([
      markPayoutSettled(a!, SYSTEM_ACTOR, { payoutId: payout.id }),
      markPayoutRejected(b!, SYSTEM_ACTOR, { payoutId: payout.id, reason: 'compte clos' }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'payout_status_conflict' });
    const entries = await ctx.db.selectFrom('journal_entries').select('kind').where('kind', 'in', ['payout_settled', 'payout_rejected']).execute();
    expect(entries).toHaveLength(1);
    await expectSoundLedger(ctx);
  });
});
