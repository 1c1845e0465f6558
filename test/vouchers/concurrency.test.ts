import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { hashVoucherCode, voucherKeys, type VoucherCode } from '../../src/domains/vouchers/codes.js';
import { redeemVouchers, type RedemptionResult } from '../../src/domains/vouchers/redeem-vouchers.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createPublicPlace } from '../support/places-fixtures.js';
import { databaseUrl } from '../support/postgres.js';
import { activeBooklets, createFunder, recorderOf, redemptionInput } from '../support/voucher-fixtures.js';

/**
 * At most one redemption per voucher, with real parallel clients: on PostgreSQL, every request of a
 * round holds its own connection of a second pool at the same time (a wide pool opened on the same
 * database), each through its own application context, as fifty server processes would (one
 * context batches the requests it receives: redemption-batch.ts, tested with one context in
 * redemption-batches.test.ts); on PGlite, the one connection serialises them, and the outcome must
 * be the same.
 */
const CLIENTS = 50;

let t: TestContext;
let wide: Database | undefined;
/** The contexts the concurrent clients go through: one each, as separate servers. */
let clients: AppContext[];
let counters: { provider: ReturnType<typeof recorderOf>; placeId: string }[];
let codes: VoucherCode[];

beforeAll(async () => {
  t = await createTestContext({ redemptionFailuresMax: 100_000 });
  clients = Array.from({ length: CLIENTS }, () => ({ ...t.ctx }));
  if (t.database.kind === 'postgres') {
    const current = await sql<{ db: string }>`select current_database() as db`.execute(t.ctx.db);
    wide = await openDatabase({ kind: 'postgres', url: databaseUrl(process.env.TEST_DATABASE_URL!, current.rows[0]!.db), poolSize: CLIENTS });
    clients = Array.from({ length: CLIENTS }, () => ({ ...t.ctx, db: wide!.db }));
    // Open every connection now, so that the requests of a round start together.
    await Promise.all(Array.from({ length: CLIENTS }, () => sql`select pg_sleep(0.05)`.execute(wide!.db)));
  }
  const funder = await createFunder(t.ctx);
  const { booklets } = await activeBooklets(t.ctx, funder, { bookletCount: '4', vouchersPerBooklet: '10' });
  codes = booklets.flatMap((b) => b.codes);
  counters = [];
  // Fifty providers, each with its own place: a service of 20 € takes one or two vouchers.
  for (let i = 0; i < CLIENTS; i++) {
    const { provider, place } = await createPublicPlace(t.ctx, {}, { services: [{ priceCents: 2000 }] });
    counters.push({ provider: recorderOf(provider), placeId: place.id });
  }
}, 180_000);

afterAll(async () => {
  await wide?.close();
  await t.close();
});

function redeemAt(client: number, sent: readonly string[]): Promise<RedemptionResult> {
  const counter = counters[client % CLIENTS]!;
  const ctx = clients[client % CLIENTS]!;
  return redeemVouchers(ctx, counter.provider, redemptionInput(ctx, counter.placeId, sent));
}

async function voucherRow(code: VoucherCode) {
  return t.ctx.db
    .selectFrom('vouchers')
    .select(['id', 'redemption_id'])
    .where('code_hash', '=', hashVoucherCode(voucherKeys(t.ctx.config), code))
    .executeTakeFirstOrThrow();
}

describe('a voucher redeemed by many places at once', () => {
  it('gives exactly one success, the others being told it is used', async () => {
    const code = codes[0]!;
    const results = await Promise.all(Array.from({ length: CLIENTS }, (_, client) => redeemAt(client, [code])));
    const successes = results.filter((r) => r.outcome.ok);
    expect(successes).toHaveLength(1);
    for (const r of results) if (!r.outcome.ok) expect(r.outcome).toEqual({ ok: false, reason: 'voucher_already_used', voucherIndex: 0 });
    const voucher = await voucherRow(code);
    const winner = successes[0]!.outcome;
    if (!winner.ok) throw new Error('no winner');
    expect(voucher.redemption_id).toBe(winner.redemption.id);
    const redemptions = await t.ctx.db.selectFrom('vouchers').select('redemption_id').where('redemption_id', 'is not', null).execute();
    expect(redemptions).toHaveLength(1);
    expect(await t.ctx.db.selectFrom('redemptions').select('id').execute()).toEqual([{ id: winner.redemption.id }]);
    const refusals = await t.ctx.db.selectFrom('redemption_refusals').select(['reason', 'voucher_id']).execute();
    expect(refusals).toHaveLength(CLIENTS - 1);
    expect(refusals.every((r) => r.reason === 'voucher_already_used' && r.voucher_id === voucher.id)).toBe(true);
  });
});

describe('requests whose vouchers overlap', () => {
  it('never deadlock, and the shared voucher pays at most once (A+B against B+C)', async () => {
    for (let round = 0; round < 3; round++) {
      const [a, b, c] = codes.slice(1 + round * 3, 4 + round * 3) as [VoucherCode, VoucherCode, VoucherCode];
      const results = await Promise.all(Array.from({ length: CLIENTS }, (_, client) => redeemAt(client, client % 2 === 0 ? [a, b] : [b, c])));
      const successes = results.filter((r) => r.outcome.ok);
      expect(successes).toHaveLength(1);
      for (const r of results) if (!r.outcome.ok) expect(r.outcome.reason).toBe('voucher_already_used');
      const [rowA, rowB, rowC] = await Promise.all([a, b, c].map(voucherRow));
      const winner = successes[0]!.outcome;
      if (!winner.ok) throw new Error('no winner');
      expect(rowB!.redemption_id).toBe(winner.redemption.id);
      // Exactly one of A and C went with B; the other is still free.
      expect([rowA!.redemption_id, rowC!.redemption_id].filter((id) => id === winner.redemption.id)).toHaveLength(1);
      expect([rowA!.redemption_id, rowC!.redemption_id].filter((id) => id === null)).toHaveLength(1);
    }
  });

  it('never deadlock in a ring of pairs taken in both orders', async () => {
    const ring = codes.slice(20, 30);
    const requests = ring.flatMap((code, i) => {
      const next = ring[(i + 1) % ring.length]!;
      return [
        [code, next],
        [next, code],
      ];
    });
    const results = await Promise.all(requests.concat(requests).map((sent, client) => redeemAt(client, sent)));
    const successes = results.flatMap((r) => (r.outcome.ok ? [r.outcome.redemption] : []));
    expect(successes.length).toBeGreaterThanOrEqual(1);
    for (const r of results) if (!r.outcome.ok) expect(r.outcome.reason).toBe('voucher_already_used');
    const rows = await Promise.all(ring.map(voucherRow));
    const redeemed = rows.filter((row) => row.redemption_id !== null);
    // Each success took two vouchers of the ring, no voucher twice.
    expect(redeemed).toHaveLength(successes.length * 2);
    for (const success of successes) expect(redeemed.filter((row) => row.redemption_id === success.id)).toHaveLength(2);
    // Five disjoint pairs at most fit in a ring of ten.
    expect(successes.length).toBeLessThanOrEqual(5);
  });
});
