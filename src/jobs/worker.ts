import { sql } from 'kysely';
import type { AppContext, Log } from '../app-context.js';
import { DomainError } from '../domains/errors.js';

/**
 * Scheduled work on the `jobs` table. Any process may run the worker (the server does): a due job
 * is claimed with `for update skip locked`, so two workers never take the same one; it is marked
 * running (its run_at becomes the instant it started), run outside any transaction of ours (the
 * handler owns its transactions), then marked done, or given back with a growing delay, or failed
 * after MAX_ATTEMPTS. A job left running by a process that died is taken again after
 * STALE_AFTER_MS: handlers must be safe to run twice (settleMonth and runExpiry are).
 */

export interface JobRun {
  id: string;
  kind: string;
  key: string;
  payload: unknown;
  /** 1 for the first run. */
  attempts: number;
}

export type JobHandler = (ctx: AppContext, job: JobRun) => Promise<void>;
export type JobHandlers = Readonly<Record<string, JobHandler>>;

export const MAX_ATTEMPTS = 5;
export const STALE_AFTER_MS = 30 * 60_000;
const FIRST_RETRY_MS = 60_000;
const LAST_RETRY_MS = 6 * 3_600_000;

/** Delay before the next attempt of a job that failed `attempts` times. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(attempts - 1, 0), LAST_RETRY_MS);
}

/** Inserts a job unless one of this kind and key exists (whatever its status): scheduling twice does nothing. */
export async function scheduleJob(ctx: AppContext, job: { kind: string; key: string; runAt: Date; payload?: unknown }): Promise<boolean> {
  const result = await ctx.db
    .insertInto('jobs')
    .values({ kind: job.kind, key: job.key, run_at: job.runAt, payload: JSON.stringify(job.payload ?? {}) })
    .onConflict((oc) => oc.columns(['kind', 'key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Takes the next due job of these kinds, if any. */
export async function claimJob(ctx: AppContext, kinds: readonly string[]): Promise<JobRun | undefined> {
  if (kinds.length === 0) return undefined;
  const now = ctx.clock.now();
  await ctx.db
    .updateTable('jobs')
    .set({ status: 'pending' })
    .where('status', '=', 'running')
    .where('run_at', '<', new Date(now.getTime() - STALE_AFTER_MS))
    .execute();
  const next = ctx.db
    .selectFrom('jobs')
    .select('id')
    .where('status', '=', 'pending')
    .where('run_at', '<=', now)
    .where('kind', 'in', kinds)
    .orderBy('run_at')
    .orderBy('id')
    .limit(1)
    .forUpdate()
    .skipLocked();
  const row = await ctx.db
    .updateTable('jobs')
    .set((eb) => ({ status: 'running', attempts: eb('attempts', '+', 1), run_at: now }))
    .where('id', '=', next)
    .where('status', '=', 'pending')
    .returning(['id', 'kind', 'key', 'payload', 'attempts'])
    .executeTakeFirst();
  return row ? { id: row.id, kind: row.kind, key: row.key, payload: row.payload, attempts: row.attempts } : undefined;
}

/** Runs one claimed job with its handler and records the outcome. */
export async function runJob(ctx: AppContext, handlers: JobHandlers, job: JobRun): Promise<'done' | 'retry' | 'failed'> {
  const handler = handlers[job.kind];
  try {
    if (!handler) throw new Error(`no handler for jobs of kind ${job.kind}`);
    await handler(ctx, job);
  } catch (error) {
    const message = error instanceof DomainError ? error.code : error instanceof Error ? error.message : String(error);
    const now = ctx.clock.now();
    const failed = job.attempts >= MAX_ATTEMPTS || !handler;
    ctx.log.error({ job: { id: job.id, kind: job.kind, key: job.key, attempts: job.attempts }, err: message }, failed ? 'job failed' : 'job failed, will retry');
    await ctx.db
      .updateTable('jobs')
      .set(
        failed
          ? { status: 'failed', last_error: message.slice(0, 2000), finished_at: now }
          : { status: 'pending', last_error: message.slice(0, 2000), run_at: new Date(now.getTime() + retryDelayMs(job.attempts)) },
      )
      .where('id', '=', job.id)
      .where('status', '=', 'running')
      .execute();
    return failed ? 'failed' : 'retry';
  }
  await ctx.db
    .updateTable('jobs')
    .set({ status: 'done', last_error: null, finished_at: ctx.clock.now() })
    .where('id', '=', job.id)
    .where('status', '=', 'running')
    .execute();
  return 'done';
}

/** Runs due jobs one after the other, at most `limit`; returns how many ran. */
export async function runDueJobs(ctx: AppContext, handlers: JobHandlers, limit = 10): Promise<number> {
  let ran = 0;
  while (ran < limit) {
    const job = await claimJob(ctx, Object.keys(handlers));
    if (!job) break;
    await runJob(ctx, handlers, job);
    ran += 1;
  }
  return ran;
}

export interface JobWorker {
  /** One round now: the recurring work, then what is due (the timer calls it; tests too). */
  tick(): Promise<void>;
  /** Stops polling and waits for the job in progress. */
  stop(): Promise<void>;
}

/**
 * Polls every `pollMs`: `everyRound` first (recurring work: jobs/handlers.ts keeps the monthly and
 * daily jobs scheduled and seals the ledger), then the due jobs. Errors of a round are logged; the next
 * round tries again.
 */
export function startJobWorker(
  ctx: AppContext,
  options: { handlers: JobHandlers; everyRound?: (ctx: AppContext) => Promise<void>; pollMs?: number; log?: Log },
): JobWorker {
  const pollMs = options.pollMs ?? 60_000;
  const log = options.log ?? ctx.log;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const round = async () => {
    try {
      await options.everyRound?.(ctx);
      await runDueJobs(ctx, options.handlers);
    } catch (error) {
      log.error({ err: error instanceof Error ? error.message : String(error) }, 'job worker round failed');
    }
  };
  const tick = () => {
    current = current.then(round);
    return current;
  };
  const loop = () => {
    if (stopped) return;
    void tick().then(() => {
      if (!stopped) timer = setTimeout(loop, pollMs).unref();
    });
  };
  // The first round waits a moment: start-up (migrations, demo world) comes first.
  timer = setTimeout(loop, Math.min(pollMs, 5_000)).unref();
  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}

/** Jobs by status, for the operator and the tests. */
export async function countJobs(ctx: AppContext, kind: string) {
  const { rows } = await sql<{ status: string; n: number }>`select status, count(*)::int8 as n from jobs where kind = ${kind} group by status`.execute(ctx.db);
  return Object.fromEntries(rows.map((row) => [row.status, row.n])) as Partial<Record<'pending' | 'running' | 'done' | 'failed', number>>;
}
