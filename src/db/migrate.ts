import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Database } from './client.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
// Any constant: serialises concurrent migrators on PostgreSQL (PGlite has one connection anyway).
const MIGRATION_LOCK_KEY = 4_242_001;

export interface Migration {
  version: number;
  name: string;
  script: string;
  checksum: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file, index) => {
      const match = FILE_NAME.exec(file);
      if (!match) throw new Error(`migration file name ${file} is not NNNN_name.sql`);
      const version = Number(match[1]);
      if (version !== index + 1) throw new Error(`migration ${file} breaks the numbering (expected ${index + 1})`);
      const script = await readFile(`${dir}${file}`, 'utf8');
      return { version, name: match[2]!, script, checksum: createHash('sha256').update(script).digest('hex') };
    }),
  );
}

/**
 * Applies the migrations not yet applied, each in its own transaction, and refuses to start when a
 * migration that already ran was edited since (landed migrations are never edited).
 * Returns the versions applied.
 */
export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<number[]> {
  const migrations = await loadMigrations(dir);
  return database.db.connection().execute(async (conn) => {
    // Lock first, then create the bookkeeping table: two migrators starting on a fresh database
    // (a server and `passnum migrate`) must not both create it.
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      await sql`
        create table if not exists schema_migrations (
          version integer primary key,
          name text not null,
          checksum text not null,
          applied_at timestamptz not null default now()
        )`.execute(conn);
      const applied = await conn.selectFrom('schema_migrations').selectAll().orderBy('version').execute();
      for (const row of applied) {
        const known = migrations.find((m) => m.version === row.version);
        if (!known) throw new Error(`the database has migration ${row.version} (${row.name}) that this code does not know`);
        if (known.checksum !== row.checksum) {
          throw new Error(`migration ${row.version}_${row.name} was edited after it ran: write a new migration instead`);
        }
      }
      const pending = migrations.filter((m) => !applied.some((a) => a.version === m.version));
      for (const migration of pending) {
        await conn.transaction().execute(async (trx) => {
          await sql.raw(migration.script).execute(trx);
          await trx
            .insertInto('schema_migrations')
            .values({ version: migration.version, name: migration.name, checksum: migration.checksum })
            .execute();
        });
      }
      return pending.map((m) => m.version);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
}
