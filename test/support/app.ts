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
