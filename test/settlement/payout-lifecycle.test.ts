import { expectSoundLedger } from '../support/ledger.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import { markBatchSent, markPayoutRejected, markPayoutSettled } from '../../src/domains/settlement/payout-lifecycle.js';
import { settleMonth } from '../../src/domains/settlement/settle-month.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createOperator } from '../support/voucher-fixtures.js';
import { IBANS, at, createPaidProvider, createPurse, scan, type PaidProvider, payoutOf } from './fixtures.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => t.close());

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

async function balance(kind: string) {
  const row = await t.ctx.db.selectFrom('ledger_accounts').select('balance_cents').where('kind', '=', kind).executeTakeFirst();
  return row?.balance_cents ?? 0;
}

/** March: Atelier scans 2 vouchers, Brioche 4, Cyber (no IBAN) 1; settled on April 7th. */
async function settledMarch() {
  const { actor } = await createOperator(t.ctx);
  const purse = await createPurse(t.ctx);
  const atelier = await createPaidProvider(t.ctx, 'Atelier', 'bordeaux', { iban: IBANS[0], bic: null });
  const brioche = await createPaidProvider(t.ctx, 'Brioche', 'paris', { iban: IBANS[1], bic: null });
  const cyber = await createPaidProvider(t.ctx, 'Cyber', 'reunion', null);
  at(t.clock, '2026-03-12T10:00:00Z');
  await scan(t.ctx, atelier, 'bordeaux', await purse.take(2));
  await scan(t.ctx, brioche, 'paris', await purse.take(3));
  await scan(t.ctx, brioche, 'paris', await purse.take(1));
  await scan(t.ctx, cyber, 'reunion', await purse.take(1));
  at(t.clock, '2026-04-07T08:00:00Z');
  const { settlement } = await settleMonth(t.ctx, actor, { month: '2026-03' });
  return { actor, purse, atelier, brioche, cyber, settlement };
}

describe('a payout after its file', () => {
  it('goes sent, then settled or rejected, each step once, with its entry and its audit event', async () => {
    const { actor, atelier, brioche, cyber, settlement } = await settledMarch();
    const batchId = settlement.batches[0]!.id;
    const a = (await payoutOf(t.ctx, atelier, '2026-03'))!;
    const b = (await payoutOf(t.ctx, brioche, '2026-03'))!;
    const c = (await payoutOf(t.ctx, cyber, '2026-03'))!;
    expect(await balance('payouts_in_transit')).toBe(-(a.net_cents + b.net_cents + c.net_cents));

    // Not sent yet: the bank cannot have answered.
    await expect(markPayoutSettled(t.ctx, actor, { payoutId: a.id })).rejects.toMatchObject({ code: 'payout_status_conflict' });
    await expect(markPayoutSettled(t.ctx, actor, { payoutId: UNKNOWN })).rejects.toMatchObject({ code: 'payout_unknown' });
    await expect(markBatchSent(t.ctx, actor, { batchId: UNKNOWN })).rejects.toMatchObject({ code: 'payout_batch_unknown' });

    at(t.clock, '2026-04-08T08:00:00Z');
    expect(await markBatchSent(t.ctx, actor, { batchId })).toEqual({ payouts: 2 });
    await expect(markBatchSent(t.ctx, actor, { batchId })).rejects.toMatchObject({ code: 'payout_status_conflict' });
    expect((await payoutOf(t.ctx, cyber, '2026-03'))!.status).toBe('pending');

    at(t.clock, '2026-04-10T15:00:00Z');
    await markPayoutSettled(t.ctx, actor, { payoutId: a.id });
    await expect(markPayoutSettled(t.ctx, actor, { payoutId: a.id })).rejects.toMatchObject({ code: 'payout_status_conflict' });
    await expect(markPayoutRejected(t.ctx, actor, { payoutId: b.id, reason: '   ' })).rejects.toMatchObject({ code: 'payout_rejection_reason_required', field: 'reason' });
    await expect(markPayoutRejected(t.ctx, actor, { payoutId: b.id, reason: 'x'.repeat(301) })).rejects.toMatchObject({ code: 'payout_rejection_reason_required' });
    await markPayoutRejected(t.ctx, actor, { payoutId: b.id, reason: ' Compte clos (AC04) ' });
    await expect(markPayoutSettled(t.ctx, actor, { payoutId: b.id })).rejects.toMatchObject({ code: 'payout_status_conflict' });

    expect(await payoutOf(t.ctx, atelier, '2026-03')).toMatchObject({ status: 'settled' });
    expect(await payoutOf(t.ctx, brioche, '2026-03')).toMatchObject({ status: 'rejected', rejected_reason: 'Compte clos (AC04)' });
    // The bank paid Atelier; Brioche's money is owed again; Cyber's waits for its IBAN.
    expect(await balance('bank')).toBe(-a.net_cents);
    expect(await balance('payouts_in_transit')).toBe(-c.net_cents);
    const audit = await t.ctx.db.selectFrom('audit_events').select(['action', 'subject_id']).where('action', 'in', ['payout_batch.sent', 'payout.settled', 'payout.rejected']).orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'payout_batch.sent', subject_id: batchId },
      { action: 'payout.settled', subject_id: a.id },
      { action: 'payout.rejected', subject_id: b.id },
    ]);
    await expectSoundLedger(t.ctx);
  });

  it('is paid again by the next settlement when rejected, exactly once', async () => {
    const { actor, atelier, brioche, cyber, settlement, purse } = await settledMarch();
    const codes = await purse.take(1);
    await markBatchSent(t.ctx, actor, { batchId: settlement.batches[0]!.id });
    const b = (await payoutOf(t.ctx, brioche, '2026-03'))!;
    await markPayoutRejected(t.ctx, actor, { payoutId: b.id, reason: 'IBAN inconnu' });
    // Brioche gives a new IBAN; Cyber gives one at last.
    await t.ctx.db.updateTable('providers').set({ iban: IBANS[2], bic: 'COBADEFFXXX' }).where('organisation_id', '=', brioche.provider.organisation.id).execute();
    await t.ctx.db.updateTable('providers').set({ iban: IBANS[0], account_holder: 'Cyber Réunion' }).where('organisation_id', '=', cyber.provider.organisation.id).execute();
    at(t.clock, '2026-04-20T10:00:00Z');
    await scan(t.ctx, atelier, 'bordeaux', codes);

    at(t.clock, '2026-05-06T08:00:00Z');
    const april = await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-04' });
    // Brioche scanned nothing in April: its payout is the rejected one, less April's subscription.
    const again = (await payoutOf(t.ctx, brioche, '2026-04'))!;
    expect(again).toMatchObject({ gross_cents: 0, platform_fee_cents: 0, carried_in_cents: b.net_cents, subscription_cents: 840, net_cents: b.net_cents - 840, retries_payout_id: b.id, iban: IBANS[2] });
    expect(again.net_cents + again.platform_fee_cents + again.fund_fee_cents + again.subscription_cents).toBe(again.gross_cents + again.carried_in_cents);
    expect(april.settlement.carriedInCents).toBe(b.net_cents);
    // Cyber's March payout, pending for want of an IBAN, joins April's file with the new payouts.
    const cyberMarch = (await payoutOf(t.ctx, cyber, '2026-03'))!;
    expect(cyberMarch).toMatchObject({ status: 'file_generated', iban: IBANS[0], batch_id: april.settlement.batches[0]!.id });
    expect(april.settlement.batches[0]!.transactions).toBe(3);
    const batch = await t.ctx.db.selectFrom('payout_batches').select(['xml', 'control_sum_cents']).where('id', '=', april.settlement.batches[0]!.id).executeTakeFirstOrThrow();
    const atelierApril = (await payoutOf(t.ctx, atelier, '2026-04'))!;
    expect(batch.control_sum_cents).toBe(again.net_cents + cyberMarch.net_cents + atelierApril.net_cents);
    expect(batch.xml).toContain(cyberMarch.end_to_end_id);

    // Rejected again: May carries April's payout (which included March's), never March's a second time.
    await markBatchSent(t.ctx, actor, { batchId: april.settlement.batches[0]!.id });
    await markPayoutRejected(t.ctx, actor, { payoutId: again.id, reason: 'Compte clos' });
    at(t.clock, '2026-06-06T08:00:00Z');
    await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-05' });
    const may = (await payoutOf(t.ctx, brioche, '2026-05'))!;
    expect(may).toMatchObject({ carried_in_cents: again.net_cents, retries_payout_id: again.id });
    at(t.clock, '2026-07-06T08:00:00Z');
    await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-06' });
    const retries = await t.ctx.db.selectFrom('payouts').select(['retries_payout_id']).where('retries_payout_id', 'is not', null).execute();
    expect(retries.map((r) => r.retries_payout_id).sort()).toEqual([b.id, again.id].sort());
    await expectSoundLedger(t.ctx);
  });
});
