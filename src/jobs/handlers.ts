import type { AppContext } from '../app-context.js';
import { sealLedger } from '../domains/ledger/seal-ledger.js';
import { EXPIRY_JOB, runExpiryJob, scheduleDailyExpiry } from './expiry-job.js';
import { runSettlementJob, scheduleMonthlySettlement, SETTLE_MONTH_JOB } from './settlement-job.js';
import type { JobHandlers } from './worker.js';

/** Every kind of job the worker runs. Add new kinds here. */
export const JOB_HANDLERS: JobHandlers = {
  [SETTLE_MONTH_JOB]: runSettlementJob,
  [EXPIRY_JOB]: runExpiryJob,
};

/**
 * What the worker does at every round, before the due jobs: keep the monthly settlement and the
 * day's expiry run scheduled (one job per month, one per Paris day: the rounds after the first
 * find them and do nothing), and seal the ledger's new entries behind them
 * (domains/ledger/seal-ledger.ts; nothing to do, one short transaction).
 */
export async function recurringWork(ctx: AppContext): Promise<void> {
  await scheduleMonthlySettlement(ctx);
  await scheduleDailyExpiry(ctx);
  await sealLedger(ctx.db, ctx.clock.now());
}
