import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR, type Actor } from '../../src/domains/actor.js';
import { settleMonth } from '../../src/domains/settlement/settle-month.js';
import { shiftMonth } from '../../src/domains/settlement/settlement-calendar.js';
import { chooseSubscriptionPlan, firstPeriodStart, loadSubscriptionOverview, periodOf, planOfPeriod } from '../../src/domains/settlement/subscriptions.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { expectSoundLedger } from '../support/ledger.js';
import { IBANS, at, createPaidProvider, createPurse, scan, type PaidProvider } from './fixtures.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => t.close());

const adminOf = (provider: PaidProvider): Actor => provider.provider.actor;
const idOf = (provider: PaidProvider) => provider.provider.organisation.id;

async function invoicesOf(provider: PaidProvider) {
  return t.ctx.db
    .selectFrom('subscription_invoices')
    .select(['number', 'period_start', 'period_end', 'amount_excl_vat_cents', 'vat_cents', 'amount_incl_vat_cents', 'paid_by_payout_id'])
    .where('provider_id', '=', idOf(provider))
    .orderBy('period_start')
    .execute();
}

async function planEvents(provider: PaidProvider) {
  return t.ctx.db
    .selectFrom('audit_events')
    .select(['action', 'subject_type', 'actor_user_id', 'before', 'after'])
    .where('action', '=', 'subscription.plan_chosen')
    .where('subject_id', '=', idOf(provider))
    .orderBy('id')
    .execute();
}

/** Settles month `YYYY-MM` on the 7th of the next month (after the grace day). */
async function settle(month: string) {
  at(t.clock, `${shiftMonth(month, 1)}-07T08:00:00Z`);
  await settleMonth(t.ctx, SYSTEM_ACTOR, { month });
}

describe('periods', () => {
  it('follow the settlement’s own arithmetic', () => {
    expect(firstPeriodStart('2026-03-10')).toBe('2026-04-01');
    expect(firstPeriodStart('2026-12-31')).toBe('2027-01-01');
    expect(periodOf('monthly', '2026-02-01')).toEqual({ start: '2026-02-01', end: '2026-02-28' });
    expect(periodOf('yearly', '2026-04-01')).toEqual({ start: '2026-04-01', end: '2027-03-31' });
    expect(periodOf('yearly', '2027-03-01')).toEqual({ start: '2027-03-01', end: '2028-02-29' });
    expect(planOfPeriod('2026-04-01', '2027-03-31')).toBe('yearly');
    expect(planOfPeriod('2026-04-01', '2026-04-30')).toBe('monthly');
  });
});

describe('choosing the plan', () => {
  it('is possible before the first scan: the plan waits, the subscription starts at the first scan', async () => {
    const purse = await createPurse(t.ctx);
    const lieu = await createPaidProvider(t.ctx, 'Lieu sans scan', 'bordeaux', { iban: IBANS[0], bic: null });
    at(t.clock, '2026-03-02T10:00:00Z');
    expect(await loadSubscriptionOverview(t.ctx, idOf(lieu), '2026-03-02')).toMatchObject({ status: 'not_started', plan: 'monthly' });
    expect(await chooseSubscriptionPlan(t.ctx, adminOf(lieu), idOf(lieu), 'yearly')).toEqual({ changed: true, plan: 'yearly', appliesFrom: null });
    expect(await t.ctx.db.selectFrom('provider_subscriptions').select(['provider_id', 'plan', 'started_on']).execute()).toEqual([
      { provider_id: idOf(lieu), plan: 'yearly', started_on: null },
    ]);
    expect(await planEvents(lieu)).toEqual([
      { action: 'subscription.plan_chosen', subject_type: 'provider_subscription', actor_user_id: lieu.provider.admin.id, before: { plan: 'monthly' }, after: { plan: 'yearly', appliesFrom: null } },
    ]);
    expect(await loadSubscriptionOverview(t.ctx, idOf(lieu), '2026-03-02')).toMatchObject({ status: 'not_started', plan: 'yearly' });
    // A month settled without any scan invoices nothing.
    await settle('2026-02');
    expect(await invoicesOf(lieu)).toEqual([]);

    // The first scan, then its month (free) and the next one settled: the chosen plan's first period is invoiced once.
    at(t.clock, '2026-03-10T10:00:00Z');
    await scan(t.ctx, lieu, 'bordeaux', await purse.take(1));
    expect(await loadSubscriptionOverview(t.ctx, idOf(lieu), '2026-03-10')).toMatchObject({ status: 'started', plan: 'yearly', startedOn: '2026-03-10' });
    await settle('2026-03');
    expect(await t.ctx.db.selectFrom('provider_subscriptions').select(['plan', 'started_on']).execute()).toEqual([{ plan: 'yearly', started_on: '2026-03-10' }]);
    expect(await invoicesOf(lieu)).toEqual([]);
    at(t.clock, '2026-04-15T10:00:00Z');
    // 10 vouchers (a service takes 3 at most): 100 € − 4 € of fees cover the year's 92,40 €.
    for (const count of [3, 3, 3, 1]) await scan(t.ctx, lieu, 'bordeaux', await purse.take(count));
    await settle('2026-04');
    expect(await invoicesOf(lieu)).toMatchObject([{ period_start: '2026-04-01', period_end: '2027-03-31', amount_excl_vat_cents: 7700, vat_cents: 1540, amount_incl_vat_cents: 9240 }]);
    await expectSoundLedger(t.ctx);
  });

  it('before any settlement, from the first scan on, starts the subscription at the scan’s day', async () => {
    const purse = await createPurse(t.ctx);
    const lieu = await createPaidProvider(t.ctx, 'Lieu', 'bordeaux', { iban: IBANS[0], bic: null });
    at(t.clock, '2026-03-10T10:00:00Z');
    await scan(t.ctx, lieu, 'bordeaux', await purse.take(1));
    at(t.clock, '2026-03-12T10:00:00Z');
    expect(await chooseSubscriptionPlan(t.ctx, adminOf(lieu), idOf(lieu), 'yearly')).toEqual({ changed: true, plan: 'yearly', appliesFrom: '2026-04-01' });
    expect(await t.ctx.db.selectFrom('provider_subscriptions').select(['provider_id', 'plan', 'started_on']).execute()).toEqual([
      { provider_id: idOf(lieu), plan: 'yearly', started_on: '2026-03-10' },
    ]);
  });

  it('refuses an unknown plan, and changes nothing when the plan is already the one chosen', async () => {
    const purse = await createPurse(t.ctx);
    const lieu = await createPaidProvider(t.ctx, 'Lieu', 'bordeaux', { iban: IBANS[0], bic: null });
    at(t.clock, '2026-03-10T10:00:00Z');
    await scan(t.ctx, lieu, 'bordeaux', await purse.take(1));
    await expect(chooseSubscriptionPlan(t.ctx, adminOf(lieu), idOf(lieu), 'weekly')).rejects.toMatchObject({ code: 'subscription_plan_invalid', field: 'plan' });
    expect(await chooseSubscriptionPlan(t.ctx, adminOf(lieu), idOf(lieu), 'monthly')).toEqual({ changed: false, plan: 'monthly', appliesFrom: '2026-04-01' });
    expect(await planEvents(lieu)).toEqual([]);
    await chooseSubscriptionPlan(t.ctx, adminOf(lieu), idOf(lieu), 'yearly');
    expect(await chooseSubscriptionPlan(t.ctx, adminOf(lieu), idOf(lieu), 'yearly')).toMatchObject({ changed: false });
    expect(await planEvents(lieu)).toEqual([
      { action: 'subscription.plan_chosen', subject_type: 'provider_subscription', actor_user_id: lieu.provider.admin.id, before: { plan: 'monthly' }, after: { plan: 'yearly', appliesFrom: '2026-04-01' } },
    ]);
  });
});

describe('settling months with each plan', () => {
  /**
   * Three providers scan in March 2026 (their free month) and in April:
   * - Annuel chooses yearly in March, before any settlement, then monthly in August;
   * - Mensuel never chooses;
   * - Bascule is invoiced April monthly, then chooses yearly in May, after April's invoice.
   * Every month from March 2026 to April 2027 is settled.
   */
  it('charges 92,40 € once for a year, 8,40 € every month, never a period twice, the first month free', async () => {
    const purse = await createPurse(t.ctx);
    const annuel = await createPaidProvider(t.ctx, 'Annuel', 'bordeaux', { iban: IBANS[0], bic: null });
    const mensuel = await createPaidProvider(t.ctx, 'Mensuel', 'paris', { iban: IBANS[1], bic: null });
    const bascule = await createPaidProvider(t.ctx, 'Bascule', 'ajaccio', { iban: IBANS[2], bic: null });

    at(t.clock, '2026-03-10T10:00:00Z');
    for (const provider of [annuel, mensuel, bascule]) await scan(t.ctx, provider, provider.home, await purse.take(1));
    at(t.clock, '2026-03-12T10:00:00Z');
    await chooseSubscriptionPlan(t.ctx, adminOf(annuel), idOf(annuel), 'yearly');

    await settle('2026-03');
    // March is free for all three; the subscriptions started on the first scan's day.
    expect(await t.ctx.db.selectFrom('subscription_invoices').selectAll().execute()).toEqual([]);
    const started = await t.ctx.db.selectFrom('provider_subscriptions').select(['provider_id', 'plan', 'started_on']).orderBy('plan').execute();
    expect(started).toHaveLength(3);
    for (const row of started) expect(row.started_on).toBe('2026-03-10');
    expect(started.find((row) => row.provider_id === idOf(annuel))!.plan).toBe('yearly');

    // April: 10 vouchers each (a service takes 3 at most), enough for a yearly invoice (100 € − 4 € of fees ≥ 92,40 €).
    at(t.clock, '2026-04-15T10:00:00Z');
    for (const provider of [annuel, mensuel, bascule]) for (const count of [3, 3, 3, 1]) await scan(t.ctx, provider, provider.home, await purse.take(count));
    await settle('2026-04');

    const [yearly] = await invoicesOf(annuel);
    expect(await invoicesOf(annuel)).toHaveLength(1);
    expect(yearly).toMatchObject({ period_start: '2026-04-01', period_end: '2027-03-31', amount_excl_vat_cents: 7700, vat_cents: 1540, amount_incl_vat_cents: 9240 });
    const annuelApril = await t.ctx.db.selectFrom('payouts').select(['id', 'gross_cents', 'subscription_cents', 'net_cents']).where('provider_id', '=', idOf(annuel)).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(annuelApril).toMatchObject({ gross_cents: 10000, subscription_cents: 9240, net_cents: 10000 - 400 - 9240 });
    expect(yearly!.paid_by_payout_id).toBe(annuelApril.id);
    expect(await invoicesOf(bascule)).toMatchObject([{ period_start: '2026-04-01', period_end: '2026-04-30', amount_incl_vat_cents: 840 }]);

    // May: Bascule chooses yearly after April's invoice: from May 1st, the next period not invoiced.
    at(t.clock, '2026-05-20T10:00:00Z');
    expect(await chooseSubscriptionPlan(t.ctx, adminOf(bascule), idOf(bascule), 'yearly')).toMatchObject({ changed: true, appliesFrom: '2026-05-01' });
    await settle('2026-05');
    expect((await invoicesOf(bascule)).at(-1)).toMatchObject({ period_start: '2026-05-01', period_end: '2027-04-30', amount_excl_vat_cents: 7700, vat_cents: 1540, amount_incl_vat_cents: 9240 });

    // The next eleven months: nothing more for Annuel, even after it asks for monthly in August
    // (its invoiced year is neither changed nor refunded: monthly starts when the year ends).
    for (const month of ['2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12', '2027-01', '2027-02', '2027-03']) {
      if (month === '2026-08') {
        at(t.clock, '2026-08-20T10:00:00Z');
        expect(await chooseSubscriptionPlan(t.ctx, adminOf(annuel), idOf(annuel), 'monthly')).toMatchObject({ changed: true, appliesFrom: '2027-04-01' });
        expect(await loadSubscriptionOverview(t.ctx, idOf(annuel), '2026-08-20')).toMatchObject({
          status: 'started',
          plan: 'monthly',
          current: { number: yearly!.number, plan: 'yearly', periodEnd: '2027-03-31' },
          next: { start: '2027-04-01', end: '2027-04-30', plan: 'monthly', price: { includingVatCents: 840 } },
        });
      }
      await settle(month);
      expect(await invoicesOf(annuel), month).toHaveLength(1);
      expect(await invoicesOf(bascule), month).toHaveLength(2);
    }
    await settle('2027-04');

    // Annuel: the year, then April 2027 monthly, the day after the year ends.
    expect((await invoicesOf(annuel)).map((i) => [i.period_start, i.period_end, i.amount_incl_vat_cents])).toEqual([
      ['2026-04-01', '2027-03-31', 9240],
      ['2027-04-01', '2027-04-30', 840],
    ]);
    // Mensuel: 8,40 € for every month from April 2026 to April 2027, one after the other.
    const monthly = await invoicesOf(mensuel);
    expect(monthly).toHaveLength(13);
    monthly.forEach((invoice, i) => {
      const start = `${shiftMonth('2026-04', i)}-01`;
      expect(invoice).toMatchObject({ period_start: start, period_end: periodOf('monthly', start).end, amount_excl_vat_cents: 700, vat_cents: 140, amount_incl_vat_cents: 840 });
    });
    // Bascule: April monthly, then its year; the next period is May 2027, not invoiced yet.
    expect((await invoicesOf(bascule)).map((i) => [i.period_start, i.period_end, i.amount_incl_vat_cents])).toEqual([
      ['2026-04-01', '2026-04-30', 840],
      ['2026-05-01', '2027-04-30', 9240],
    ]);

    // No period twice, no gap, nothing in the free month, for anyone.
    const { rows: overlaps } = await sql<{ n: number }>`
      select count(*)::int8 as n from subscription_invoices a join subscription_invoices b
        on a.provider_id = b.provider_id and a.id <> b.id and a.period_start <= b.period_end and b.period_start <= a.period_end`.execute(t.ctx.db);
    expect(overlaps[0]!.n).toBe(0);
    expect(await t.ctx.db.selectFrom('subscription_invoices').select('id').where('period_start', '<', '2026-04-01').execute()).toEqual([]);

    // The revenue booked is exactly the invoices: 2 years, 13 + 1 + 1 months.
    const revenue = await t.ctx.db.selectFrom('ledger_accounts').select(['kind', 'balance_cents']).where('kind', 'in', ['subscription_revenue', 'vat_collected']).orderBy('kind').execute();
    expect(revenue).toEqual([
      { kind: 'subscription_revenue', balance_cents: -(7700 * 2 + 700 * 15) },
      { kind: 'vat_collected', balance_cents: -(1540 * 2 + 140 * 15) },
    ]);
    expect((await planEvents(annuel)).map((e) => [e.before, e.after])).toEqual([
      [{ plan: 'monthly' }, { plan: 'yearly', appliesFrom: '2026-04-01' }],
      [{ plan: 'yearly' }, { plan: 'monthly', appliesFrom: '2027-04-01' }],
    ]);
    await expectSoundLedger(t.ctx);
  });
});
