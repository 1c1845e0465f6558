import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { Config } from '../../config.js';
import type { DB, FundingMode, PayoutStatus } from '../../db/schema.js';
import { addMonths, firstDayOfMonth, parisDay, type IsoDate } from '../../lib/paris-dates.js';
import { DomainError } from '../errors.js';
import { formatVoucherSerial } from '../vouchers/codes.js';
import { formatOrderNumber } from '../vouchers/order-model.js';
import { loadFunderBillingDetails, type FunderBillingDetails } from './funder-billing-details.js';
import { invoicesToDeduct } from './fees.js';
import { parseSettlementMonth, requestedOn, scansUntil as graceDayEnd } from './settlement-calendar.js';
import { isUuid } from '../../lib/uuid.js';

/**
 * What the money looks like to those it concerns: a provider's statement of one payout (every
 * service and voucher paid, the fees, the subscription deducted, the transfer), the list of its
 * payouts and what its next transfer will be; a funder's statement of what its vouchers paid in a
 * month. Reads only: the amounts are those the settlement wrote, never computed again, except the
 * next transfer, which is an estimate of what is known so far. Amounts are integer cents.
 */

export type Platform = Config['platform'];

export const PAYOUT_STATUS_LABELS: Record<PayoutStatus, string> = {
  pending: 'En préparation',
  file_generated: 'Ordre de virement préparé',
  sent: 'Transmis à la banque',
  settled: 'Payé',
  rejected: 'Rejeté par la banque',
  nothing_to_pay: 'Aucun virement : rien à payer ce mois-ci',
};


// ---------------------------------------------------------------------------------------------
// Months and dates

/** « 2026-03 » (or « 2026-03-01 ») → '2026-03-01'; anything else is `settlement_month_invalid`. */
export function parseMonth(text: string): IsoDate {
  return parseSettlementMonth(/^\d{4}-\d{2}-01$/u.test(text) ? text.slice(0, 7) : text).firstDay;
}

/**
 * The day transfers for the services of `month` are requested for, as the settlement run at `now`
 * asks the bank (settlement-calendar.ts): the payout day of the next month, never before the run
 * day, never on a week-end.
 */
export function transferDateFor(month: IsoDate, payoutDay: number, now: Date): IsoDate {
  return requestedOn(parseSettlementMonth(month.slice(0, 7)), payoutDay, now);
}

/**
 * Until when scans count for the services of `month`: the settlement's own instant once it ran,
 * otherwise the end of the grace day of the next month (late scans, DOMAIN.md).
 */
export async function scansUntil(db: Kysely<DB>, config: Config, month: IsoDate): Promise<Date> {
  const settlement = await db.selectFrom('settlements').select('scans_until').where('month', '=', month).executeTakeFirst();
  if (settlement) return settlement.scans_until;
  return graceDayEnd(parseSettlementMonth(month.slice(0, 7)), config.money.graceDay);
}

/** Every character but the last four hidden, grouped by four: « **** **** … ***0 189 ». */
export function maskIban(iban: string | null): string | null {
  if (!iban) return null;
  const compact = iban.replace(/\s/gu, '');
  const masked = '*'.repeat(Math.max(compact.length - 4, 0)) + compact.slice(-4);
  return masked.replace(/(.{4})(?=.)/gu, '$1 ');
}

// ---------------------------------------------------------------------------------------------
// A provider's statement

export interface StatementLine {
  serviceDate: IsoDate;
  placeName: string;
  commune: string;
  serviceCode: string;
  serviceLabel: string;
  voucherCount: number;
  /** Printed serials of the vouchers taken (booklet-position), never their codes. */
  vouchers: string[];
  grossCents: number;
  platformFeeCents: number;
  fundFeeCents: number;
}

export interface ProviderStatement {
  payoutId: string;
  statementNumber: string;
  issuedOn: IsoDate;
  /** First day of the month of services settled. */
  month: IsoDate;
  platform: Platform;
  provider: { id: string; name: string; address: string; siret: string | null };
  transfer: {
    netCents: number;
    accountHolder: string | null;
    ibanMasked: string | null;
    status: PayoutStatus;
    requestedOn: IsoDate;
    rejectedReason: string | null;
    endToEndId: string;
  };
  totals: {
    redemptions: number;
    vouchers: number;
    grossCents: number;
    platformFeeCents: number;
    fundFeeCents: number;
    subscriptionCents: number;
    subscriptionInvoices: string[];
    carriedInCents: number;
    /** The statement of the rejected payout paid again here. */
    carriedFrom: string | null;
    netCents: number;
  };
  /** As recorded with the settlement. */
  rates: { platformFeeBp: number; fundFeeBp: number };
  lines: StatementLine[];
}

/** One payout's statement; with `providerId`, another provider's payout is `payout_unknown`. */
export async function loadStatement(ctx: AppContext, payoutId: string, providerId?: string): Promise<ProviderStatement> {
  if (!isUuid(payoutId)) throw new DomainError('payout_unknown');
  const db = ctx.db;
  let query = db
    .selectFrom('payouts')
    .innerJoin('settlements', 'settlements.id', 'payouts.settlement_id')
    .innerJoin('organisations', 'organisations.id', 'payouts.provider_id')
    .innerJoin('providers', 'providers.organisation_id', 'payouts.provider_id')
    .leftJoin('payout_batches', 'payout_batches.id', 'payouts.batch_id')
    .leftJoin('payouts as retried', 'retried.id', 'payouts.retries_payout_id')
    .selectAll('payouts')
    .select([
      'settlements.month',
      'settlements.platform_fee_bp',
      'settlements.fund_fee_bp',
      'organisations.name as provider_name',
      'providers.address',
      'providers.postcode',
      'providers.commune',
      'providers.siret',
      'payout_batches.requested_on',
      'retried.statement_number as retried_statement',
    ])
    .where('payouts.id', '=', payoutId);
  if (providerId !== undefined) query = query.where('payouts.provider_id', '=', providerId);
  const payout = await query.executeTakeFirst();
  if (!payout) throw new DomainError('payout_unknown');

  const [rows, serials, invoices] = await Promise.all([
    db
      .selectFrom('payout_lines')
      .innerJoin('redemptions', 'redemptions.id', 'payout_lines.redemption_id')
      .innerJoin('places', 'places.id', 'redemptions.place_id')
      .leftJoin('referential_services', (join) =>
        join.onRef('referential_services.version', '=', 'redemptions.referential_version').onRef('referential_services.code', '=', 'redemptions.service_code'),
      )
      .select([
        'redemptions.id',
        'redemptions.service_date',
        'redemptions.service_code',
        'redemptions.voucher_count',
        'places.name as place_name',
        'places.commune',
        'referential_services.label as service_label',
        'payout_lines.gross_cents',
        'payout_lines.platform_fee_cents',
        'payout_lines.fund_fee_cents',
      ])
      .where('payout_lines.payout_id', '=', payout.id)
      .orderBy('redemptions.service_date')
      .orderBy('redemptions.created_at')
      .orderBy('redemptions.id')
      .execute(),
    db
      .selectFrom('payout_lines')
      .innerJoin('redemption_vouchers', 'redemption_vouchers.redemption_id', 'payout_lines.redemption_id')
      .innerJoin('vouchers', 'vouchers.id', 'redemption_vouchers.voucher_id')
      .innerJoin('booklets', 'booklets.id', 'vouchers.booklet_id')
      .select(['redemption_vouchers.redemption_id', 'booklets.number', 'vouchers.position'])
      .where('payout_lines.payout_id', '=', payout.id)
      .orderBy('booklets.number')
      .orderBy('vouchers.position')
      .execute(),
    db.selectFrom('subscription_invoices').select('number').where('paid_by_payout_id', '=', payout.id).orderBy('number').execute(),
  ]);
  const serialsOf = new Map<string, string[]>();
  for (const row of serials) {
    const list = serialsOf.get(row.redemption_id) ?? [];
    list.push(formatVoucherSerial(row.number, row.position));
    serialsOf.set(row.redemption_id, list);
  }
  const lines: StatementLine[] = rows.map((row) => ({
    serviceDate: row.service_date,
    placeName: row.place_name,
    commune: row.commune,
    serviceCode: row.service_code,
    serviceLabel: row.service_label ?? row.service_code,
    voucherCount: row.voucher_count,
    vouchers: serialsOf.get(row.id) ?? [],
    grossCents: row.gross_cents,
    platformFeeCents: row.platform_fee_cents,
    fundFeeCents: row.fund_fee_cents,
  }));

  return {
    payoutId: payout.id,
    statementNumber: payout.statement_number,
    issuedOn: parisDay(payout.created_at),
    month: payout.month,
    platform: ctx.config.platform,
    provider: { id: payout.provider_id, name: payout.provider_name, address: `${payout.address}, ${payout.postcode} ${payout.commune}`, siret: payout.siret },
    transfer: {
      netCents: payout.net_cents,
      accountHolder: payout.account_holder,
      ibanMasked: maskIban(payout.iban),
      status: payout.status,
      requestedOn: payout.requested_on ?? transferDateFor(payout.month, ctx.config.money.payoutDay, payout.created_at),
      rejectedReason: payout.rejected_reason,
      endToEndId: payout.end_to_end_id,
    },
    totals: {
      redemptions: lines.length,
      vouchers: lines.reduce((sum, line) => sum + line.voucherCount, 0),
      grossCents: payout.gross_cents,
      platformFeeCents: payout.platform_fee_cents,
      fundFeeCents: payout.fund_fee_cents,
      subscriptionCents: payout.subscription_cents,
      subscriptionInvoices: invoices.map((invoice) => invoice.number),
      carriedInCents: payout.carried_in_cents,
      carriedFrom: payout.retried_statement,
      netCents: payout.net_cents,
    },
    rates: { platformFeeBp: payout.platform_fee_bp, fundFeeBp: payout.fund_fee_bp },
    lines,
  };
}

export interface PayoutSummary {
  id: string;
  statementNumber: string;
  month: IsoDate;
  netCents: number;
  grossCents: number;
  status: PayoutStatus;
  requestedOn: IsoDate;
  rejectedReason: string | null;
}

/** A provider's payouts, the latest month first. */
export async function listProviderPayouts(ctx: AppContext, providerId: string): Promise<PayoutSummary[]> {
  const rows = await ctx.db
    .selectFrom('payouts')
    .innerJoin('settlements', 'settlements.id', 'payouts.settlement_id')
    .leftJoin('payout_batches', 'payout_batches.id', 'payouts.batch_id')
    .select([
      'payouts.id',
      'payouts.created_at',
      'payouts.statement_number',
      'payouts.net_cents',
      'payouts.gross_cents',
      'payouts.status',
      'payouts.rejected_reason',
      'settlements.month',
      'payout_batches.requested_on',
    ])
    .where('payouts.provider_id', '=', providerId)
    .orderBy('settlements.month', 'desc')
    .orderBy('payouts.created_at', 'desc')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    statementNumber: row.statement_number,
    month: row.month,
    netCents: row.net_cents,
    grossCents: row.gross_cents,
    status: row.status,
    requestedOn: row.requested_on ?? transferDateFor(row.month, ctx.config.money.payoutDay, row.created_at),
    rejectedReason: row.rejected_reason,
  }));
}

// ---------------------------------------------------------------------------------------------
// The next transfer

export interface NextTransfer {
  expectedOn: IsoDate;
  /** The month of services it pays (earlier unpaid ones included). */
  month: IsoDate;
  redemptions: number;
  grossCents: number;
  feesCents: number;
  /** A rejected payout paid again (the oldest not yet retried, as the settlement does). */
  carriedInCents: number;
  /** Subscription invoices it will deduct: the oldest first, as long as the amount covers them. */
  subscriptionCents: number;
  subscriptionInvoices: string[];
  /** Subscription invoices left for a later payout. */
  subscriptionCarriedOverCents: number;
  netCents: number;
}

/**
 * The next transfer as known at `now`, by the settlement's own rules (fees.ts, settle-month.ts):
 * its date (the transfer day after the month it pays: last month's while last month is not
 * settled yet), and its amount so far: services not paid yet up to the end of that month, less
 * their fees at today's rates, plus a rejected payout to pay again, less the subscription invoices
 * it covers. Subscriptions the settlement itself will invoice are not known yet.
 */
export async function nextTransfer(ctx: AppContext, providerId: string, now: Date): Promise<NextTransfer> {
  const { payoutDay, platformFeeBp, fundFeeBp } = ctx.config.money;
  const thisMonth = firstDayOfMonth(parisDay(now));
  const lastMonth = addMonths(thisMonth, -1);
  const lastSettled = await ctx.db.selectFrom('settlements').select('id').where('month', '=', lastMonth).where('status', '=', 'done').executeTakeFirst();
  const month = lastSettled ? thisMonth : lastMonth;
  const totalBp = platformFeeBp + fundFeeBp;

  const [services, invoices, rejected] = await Promise.all([
    ctx.db
      .selectFrom('redemptions')
      .select([
        sql<number>`count(*)`.as('redemptions'),
        sql<number>`coalesce(sum(vouchers_cents), 0)::int8`.as('gross'),
        // Rounded half up per redemption, as settle-month.ts does.
        sql<number>`coalesce(sum((vouchers_cents::int8 * ${totalBp}::int8 + 5000) / 10000), 0)::int8`.as('fees'),
      ])
      .where('provider_id', '=', providerId)
      .where('service_date', '<', addMonths(month, 1))
      .where((eb) => eb.not(eb.exists(eb.selectFrom('payout_lines').select('payout_lines.redemption_id').whereRef('payout_lines.redemption_id', '=', 'redemptions.id'))))
      .executeTakeFirstOrThrow(),
    ctx.db
      .selectFrom('subscription_invoices')
      .select(['number', 'amount_incl_vat_cents as amountCents'])
      .where('provider_id', '=', providerId)
      .where('paid_by_payout_id', 'is', null)
      .orderBy('period_start')
      .orderBy('number')
      .execute(),
    ctx.db
      .selectFrom('payouts')
      .select('net_cents')
      .where('provider_id', '=', providerId)
      .where('status', '=', 'rejected')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('payouts as retry').select('retry.id').whereRef('retry.retries_payout_id', '=', 'payouts.id'))))
      .orderBy('created_at')
      .orderBy('statement_number')
      .limit(1)
      .executeTakeFirst(),
  ]);
  const carriedInCents = rejected?.net_cents ?? 0;
  const available = services.gross - services.fees + carriedInCents;
  const deducted = invoicesToDeduct(invoices, available);
  const subscriptionCents = deducted.reduce((sum, invoice) => sum + invoice.amountCents, 0);
  const owed = invoices.reduce((sum, invoice) => sum + invoice.amountCents, 0);
  return {
    expectedOn: transferDateFor(month, payoutDay, now),
    month,
    redemptions: services.redemptions,
    grossCents: services.gross,
    feesCents: services.fees,
    carriedInCents,
    subscriptionCents,
    subscriptionInvoices: deducted.map((invoice) => invoice.number),
    subscriptionCarriedOverCents: owed - subscriptionCents,
    netCents: available - subscriptionCents,
  };
}

// ---------------------------------------------------------------------------------------------
// A funder's month

export interface FunderUsageByOrder {
  orderId: string;
  orderNumber: string;
  label: string | null;
  fundingMode: FundingMode;
  vouchers: number;
  amountCents: number;
}

export interface FunderUsageByPlace {
  placeName: string;
  commune: string;
  postcode: string;
  services: number;
  vouchers: number;
  amountCents: number;
}

export interface FunderUsageByCommune {
  commune: string;
  inseeCode: string | null;
  services: number;
  vouchers: number;
  amountCents: number;
}

export interface FunderMonthlyStatement {
  /** The billing details as they stand when the statement is made (null: none given), printed under the name. */
  funder: { id: string; name: string; billing: FunderBillingDetails | null };
  platform: Platform;
  month: IsoDate;
  issuedOn: IsoDate;
  totals: { services: number; vouchers: number; amountCents: number };
  byOrder: FunderUsageByOrder[];
  byPlace: FunderUsageByPlace[];
  byCommune: FunderUsageByCommune[];
  /** The invoice of the month, for orders billed on use, once issued. */
  invoice: { id: string; number: string; amountCents: number } | null;
}

/** What the funder's vouchers paid for services dated in `month` ('YYYY-MM'), as recorded so far. */
export async function funderMonthlyStatement(ctx: AppContext, funderId: string, month: string): Promise<FunderMonthlyStatement> {
  const first = parseMonth(month);
  const funder = await ctx.db.selectFrom('organisations').select(['id', 'name']).where('id', '=', funderId).where('kind', '=', 'funder').executeTakeFirst();
  if (!funder) throw new DomainError('organisation_unknown');
  const used = ctx.db
    .selectFrom('vouchers')
    .innerJoin('orders', 'orders.id', 'vouchers.order_id')
    .innerJoin('redemptions', 'redemptions.id', 'vouchers.redemption_id')
    .where('orders.funder_id', '=', funderId)
    .where('redemptions.service_date', '>=', first)
    .where('redemptions.service_date', '<', addMonths(first, 1));
  const sums = [
    sql<number>`count(distinct redemptions.id)`.as('services'),
    sql<number>`count(*)`.as('vouchers'),
    sql<number>`sum(vouchers.face_value_cents)::bigint`.as('amount'),
  ] as const;
  const [byOrder, byPlace, invoice, billing] = await Promise.all([
    used
      .select(['orders.id', 'orders.number', 'orders.label', 'orders.funding_mode', ...sums])
      .groupBy(['orders.id', 'orders.number', 'orders.label', 'orders.funding_mode'])
      .orderBy('orders.number')
      .execute(),
    used
      .innerJoin('places', 'places.id', 'redemptions.place_id')
      .select(['places.id', 'places.name', 'places.commune', 'places.postcode', 'places.insee_code', ...sums])
      .groupBy(['places.id', 'places.name', 'places.commune', 'places.postcode', 'places.insee_code'])
      .orderBy('places.commune')
      .orderBy('places.name')
      .orderBy('places.id')
      .execute(),
    ctx.db.selectFrom('funder_invoices').select(['id', 'number', 'amount_cents']).where('funder_id', '=', funderId).where('month', '=', first).executeTakeFirst(),
    loadFunderBillingDetails(ctx, funderId),
  ]);
  const communes = new Map<string, FunderUsageByCommune>();
  for (const place of byPlace) {
    const key = `${place.insee_code ?? ''}|${place.commune}`;
    const entry = communes.get(key) ?? { commune: place.commune, inseeCode: place.insee_code, services: 0, vouchers: 0, amountCents: 0 };
    entry.services += place.services;
    entry.vouchers += place.vouchers;
    entry.amountCents += place.amount;
    communes.set(key, entry);
  }
  const totals = { services: 0, vouchers: 0, amountCents: 0 };
  for (const order of byOrder) {
    totals.vouchers += order.vouchers;
    totals.amountCents += order.amount;
  }
  // A service paid with vouchers of two orders counts once.
  const services = await used.select(sql<number>`count(distinct redemptions.id)`.as('services')).executeTakeFirstOrThrow();
  totals.services = services.services;
  return {
    funder: { id: funder.id, name: funder.name, billing },
    platform: ctx.config.platform,
    month: first,
    issuedOn: parisDay(ctx.clock.now()),
    totals,
    byOrder: byOrder.map((row) => ({
      orderId: row.id,
      orderNumber: formatOrderNumber(row.number),
      label: row.label,
      fundingMode: row.funding_mode,
      vouchers: row.vouchers,
      amountCents: row.amount,
    })),
    byPlace: byPlace.map((row) => ({ placeName: row.name, commune: row.commune, postcode: row.postcode, services: row.services, vouchers: row.vouchers, amountCents: row.amount })),
    byCommune: [...communes.values()],
    invoice: invoice ? { id: invoice.id, number: invoice.number, amountCents: invoice.amount_cents } : null,
  };
}

export interface FunderMonthSummary {
  month: IsoDate;
  services: number;
  vouchers: number;
  amountCents: number;
}

/** The months in which the funder's vouchers paid services, the latest first. */
export async function listFunderStatementMonths(ctx: AppContext, funderId: string): Promise<FunderMonthSummary[]> {
  const rows = await ctx.db
    .selectFrom('vouchers')
    .innerJoin('orders', 'orders.id', 'vouchers.order_id')
    .innerJoin('redemptions', 'redemptions.id', 'vouchers.redemption_id')
    .where('orders.funder_id', '=', funderId)
    .select([
      sql<string>`to_char(redemptions.service_date, 'YYYY-MM-01')`.as('month'),
      sql<number>`count(distinct redemptions.id)`.as('services'),
      sql<number>`count(*)`.as('vouchers'),
      sql<number>`sum(vouchers.face_value_cents)::bigint`.as('amount'),
    ])
    .groupBy(sql`to_char(redemptions.service_date, 'YYYY-MM-01')`)
    .orderBy(sql`to_char(redemptions.service_date, 'YYYY-MM-01')`, 'desc')
    .execute();
  return rows.map((row) => ({ month: row.month, services: row.services, vouchers: row.vouchers, amountCents: row.amount }));
}
