import type { AppContext } from '../../src/app-context.js';
import { allocateBooklets, handOutBooklet } from '../../src/domains/vouchers/distribution.js';
import type { OrderRow } from '../../src/domains/vouchers/orders.js';
import { redeemEach } from './export-fixtures.js';
import type { createPublicPlace } from './places-fixtures.js';
import { bookletsOf, issueTestOrder, type TestFunder } from './voucher-fixtures.js';

/**
 * An order reaching its end: 3 booklets of 5 vouchers of 10 €, valid until 30 June 2026, one
 * entrusted and handed out, `used` of its vouchers used at the place.
 */
export async function expiringOrder(ctx: AppContext, funder: TestFunder, place: Awaited<ReturnType<typeof createPublicPlace>>, used: number): Promise<OrderRow> {
  const order = await issueTestOrder(ctx, funder, { bookletCount: '3', validFrom: '2026-03-02', validUntil: '2026-06-30', label: 'Été numérique' });
  await allocateBooklets(ctx, funder.funderActor, { funderId: funder.funder.id, orderId: order.id, distributorId: funder.distributor.id, count: 1 });
  const booklets = await bookletsOf(ctx, order.id);
  await handOutBooklet(ctx, funder.distributorActor, { distributorId: funder.distributor.id, number: booklets[0]!.number });
  await redeemEach(ctx, place, booklets[0]!.codes.slice(0, used));
  return order;
}
