import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { DB } from '../../db/schema.js';
import { addDays, addMonths, firstDayOfMonth, parisDay, type IsoDate } from '../../lib/paris-dates.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { withVat } from './fees.js';
import { reserveDocumentNumbers } from './reserve-numbers.js';
import { SETTLEMENT_LOCK } from './settlement-lock.js';
import type { Platform } from './statements.js';
import { isUuid } from '../../lib/uuid.js';

/**
 * The providers' subscription (DOMAIN.md: 7 € HT a month or 77 € HT a year, VAT 20 %, first month
 * free, starting at the first scan), kept simple:
 *
 * - A subscription starts on the service date of the provider's first redemption. The monthly
 *   settlement that first pays it creates the `provider_subscriptions` row (plan monthly), unless
 *   the provider chose its plan before: the choice creates the same row (chooseSubscriptionPlan).
 *   The calendar month of that day is free.
 * - Periods follow each other without gap: the first starts on the first day of the month after
 *   the start; each next one the day after the last invoiced one ends; a monthly period lasts a
 *   calendar month, a yearly one twelve.
 * - The settlement of month M invoices every period that has started by the first day of M and is
 *   not invoiced yet (one invoice A-YYYY-NNNNNN per period, VAT rounded half up on the price
 *   excluding VAT), with its ledger entry (subscriptionInvoiceEntry).
 * - A payout deducts the unpaid invoices, oldest first, while what is left of it covers the next
 *   one; the others stay unpaid (`paid_by_payout_id` null) and are carried over to a later payout.
 *   A provider without any payout in a month is not chased: its invoices wait for its next one.
 *
 * The plan (chooseSubscriptionPlan): `provider_subscriptions.plan` is the plan of the next period
 * not invoiced yet, and of the ones after it. A provider admin may change it at any time from the
 * first scan on; an invoiced period never changes and is never refunded: a yearly period invoiced
 * runs to its end, and the new plan starts the day after. Before the first scan, the choice is a row
 * with the plan alone (`started_on` null, migration 0008), never invoiced; the first settlement that
 * pays the provider sets its start. Without any choice the monthly plan applies. A change takes
 * the settlement's lock shared, so that it never slips between a running settlement's reading of
 * the plans and its commit.
 *
 * The settlement functions below run inside settleMonth's transaction, on its temporary tables
 * (`settle_lines`, `settle_payouts`): set-based SQL, so that 5,000 providers cost a few statements.
 */

export const SUBSCRIPTION_PLANS = ['monthly', 'yearly'] as const;
export type SubscriptionPlan = (typeof SUBSCRIPTION_PLANS)[number];

export interface SubscriptionPrices {
  monthlyCents: number;
  yearlyCents: number;
  vatBp: number;
}

/**
 * Starts the subscriptions of the providers paid by this settlement (settle_lines) that have none,
 * or only a plan chosen before their first scan: at the day of their first scan (a provider never
 * paid before has all its scans in settle_lines).
 */
export async function startSubscriptions(trx: Kysely<DB>, now: Date): Promise<number> {
  const result = await sql`
    insert into provider_subscriptions (provider_id, plan, started_on, created_at)
    select l.provider_id, 'monthly', min(l.service_date), ${now}::timestamptz
    from settle_lines l
    where not exists (select 1 from provider_subscriptions s where s.provider_id = l.provider_id and s.started_on is not null)
    group by l.provider_id
    on conflict (provider_id) do update set started_on = excluded.started_on
      where provider_subscriptions.started_on is null`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

export interface IssuedInvoice {
  id: string;
  providerId: string;
  number: string;
  periodStart: IsoDate;
  excludingVatCents: number;
  vatCents: number;
}

/**
 * Invoices every due period up to `monthFirstDay` (the settled month) and numbers them in one
 * block. Returns the invoices created, in number order: the caller writes their ledger entries
 * (subscriptionInvoiceEntry) in the same transaction.
 */
export async function invoiceDueSubscriptions(
  trx: Kysely<DB>,
  input: { monthFirstDay: IsoDate; monthLastDay: IsoDate; prices: SubscriptionPrices; year: number; now: Date },
): Promise<IssuedInvoice[]> {
  const { prices } = input;
  await sql`
    create temp table settle_invoices on commit drop as
    with subscriptions as (
      select s.provider_id, s.plan,
             coalesce(
               (select max(i.period_end) + 1 from subscription_invoices i where i.provider_id = s.provider_id),
               (date_trunc('month', s.started_on::timestamp) + interval '1 month')::date
             ) as next_start
      from provider_subscriptions s
      where s.started_on <= ${input.monthLastDay}::date
    )
    select s.provider_id, o.name as provider_name, p.start::date as period_start,
           (p.start + case when s.plan = 'yearly' then interval '12 months' else interval '1 month' end - interval '1 day')::date as period_end,
           case when s.plan = 'yearly' then ${prices.yearlyCents}::int else ${prices.monthlyCents}::int end as excl_vat
    from subscriptions s
    join organisations o on o.id = s.provider_id
    cross join lateral generate_series(
      s.next_start::timestamp,
      ${input.monthFirstDay}::date::timestamp,
      case when s.plan = 'yearly' then interval '12 months' else interval '1 month' end
    ) as p(start)`.execute(trx);
  await sql`delete from settle_invoices where excl_vat <= 0`.execute(trx);
  const { rows: counted } = await sql<{ n: number }>`select count(*)::int8 as n from settle_invoices`.execute(trx);
  const count = counted[0]!.n;
  if (count === 0) return [];
  const first = await reserveDocumentNumbers(trx, 'subscription_invoice', input.year, count);
  const { rows } = await sql<{ id: string; provider_id: string; number: string; period_start: string; amount_excl_vat_cents: number; vat_cents: number }>`
    insert into subscription_invoices (provider_id, number, period_start, period_end, amount_excl_vat_cents, vat_cents, amount_incl_vat_cents, created_at)
    select provider_id,
           'A-' || ${String(input.year)}::text || '-' || lpad(n::text, greatest(6, length(n::text)), '0'),
           period_start, period_end, excl_vat, vat, excl_vat + vat, ${input.now}::timestamptz
    from (
      select i.*, (i.excl_vat * ${prices.vatBp}::int8 + 5000) / 10000 as vat,
             ${first - 1}::int8 + row_number() over (order by i.provider_name, i.provider_id, i.period_start) as n
      from settle_invoices i
    ) numbered
    returning id, provider_id, number, period_start, amount_excl_vat_cents, vat_cents`.execute(trx);
  rows.sort((a, b) => (a.number < b.number ? -1 : 1));
  return rows.map((row) => ({
    id: row.id,
    providerId: row.provider_id,
    number: row.number,
    periodStart: row.period_start,
    excludingVatCents: row.amount_excl_vat_cents,
    vatCents: row.vat_cents,
  }));
}

/**
 * Decides what each payout of the settlement deducts (fees.ts invoicesToDeduct, in SQL: a running
 * sum of the unpaid invoices, oldest first, kept while it stays within gross − fees + carried in)
 * and writes it into settle_payouts.subscription_cents. The invoices taken are in settle_deductions.
 */
export async function deductSubscriptions(trx: Kysely<DB>): Promise<void> {
  await sql`
    create temp table settle_deductions on commit drop as
    select d.invoice_id, d.provider_id, d.amount_cents
    from (
      select i.id as invoice_id, i.provider_id, i.amount_incl_vat_cents::int8 as amount_cents,
             sum(i.amount_incl_vat_cents::int8) over (partition by i.provider_id order by i.period_start, i.number rows unbounded preceding) as running,
             p.gross_cents - p.platform_fee_cents - p.fund_fee_cents + p.carried_in_cents as available
      from subscription_invoices i
      join settle_payouts p on p.provider_id = i.provider_id
      where i.paid_by_payout_id is null
    ) d
    where d.running <= d.available`.execute(trx);
  await sql`
    update settle_payouts p set subscription_cents = d.total
    from (select provider_id, sum(amount_cents)::int8 as total from settle_deductions group by provider_id) d
    where d.provider_id = p.provider_id`.execute(trx);
}

/** Marks the deducted invoices as paid by the payout of their provider in this settlement (settle_payout_ids). */
export async function markDeductedInvoices(trx: Kysely<DB>): Promise<void> {
  await sql`
    update subscription_invoices i set paid_by_payout_id = p.payout_id
    from settle_deductions d
    join settle_payout_ids p on p.provider_id = d.provider_id
    where i.id = d.invoice_id and i.paid_by_payout_id is null`.execute(trx);
}

// ---------------------------------------------------------------------------------------------
// The plan: the provider's choice, and what its page shows

export function isSubscriptionPlan(value: unknown): value is SubscriptionPlan {
  return typeof value === 'string' && (SUBSCRIPTION_PLANS as readonly string[]).includes(value);
}

/** The first period: the first day of the month after the start (the start's month is free). */
export function firstPeriodStart(startedOn: IsoDate): IsoDate {
  return addMonths(firstDayOfMonth(startedOn), 1);
}

/** A period of `plan` from `start` (a first of the month), as invoiceDueSubscriptions writes it. */
export function periodOf(plan: SubscriptionPlan, start: IsoDate): { start: IsoDate; end: IsoDate } {
  return { start, end: addDays(addMonths(start, plan === 'yearly' ? 12 : 1), -1) };
}

/** The plan an invoiced period was charged with, from its length (invoices do not store it). */
export function planOfPeriod(start: IsoDate, end: IsoDate): SubscriptionPlan {
  return end >= periodOf('yearly', start).end ? 'yearly' : 'monthly';
}

/** The start of the next period not invoiced yet, by the rule of invoiceDueSubscriptions; null before the first scan. */
async function nextUninvoicedStart(db: Kysely<DB>, providerId: string, startedOn: IsoDate | null): Promise<IsoDate | null> {
  if (startedOn === null) return null;
  const { rows } = await sql<{ last: IsoDate | null }>`
    select max(period_end) as last from subscription_invoices where provider_id = ${providerId}::uuid`.execute(db);
  const last = rows[0]?.last ?? null;
  return last ? addDays(last, 1) : firstPeriodStart(startedOn);
}

export interface PlanChoice {
  /** False when the plan was already this one: nothing written. */
  changed: boolean;
  plan: SubscriptionPlan;
  /** The first day of the first period charged with this plan; null before the first scan (the first period invoiced). */
  appliesFrom: IsoDate | null;
}

/**
 * A provider admin chooses the plan of the periods not invoiced yet (see the rules at the top),
 * before the first scan too. Refused while a settlement runs (settlement_in_progress); recorded in
 * the journal with the period it applies from.
 */
export async function chooseSubscriptionPlan(ctx: AppContext, actor: Actor, providerId: string, plan: string): Promise<PlanChoice> {
  if (!isSubscriptionPlan(plan)) throw new DomainError('subscription_plan_invalid', 'plan');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const { rows: lock } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock_shared(hashtext(${SETTLEMENT_LOCK})) as locked`.execute(trx);
    if (!lock[0]?.locked) throw new DomainError('settlement_in_progress');
    // The row the settlement that first pays the provider would create (startSubscriptions): the
    // subscription starts at the first scan, whether or not a settlement has paid it yet.
    await sql`
      insert into provider_subscriptions (provider_id, plan, started_on, created_at)
      select ${providerId}::uuid, 'monthly', min(r.service_date), ${now}::timestamptz
      from redemptions r
      where r.provider_id = ${providerId}::uuid
      having count(*) > 0
      on conflict (provider_id) do update set started_on = excluded.started_on
        where provider_subscriptions.started_on is null`.execute(trx);
    const subscription = await trx
      .selectFrom('provider_subscriptions')
      .select(['plan', 'started_on'])
      .where('provider_id', '=', providerId)
      .forUpdate()
      .executeTakeFirst();
    // Before the first scan and any choice, the monthly plan applies; choosing it writes nothing.
    const current = subscription?.plan ?? 'monthly';
    const appliesFrom = await nextUninvoicedStart(trx, providerId, subscription?.started_on ?? null);
    if (current === plan) return { changed: false, plan, appliesFrom };
    if (subscription) {
      await trx.updateTable('provider_subscriptions').set({ plan }).where('provider_id', '=', providerId).where('plan', '=', current).execute();
    } else {
      // The plan alone, until the first scan (migration 0008); two first choices at once: the last one stays, both journaled.
      await trx
        .insertInto('provider_subscriptions')
        .values({ provider_id: providerId, plan, started_on: null, created_at: now })
        .onConflict((oc) => oc.column('provider_id').doUpdateSet({ plan }))
        .execute();
    }
    await recordAuditEvent(trx, actor, now, {
      action: 'subscription.plan_chosen',
      subjectType: 'provider_subscription',
      subjectId: providerId,
      before: { plan: current },
      after: { plan, appliesFrom },
    });
    return { changed: true, plan, appliesFrom };
  });
}

export interface PlanPrice {
  excludingVatCents: number;
  vatCents: number;
  includingVatCents: number;
}

export interface SubscriptionInvoiceView {
  id: string;
  number: string;
  periodStart: IsoDate;
  periodEnd: IsoDate;
  plan: SubscriptionPlan;
  excludingVatCents: number;
  vatCents: number;
  includingVatCents: number;
  /** The statement of the payout that deducted it; null while carried over. */
  deductedBy: string | null;
}

export type SubscriptionOverview =
  | {
      status: 'not_started';
      prices: Record<SubscriptionPlan, PlanPrice>;
      /** The plan chosen ahead, or the monthly one: it applies from the first period invoiced. */
      plan: SubscriptionPlan;
    }
  | {
      status: 'started';
      prices: Record<SubscriptionPlan, PlanPrice>;
      /** The plan of the next period not invoiced yet (and the ones after it). */
      plan: SubscriptionPlan;
      /** The service date of the first scan; its month is free. */
      startedOn: IsoDate;
      /** The invoiced period that covers today, if any. */
      current: SubscriptionInvoiceView | null;
      /** The next period not invoiced yet: invoiced by the settlement of its first month, at today's prices. */
      next: { start: IsoDate; end: IsoDate; plan: SubscriptionPlan; price: PlanPrice };
      /** Newest first. */
      invoices: SubscriptionInvoiceView[];
    };

/** A provider's subscription as its page shows it on `today` (a Paris day). */
export async function loadSubscriptionOverview(ctx: AppContext, providerId: string, today: IsoDate): Promise<SubscriptionOverview> {
  const money = ctx.config.money;
  const prices = { monthly: withVat(money.subscriptionMonthlyCents, money.vatBp), yearly: withVat(money.subscriptionYearlyCents, money.vatBp) };
  const [row, firstScan, invoiceRows] = await Promise.all([
    ctx.db.selectFrom('provider_subscriptions').select(['plan', 'started_on']).where('provider_id', '=', providerId).executeTakeFirst(),
    ctx.db.selectFrom('redemptions').select(sql<IsoDate | null>`min(service_date)`.as('day')).where('provider_id', '=', providerId).executeTakeFirst(),
    ctx.db
      .selectFrom('subscription_invoices as i')
      .leftJoin('payouts as p', 'p.id', 'i.paid_by_payout_id')
      .select(['i.id', 'i.number', 'i.period_start', 'i.period_end', 'i.amount_excl_vat_cents', 'i.vat_cents', 'i.amount_incl_vat_cents', 'p.statement_number'])
      .where('i.provider_id', '=', providerId)
      .orderBy('i.period_start', 'desc')
      .orderBy('i.number', 'desc')
      .execute(),
  ]);
  // Before the first settlement, the row does not exist yet: the first scan gives the start.
  const startedOn = row?.started_on ?? firstScan?.day ?? null;
  const plan = row?.plan ?? 'monthly';
  if (!startedOn) return { status: 'not_started', prices, plan };
  const invoices: SubscriptionInvoiceView[] = invoiceRows.map((invoice) => ({
    id: invoice.id,
    number: invoice.number,
    periodStart: invoice.period_start,
    periodEnd: invoice.period_end,
    plan: planOfPeriod(invoice.period_start, invoice.period_end),
    excludingVatCents: invoice.amount_excl_vat_cents,
    vatCents: invoice.vat_cents,
    includingVatCents: invoice.amount_incl_vat_cents,
    deductedBy: invoice.statement_number,
  }));
  const lastEnd = invoices.reduce<IsoDate | null>((last, invoice) => (last === null || invoice.periodEnd > last ? invoice.periodEnd : last), null);
  const nextStart = lastEnd ? addDays(lastEnd, 1) : firstPeriodStart(startedOn);
  return {
    status: 'started',
    prices,
    plan,
    startedOn,
    current: invoices.find((invoice) => invoice.periodStart <= today && today <= invoice.periodEnd) ?? null,
    next: { ...periodOf(plan, nextStart), plan, price: prices[plan] },
    invoices,
  };
}

// ---------------------------------------------------------------------------------------------
// One invoice, as its PDF prints it

export interface SubscriptionInvoiceDocument {
  id: string;
  number: string;
  issuedOn: IsoDate;
  periodStart: IsoDate;
  periodEnd: IsoDate;
  plan: SubscriptionPlan;
  provider: { id: string; name: string; address: string; siret: string | null };
  platform: Platform;
  excludingVatCents: number;
  /** The rate recorded by the settlement that issued the invoice, not today's setting. */
  vatBp: number;
  vatCents: number;
  includingVatCents: number;
  /** The payout whose transfer it was deducted from; null while carried over. */
  deductedFrom: { statementNumber: string; month: IsoDate } | null;
}


/**
 * One subscription invoice, for its PDF: the amounts stored, the provider it is addressed to and
 * the payout that deducted it. Another provider's invoice is unknown, as one that does not exist
 * (subscription_invoice_unknown, 404). Stored amounts that disagree with each
 * other or with the rate of their settlement are `settlement_integrity_failed`, never printed.
 */
export async function loadSubscriptionInvoice(ctx: AppContext, invoiceId: string, providerId?: string): Promise<SubscriptionInvoiceDocument> {
  if (!isUuid(invoiceId)) throw new DomainError('subscription_invoice_unknown');
  let query = ctx.db
    .selectFrom('subscription_invoices as i')
    .innerJoin('organisations as o', 'o.id', 'i.provider_id')
    .innerJoin('providers as p', 'p.organisation_id', 'i.provider_id')
    .leftJoin('payouts as pay', 'pay.id', 'i.paid_by_payout_id')
    .leftJoin('settlements as s', 's.id', 'pay.settlement_id')
    .selectAll('i')
    .select(['o.name', 'p.address', 'p.postcode', 'p.commune', 'p.siret', 'pay.statement_number', 's.month as payout_month'])
    .where('i.id', '=', invoiceId);
  if (providerId !== undefined) query = query.where('i.provider_id', '=', providerId);
  const invoice = await query.executeTakeFirst();
  if (!invoice) throw new DomainError('subscription_invoice_unknown');
  const vatBp = await vatRateOf(ctx.db, invoice.created_at);
  const expected = vatBp === null ? null : withVat(invoice.amount_excl_vat_cents, vatBp);
  if (vatBp === null || expected?.vatCents !== invoice.vat_cents || expected.includingVatCents !== invoice.amount_incl_vat_cents) {
    ctx.log.error({ invoice: invoice.number, vatBp, stored: [invoice.amount_excl_vat_cents, invoice.vat_cents, invoice.amount_incl_vat_cents] }, 'subscription invoice disagrees with its VAT');
    throw new DomainError('settlement_integrity_failed');
  }
  return {
    id: invoice.id,
    number: invoice.number,
    issuedOn: parisDay(invoice.created_at),
    periodStart: invoice.period_start,
    periodEnd: invoice.period_end,
    plan: planOfPeriod(invoice.period_start, invoice.period_end),
    provider: { id: invoice.provider_id, name: invoice.name, address: `${invoice.address}, ${invoice.postcode} ${invoice.commune}`, siret: invoice.siret },
    platform: ctx.config.platform,
    excludingVatCents: invoice.amount_excl_vat_cents,
    vatBp,
    vatCents: invoice.vat_cents,
    includingVatCents: invoice.amount_incl_vat_cents,
    deductedFrom: invoice.statement_number && invoice.payout_month ? { statementNumber: invoice.statement_number, month: invoice.payout_month } : null,
  };
}

/**
 * The VAT rate of the settlement that issued an invoice: invoices are written with the settlement's
 * own instant (invoiceDueSubscriptions), so it is the last one started by then. Null if none was.
 */
async function vatRateOf(db: Kysely<DB>, issuedAt: Date): Promise<number | null> {
  const row = await db.selectFrom('settlements').select('vat_bp').where('started_at', '<=', issuedAt).orderBy('started_at', 'desc').limit(1).executeTakeFirst();
  return row?.vat_bp ?? null;
}
