import { describe, expect, it } from 'vitest';
import { freePort, run, serve } from '../support/cli.js';
import { openTestDatabase } from '../support/context.js';

describe('real PostgreSQL (DATABASE_URL)', () => {
  it('serves on PostgreSQL without ever seeding the demo world, and loads it only when asked', async () => {
    const { url, drop } = await openTestDatabase();
    try {
      const port = await freePort();
      const env = { DATABASE_URL: url!, PORT: String(port), HOST: '127.0.0.1', PASSNUM_DATA_DIR: '/nonexistent' };
      const server = await serve(env);
      expect(server.output()).toContain('base : PostgreSQL');
      expect(server.output()).not.toContain('demo.passnum.fr');
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      server.child.kill('SIGTERM');
      expect(await server.exit).toBe(0);
      const demo = await run(['demo'], env);
      expect(demo.stdout).toContain('operateur@demo.passnum.fr');
    } finally {
      await drop();
    }
  }, 120_000);
});
