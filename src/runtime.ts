import type { AppContext } from './app-context.js';
import type { Config } from './config.js';
import { openDatabase, refreshStatistics, type Database } from './db/client.js';
import { lockDataDir } from './db/data-dir-lock.js';
import { migrate } from './db/migrate.js';
import { SYSTEM_ACTOR } from './domains/actor.js';
import { ensureReferentialPublished } from './domains/referential/publish-referential.js';
import { systemClock } from './lib/clock.js';
import pino from 'pino';
import { createMailer } from './mail/mailer.js';

/**
 * What the server and every CLI command share: the database (embedded PGlite under its lock, or
 * PostgreSQL when DATABASE_URL is set), migrated, and the context of the use cases.
 */
export interface Runtime {
  ctx: AppContext;
  database: Database;
  close(): Promise<void>;
}

export async function openRuntime(config: Config, options: { migrate?: boolean } = {}): Promise<Runtime> {
  const unlock = config.databaseUrl ? undefined : await lockDataDir(config.dataDir);
  let database: Database;
  try {
    database = config.databaseUrl
      ? await openDatabase({ kind: 'postgres', url: config.databaseUrl })
      : await openDatabase({ kind: 'pglite', dataDir: `${config.dataDir}/pglite` });
    if (options.migrate !== false) await migrate(database);
  } catch (error) {
    await unlock?.();
    throw error;
  }
  const ctx: AppContext = { db: database.db, clock: systemClock, mailer: createMailer(config), config, log: pino({ level: config.logLevel }) };
  if (options.migrate !== false) await ensureReferentialPublished(ctx, SYSTEM_ACTOR);
  if (database.kind === 'pglite') await refreshStatistics(database);
  return {
    ctx,
    database,
    async close() {
      await database.close();
      await unlock?.();
    },
  };
}
