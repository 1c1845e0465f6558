import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redeemVouchers, type RedemptionInput } from '../../src/domains/vouchers/redeem-vouchers.js';
import { parisDay } from '../../src/lib/paris-dates.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createPublicPlace } from '../support/places-fixtures.js';
import { activeBooklets, createFunder } from '../support/voucher-fixtures.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => t.close());

describe('a voucher from order to counter', () => {
  it('is issued, handed out and redeemed once', async () => {
    const funder = await createFunder(t.ctx);
    const { order, booklets } = await activeBooklets(t.ctx, funder, { territory: '33063' });
    expect(order.status).toBe('issued');
    expect(booklets).toHaveLength(2);
    expect(booklets[0]!.codes).toHaveLength(5);
    const { provider, place } = await createPublicPlace(t.ctx);
    const recorder = { providerId: provider.organisation.id, userId: provider.admin.id, tokenId: null };
    const input: RedemptionInput = {
      placeId: place.id,
      serviceCode: 'M01',
      serviceDate: parisDay(t.ctx.clock.now()),
      deliveryMode: 'on_site',
      codes: [booklets[0]!.codes[0]!],
    };
    const first = await redeemVouchers(t.ctx, recorder, input);
    expect(first.outcome).toMatchObject({ ok: true, redemption: { vouchersCents: 1000, holderShareCents: 0 } });
    const second = await redeemVouchers(t.ctx, recorder, input);
    expect(second.outcome).toEqual({ ok: false, reason: 'voucher_already_used', voucherIndex: 0 });
  });

  it('refuses a voucher outside its territory', async () => {
    const funder = await createFunder(t.ctx);
    const { booklets } = await activeBooklets(t.ctx, funder, { territory: '75' });
    const { provider, place } = await createPublicPlace(t.ctx);
    const result = await redeemVouchers(
      t.ctx,
      { providerId: provider.organisation.id, userId: provider.admin.id, tokenId: null },
      { placeId: place.id, serviceCode: 'M01', serviceDate: parisDay(t.ctx.clock.now()), deliveryMode: 'on_site', codes: [booklets[0]!.codes[0]!] },
    );
    expect(result.outcome).toEqual({ ok: false, reason: 'place_outside_territory', voucherIndex: 0 });
    const refusals = await t.ctx.db.selectFrom('redemption_refusals').select('reason').execute();
    expect(refusals).toEqual([{ reason: 'place_outside_territory' }]);
  });
});
