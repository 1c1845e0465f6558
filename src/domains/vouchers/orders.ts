import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { DB, OrdersTable, OrderStatus } from '../../db/schema.js';
import { addDays, addMonths, parisDay } from '../../lib/paris-dates.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { postOrderPaid } from '../ledger/money-events.js';
import { formatDocumentNumber, nextDocumentNumber } from '../numbering/document-numbers.js';
import { PLACE_TYPOLOGIES } from '../places/manage-places.js';
import { findService } from '../referential/model.js';
import { loadReferential } from '../referential/publish-referential.js';
import { parseTerritory } from '../territories/territory.js';
import { defaultValidity, MAX_VALIDITY_YEARS, orderTotalCents, type OrderInput } from './order-model.js';
import { isUuid } from '../../lib/uuid.js';
import { buyerColumnsOf } from '../settlement/funder-billing-details.js';

export type OrderRow = Selectable<OrdersTable>;

/**
 * The funder's side of an order: draft, confirm, commit, cancel. Issuing the vouchers is
 * issue-vouchers.ts. Every change is a conditional update on the expected status, with its audit
 * event, in one transaction.
 */

/** Creates a draft, or replaces the content of a draft of this funder. */
export async function saveDraftOrder(ctx: AppContext, actor: Actor, funderId: string, input: OrderInput, orderId?: string): Promise<OrderRow> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const values = await checkedOrderValues(trx, input, parisDay(now));
    if (orderId === undefined) {
      const order = await trx
        .insertInto('orders')
        .values({ ...values, status: 'draft', funder_id: funderId, created_by: actor.userId, created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordAuditEvent(trx, actor, now, { action: 'order.created', subjectType: 'order', subjectId: order.id, after: orderView(order) });
      return order;
    }
    const before = await findFunderOrder(trx, funderId, orderId);
    const order = await trx
      .updateTable('orders')
      .set({ ...values, updated_at: now })
      .where('id', '=', orderId)
      .where('funder_id', '=', funderId)
      .where('status', '=', 'draft')
      .returningAll()
      .executeTakeFirst();
    if (!order) throw new DomainError('order_status_conflict');
    await recordAuditEvent(trx, actor, now, { action: 'order.updated', subjectType: 'order', subjectId: order.id, before: orderView(before), after: orderView(order) });
    return order;
  });
}

async function checkedOrderValues(trx: Kysely<DB>, input: OrderInput, today: string) {
  const territory = parseTerritory(input.territory);
  if (territory.unknown.length > 0) throw new DomainError('order_territory_unknown', 'territory');
  const referential = await loadReferential(trx);
  if (!referential) throw new DomainError('referential_version_unknown');
  if (input.serviceCodes.some((code) => !findService(referential, code))) throw new DomainError('order_service_unknown', 'serviceCodes');
  const knownTypes = new Set<string>(PLACE_TYPOLOGIES.map((type) => type.value));
  if (input.placeTypes.some((type) => !knownTypes.has(type))) throw new DomainError('order_place_type_unknown', 'placeTypes');
  const defaults = defaultValidity(today);
  const validFrom = input.validFrom ?? defaults.validFrom;
  const validUntil = input.validUntil ?? (input.validFrom ? defaultValidity(input.validFrom).validUntil : defaults.validUntil);
  // Three years from 1 June 2026 end on 31 May 2029, as a year from today ends the day before its anniversary.
  if (validUntil < validFrom || validUntil > addDays(addMonths(validFrom, 12 * MAX_VALIDITY_YEARS), -1)) throw new DomainError('order_validity_invalid', 'validUntil');
  return {
    label: input.label,
    booklet_count: input.bookletCount,
    vouchers_per_booklet: input.vouchersPerBooklet,
    face_value_cents: input.faceValueCents,
    funding_mode: input.fundingMode,
    territory: territory.entries,
    service_levels: [...new Set(input.serviceLevels)].sort(),
    service_codes: [...new Set(input.serviceCodes)].sort(),
    place_types: [...new Set(input.placeTypes)].sort(),
    valid_from: validFrom,
    valid_until: validUntil,
    holder_share_allowed: input.holderShareAllowed,
    delivery_modes: input.deliveryModes,
    activation: input.activation,
  };
}

/**
 * The funder confirms: the order form becomes binding; a prepaid order gets its invoice number
 * (gapless, per year), to be paid before the vouchers are issued.
 */
export async function confirmOrder(ctx: AppContext, actor: Actor, funderId: string, orderId: string): Promise<OrderRow> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const before = await findFunderOrder(trx, funderId, orderId);
    let invoiceNumber: string | null = null;
    if (before.funding_mode === 'prepaid' && before.status === 'draft') {
      const year = Number(parisDay(now).slice(0, 4));
      invoiceNumber = formatDocumentNumber('F', year, await nextDocumentNumber(trx, 'invoice', year));
    }
    // Its documents are issued now: the funder as they name it is copied (migration 0010).
    const buyer = await buyerColumnsOf(trx, before.funder_id);
    const order = await moveOrder(trx, orderId, 'draft', { status: 'confirmed', confirmed_at: now, invoice_number: invoiceNumber, updated_at: now, ...buyer });
    await recordAuditEvent(trx, actor, now, {
      action: 'order.confirmed',
      subjectType: 'order',
      subjectId: order.id,
      before: { status: before.status },
      after: { status: order.status, invoiceNumber, totalCents: orderTotalCents(order) },
    });
    return order;
  });
}

/**
 * The money is there: a prepaid order is paid (recorded by the operator, who receives the
 * transfer), an order billed on use is engaged (the funder's legal commitment number).
 */
export async function commitOrder(
  ctx: AppContext,
  actor: Actor,
  input: { orderId: string; reference: string; by: { kind: 'funder'; funderId: string } | { kind: 'operator' } },
): Promise<OrderRow> {
  const reference = input.reference.trim();
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const before =
      input.by.kind === 'funder' ? await findFunderOrder(trx, input.by.funderId, input.orderId) : await findOrder(trx, input.orderId);
    // A funder cannot declare its own prepayment received; the operator sees the bank account.
    if (input.by.kind === 'funder' && before.funding_mode === 'prepaid') throw new DomainError('order_status_conflict');
    const order = await moveOrder(trx, input.orderId, 'confirmed', {
      status: 'committed',
      committed_at: now,
      commitment_reference: reference === '' ? null : reference.slice(0, 100),
      updated_at: now,
    });
    // A prepaid order is committed when its transfer arrives: the money enters the ledger here.
    if (order.funding_mode === 'prepaid') {
      await postOrderPaid(trx, { id: order.id, number: order.number, funderId: order.funder_id, amountCents: orderTotalCents(order), reference: order.commitment_reference ?? '' }, now);
    }
    await recordAuditEvent(trx, actor, now, {
      action: 'order.committed',
      subjectType: 'order',
      subjectId: order.id,
      before: { status: before.status },
      after: { status: order.status, fundingMode: order.funding_mode, reference: order.commitment_reference },
    });
    return order;
  });
}

export async function cancelOrder(ctx: AppContext, actor: Actor, funderId: string, orderId: string): Promise<OrderRow> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const before = await findFunderOrder(trx, funderId, orderId);
    if (before.status !== 'draft' && before.status !== 'confirmed') throw new DomainError('order_status_conflict');
    const order = await moveOrder(trx, orderId, before.status, { status: 'cancelled', cancelled_at: now, updated_at: now });
    await recordAuditEvent(trx, actor, now, {
      action: 'order.cancelled',
      subjectType: 'order',
      subjectId: order.id,
      before: { status: before.status },
      after: { status: order.status },
    });
    return order;
  });
}

export async function moveOrder(
  trx: Kysely<DB>,
  orderId: string,
  from: OrderStatus,
  set: Partial<Omit<OrderRow, 'id' | 'number' | 'funder_id'>>,
): Promise<OrderRow> {
  const order = await trx.updateTable('orders').set(set).where('id', '=', orderId).where('status', '=', from).returningAll().executeTakeFirst();
  if (!order) throw new DomainError('order_status_conflict');
  return order;
}


export async function findFunderOrder(db: Kysely<DB>, funderId: string, orderId: string): Promise<OrderRow> {
  // An id that cannot exist (a mistyped address) is unknown, not a database error.
  if (!isUuid(orderId)) throw new DomainError('order_unknown');
  const order = await db.selectFrom('orders').selectAll().where('id', '=', orderId).where('funder_id', '=', funderId).executeTakeFirst();
  if (!order) throw new DomainError('order_unknown');
  return order;
}

export async function findOrder(db: Kysely<DB>, orderId: string): Promise<OrderRow> {
  if (!isUuid(orderId)) throw new DomainError('order_unknown');
  const order = await db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst();
  if (!order) throw new DomainError('order_unknown');
  return order;
}

export interface OrderProgress {
  booklets: number;
  allocated: number;
  handedOut: number;
  cancelled: number;
  vouchers: number;
  vouchersUsed: number;
  usedCents: number;
}

/** Orders of a funder (or all, for the operator), newest first, with where their booklets are. */
export async function listOrders(ctx: AppContext, filter: { funderId?: string; status?: OrderStatus; limit?: number }) {
  let query = ctx.db
    .selectFrom('orders')
    .innerJoin('organisations as funder', 'funder.id', 'orders.funder_id')
    .selectAll('orders')
    .select('funder.name as funder_name')
    .orderBy('orders.created_at', 'desc')
    .orderBy('orders.number', 'desc')
    .limit(filter.limit ?? 200);
  if (filter.funderId !== undefined) query = query.where('orders.funder_id', '=', filter.funderId);
  if (filter.status !== undefined) query = query.where('orders.status', '=', filter.status);
  const orders = await query.execute();
  const progress = await orderProgress(ctx.db, orders.map((o) => o.id));
  return orders.map((order) => ({ ...order, progress: progress.get(order.id) ?? emptyProgress() }));
}

function emptyProgress(): OrderProgress {
  return { booklets: 0, allocated: 0, handedOut: 0, cancelled: 0, vouchers: 0, vouchersUsed: 0, usedCents: 0 };
}

export async function orderProgress(db: Kysely<DB>, orderIds: readonly string[]): Promise<Map<string, OrderProgress>> {
  const progress = new Map<string, OrderProgress>();
  if (orderIds.length === 0) return progress;
  const booklets = await db
    .selectFrom('booklets')
    .where('order_id', 'in', orderIds)
    .select((eb) => [
      'order_id',
      eb.fn.countAll<number>().as('booklets'),
      sql<number>`count(*) filter (where distributor_id is not null)`.as('allocated'),
      sql<number>`count(*) filter (where handed_out_at is not null)`.as('handed_out'),
      sql<number>`count(*) filter (where cancelled_at is not null)`.as('cancelled'),
    ])
    .groupBy('order_id')
    .execute();
  const vouchers = await db
    .selectFrom('vouchers')
    .where('order_id', 'in', orderIds)
    .select((eb) => [
      'order_id',
      eb.fn.countAll<number>().as('vouchers'),
      sql<number>`count(*) filter (where redemption_id is not null)`.as('used'),
      sql<number>`coalesce(sum(face_value_cents) filter (where redemption_id is not null), 0)`.as('used_cents'),
    ])
    .groupBy('order_id')
    .execute();
  for (const row of booklets) {
    progress.set(row.order_id, { ...emptyProgress(), booklets: row.booklets, allocated: row.allocated, handedOut: row.handed_out, cancelled: row.cancelled });
  }
  for (const row of vouchers) {
    const entry = progress.get(row.order_id) ?? emptyProgress();
    progress.set(row.order_id, { ...entry, vouchers: row.vouchers, vouchersUsed: row.used, usedCents: Number(row.used_cents) });
  }
  return progress;
}

export function orderView(order: OrderRow) {
  return {
    number: order.number,
    status: order.status,
    bookletCount: order.booklet_count,
    vouchersPerBooklet: order.vouchers_per_booklet,
    faceValueCents: order.face_value_cents,
    fundingMode: order.funding_mode,
    territory: order.territory,
    serviceLevels: order.service_levels,
    serviceCodes: order.service_codes,
    placeTypes: order.place_types,
    validFrom: order.valid_from,
    validUntil: order.valid_until,
    holderShareAllowed: order.holder_share_allowed,
    deliveryModes: order.delivery_modes,
    activation: order.activation,
  };
}
