import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { IsoDate } from '../../lib/paris-dates.js';
import { reserveDocumentNumbers } from './reserve-numbers.js';

/**
 * The providers' subscription (DOMAIN.md: 7 € HT a month or 77 € HT a year, VAT 20 %, first month
 * free, starting at the first scan), kept simple:
 *
 * - A subscription starts on the service date of the provider's first paid redemption: the monthly
 *   settlement that first pays it creates the `provider_subscriptions` row (plan monthly, unless
 *   the provider chose the yearly plan before). The calendar month of that day is free.
 * - Periods follow each other without gap: the first starts on the first day of the month after
 *   the start; each next one the day after the last invoiced one ends; a monthly period lasts a
 *   calendar month, a yearly one twelve. A plan change applies from the next period.
 * - The settlement of month M invoices every period that has started by the first day of M and is
 *   not invoiced yet (one invoice A-YYYY-NNNNNN per period, VAT rounded half up on the price
 *   excluding VAT), with its ledger entry (subscriptionInvoiceEntry).
 * - A payout deducts the unpaid invoices, oldest first, while what is left of it covers the next
 *   one; the others stay unpaid (`paid_by_payout_id` null) and are carried over to a later payout.
 *   A provider without any payout in a month is not chased: its invoices wait for its next one.
 *
 * The functions below run inside settleMonth's transaction, on its temporary tables
 * (`settle_lines`, `settle_payouts`): set-based SQL, so that 5,000 providers cost a few statements.
 */

export const SUBSCRIPTION_PLANS = ['monthly', 'yearly'] as const;
export type SubscriptionPlan = (typeof SUBSCRIPTION_PLANS)[number];

export interface SubscriptionPrices {
  monthlyCents: number;
  yearlyCents: number;
  vatBp: number;
}

/** Creates the missing subscriptions of the providers paid by this settlement (settle_lines). */
export async function startSubscriptions(trx: Kysely<DB>, now: Date): Promise<number> {
  const result = await sql`
    insert into provider_subscriptions (provider_id, plan, started_on, created_at)
    select l.provider_id, 'monthly', min(l.service_date), ${now}::timestamptz
    from settle_lines l
    where not exists (select 1 from provider_subscriptions s where s.provider_id = l.provider_id)
    group by l.provider_id
    on conflict (provider_id) do nothing`.execute(trx);
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

/** The subscription of a provider, if it has started. */
export async function loadSubscription(db: Kysely<DB>, providerId: string) {
  return db.selectFrom('provider_subscriptions').selectAll().where('provider_id', '=', providerId).executeTakeFirst();
}
