import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../src/app-context.js';
import { readConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { SYSTEM_ACTOR } from '../src/domains/actor.js';
import { settleMonth, type SettlementStage } from '../src/domains/settlement/settle-month.js';
import { listPayoutsOfMonth, loadBatchFile } from '../src/domains/settlement/settlement-views.js';
import { loadStatement } from '../src/domains/settlement/statements.js';
import { systemClock } from '../src/lib/clock.js';
import { renderStatement } from '../src/print/statement.js';

/**
 * The settlement of `npm run bench -- settle`, in a process of its own (started by bench/settle.ts)
 * so that its peak memory is the settlement's, not the seeding's. What `npx passnum settle --month
 * M --out DIR` does, in two measured parts:
 *
 * 1. settleMonth (the database work, SEPA XML built and stored) and DIR/M/virements-M.xml written:
 *    wall time, time per stage (from its progress callback), peak RSS after it;
 * 2. PDF statements, as the command writes them, for the first STATEMENTS payouts only (writing
 *    all 5,000 would take minutes): time per statement, peak RSS after it.
 *
 * Input in the environment (BENCH_SETTLE_DATABASE_URL, BENCH_SETTLE_MONTH, BENCH_SETTLE_OUT,
 * BENCH_SETTLE_STATEMENTS); the result is one line of JSON on stdout.
 */

export interface ChildResult {
  settleMs: number;
  sepaMs: number;
  /** Milliseconds per stage of settleMonth, in order; 'start' is what precedes the first stage. */
  stages: { stage: string; ms: number }[];
  peakRssMb: number;
  redemptions: number;
  payouts: number;
  sepaBytes: number;
  /** ms in all; loadMs reading them (loadStatement), renderMs drawing the PDFs (renderStatement). */
  statements: { count: number; ms: number; loadMs: number; renderMs: number; bytes: number; peakRssMb: number };
}

const env = process.env;
const url = env.BENCH_SETTLE_DATABASE_URL;
const month = env.BENCH_SETTLE_MONTH;
const out = env.BENCH_SETTLE_OUT;
const statementCount = Number(env.BENCH_SETTLE_STATEMENTS ?? '0');
if (!url || !month || !out) throw new Error('settle-child: BENCH_SETTLE_DATABASE_URL, BENCH_SETTLE_MONTH and BENCH_SETTLE_OUT are required');

const maxRssMb = () => process.resourceUsage().maxRSS / 1024;

const database = await openDatabase({ kind: 'postgres', url, poolSize: 2 });
try {
  const config = readConfig({ ...env, DATABASE_URL: url });
  const ctx: AppContext = { db: database.db, clock: systemClock, mailer: { send: async () => undefined }, config, log: { error: (details, message) => console.error(message, JSON.stringify(details)) } };

  const marks: { stage: string; at: number }[] = [];
  const started = performance.now();
  marks.push({ stage: 'start', at: started });
  const { settlement, created } = await settleMonth(ctx, SYSTEM_ACTOR, {
    month,
    onProgress: (_done: number, _total: number, stage: SettlementStage) => {
      if (marks.at(-1)!.stage !== stage) marks.push({ stage, at: performance.now() });
    },
  });
  const settled = performance.now();
  if (!created) throw new Error(`settle-child: ${month} was settled already`);

  // The SEPA file as the command writes it (read back from payout_batches, written to disk).
  const dir = path.join(out, month);
  await mkdir(path.join(dir, 'releves'), { recursive: true });
  let sepaBytes = 0;
  for (const batch of settlement.batches) {
    const file = await loadBatchFile(ctx.db, batch.id);
    await writeFile(path.join(dir, file.fileName), file.xml);
    sepaBytes += Buffer.byteLength(file.xml);
  }
  const sepaDone = performance.now();
  const peakRssMb = maxRssMb();

  const stages = marks.map((mark, i) => ({ stage: mark.stage, ms: (marks[i + 1]?.at ?? settled) - mark.at })).filter((s) => s.stage !== 'done');

  const statementsStarted = performance.now();
  let bytes = 0;
  let loadMs = 0;
  let renderMs = 0;
  const payouts = statementCount > 0 ? (await listPayoutsOfMonth(ctx.db, month)).slice(0, statementCount) : [];
  for (const payout of payouts) {
    const t0 = performance.now();
    const statement = await loadStatement(ctx, payout.id);
    const t1 = performance.now();
    const pdf = await renderStatement(statement);
    renderMs += performance.now() - t1;
    loadMs += t1 - t0;
    await writeFile(path.join(dir, 'releves', `${payout.statementNumber}.pdf`), pdf);
    bytes += pdf.length;
  }
  const statementsMs = performance.now() - statementsStarted;

  const result: ChildResult = {
    settleMs: settled - started,
    sepaMs: sepaDone - settled,
    stages,
    peakRssMb,
    redemptions: settlement.redemptions,
    payouts: settlement.payouts,
    sepaBytes,
    statements: { count: payouts.length, ms: statementsMs, loadMs, renderMs, bytes, peakRssMb: maxRssMb() },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await database.close();
}
