import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { createHash } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.js';
import { PREPARED } from './prepared.js';
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
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
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
 * The pool as Kysely sees it, where a statement marked PREPARED (a statement of fixed text run
 * often: the counter's batches take their rows as arrays) is sent as a named prepared statement:
 * PostgreSQL parses and analyses it once per connection instead of at every run. The name is the
 * text's hash, so that a name always means the same text. PGlite ignores the mark (a comment).
 */
function preparingPool(pool: pg.Pool) {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name) {
      name = `pn_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    return name;
  };
  return {
    async connect() {
      const client = await pool.connect();
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      return Object.assign(Object.create(client) as pg.PoolClient, {
        query: (first: unknown, values?: unknown[]) =>
          typeof first === 'string' && first.startsWith(PREPARED) ? query({ name: nameOf(first), text: first, values }) : query(first, values),
        release: (error?: Error | boolean) => client.release(error),
      });
    },
    end: () => pool.end(),
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
