import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import { ensureReferentialPublished } from '../../src/domains/referential/publish-referential.js';
import { createProgressBar } from '../../src/cli/settle.js';
import { run } from '../support/cli.js';
import { TEST_VOUCHER_SECRET, TestClock, TestMailbox, onPostgres, openTestDatabase, testConfig } from '../support/context.js';
import { IBANS, at, createPaidProvider, createPurse, scan, xmlTag } from './fixtures.js';

/**
 * `npx passnum settle` in a child process, on the engine of the run: a PGlite data directory
 * (closed before the command opens it) or the test's PostgreSQL database. The month settled is
 * October 2026, over by the real clock the command runs with.
 */

let workDir: string;
let env: Record<string, string>;
let drop: () => Promise<void> = async () => undefined;
let providers: string[] = [];

async function seed(database: Database) {
  const clock = new TestClock(new Date('2026-10-01T08:00:00Z'));
  const ctx: AppContext = { db: database.db, clock, mailer: new TestMailbox(), config: testConfig(), log: { error: () => undefined } };
  await ensureReferentialPublished(ctx, SYSTEM_ACTOR);
  const purse = await createPurse(ctx);
  const atelier = await createPaidProvider(ctx, 'Atelier', 'bordeaux', { iban: IBANS[0], bic: null });
  const brioche = await createPaidProvider(ctx, 'Brioche', 'ajaccio', { iban: IBANS[1], bic: null });
  const cyber = await createPaidProvider(ctx, 'Cyber', 'reunion', null);
  at(clock, '2026-10-14T09:00:00Z');
  await scan(ctx, atelier, 'bordeaux', await purse.take(2));
  await scan(ctx, atelier, 'bordeaux', await purse.take(1));
  await scan(ctx, brioche, 'ajaccio', await purse.take(3));
  await scan(ctx, cyber, 'reunion', await purse.take(1));
  providers = [atelier.provider.organisation.id, brioche.provider.organisation.id, cyber.provider.organisation.id];
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'passnum-settle-'));
  const common = { PASSNUM_VOUCHER_SECRET: TEST_VOUCHER_SECRET.toString('base64'), LOG_LEVEL: 'warn' };
  if (onPostgres) {
    const test = await openTestDatabase();
    drop = test.drop;
    await seed(test.database);
    env = { ...common, DATABASE_URL: test.url!, PASSNUM_DATA_DIR: path.join(workDir, 'unused') };
  } else {
    const dataDir = path.join(workDir, 'data');
    await mkdir(dataDir, { recursive: true });
    const database = await openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pglite') });
    await migrate(database);
    await seed(database);
    await database.close();
    env = { ...common, DATABASE_URL: '', PASSNUM_DATA_DIR: dataDir };
  }
}, 120_000);

afterAll(async () => {
  await drop();
  await rm(workDir, { recursive: true, force: true });
});

/** The database as the command left it (PGlite: opened after the command ended). */
async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const database = onPostgres
    ? await openDatabase({ kind: 'postgres', url: env.DATABASE_URL!, poolSize: 1 })
    : await openDatabase({ kind: 'pglite', dataDir: path.join(env.PASSNUM_DATA_DIR!, 'pglite') });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

describe('npx passnum settle', () => {
  it('refuses a malformed month, and a month whose grace day is not over, before doing anything', async () => {
    const malformed = await run(['settle', '--month', '2026-13'], env);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('Indiquez un mois au format AAAA-MM');
    const future = await run(['settle', '--month', '2099-01'], env);
    expect(future.code).toBe(1);
    expect(future.stderr).toContain('jour de grâce');
  }, 120_000);

  it('settles the month with a progress bar, writes the SEPA file and one statement per payout; a second run redoes nothing', async () => {
    const out = path.join(workDir, 'sortie');
    const first = await run(['settle', '--month', '2026-10', '--out', out], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Règlement de 2026-10 : 4 services payés, 3 virements (2 dans le fichier SEPA, 1 en attente d’IBAN).');
    expect(first.stdout).toContain('Brut 70 €, frais 2,80 € (dont fonds territorial 0,70 €), abonnements déduits 0 €, net 67,20 €.');
    // Not a terminal: one finished bar per stage.
    for (const stage of ['Lecture des scans', 'Contrôle d’intégrité', 'Écritures comptables', 'Fichier SEPA', 'Relevés PDF']) {
      expect(first.stderr).toMatch(new RegExp(`${stage} +\\[█{30}\\] 100 %`, 'u'));
    }

    const monthDir = path.join(out, '2026-10');
    const xml = await readFile(path.join(monthDir, 'virements-2026-10.xml'), 'utf8');
    const statements = (await readdir(path.join(monthDir, 'releves'))).sort();
    const stored = await withDatabase(async ({ db }) => ({
      batch: await db.selectFrom('payout_batches').select(['xml', 'transactions', 'control_sum_cents']).executeTakeFirstOrThrow(),
      payouts: await db.selectFrom('payouts').select(['statement_number', 'net_cents', 'provider_id']).orderBy('statement_number').execute(),
    }));
    expect(xml).toBe(stored.batch.xml);
    expect(xmlTag(xml, 'NbOfTxs')).toBe(String(stored.batch.transactions));
    expect(xmlTag(xml, 'CtrlSum')).toBe((stored.batch.control_sum_cents / 100).toFixed(2));
    expect(stored.payouts.map((p) => p.provider_id).sort()).toEqual([...providers].sort());
    expect(statements).toEqual(stored.payouts.map((p) => `${p.statement_number}.pdf`));
    for (const file of statements) {
      const pdf = await readFile(path.join(monthDir, 'releves', file));
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    }

    const second = await run(['settle', '--month', '2026-10', '--out', out], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('Le mois 2026-10 était déjà réglé');
    expect(await readFile(path.join(monthDir, 'virements-2026-10.xml'), 'utf8')).toBe(xml);
    const counts = await withDatabase(async ({ db }) => ({
      settlements: (await db.selectFrom('settlements').select('id').execute()).length,
      payouts: (await db.selectFrom('payouts').select('id').execute()).length,
    }));
    expect(counts).toEqual({ settlements: 1, payouts: 3 });
  }, 180_000);
});

describe('the progress bar', () => {
  it('redraws one line in a terminal, and writes one line per finished stage elsewhere', () => {
    let time = 0;
    const tty = { text: '', isTTY: true, write(s: string) { this.text += s; } };
    const bar = createProgressBar(tty, () => time);
    bar.update('Virements', 0, 4);
    time += 50;
    bar.update('Virements', 1, 4); // too soon: not redrawn
    time += 200;
    bar.update('Virements', 2, 4);
    bar.update('Fichier SEPA', 1, 1);
    bar.finish();
    expect(tty.text.split('\r').filter(Boolean)).toEqual([
      `Virements              [${'░'.repeat(30)}]   0 % 0/4`,
      `Virements              [${'█'.repeat(15)}${'░'.repeat(15)}]  50 % 2/4`,
      `Virements              [${'█'.repeat(30)}] 100 % 4/4\n`,
      `Fichier SEPA           [${'█'.repeat(30)}] 100 %`,
      `Fichier SEPA           [${'█'.repeat(30)}] 100 %\n`,
    ]);

    const log = { text: '', isTTY: false, write(s: string) { this.text += s; } };
    const plain = createProgressBar(log);
    plain.update('Virements', 1, 4);
    plain.update('Virements', 4, 4);
    plain.update('Écritures comptables', 10, 100);
    plain.finish();
    expect(log.text).toBe(`Virements              [${'█'.repeat(30)}] 100 % 4/4\nÉcritures comptables   [${'█'.repeat(3)}${'░'.repeat(27)}]  10 % 10/100\n`);
  });
});
