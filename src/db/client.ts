import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import os from 'node:os';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.js';
import type { DB } from './schema.js';
import { PG_OID, identity, parseByteaHex, parseInt8 } from './type-parsers.js';

export type DatabaseKind = 'pglite' | 'postgres';

/** The application's handle on its database, whichever engine is behind it. */
export interface Database {
  readonly kind: DatabaseKind;
  readonly db: Kysely<DB>;
  /** Runs a script of several statements (migrations); no parameters. */
  execScript(script: string): Promise<void>;
  /** PGlite only: a copy of the whole data directory (tests start from a migrated copy). */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

/**
 * Refreshes the planner's statistics. PostgreSQL's autovacuum does it on its own; PGlite has no
 * autovacuum, and without statistics the place search picks plans 100 times slower (measured on
 * 20,000 places: seconds instead of ~30 ms). Called at start-up and after bulk imports.
 */
export async function refreshStatistics(database: Database): Promise<void> {
  await database.execScript('analyze');
}

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
  /** dataDir undefined: in memory. loadDataDir: start from a dump (tests). */
  | { kind: 'pglite'; dataDir?: string; loadDataDir?: Blob };

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return target.kind === 'postgres' ? openPostgres(target.url, target.poolSize) : openPGlite(target);
}

function openPostgres(url: string, poolSize = 10): Database {
  const pool = new pg.Pool({
    connectionString: withDefaultUser(url),
    max: poolSize,
    types: {
      getTypeParser: ((oid: number, format?: string) => {
        if (oid === PG_OID.INT8) return parseInt8;
        if (oid === PG_OID.NUMERIC || oid === PG_OID.DATE) return identity;
        return pg.types.getTypeParser(oid, format as 'text');
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection dropped by the server (restart, admin) must not crash the process: the
  // pool replaces it, and the next query reports the error if the server is really gone.
  pool.on('error', () => undefined);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    async execScript(script) {
      await pool.query(script);
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * `postgres://host/db` names no user: like psql, default to the OS user (pg would send none when
 * $USER is unset, as in containers).
 */
function withDefaultUser(url: string): string {
  const parsed = new URL(url);
  if (parsed.username) return url;
  parsed.username = process.env.PGUSER ?? os.userInfo().username;
  return parsed.toString();
}

async function openPGlite(target: { dataDir?: string; loadDataDir?: Blob }): Promise<Database> {
  const pglite = await PGlite.create(target.dataDir, {
    ...(target.loadDataDir ? { loadDataDir: target.loadDataDir } : {}),
    parsers: {
      [PG_OID.INT8]: parseInt8,
      [PG_OID.NUMERIC]: identity,
      [PG_OID.DATE]: identity,
      [PG_OID.BYTEA]: parseByteaHex,
    },
  });
  const db = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
  return {
    kind: 'pglite',
    db,
    async execScript(script) {
      await pglite.exec(script);
    },
    dumpDataDir: () => pglite.dumpDataDir('gzip'),
    async close() {
      await db.destroy();
      await pglite.close();
    },
  };
}
