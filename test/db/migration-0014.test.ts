import { randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { onPostgres } from '../support/context.js';
import { adminUrl, databaseUrl } from '../support/postgres.js';

/** An empty database: in memory on PGlite, a scratch one on PostgreSQL (TEST_DATABASE_URL). */
async function emptyDatabase(): Promise<{ database: Database; drop(): Promise<void> }> {
  const testUrl = process.env.TEST_DATABASE_URL;
  if (!testUrl) {
    const database = await openDatabase({ kind: 'pglite' });
    return { database, drop: () => database.close() };
  }
  const name = `passnum_upgrade_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl(testUrl) });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const database = await openDatabase({ kind: 'postgres', url: databaseUrl(testUrl, name), poolSize: 2 });
  return {
    database,
    async drop() {
      await database.close();
      await admin.query(`drop database ${name}`);
      await admin.end();
    },
  };
}

describe(`migration 0014 on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('lists the vouchers spent before it, and only those', async () => {
    const { database, drop } = await emptyDatabase();
    const before = await mkdtemp(path.join(os.tmpdir(), 'passnum-migrations-'));
    try {
      const source = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));
      await cp(source, before, { recursive: true, filter: (file) => !/00(1[4-9]|[2-9]\d)_/u.test(path.basename(file)) });
      expect(await migrate(database, `${before}/`)).toHaveLength(13);

      // Two vouchers of the schema before 0014, one spent, written as they were (their parents'
      // rows do not matter here: the references are not checked in replica mode).
      const [spent, unspent, redemption] = [randomUUID(), randomUUID(), randomUUID()];
      await database.db.connection().execute(async (conn) => {
        await sql`set session_replication_role = replica`.execute(conn);
        await sql`insert into vouchers (id, order_id, booklet_id, position, code_hash, code_sealed, face_value_cents, redemption_id, redeemed_at)
          values (${spent}, ${randomUUID()}, ${randomUUID()}, 1, ${randomBytes(32)}, ${randomBytes(40)}, 1000, ${redemption}, now()),
                 (${unspent}, ${randomUUID()}, ${randomUUID()}, 2, ${randomBytes(32)}, ${randomBytes(40)}, 1000, null, null)`.execute(conn);
        await sql`set session_replication_role = origin`.execute(conn);
      });

      expect((await migrate(database))[0]).toBe(14);
      const links = await database.db.selectFrom('redemption_vouchers').selectAll().execute();
      expect(links).toEqual([{ redemption_id: redemption, voucher_id: spent }]);
      const { rows } = await sql<{ indexes: string[] }>`select array_agg(indexname::text order by indexname) as indexes from pg_indexes where tablename = 'vouchers'`.execute(database.db);
      expect(rows[0]!.indexes).not.toContain('vouchers_redemption_idx');
      // Room in each new page for a mark's new row version.
      const { rows: options } = await sql<{ reloptions: string[] | null }>`select reloptions from pg_class where relname = 'vouchers'`.execute(database.db);
      expect(options[0]!.reloptions).toEqual(['fillfactor=80']);
    } finally {
      await rm(before, { recursive: true, force: true });
      await drop();
    }
  });
});
