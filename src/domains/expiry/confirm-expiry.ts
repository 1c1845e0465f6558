import type { Kysely } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { DB } from '../../db/schema.js';
import { parisDay, type IsoDate } from '../../lib/paris-dates.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { formatOrderNumber } from '../vouchers/order-model.js';
import { expirySchedule, orderFigures } from './expire-orders.js';
import type { OrderFigures } from './expiry-mails.js';
import { isUuid } from '../../lib/uuid.js';

/**
 * The J-15 stage, « blocage à confirmer » (DOMAIN.md, flow 6): once runExpiry has recorded the
 * order's `block_15` step, the funder confirms it has seen that the unused vouchers stop paying at
 * the end date, with the state of its booklets in front of it.
 *
 * Where the confirmation lives. order_expiry_steps is the job's: its stage check allows only the
 * four stages the job records, and its columns are the credit note's; migrations are not changed
 * for this. The confirmation is therefore the audit event `order.expiry_confirmed` on the order,
 * written by the person who confirmed, with the figures they were shown, and read back from the
 * journal (indexed by action), as funder-invoices.ts reads its payments. Once: the use case locks
 * the order row, then reads the journal; a second confirmation (a double click, two admins at
 * once) waits for the first, finds it and records nothing.
 *
 * What « blocking » means here, on the funder's pages:
 *   - until confirmed, and until the end date, a notice « Échéance à confirmer » with the figures
 *     and the confirmation form sits at the top of the order's page, and a banner listing such
 *     orders heads the funder's lists (orders, distributors, statements);
 *   - entrusting more booklets of that order to a distributor is refused until then: handing out
 *     booklets that stop working two weeks later is what the notice is about (the order's page
 *     checks it before allocateBooklets; no other way in allocates booklets: the API has none);
 *   - cancelling a lost booklet stays open (it protects the funder's money), and so does printing
 *     (booklets already entrusted may need reprinting): refusing them would only make things worse;
 *   - once the end date has passed the question is moot: the blocking applied anyway (the J-15
 *     mail says so), the notice goes away and the order is `lapsed`.
 * Nothing here changes what holders and places can do: validity is the order's, rules.ts decides.
 */


export const EXPIRY_CONFIRMED_ACTION = 'order.expiry_confirmed';

/** Where an order stands with its J-15 confirmation. */
export type ExpiryConfirmation =
  /** The J-15 stage is not recorded yet (or the order is not issued). */
  | { kind: 'not_due' }
  | { kind: 'to_confirm'; validUntil: IsoDate; lastScanDay: IsoDate; figures: OrderFigures }
  | { kind: 'confirmed'; validUntil: IsoDate; lastScanDay: IsoDate; at: Date; byName: string | null }
  /** The end date passed without a confirmation: the blocking applied all the same. */
  | { kind: 'lapsed'; validUntil: IsoDate; lastScanDay: IsoDate };

interface ConfirmationRecord {
  at: Date;
  byName: string | null;
}

async function confirmationsOf(db: Kysely<DB>, orderIds: readonly string[]): Promise<Map<string, ConfirmationRecord>> {
  const found = new Map<string, ConfirmationRecord>();
  if (orderIds.length === 0) return found;
  const rows = await db
    .selectFrom('audit_events as a')
    .leftJoin('users as u', 'u.id', 'a.actor_user_id')
    .select(['a.subject_id', 'a.occurred_at', 'u.display_name'])
    .where('a.action', '=', EXPIRY_CONFIRMED_ACTION)
    .where('a.subject_type', '=', 'order')
    .where('a.subject_id', 'in', orderIds)
    .orderBy('a.id')
    .execute();
  // The first one counts; the use case never writes a second.
  for (const row of rows) if (!found.has(row.subject_id)) found.set(row.subject_id, { at: row.occurred_at, byName: row.display_name });
  return found;
}

async function hasBlockStep(db: Kysely<DB>, orderId: string): Promise<boolean> {
  const row = await db.selectFrom('order_expiry_steps').select('stage').where('order_id', '=', orderId).where('stage', '=', 'block_15').executeTakeFirst();
  return row !== undefined;
}

/** The J-15 confirmation of an order the caller already found for its funder (loadOrderDetail). */
export async function loadExpiryConfirmation(ctx: AppContext, order: { id: string; status: string; valid_until: IsoDate }): Promise<ExpiryConfirmation> {
  if (order.status !== 'issued' || !(await hasBlockStep(ctx.db, order.id))) return { kind: 'not_due' };
  const dates = { validUntil: order.valid_until, lastScanDay: expirySchedule(order.valid_until).lastScanDay };
  const confirmation = (await confirmationsOf(ctx.db, [order.id])).get(order.id);
  if (confirmation) return { kind: 'confirmed', ...dates, ...confirmation };
  if (parisDay(ctx.clock.now()) > order.valid_until) return { kind: 'lapsed', ...dates };
  return { kind: 'to_confirm', ...dates, figures: await orderFigures(ctx.db, order.id) };
}

export interface OrderToConfirm {
  orderId: string;
  orderNumber: string;
  label: string | null;
  validUntil: IsoDate;
}

/** A funder's orders whose J-15 stage waits for its confirmation, the nearest end first. */
export async function listOrdersToConfirm(ctx: AppContext, funderId: string): Promise<OrderToConfirm[]> {
  const today = parisDay(ctx.clock.now());
  const rows = await ctx.db
    .selectFrom('orders as o')
    .innerJoin('order_expiry_steps as s', (join) => join.onRef('s.order_id', '=', 'o.id').on('s.stage', '=', 'block_15'))
    .select(['o.id', 'o.number', 'o.label', 'o.valid_until'])
    .where('o.funder_id', '=', funderId)
    .where('o.status', '=', 'issued')
    .where('o.valid_until', '>=', today)
    .orderBy('o.valid_until')
    .orderBy('o.number')
    .execute();
  const confirmed = await confirmationsOf(ctx.db, rows.map((row) => row.id));
  return rows
    .filter((row) => !confirmed.has(row.id))
    .map((row) => ({ orderId: row.id, orderNumber: formatOrderNumber(row.number), label: row.label, validUntil: row.valid_until }));
}

/**
 * The funder confirms the J-15 notice of its order. `recorded` is false when it was confirmed
 * before: nothing is written again. Another funder's order is `order_unknown`; an order whose J-15
 * stage is not recorded, or whose end date has passed unconfirmed, is `order_status_conflict`.
 */
export async function confirmExpiry(ctx: AppContext, actor: Actor, input: { funderId: string; orderId: string }): Promise<{ recorded: boolean }> {
  if (!isUuid(input.orderId)) throw new DomainError('order_unknown');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const order = await trx
      .selectFrom('orders')
      .select(['id', 'status', 'valid_until'])
      .where('id', '=', input.orderId)
      .where('funder_id', '=', input.funderId)
      .forUpdate()
      .executeTakeFirst();
    if (!order) throw new DomainError('order_unknown');
    // Read under the order's lock: a concurrent confirmation waits, then sees this one.
    if ((await confirmationsOf(trx, [order.id])).has(order.id)) return { recorded: false };
    if (order.status !== 'issued' || !(await hasBlockStep(trx, order.id))) throw new DomainError('order_status_conflict');
    if (parisDay(now) > order.valid_until) throw new DomainError('order_status_conflict');
    const figures = await orderFigures(trx, order.id);
    await recordAuditEvent(trx, actor, now, {
      action: EXPIRY_CONFIRMED_ACTION,
      subjectType: 'order',
      subjectId: order.id,
      after: { stage: 'block_15', validUntil: order.valid_until, figures: { ...figures } },
    });
    return { recorded: true };
  });
}
