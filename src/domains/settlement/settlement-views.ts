import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { DB, PayoutStatus, SettlementsTable } from '../../db/schema.js';
import { DomainError } from '../errors.js';
import { parseSettlementMonth } from './settlement-calendar.js';

/**
 * What the operator's pages and the command line read of the settlements: plain rows, no HTML.
 * Amounts are integer cents.
 */

export const PAYOUT_STATUSES = ['pending', 'file_generated', 'sent', 'settled', 'rejected', 'nothing_to_pay'] as const satisfies readonly PayoutStatus[];

export interface BatchSummary {
  id: string;
  messageId: string;
  fileName: string;
  fileSha256: string;
  transactions: number;
  controlSumCents: number;
  requestedOn: string;
  createdAt: Date;
  /** Payouts of the batch still waiting to be sent to the bank (file_generated). */
  toSend: number;
}

export interface SettlementSummary {
  id: string;
  /** 'YYYY-MM' */
  month: string;
  status: 'running' | 'done';
  startedAt: Date;
  completedAt: Date | null;
  scansUntil: Date;
  rates: { platformFeeBp: number; fundFeeBp: number; subscriptionMonthlyCents: number; subscriptionYearlyCents: number; vatBp: number };
  redemptions: number;
  grossCents: number;
  platformFeeCents: number;
  fundFeeCents: number;
  subscriptionCents: number;
  carriedInCents: number;
  netCents: number;
  payouts: number;
  payoutsByStatus: Record<PayoutStatus, number>;
  batches: BatchSummary[];
}

export interface PayoutRow {
  id: string;
  settlementId: string;
  /** 'YYYY-MM' of the settlement that computed it. */
  month: string;
  providerId: string;
  providerName: string;
  statementNumber: string;
  grossCents: number;
  platformFeeCents: number;
  fundFeeCents: number;
  subscriptionCents: number;
  carriedInCents: number;
  netCents: number;
  iban: string | null;
  bic: string | null;
  accountHolder: string | null;
  endToEndId: string;
  status: PayoutStatus;
  batchId: string | null;
  rejectedReason: string | null;
  retriesPayoutId: string | null;
  updatedAt: Date;
}

function emptyCounts(): Record<PayoutStatus, number> {
  return { pending: 0, file_generated: 0, sent: 0, settled: 0, rejected: 0, nothing_to_pay: 0 };
}

/** All settlements, the latest month first, with their counts and batches. */
export async function listSettlements(db: Kysely<DB>): Promise<SettlementSummary[]> {
  return summaries(db, await db.selectFrom('settlements').selectAll().orderBy('month', 'desc').execute());
}

/** The settlement of a month ('YYYY-MM'), or settlement_unknown. */
export async function loadSettlementSummary(db: Kysely<DB>, month: string): Promise<SettlementSummary> {
  const { firstDay } = parseSettlementMonth(month);
  const row = await db.selectFrom('settlements').selectAll().where('month', '=', firstDay).executeTakeFirst();
  if (!row) throw new DomainError('settlement_unknown');
  return (await summaries(db, [row]))[0]!;
}

async function summaries(db: Kysely<DB>, settlements: readonly Selectable<SettlementsTable>[]): Promise<SettlementSummary[]> {
  if (settlements.length === 0) return [];
  const ids = settlements.map((s) => s.id);
  const [counts, carried, batches] = await Promise.all([
    db
      .selectFrom('payouts')
      .select(['settlement_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('settlement_id', 'in', ids)
      .groupBy(['settlement_id', 'status'])
      .execute(),
    db
      .selectFrom('payouts')
      .select(['settlement_id', sql<number>`coalesce(sum(carried_in_cents), 0)::int8`.as('cents')])
      .where('settlement_id', 'in', ids)
      .groupBy('settlement_id')
      .execute(),
    db
      .selectFrom('payout_batches as b')
      .select([
        'b.id',
        'b.settlement_id',
        'b.message_id',
        'b.file_name',
        'b.file_sha256',
        'b.transactions',
        'b.control_sum_cents',
        'b.requested_on',
        'b.created_at',
        (eb) => eb.selectFrom('payouts as p').select((e) => e.fn.countAll<number>().as('n')).whereRef('p.batch_id', '=', 'b.id').where('p.status', '=', 'file_generated').as('to_send'),
      ])
      .where('b.settlement_id', 'in', ids)
      .orderBy('b.created_at')
      .execute(),
  ]);
  return settlements.map((s) => {
    const byStatus = emptyCounts();
    for (const row of counts) if (row.settlement_id === s.id) byStatus[row.status] = Number(row.n);
    return {
      id: s.id,
      month: s.month.slice(0, 7),
      status: s.status,
      startedAt: s.started_at,
      completedAt: s.completed_at,
      scansUntil: s.scans_until,
      rates: {
        platformFeeBp: s.platform_fee_bp,
        fundFeeBp: s.fund_fee_bp,
        subscriptionMonthlyCents: s.subscription_monthly_cents,
        subscriptionYearlyCents: s.subscription_yearly_cents,
        vatBp: s.vat_bp,
      },
      redemptions: s.redemptions,
      grossCents: s.gross_cents,
      platformFeeCents: s.platform_fee_cents,
      fundFeeCents: s.fund_fee_cents,
      subscriptionCents: s.subscription_cents,
      carriedInCents: carried.find((c) => c.settlement_id === s.id)?.cents ?? 0,
      netCents: s.net_cents,
      payouts: Object.values(byStatus).reduce((sum, n) => sum + n, 0),
      payoutsByStatus: byStatus,
      batches: batches
        .filter((b) => b.settlement_id === s.id)
        .map((b) => ({
          id: b.id,
          messageId: b.message_id,
          fileName: b.file_name,
          fileSha256: b.file_sha256,
          transactions: b.transactions,
          controlSumCents: b.control_sum_cents,
          requestedOn: b.requested_on,
          createdAt: b.created_at,
          toSend: Number(b.to_send ?? 0),
        })),
    };
  });
}

function payoutQuery(db: Kysely<DB>) {
  return db
    .selectFrom('payouts as p')
    .innerJoin('organisations as o', 'o.id', 'p.provider_id')
    .innerJoin('settlements as s', 's.id', 'p.settlement_id')
    .select([
      'p.id',
      'p.settlement_id',
      's.month',
      'p.provider_id',
      'o.name as provider_name',
      'p.statement_number',
      'p.gross_cents',
      'p.platform_fee_cents',
      'p.fund_fee_cents',
      'p.subscription_cents',
      'p.carried_in_cents',
      'p.net_cents',
      'p.iban',
      'p.bic',
      'p.account_holder',
      'p.end_to_end_id',
      'p.status',
      'p.batch_id',
      'p.rejected_reason',
      'p.retries_payout_id',
      'p.updated_at',
    ]);
}

type PayoutRecord = Awaited<ReturnType<ReturnType<typeof payoutQuery>['executeTakeFirstOrThrow']>>;

function presentPayout(row: PayoutRecord): PayoutRow {
  return {
    id: row.id,
    settlementId: row.settlement_id,
    month: row.month.slice(0, 7),
    providerId: row.provider_id,
    providerName: row.provider_name,
    statementNumber: row.statement_number,
    grossCents: row.gross_cents,
    platformFeeCents: row.platform_fee_cents,
    fundFeeCents: row.fund_fee_cents,
    subscriptionCents: row.subscription_cents,
    carriedInCents: row.carried_in_cents,
    netCents: row.net_cents,
    iban: row.iban,
    bic: row.bic,
    accountHolder: row.account_holder,
    endToEndId: row.end_to_end_id,
    status: row.status,
    batchId: row.batch_id,
    rejectedReason: row.rejected_reason,
    retriesPayoutId: row.retries_payout_id,
    updatedAt: row.updated_at,
  };
}

/** A page of the payouts of a settlement, in statement order. */
export async function listSettlementPayouts(db: Kysely<DB>, input: { settlementId: string; page: number; perPage: number }): Promise<{ payouts: PayoutRow[]; total: number }> {
  const [rows, count] = await Promise.all([
    payoutQuery(db)
      .where('p.settlement_id', '=', input.settlementId)
      .orderBy('p.statement_number')
      .limit(input.perPage)
      .offset((Math.max(input.page, 1) - 1) * input.perPage)
      .execute(),
    db.selectFrom('payouts').select((eb) => eb.fn.countAll<number>().as('n')).where('settlement_id', '=', input.settlementId).executeTakeFirstOrThrow(),
  ]);
  return { payouts: rows.map(presentPayout), total: Number(count.n) };
}

/** Payouts still waiting for their provider's IBAN, whatever their month. */
export async function listPayoutsWithoutIban(db: Kysely<DB>): Promise<PayoutRow[]> {
  const rows = await payoutQuery(db).where('p.status', '=', 'pending').orderBy('p.statement_number').limit(500).execute();
  return rows.map(presentPayout);
}

export async function loadPayout(db: Kysely<DB>, payoutId: string): Promise<PayoutRow> {
  const row = await payoutQuery(db).where('p.id', '=', payoutId).executeTakeFirst();
  if (!row) throw new DomainError('payout_unknown');
  return presentPayout(row);
}

/** Every payout of a month's settlement: what the command line writes a statement for. */
export async function listPayoutsOfMonth(db: Kysely<DB>, month: string): Promise<PayoutRow[]> {
  const { firstDay } = parseSettlementMonth(month);
  const rows = await payoutQuery(db).where('s.month', '=', firstDay).orderBy('p.statement_number').execute();
  return rows.map(presentPayout);
}

/** The SEPA file of a batch, as it was written. */
export async function loadBatchFile(db: Kysely<DB>, batchId: string): Promise<{ fileName: string; xml: string; sha256: string; month: string }> {
  const row = await db
    .selectFrom('payout_batches as b')
    .innerJoin('settlements as s', 's.id', 'b.settlement_id')
    .select(['b.file_name', 'b.xml', 'b.file_sha256', 's.month'])
    .where('b.id', '=', batchId)
    .executeTakeFirst();
  if (!row) throw new DomainError('payout_batch_unknown');
  return { fileName: row.file_name, xml: row.xml, sha256: row.file_sha256, month: row.month.slice(0, 7) };
}
