import type { AppContext } from '../../app-context.js';
import type { PublicAge, PublicSituation } from '../../db/schema.js';
import type { Referential } from '../referential/model.js';
import { loadReferential } from '../referential/publish-referential.js';
import { formatBookletNumber, parseBookletNumber } from './codes.js';
import { findFunderOrder, findOrder, orderProgress, type OrderProgress, type OrderRow } from './orders.js';

/**
 * Reads for the pages of funders, distributors and the operator's order view: one order with what
 * its page shows, and one booklet of a distributor (the notice after a hand-out). Nothing changes
 * here; ownership is checked as in the use cases (another funder's order is `order_unknown`).
 */

export interface OrderDetail {
  order: OrderRow;
  funderName: string;
  progress: OrderProgress;
  /** The latest referential, to name the services of the rules. */
  referential: Referential | undefined;
}

/** An order of this funder (or any order, for the operator, when `funderId` is not given). */
export async function loadOrderDetail(ctx: AppContext, input: { orderId: string; funderId?: string }): Promise<OrderDetail> {
  const order = input.funderId === undefined ? await findOrder(ctx.db, input.orderId) : await findFunderOrder(ctx.db, input.funderId, input.orderId);
  const funder = await ctx.db.selectFrom('organisations').select('name').where('id', '=', order.funder_id).executeTakeFirstOrThrow();
  const progress = (await orderProgress(ctx.db, [order.id])).get(order.id) ?? {
    booklets: 0,
    allocated: 0,
    handedOut: 0,
    cancelled: 0,
    vouchers: 0,
    vouchersUsed: 0,
    usedCents: 0,
  };
  return { order, funderName: funder.name, progress, referential: await loadReferential(ctx.db) };
}

export interface DistributorBooklet {
  number: string;
  vouchers: number;
  validUntil: string;
  handedOutAt: Date | null;
  cancelledAt: Date | null;
  publicAge: PublicAge | null;
  publicSituation: PublicSituation | null;
}

/** A booklet entrusted to this distributor, by its printed number; undefined for any other. */
export async function findDistributorBooklet(ctx: AppContext, distributorId: string, number: string): Promise<DistributorBooklet | undefined> {
  const sequence = parseBookletNumber(number);
  if (sequence === undefined) return undefined;
  const row = await ctx.db
    .selectFrom('booklets')
    .innerJoin('orders', 'orders.id', 'booklets.order_id')
    .select(['booklets.number', 'booklets.handed_out_at', 'booklets.cancelled_at', 'booklets.public_age', 'booklets.public_situation', 'orders.vouchers_per_booklet', 'orders.valid_until'])
    .where('booklets.number', '=', sequence)
    .where('booklets.distributor_id', '=', distributorId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    number: formatBookletNumber(row.number),
    vouchers: row.vouchers_per_booklet,
    validUntil: row.valid_until,
    handedOutAt: row.handed_out_at,
    cancelledAt: row.cancelled_at,
    publicAge: row.public_age,
    publicSituation: row.public_situation,
  };
}

/** How many booklets a distributor holds, for the pages of its list. */
export async function countDistributorBooklets(ctx: AppContext, distributorId: string): Promise<number> {
  const row = await ctx.db
    .selectFrom('booklets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('distributor_id', '=', distributorId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

