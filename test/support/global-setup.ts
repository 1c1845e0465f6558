import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import { ensureReferentialPublished } from '../../src/domains/referential/publish-referential.js';
import { systemClock } from '../../src/lib/clock.js';
import { testConfig } from './context.js';
import { adminUrl, databaseUrl, templateName } from './postgres.js';
import pg from 'pg';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A dump of a migrated PGlite database, cloned by each test file (PGlite runs). */
    pgliteDump: string;
    /** A migrated PostgreSQL database used as template by each test file (TEST_DATABASE_URL runs). */
    postgresTemplate: string;
  }
}

/**
 * Migrates once, then lets every test file start from a copy: a PGlite dump, or a PostgreSQL
 * template database when TEST_DATABASE_URL is set. With CI=true, a PostgreSQL run whose server
 * does not answer fails instead of falling back.
 */
export default async function setup(project: TestProject) {
  const testUrl = process.env.TEST_DATABASE_URL;
  if (testUrl) {
    const template = templateName();
    const admin = new pg.Client({ connectionString: adminUrl(testUrl) });
    await admin.connect();
    await admin.query(`drop database if exists ${template}`);
    await admin.query(`create database ${template}`);
    const database = await openDatabase({ kind: 'postgres', url: databaseUrl(testUrl, template), poolSize: 1 });
    await prepare(database);
    await database.close();
    project.provide('postgresTemplate', template);
    project.provide('pgliteDump', '');
    return async () => {
      await admin.query(`drop database if exists ${template}`);
      await admin.end();
    };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-test-'));
  const database = await openDatabase({ kind: 'pglite' });
  await prepare(database);
  const file = path.join(dir, 'migrated.tar.gz');
  await writeFile(file, Buffer.from(await (await database.dumpDataDir!()).arrayBuffer()));
  await database.close();
  project.provide('pgliteDump', file);
  project.provide('postgresTemplate', '');
  return async () => rm(dir, { recursive: true, force: true });
}

/** What the server does on start: migrations, then the first version of the referential. */
async function prepare(database: Database): Promise<void> {
  await migrate(database);
  const mailer = { send: async () => undefined };
  const log = { error: () => undefined };
  await ensureReferentialPublished({ db: database.db, clock: systemClock, mailer, config: testConfig(), log }, SYSTEM_ACTOR);
}
