import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { createApiToken } from '../../src/domains/accounts/api-tokens.js';
import { DomainError } from '../../src/domains/errors.js';
import { generateVoucherCode, type VoucherCode } from '../../src/domains/vouchers/codes.js';
import { redeemVouchers, type Recorder, type RedemptionResult } from '../../src/domains/vouchers/redeem-vouchers.js';
import { BATCHES_IN_FLIGHT, MAX_BATCH, SMALLEST_SHARE } from '../../src/domains/vouchers/redemption-batch.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { expectSoundLedger } from '../support/ledger.js';
import { createPublicPlace } from '../support/places-fixtures.js';
import { activeBooklets, createFunder, recorderOf, redemptionInput } from '../support/voucher-fixtures.js';

/**
 * Requests that reach one application context at once are decided and written by batches, in one
 * transaction each (redemption-batch.ts). Each must get the outcome it would have had alone, after
 * those queued before it: these tests send many at once through one context.
 */

let t: TestContext;
let codes: VoucherCode[];
let next = 0;
let provider: Recorder;
let placeId: string;
let otherPlaceId: string;
let tokenRecorder: Recorder;

const LIMIT = 3;

beforeAll(async () => {
  t = await createTestContext({ redemptionFailuresMax: LIMIT });
  const funder = await createFunder(t.ctx);
  const { booklets } = await activeBooklets(t.ctx, funder, { bookletCount: '20', vouchersPerBooklet: '10' });
  codes = booklets.flatMap((b) => b.codes);
  const counter = await createPublicPlace(t.ctx, {}, { services: [{ priceCents: 1000 }] });
  provider = recorderOf(counter.provider);
  placeId = counter.place.id;
  otherPlaceId = (await createPublicPlace(t.ctx, {}, { services: [{ priceCents: 1000 }] })).place.id;
  const { tokenId } = await createApiToken(t.ctx, { userId: null, organisationId: provider.providerId, apiTokenId: null }, {
    organisationId: provider.providerId,
    organisationKind: 'provider',
    name: 'Caisse',
    scopes: ['redemptions:write'],
  });
  tokenRecorder = { providerId: provider.providerId, userId: null, tokenId };
}, 180_000);

afterAll(async () => {
  await t.close();
});

const fresh = () => codes[next++]!;
const redeem = (sent: readonly string[], key?: string, recorder: Recorder = key ? tokenRecorder : provider, ctx: AppContext = t.ctx) =>
  redeemVouchers(ctx, recorder, redemptionInput(ctx, placeId, sent), key);

/** Settles every promise, keeping errors as values, in order. */
async function all(requests: Promise<RedemptionResult>[]): Promise<(RedemptionResult | Error)[]> {
  return Promise.all(requests.map((r) => r.catch((error: unknown) => error as Error)));
}

describe('many requests at once through one context', () => {
  it('pays each voucher once, each request with its own redemption and ledger entry', async () => {
    const sent = Array.from({ length: MAX_BATCH + 10 }, () => [fresh()]);
    const results = await all(sent.map((codes) => redeem(codes)));
    const ids = results.map((r) => {
      if (r instanceof Error || !r.outcome.ok) throw new Error(`refused: ${JSON.stringify(r)}`);
      return r.outcome.redemption.id;
    });
    expect(new Set(ids).size).toBe(sent.length);
    const entries = await t.ctx.db.selectFrom('journal_entries').select(['redemption_id']).where('redemption_id', 'in', ids).execute();
    expect(entries.map((e) => e.redemption_id).sort()).toEqual([...ids].sort());
    await expectSoundLedger(t.ctx);
  });

  it('gives a voucher sent twice in the same wave to the first request only, in one transaction', async () => {
    const shared = fresh();
    const writes = watchStatements(/insert into redemptions/u);
    const ctx: AppContext = { ...t.ctx, db: t.ctx.db.withPlugin(writes) };
    // The first request starts alone; the five after it wait until it has written, and go together.
    const results = await all([[fresh()], [fresh()], [shared], [fresh()], [shared], [fresh(), shared]].map((sent) => redeem(sent, undefined, provider, ctx)));
    const outcomes = results.map((r) => (r instanceof Error ? r.message : r.outcome.ok ? 'paid' : r.outcome.reason));
    expect(outcomes).toEqual(['paid', 'paid', 'paid', 'paid', 'voucher_already_used', 'voucher_already_used']);
    // Two transactions wrote redemptions: the batch was not run again request by request.
    expect(writes.seen).toBe(2);
  });

  it('splits a wave between the batches in flight, each its share of the requests in the system', async () => {
    const writes = watchStatements(/insert into redemptions/u);
    const ctx: AppContext = { ...t.ctx, db: t.ctx.db.withPlugin(writes) };
    // The first request starts alone; the 30 after it wait until it has written. Taken whole, they
    // would answer together and come back together, batch after batch: the next batch takes its
    // share of the 31 in the system, 16, and the 14 left go in a third, alongside.
    const wave = 30;
    expect(Math.ceil((wave + 1) / BATCHES_IN_FLIGHT)).toBeGreaterThan(SMALLEST_SHARE);
    const results = await all(Array.from({ length: wave + 1 }, () => redeem([fresh()], undefined, provider, ctx)));
    for (const r of results) expect(r instanceof Error ? r.message : r.outcome.ok).toBe(true);
    expect(writes.seen).toBe(3);
    await expectSoundLedger(t.ctx);
  });

  it('fails a request for another provider’s place alone, and releases its key', async () => {
    const foreign = fresh();
    const key = 'lot-place-inconnue';
    const requests = [
      redeem([fresh()]),
      redeem([fresh()]),
      redeemVouchers(t.ctx, tokenRecorder, redemptionInput(t.ctx, otherPlaceId, [foreign]), key),
      redeem([fresh()]),
    ];
    const results = await all(requests);
    expect(results[2]).toBeInstanceOf(DomainError);
    expect((results[2] as DomainError).code).toBe('place_unknown');
    for (const i of [0, 1, 3]) expect((results[i] as RedemptionResult).outcome.ok).toBe(true);
    // The key was not kept: the same key, now for the right place, pays.
    const again = await redeem([foreign], key);
    expect(again.outcome.ok).toBe(true);
    expect(again.replayed).toBe(false);
  });

  it('counts the refusals of the same wave towards the limit, in arrival order', async () => {
    // A provider of its own, so that no earlier refusal counts.
    const counter = await createPublicPlace(t.ctx, {}, { services: [{ priceCents: 1000 }] });
    const recorder = recorderOf(counter.provider);
    const at = (sent: readonly string[]) => redeemVouchers(t.ctx, recorder, redemptionInput(t.ctx, counter.place.id, sent));
    // The first good request goes alone; the six after it, five of them codes never issued, wait and
    // go together: three refusals recorded, then the limit. (Across concurrent transactions the limit
    // counts the refusals committed, as it always did: it bounds guessing, not to the unit.)
    const results = await all([at([fresh()]), at([fresh()]), ...Array.from({ length: 5 }, () => at([generateVoucherCode()]))]);
    const outcomes = results.map((r) => (r instanceof DomainError ? r.code : r instanceof Error ? r.message : r.outcome.ok ? 'paid' : r.outcome.reason));
    expect(outcomes).toEqual(['paid', 'paid', 'voucher_unknown', 'voucher_unknown', 'voucher_unknown', 'too_many_refusals', 'too_many_refusals']);
    expect(await t.ctx.db.selectFrom('redemption_refusals').select('reason').where('place_id', '=', counter.place.id).execute()).toHaveLength(LIMIT);
  });

  it('answers a key sent twice at once once, the other as a replay', async () => {
    const code = fresh();
    const [first, second] = await all([redeem([code], 'lot-double'), redeem([code], 'lot-double')]);
    if (!first || !second || first instanceof Error || second instanceof Error) throw new Error('failed');
    // The two run at once (on PostgreSQL, either may take the key first): one pays, the other replays it.
    expect(first.outcome.ok).toBe(true);
    expect(second.outcome).toEqual(first.outcome);
    expect([first.replayed, second.replayed].sort()).toEqual([false, true]);
  });

  it('runs each request alone again when its batch fails as a whole', async () => {
    // The first statement that writes redemptions is that of the first request, alone.
    const failing = watchStatements(/insert into redemptions/u, 1);
    const ctx: AppContext = { ...t.ctx, db: t.ctx.db.withPlugin(failing) };
    // The first starts alone; the next seven wait and go together, in the batch that fails.
    const results = await all(Array.from({ length: 8 }, () => redeem([fresh()], undefined, provider, ctx)));
    expect(failing.failures).toBe(1);
    for (const r of results) expect(r instanceof Error ? r.message : r.outcome.ok).toBe(true);
    await expectSoundLedger(t.ctx);
  });
});

/** A plugin that counts the statements matching `pattern`, and makes the one numbered `failAt` (from 0) fail, as a lost connection would. */
function watchStatements(pattern: RegExp, failAt?: number): KyselyPlugin & { seen: number; failures: number } {
  const plugin = {
    seen: 0,
    failures: 0,
    transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
      if (!pattern.test(JSON.stringify(node))) return node;
      if (plugin.seen++ === failAt) {
        plugin.failures++;
        throw new Error('connection lost');
      }
      return node;
    },
    async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      return result;
    },
  };
  return plugin;
}
