import { expectSoundLedger } from '../support/ledger.js';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import { redemptionFees } from '../../src/domains/settlement/fees.js';
import { settleMonth } from '../../src/domains/settlement/settle-month.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createOperator } from '../support/voucher-fixtures.js';
import { IBANS, addPlace, at, createPaidProvider, createPurse, moneyRows, scan, xmlTag, type PaidProvider, type VoucherPurse, payoutOf } from './fixtures.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => t.close());

const RATES = { platformFeeBp: 300, fundFeeBp: 100 };

/**
 * March 2026: Atelier (Bordeaux, IBAN) scans 1, 2 and 1 vouchers of 10 € and one of 12,50 €;
 * Brioche (Paris and Ajaccio, IBAN) 1 + 1 in Paris and 3 in Ajaccio; Cyber (La Réunion, no IBAN) 1.
 * One late scan of March on April 3rd (within the grace days), one on April 6th (too late: April).
 */
async function march() {
  const operator = await createOperator(t.ctx);
  const tens = await createPurse(t.ctx);
  const odd = await createPurse(t.ctx, { faceValue: '12,50' });
  const atelier = await createPaidProvider(t.ctx, 'Atelier numérique', 'bordeaux', { iban: IBANS[0], bic: 'PSSTFRPP' });
  const brioche = await createPaidProvider(t.ctx, 'Brioche connectée', 'paris', { iban: IBANS[1], bic: null });
  await addPlace(t.ctx, brioche, 'ajaccio');
  const cyber = await createPaidProvider(t.ctx, 'Cyber Réunion', 'reunion', null);

  at(t.clock, '2026-03-10T10:00:00Z');
  await scan(t.ctx, atelier, 'bordeaux', await tens.take(1));
  await scan(t.ctx, atelier, 'bordeaux', await tens.take(2));
  await scan(t.ctx, brioche, 'paris', await tens.take(1));
  at(t.clock, '2026-03-20T10:00:00Z');
  await scan(t.ctx, atelier, 'bordeaux', await odd.take(1));
  await scan(t.ctx, brioche, 'ajaccio', await tens.take(3));
  await scan(t.ctx, cyber, 'reunion', await tens.take(1));
  at(t.clock, '2026-04-03T08:00:00Z');
  await scan(t.ctx, atelier, 'bordeaux', await tens.take(1), '2026-03-31');
  await scan(t.ctx, brioche, 'paris', await tens.take(1), '2026-04-02');
  at(t.clock, '2026-04-06T07:00:00Z');
  await scan(t.ctx, brioche, 'paris', await tens.take(1), '2026-03-30');
  return { operator, tens, odd, atelier, brioche, cyber };
}

async function linesOf(payoutId: string) {
  return t.ctx.db.selectFrom('payout_lines').selectAll().where('payout_id', '=', payoutId).execute();
}

describe('settling a month', () => {
  it('refuses a malformed month and a month whose grace day is not over', async () => {
    await expect(settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-13' })).rejects.toMatchObject({ code: 'settlement_month_invalid', field: 'month' });
    await expect(settleMonth(t.ctx, SYSTEM_ACTOR, { month: 'mars' })).rejects.toMatchObject({ code: 'settlement_month_invalid' });
    // Grace day 5: March closes at the end of April 5th, Paris time (22:00 UTC in summer time).
    at(t.clock, '2026-04-05T21:59:59.999Z');
    await expect(settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-03' })).rejects.toMatchObject({ code: 'settlement_month_not_over' });
    await expect(settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-04' })).rejects.toMatchObject({ code: 'settlement_month_not_over' });
    expect(await moneyRows(t.ctx)).toMatchObject({ settlements: 0 });
    at(t.clock, '2026-04-05T22:00:00Z');
    const { created, settlement } = await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-03' });
    expect(created).toBe(true);
    expect(settlement).toMatchObject({ month: '2026-03', status: 'done', redemptions: 0, payouts: 0, batches: [] });
    expect(settlement.scansUntil.toISOString()).toBe('2026-04-05T22:00:00.000Z');
  });

  it('pays every provider its month to the cent, with the fees of each territory, and writes the SEPA batch', async () => {
    const { atelier, brioche, cyber, operator } = await march();
    at(t.clock, '2026-04-07T08:00:00Z');
    const steps: string[] = [];
    const { created, settlement } = await settleMonth(t.ctx, operator.actor, {
      month: '2026-03',
      onProgress: (_done, _total, stage) => {
        if (steps.at(-1) !== stage) steps.push(stage);
      },
    });
    expect(created).toBe(true);
    expect(steps).toEqual(['collect', 'integrity', 'subscriptions', 'payouts', 'ledger', 'bank_file', 'done']);

    // Atelier: 10 + 20 + 12,50 + 10 (late scan of March 31st within the grace days).
    const a = (await payoutOf(t.ctx, atelier, '2026-03'))!;
    const feesOf = (cents: number) => redemptionFees(cents, RATES);
    expect(feesOf(1250)).toEqual({ totalFeeCents: 50, platformFeeCents: 37, fundFeeCents: 13 });
    expect(a).toMatchObject({
      gross_cents: 5250,
      platform_fee_cents: 30 + 60 + 37 + 30,
      fund_fee_cents: 10 + 20 + 13 + 10,
      subscription_cents: 0,
      carried_in_cents: 0,
      net_cents: 5250 - 157 - 53,
      iban: IBANS[0],
      bic: 'PSSTFRPP',
      account_holder: 'Atelier numérique',
      status: 'file_generated',
    });
    // Brioche: 10 in Paris, 30 in Ajaccio; the scan of April 2nd and the one of March 30th recorded
    // on April 6th (after the grace day) wait for April.
    const b = (await payoutOf(t.ctx, brioche, '2026-03'))!;
    expect(b).toMatchObject({ gross_cents: 4000, platform_fee_cents: 120, fund_fee_cents: 40, net_cents: 3840, status: 'file_generated' });
    const c = (await payoutOf(t.ctx, cyber, '2026-03'))!;
    expect(c).toMatchObject({ gross_cents: 1000, net_cents: 960, iban: null, status: 'pending', batch_id: null });

    // Statements numbered without gaps in the order of the providers' names; references ≤ 35 characters.
    expect([a.statement_number, b.statement_number, c.statement_number]).toEqual(['R-2026-000001', 'R-2026-000002', 'R-2026-000003']);
    for (const p of [a, b, c]) expect(p.end_to_end_id.length).toBeLessThanOrEqual(35);

    // Each payout is the sum of its lines, each line the fees of its redemption.
    for (const payout of [a, b, c]) {
      const lines = await linesOf(payout.id);
      expect(lines.reduce((s, l) => s + l.gross_cents, 0)).toBe(payout.gross_cents);
      expect(lines.reduce((s, l) => s + l.platform_fee_cents, 0)).toBe(payout.platform_fee_cents);
      expect(lines.reduce((s, l) => s + l.fund_fee_cents, 0)).toBe(payout.fund_fee_cents);
      for (const line of lines) {
        const fees = feesOf(line.gross_cents);
        expect([line.platform_fee_cents, line.fund_fee_cents]).toEqual([fees.platformFeeCents, fees.fundFeeCents]);
      }
      expect(payout.net_cents + payout.platform_fee_cents + payout.fund_fee_cents + payout.subscription_cents).toBe(payout.gross_cents + payout.carried_in_cents);
    }
    const territories = await t.ctx.db
      .selectFrom('payout_lines')
      .select(['territory', (eb) => eb.fn.sum<number>('fund_fee_cents').as('fund')])
      .groupBy('territory')
      .orderBy('territory')
      .execute();
    expect(territories.map((r) => [r.territory, Number(r.fund)])).toEqual([
      ['2A', 30],
      ['33', 53],
      ['75', 10],
      ['974', 10],
    ]);

    // The settlement row: rates and totals.
    expect(settlement).toMatchObject({
      redemptions: 7,
      grossCents: 10250,
      platformFeeCents: 157 + 120 + 30,
      fundFeeCents: 53 + 40 + 10,
      subscriptionCents: 0,
      netCents: a.net_cents + b.net_cents + c.net_cents,
      rates: { platformFeeBp: 300, fundFeeBp: 100, subscriptionMonthlyCents: 700, subscriptionYearlyCents: 7700, vatBp: 2000 },
      payouts: 3,
      payoutsByStatus: { file_generated: 2, pending: 1 },
    });
    expect(settlement.netCents + settlement.platformFeeCents + settlement.fundFeeCents + settlement.subscriptionCents).toBe(settlement.grossCents + settlement.carriedInCents);

    // The batch: the two payouts with an IBAN; its totals are the database's.
    const batch = await t.ctx.db.selectFrom('payout_batches').selectAll().executeTakeFirstOrThrow();
    expect(batch).toMatchObject({ transactions: 2, control_sum_cents: a.net_cents + b.net_cents, requested_on: '2026-04-10', file_name: 'virements-2026-03.xml' });
    expect(xmlTag(batch.xml, 'NbOfTxs')).toBe('2');
    expect(xmlTag(batch.xml, 'CtrlSum')).toBe(((a.net_cents + b.net_cents) / 100).toFixed(2));
    expect(batch.xml).toContain(a.end_to_end_id);
    expect(batch.xml).not.toContain(c.end_to_end_id);
    expect([a.batch_id, b.batch_id]).toEqual([batch.id, batch.id]);

    // Subscriptions start at the first scan; March is free.
    const subscriptions = await t.ctx.db.selectFrom('provider_subscriptions').select(['provider_id', 'plan', 'started_on']).execute();
    expect(subscriptions).toHaveLength(3);
    expect(subscriptions.find((s) => s.provider_id === atelier.provider.organisation.id)).toMatchObject({ plan: 'monthly', started_on: '2026-03-10' });
    expect(await t.ctx.db.selectFrom('subscription_invoices').selectAll().execute()).toEqual([]);

    // The ledger: one entry per payout, the fund by département, and the chain verifies.
    const entries = await t.ctx.db.selectFrom('journal_entries').select(['kind', 'piece_ref']).where('kind', '=', 'payout').orderBy('seq').execute();
    expect(entries.map((e) => e.piece_ref)).toEqual(['R-2026-000001', 'R-2026-000002', 'R-2026-000003']);
    const funds = await t.ctx.db.selectFrom('ledger_accounts').select(['territory', 'balance_cents']).where('kind', '=', 'territorial_fund').orderBy('territory').execute();
    expect(funds).toEqual([
      { territory: '2A', balance_cents: -30 },
      { territory: '33', balance_cents: -53 },
      { territory: '75', balance_cents: -10 },
      { territory: '974', balance_cents: -10 },
    ]);
    const transit = await t.ctx.db.selectFrom('ledger_accounts').select('balance_cents').where('kind', '=', 'payouts_in_transit').executeTakeFirstOrThrow();
    expect(transit.balance_cents).toBe(-settlement.netCents);
    await expectSoundLedger(t.ctx);

    // The audit journal records who ran it.
    const audit = await t.ctx.db.selectFrom('audit_events').select(['action', 'actor_user_id']).where('action', '=', 'settlement.completed').execute();
    expect(audit).toEqual([{ action: 'settlement.completed', actor_user_id: operator.admin.id }]);
  });

  it('is a no-op the second time: same settlement, no new row, no new entry', async () => {
    await march();
    at(t.clock, '2026-04-07T08:00:00Z');
    const first = await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-03' });
    const before = await moneyRows(t.ctx);
    const payouts = await t.ctx.db.selectFrom('payouts').select(['id', 'net_cents', 'status']).orderBy('id').execute();
    at(t.clock, '2026-04-08T08:00:00Z');
    const second = await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-03' });
    expect(second.created).toBe(false);
    expect(second.settlement).toEqual(first.settlement);
    expect(await moneyRows(t.ctx)).toEqual(before);
    expect(await t.ctx.db.selectFrom('payouts').select(['id', 'net_cents', 'status']).orderBy('id').execute()).toEqual(payouts);
  });

  it('pays late scans with the next month, each redemption exactly once', async () => {
    const { brioche, cyber } = await march();
    at(t.clock, '2026-04-07T08:00:00Z');
    await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-03' });
    at(t.clock, '2026-05-06T08:00:00Z');
    const april = await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-04' });
    // Brioche: the scan of April 2nd, and the March 30th service scanned too late for March.
    const b = (await payoutOf(t.ctx, brioche, '2026-04'))!;
    expect(b).toMatchObject({ gross_cents: 2000, platform_fee_cents: 60, fund_fee_cents: 20 });
    const lines = await t.ctx.db
      .selectFrom('payout_lines')
      .innerJoin('redemptions', 'redemptions.id', 'payout_lines.redemption_id')
      .select('redemptions.service_date')
      .where('payout_id', '=', b.id)
      .orderBy('redemptions.service_date')
      .execute();
    expect(lines.map((l) => l.service_date)).toEqual(['2026-03-30', '2026-04-02']);
    // Cyber had no scan in April: no payout.
    expect(await payoutOf(t.ctx, cyber, '2026-04')).toBeUndefined();
    expect(april.settlement.redemptions).toBe(2);
    const { rows } = await sql<{ redemptions: number; paid: number; distinct_paid: number }>`
      select (select count(*) from redemptions)::int8 as redemptions, (select count(*) from payout_lines)::int8 as paid,
             (select count(distinct redemption_id) from payout_lines)::int8 as distinct_paid`.execute(t.ctx.db);
    expect(rows[0]).toEqual({ redemptions: 9, paid: 9, distinct_paid: 9 });
    await expectSoundLedger(t.ctx);
  });

  it('pays next month a scan recorded before the grace day ended but committed after the settlement read the table', async () => {
    const { atelier, tens } = await march();
    const codes = await tens.take(1);
    at(t.clock, '2026-04-06T08:00:00Z');
    await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-03' });
    // A scan whose transaction began on April 5th at 23:59 (Paris) and committed after March was
    // settled: its created_at is before March's closing instant, yet March did not see it.
    at(t.clock, '2026-04-05T21:59:00Z');
    const late = await scan(t.ctx, atelier, 'bordeaux', codes, '2026-03-31');
    at(t.clock, '2026-05-06T08:00:00Z');
    await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-04' });
    const line = await t.ctx.db.selectFrom('payout_lines').innerJoin('payouts', 'payouts.id', 'payout_lines.payout_id').innerJoin('settlements', 'settlements.id', 'payouts.settlement_id').select('settlements.month').where('payout_lines.redemption_id', '=', late.id).execute();
    expect(line).toEqual([{ month: '2026-04-01' }]);
  });

  it('charges the subscription from the second month, deducts it, and carries it over when the payout is too small', async () => {
    const { atelier, cyber, tens } = await march();
    at(t.clock, '2026-04-07T08:00:00Z');
    await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-03' });
    const small = await createPurse(t.ctx, { faceValue: '5' });
    at(t.clock, '2026-04-15T08:00:00Z');
    await scan(t.ctx, atelier, 'bordeaux', await tens.take(1));
    await scan(t.ctx, cyber, 'reunion', await small.take(1));
    at(t.clock, '2026-05-06T08:00:00Z');
    await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-04' });

    const invoices = await t.ctx.db.selectFrom('subscription_invoices').selectAll().orderBy('number').execute();
    // April is due for the three providers (started in March), 7 € + 20 % VAT.
    expect(invoices).toHaveLength(3);
    for (const invoice of invoices) {
      expect(invoice).toMatchObject({ period_start: '2026-04-01', period_end: '2026-04-30', amount_excl_vat_cents: 700, vat_cents: 140, amount_incl_vat_cents: 840 });
    }
    expect(invoices.map((i) => i.number)).toEqual(['A-2026-000001', 'A-2026-000002', 'A-2026-000003']);
    // Atelier: 10 € − 40 c of fees covers 8,40 €: deducted.
    const a = (await payoutOf(t.ctx, atelier, '2026-04'))!;
    expect(a).toMatchObject({ gross_cents: 1000, subscription_cents: 840, net_cents: 1000 - 40 - 840 });
    expect(invoices.find((i) => i.provider_id === atelier.provider.organisation.id)!.paid_by_payout_id).toBe(a.id);
    // Cyber: 5 € − 20 c does not cover it: carried over.
    const c = (await payoutOf(t.ctx, cyber, '2026-04'))!;
    expect(c).toMatchObject({ gross_cents: 500, subscription_cents: 0, net_cents: 480 });
    expect(invoices.find((i) => i.provider_id === cyber.provider.organisation.id)!.paid_by_payout_id).toBeNull();

    // May: Cyber scans 3 vouchers; April's and May's invoices are both deducted, oldest first.
    at(t.clock, '2026-05-20T08:00:00Z');
    await scan(t.ctx, cyber, 'reunion', await tens.take(3));
    at(t.clock, '2026-06-06T08:00:00Z');
    await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-05' });
    const may = (await payoutOf(t.ctx, cyber, '2026-05'))!;
    expect(may).toMatchObject({ gross_cents: 3000, subscription_cents: 1680, net_cents: 3000 - 120 - 1680 });
    const cyberInvoices = await t.ctx.db.selectFrom('subscription_invoices').select(['period_start', 'paid_by_payout_id']).where('provider_id', '=', cyber.provider.organisation.id).orderBy('period_start').execute();
    expect(cyberInvoices).toEqual([
      { period_start: '2026-04-01', paid_by_payout_id: may.id },
      { period_start: '2026-05-01', paid_by_payout_id: may.id },
    ]);

    // The ledger: invoices receivable, deducted by payouts; what is left is Cyber's nothing and
    // the unpaid May invoices of the others (they scanned nothing in May).
    const receivable = await t.ctx.db
      .selectFrom('ledger_accounts')
      .select(['organisation_id', 'balance_cents'])
      .where('kind', '=', 'subscriptions_receivable')
      .execute();
    const balanceOf = (id: string) => receivable.find((r) => r.organisation_id === id)?.balance_cents;
    expect(balanceOf(cyber.provider.organisation.id)).toBe(0);
    expect(balanceOf(atelier.provider.organisation.id)).toBe(840);
    const revenue = await t.ctx.db.selectFrom('ledger_accounts').select(['kind', 'balance_cents']).where('kind', 'in', ['subscription_revenue', 'vat_collected']).orderBy('kind').execute();
    expect(revenue).toEqual([
      { kind: 'subscription_revenue', balance_cents: -700 * 6 },
      { kind: 'vat_collected', balance_cents: -140 * 6 },
    ]);
    await expectSoundLedger(t.ctx);
  });

  it('refuses to pay, and writes nothing, when an amount disagrees with its vouchers', async () => {
    const { brioche } = await march();
    at(t.clock, '2026-04-07T08:00:00Z');
    const before = await moneyRows(t.ctx);
    const voucher = await t.ctx.db
      .selectFrom('vouchers')
      .innerJoin('redemptions', 'redemptions.id', 'vouchers.redemption_id')
      .select('vouchers.id')
      .where('redemptions.provider_id', '=', brioche.provider.organisation.id)
      .executeTakeFirstOrThrow();
    // Someone with the power to disable triggers changes a voucher's value behind the application.
    await sql`alter table vouchers disable trigger vouchers_redeemed_once`.execute(t.ctx.db);
    await sql`update vouchers set face_value_cents = 10000 where id = ${voucher.id}`.execute(t.ctx.db);
    await sql`alter table vouchers enable trigger vouchers_redeemed_once`.execute(t.ctx.db);
    await expect(settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-03' })).rejects.toMatchObject({ code: 'settlement_integrity_failed' });
    expect(await moneyRows(t.ctx)).toEqual(before);
    expect(t.errors).toContainEqual(expect.objectContaining({ message: 'settlement refused: amounts disagree with their vouchers' }));
  });

  it('refuses the next month when an open payout no longer equals its lines', async () => {
    const { atelier } = await march();
    at(t.clock, '2026-04-07T08:00:00Z');
    await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-03' });
    const a = (await payoutOf(t.ctx, atelier, '2026-03'))!;
    const before = await moneyRows(t.ctx);
    await sql`alter table payout_lines disable trigger payout_lines_append_only`.execute(t.ctx.db);
    await sql`update payout_lines set gross_cents = gross_cents + 1 where redemption_id = (select redemption_id from payout_lines where payout_id = ${a.id} limit 1)`.execute(t.ctx.db);
    await sql`alter table payout_lines enable trigger payout_lines_append_only`.execute(t.ctx.db);
    at(t.clock, '2026-05-06T08:00:00Z');
    await expect(settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-04' })).rejects.toMatchObject({ code: 'settlement_integrity_failed' });
    expect(await moneyRows(t.ctx)).toEqual(before);
  });
});
