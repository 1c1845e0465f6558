import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBookletNumber, parseBookletNumber } from '../../src/domains/vouchers/codes.js';
import { allocateBooklets, cancelBooklet, handOutBooklet, listBooklets } from '../../src/domains/vouchers/distribution.js';
import { saveDraftOrder } from '../../src/domains/vouchers/orders.js';
import { redeemVouchers } from '../../src/domains/vouchers/redeem-vouchers.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createPublicPlace } from '../support/places-fixtures.js';
import { addDistributor, bookletsOf, createFunder, issueTestOrder, orderInput, recorderOf, redemptionInput, voucherLedger, type TestFunder } from '../support/voucher-fixtures.js';

// One database for the file; each test has its own funder, distributors and orders.
let t: TestContext;
beforeAll(async () => {
  t = await createTestContext({ redemptionFailuresMax: 10_000 });
});
afterAll(async () => t.close());

const allocate = (funder: TestFunder, orderId: string, count: number, distributorId = funder.distributor.id) =>
  allocateBooklets(t.ctx, funder.funderActor, { funderId: funder.funder.id, orderId, distributorId, count });
const handOut = (funder: TestFunder, number: string) => handOutBooklet(t.ctx, funder.distributorActor, { distributorId: funder.distributor.id, number });

async function bookletRows(orderId: string) {
  return t.ctx.db.selectFrom('booklets').selectAll().where('order_id', '=', orderId).orderBy('position').execute();
}

/** A number whose check digit is wrong: what a typo looks like. */
function typo(number: string): string {
  const last = Number(number.at(-1));
  return number.slice(0, -1) + String((last + 1) % 10);
}

describe('entrusting booklets to a distributor', () => {
  it('takes the first booklets not yet entrusted, by position, and journals it', async () => {
    const funder = await createFunder(t.ctx);
    const order = await issueTestOrder(t.ctx, funder, { bookletCount: '5' });
    const first = await allocate(funder, order.id, 2);
    const second = await allocate(funder, order.id, 2);
    const rows = await bookletRows(order.id);
    expect(first.numbers).toEqual(rows.slice(0, 2).map((b) => formatBookletNumber(b.number)));
    expect(second.numbers).toEqual(rows.slice(2, 4).map((b) => formatBookletNumber(b.number)));
    expect(rows.map((b) => b.distributor_id)).toEqual([...Array(4).fill(funder.distributor.id), null]);
    expect(rows.slice(0, 4).every((b) => b.allocated_at?.getTime() === t.clock.now().getTime())).toBe(true);
    const events = await t.ctx.db.selectFrom('audit_events').select(['action', 'after']).where('subject_id', '=', order.id).where('action', '=', 'booklets.allocated').execute();
    expect(events).toHaveLength(2);
    expect(events[0]!.after).toMatchObject({ distributorId: funder.distributor.id, count: 2 });
  });

  it('allocates nothing when fewer booklets are left than asked, skipping cancelled ones', async () => {
    const funder = await createFunder(t.ctx);
    const order = await issueTestOrder(t.ctx, funder, { bookletCount: '3' });
    const [, second] = await bookletsOf(t.ctx, order.id);
    await cancelBooklet(t.ctx, funder.funderActor, { organisationId: funder.funder.id, number: second!.number, reason: 'lost' });
    await expect(allocate(funder, order.id, 3)).rejects.toMatchObject({ code: 'not_enough_booklets', field: 'count' });
    expect((await bookletRows(order.id)).every((b) => b.distributor_id === null)).toBe(true);
    const taken = await allocate(funder, order.id, 2);
    expect(taken.numbers).not.toContain(second!.number);
    await expect(allocate(funder, order.id, 1)).rejects.toMatchObject({ code: 'not_enough_booklets' });
  });

  it('refuses a count below one, an order not issued, another funder’s order, a distributor of someone else', async () => {
    const funder = await createFunder(t.ctx);
    const other = await createFunder(t.ctx);
    const order = await issueTestOrder(t.ctx, funder);
    await expect(allocate(funder, order.id, 0)).rejects.toMatchObject({ code: 'order_quantity_invalid' });
    await expect(allocate(funder, order.id, 1.5)).rejects.toMatchObject({ code: 'order_quantity_invalid' });
    await expect(allocate(other, order.id, 1)).rejects.toMatchObject({ code: 'order_unknown' });
    await expect(allocate(funder, order.id, 1, other.distributor.id)).rejects.toMatchObject({ code: 'distributor_unknown' });
    await expect(allocate(funder, order.id, 1, 'ccas-1')).rejects.toMatchObject({ code: 'distributor_unknown' });
    await expect(allocate(funder, 'commande-1', 1)).rejects.toMatchObject({ code: 'order_unknown' });
    const draft = await saveDraftOrder(t.ctx, funder.funderActor, funder.funder.id, orderInput());
    await expect(allocate(funder, draft.id, 1)).rejects.toMatchObject({ code: 'order_status_conflict' });
    expect((await bookletRows(order.id)).every((b) => b.distributor_id === null)).toBe(true);
  });

  it('never gives the same booklet twice, allocations running at once', async () => {
    const funder = await createFunder(t.ctx);
    const distributors = await Promise.all(Array.from({ length: 4 }, () => addDistributor(t.ctx, funder)));
    const order = await issueTestOrder(t.ctx, funder, { bookletCount: '30' });
    // 12 allocations of 3 for 30 booklets: at most 10 can be served.
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => allocate(funder, order.id, 3, distributors[i % 4]!.distributor.id).then((r) => ({ ...r, distributorId: distributors[i % 4]!.distributor.id }))),
    );
    const served = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'not_enough_booklets' });
    const numbers = served.flatMap((r) => r.numbers);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(served.every((r) => r.numbers.length === 3)).toBe(true);
    expect(served.length).toBe(10);
    // The database agrees with what each allocation answered.
    const rows = await bookletRows(order.id);
    for (const r of served) {
      for (const number of r.numbers) expect(rows.find((b) => b.number === parseBookletNumber(number))?.distributor_id).toBe(r.distributorId);
    }
    expect(rows.filter((b) => b.distributor_id !== null)).toHaveLength(numbers.length);
  });
});

describe('handing a booklet out', () => {
  it('is recorded by the distributor holding it, with an anonymous public category', async () => {
    const funder = await createFunder(t.ctx);
    const order = await issueTestOrder(t.ctx, funder);
    const { numbers } = await allocate(funder, order.id, 1);
    const result = await handOutBooklet(t.ctx, funder.distributorActor, { distributorId: funder.distributor.id, number: numbers[0]!, publicAge: '60_74', publicSituation: 'retired' });
    expect(result).toEqual({ number: numbers[0], vouchers: 5, validUntil: order.valid_until });
    const row = (await bookletRows(order.id))[0]!;
    expect(row).toMatchObject({ handed_out_by: funder.distributorAdmin.id, public_age: '60_74', public_situation: 'retired' });
    expect(row.handed_out_at).toEqual(t.clock.now());
    const event = await t.ctx.db.selectFrom('audit_events').select('action').where('subject_id', '=', row.id).executeTakeFirstOrThrow();
    expect(event.action).toBe('booklet.handed_out');
    const views = await listBooklets(t.ctx, { distributorId: funder.distributor.id });
    expect(views).toEqual([expect.objectContaining({ number: numbers[0], publicAge: '60_74', vouchers: 5, vouchersUsed: 0 })]);
  });

  it('accepts the number with spaces, refuses a typo before any look-up', async () => {
    const funder = await createFunder(t.ctx);
    const order = await issueTestOrder(t.ctx, funder);
    const { numbers } = await allocate(funder, order.id, 2);
    await expect(handOut(funder, typo(numbers[0]!))).rejects.toMatchObject({ code: 'booklet_number_invalid', field: 'number' });
    await expect(handOut(funder, 'abc')).rejects.toMatchObject({ code: 'booklet_number_invalid' });
    expect(await handOut(funder, `${numbers[0]!.slice(0, 4)} ${numbers[0]!.slice(4)}`)).toMatchObject({ number: numbers[0] });
  });

  it('is refused to another distributor, for a booklet not entrusted, unknown, cancelled or already handed out', async () => {
    const funder = await createFunder(t.ctx);
    const stranger = await createFunder(t.ctx);
    const colleague = await addDistributor(t.ctx, funder);
    const order = await issueTestOrder(t.ctx, funder, { bookletCount: '4' });
    const [a, b, c, d] = await bookletsOf(t.ctx, order.id);
    await allocate(funder, order.id, 3);
    await expect(handOutBooklet(t.ctx, colleague.actor, { distributorId: colleague.distributor.id, number: a!.number })).rejects.toMatchObject({ code: 'booklet_not_allocated' });
    await expect(handOutBooklet(t.ctx, stranger.distributorActor, { distributorId: stranger.distributor.id, number: a!.number })).rejects.toMatchObject({ code: 'booklet_not_allocated' });
    await expect(handOut(funder, d!.number)).rejects.toMatchObject({ code: 'booklet_not_allocated' });
    await expect(handOut(funder, formatBookletNumber(999_999_999))).rejects.toMatchObject({ code: 'booklet_unknown' });
    await cancelBooklet(t.ctx, funder.funderActor, { organisationId: funder.funder.id, number: b!.number, reason: 'stolen' });
    await expect(handOut(funder, b!.number)).rejects.toMatchObject({ code: 'booklet_cancelled' });
    await handOut(funder, c!.number);
    await expect(handOut(funder, c!.number)).rejects.toMatchObject({ code: 'booklet_already_handed_out' });
    const rows = await bookletRows(order.id);
    expect(rows.map((r) => r.handed_out_at !== null)).toEqual([false, false, true, false]);
  });
});

describe('the same booklet handled twice at once', () => {
  it('is handed out once, and cancelled once', async () => {
    const funder = await createFunder(t.ctx);
    const order = await issueTestOrder(t.ctx, funder, { bookletCount: '2' });
    const { numbers } = await allocate(funder, order.id, 2);
    const handOuts = await Promise.allSettled(Array.from({ length: 6 }, () => handOut(funder, numbers[0]!)));
    expect(handOuts.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of handOuts) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'booklet_already_handed_out' });
    const cancels = await Promise.allSettled([
      cancelBooklet(t.ctx, funder.funderActor, { organisationId: funder.funder.id, number: numbers[1]!, reason: 'lost' }),
      cancelBooklet(t.ctx, funder.distributorActor, { organisationId: funder.distributor.id, number: numbers[1]!, reason: 'stolen' }),
      cancelBooklet(t.ctx, funder.funderActor, { organisationId: funder.funder.id, number: numbers[1]!, reason: 'damaged' }),
    ]);
    expect(cancels.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of cancels) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'booklet_cancelled' });
    const events = await t.ctx.db.selectFrom('audit_events').select('action').where('action', 'in', ['booklet.handed_out', 'booklet.cancelled']).where('subject_id', 'in', (await bookletRows(order.id)).map((b) => b.id)).execute();
    expect(events.map((e) => e.action).sort()).toEqual(['booklet.cancelled', 'booklet.handed_out']);
  });
});

describe('cancelling a lost or stolen booklet', () => {
  it('is done by the order’s funder or the distributor holding it, once, and journaled', async () => {
    const funder = await createFunder(t.ctx);
    const stranger = await createFunder(t.ctx);
    const colleague = await addDistributor(t.ctx, funder);
    const order = await issueTestOrder(t.ctx, funder, { bookletCount: '3' });
    const [a, , c] = await bookletsOf(t.ctx, order.id);
    await allocate(funder, order.id, 2);
    await expect(cancelBooklet(t.ctx, stranger.funderActor, { organisationId: stranger.funder.id, number: a!.number, reason: 'lost' })).rejects.toMatchObject({ code: 'booklet_unknown' });
    await expect(cancelBooklet(t.ctx, colleague.actor, { organisationId: colleague.distributor.id, number: a!.number, reason: 'lost' })).rejects.toMatchObject({ code: 'booklet_unknown' });
    await expect(cancelBooklet(t.ctx, funder.funderActor, { organisationId: funder.funder.id, number: typo(a!.number), reason: 'lost' })).rejects.toMatchObject({ code: 'booklet_number_invalid' });
    expect(await cancelBooklet(t.ctx, funder.distributorActor, { organisationId: funder.distributor.id, number: a!.number, reason: 'lost' })).toEqual({ number: a!.number, unusedVouchers: 5 });
    expect(await cancelBooklet(t.ctx, funder.funderActor, { organisationId: funder.funder.id, number: c!.number, reason: 'damaged' })).toEqual({ number: c!.number, unusedVouchers: 5 });
    await expect(cancelBooklet(t.ctx, funder.funderActor, { organisationId: funder.funder.id, number: a!.number, reason: 'stolen' })).rejects.toMatchObject({ code: 'booklet_cancelled' });
    const rows = await bookletRows(order.id);
    expect(rows.map((r) => [r.cancel_reason, r.cancelled_by])).toEqual([
      ['lost', funder.distributorAdmin.id],
      [null, null],
      ['damaged', funder.funderAdmin.id],
    ]);
    const actions = await t.ctx.db.selectFrom('audit_events').select('action').where('subject_id', 'in', rows.map((r) => r.id)).execute();
    expect(actions.map((e) => e.action)).toEqual(['booklet.cancelled', 'booklet.cancelled']);
  });
});

describe('what distribution does to vouchers', () => {
  it('keeps vouchers of an order activated on hand-out worthless until then, and refuses them once cancelled', async () => {
    const funder = await createFunder(t.ctx);
    const { provider, place } = await createPublicPlace(t.ctx);
    const order = await issueTestOrder(t.ctx, funder);
    const [booklet] = await bookletsOf(t.ctx, order.id);
    const redeem = (code: string) => redeemVouchers(t.ctx, recorderOf(provider), redemptionInput(t.ctx, place.id, [code]));
    expect((await redeem(booklet!.codes[0]!)).outcome).toEqual({ ok: false, reason: 'voucher_not_active', voucherIndex: 0 });
    await allocate(funder, order.id, 1);
    expect((await redeem(booklet!.codes[0]!)).outcome).toEqual({ ok: false, reason: 'voucher_not_active', voucherIndex: 0 });
    await handOut(funder, booklet!.number);
    expect((await redeem(booklet!.codes[0]!)).outcome).toMatchObject({ ok: true });
    expect(await cancelBooklet(t.ctx, funder.funderActor, { organisationId: funder.funder.id, number: booklet!.number, reason: 'stolen' })).toMatchObject({ unusedVouchers: 4 });
    const before = await voucherLedger(t.ctx);
    expect((await redeem(booklet!.codes[1]!)).outcome).toEqual({ ok: false, reason: 'voucher_cancelled', voucherIndex: 0 });
    // The voucher used before the cancellation stays used.
    expect((await redeem(booklet!.codes[0]!)).outcome).toEqual({ ok: false, reason: 'voucher_already_used', voucherIndex: 0 });
    expect(await voucherLedger(t.ctx)).toEqual(before);
  });

  it('lets vouchers of an order activated on issue be used without a hand-out, until cancelled', async () => {
    const funder = await createFunder(t.ctx);
    const { provider, place } = await createPublicPlace(t.ctx);
    const order = await issueTestOrder(t.ctx, funder, { activation: 'on_issue' });
    const [first, second] = await bookletsOf(t.ctx, order.id);
    const redeem = (code: string) => redeemVouchers(t.ctx, recorderOf(provider), redemptionInput(t.ctx, place.id, [code]));
    expect((await redeem(first!.codes[0]!)).outcome).toMatchObject({ ok: true });
    await cancelBooklet(t.ctx, funder.funderActor, { organisationId: funder.funder.id, number: second!.number, reason: 'lost' });
    expect((await redeem(second!.codes[0]!)).outcome).toEqual({ ok: false, reason: 'voucher_cancelled', voucherIndex: 0 });
  });
});
