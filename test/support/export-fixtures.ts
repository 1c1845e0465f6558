/**
 * Money fixtures for the exports, transparency and expiry tests: a small world where vouchers were
 * issued and used. The order and redemption use cases write their ledger entries themselves.
 */
import type { AppContext } from '../../src/app-context.js';
import { redeemVouchers } from '../../src/domains/vouchers/redeem-vouchers.js';
import { createPublicPlace } from './places-fixtures.js';
import { activeBooklets, createFunder, recorderOf, redemptionInput, type TestFunder } from './voucher-fixtures.js';

/** Redeems each of these codes alone (one 10 € service each) at the place, today. */
export async function redeemEach(ctx: AppContext, place: Awaited<ReturnType<typeof createPublicPlace>>, codes: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const code of codes) {
    const result = await redeemVouchers(ctx, recorderOf(place.provider), redemptionInput(ctx, place.place.id, [code]));
    if (!result.outcome.ok) throw new Error(`redemption refused: ${result.outcome.reason}`);
    ids.push(result.outcome.redemption.id);
  }
  return ids;
}

/** A funder with an issued, handed-out order, a place in Bordeaux, and `used` vouchers redeemed there. */
export async function usedVouchersWorld(ctx: AppContext, options: { used?: number; form?: Record<string, string | string[]>; funder?: TestFunder } = {}) {
  const funder = options.funder ?? (await createFunder(ctx));
  const { order, booklets } = await activeBooklets(ctx, funder, options.form ?? {});
  const place = await createPublicPlace(ctx);
  const codes = booklets.flatMap((b) => b.codes);
  const redemptions = await redeemEach(ctx, place, codes.slice(0, options.used ?? 2));
  return { funder, order, booklets, place, redemptions };
}
