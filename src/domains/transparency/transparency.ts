import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { addMonths, firstDayOfMonth, type IsoDate } from '../../lib/paris-dates.js';
import { territoryOfInseeCode } from '../settlement/fees.js';
import { territoryEntryName } from '../territories/territory.js';

/**
 * What the public may know of where the money of the scheme goes (DOMAIN.md: « the fees are
 * documented and public »): per month and département, the vouchers used, what was paid to the
 * places, the fees taken, and each territorial fund's balance. Aggregates only: no place, no
 * provider, no holder.
 *
 * - Vouchers used: redemptions by their service's month and the département of the place (the
 *   rule of the settlement: settlement/fees.ts territoryOfInseeCode).
 * - Paid to places and fees: the payout lines of the month's settlement (territory = the place's
 *   département, as settled). Fees are taken when a month is settled, whatever happens to the
 *   transfer; a line counts as paid once its transfer is settled (or, rejected, once the payout
 *   that retried it is), or when nothing was to be transferred (the subscription took it all).
 * - Territorial funds: the balance of each territorial_fund account of the ledger (a credit: what
 *   the fund holds).
 */

export interface TransparencyRow {
  /** 'YYYY-MM' */
  month: string;
  /** Département code, or '' when the place has none. */
  territory: string;
  territoryName: string;
  vouchersUsed: number;
  vouchersCents: number;
  paidToPlacesCents: number;
  platformFeeCents: number;
  fundFeeCents: number;
}

export interface TerritorialFund {
  territory: string;
  territoryName: string;
  balanceCents: number;
}

export interface TransparencyReport {
  from: string;
  to: string;
  rows: TransparencyRow[];
  totals: Omit<TransparencyRow, 'month' | 'territory' | 'territoryName'>;
  funds: TerritorialFund[];
}

/** Months covered by default: the current one and the 23 before. */
export const TRANSPARENCY_MONTHS = 24;

export function territoryName(code: string): string {
  if (code === '') return 'Non renseigné';
  return territoryEntryName(`departement:${code}`) ?? code;
}

// Literal SQL, not parameters: the select and the group by must be the same expression.
const serviceMonth = sql<string>`to_char(r.service_date, 'YYYY-MM')`;
const settlementMonth = sql<string>`to_char(s.month, 'YYYY-MM')`;

const n = (value: number | string | null | undefined) => Number(value ?? 0);

export async function loadTransparency(db: Kysely<DB>, today: IsoDate, months = TRANSPARENCY_MONTHS): Promise<TransparencyReport> {
  const to = firstDayOfMonth(today);
  const from = addMonths(to, -(months - 1));
  const until = addMonths(to, 1);
  const rows = new Map<string, TransparencyRow>();
  const row = (month: string, territory: string): TransparencyRow => {
    const key = `${month}|${territory}`;
    let found = rows.get(key);
    if (!found) {
      found = { month, territory, territoryName: territoryName(territory), vouchersUsed: 0, vouchersCents: 0, paidToPlacesCents: 0, platformFeeCents: 0, fundFeeCents: 0 };
      rows.set(key, found);
    }
    return found;
  };

  // By commune first (a few thousand groups at most), then by département here.
  // The place's commune, or its provider's when the place has none: as the settlement decides
  // whose territorial fund a fee goes to.
  const commune = sql<string | null>`coalesce(p.insee_code, pr.insee_code)`;
  const used = await db
    .selectFrom('redemptions as r')
    .innerJoin('places as p', 'p.id', 'r.place_id')
    .innerJoin('providers as pr', 'pr.organisation_id', 'r.provider_id')
    .select((eb) => [
      serviceMonth.as('month'),
      commune.as('insee_code'),
      eb.fn.sum<number | string>('r.voucher_count').as('vouchers'),
      eb.fn.sum<number | string>('r.vouchers_cents').as('cents'),
    ])
    .where('r.service_date', '>=', from)
    .where('r.service_date', '<', until)
    .groupBy([serviceMonth, commune])
    .execute();
  for (const group of used) {
    const target = row(group.month, group.insee_code ? territoryOfInseeCode(group.insee_code) : '');
    target.vouchersUsed += n(group.vouchers);
    target.vouchersCents += n(group.cents);
  }

  const paid = await db
    .selectFrom('payout_lines as l')
    .innerJoin('payouts as p', 'p.id', 'l.payout_id')
    .innerJoin('settlements as s', 's.id', 'p.settlement_id')
    .leftJoin('payouts as retry', 'retry.retries_payout_id', 'p.id')
    .select((eb) => [
      settlementMonth.as('month'),
      'l.territory',
      eb.fn.sum<number | string>('l.platform_fee_cents').as('platform_fee'),
      eb.fn.sum<number | string>('l.fund_fee_cents').as('fund_fee'),
      eb.fn
        .sum<number | string | null>(sql<number>`l.gross_cents - l.platform_fee_cents - l.fund_fee_cents`)
        .filterWhere((w) => w.or([w('p.status', 'in', ['settled', 'nothing_to_pay']), w.and([w('p.status', '=', 'rejected'), w('retry.status', '=', 'settled')])]))
        .as('paid'),
    ])
    .where('s.month', '>=', from)
    .where('s.month', '<', until)
    .groupBy([settlementMonth, 'l.territory'])
    .execute();
  for (const group of paid) {
    const target = row(group.month, group.territory);
    target.paidToPlacesCents += n(group.paid);
    target.platformFeeCents += n(group.platform_fee);
    target.fundFeeCents += n(group.fund_fee);
  }

  const funds = await db
    .selectFrom('ledger_accounts')
    .select(['territory', 'balance_cents'])
    .where('kind', '=', 'territorial_fund')
    .orderBy('territory')
    .execute();

  const sorted = [...rows.values()].sort((a, b) => (a.month === b.month ? a.territory.localeCompare(b.territory) : b.month.localeCompare(a.month)));
  const totals = { vouchersUsed: 0, vouchersCents: 0, paidToPlacesCents: 0, platformFeeCents: 0, fundFeeCents: 0 };
  for (const r of sorted) {
    totals.vouchersUsed += r.vouchersUsed;
    totals.vouchersCents += r.vouchersCents;
    totals.paidToPlacesCents += r.paidToPlacesCents;
    totals.platformFeeCents += r.platformFeeCents;
    totals.fundFeeCents += r.fundFeeCents;
  }
  return {
    from: from.slice(0, 7),
    to: to.slice(0, 7),
    rows: sorted,
    totals,
    funds: funds.map((fund) => ({ territory: fund.territory ?? '', territoryName: territoryName(fund.territory ?? ''), balanceCents: 0 - fund.balance_cents })),
  };
}
