import { sql } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { FundingMode } from '../../db/schema.js';
import { parisDay, type IsoDate } from '../../lib/paris-dates.js';
import { DomainError } from '../errors.js';
import { issuedBuyer, type FunderBillingDetails } from '../settlement/funder-billing-details.js';
import { formatOrderNumber } from '../vouchers/order-model.js';
import { findFunderOrder, findOrder } from '../vouchers/orders.js';
import { expirySchedule } from './expire-orders.js';

/**
 * The credit notes (« avoirs ») runExpiry issues after an order's tolerance month: the face value of
 * its vouchers never used, booked back to the funder's balance. The step row `credit_note` of
 * order_expiry_steps holds the number and the amount; an order whose vouchers were all used has the
 * step without a number, and no credit note to show. Nothing changes here: reads for the funder's
 * pages and the PDF (print/credit-note.ts). Amounts are integer cents.
 */

export interface CreditNoteSummary {
  orderId: string;
  orderNumber: string;
  orderLabel: string | null;
  /** AV-2026-000001 */
  number: string;
  amountCents: number;
  issuedOn: IsoDate;
}

/** A funder's credit notes, the latest first. */
export async function listFunderCreditNotes(ctx: AppContext, funderId: string): Promise<CreditNoteSummary[]> {
  const rows = await ctx.db
    .selectFrom('order_expiry_steps as s')
    .innerJoin('orders as o', 'o.id', 's.order_id')
    .select(['o.id', 'o.number', 'o.label', 's.credit_note_number', 's.amount_cents', 's.done_at'])
    .where('o.funder_id', '=', funderId)
    .where('s.stage', '=', 'credit_note')
    .where('s.credit_note_number', 'is not', null)
    .orderBy('s.done_at', 'desc')
    .orderBy('s.credit_note_number', 'desc')
    .execute();
  return rows.map((row) => ({
    orderId: row.id,
    orderNumber: formatOrderNumber(row.number),
    orderLabel: row.label,
    number: row.credit_note_number!,
    amountCents: row.amount_cents ?? 0,
    issuedOn: parisDay(row.done_at),
  }));
}

/** The credit note of one order, if it has one (for the order's page). */
export async function findOrderCreditNote(ctx: AppContext, orderId: string): Promise<Omit<CreditNoteSummary, 'orderNumber' | 'orderLabel'> | undefined> {
  const row = await ctx.db
    .selectFrom('order_expiry_steps')
    .select(['credit_note_number', 'amount_cents', 'done_at'])
    .where('order_id', '=', orderId)
    .where('stage', '=', 'credit_note')
    .where('credit_note_number', 'is not', null)
    .executeTakeFirst();
  if (!row) return undefined;
  return { orderId, number: row.credit_note_number!, amountCents: row.amount_cents ?? 0, issuedOn: parisDay(row.done_at) };
}

export interface CreditNoteLine {
  unitCents: number;
  vouchers: number;
  amountCents: number;
}

export interface CreditNoteDocument {
  number: string;
  issuedOn: IsoDate;
  /** The funder as its order names it (copied at confirmation, migration 0010): the credit note corrects that order's documents. */
  funder: { id: string; name: string; billing: FunderBillingDetails | null };
  platform: AppContext['config']['platform'];
  order: {
    number: string;
    label: string | null;
    fundingMode: FundingMode;
    invoiceNumber: string | null;
    commitmentReference: string | null;
    validFrom: IsoDate;
    validUntil: IsoDate;
    /** The last day scans of services delivered in time were taken. */
    lastScanDay: IsoDate;
  };
  /** The unused vouchers by face value. */
  lines: CreditNoteLine[];
  totalCents: number;
  vouchers: { issued: number; used: number; unused: number; inCancelledBooklets: number };
}

/**
 * The credit note of an order of this funder (any order's, for the operator, when `funderId` is not
 * given): another funder's order is `order_unknown`, an order without a credit note
 * `document_unknown`. The lines are recomputed from the unused vouchers (none can be used once the
 * tolerance is over): a total that no longer matches the stored amount is
 * `settlement_integrity_failed`, never printed.
 */
export async function loadCreditNote(ctx: AppContext, input: { orderId: string; funderId?: string }): Promise<CreditNoteDocument> {
  const order = input.funderId === undefined ? await findOrder(ctx.db, input.orderId) : await findFunderOrder(ctx.db, input.funderId, input.orderId);
  const step = await ctx.db
    .selectFrom('order_expiry_steps')
    .select(['credit_note_number', 'amount_cents', 'done_at'])
    .where('order_id', '=', order.id)
    .where('stage', '=', 'credit_note')
    .executeTakeFirst();
  if (!step?.credit_note_number) throw new DomainError('document_unknown');
  const funder = await ctx.db.selectFrom('organisations').select(['id', 'name']).where('id', '=', order.funder_id).executeTakeFirstOrThrow();
  const unused = await ctx.db
    .selectFrom('vouchers')
    .select(['face_value_cents', sql<number>`count(*)::int`.as('vouchers'), sql<number>`sum(face_value_cents)::bigint`.as('amount')])
    .where('order_id', '=', order.id)
    .where('redemption_id', 'is', null)
    .groupBy('face_value_cents')
    .orderBy('face_value_cents')
    .execute();
  const lines = unused.map((row) => ({ unitCents: row.face_value_cents, vouchers: Number(row.vouchers), amountCents: Number(row.amount) }));
  const total = lines.reduce((sum, line) => sum + line.amountCents, 0);
  if (total !== step.amount_cents) {
    ctx.log.error({ creditNote: step.credit_note_number, stored: step.amount_cents, recomputed: total }, 'credit note disagrees with the unused vouchers');
    throw new DomainError('settlement_integrity_failed');
  }
  const counts = await ctx.db
    .selectFrom('vouchers as v')
    .innerJoin('booklets as b', 'b.id', 'v.booklet_id')
    .select((eb) => [
      eb.fn.countAll<number>().as('issued'),
      eb.fn.count<number>('v.redemption_id').as('used'),
      eb.fn.count<number>('v.id').filterWhere((w) => w.and([w('v.redemption_id', 'is', null), w('b.cancelled_at', 'is not', null)])).as('cancelled'),
    ])
    .where('v.order_id', '=', order.id)
    .executeTakeFirstOrThrow();
  const issued = Number(counts.issued);
  const used = Number(counts.used);
  return {
    number: step.credit_note_number,
    issuedOn: parisDay(step.done_at),
    funder: { id: funder.id, ...issuedBuyer(order, funder.name) },
    platform: ctx.config.platform,
    order: {
      number: formatOrderNumber(order.number),
      label: order.label,
      fundingMode: order.funding_mode,
      invoiceNumber: order.invoice_number,
      commitmentReference: order.commitment_reference,
      validFrom: order.valid_from,
      validUntil: order.valid_until,
      lastScanDay: expirySchedule(order.valid_until).lastScanDay,
    },
    lines,
    totalCents: step.amount_cents,
    vouchers: { issued, used, unused: issued - used, inCancelledBooklets: Number(counts.cancelled) },
  };
}
