import type { AppContext } from '../app-context.js';
import { runExpiry } from '../domains/expiry/expire-orders.js';
import { parisDay } from '../lib/paris-dates.js';
import { scheduleJob, type JobRun } from './worker.js';

/**
 * The end of issued orders as a job (domains/expiry/expire-orders.ts): one job per Paris day (key
 * 'YYYY-MM-DD'), scheduled by the first worker round of the day and due at once. The stages are
 * Paris days, so once a day is enough; the (kind, key) unique keeps every other round of the day,
 * and any other worker, from running it again. A day the server was down is caught up by the next
 * run: runExpiry records every stage due by then (and mails only the latest notice).
 *
 * The run reads the clock when it runs, not the day of its key: a job retried after midnight does
 * that day's work, which the next day's job then finds done (runExpiry changes nothing the second
 * time). A credit note refused because the ledger disagrees is logged by runExpiry and tried again
 * the next day: retrying within minutes would find the same disagreement.
 */

export const EXPIRY_JOB = 'expiry';

/** Schedules today's run unless it exists; returns the day scheduled, if any. */
export async function scheduleDailyExpiry(ctx: AppContext): Promise<string | undefined> {
  const now = ctx.clock.now();
  const day = parisDay(now);
  return (await scheduleJob(ctx, { kind: EXPIRY_JOB, key: day, runAt: now, payload: { day } })) ? day : undefined;
}

export async function runExpiryJob(ctx: AppContext, _job: JobRun): Promise<void> {
  await runExpiry(ctx, ctx.clock.now());
}
