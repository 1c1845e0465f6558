import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { adminUrl, databaseUrl } from '../support/postgres.js';

describe('migrations on PostgreSQL', () => {
  it('let two migrators start together on an empty database: one migrates, the other finds nothing to do', async () => {
    const testUrl = process.env.TEST_DATABASE_URL!;
    const name = `passnum_empty_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl(testUrl) });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const [a, b] = await Promise.all([1, 2].map(() => openDatabase({ kind: 'postgres', url: databaseUrl(testUrl, name), poolSize: 2 })));
    try {
      const applied = await Promise.all([migrate(a!), migrate(b!)]);
      expect(applied.map((versions) => versions.length).sort()).toEqual([0, applied.flat().length]);
      expect(applied.flat().length).toBeGreaterThan(0);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
      await admin.query(`drop database ${name}`);
      await admin.end();
    }
  });
});
