import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoTimeline } from '../../src/cli/demo-money.js';
import { isDatabaseEmpty, loadDemoWorld, type DemoWorld } from '../../src/cli/demo-world.js';
import { loadFunderInvoice } from '../../src/domains/settlement/funder-invoices.js';
import { listSettlements } from '../../src/domains/settlement/settlement-views.js';
import { nextTransfer } from '../../src/domains/settlement/statements.js';
import { checkVoucherForHolder } from '../../src/domains/vouchers/check-vouchers.js';
import { JOB_HANDLERS, recurringWork } from '../../src/jobs/handlers.js';
import { startJobWorker } from '../../src/jobs/worker.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { expectSoundLedger } from '../support/ledger.js';
import { setClock } from '../support/voucher-fixtures.js';

/**
 * The demo world (`npm start` on an empty embedded database, `npx passnum demo`): its past holds
 * two settled months, made by the real settlement, the older one paid; its present, vouchers in
 * every state. Loaded at two moments: after the grace day of the month (the two months before
 * this one are settled) and before it, at the turn of a year (the month before stays open).
 */

describe('the timeline of the demo', () => {
  it('settles the two latest months that can be, an hour ago', () => {
    expect(demoTimeline(new Date('2026-11-22T15:00:00Z'), 5)).toMatchObject({ settled: ['2026-09', '2026-10'], open: [], start: new Date('2026-09-01T06:00:00Z') });
    // The grace day of November is not over on 3 December: November stays open.
    expect(demoTimeline(new Date('2026-12-03T10:00:00Z'), 5)).toMatchObject({ settled: ['2026-09', '2026-10'], open: ['2026-11'] });
    // A few minutes after the grace day ends, the month is not taken yet (an hour of margin).
    expect(demoTimeline(new Date('2026-12-05T23:30:00Z'), 5)).toMatchObject({ settled: ['2026-09', '2026-10'], open: ['2026-11'] });
    expect(demoTimeline(new Date('2026-12-06T01:00:00Z'), 5)).toMatchObject({ settled: ['2026-10', '2026-11'], open: [] });
    expect(demoTimeline(new Date('2027-01-03T12:00:00Z'), 5)).toMatchObject({ settled: ['2026-10', '2026-11'], open: ['2026-12'], start: new Date('2026-10-01T06:00:00Z') });
  });
});

interface Loaded {
  t: TestContext;
  world: DemoWorld;
  dataDir: string;
  providerId: string;
  funderId: string;
}

async function load(now: string): Promise<Loaded> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'passnum-demo-'));
  const t = await createTestContext({ dataDir });
  setClock(t.clock, now);
  expect(await isDatabaseEmpty(t.ctx)).toBe(true);
  const world = await loadDemoWorld(t.ctx);
  const provider = await t.ctx.db
    .selectFrom('users')
    .innerJoin('memberships', 'memberships.user_id', 'users.id')
    .select('memberships.organisation_id')
    .where('users.email', '=', 'lieu@demo.passnum.fr')
    .executeTakeFirstOrThrow();
  const funder = await t.ctx.db.selectFrom('organisations').select('id').where('kind', '=', 'funder').executeTakeFirstOrThrow();
  return { t, world, dataDir, providerId: provider.organisation_id, funderId: funder.id };
}

async function close(loaded: Loaded | undefined) {
  if (!loaded) return;
  await loaded.t.close();
  await rm(loaded.dataDir, { recursive: true, force: true });
}

async function payoutsOf(loaded: Loaded) {
  return loaded.t.ctx.db
    .selectFrom('payouts')
    .innerJoin('settlements', 'settlements.id', 'payouts.settlement_id')
    .select(['settlements.month', 'payouts.status', 'payouts.statement_number', 'payouts.gross_cents', 'payouts.subscription_cents', 'payouts.net_cents', 'payouts.provider_id'])
    .orderBy('settlements.month')
    .execute();
}

/** Every voucher of demo-cheques.txt is in the state the file gives. */
async function expectVouchersAsListed(loaded: Loaded) {
  const text = await readFile(loaded.world.vouchersFile, 'utf8');
  const listed = [...text.matchAll(/^(\S{4}-\S{4}-\S{4}-\S{5})\s+(\S+)/gmu)].map((m) => ({ code: m[1]!, state: m[2]! }));
  expect(listed.map((v) => v.state).sort()).toEqual(['cancelled', 'expired', 'not_active', 'not_yet_valid', 'outside_territory', 'usable', 'usable', 'used']);
  for (const voucher of listed) {
    const check = await checkVoucherForHolder(loaded.t.ctx, voucher.code);
    expect(check.state, voucher.code).toBe(voucher.state === 'outside_territory' ? 'usable' : voucher.state);
  }
}

describe('after the grace day of the month', () => {
  let loaded: Loaded;
  beforeAll(async () => {
    loaded = await load('2026-11-22T15:00:00Z');
  }, 120_000);
  afterAll(() => close(loaded));

  it('holds two settled months: the older one paid, the newer one in its SEPA file', async () => {
    const { t, world } = loaded;
    expect(world.settledMonths).toEqual(['2026-09', '2026-10']);
    const settlements = await listSettlements(t.ctx.db);
    expect(settlements.map((s) => [s.month, s.status, s.redemptions])).toEqual([
      ['2026-10', 'done', 5],
      // Five services of September, and one of its last day scanned on 2 October.
      ['2026-09', 'done', 6],
    ]);
    const [october, september] = settlements;
    expect(september!.batches).toHaveLength(1);
    expect(september!.batches[0]!.toSend).toBe(0);
    expect(october!.batches[0]!.toSend).toBe(1);
    // Settled ten minutes after the grace day's end (6 October, 0:10 in Paris).
    expect(september!.startedAt).toEqual(new Date('2026-10-05T22:10:00Z'));

    const payouts = await payoutsOf(loaded);
    expect(payouts.every((p) => p.provider_id === loaded.providerId)).toBe(true);
    expect(payouts.map((p) => [p.month, p.status, p.statement_number])).toEqual([
      ['2026-09-01', 'settled', 'R-2026-000001'],
      ['2026-10-01', 'file_generated', 'R-2026-000002'],
    ]);
    // September: 10 + 10 + 10 (12,50 € less 2,50 € paid by the holder) + 10 + 10 + 10, first month free.
    expect(payouts[0]).toMatchObject({ gross_cents: 6000, subscription_cents: 0, net_cents: 6000 - 240 });
    // October: five services, less 4 % and October's subscription (7 € + VAT).
    expect(payouts[1]).toMatchObject({ gross_cents: 5000, subscription_cents: 840, net_cents: 5000 - 200 - 840 });

    const invoices = await t.ctx.db.selectFrom('funder_invoices').select(['month', 'number', 'amount_cents', 'funder_id']).orderBy('month').execute();
    expect(invoices.map((i) => [i.month, i.number, i.amount_cents, i.funder_id])).toEqual([
      ['2026-09-01', 'FU-2026-000001', 6000, loaded.funderId],
      ['2026-10-01', 'FU-2026-000002', 5000, loaded.funderId],
    ]);
    const paid = await t.ctx.db.selectFrom('audit_events').select('subject_id').where('action', '=', 'funder_invoice.paid').execute();
    expect(paid).toHaveLength(1);
  });

  it('gives the funder a billing address, which its invoices carry', async () => {
    const invoice = await loaded.t.ctx.db.selectFrom('funder_invoices').select('id').orderBy('month').executeTakeFirstOrThrow();
    const document = await loadFunderInvoice(loaded.t.ctx, invoice.id, loaded.funderId);
    expect(document.funder.billing).toEqual({ address: 'Hôtel du Département, 1 esplanade Charles-de-Gaulle', postcode: '33074', commune: 'Bordeaux Cedex', siret: '22330099700010' });
  });

  it('shows the provider a next transfer: today’s scans, paid with November', async () => {
    const next = await nextTransfer(loaded.t.ctx, loaded.providerId, loaded.t.ctx.clock.now());
    expect(next).toMatchObject({ month: '2026-11-01', expectedOn: '2026-12-10', redemptions: 3 });
    expect(next.netCents).toBeGreaterThan(0);
  });

  it('keeps the vouchers of demo-cheques.txt in the states it gives, and the books right', async () => {
    await expectVouchersAsListed(loaded);
    await expectSoundLedger(loaded.t.ctx);
    // The past comes before the present: ledger entries in number order are in time order.
    const { rows } = await sql<{ disorder: number }>`
      select count(*)::int8 as disorder from (
        select created_at < lag(created_at) over (order by seq) as back from journal_entries
      ) e where back`.execute(loaded.t.ctx.db);
    expect(rows[0]!.disorder).toBe(0);
  });

  it('lets the worker run on it: nothing settled again, the ledger sealed', async () => {
    const worker = startJobWorker(loaded.t.ctx, { handlers: JOB_HANDLERS, everyRound: recurringWork, pollMs: 3_600_000 });
    try {
      await worker.tick();
    } finally {
      await worker.stop();
    }
    expect(await loaded.t.ctx.db.selectFrom('settlements').select('month').execute()).toHaveLength(2);
    await expectSoundLedger(loaded.t.ctx);
  });
});

describe('before the grace day, at the turn of a year', () => {
  let loaded: Loaded;
  beforeAll(async () => {
    loaded = await load('2027-01-03T12:00:00Z');
  }, 120_000);
  afterAll(() => close(loaded));

  it('settles October and November, and leaves December’s scans waiting for their settlement', async () => {
    expect(loaded.world.settledMonths).toEqual(['2026-10', '2026-11']);
    const payouts = await payoutsOf(loaded);
    expect(payouts.map((p) => [p.month, p.status, p.statement_number])).toEqual([
      ['2026-10-01', 'settled', 'R-2026-000001'],
      ['2026-11-01', 'file_generated', 'R-2026-000002'],
    ]);
    // December is not settled yet: the next transfer pays its two services, on 11 January (the 10th is a Sunday).
    const next = await nextTransfer(loaded.t.ctx, loaded.providerId, loaded.t.ctx.clock.now());
    expect(next).toMatchObject({ month: '2026-12-01', expectedOn: '2027-01-11', redemptions: 2, grossCents: 2000 });
    expect(next.netCents).toBeGreaterThan(0);
    await expectVouchersAsListed(loaded);
    await expectSoundLedger(loaded.t.ctx);
  });
});
