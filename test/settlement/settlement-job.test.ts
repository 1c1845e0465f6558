import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { JOB_HANDLERS, recurringWork } from '../../src/jobs/handlers.js';
import { SETTLE_MONTH_JOB, scheduleMonthlySettlement } from '../../src/jobs/settlement-job.js';
import { MAX_ATTEMPTS, STALE_AFTER_MS, claimJob, countJobs, retryDelayMs, runDueJobs, scheduleJob, startJobWorker } from '../../src/jobs/worker.js';
import { TestClock, TestMailbox, onPostgres, openTestDatabase, testConfig } from '../support/context.js';
import { IBANS, at, createPaidProvider, createPurse, scan } from './fixtures.js';

let clock: TestClock;
let ctx: AppContext;
let url: string | undefined;
let drop: () => Promise<void>;
let errors: { message: string }[];
const clients: Database[] = [];

beforeEach(async () => {
  const test = await openTestDatabase();
  url = test.url;
  drop = test.drop;
  clock = new TestClock();
  errors = [];
  ctx = { db: test.database.db, clock, mailer: new TestMailbox(), config: testConfig(), log: { error: (_details, message) => errors.push({ message }) } };
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await drop();
});

async function jobs(kind?: string) {
  let query = ctx.db.selectFrom('jobs').select(['kind', 'key', 'status', 'attempts', 'run_at', 'last_error']);
  if (kind) query = query.where('kind', '=', kind);
  return query.orderBy('key').execute();
}

describe('the monthly settlement job', () => {
  it('keeps one job per month, due at the end of its grace day, and settles the month when it is due', async () => {
    // March 2nd: February's grace day is ahead, and March is in progress.
    expect(await scheduleMonthlySettlement(ctx)).toEqual(['2026-02', '2026-03']);
    expect(await scheduleMonthlySettlement(ctx)).toEqual([]);
    expect((await jobs()).map((j) => [j.key, j.status, j.run_at.toISOString()])).toEqual([
      ['2026-02', 'pending', '2026-03-05T23:05:00.000Z'],
      ['2026-03', 'pending', '2026-04-05T22:05:00.000Z'],
    ]);
    expect(await runDueJobs(ctx, JOB_HANDLERS)).toBe(0);

    // Billed on use: the job also invoices the funder for the month's vouchers.
    const purse = await createPurse(ctx, { fundingMode: 'billed_on_use' });
    const atelier = await createPaidProvider(ctx, 'Atelier', 'bordeaux', { iban: IBANS[0], bic: null });
    at(clock, '2026-03-20T10:00:00Z');
    await scan(ctx, atelier, 'bordeaux', await purse.take(2));

    // The worker's round just after April 5th (Paris): both months are due, each runs once.
    at(clock, '2026-04-05T22:05:00Z');
    const worker = startJobWorker(ctx, { handlers: JOB_HANDLERS, everyRound: recurringWork, pollMs: 3_600_000 });
    await worker.tick();
    await worker.stop();
    const settlements = await ctx.db.selectFrom('settlements').select(['month', 'redemptions', 'net_cents']).orderBy('month').execute();
    expect(settlements).toEqual([
      { month: '2026-02-01', redemptions: 0, net_cents: 0 },
      { month: '2026-03-01', redemptions: 1, net_cents: 1920 },
    ]);
    const invoices = await ctx.db.selectFrom('funder_invoices').select(['funder_id', 'month', 'amount_cents']).execute();
    expect(invoices).toEqual([{ funder_id: purse.funder.funder.id, month: '2026-03-01', amount_cents: 2000 }]);
    // April's job was scheduled by the same round; March's is done (the day's expiry run, a job of
    // its own, is tested in test/jobs).
    expect((await jobs(SETTLE_MONTH_JOB)).map((j) => [j.key, j.status, j.attempts])).toEqual([
      ['2026-02', 'done', 1],
      ['2026-03', 'done', 1],
      ['2026-04', 'pending', 0],
    ]);
    expect(await runDueJobs(ctx, JOB_HANDLERS)).toBe(0);
    // The same round sealed the ledger behind the entries old enough (the scan's), not the newest.
    const { rows } = await sql<{ unsealed_old: number; sealed: number; unsealed_new: number }>`
      select (select count(*) from journal_entries e where e.created_at < ${new Date(clock.now().getTime() - 10 * 60_000)} and not exists (select 1 from ledger_seals s where s.seq = e.seq))::int8 as unsealed_old,
             (select count(*) from ledger_seals)::int8 as sealed,
             (select count(*) from journal_entries e where not exists (select 1 from ledger_seals s where s.seq = e.seq))::int8 as unsealed_new`.execute(ctx.db);
    expect(rows[0]!.unsealed_old).toBe(0);
    expect(rows[0]!.sealed).toBeGreaterThan(0);
    expect(rows[0]!.unsealed_new).toBeGreaterThan(0);
  });

  it('gives a failed job back with a growing delay, then fails it after the last attempt', async () => {
    let calls = 0;
    const handlers = {
      flaky: async () => {
        calls += 1;
        throw new Error('banque injoignable');
      },
    };
    await scheduleJob(ctx, { kind: 'flaky', key: 'k', runAt: clock.now() });
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      expect(await runDueJobs(ctx, handlers)).toBe(1);
      const [job] = await jobs();
      expect(job).toMatchObject({ attempts: attempt, last_error: 'banque injoignable', status: attempt < MAX_ATTEMPTS ? 'pending' : 'failed' });
      if (attempt < MAX_ATTEMPTS) {
        expect(job!.run_at.getTime() - clock.now().getTime()).toBe(retryDelayMs(attempt));
        // Not due again before its delay.
        expect(await runDueJobs(ctx, handlers)).toBe(0);
        clock.advanceMinutes(retryDelayMs(attempt) / 60_000);
      }
    }
    expect(calls).toBe(MAX_ATTEMPTS);
    expect(await runDueJobs(ctx, handlers)).toBe(0);
    expect(errors.at(-1)).toEqual({ message: 'job failed' });
    expect(retryDelayMs(1)).toBeLessThan(retryDelayMs(2));
  });

  it('takes a job left running by a process that died, once it is stale', async () => {
    await scheduleJob(ctx, { kind: SETTLE_MONTH_JOB, key: '2026-01', runAt: clock.now(), payload: { month: '2026-01' } });
    const claimed = await claimJob(ctx, [SETTLE_MONTH_JOB]);
    expect(claimed).toMatchObject({ key: '2026-01', attempts: 1 });
    // The process dies: nothing marks it done.
    expect(await claimJob(ctx, [SETTLE_MONTH_JOB])).toBeUndefined();
    clock.advanceMinutes(STALE_AFTER_MS / 60_000 + 1);
    expect(await runDueJobs(ctx, JOB_HANDLERS)).toBe(1);
    expect(await countJobs(ctx, SETTLE_MONTH_JOB)).toEqual({ done: 1 });
    expect(await ctx.db.selectFrom('settlements').select('month').execute()).toEqual([{ month: '2026-01-01' }]);
  });

  it('never gives the same job to two workers', async () => {
    for (const key of ['a', 'b', 'c', 'd']) await scheduleJob(ctx, { kind: 'noop', key, runAt: clock.now() });
    const workers: AppContext[] = [];
    for (let i = 0; i < 6; i++) {
      if (!onPostgres) {
        workers.push(ctx);
        continue;
      }
      const client = await openDatabase({ kind: 'postgres', url: url!, poolSize: 1 });
      clients.push(client);
      workers.push({ ...ctx, db: client.db });
    }
    const claimed = await Promise.all(workers.map((w) => claimJob(w, ['noop'])));
    const keys = claimed.flatMap((job) => (job ? [job.key] : []));
    expect(keys.sort()).toEqual(['a', 'b', 'c', 'd']);
    const { rows } = await sql<{ n: number }>`select count(*)::int8 as n from jobs where status = 'running'`.execute(ctx.db);
    expect(rows[0]!.n).toBe(4);
  });
});
