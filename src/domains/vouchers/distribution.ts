import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { BookletCancelReason, DB, PublicAge, PublicSituation } from '../../db/schema.js';
import { deliverInBackground } from '../../mail/deliver.js';
import { createInvitation } from '../accounts/invitations.js';
import { insertOrganisation } from '../accounts/repository.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { formatBookletNumber, parseBookletNumber } from './codes.js';
import { findFunderOrder } from './orders.js';

/**
 * Booklets between the funder and the holders: the funder invites distributors and entrusts them
 * booklets; a distributor records each hand-out (booklet number, and optionally an anonymous
 * category of public), which activates the booklet; a funder or its distributor cancels a lost or
 * stolen booklet. Nothing that identifies a holder is asked or stored.
 */

/** A new distributor organisation, linked to the funder, whose first admin is invited by e-mail. */
export async function inviteDistributor(
  ctx: AppContext,
  actor: Actor,
  input: { funderId: string; name: string; email: string },
): Promise<{ distributorId: string }> {
  const now = ctx.clock.now();
  const { distributorId, mail } = await ctx.db.transaction().execute(async (trx) => {
    const distributor = await insertOrganisation(trx, { kind: 'distributor', name: input.name.trim() });
    await trx.insertInto('funder_distributors').values({ funder_id: input.funderId, distributor_id: distributor.id, created_at: now }).execute();
    await recordAuditEvent(trx, actor, now, {
      action: 'distributor.invited',
      subjectType: 'organisation',
      subjectId: distributor.id,
      after: { funderId: input.funderId, name: distributor.name },
    });
    const invitation = await createInvitation({ ...ctx, db: trx }, actor, { organisationId: distributor.id, email: input.email, role: 'admin' });
    return { distributorId: distributor.id, mail: invitation.mail };
  });
  deliverInBackground(ctx, mail);
  return { distributorId };
}

/** Distributors of a funder, with how many booklets each holds and has handed out. */
export async function listDistributors(ctx: AppContext, funderId: string) {
  return ctx.db
    .selectFrom('funder_distributors as link')
    .innerJoin('organisations as distributor', 'distributor.id', 'link.distributor_id')
    .leftJoin(
      (eb) =>
        eb
          .selectFrom('booklets')
          .innerJoin('orders', 'orders.id', 'booklets.order_id')
          .where('orders.funder_id', '=', funderId)
          .select((eb2) => [
            'booklets.distributor_id',
            eb2.fn.countAll<number>().as('allocated'),
            sql<number>`count(*) filter (where booklets.handed_out_at is not null)`.as('handed_out'),
          ])
          .groupBy('booklets.distributor_id')
          .as('counts'),
      (join) => join.onRef('counts.distributor_id', '=', 'link.distributor_id'),
    )
    .select(['distributor.id', 'distributor.name', 'link.created_at', 'counts.allocated', 'counts.handed_out'])
    .where('link.funder_id', '=', funderId)
    .orderBy('distributor.name')
    .execute()
    .then((rows) => rows.map((row) => ({ ...row, allocated: row.allocated ?? 0, handed_out: row.handed_out ?? 0 })));
}

async function assertDistributorOf(db: Kysely<DB>, funderId: string, distributorId: string): Promise<void> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu.test(distributorId)) throw new DomainError('distributor_unknown', 'distributorId');
  const link = await db
    .selectFrom('funder_distributors')
    .select('distributor_id')
    .where('funder_id', '=', funderId)
    .where('distributor_id', '=', distributorId)
    .executeTakeFirst();
  if (!link) throw new DomainError('distributor_unknown', 'distributorId');
}

/**
 * Entrusts `count` booklets of an issued order to a distributor: the first ones not yet entrusted,
 * by position. Rows are locked and skipped when another allocation holds them, so two concurrent
 * allocations never take the same booklet; not enough left → nothing is allocated.
 */
export async function allocateBooklets(
  ctx: AppContext,
  actor: Actor,
  input: { funderId: string; orderId: string; distributorId: string; count: number },
): Promise<{ numbers: string[] }> {
  if (!Number.isInteger(input.count) || input.count < 1) throw new DomainError('order_quantity_invalid', 'count');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const order = await findFunderOrder(trx, input.funderId, input.orderId);
    if (order.status !== 'issued') throw new DomainError('order_status_conflict');
    await assertDistributorOf(trx, input.funderId, input.distributorId);
    const taken = await trx
      .updateTable('booklets')
      .set({ distributor_id: input.distributorId, allocated_at: now })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('booklets')
          .select('id')
          .where('order_id', '=', order.id)
          .where('distributor_id', 'is', null)
          .where('cancelled_at', 'is', null)
          .orderBy('position')
          .limit(input.count)
          .forUpdate()
          .skipLocked(),
      )
      .returning(['number'])
      .execute();
    if (taken.length < input.count) throw new DomainError('not_enough_booklets', 'count');
    const numbers = taken.map((b) => b.number).sort((a, b) => a - b);
    await recordAuditEvent(trx, actor, now, {
      action: 'booklets.allocated',
      subjectType: 'order',
      subjectId: order.id,
      after: { distributorId: input.distributorId, count: numbers.length, first: numbers[0], last: numbers.at(-1) },
    });
    return { numbers: numbers.map(formatBookletNumber) };
  });
}

/**
 * A distributor hands a booklet out: this activates its vouchers (for orders activated on hand-out).
 * The booklet must be entrusted to this distributor, not cancelled, not handed out yet.
 */
export async function handOutBooklet(
  ctx: AppContext,
  actor: Actor,
  input: { distributorId: string; number: string; publicAge?: PublicAge | null; publicSituation?: PublicSituation | null },
): Promise<{ number: string; vouchers: number; validUntil: string }> {
  const sequence = parseBookletNumber(input.number);
  if (sequence === undefined) throw new DomainError('booklet_number_invalid', 'number');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const booklet = await trx
      .selectFrom('booklets')
      .innerJoin('orders', 'orders.id', 'booklets.order_id')
      .select(['booklets.id', 'booklets.distributor_id', 'booklets.handed_out_at', 'booklets.cancelled_at', 'orders.vouchers_per_booklet', 'orders.valid_until'])
      .where('booklets.number', '=', sequence)
      .forUpdate('booklets')
      .executeTakeFirst();
    if (!booklet || booklet.distributor_id === null) throw new DomainError(booklet ? 'booklet_not_allocated' : 'booklet_unknown', 'number');
    if (booklet.distributor_id !== input.distributorId) throw new DomainError('booklet_not_allocated', 'number');
    if (booklet.cancelled_at !== null) throw new DomainError('booklet_cancelled', 'number');
    if (booklet.handed_out_at !== null) throw new DomainError('booklet_already_handed_out', 'number');
    await trx
      .updateTable('booklets')
      .set({ handed_out_at: now, handed_out_by: actor.userId, public_age: input.publicAge ?? null, public_situation: input.publicSituation ?? null })
      .where('id', '=', booklet.id)
      .execute();
    await recordAuditEvent(trx, actor, now, {
      action: 'booklet.handed_out',
      subjectType: 'booklet',
      subjectId: booklet.id,
      after: { number: sequence, publicAge: input.publicAge ?? null, publicSituation: input.publicSituation ?? null },
    });
    return { number: formatBookletNumber(sequence), vouchers: booklet.vouchers_per_booklet, validUntil: booklet.valid_until };
  });
}

/**
 * Cancels a lost or stolen booklet: its vouchers not yet used are refused from now on. The funder
 * of its order or the distributor holding it may do it; cancelling twice is refused.
 */
export async function cancelBooklet(
  ctx: AppContext,
  actor: Actor,
  input: { organisationId: string; number: string; reason: BookletCancelReason },
): Promise<{ number: string; unusedVouchers: number }> {
  const sequence = parseBookletNumber(input.number);
  if (sequence === undefined) throw new DomainError('booklet_number_invalid', 'number');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const booklet = await trx
      .selectFrom('booklets')
      .innerJoin('orders', 'orders.id', 'booklets.order_id')
      .select(['booklets.id', 'booklets.distributor_id', 'booklets.cancelled_at', 'orders.funder_id'])
      .where('booklets.number', '=', sequence)
      .forUpdate('booklets')
      .executeTakeFirst();
    if (!booklet || (booklet.funder_id !== input.organisationId && booklet.distributor_id !== input.organisationId)) {
      throw new DomainError('booklet_unknown', 'number');
    }
    if (booklet.cancelled_at !== null) throw new DomainError('booklet_cancelled', 'number');
    await trx
      .updateTable('booklets')
      .set({ cancelled_at: now, cancel_reason: input.reason, cancelled_by: actor.userId })
      .where('id', '=', booklet.id)
      .execute();
    const unused = await trx
      .selectFrom('vouchers')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('booklet_id', '=', booklet.id)
      .where('redemption_id', 'is', null)
      .executeTakeFirstOrThrow();
    await recordAuditEvent(trx, actor, now, {
      action: 'booklet.cancelled',
      subjectType: 'booklet',
      subjectId: booklet.id,
      after: { number: sequence, reason: input.reason, unusedVouchers: unused.count },
    });
    return { number: formatBookletNumber(sequence), unusedVouchers: unused.count };
  });
}

export interface BookletView {
  id: string;
  number: string;
  orderNumber: number;
  funderName: string;
  distributorName: string | null;
  allocatedAt: Date | null;
  handedOutAt: Date | null;
  publicAge: PublicAge | null;
  publicSituation: PublicSituation | null;
  cancelledAt: Date | null;
  cancelReason: BookletCancelReason | null;
  vouchers: number;
  vouchersUsed: number;
  validUntil: string;
}

/** Booklets held by a distributor, or of a funder's order: newest activity first. */
export async function listBooklets(
  ctx: AppContext,
  filter: { distributorId: string } | { funderId: string; orderId: string },
  options: { limit?: number; offset?: number } = {},
): Promise<BookletView[]> {
  let query = ctx.db
    .selectFrom('booklets')
    .innerJoin('orders', 'orders.id', 'booklets.order_id')
    .innerJoin('organisations as funder', 'funder.id', 'orders.funder_id')
    .leftJoin('organisations as distributor', 'distributor.id', 'booklets.distributor_id')
    .select((eb) => [
      'booklets.id',
      'booklets.number',
      'orders.number as order_number',
      'funder.name as funder_name',
      'distributor.name as distributor_name',
      'booklets.allocated_at',
      'booklets.handed_out_at',
      'booklets.public_age',
      'booklets.public_situation',
      'booklets.cancelled_at',
      'booklets.cancel_reason',
      'orders.vouchers_per_booklet',
      'orders.valid_until',
      eb
        .selectFrom('vouchers')
        .select((v) => v.fn.countAll<number>().as('n'))
        .whereRef('vouchers.booklet_id', '=', 'booklets.id')
        .where('vouchers.redemption_id', 'is not', null)
        .as('used'),
    ])
    .orderBy('booklets.number')
    .limit(options.limit ?? 500)
    .offset(options.offset ?? 0);
  query =
    'distributorId' in filter
      ? query.where('booklets.distributor_id', '=', filter.distributorId)
      : query.where('orders.funder_id', '=', filter.funderId).where('orders.id', '=', filter.orderId);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    number: formatBookletNumber(row.number),
    orderNumber: row.order_number,
    funderName: row.funder_name,
    distributorName: row.distributor_name,
    allocatedAt: row.allocated_at,
    handedOutAt: row.handed_out_at,
    publicAge: row.public_age,
    publicSituation: row.public_situation,
    cancelledAt: row.cancelled_at,
    cancelReason: row.cancel_reason,
    vouchers: row.vouchers_per_booklet,
    vouchersUsed: Number(row.used ?? 0),
    validUntil: row.valid_until,
  }));
}
