import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportEntriesCommand, exportFecCommand, verifyLedgerCommand } from '../../src/cli/ledger-commands.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import type { DB } from '../../src/db/schema.js';
import { insertOrganisation } from '../../src/domains/accounts/repository.js';
import { postFunderPayment } from '../../src/domains/ledger/money-events.js';
import { run } from '../support/cli.js';
import { onPostgres, openTestDatabase, testConfig } from '../support/context.js';

const SIRET = '12345678900017';
const config = testConfig({ platform: { name: 'passnum', address: 'Paris', siret: SIRET, email: 'contact@passnum.fr', vatNumber: null } });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-ledger-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function payments(db: Kysely<DB>, count: number) {
  const funder = await insertOrganisation(db, { kind: 'funder', name: 'Ville de Test' });
  for (let i = 0; i < count; i++) {
    await db.transaction().execute((trx) => postFunderPayment(trx, { funderId: funder.id, invoiceNumber: `FU-2026-00000${i + 1}`, amountCents: 1000 + i }, new Date('2026-03-02T09:00:00Z')));
  }
}

/** What a person with the power to disable triggers could do behind the application's back. */
async function tamper(db: Kysely<DB>) {
  await sql`alter table postings disable trigger postings_append_only`.execute(db);
  await sql`update postings set amount_cents = amount_cents + 100 where entry_seq = 2 and line = 1`.execute(db);
  await sql`update postings set amount_cents = amount_cents - 100 where entry_seq = 2 and line = 2`.execute(db);
  await sql`alter table postings enable trigger postings_append_only`.execute(db);
}

describe('ledger commands, in process', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.drop());

  it('verify-ledger answers 0 on a sound ledger and 1 with the problems on a tampered one; the exports write their files', async () => {
    const db = database.database.db;
    const lines: string[] = [];
    expect(await verifyLedgerCommand(db, (line) => lines.push(line))).toBe(0);
    expect(lines.join('\n')).toContain('Grand livre : 0 écriture');

    await payments(db, 3);
    lines.length = 0;
    expect(await verifyLedgerCommand(db, (line) => lines.push(line))).toBe(0);
    expect(lines).toEqual([
      'Grand livre : 3 écritures, 6 lignes, 3 écritures scellées, 0 trop récente pour être scellée.',
      'Aucun problème : chaîne d’empreintes intacte, écritures équilibrées, soldes justes.',
    ]);

    const printed: string[] = [];
    const file = await exportFecCommand({ db, config }, { year: '2026', out: dir }, (line) => printed.push(line));
    expect(file).toBe(path.join(dir, '123456789FEC20261231.txt'));
    const fec = await readFile(file, 'utf8');
    expect(fec.split('\r\n')[0]!.split('\t')).toHaveLength(18);
    expect(fec.trimEnd().split('\r\n')).toHaveLength(1 + 6);
    expect(printed.join('\n')).toContain('total débit 30,03 €, total crédit 30,03 €');
    expect((await readdir(dir)).filter((name) => name.endsWith('.partiel'))).toEqual([]);
    await expect(exportFecCommand({ db, config }, { year: '26' }, () => {})).rejects.toMatchObject({ code: 'export_period_invalid' });

    const csv = path.join(dir, 'ecritures.csv');
    await exportEntriesCommand({ db }, { from: '2026-01-01', to: '2026-12-31', out: csv }, () => {});
    expect((await readFile(csv, 'utf8')).trimEnd().split('\n')).toHaveLength(1 + 6);
    await expect(exportEntriesCommand({ db }, { from: '2026-12-31', to: '2026-01-01', out: path.join(dir, 'x.csv') }, () => {})).rejects.toMatchObject({
      code: 'export_period_invalid',
    });
    expect(await readdir(dir)).not.toContain('x.csv');

    await tamper(db);
    lines.length = 0;
    expect(await verifyLedgerCommand(db, (line) => lines.push(line))).toBe(1);
    expect(lines[1]).toMatch(/^\d+ problèmes? trouvés? :$/);
    expect(lines).toContain('  - écriture n° 2 : empreinte de la chaîne incorrecte : l’écriture ou ses lignes ont été modifiées après coup');
  });
});

describe('npx passnum verify-ledger and export-fec', () => {
  /** A database the child process can open: the PostgreSQL test database, or a PGlite directory. */
  async function cliDatabase(): Promise<{ env: Record<string, string>; open(): Promise<Database>; close(db: Database): Promise<void>; drop(): Promise<void> }> {
    if (onPostgres) {
      const test = await openTestDatabase();
      return {
        env: { DATABASE_URL: test.url!, PASSNUM_DATA_DIR: dir },
        open: async () => test.database,
        close: async () => {},
        drop: () => test.drop(),
      };
    }
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'passnum-ledger-cli-db-'));
    const open = () => openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pglite') });
    const first = await open();
    await migrate(first);
    await first.close();
    return { env: { DATABASE_URL: '', PASSNUM_DATA_DIR: dataDir }, open, close: (db) => db.close(), drop: () => rm(dataDir, { recursive: true, force: true }) };
  }

  it('exits 0 on a sound ledger, 1 on a tampered one, and writes the FEC', async () => {
    const target = await cliDatabase();
    try {
      let db = await target.open();
      await payments(db.db, 2);
      await target.close(db);
      const env = { ...target.env, PASSNUM_PLATFORM_SIRET: SIRET };

      const sound = await run(['verify-ledger'], env);
      expect(sound.stderr).toBe('');
      expect(sound.code).toBe(0);
      expect(sound.stdout).toContain('Aucun problème');

      const out = path.join(dir, 'cli-fec.txt');
      const exported = await run(['export-fec', '--year', '2026', '--out', out], env);
      expect(exported.code).toBe(0);
      expect(exported.stdout).toContain(`FEC 2026 écrit dans ${out}`);
      expect((await readFile(out, 'utf8')).trimEnd().split('\r\n')).toHaveLength(1 + 4);

      db = await target.open();
      await tamper(db.db);
      await target.close(db);
      const tampered = await run(['verify-ledger'], env);
      expect(tampered.code).toBe(1);
      expect(tampered.stdout).toContain('écriture n° 2 : empreinte de la chaîne incorrecte');
    } finally {
      await target.drop();
    }
  }, 180_000);
});
