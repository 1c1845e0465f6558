import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { DB } from '../../db/schema.js';
import { parisDay } from '../../lib/paris-dates.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { payoutEntry, subscriptionInvoiceEntry } from '../ledger/money-events.js';
import { postEntries, type NewEntry } from '../ledger/post-entry.js';
import { checkNewPayouts, checkOpenPayouts, checkRedemptionsToPay, type IntegrityProblem } from './integrity.js';
import { reserveDocumentNumbers } from './reserve-numbers.js';
import { buildPain001 } from './sepa.js';
import { parseSettlementMonth, requestedOn, scansUntil, shiftMonth, type SettlementMonth } from './settlement-calendar.js';
import { SETTLEMENT_LOCK } from './settlement-lock.js';
import { loadSettlementSummary, type SettlementSummary } from './settlement-views.js';
import { deductSubscriptions, invoiceDueSubscriptions, markDeductedInvoices, startSubscriptions } from './subscriptions.js';

/**
 * The monthly counter-payment of month M (`npx passnum settle`, the monthly job, the operator's
 * page). Every redemption is paid exactly once:
 *
 * - It takes every redemption dated up to the end of M (Paris days) and recorded before the end of
 *   the grace day of M + 1 that no payout line pays yet: late scans of an earlier month that missed
 *   its settlement are paid now. M cannot be settled before that instant.
 * - One transaction under an advisory lock; after the lock, the month is read again, and an existing
 *   settlement is returned unchanged: running it twice, or concurrently, pays once. The unique month
 *   of `settlements` and the primary key of `payout_lines` (one line per redemption) are the last
 *   guards.
 * - Fees per redemption (fees.ts, here in SQL), rates recorded in the settlement row. Per provider:
 *   gross, fees, subscription deducted (subscriptions.ts), a rejected earlier payout carried in once
 *   (the oldest not yet retried), and the net. Statement numbers R-YYYY-NNNNNN are gapless, in the
 *   order of the providers' names, with the year of the run.
 * - Integrity checks (integrity.ts) before anything is paid; a failure writes nothing.
 * - The ledger entries (invoices, payouts) in the same transaction.
 * - Payouts with something to pay and an IBAN (and the pending ones of earlier months whose
 *   provider has given an IBAN since) go into one SEPA pain.001 batch; the others stay pending
 *   (no IBAN) or have nothing to pay.
 *
 * The heavy work is set-based SQL on temporary tables (settle_lines: one row per redemption paid;
 * settle_payouts: one per provider), so that a million redemptions never cross into JavaScript.
 */

export type SettlementStage = 'collect' | 'integrity' | 'subscriptions' | 'payouts' | 'ledger' | 'bank_file' | 'done';

/** Progress of a run, for the command line's bar: `done` of `total` in this stage. */
export type SettlementProgress = (done: number, total: number, stage: SettlementStage) => void;

export interface SettleMonthInput {
  /** 'YYYY-MM' */
  month: string;
  onProgress?: SettlementProgress | undefined;
}

export interface SettleMonthResult {
  /** False when the month was settled already: nothing was done. */
  created: boolean;
  settlement: SettlementSummary;
}

export async function settleMonth(ctx: AppContext, actor: Actor, input: SettleMonthInput): Promise<SettleMonthResult> {
  const month = parseSettlementMonth(input.month);
  const now = ctx.clock.now();
  const until = scansUntil(month, ctx.config.money.graceDay);
  if (now < until) throw new DomainError('settlement_month_not_over', 'month');
  const progress: SettlementProgress = input.onProgress ?? (() => undefined);

  if (await findSettlement(ctx.db, month)) return { created: false, settlement: await loadSettlementSummary(ctx.db, month.month) };

  const created = await ctx.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${SETTLEMENT_LOCK}))`.execute(trx);
    // Read again under the lock: a concurrent run may have settled the month while we waited.
    if (await findSettlement(trx, month)) return false;
    await sql`set local work_mem = '128MB'`.execute(trx);
    await runSettlement(ctx, trx, actor, { month, until, now, progress });
    return true;
  });
  const settlement = await loadSettlementSummary(ctx.db, month.month);
  progress(1, 1, 'done');
  return { created, settlement };
}

async function findSettlement(db: Kysely<DB>, month: SettlementMonth): Promise<string | undefined> {
  const row = await db.selectFrom('settlements').select('id').where('month', '=', month.firstDay).executeTakeFirst();
  return row?.id;
}

interface Run {
  month: SettlementMonth;
  until: Date;
  now: Date;
  progress: SettlementProgress;
}

async function runSettlement(ctx: AppContext, trx: Kysely<DB>, actor: Actor, run: Run): Promise<void> {
  const { month, until, now, progress } = run;
  const money = ctx.config.money;
  const year = Number(parisDay(now).slice(0, 4));
  const bookedOn = parisDay(now);

  const settlement = await trx
    .insertInto('settlements')
    .values({
      month: month.firstDay,
      platform_fee_bp: money.platformFeeBp,
      fund_fee_bp: money.fundFeeBp,
      scans_until: until,
      subscription_monthly_cents: money.subscriptionMonthlyCents,
      subscription_yearly_cents: money.subscriptionYearlyCents,
      vat_bp: money.vatBp,
      status: 'running',
      started_by: actor.userId,
      started_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const settlementId = settlement.id;

  progress(0, 1, 'collect');
  await collectLines(trx, month, until, { platformFeeBp: money.platformFeeBp, fundFeeBp: money.fundFeeBp });
  progress(1, 1, 'collect');

  progress(0, 2, 'integrity');
  refuseOnProblems(ctx, month, await checkRedemptionsToPay(trx));
  progress(1, 2, 'integrity');
  refuseOnProblems(ctx, month, await checkOpenPayouts(trx));
  progress(2, 2, 'integrity');

  await collectProviders(trx);

  progress(0, 1, 'subscriptions');
  await startSubscriptions(trx, now);
  const invoices = await invoiceDueSubscriptions(trx, {
    monthFirstDay: month.firstDay,
    monthLastDay: month.lastDay,
    prices: { monthlyCents: money.subscriptionMonthlyCents, yearlyCents: money.subscriptionYearlyCents, vatBp: money.vatBp },
    year,
    now,
  });
  await deductSubscriptions(trx);
  progress(1, 1, 'subscriptions');

  progress(0, 1, 'payouts');
  await writePayouts(trx, { settlementId, month, year, now });
  await markDeductedInvoices(trx);
  // Pending payouts of earlier months whose provider has given its IBAN since join this batch.
  await sql`
    update payouts p set iban = pr.iban, bic = pr.bic, account_holder = pr.account_holder, updated_at = ${now}::timestamptz
    from providers pr
    where pr.organisation_id = p.provider_id and p.status = 'pending' and p.iban is null and pr.iban is not null`.execute(trx);
  refuseOnProblems(ctx, month, await checkNewPayouts(trx));
  progress(1, 1, 'payouts');

  // The ledger: the invoices, then the payouts that deduct them, in one bulk write.
  const entries = [
    ...invoices.map((invoice) => subscriptionInvoiceEntry(invoice, bookedOn)),
    ...(await payoutEntries(trx, settlementId, bookedOn)),
  ];
  progress(0, 1, 'ledger');
  await postEntries(trx, entries, now, (done, total) => progress(done, total, 'ledger'));

  progress(0, 1, 'bank_file');
  const batch = await writeBatch(ctx, trx, { settlementId, month, now });
  progress(1, 1, 'bank_file');

  const { rows } = await sql<{ redemptions: number; gross: number; platform: number; fund: number; subscription: number; net: number; payouts: number }>`
    select (select count(*) from settle_lines)::int8 as redemptions,
           coalesce(sum(gross_cents), 0)::int8 as gross, coalesce(sum(platform_fee_cents), 0)::int8 as platform,
           coalesce(sum(fund_fee_cents), 0)::int8 as fund, coalesce(sum(subscription_cents), 0)::int8 as subscription,
           coalesce(sum(net_cents), 0)::int8 as net, count(*)::int8 as payouts
    from payouts where settlement_id = ${settlementId}::uuid`.execute(trx);
  const totals = rows[0]!;
  await trx
    .updateTable('settlements')
    .set({
      redemptions: totals.redemptions,
      gross_cents: totals.gross,
      platform_fee_cents: totals.platform,
      fund_fee_cents: totals.fund,
      subscription_cents: totals.subscription,
      net_cents: totals.net,
      status: 'done',
      completed_at: now,
    })
    .where('id', '=', settlementId)
    .execute();
  await recordAuditEvent(trx, actor, now, {
    action: 'settlement.completed',
    subjectType: 'settlement',
    subjectId: settlementId,
    after: {
      month: month.month,
      redemptions: totals.redemptions,
      grossCents: totals.gross,
      netCents: totals.net,
      payouts: totals.payouts,
      batch: batch ? { messageId: batch.messageId, transactions: batch.transactions, controlSumCents: batch.controlSumCents } : null,
    },
  });
}

function refuseOnProblems(ctx: AppContext, month: SettlementMonth, problems: readonly IntegrityProblem[]): void {
  if (problems.length === 0) return;
  ctx.log.error({ month: month.month, problems }, 'settlement refused: amounts disagree with their vouchers');
  throw new DomainError('settlement_integrity_failed');
}

/** settle_lines: every redemption this settlement pays, with its fees and its territory. */
async function collectLines(trx: Kysely<DB>, month: SettlementMonth, until: Date, rates: { platformFeeBp: number; fundFeeBp: number }) {
  // The settlement before M took everything dated up to its month and recorded before its grace day
  // ended: of what is older than M, only what was recorded after can be unpaid (a cheap filter
  // before the anti-join on payout_lines, which otherwise reads the whole history). A day of margin
  // covers a scan whose transaction began before that instant and committed after the settlement
  // read the table: it is paid now.
  const previous = await trx
    .selectFrom('settlements')
    .select('scans_until')
    .where('month', '=', parseSettlementMonth(shiftMonth(month.month, -1)).firstDay)
    .executeTakeFirst();
  const recent = previous
    ? sql`and (r.service_date >= ${month.firstDay}::date or r.created_at >= ${previous.scans_until}::timestamptz - interval '1 day')`
    : sql``;
  const totalBp = rates.platformFeeBp + rates.fundFeeBp;
  await sql`
    create temp table settle_lines on commit drop as
    select r.id as redemption_id, r.provider_id, r.service_date, r.vouchers_cents as gross_cents, r.voucher_count,
           (f.total - least(f.fund, f.total))::int as platform_fee_cents,
           least(f.fund, f.total)::int as fund_fee_cents,
           case when t.code ~ '^9[78]' then left(t.code, 3) else left(t.code, 2) end as territory
    from redemptions r
    join places pl on pl.id = r.place_id
    join providers pr on pr.organisation_id = r.provider_id
    cross join lateral (select coalesce(pl.insee_code, pr.insee_code) as code) t
    cross join lateral (
      select (r.vouchers_cents::int8 * ${totalBp}::int8 + 5000) / 10000 as total,
             (r.vouchers_cents::int8 * ${rates.fundFeeBp}::int8 + 5000) / 10000 as fund
    ) f
    where r.service_date <= ${month.lastDay}::date
      and r.created_at < ${until}::timestamptz
      ${recent}
      and not exists (select 1 from payout_lines x where x.redemption_id = r.id)`.execute(trx);
  await sql`analyze settle_lines`.execute(trx);
}

/** settle_payouts: one row per provider paid (its lines, and a rejected payout carried in). */
async function collectProviders(trx: Kysely<DB>) {
  await sql`
    create temp table settle_payouts on commit drop as
    with lines as (
      select provider_id, sum(gross_cents)::int8 as gross, sum(platform_fee_cents)::int8 as platform, sum(fund_fee_cents)::int8 as fund
      from settle_lines group by provider_id
    ), carried as (
      -- A rejected payout is paid again once: the oldest not yet retried, one a month per provider.
      select distinct on (p.provider_id) p.provider_id, p.id, p.net_cents
      from payouts p
      where p.status = 'rejected' and not exists (select 1 from payouts q where q.retries_payout_id = p.id)
      order by p.provider_id, p.created_at, p.statement_number
    )
    select coalesce(l.provider_id, c.provider_id) as provider_id,
           coalesce(l.gross, 0)::int8 as gross_cents, coalesce(l.platform, 0)::int8 as platform_fee_cents,
           coalesce(l.fund, 0)::int8 as fund_fee_cents, 0::int8 as subscription_cents,
           coalesce(c.net_cents, 0)::int8 as carried_in_cents, c.id as retries_payout_id
    from lines l full join carried c on c.provider_id = l.provider_id`.execute(trx);
}

async function writePayouts(trx: Kysely<DB>, input: { settlementId: string; month: SettlementMonth; year: number; now: Date }) {
  const { rows: counted } = await sql<{ n: number }>`select count(*)::int8 as n from settle_payouts`.execute(trx);
  const count = counted[0]!.n;
  if (count > 0) {
    const first = await reserveDocumentNumbers(trx, 'statement', input.year, count);
    const year = String(input.year);
    const compactMonth = input.month.month.replace('-', '');
    await sql`
      insert into payouts (settlement_id, provider_id, statement_number, gross_cents, platform_fee_cents, fund_fee_cents,
                           subscription_cents, carried_in_cents, net_cents, iban, bic, account_holder, end_to_end_id, status,
                           retries_payout_id, created_at, updated_at)
      select ${input.settlementId}::uuid, n.provider_id, 'R-' || ${year}::text || '-' || n.digits,
             n.gross_cents, n.platform_fee_cents, n.fund_fee_cents, n.subscription_cents, n.carried_in_cents, n.net,
             pr.iban, pr.bic, pr.account_holder,
             'PN' || ${compactMonth}::text || 'R' || ${year}::text || n.digits,
             case when n.net = 0 then 'nothing_to_pay' else 'pending' end,
             n.retries_payout_id, ${input.now}::timestamptz, ${input.now}::timestamptz
      from (
        select s.*, lpad(s.number::text, greatest(6, length(s.number::text)), '0') as digits
        from (
          select sp.*, sp.gross_cents - sp.platform_fee_cents - sp.fund_fee_cents - sp.subscription_cents + sp.carried_in_cents as net,
                 ${first - 1}::int8 + row_number() over (order by o.name, sp.provider_id) as number
          from settle_payouts sp
          join organisations o on o.id = sp.provider_id
        ) s
      ) n
      join providers pr on pr.organisation_id = n.provider_id`.execute(trx);
  }
  // The payouts just written, as a small analysed table: the planner then hashes it instead of
  // looking each line's payout up in a table whose statistics predate this transaction.
  await sql`
    create temp table settle_payout_ids on commit drop as
    select provider_id, id as payout_id from payouts where settlement_id = ${input.settlementId}::uuid`.execute(trx);
  await sql`analyze settle_payout_ids`.execute(trx);
  await sql`
    insert into payout_lines (redemption_id, payout_id, gross_cents, platform_fee_cents, fund_fee_cents, territory)
    select l.redemption_id, p.payout_id, l.gross_cents, l.platform_fee_cents, l.fund_fee_cents, l.territory
    from settle_lines l
    join settle_payout_ids p on p.provider_id = l.provider_id`.execute(trx);
}

/** One entry per payout (payoutEntry), with the territorial fund split by département. */
async function payoutEntries(trx: Kysely<DB>, settlementId: string, bookedOn: string): Promise<NewEntry[]> {
  const payouts = await trx
    .selectFrom('payouts')
    .select(['id', 'provider_id', 'statement_number', 'gross_cents', 'platform_fee_cents', 'subscription_cents', 'carried_in_cents', 'net_cents'])
    .where('settlement_id', '=', settlementId)
    .orderBy('statement_number')
    .execute();
  const { rows: funds } = await sql<{ provider_id: string; territory: string; cents: number }>`
    select provider_id, territory, sum(fund_fee_cents)::int8 as cents
    from settle_lines group by provider_id, territory having sum(fund_fee_cents) > 0
    order by provider_id, territory`.execute(trx);
  const fundByProvider = new Map<string, Map<string, number>>();
  for (const row of funds) {
    const byTerritory = fundByProvider.get(row.provider_id) ?? new Map<string, number>();
    byTerritory.set(row.territory, row.cents);
    fundByProvider.set(row.provider_id, byTerritory);
  }
  return payouts
    .filter((payout) => payout.gross_cents + payout.carried_in_cents > 0)
    .map((payout) =>
      payoutEntry(
        {
          statementNumber: payout.statement_number,
          providerId: payout.provider_id,
          grossCents: payout.gross_cents,
          platformFeeCents: payout.platform_fee_cents,
          fundFeeByTerritory: fundByProvider.get(payout.provider_id) ?? new Map(),
          subscriptionCents: payout.subscription_cents,
          carriedInCents: payout.carried_in_cents,
          netCents: payout.net_cents,
        },
        bookedOn,
      ),
    );
}

/** The SEPA batch of every payout ready to go (something to pay, an IBAN), marked file_generated. */
async function writeBatch(ctx: AppContext, trx: Kysely<DB>, input: { settlementId: string; month: SettlementMonth; now: Date }) {
  const { rows: ready } = await sql<{ id: string; statement_number: string; end_to_end_id: string; net_cents: number; iban: string; bic: string | null; name: string }>`
    select p.id, p.statement_number, p.end_to_end_id, p.net_cents, p.iban, p.bic, coalesce(nullif(p.account_holder, ''), o.name) as name
    from payouts p join organisations o on o.id = p.provider_id
    where p.status = 'pending' and p.iban is not null and p.net_cents > 0
    order by p.statement_number`.execute(trx);
  if (ready.length === 0) return undefined;
  const messageId = `PN-${input.month.month.replace('-', '')}-${input.settlementId.replace(/-/gu, '').slice(0, 12)}`;
  const requested = requestedOn(input.month, ctx.config.money.payoutDay, input.now);
  const file = buildPain001({
    messageId,
    createdAt: input.now,
    requestedOn: requested,
    debtor: ctx.config.money.debtor,
    payments: ready.map((payout) => ({
      endToEndId: payout.end_to_end_id,
      amountCents: payout.net_cents,
      creditor: { name: payout.name, iban: payout.iban, bic: payout.bic },
      remittance: `Pass numerique ${input.month.month} releve ${payout.statement_number}`,
    })),
  });
  const expectedSum = ready.reduce((sum, payout) => sum + payout.net_cents, 0);
  if (file.transactions !== ready.length || file.controlSumCents !== expectedSum) {
    throw new Error(`SEPA file totals ${file.transactions}/${file.controlSumCents} differ from the payouts ${ready.length}/${expectedSum}`);
  }
  const batch = await trx
    .insertInto('payout_batches')
    .values({
      settlement_id: input.settlementId,
      message_id: messageId,
      transactions: file.transactions,
      control_sum_cents: file.controlSumCents,
      requested_on: requested,
      file_name: `virements-${input.month.month}.xml`,
      file_sha256: createHash('sha256').update(file.xml).digest('hex'),
      xml: file.xml,
      created_at: input.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const updated = await trx
    .updateTable('payouts')
    .set({ status: 'file_generated', batch_id: batch.id, updated_at: input.now })
    .where('status', '=', 'pending')
    .where('iban', 'is not', null)
    .where('net_cents', '>', 0)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== ready.length) throw new Error('the payouts of the batch changed while it was written');
  return { id: batch.id, messageId, transactions: file.transactions, controlSumCents: file.controlSumCents };
}
