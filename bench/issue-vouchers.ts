import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { AppContext } from '../src/app-context.js';
import { readConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { insertOrganisation } from '../src/domains/accounts/repository.js';
import { SYSTEM_ACTOR } from '../src/domains/actor.js';
import { ensureReferentialPublished } from '../src/domains/referential/publish-referential.js';
import { issueOrder } from '../src/domains/vouchers/issue-vouchers.js';
import { orderForm } from '../src/domains/vouchers/order-model.js';
import { commitOrder, confirmOrder, saveDraftOrder } from '../src/domains/vouchers/orders.js';
import { systemClock } from '../src/lib/clock.js';
import { benchPrintVouchers } from './print-vouchers.js';

/**
 * Issuing 100,000 vouchers (10,000 booklets of 10: codes from the CSPRNG, keyed hashes, sealed
 * copies, rows) in one order, then printing 10,000 of them. Prints the time per 1,000 vouchers and
 * the peak memory, against a same-run baseline: inserting the same number of rows of the same
 * width with random bytes through the same batched INSERT, without any code work.
 *
 * Runs on PGlite (a data directory in a temporary folder) and on PostgreSQL (a scratch database
 * next to DATABASE_URL, or postgres://127.0.0.1:5432/test, created then dropped).
 */

const BOOKLETS = 10_000;
const PER_BOOKLET = 10;
const VOUCHERS = BOOKLETS * PER_BOOKLET;
const PRINTED = 10_000;

function peakMemory() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return {
    stop(): number {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss) / 1024 / 1024;
    },
  };
}

async function baseline(database: Database, orderId: string): Promise<number> {
  // Booklets of the issued order give valid foreign keys; the rows go into a scratch copy of the table.
  await database.execScript('create temporary table baseline_vouchers (like vouchers including defaults)');
  const booklets = await database.db.selectFrom('booklets').select('id').where('order_id', '=', orderId).orderBy('position').execute();
  const started = performance.now();
  let rows: Record<string, unknown>[] = [];
  const db = database.db as unknown as { insertInto(t: string): { values(v: unknown[]): { execute(): Promise<unknown> } } };
  for (const booklet of booklets) {
    for (let position = 1; position <= PER_BOOKLET; position++) {
      rows.push({ order_id: orderId, booklet_id: booklet.id, position, code_hash: randomBytes(32), code_sealed: randomBytes(38), face_value_cents: 1000 });
      if (rows.length === 1000) {
        await db.insertInto('baseline_vouchers').values(rows).execute();
        rows = [];
      }
    }
  }
  if (rows.length > 0) await db.insertInto('baseline_vouchers').values(rows).execute();
  const ms = performance.now() - started;
  await database.execScript('drop table baseline_vouchers');
  return ms;
}

async function run(label: string, database: Database, dataDir: string): Promise<void> {
  const config = { ...readConfig({ PASSNUM_DATA_DIR: dataDir }), voucherSecret: randomBytes(32) };
  const ctx: AppContext = { db: database.db, clock: systemClock, mailer: { send: async () => undefined }, config, log: { error: () => undefined } };
  await migrate(database);
  await ensureReferentialPublished(ctx, SYSTEM_ACTOR);
  const funder = await insertOrganisation(ctx.db, { kind: 'funder', name: 'Financeur du banc d’essai' });
  const actor = { userId: null, organisationId: funder.id, apiTokenId: null };
  const draft = await saveDraftOrder(ctx, actor, funder.id, orderForm.parse({ bookletCount: String(BOOKLETS), vouchersPerBooklet: String(PER_BOOKLET), fundingMode: 'billed_on_use' }));
  await confirmOrder(ctx, actor, funder.id, draft.id);
  await commitOrder(ctx, actor, { orderId: draft.id, reference: 'BENCH', by: { kind: 'funder', funderId: funder.id } });

  const memory = peakMemory();
  const started = performance.now();
  await issueOrder(ctx, actor, { orderId: draft.id, funderId: funder.id });
  const issueMs = performance.now() - started;
  const issuePeak = memory.stop();
  const baselineMs = await baseline(database, draft.id);

  console.log(
    `${label} : émission de ${VOUCHERS.toLocaleString('fr-FR')} chèques en ${(issueMs / 1000).toFixed(1)} s, ` +
      `${(issueMs / (VOUCHERS / 1000)).toFixed(0)} ms pour 1 000 chèques, mémoire de pointe ${issuePeak.toFixed(0)} Mo ; ` +
      `référence (mêmes lignes, octets aléatoires, sans codes) ${(baselineMs / (VOUCHERS / 1000)).toFixed(0)} ms pour 1 000 ; rapport ${(issueMs / baselineMs).toFixed(2)}×`,
  );
}

export async function main(): Promise<void> {
  console.log(`Émission : ${BOOKLETS.toLocaleString('fr-FR')} carnets de ${PER_BOOKLET}, puis impression de ${PRINTED.toLocaleString('fr-FR')} chèques.`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-bench-issue-'));
  try {
    const embedded = await openDatabase({ kind: 'pglite', dataDir: path.join(dir, 'pglite') });
    try {
      await run('PGlite', embedded, dir);
    } finally {
      await embedded.close();
    }

    const url = new URL(process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432/test');
    const name = `passnum_bench_issue_${process.pid}`;
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const scratch = new URL(url);
    scratch.pathname = `/${name}`;
    const database = await openDatabase({ kind: 'postgres', url: scratch.toString(), poolSize: 2 });
    try {
      await run('PostgreSQL', database, dir);
    } finally {
      await database.close();
      await admin.query(`drop database if exists ${name}`);
      await admin.end();
    }

    const printed = await benchPrintVouchers(PRINTED);
    console.log(
      `Impression : ${PRINTED.toLocaleString('fr-FR')} chèques en ${(printed.ms / 1000).toFixed(1)} s, ${printed.perThousandMs.toFixed(0)} ms pour 1 000, ` +
        `mémoire de pointe ${printed.peakRssMb.toFixed(0)} Mo, PDF de ${(printed.bytes / 1024 / 1024).toFixed(1)} Mo`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
