import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { DB, FunderInvoicesTable } from '../../db/schema.js';
import { addDays, addMonths, parisDay, type IsoDate } from '../../lib/paris-dates.js';
import { SYSTEM_ACTOR, type Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { postFunderPayment } from '../ledger/money-events.js';
import { formatDocumentNumber, nextDocumentNumber } from '../numbering/document-numbers.js';
import { formatOrderNumber } from '../vouchers/order-model.js';
import { issuedBuyer, type FunderBillingDetails } from './funder-billing-details.js';
import { parseMonth, scansUntil, type Platform } from './statements.js';
import { isUuid } from '../../lib/uuid.js';

/**
 * The monthly invoice of a funder whose orders are billed on use: the face value of its vouchers
 * that paid services, one invoice per funder and month (FU-YYYY-NNNNNN, gapless per year of issue).
 *
 * Which vouchers an invoice covers: those of services dated up to the end of its month and scanned
 * before that month's scans closed (the grace day, or the settlement's own instant), that no
 * earlier month's invoice covered. Late scans of an earlier month's services (taken until the end
 * of the next month) thus go on the next invoice: every used voucher is invoiced once, and a
 * month's invoice never changes once issued. Issuing runs under an advisory lock per month, re-reads
 * what exists, and the unique (funder_id, month) is the last guard: running it twice is a no-op.
 *
 * Paying it is the operator's record of the funder's transfer (recordFunderPayment): the ledger's
 * funder_payment entry and an audit event, under the invoice row's lock, once.
 */

/** Advisory lock class of invoicing (the second key is the month, yyyymm). */
const FUNDER_INVOICE_LOCK = 0x46_55_49_4e; // 'FUIN'

export interface IssuedFunderInvoice {
  id: string;
  funderId: string;
  number: string;
  amountCents: number;
  vouchers: number;
}

interface Window {
  month: IsoDate;
  until: Date;
  previousUntil: Date;
}

async function windowOf(db: Kysely<DB>, ctx: AppContext, month: IsoDate): Promise<Window> {
  return { month, until: await scansUntil(db, ctx.config, month), previousUntil: await scansUntil(db, ctx.config, addMonths(month, -1)) };
}

/**
 * The vouchers of orders billed on use in a month's window. A service is dated at the earliest the
 * first day of the month before its scan (vouchers/rules.ts), so nothing in the window is dated
 * before the previous month: that bound lets the service-date index do the work.
 */
function usedInWindow(db: Kysely<DB>, window: Window) {
  return db
    .selectFrom('vouchers')
    .innerJoin('orders', 'orders.id', 'vouchers.order_id')
    .innerJoin('redemption_vouchers', 'redemption_vouchers.voucher_id', 'vouchers.id')
    .innerJoin('redemptions', 'redemptions.id', 'redemption_vouchers.redemption_id')
    .where('orders.funding_mode', '=', 'billed_on_use')
    .where('redemptions.service_date', '>=', addMonths(window.month, -1))
    .where('redemptions.service_date', '<', addMonths(window.month, 1))
    .where('redemptions.created_at', '<', window.until)
    .where((eb) => eb.not(eb.and([eb('redemptions.service_date', '<', window.month), eb('redemptions.created_at', '<', window.previousUntil)])));
}

/** Issues the missing invoices of `month` ('YYYY-MM'), once its scans are closed. */
export async function issueFunderInvoices(ctx: AppContext, month: string): Promise<{ month: IsoDate; issued: IssuedFunderInvoice[]; alreadyIssued: number }> {
  const first = parseMonth(month);
  const now = ctx.clock.now();
  const year = Number(parisDay(now).slice(0, 4));
  return ctx.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${FUNDER_INVOICE_LOCK}, ${Number(first.slice(0, 4)) * 100 + Number(first.slice(5, 7))})`.execute(trx);
    const window = await windowOf(trx, ctx, first);
    if (now < window.until) throw new DomainError('settlement_month_not_over', 'month');
    const existing = new Set((await trx.selectFrom('funder_invoices').select('funder_id').where('month', '=', first).execute()).map((row) => row.funder_id));
    const due = await usedInWindow(trx, window)
      .innerJoin('organisations', 'organisations.id', 'orders.funder_id')
      .leftJoin('funder_billing_details as billing', 'billing.organisation_id', 'orders.funder_id')
      .select([
        'orders.funder_id',
        'organisations.name',
        'billing.address',
        'billing.postcode',
        'billing.commune',
        'billing.siret',
        sql<number>`count(*)`.as('vouchers'),
        sql<number>`sum(vouchers.face_value_cents)::bigint`.as('amount'),
      ])
      .groupBy(['orders.funder_id', 'organisations.name', 'billing.address', 'billing.postcode', 'billing.commune', 'billing.siret'])
      // Numbers follow the funders' names: the same data always numbers the same way.
      .orderBy('organisations.name')
      .orderBy('orders.funder_id')
      .execute();
    const issued: IssuedFunderInvoice[] = [];
    for (const funder of due) {
      if (existing.has(funder.funder_id) || funder.amount <= 0) continue;
      const number = formatDocumentNumber('FU', year, await nextDocumentNumber(trx, 'funder_invoice', year));
      const row = await trx
        .insertInto('funder_invoices')
        // The buyer as it stands today, copied: the invoice never changes once issued.
        .values({
          funder_id: funder.funder_id,
          month: first,
          number,
          amount_cents: funder.amount,
          created_at: now,
          buyer_name: funder.name,
          buyer_address: funder.address,
          buyer_postcode: funder.postcode,
          buyer_commune: funder.commune,
          buyer_siret: funder.siret,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await recordAuditEvent(trx, SYSTEM_ACTOR, now, {
        action: 'funder_invoice.issued',
        subjectType: 'funder_invoice',
        subjectId: row.id,
        after: { number, funderId: funder.funder_id, month: first, amountCents: funder.amount, vouchers: funder.vouchers },
      });
      issued.push({ id: row.id, funderId: funder.funder_id, number, amountCents: funder.amount, vouchers: funder.vouchers });
    }
    return { month: first, issued, alreadyIssued: existing.size };
  });
}

// ---------------------------------------------------------------------------------------------
// Reading and paying

export interface FunderInvoiceLine {
  orderNumber: string;
  label: string | null;
  commitmentReference: string | null;
  unitCents: number;
  vouchers: number;
  amountCents: number;
}

/**
 * Days a funder has to pay an invoice: 30, the legal delay of public buyers (most funders) and the
 * default between businesses when nothing else is agreed.
 */
export const FUNDER_INVOICE_TERM_DAYS = 30;

export interface FunderInvoiceDocument {
  id: string;
  number: string;
  issuedOn: IsoDate;
  /** Payment due by this day (FUNDER_INVOICE_TERM_DAYS after issue). */
  dueOn: IsoDate;
  month: IsoDate;
  /** The funder as invoiced: its name, and its billing details when an admin had given them, both as they stood at issue. */
  funder: { id: string; name: string; billing: FunderBillingDetails | null };
  platform: Platform;
  /** The platform's account, where the funder pays. */
  bank: { holder: string; iban: string; bic: string };
  lines: FunderInvoiceLine[];
  totalCents: number;
  /** Services dated until this day (the month's last), scanned before this instant. */
  scansUntil: Date;
  paid: { on: IsoDate; reference: string } | null;
}


interface PaymentRecord {
  on: IsoDate;
  reference: string;
}

/** The payments recorded for these invoices (audit events `funder_invoice.paid`, indexed by action). */
async function paymentsOf(db: Kysely<DB>, invoiceIds: readonly string[]): Promise<Map<string, PaymentRecord>> {
  const payments = new Map<string, PaymentRecord>();
  if (invoiceIds.length === 0) return payments;
  const rows = await db
    .selectFrom('audit_events')
    .select(['subject_id', 'occurred_at', 'after'])
    .where('action', '=', 'funder_invoice.paid')
    .where('subject_type', '=', 'funder_invoice')
    .where('subject_id', 'in', invoiceIds)
    .execute();
  for (const row of rows) {
    const after = (typeof row.after === 'string' ? JSON.parse(row.after) : row.after) as { reference?: unknown } | null;
    payments.set(row.subject_id, { on: parisDay(row.occurred_at), reference: typeof after?.reference === 'string' ? after.reference : '' });
  }
  return payments;
}

export interface FunderInvoiceSummary {
  id: string;
  number: string;
  month: IsoDate;
  amountCents: number;
  issuedOn: IsoDate;
  paid: PaymentRecord | null;
}

/** An invoice row as the lists show it, with its payment if one is recorded (`paymentsOf`). */
function invoiceSummary(row: Selectable<FunderInvoicesTable>, payments: ReadonlyMap<string, PaymentRecord>): FunderInvoiceSummary {
  return {
    id: row.id,
    number: row.number,
    month: row.month,
    amountCents: row.amount_cents,
    issuedOn: parisDay(row.created_at),
    paid: payments.get(row.id) ?? null,
  };
}

/** A funder's invoices for use, the latest month first. */
export async function listFunderInvoices(ctx: AppContext, funderId: string): Promise<FunderInvoiceSummary[]> {
  const rows = await ctx.db.selectFrom('funder_invoices').selectAll().where('funder_id', '=', funderId).orderBy('month', 'desc').execute();
  const payments = await paymentsOf(ctx.db, rows.map((row) => row.id));
  return rows.map((row) => invoiceSummary(row, payments));
}

export type FunderInvoicePayment = 'all' | 'paid' | 'unpaid';

export interface OperatorFunderInvoice extends FunderInvoiceSummary {
  funder: { id: string; name: string };
}

export interface OperatorFunderInvoicePage {
  invoices: OperatorFunderInvoice[];
  /** Invoices matching the filter, all pages. */
  total: number;
  /** Every invoice not paid yet, whatever the filter. */
  unpaid: { invoices: number; amountCents: number };
}

/**
 * Every funder's invoices for the operator, the latest month first, a page at a time: all of them,
 * or only those paid or unpaid (a payment is the `funder_invoice.paid` audit event, as for one funder).
 */
export async function listInvoicesOfAllFunders(ctx: AppContext, options: { payment: FunderInvoicePayment; page: number; perPage: number }): Promise<OperatorFunderInvoicePage> {
  const paidIds = ctx.db
    .selectFrom('audit_events')
    .select('subject_id')
    .where('action', '=', 'funder_invoice.paid')
    .where('subject_type', '=', 'funder_invoice');
  const invoiceId = sql<string>`funder_invoices.id::text`;
  let query = ctx.db.selectFrom('funder_invoices').innerJoin('organisations', 'organisations.id', 'funder_invoices.funder_id');
  if (options.payment === 'paid') query = query.where((eb) => eb(invoiceId, 'in', paidIds));
  if (options.payment === 'unpaid') query = query.where((eb) => eb(invoiceId, 'not in', paidIds));
  const [rows, count, unpaid] = await Promise.all([
    query
      .selectAll('funder_invoices')
      .select('organisations.name as funder_name')
      .orderBy('funder_invoices.month', 'desc')
      .orderBy('funder_invoices.number', 'desc')
      .limit(options.perPage)
      .offset((options.page - 1) * options.perPage)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ctx.db
      .selectFrom('funder_invoices')
      .where((eb) => eb(invoiceId, 'not in', paidIds))
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number | string | null>('amount_cents').as('cents')])
      .executeTakeFirstOrThrow(),
  ]);
  const payments = await paymentsOf(ctx.db, rows.map((row) => row.id));
  return {
    invoices: rows.map((row) => ({ ...invoiceSummary(row, payments), funder: { id: row.funder_id, name: row.funder_name } })),
    total: Number(count.n),
    unpaid: { invoices: Number(unpaid.n), amountCents: Number(unpaid.cents ?? 0) },
  };
}

/**
 * One invoice with its lines by order, recomputed from the vouchers of its window: a total that
 * no longer matches them is `settlement_integrity_failed`, never printed.
 */
export async function loadFunderInvoice(ctx: AppContext, invoiceId: string, funderId?: string): Promise<FunderInvoiceDocument> {
  if (!isUuid(invoiceId)) throw new DomainError('funder_invoice_unknown');
  let query = ctx.db
    .selectFrom('funder_invoices')
    .innerJoin('organisations', 'organisations.id', 'funder_invoices.funder_id')
    .selectAll('funder_invoices')
    .select('organisations.name')
    .where('funder_invoices.id', '=', invoiceId);
  if (funderId !== undefined) query = query.where('funder_invoices.funder_id', '=', funderId);
  const invoice = await query.executeTakeFirst();
  if (!invoice) throw new DomainError('funder_invoice_unknown');
  const window = await windowOf(ctx.db, ctx, invoice.month);
  const rows = await usedInWindow(ctx.db, window)
    .where('orders.funder_id', '=', invoice.funder_id)
    .select([
      'orders.number',
      'orders.label',
      'orders.commitment_reference',
      'vouchers.face_value_cents',
      sql<number>`count(*)`.as('vouchers'),
      sql<number>`sum(vouchers.face_value_cents)::bigint`.as('amount'),
    ])
    .groupBy(['orders.number', 'orders.label', 'orders.commitment_reference', 'vouchers.face_value_cents'])
    .orderBy('orders.number')
    .orderBy('vouchers.face_value_cents')
    .execute();
  const lines = rows.map((row) => ({
    orderNumber: formatOrderNumber(row.number),
    label: row.label,
    commitmentReference: row.commitment_reference,
    unitCents: row.face_value_cents,
    vouchers: row.vouchers,
    amountCents: row.amount,
  }));
  const total = lines.reduce((sum, line) => sum + line.amountCents, 0);
  if (total !== invoice.amount_cents) {
    ctx.log.error({ invoice: invoice.number, stored: invoice.amount_cents, recomputed: total }, 'funder invoice disagrees with its vouchers');
    throw new DomainError('settlement_integrity_failed');
  }
  const payments = await paymentsOf(ctx.db, [invoice.id]);
  const issuedOn = parisDay(invoice.created_at);
  const { debtor } = ctx.config.money;
  return {
    id: invoice.id,
    number: invoice.number,
    issuedOn,
    dueOn: addDays(issuedOn, FUNDER_INVOICE_TERM_DAYS),
    month: invoice.month,
    funder: { id: invoice.funder_id, ...issuedBuyer(invoice, invoice.name) },
    platform: ctx.config.platform,
    bank: { holder: debtor.name, iban: debtor.iban, bic: debtor.bic },
    lines,
    totalCents: invoice.amount_cents,
    scansUntil: window.until,
    paid: payments.get(invoice.id) ?? null,
  };
}

/**
 * The operator records the funder's transfer for an invoice: the ledger's entry (bank +, funder
 * balance −) and the audit event with the bank reference, in one transaction, once.
 */
export async function recordFunderPayment(ctx: AppContext, actor: Actor, invoiceId: string, reference: string): Promise<{ invoiceId: string; number: string; amountCents: number; entrySeq: number }> {
  const ref = reference.trim();
  if (ref.length === 0 || ref.length > 100) throw new DomainError('funder_payment_reference_required', 'reference');
  if (!isUuid(invoiceId)) throw new DomainError('funder_invoice_unknown');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const invoice = await trx.selectFrom('funder_invoices').selectAll().where('id', '=', invoiceId).forUpdate().executeTakeFirst();
    if (!invoice) throw new DomainError('funder_invoice_unknown');
    // Read under the row's lock: a concurrent recording waits, then sees this one.
    if ((await paymentsOf(trx, [invoice.id])).size > 0) throw new DomainError('funder_invoice_already_paid');
    const entrySeq =
      invoice.amount_cents > 0
        ? await postFunderPayment(trx, { funderId: invoice.funder_id, invoiceNumber: invoice.number, amountCents: invoice.amount_cents }, now)
        : 0;
    await recordAuditEvent(trx, actor, now, {
      action: 'funder_invoice.paid',
      subjectType: 'funder_invoice',
      subjectId: invoice.id,
      after: { number: invoice.number, amountCents: invoice.amount_cents, reference: ref, entrySeq },
    });
    return { invoiceId: invoice.id, number: invoice.number, amountCents: invoice.amount_cents, entrySeq };
  });
}
