import { expectSoundLedger } from '../support/ledger.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountId, accountKey } from '../../src/domains/ledger/accounts.js';
import { issueOrder } from '../../src/domains/vouchers/issue-vouchers.js';
import { commitOrder, confirmOrder, saveDraftOrder } from '../../src/domains/vouchers/orders.js';
import { redeemVouchers } from '../../src/domains/vouchers/redeem-vouchers.js';
import { parisDay } from '../../src/lib/paris-dates.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createOrganisation } from '../support/fixtures.js';
import { catalogueInput, createPublicPlace } from '../support/places-fixtures.js';
import { activeBooklets, createFunder, orderInput } from '../support/voucher-fixtures.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => t.close());

async function balance(key: string): Promise<number> {
  const row = await t.ctx.db.selectFrom('ledger_accounts').select('balance_cents').where('id', '=', accountId(key)).executeTakeFirst();
  return row?.balance_cents ?? 0;
}

describe('the money of vouchers in the ledger', () => {
  it('follows an order from payment to issue to the counter, in the same transactions', async () => {
    const funder = await createFunder(t.ctx);
    const operator = await createOrganisation(t.ctx, 'operator');
    const draft = await saveDraftOrder(t.ctx, funder.funderActor, funder.funder.id, orderInput({ fundingMode: 'prepaid' }));
    await confirmOrder(t.ctx, funder.funderActor, funder.funder.id, draft.id);
    await commitOrder(t.ctx, { userId: null, organisationId: operator.id, apiTokenId: null }, { orderId: draft.id, reference: 'VIR-1', by: { kind: 'operator' } });
    const funderKey = accountKey({ kind: 'funder_balance', funderId: funder.funder.id });
    const outstandingKey = accountKey({ kind: 'vouchers_outstanding', orderId: draft.id, funderId: funder.funder.id });
    expect(await balance('bank')).toBe(10_000);
    expect(await balance(funderKey)).toBe(-10_000);
    await issueOrder(t.ctx, funder.funderActor, { orderId: draft.id, funderId: funder.funder.id });
    expect(await balance(funderKey)).toBe(0);
    expect(await balance(outstandingKey)).toBe(-10_000);
    await expectSoundLedger(t.ctx);
  });

  it('books each redemption against its orders, and nothing for a refusal', async () => {
    const funder = await createFunder(t.ctx);
    const first = await activeBooklets(t.ctx, funder, { territory: '33' });
    const second = await activeBooklets(t.ctx, funder);
    const { provider, place } = await createPublicPlace(t.ctx, {}, { services: [catalogueInput({ priceCents: 1500 })] });
    const recorder = { providerId: provider.organisation.id, userId: provider.admin.id, tokenId: null };
    const today = parisDay(t.ctx.clock.now());
    const result = await redeemVouchers(t.ctx, recorder, {
      placeId: place.id,
      serviceCode: 'M01',
      serviceDate: today,
      deliveryMode: 'on_site',
      codes: [first.booklets[0]!.codes[0]!, second.booklets[0]!.codes[0]!],
    });
    expect(result.outcome.ok).toBe(true);
    const refused = await redeemVouchers(t.ctx, recorder, { placeId: place.id, serviceCode: 'M01', serviceDate: today, deliveryMode: 'on_site', codes: [first.booklets[0]!.codes[0]!] });
    expect(refused.outcome.ok).toBe(false);
    const outstanding = (orderId: string) => balance(accountKey({ kind: 'vouchers_outstanding', orderId, funderId: funder.funder.id }));
    // issued = used + outstanding, per order (credit balances are negative).
    expect(await outstanding(first.order.id)).toBe(-10_000 + 1000);
    expect(await outstanding(second.order.id)).toBe(-10_000 + 1000);
    expect(await balance(accountKey({ kind: 'provider_payable', providerId: provider.organisation.id }))).toBe(-2000);
    const entries = await t.ctx.db.selectFrom('journal_entries').select(['kind', 'redemption_id']).where('journal', '=', 'EN').execute();
    expect(entries).toEqual([{ kind: 'redemption', redemption_id: result.outcome.ok ? result.outcome.redemption.id : null }]);
    await expectSoundLedger(t.ctx);
  });
});
