import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { createTestContext, type TestContext } from './context.js';

export interface TestApp extends TestContext {
  app: FastifyInstance;
  /** Every structured log line written so far, raw. */
  logs: string[];
}

/** Sign-in limits loose enough for a file whose tests sign many people in, tight enough to stay real. */
export const MANY_SIGN_INS = { signIn: { max: 100, windowMs: 60_000 }, signInPerAccount: { max: 20, windowMs: 60_000 }, passwordReset: { max: 5, windowMs: 60_000 } };

/** The platform as invoices print it, with a real SIRET (its VAT number derives from it). */
export const INVOICING_PLATFORM = { name: 'Groupement passnum', address: '12 rue des Ponts, 33000 Bordeaux', siret: '40483304800022', email: 'factures@passnum.test', vatNumber: null };

export async function createTestApp(config: Partial<Config> = {}): Promise<TestApp> {
  const test = await createTestContext(config);
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await buildApp(test.ctx, { logStream });
  await app.ready();
  return {
    ...test,
    app,
    logs,
    async close() {
      await app.close();
      await test.close();
    },
  };
}
