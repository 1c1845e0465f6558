import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { createHash } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.js';
import { PREPARED, PREPARED_LAST } from './prepared.js';
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
    // A statement is sent without waiting for the answer to the one before (see pipeliningPool).
    pipeline: true,
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
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: pipeliningPool(pool) }) });
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
 * The pool as Kysely sees it. Its connections pipeline (pg's `pipeline` mode: a statement is sent
 * without waiting for the answer to the one before, each with its own Sync, answers in order), and
 * three things are sent differently:
 * - a statement marked PREPARED (fixed text, run often: the counter's batches take their rows as
 *   JSON) is sent as a named prepared statement, parsed and analysed once per connection instead
 *   of at every run; the name is the text's hash, so that a name always means the same text;
 * - BEGIN goes out at once but is answered at once, without its result: it travels with the
 *   transaction's first statement, whose answer carries BEGIN's error if it had one;
 * - a statement marked PREPARED_LAST is followed at once by COMMIT, whose answer the transaction's
 *   commit (or rollback) then collects (db/prepared.ts says what this asks of the code).
 * Under load, each answer waits for the event loop as long as it is busy with other requests: a
 * round trip fewer is that wait fewer (npm run bench -- redeem). PGlite ignores the marks (comments).
 */
function pipeliningPool(pool: pg.Pool) {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name) {
      name = `pn_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    return name;
  };
  const done = { command: '', rowCount: null, rows: [] as unknown[] };
  const prepared = (text: string) => text.startsWith(PREPARED) || text.startsWith(PREPARED_LAST);
  return {
    async connect() {
      const client = await pool.connect();
      const send = (text: string, values?: unknown[]): Promise<pg.QueryResult> =>
        prepared(text) ? client.query({ name: nameOf(text), text, values: values ?? [] }) : client.query(text, values);
      /** BEGIN sent, its answer not yet collected. */
      let beginning: Promise<unknown> | undefined;
      /** COMMIT sent after a PREPARED_LAST statement, its answer not yet collected. */
      let committing: Promise<pg.QueryResult> | undefined;
      const query = (text: string, values?: unknown[]): Promise<pg.QueryResult> => {
        if (/^(begin|start transaction)\b/i.test(text)) {
          beginning = send(text, values);
          beginning.catch(() => undefined);
          return Promise.resolve({ ...done, command: 'BEGIN' } as pg.QueryResult);
        }
        if (committing && /^(commit|rollback)$/i.test(text)) {
          // The transaction ended with its last statement: COMMIT if that statement succeeded,
          // ROLLBACK (PostgreSQL's answer to a COMMIT in a failed transaction) if not.
          const ended = committing;
          committing = undefined;
          return /^commit$/i.test(text) ? ended : ended.then(() => ({ ...done, command: 'ROLLBACK' }) as pg.QueryResult);
        }
        const result = send(text, values);
        if (text.startsWith(PREPARED_LAST)) {
          committing = send('commit');
          committing.catch(() => undefined);
        }
        if (!beginning) return result;
        const begun = beginning;
        beginning = undefined;
        return Promise.all([begun, result]).then(([, answer]) => answer);
      };
      return Object.assign(Object.create(client) as pg.PoolClient, {
        query: (first: unknown, values?: unknown[]) => (typeof first === 'string' ? query(first, values) : client.query(first as pg.QueryConfig, values)),
        release: (error?: Error | boolean) => {
          beginning = committing = undefined;
          client.release(error);
        },
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
