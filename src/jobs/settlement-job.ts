import type { AppContext } from '../app-context.js';
import { SYSTEM_ACTOR } from '../domains/actor.js';
import { issueFunderInvoices } from '../domains/settlement/funder-invoices.js';
import { settleMonth } from '../domains/settlement/settle-month.js';
import { parseSettlementMonth, scansUntil, shiftMonth } from '../domains/settlement/settlement-calendar.js';
import { parisDay } from '../lib/paris-dates.js';
import { scheduleJob, type JobRun } from './worker.js';

/**
 * The monthly counter-payment as a job: one job per month (key 'YYYY-MM'), due a few minutes after
 * the end of the month's grace day (settleMonth accepts it from that instant on). Scheduling keeps the job of the month in
 * progress and, until its grace day ends, of the month before: a server that runs through the
 * year settles every month on time; one that was down when a job was due runs it when it starts.
 * Months before the worker's first day are settled by hand (`npx passnum settle`, the operator).
 * The same job then invoices each funder billed on use for the vouchers of the month; both steps
 * do nothing when done already, so a job run again after a failure finishes what is left.
 */

export const SETTLE_MONTH_JOB = 'settle_month';
/** After the grace day ends, a few minutes for the scans in flight at that instant to commit. */
export const SETTLE_AFTER_GRACE_MS = 5 * 60_000;

export async function scheduleMonthlySettlement(ctx: AppContext): Promise<string[]> {
  const now = ctx.clock.now();
  const current = parisDay(now).slice(0, 7);
  const scheduled: string[] = [];
  for (const month of [shiftMonth(current, -1), current]) {
    const closes = scansUntil(parseSettlementMonth(month), ctx.config.money.graceDay);
    if (now >= closes) continue;
    const runAt = new Date(closes.getTime() + SETTLE_AFTER_GRACE_MS);
    if (await scheduleJob(ctx, { kind: SETTLE_MONTH_JOB, key: month, runAt, payload: { month } })) scheduled.push(month);
  }
  return scheduled;
}

export async function runSettlementJob(ctx: AppContext, job: JobRun): Promise<void> {
  const month = (job.payload as { month?: unknown } | null)?.month;
  const key = typeof month === 'string' ? month : job.key;
  await settleMonth(ctx, SYSTEM_ACTOR, { month: key });
  await issueFunderInvoices(ctx, key);
}
