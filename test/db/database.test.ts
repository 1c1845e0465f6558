import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createTestContext, onPostgres, type TestContext } from '../support/context.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

describe(`database on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('returns the same JS types on both drivers: int8 as number, numeric as string, bytea as Buffer, date as string', async () => {
    const { rows } = await sql<{ big: unknown; counted: unknown; exact: unknown; bytes: unknown; day: unknown; at: unknown }>`
      select 9007199254740991::int8 as big, count(*) as counted, 0.1::numeric as exact,
             ${Buffer.from([0, 1, 255])}::bytea as bytes, '2026-03-29'::date as day, now() as at`.execute(t.ctx.db);
    const row = rows[0]!;
    expect(row.big).toBe(9007199254740991);
    expect(row.counted).toBe(1);
    expect(row.exact).toBe('0.1');
    expect(Buffer.isBuffer(row.bytes) && [...(row.bytes as Buffer)]).toEqual([0, 1, 255]);
    expect(row.day).toBe('2026-03-29');
    expect(row.at).toBeInstanceOf(Date);
  });

  it('refuses an int8 beyond the safe integer range rather than rounding it', async () => {
    await expect(sql`select 9007199254740993::int8 as v`.execute(t.ctx.db)).rejects.toThrow(/safe integer/);
  });

  it('has applied every migration, and applying them again changes nothing', async () => {
    const applied = await t.ctx.db.selectFrom('schema_migrations').select('version').execute();
    expect(applied.length).toBeGreaterThan(0);
    expect(await migrate(t.database)).toEqual([]);
  });

  it('refuses to run when a migration that already ran was edited', async () => {
    const source = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-migrations-'));
    try {
      await cp(source, dir, { recursive: true });
      const first = path.join(dir, '0001_accounts_and_audit.sql');
      await writeFile(first, `${await readFile(first, 'utf8')}\n-- edited\n`);
      await expect(migrate(t.database, `${dir}/`)).rejects.toThrow(/edited after it ran/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the audit journal', async () => {
    await sql`insert into audit_events (occurred_at, action, subject_type, subject_id) values (now(), 'test.done', 'test', '1')`.execute(t.ctx.db);
    await expect(sql`update audit_events set action = 'test.changed'`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_events`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_events`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
    const { rows } = await sql<{ n: number }>`select count(*) as n from audit_events where action = 'test.done'`.execute(t.ctx.db);
    expect(rows[0]!.n).toBe(1);
  });

  it('rolls a transaction back whole when it fails half-way', async () => {
    await expect(
      t.ctx.db.transaction().execute(async (trx) => {
        await trx.insertInto('organisations').values({ kind: 'funder', name: 'Demi-écriture' }).execute();
        await trx.insertInto('organisations').values({ kind: 'nope' as 'funder', name: 'Invalide' }).execute();
      }),
    ).rejects.toThrow();
    const found = await t.ctx.db.selectFrom('organisations').select('id').where('name', '=', 'Demi-écriture').execute();
    expect(found).toEqual([]);
  });

  it('serialises concurrent transactions without mixing them', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `Concurrente ${i}`);
    await Promise.all(
      names.map((name) =>
        t.ctx.db.transaction().execute(async (trx) => {
          await trx.insertInto('organisations').values({ kind: 'provider', name }).execute();
          if (name.endsWith('3')) throw new Error('rollback this one');
        }).catch(() => undefined),
      ),
    );
    const rows = await t.ctx.db.selectFrom('organisations').select('name').where('name', 'like', 'Concurrente %').execute();
    expect(rows.map((r) => r.name).sort()).toEqual(names.filter((n) => !n.endsWith('3')).sort());
  });
});
