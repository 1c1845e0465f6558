import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DB } from '../../db/schema.js';

/**
 * The checks a settlement runs before it pays anything, inside its transaction (a failure rolls
 * everything back): money must agree with the vouchers it comes from.
 *
 * - Every redemption about to be paid (settle_lines) is worth the face value of its vouchers, and
 *   has as many vouchers as it says.
 * - Every payout still open (not settled by the bank) totals its lines, and each of its lines is
 *   worth its redemption. Settled payouts are closed: their lines are append-only and were checked
 *   while they were open.
 * - The payouts the settlement writes total their lines, and every redemption taken has its line.
 *
 * Aggregates per payout go through payout_lines' index on the payout, whatever the statistics.
 */

export interface IntegrityProblem {
  kind: 'redemption_vouchers' | 'payout_lines' | 'line_redemption';
  id: string;
}

const SAMPLE = 20;

/** Redemptions of settle_lines whose amount or voucher count disagrees with their vouchers. */
export async function checkRedemptionsToPay(trx: Kysely<DB>): Promise<IntegrityProblem[]> {
  const { rows } = await sql<{ id: string }>`
    select l.redemption_id as id
    from settle_lines l
    left join (
      select rv.redemption_id, sum(v.face_value_cents)::int8 as cents, count(*)::int8 as vouchers
      from settle_lines x
      join redemption_vouchers rv on rv.redemption_id = x.redemption_id
      join vouchers v on v.id = rv.voucher_id
      group by rv.redemption_id
    ) v on v.redemption_id = l.redemption_id
    where v.cents is distinct from l.gross_cents::int8 or v.vouchers is distinct from l.voucher_count::int8
    limit ${SAMPLE}`.execute(trx);
  return rows.map((row) => ({ kind: 'redemption_vouchers' as const, id: row.id }));
}

/**
 * Payouts still open before this settlement writes its own (not settled by the bank) whose totals
 * disagree with their lines, or whose lines disagree with their redemptions.
 */
export async function checkOpenPayouts(trx: Kysely<DB>): Promise<IntegrityProblem[]> {
  const { rows: payouts } = await sql<{ id: string }>`
    select p.id
    from payouts p
    cross join lateral (
      select coalesce(sum(pl.gross_cents), 0)::int8 as gross, coalesce(sum(pl.platform_fee_cents), 0)::int8 as platform,
             coalesce(sum(pl.fund_fee_cents), 0)::int8 as fund
      from payout_lines pl where pl.payout_id = p.id
    ) s
    where p.status <> 'settled'
      and (s.gross <> p.gross_cents or s.platform <> p.platform_fee_cents or s.fund <> p.fund_fee_cents
           or p.net_cents <> p.gross_cents - p.platform_fee_cents - p.fund_fee_cents - p.subscription_cents + p.carried_in_cents)
    limit ${SAMPLE}`.execute(trx);
  const { rows: lines } = await sql<{ id: string }>`
    select pl.redemption_id as id
    from payouts p
    join payout_lines pl on pl.payout_id = p.id
    join redemptions r on r.id = pl.redemption_id
    where p.status <> 'settled' and (r.vouchers_cents <> pl.gross_cents or r.provider_id <> p.provider_id)
    limit ${SAMPLE}`.execute(trx);
  return [...payouts.map((row) => ({ kind: 'payout_lines' as const, id: row.id })), ...lines.map((row) => ({ kind: 'line_redemption' as const, id: row.id }))];
}

/**
 * The payouts this settlement has just written (settle_payout_ids) against their lines: each one's
 * totals, and every redemption of settle_lines paid by exactly one line.
 */
export async function checkNewPayouts(trx: Kysely<DB>): Promise<IntegrityProblem[]> {
  const { rows: payouts } = await sql<{ id: string }>`
    select p.id
    from settle_payout_ids n
    join payouts p on p.id = n.payout_id
    cross join lateral (
      select coalesce(sum(pl.gross_cents), 0)::int8 as gross, coalesce(sum(pl.platform_fee_cents), 0)::int8 as platform,
             coalesce(sum(pl.fund_fee_cents), 0)::int8 as fund
      from payout_lines pl where pl.payout_id = p.id
    ) s
    where s.gross <> p.gross_cents or s.platform <> p.platform_fee_cents or s.fund <> p.fund_fee_cents
    limit ${SAMPLE}`.execute(trx);
  const { rows: counts } = await sql<{ lines: number; paid: number }>`
    select (select count(*) from settle_lines)::int8 as lines,
           (select count(*) from settle_payout_ids n join payout_lines pl on pl.payout_id = n.payout_id)::int8 as paid`.execute(trx);
  const problems = payouts.map((row) => ({ kind: 'payout_lines' as const, id: row.id }));
  if (counts[0]!.lines !== counts[0]!.paid) problems.push({ kind: 'payout_lines', id: 'settle_lines' });
  return problems;
}
