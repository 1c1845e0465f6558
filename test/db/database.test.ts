import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { PREPARED_LAST } from '../../src/db/prepared.js';
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

  it('fails a statement whose assertion is false, with its message (assert_true, migration 0013)', async () => {
    const { rows } = await sql<{ ok: boolean }>`select assert_true(1 = 1, 'never') as ok`.execute(t.ctx.db);
    expect(rows[0]!.ok).toBe(true);
    await expect(sql`select assert_true(1 = 2, 'one is not two')`.execute(t.ctx.db)).rejects.toMatchObject({ message: 'one is not two', code: 'P0004' });
    await expect(sql`select assert_true(null, 'unknown is not true')`.execute(t.ctx.db)).rejects.toThrow('unknown is not true');
  });

  describe('a transaction whose last statement carries its COMMIT (PREPARED_LAST)', () => {
    const names = (prefix: string) =>
      t.ctx.db.selectFrom('organisations').select('name').where('name', 'like', `${prefix}%`).orderBy('name').execute().then((rows) => rows.map((r) => r.name));
    const last = (name: string, ok: boolean) =>
      sql`${sql.raw(PREPARED_LAST)}
        with added as (insert into organisations (kind, name) values ('funder', ${name}) returning id)
        select assert_true(${ok}, 'refused by the statement') and (select count(*) from added) = 1 as written`;

    it('commits what came before it and what it wrote, and returns the work’s result', async () => {
      const result = await t.ctx.db.transaction().execute(async (trx) => {
        await trx.insertInto('organisations').values({ kind: 'funder', name: 'Dernière A1' }).execute();
        const { rows } = await last('Dernière A2', true).execute(trx);
        return rows;
      });
      expect(result).toEqual([{ written: true }]);
      expect(await names('Dernière A')).toEqual(['Dernière A1', 'Dernière A2']);
    });

    it('rolls everything back when it fails, with its error, and the connection serves the next transaction', async () => {
      await expect(
        t.ctx.db.transaction().execute(async (trx) => {
          await trx.insertInto('organisations').values({ kind: 'funder', name: 'Dernière B1' }).execute();
          await last('Dernière B2', false).execute(trx);
        }),
      ).rejects.toThrow('refused by the statement');
      expect(await names('Dernière B')).toEqual([]);
      // Every connection of the pool in turn: none was left inside a transaction.
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => t.ctx.db.transaction().execute((trx) => last(`Dernière B${i + 10}`, true).execute(trx))),
      );
      expect(await names('Dernière B')).toHaveLength(12);
    });

    it('rolls back and fails when the COMMIT itself fails (a deferred check)', async () => {
      await expect(
        t.ctx.db.transaction().execute(async (trx) => {
          await sql`create temp table deferred_once (n int unique deferrable initially deferred) on commit drop`.execute(trx);
          await trx.insertInto('organisations').values({ kind: 'funder', name: 'Dernière C1' }).execute();
          await sql`${sql.raw(PREPARED_LAST)} insert into deferred_once values (1), (1)`.execute(trx);
        }),
      ).rejects.toMatchObject({ code: '23505' });
      expect(await names('Dernière C')).toEqual([]);
    });

    it('is an ordinary transaction whose work throws after a plain statement', async () => {
      await expect(
        t.ctx.db.transaction().execute(async (trx) => {
          await trx.insertInto('organisations').values({ kind: 'funder', name: 'Dernière D1' }).execute();
          throw new Error('changed its mind');
        }),
      ).rejects.toThrow('changed its mind');
      await t.ctx.db.transaction().execute(async () => undefined);
      expect(await names('Dernière D')).toEqual([]);
    });
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
