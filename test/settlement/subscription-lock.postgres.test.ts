import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import { settleMonth } from '../../src/domains/settlement/settle-month.js';
import { SETTLEMENT_LOCK } from '../../src/domains/settlement/settlement-lock.js';
import { chooseSubscriptionPlan } from '../../src/domains/settlement/subscriptions.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { IBANS, at, createPaidProvider, createPurse, scan } from './fixtures.js';

/**
 * A plan change never slips into a running settlement (PostgreSQL only: PGlite has one
 * connection, so a settlement and a change can never overlap there).
 */

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => t.close());

describe('a plan change and the settlement', () => {
  it('is refused while a settlement holds its lock, and applies to the next period once it is done', async () => {
    const purse = await createPurse(t.ctx);
    const lieu = await createPaidProvider(t.ctx, 'Lieu', 'bordeaux', { iban: IBANS[0], bic: null });
    const providerId = lieu.provider.organisation.id;
    at(t.clock, '2026-03-10T10:00:00Z');
    await scan(t.ctx, lieu, 'bordeaux', await purse.take(1));
    at(t.clock, '2026-04-07T08:00:00Z');
    await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-03' });

    // A settlement running (its lock held on another connection): the change is refused, nothing written.
    await t.ctx.db.transaction().execute(async (settlement) => {
      await sql`select pg_advisory_xact_lock(hashtext(${SETTLEMENT_LOCK}))`.execute(settlement);
      await expect(chooseSubscriptionPlan(t.ctx, lieu.provider.actor, providerId, 'yearly')).rejects.toMatchObject({ code: 'settlement_in_progress' });
    });
    expect(await t.ctx.db.selectFrom('provider_subscriptions').select('plan').where('provider_id', '=', providerId).executeTakeFirstOrThrow()).toEqual({ plan: 'monthly' });
    expect(await t.ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'subscription.plan_chosen').execute()).toEqual([]);

    // A settlement and a change at the same time: the change either precedes the settlement's
    // read of the plans, or is refused while it runs, or follows its commit; what it announces is
    // what gets invoiced, and no period twice.
    at(t.clock, '2026-05-06T08:00:00Z');
    const [, choice] = await Promise.allSettled([
      settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-04' }),
      chooseSubscriptionPlan(t.ctx, lieu.provider.actor, providerId, 'yearly'),
    ]);
    const invoices = await t.ctx.db.selectFrom('subscription_invoices').select(['period_start', 'period_end']).where('provider_id', '=', providerId).execute();
    expect(invoices).toHaveLength(1);
    if (choice.status === 'rejected') {
      // The settlement went first: the change is refused, April invoiced monthly.
      expect(choice.reason).toMatchObject({ code: 'settlement_in_progress' });
      expect(invoices[0]).toEqual({ period_start: '2026-04-01', period_end: '2026-04-30' });
    } else if (choice.value.appliesFrom === '2026-04-01') {
      // The change went first: April opens the year it announced.
      expect(invoices[0]).toEqual({ period_start: '2026-04-01', period_end: '2027-03-31' });
    } else {
      // The change came after the settlement's commit: April stays monthly, the year starts in May.
      expect(choice.value.appliesFrom).toBe('2026-05-01');
      expect(invoices[0]).toEqual({ period_start: '2026-04-01', period_end: '2026-04-30' });
    }
  });
});
