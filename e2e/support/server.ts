import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AppContext } from '../../src/app-context.js';
import { readConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import { ensureReferentialPublished } from '../../src/domains/referential/publish-referential.js';
import { buildApp } from '../../src/http/app.js';
import { systemClock } from '../../src/lib/clock.js';
import { createMailer } from '../../src/mail/mailer.js';

export interface RunningServer {
  /** http://127.0.0.1:<port>, also the PASSNUM_PUBLIC_URL of the links in the mails. */
  baseUrl: string;
  /** Where the development mailer writes each mail (<name>.eml and <name>.txt). */
  mailDir: string;
  ctx: AppContext;
  close(): Promise<void>;
}

/** A port free right now: the links in the mails need it before the app is built. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export interface ServerOptions {
  /** Fills the database before the application listens (for instance the demo world: e2e/support/demo.ts). */
  seed?: (ctx: AppContext) => Promise<unknown>;
}

/**
 * The real application, in this process: an in-memory PGlite database, migrated, the
 * development mailer writing files to a temporary directory, listening on 127.0.0.1.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'passnum-e2e-'));
  const mailDir = path.join(dataDir, 'mail');
  await mkdir(mailDir);
  const database = await openDatabase({ kind: 'pglite' });
  try {
    await migrate(database);
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    // The journeys all come from 127.0.0.1: generous limits (the limits themselves are tested in test/http).
    const config = readConfig({
      PASSNUM_DATA_DIR: dataDir,
      PASSNUM_MAIL_DIR: mailDir,
      PASSNUM_PUBLIC_URL: baseUrl,
      LOG_LEVEL: 'warn',
      PASSNUM_RESET_MAX: '100',
      PASSNUM_SIGN_IN_MAX: '100',
    });
    const ctx: AppContext = {
      db: database.db,
      clock: systemClock,
      mailer: createMailer({ smtpUrl: undefined, mailFrom: 'test <t@passnum.test>', mailDir }, false),
      log: { error: (details, message) => console.error(message, details) },
      config,
    };
    await ensureReferentialPublished(ctx, SYSTEM_ACTOR);
    await options.seed?.(ctx);
    const app = await buildApp(ctx);
    await app.listen({ host: '127.0.0.1', port });
    return {
      baseUrl,
      mailDir,
      ctx,
      async close() {
        await app.close();
        await database.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await database.close();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
