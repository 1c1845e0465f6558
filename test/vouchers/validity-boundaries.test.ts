import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkVoucherForHolder } from '../../src/domains/vouchers/check-vouchers.js';
import { redeemVouchers, type RedemptionInput } from '../../src/domains/vouchers/redeem-vouchers.js';
import { parisDay } from '../../src/lib/paris-dates.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createPublicPlace } from '../support/places-fixtures.js';
import { activeBooklets, createFunder, recorderOf, redemptionInput, setClock } from '../support/voucher-fixtures.js';

// Validity at the exact instants, in Europe/Paris, across the daylight-saving changes of 2026
// (forward on Sunday 29 March at 01:00 UTC, back on Sunday 25 October at 01:00 UTC), through the
// counter with the test clock.
let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ redemptionFailuresMax: 100_000 });
});
afterAll(async () => t.close());
beforeEach(() => setClock(t.clock, '2026-03-02T09:00:00Z'));

async function vouchersValid(validFrom: string, validUntil: string) {
  const funder = await createFunder(t.ctx);
  const { booklets } = await activeBooklets(t.ctx, funder, { validFrom, validUntil, bookletCount: '1', vouchersPerBooklet: '10' });
  const { provider, place } = await createPublicPlace(t.ctx);
  const codes = [...booklets[0]!.codes];
  /** Redeems the next voucher now, the service dated today (Paris) unless told otherwise. */
  const redeemAt = async (instant: string, overrides: Partial<RedemptionInput> = {}) => {
    setClock(t.clock, instant);
    const code = codes[0]!;
    const result = await redeemVouchers(t.ctx, recorderOf(provider), redemptionInput(t.ctx, place.id, [code], overrides));
    if (result.outcome.ok) codes.shift();
    return result.outcome.ok ? 'ok' : result.outcome.reason;
  };
  const stateAt = async (instant: string) => {
    setClock(t.clock, instant);
    return (await checkVoucherForHolder(t.ctx, codes[0]!)).state;
  };
  return { redeemAt, stateAt, codes };
}

describe('the first instant of validity', () => {
  it('is midnight Paris on the day clocks go forward (23:00 UTC the day before)', async () => {
    const v = await vouchersValid('2026-03-29', '2026-12-31');
    expect(await v.stateAt('2026-03-28T22:59:59.999Z')).toBe('not_yet_valid');
    expect(await v.redeemAt('2026-03-28T22:59:59.999Z')).toBe('voucher_not_yet_valid');
    expect(await v.stateAt('2026-03-28T23:00:00.000Z')).toBe('usable');
    // At midnight the service can be dated the 29th, not the day before.
    expect(await v.redeemAt('2026-03-28T23:00:00.000Z', { serviceDate: '2026-03-28' })).toBe('voucher_not_yet_valid');
    expect(await v.redeemAt('2026-03-28T23:00:00.000Z')).toBe('ok');
    const redeemed = await t.ctx.db.selectFrom('redemptions').select(['service_date', 'created_at']).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    expect(redeemed).toEqual({ service_date: '2026-03-29', created_at: new Date('2026-03-28T23:00:00.000Z') });
  });

  it('is midnight Paris summer time on the day clocks go back (22:00 UTC the day before)', async () => {
    const v = await vouchersValid('2026-10-25', '2027-06-30');
    expect(await v.redeemAt('2026-10-24T21:59:59.999Z')).toBe('voucher_not_yet_valid');
    expect(await v.redeemAt('2026-10-24T22:00:00.000Z')).toBe('ok');
  });

  it('is midnight Paris in winter and in summer', async () => {
    const winter = await vouchersValid('2026-03-10', '2026-12-31');
    expect(await winter.redeemAt('2026-03-09T22:59:59.999Z')).toBe('voucher_not_yet_valid');
    expect(await winter.redeemAt('2026-03-09T23:00:00.000Z')).toBe('ok');
    const summer = await vouchersValid('2026-07-01', '2026-12-31');
    expect(await summer.redeemAt('2026-06-30T21:59:59.999Z')).toBe('voucher_not_yet_valid');
    expect(await summer.redeemAt('2026-06-30T22:00:00.000Z')).toBe('ok');
  });
});

describe('the last instant of validity, one month of tolerance included', () => {
  it('ends at midnight Paris, winter time, after the day clocks go back', async () => {
    const v = await vouchersValid('2026-03-02', '2026-09-25');
    // 22:00 UTC would be midnight in summer time; on 25 October Paris is already at UTC+1.
    expect(await v.redeemAt('2026-10-25T22:00:00.000Z', { serviceDate: '2026-09-25' })).toBe('ok');
    expect(await v.stateAt('2026-10-25T22:59:59.999Z')).toBe('usable');
    expect((await checkVoucherForHolder(t.ctx, v.codes[0]!)).lastScanDay).toBe('2026-10-25');
    expect(await v.redeemAt('2026-10-25T22:59:59.999Z', { serviceDate: '2026-09-25' })).toBe('ok');
    expect(await v.redeemAt('2026-10-25T23:00:00.000Z', { serviceDate: '2026-09-25' })).toBe('voucher_expired');
    expect(await v.stateAt('2026-10-25T23:00:00.000Z')).toBe('expired');
    expect(await v.redeemAt('2026-10-26T09:00:00.000Z', { serviceDate: '2026-09-25' })).toBe('voucher_expired');
  });

  it('ends at midnight Paris on the eve of the day clocks go forward', async () => {
    // Valid until 28 February: scanned until the end of 28 March, winter time.
    const v = await vouchersValid('2026-01-01', '2026-02-28');
    expect(await v.redeemAt('2026-03-28T22:59:59.999Z', { serviceDate: '2026-02-28' })).toBe('ok');
    expect(await v.redeemAt('2026-03-28T23:00:00.000Z', { serviceDate: '2026-02-28' })).toBe('voucher_expired');
  });

  it('pays services dated up to the last day of validity, and not the day after', async () => {
    const v = await vouchersValid('2026-03-02', '2026-09-25');
    expect(await v.redeemAt('2026-10-01T10:00:00.000Z', { serviceDate: '2026-09-26' })).toBe('voucher_expired');
    expect(await v.redeemAt('2026-10-01T10:00:00.000Z', { serviceDate: '2026-09-25' })).toBe('ok');
    // Within validity, the service date is today in Paris: 21:59 UTC on 25 September is still the 25th.
    const w = await vouchersValid('2026-03-02', '2026-09-25');
    expect(await w.redeemAt('2026-09-25T21:59:59.999Z')).toBe('ok');
    expect(parisDay(t.clock.now())).toBe('2026-09-25');
    expect(await w.redeemAt('2026-09-25T22:00:00.000Z')).toBe('voucher_expired');
  });
});
