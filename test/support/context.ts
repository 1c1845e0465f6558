import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { inject } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { readConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import type { Clock } from '../../src/lib/clock.js';
import type { MailMessage, Mailer } from '../../src/mail/mailer.js';
import { adminUrl, databaseUrl } from './postgres.js';

export class TestClock implements Clock {
  constructor(private current = new Date('2026-03-02T09:00:00Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advanceMinutes(minutes: number): void {
    this.current = new Date(this.current.getTime() + minutes * 60_000);
  }
}

export class TestMailbox implements Mailer {
  readonly sent: MailMessage[] = [];
  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }
  /** The last link of the last message sent to this address. */
  lastLinkTo(email: string): string {
    const message = this.sent.findLast((m) => m.to === email);
    const link = message?.text.match(/https?:\/\/\S+/g)?.at(-1);
    if (!link) throw new Error(`no link mailed to ${email}`);
    return link;
  }
}

export interface TestContext {
  ctx: AppContext;
  database: Database;
  clock: TestClock;
  mailbox: TestMailbox;
  /** What the use cases logged as errors (a mail not sent…). */
  errors: object[];
  close(): Promise<void>;
}

export const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

/** A fresh, migrated database for one test file: PGlite by default, PostgreSQL with TEST_DATABASE_URL. */
export async function openTestDatabase(options: { poolSize?: number } = {}): Promise<{ database: Database; url?: string; drop(): Promise<void> }> {
  const testUrl = process.env.TEST_DATABASE_URL;
  if (!testUrl) {
    const dump = await readFile(inject('pgliteDump'));
    const database = await openDatabase({ kind: 'pglite', loadDataDir: new Blob([dump]) });
    return { database, drop: () => database.close() };
  }
  const name = `passnum_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl(testUrl) });
  await admin.connect();
  await admin.query(`create database ${name} template ${inject('postgresTemplate')}`);
  const url = databaseUrl(testUrl, name);
  const database = await openDatabase({ kind: 'postgres', url, poolSize: options.poolSize ?? 20 });
  return {
    database,
    url,
    async drop() {
      await database.close();
      await admin.query(`drop database if exists ${name}`);
      await admin.end();
    },
  };
}

/** Fixed so that tests can compute hashes; never a real installation's secret. */
export const TEST_VOUCHER_SECRET = Buffer.alloc(32, 7);

export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...readConfig({ PASSNUM_DATA_DIR: '/nonexistent-test-dir', PASSNUM_PUBLIC_URL: 'http://passnum.test' }),
    logLevel: 'info',
    voucherSecret: TEST_VOUCHER_SECRET,
    ...overrides,
  };
}

/** A fresh database and a context on it; `poolSize`: its PostgreSQL connections (20). */
export async function createTestContext(config: Partial<Config> = {}, options: { poolSize?: number } = {}): Promise<TestContext> {
  const { database, drop } = await openTestDatabase(options);
  const clock = new TestClock();
  const mailbox = new TestMailbox();
  const errors: object[] = [];
  return {
    ctx: { db: database.db, clock, mailer: mailbox, config: testConfig(config), log: { error: (details, message) => errors.push({ ...details, message }) } },
    errors,
    database,
    clock,
    mailbox,
    close: drop,
  };
}
