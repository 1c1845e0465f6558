import { expectSoundLedger } from '../support/ledger.js';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { markBatchSent, markPayoutRejected, markPayoutSettled } from '../../src/domains/settlement/payout-lifecycle.js';
import { listSettlements } from '../../src/domains/settlement/settlement-views.js';
import { allocateBooklets, handOutBooklet } from '../../src/domains/vouchers/distribution.js';
import { issueOrder } from '../../src/domains/vouchers/issue-vouchers.js';
import { commitOrder, confirmOrder, saveDraftOrder } from '../../src/domains/vouchers/orders.js';
import { JOB_HANDLERS, recurringWork } from '../../src/jobs/handlers.js';
import { SETTLE_MONTH_JOB } from '../../src/jobs/settlement-job.js';
import { startJobWorker, type JobWorker } from '../../src/jobs/worker.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { activeBooklets, bookletsOf, createFunder, createOperator, orderInput } from '../support/voucher-fixtures.js';
import { IBANS, addPlace, at, createPaidProvider, scan, type PaidProvider } from './fixtures.js';

let t: TestContext;
let worker: JobWorker;
beforeEach(async () => {
  t = await createTestContext();
  worker = startJobWorker(t.ctx, { handlers: JOB_HANDLERS, everyRound: recurringWork, pollMs: 3_600_000 });
});
afterEach(async () => {
  await worker.stop();
  await t.close();
});

async function payoutOf(provider: PaidProvider, month: string) {
  return t.ctx.db
    .selectFrom('payouts')
    .innerJoin('settlements', 'settlements.id', 'payouts.settlement_id')
    .selectAll('payouts')
    .where('payouts.provider_id', '=', provider.provider.organisation.id)
    .where('settlements.month', '=', `${month}-01`)
    .executeTakeFirstOrThrow();
}

async function balanceOf(key: string): Promise<number> {
  const row = await t.ctx.db.selectFrom('ledger_accounts').select('balance_cents').where('key', '=', key).executeTakeFirst();
  return row?.balance_cents ?? 0;
}

/** The invariants of the money, checked after each step. */
async function checkInvariants() {
  await expectSoundLedger(t.ctx);
  // Conservation: every account's balance is the sum of its postings, and they all sum to zero.
  const { rows: sums } = await sql<{ total: number; accounts: number }>`
    select coalesce(sum(balance_cents), 0)::int8 as total,
           (select count(*) from ledger_accounts a where a.balance_cents <> (select coalesce(sum(p.amount_cents), 0) from postings p where p.account_id = a.id))::int8 as accounts
    from ledger_accounts`.execute(t.ctx.db);
  expect(sums[0]).toEqual({ total: 0, accounts: 0 });
  // For each order: issued = used + outstanding (nothing has expired yet).
  const { rows: orders } = await sql<{ key: string; issued: number; used: number }>`
    select 'vouchers_outstanding:' || o.id as key, (o.booklet_count * o.vouchers_per_booklet * o.face_value_cents)::int8 as issued,
           coalesce((select sum(v.face_value_cents) from vouchers v where v.order_id = o.id and v.redemption_id is not null), 0)::int8 as used
    from orders o where o.status = 'issued'`.execute(t.ctx.db);
  for (const order of orders) expect(await balanceOf(order.key)).toBe(-(order.issued - order.used));
  // Each payout equals its lines; net + fees + subscription = gross + carried in.
  const { rows: payouts } = await sql<{ bad: number }>`
    select count(*)::int8 as bad from payouts p
    where p.gross_cents <> (select coalesce(sum(gross_cents), 0) from payout_lines l where l.payout_id = p.id)
       or p.net_cents + p.platform_fee_cents + p.fund_fee_cents + p.subscription_cents <> p.gross_cents + p.carried_in_cents`.execute(t.ctx.db);
  expect(payouts[0]!.bad).toBe(0);
  // Every paid euro joins back to its vouchers, their orders and funders.
  const { rows: paid } = await sql<{ lines: number; vouchers: number }>`
    select (select coalesce(sum(gross_cents), 0) from payout_lines)::int8 as lines,
           (select coalesce(sum(v.face_value_cents), 0) from payout_lines l
              join vouchers v on v.redemption_id = l.redemption_id
              join orders o on o.id = v.order_id
              join organisations f on f.id = o.funder_id and f.kind = 'funder')::int8 as vouchers`.execute(t.ctx.db);
  expect(paid[0]!.lines).toBe(paid[0]!.vouchers);
}

describe('from an order to two months of payouts, with a frozen clock', () => {
  it('pays every place what its vouchers are worth, once, and keeps the books right', async () => {
    // March 2nd, 2026. A funder pays its order in advance, another is billed on use.
    const { actor: operator } = await createOperator(t.ctx);
    const city = await createFunder(t.ctx);
    const draft = await saveDraftOrder(t.ctx, city.funderActor, city.funder.id, orderInput({ fundingMode: 'prepaid', bookletCount: '2', vouchersPerBooklet: '10' }));
    await confirmOrder(t.ctx, city.funderActor, city.funder.id, draft.id);
    await commitOrder(t.ctx, operator, { orderId: draft.id, reference: 'VIR-2026-0042', by: { kind: 'operator' } });
    const prepaid = await issueOrder(t.ctx, operator, { orderId: draft.id });
    await allocateBooklets(t.ctx, city.funderActor, { funderId: city.funder.id, orderId: prepaid.id, distributorId: city.distributor.id, count: 2 });
    const cityCodes: string[] = [];
    for (const booklet of await bookletsOf(t.ctx, prepaid.id)) {
      await handOutBooklet(t.ctx, city.distributorActor, { distributorId: city.distributor.id, number: booklet.number });
      cityCodes.push(...booklet.codes);
    }
    const department = await createFunder(t.ctx);
    const billed = await activeBooklets(t.ctx, department, { bookletCount: '1', vouchersPerBooklet: '10', faceValue: '12,50' });
    const departmentCodes = billed.booklets.flatMap((b) => b.codes);

    const atelier = await createPaidProvider(t.ctx, 'Atelier', 'bordeaux', { iban: IBANS[0], bic: 'PSSTFRPP' });
    const brioche = await createPaidProvider(t.ctx, 'Brioche', 'paris', { iban: IBANS[1], bic: null });
    await addPlace(t.ctx, brioche, 'ajaccio');
    const cyber = await createPaidProvider(t.ctx, 'Cyber', 'reunion', null);
    await worker.tick();

    // March: scans at the counters; one late scan of March 31st on April 3rd.
    at(t.clock, '2026-03-09T10:00:00Z');
    await scan(t.ctx, atelier, 'bordeaux', cityCodes.splice(0, 2));
    await scan(t.ctx, brioche, 'paris', cityCodes.splice(0, 1));
    await scan(t.ctx, brioche, 'ajaccio', departmentCodes.splice(0, 2));
    at(t.clock, '2026-03-25T15:00:00Z');
    await scan(t.ctx, cyber, 'reunion', departmentCodes.splice(0, 1));
    await scan(t.ctx, atelier, 'bordeaux', [cityCodes.shift()!, departmentCodes.shift()!]);
    at(t.clock, '2026-04-03T08:00:00Z');
    await scan(t.ctx, brioche, 'paris', cityCodes.splice(0, 1), '2026-03-31');
    await scan(t.ctx, atelier, 'bordeaux', cityCodes.splice(0, 1));
    await worker.tick();
    expect(await t.ctx.db.selectFrom('settlements').select('month').where('month', '=', '2026-03-01').execute()).toEqual([]);

    // April 6th, 0:30 in Paris: the job settles March.
    at(t.clock, '2026-04-05T22:30:00Z');
    await worker.tick();
    const atelierMarch = await payoutOf(atelier, '2026-03');
    const briocheMarch = await payoutOf(brioche, '2026-03');
    const cyberMarch = await payoutOf(cyber, '2026-03');
    // Atelier: 2 × 10 € + (10 € + 12,50 €) = 42,50 €; fees 4 % per scan: 80 + 90 (40 + 50).
    expect(atelierMarch).toMatchObject({ gross_cents: 4250, platform_fee_cents: 60 + 67, fund_fee_cents: 20 + 23, net_cents: 4250 - 170, status: 'file_generated' });
    // Brioche: 10 € in Paris, 25 € in Ajaccio, and the late scan of March 31st: 10 €.
    expect(briocheMarch).toMatchObject({ gross_cents: 4500, net_cents: 4500 - 40 - 100 - 40, status: 'file_generated' });
    expect(cyberMarch).toMatchObject({ gross_cents: 1250, net_cents: 1200, status: 'pending' });
    await checkInvariants();

    // The operator sends the file; the bank pays Atelier and returns Brioche's transfer.
    at(t.clock, '2026-04-08T09:00:00Z');
    const [march] = await listSettlements(t.ctx.db);
    await markBatchSent(t.ctx, operator, { batchId: march!.batches[0]!.id });
    at(t.clock, '2026-04-10T16:00:00Z');
    await markPayoutSettled(t.ctx, operator, { payoutId: atelierMarch.id });
    await markPayoutRejected(t.ctx, operator, { payoutId: briocheMarch.id, reason: 'Compte clos' });
    await t.ctx.db.updateTable('providers').set({ iban: IBANS[2], bic: 'COBADEFFXXX' }).where('organisation_id', '=', brioche.provider.organisation.id).execute();
    await t.ctx.db.updateTable('providers').set({ iban: IBANS[0], account_holder: 'Association Cyber' }).where('organisation_id', '=', cyber.provider.organisation.id).execute();
    await checkInvariants();

    // April: Atelier scans once; Cyber scans a voucher of 12,50 €, not enough for its subscription.
    at(t.clock, '2026-04-21T10:00:00Z');
    await scan(t.ctx, cyber, 'reunion', departmentCodes.splice(0, 1));
    at(t.clock, '2026-05-02T10:00:00Z');
    await scan(t.ctx, atelier, 'bordeaux', cityCodes.splice(0, 1), '2026-04-30');
    at(t.clock, '2026-05-05T22:05:00Z');
    await worker.tick();

    // Atelier: April 3rd's scan and April 30th's (late, within the grace days), less April's subscription.
    const atelierApril = await payoutOf(atelier, '2026-04');
    expect(atelierApril).toMatchObject({ gross_cents: 2000, subscription_cents: 840, net_cents: 2000 - 80 - 840 });
    // Brioche: nothing scanned, its rejected March payout paid again once, less its subscription.
    const briocheApril = await payoutOf(brioche, '2026-04');
    expect(briocheApril).toMatchObject({ gross_cents: 0, carried_in_cents: briocheMarch.net_cents, retries_payout_id: briocheMarch.id, subscription_cents: 840, iban: IBANS[2] });
    // Cyber: 12,50 € less its fees covers 8,40 €: deducted; its March payout, waiting for an IBAN, joins the file.
    const cyberApril = await payoutOf(cyber, '2026-04');
    expect(cyberApril).toMatchObject({ gross_cents: 1250, subscription_cents: 840, net_cents: 1250 - 50 - 840 });
    const cyberMarchNow = await payoutOf(cyber, '2026-03');
    expect(cyberMarchNow.status).toBe('file_generated');
    const [april] = await listSettlements(t.ctx.db);
    expect(april).toMatchObject({ month: '2026-04', payouts: 3, batches: [{ transactions: 4 }] });
    expect(april!.batches[0]!.controlSumCents).toBe(atelierApril.net_cents + briocheApril.net_cents + cyberApril.net_cents + cyberMarch.net_cents);
    const invoices = await t.ctx.db.selectFrom('subscription_invoices').select(['number', 'period_start', 'paid_by_payout_id']).orderBy('number').execute();
    expect(invoices.map((i) => [i.number, i.period_start, i.paid_by_payout_id !== null])).toEqual([
      ['A-2026-000001', '2026-04-01', true],
      ['A-2026-000002', '2026-04-01', true],
      ['A-2026-000003', '2026-04-01', true],
    ]);
    await checkInvariants();

    // What the places were owed is now in transit or paid; the provider accounts are square.
    for (const provider of [atelier, brioche, cyber]) expect(await balanceOf(`provider_payable:${provider.provider.organisation.id}`)).toBe(0);
    expect(await balanceOf('bank')).toBe(2000 * 10 - atelierMarch.net_cents);
    // Three months settled by their jobs (each round also ran the day's expiry, a job of its own).
    const { rows } = await sql<{ n: number }>`select count(*)::int8 as n from jobs where status = 'done' and kind = ${SETTLE_MONTH_JOB}`.execute(t.ctx.db);
    expect(rows[0]!.n).toBe(3);
  });
});
