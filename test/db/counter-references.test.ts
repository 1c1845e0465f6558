import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/db/schema.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeemVouchers } from '../../src/domains/vouchers/redeem-vouchers.js';
import { createTestContext, onPostgres, type TestContext } from '../support/context.js';
import { addMediator, createPublicPlace } from '../support/places-fixtures.js';
import { activeBooklets, createFunder, recorderOf, redemptionInput } from '../support/voucher-fixtures.js';

// Migration 0011: the references of the counter's rows (redemptions, the vouchers they mark, their
// journal entries, the Idempotency-Keys) are checked once per statement instead of by foreign
// keys, against parents that are never deleted and whose key never changes.
let t: TestContext;
let world: Awaited<ReturnType<typeof setUp>>;

async function setUp() {
  const funder = await createFunder(t.ctx);
  const { order, booklets } = await activeBooklets(t.ctx, funder);
  const { provider, place } = await createPublicPlace(t.ctx);
  const mediator = await addMediator(t.ctx, provider.organisation.id, 'employee');
  const result = await redeemVouchers(t.ctx, recorderOf(provider), redemptionInput(t.ctx, place.id, [booklets[0]!.codes[0]!]));
  if (!result.outcome.ok) throw new Error(`refused: ${result.outcome.reason}`);
  const redemptionId = result.outcome.redemption.id;
  const entry = await t.ctx.db.selectFrom('catalogue_entries').select('id').where('place_id', '=', place.id).executeTakeFirstOrThrow();
  const token = await t.ctx.db
    .insertInto('api_tokens')
    .values({
      organisation_id: provider.organisation.id,
      name: 'Logiciel de caisse',
      prefix: randomUUID().slice(0, 8),
      secret_hash: Buffer.alloc(32, 7),
      scopes: ['redemptions:write'],
      created_by: provider.admin.id,
      created_at: t.ctx.clock.now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const fresh = await t.ctx.db.selectFrom('vouchers').select('id').where('order_id', '=', order.id).where('redemption_id', 'is', null).executeTakeFirstOrThrow();
  return { order, provider, place, mediator, redemptionId, entryId: entry.id, tokenId: token.id, freshVoucherId: fresh.id };
}

beforeAll(async () => {
  t = await createTestContext();
  world = await setUp();
});
afterAll(() => t.close());

/** A copy of the world's redemption under a new id, with some columns replaced. */
function copyRedemption(overrides: Partial<Record<'provider_id' | 'place_id' | 'catalogue_entry_id' | 'mediator_id' | 'recorded_by_user' | 'recorded_by_token', string | null>>) {
  const column = (name: keyof typeof overrides) => (name in overrides ? sql`${overrides[name]}::uuid` : sql.ref(name));
  return sql`insert into redemptions (id, provider_id, place_id, catalogue_entry_id, referential_version, service_code, service_date, delivery_mode,
      price_cents, vouchers_cents, holder_share_cents, voucher_count, mediator_id, recorded_by_user, recorded_by_token, created_at)
    select gen_random_uuid(), ${column('provider_id')}, ${column('place_id')}, ${column('catalogue_entry_id')}, referential_version, service_code, service_date, delivery_mode,
      price_cents, vouchers_cents, holder_share_cents, voucher_count, ${column('mediator_id')}, ${column('recorded_by_user')}, ${column('recorded_by_token')}, created_at
    from redemptions where id = ${world.redemptionId}`.execute(t.ctx.db);
}

const unknown = () => randomUUID();
const FOREIGN_KEY = { code: '23503' };

describe(`the counter's references on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('accepts a redemption whose every reference exists, the mediator and the API token included', async () => {
    await copyRedemption({ mediator_id: world.mediator.id, recorded_by_token: world.tokenId });
    await copyRedemption({ recorded_by_user: null, recorded_by_token: world.tokenId });
  });

  it('refuses a redemption of an unknown provider, place, catalogue entry, mediator, user or API token', async () => {
    const before = await t.ctx.db.selectFrom('redemptions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    for (const column of ['provider_id', 'place_id', 'catalogue_entry_id', 'mediator_id', 'recorded_by_user', 'recorded_by_token'] as const) {
      await expect(copyRedemption({ [column]: unknown() }), column).rejects.toMatchObject(FOREIGN_KEY);
    }
    const after = await t.ctx.db.selectFrom('redemptions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('refuses a voucher marked by an unknown redemption, and leaves it unspent', async () => {
    await expect(
      sql`update vouchers set redemption_id = ${unknown()}::uuid, redeemed_at = now() where id = ${world.freshVoucherId}`.execute(t.ctx.db),
    ).rejects.toMatchObject(FOREIGN_KEY);
    const voucher = await t.ctx.db.selectFrom('vouchers').select('redemption_id').where('id', '=', world.freshVoucherId).executeTakeFirstOrThrow();
    expect(voucher.redemption_id).toBeNull();
  });

  it('refuses a journal entry of an unknown order or redemption', async () => {
    const entry = (orderId: string | null, redemptionId: string | null) =>
      sql`insert into journal_entries (journal, kind, label, booked_on, piece_ref, order_id, redemption_id, created_at)
        values ('EN', 'redemption', 'Encaissement', '2026-11-02', 'x', ${orderId}::uuid, ${redemptionId}::uuid, now())`.execute(t.ctx.db);
    await expect(entry(unknown(), null)).rejects.toMatchObject(FOREIGN_KEY);
    await expect(entry(world.order.id, unknown())).rejects.toMatchObject(FOREIGN_KEY);
  });

  it('refuses an Idempotency-Key of an unknown API token', async () => {
    const key = (tokenId: string) =>
      sql`insert into idempotency_keys (token_id, key, request_hash, outcome, created_at) values (${tokenId}::uuid, ${randomUUID()}, ${Buffer.alloc(32)}, 'null', now())`.execute(t.ctx.db);
    await key(world.tokenId);
    await expect(key(unknown())).rejects.toMatchObject(FOREIGN_KEY);
  });

  it('never deletes a parent, nor changes its key', async () => {
    const parents = [
      ['providers', 'organisation_id', world.provider.organisation.id],
      ['places', 'id', world.place.id],
      ['catalogue_entries', 'id', world.entryId],
      ['mediators', 'id', world.mediator.id],
      ['users', 'id', world.provider.admin.id],
      ['api_tokens', 'id', world.tokenId],
      ['orders', 'id', world.order.id],
    ] as const;
    for (const [table, key, id] of parents) {
      await expect(sql`delete from ${sql.table(table)} where ${sql.ref(key)} = ${id}`.execute(t.ctx.db), table).rejects.toThrow(/never deleted/u);
      // Truncating is refused too (by this guard, or first by the foreign keys that remain).
      await expect(sql`truncate ${sql.table(table)}`.execute(t.ctx.db), table).rejects.toThrow();
      await expect(sql`update ${sql.table(table)} set ${sql.ref(key)} = ${unknown()}::uuid where ${sql.ref(key)} = ${id}`.execute(t.ctx.db), table).rejects.toThrow(
        /never changes/u,
      );
      const row = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)} where ${sql.ref(key)} = ${id}`.execute(t.ctx.db);
      expect(Number(row.rows[0]!.n), table).toBe(1);
    }
    // Other columns still change.
    await sql`update places set name = 'Médiathèque renommée' where id = ${world.place.id}`.execute(t.ctx.db);
  });
});

// Migration 0014: the vouchers of a redemption are listed in redemption_vouchers, written with
// their marks; a mark is an update in place (HOT), no index covering the columns it sets.
describe(`the vouchers of a redemption on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  const mark = (voucherId: string, redemptionId: string) =>
    sql`update vouchers set redemption_id = ${redemptionId}::uuid, redeemed_at = now() where id = ${voucherId}`.execute(t.ctx.db);
  const markAndList = (voucherId: string, redemptionId: string, db: Kysely<DB> = t.ctx.db) =>
    sql`with marked as (
        update vouchers set redemption_id = ${redemptionId}::uuid, redeemed_at = now() where id = ${voucherId} returning id, redemption_id
      ) insert into redemption_vouchers (redemption_id, voucher_id) select redemption_id, id from marked`.execute(db);
  const links = (voucherId: string) => t.ctx.db.selectFrom('redemption_vouchers').selectAll().where('voucher_id', '=', voucherId).execute();
  const unspent = async (voucherId: string) =>
    (await t.ctx.db.selectFrom('vouchers').select('redemption_id').where('id', '=', voucherId).executeTakeFirstOrThrow()).redemption_id === null;

  it('lists the vouchers the counter marked, and only those', async () => {
    const marked = await t.ctx.db.selectFrom('vouchers').select(['id', 'redemption_id']).where('redemption_id', '=', world.redemptionId).execute();
    const listed = await t.ctx.db.selectFrom('redemption_vouchers').selectAll().where('redemption_id', '=', world.redemptionId).execute();
    expect(marked).toHaveLength(1);
    expect(listed).toEqual([{ redemption_id: world.redemptionId, voucher_id: marked[0]!.id }]);
  });

  it('refuses a voucher marked without being listed, and leaves it unspent', async () => {
    await expect(mark(world.freshVoucherId, world.redemptionId)).rejects.toMatchObject(FOREIGN_KEY);
    expect(await unspent(world.freshVoucherId)).toBe(true);
  });

  it('refuses a listed voucher that the redemption did not mark', async () => {
    const list = (voucherId: string, redemptionId: string) =>
      sql`insert into redemption_vouchers (redemption_id, voucher_id) values (${redemptionId}::uuid, ${voucherId}::uuid)`.execute(t.ctx.db);
    // Unspent, spent by another redemption, unknown.
    await expect(list(world.freshVoucherId, world.redemptionId)).rejects.toMatchObject(FOREIGN_KEY);
    const spent = await links(world.freshVoucherId);
    expect(spent).toEqual([]);
    const [{ voucher_id: spentVoucher }] = (await t.ctx.db.selectFrom('redemption_vouchers').select('voucher_id').where('redemption_id', '=', world.redemptionId).execute()) as [
      { voucher_id: string },
    ];
    await copyRedemption({});
    const other = await t.ctx.db.selectFrom('redemptions').select('id').where('id', '!=', world.redemptionId).orderBy('id').executeTakeFirstOrThrow();
    await expect(list(spentVoucher, other.id)).rejects.toMatchObject(FOREIGN_KEY);
    await expect(list(unknown(), world.redemptionId)).rejects.toMatchObject(FOREIGN_KEY);
  });

  it('accepts a voucher marked and listed by one statement, then never changes nor forgets the link', async () => {
    const voucher = await t.ctx.db.selectFrom('vouchers').select('id').where('order_id', '=', world.order.id).where('redemption_id', 'is', null).executeTakeFirstOrThrow();
    await markAndList(voucher.id, world.redemptionId);
    expect(await links(voucher.id)).toEqual([{ redemption_id: world.redemptionId, voucher_id: voucher.id }]);
    await expect(sql`update redemption_vouchers set redemption_id = ${unknown()}::uuid where voucher_id = ${voucher.id}`.execute(t.ctx.db)).rejects.toThrow(/append-only|never/u);
    await expect(sql`delete from redemption_vouchers where voucher_id = ${voucher.id}`.execute(t.ctx.db)).rejects.toThrow(/append-only|never/u);
    expect(await links(voucher.id)).toHaveLength(1);
  });

  it('marks a voucher in place: a HOT update, no index entry', async () => {
    const voucher = await t.ctx.db.selectFrom('vouchers').select('id').where('order_id', '=', world.order.id).where('redemption_id', 'is', null).executeTakeFirstOrThrow();
    // This transaction's counts (PGlite's may include the statements before it: the difference).
    const counts = async (trx: Kysely<DB>) => {
      const { rows } = await sql<{ updated: string | number; hot: string | number }>`
        select n_tup_upd as updated, n_tup_hot_upd as hot from pg_stat_xact_user_tables where relname = 'vouchers'`.execute(trx);
      return { updated: Number(rows[0]!.updated), hot: Number(rows[0]!.hot) };
    };
    const hot = await t.ctx.db.transaction().execute(async (trx) => {
      const before = await counts(trx);
      await markAndList(voucher.id, world.redemptionId, trx);
      const after = await counts(trx);
      return { updated: after.updated - before.updated, hot: after.hot - before.hot };
    });
    expect(hot).toEqual({ updated: 1, hot: 1 });
  });
});
