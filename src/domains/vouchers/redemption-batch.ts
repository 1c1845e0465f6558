import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { DB } from '../../db/schema.js';
import { entryAccountRows, entryStatementParts } from '../ledger/post-entry.js';
import { redemptionEntry, type RedemptionMoney } from '../ledger/money-events.js';
import { PREPARED_LAST } from '../../db/prepared.js';
import { DomainError } from '../errors.js';
import { loadBatchFacts, type IdempotencyClaim, type LoadedFacts, type LockedVoucher, type Recorder } from './redemption-facts.js';
import type { RedemptionInput, RedemptionOutcome, RedemptionResult } from './redeem-vouchers.js';
import { decideRedemption } from './rules.js';

/**
 * Redemptions decided and written by batches. Requests that arrive while a batch reads and writes
 * wait for the next one, which takes them all (up to MAX_BATCH) in one transaction: one statement
 * for their facts and keys with their vouchers locked (in id order), one for the business rows and
 * their ledger entries, one commit. A request alone is a batch of one. Under load this
 * divides the round trips, the planning and the commits by the size of the batch, and each hot
 * ledger account (an order's outstanding vouchers, a provider's payable) is locked once per batch
 * instead of once per redemption (npm run bench -- redeem).
 *
 * The next batch starts when the one before has written everything and only commits: its reads
 * and business rows overlap that commit, and the accounts, locked late in the one before, are free
 * again or nearly so when it reaches them. Starting it earlier, as soon as a request arrives, only made batches
 * smaller (about 13 requests instead of 21 under the bench's 50 connections) and each redemption
 * dearer (CPU per redemption 0.32 ms instead of 0.27), for no more redemptions per second.
 *
 * A batch takes at most its share of the requests in the system (waiting or in a batch), split
 * between the batches in flight, or SMALLEST_SHARE. Without that cap, the requests of one batch
 * came back together and all went into the next, and the two batches in flight kept splitting the
 * clients unevenly (seen under the bench's 50 connections: 18 and 32, or 1 and 49, batch after
 * batch); the big one took longest and answered all its clients at once, holding the event loop.
 * With it, 25 and 25. Its commit goes with its last statement (db/prepared.ts, PREPARED_LAST), its
 * BEGIN with its first.
 *
 * The outcome of each request is the one it would have had alone, after those before it in the
 * batch: a voucher spent earlier in the batch is already used, refusals earlier in the batch count
 * towards the limits. What throws for a request alone (api_token_revoked, place_unknown,
 * too_many_refusals, mediator_unknown, idempotency_key_reused) fails that request only, and its
 * Idempotency-Key is released. If the batch's transaction fails as a whole (a bug, a lost
 * connection), each of its requests is run again alone, so that one request never fails another.
 */

/** Requests taken by one transaction at most. */
export const MAX_BATCH = 64;
/** Batches running at once: while one commits, the next one reads, locks and writes. */
export const BATCHES_IN_FLIGHT = 2;
/** A batch may take this many requests whatever its share (below, splitting gains nothing). */
export const SMALLEST_SHARE = 8;

export interface QueuedRedemption {
  recorder: Recorder;
  input: RedemptionInput & { mediatorId: string | null };
  hashes: readonly Buffer[];
  claim: IdempotencyClaim | undefined;
}

type Settled = { ok: true; result: RedemptionResult } | { ok: false; error: unknown };

interface Waiting extends QueuedRedemption {
  resolve(result: RedemptionResult): void;
  reject(error: unknown): void;
}

/** One queue per application context: requests of different contexts (clocks, settings) never share a batch. */
const queues = new WeakMap<AppContext, RedemptionQueue>();

export function redemptionQueue(ctx: AppContext): RedemptionQueue {
  let queue = queues.get(ctx);
  if (!queue) {
    queue = new RedemptionQueue(ctx);
    queues.set(ctx, queue);
  }
  return queue;
}

export class RedemptionQueue {
  private readonly waiting: Waiting[] = [];
  private running = 0;
  /** Requests in the batches running. */
  private inBatches = 0;
  /** A batch is reading or writing: the next one waits until it only commits. */
  private writing = false;
  /** Ledger accounts seen committed: they are never deleted, so they need not be inserted again. */
  private readonly knownAccounts = new Set<string>();

  constructor(private readonly ctx: AppContext) {}

  submit(request: QueuedRedemption): Promise<RedemptionResult> {
    return new Promise<RedemptionResult>((resolve, reject) => {
      this.waiting.push({ ...request, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < BATCHES_IN_FLIGHT && !this.writing && this.waiting.length > 0) {
      const share = Math.ceil((this.waiting.length + this.inBatches) / BATCHES_IN_FLIGHT);
      const batch = this.take(Math.min(MAX_BATCH, Math.max(SMALLEST_SHARE, share)));
      this.inBatches += batch.length;
      this.running++;
      this.writing = true;
      let written = false;
      const onWritten = () => {
        if (written) return;
        written = true;
        this.writing = false;
        this.pump();
      };
      void this.run(batch, onWritten).finally(() => {
        this.running--;
        this.inBatches -= batch.length;
        onWritten();
        this.pump();
      });
    }
  }

  /** The next batch, at most `most` requests in arrival order; a second request under the same key waits for the next batch (it will replay the first). */
  private take(most: number): Waiting[] {
    const batch: Waiting[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < this.waiting.length && batch.length < most; ) {
      const request = this.waiting[i]!;
      const key = request.claim ? `${request.claim.tokenId} ${request.claim.key}` : undefined;
      if (key !== undefined && keys.has(key)) {
        i++;
        continue;
      }
      if (key !== undefined) keys.add(key);
      batch.push(request);
      this.waiting.splice(i, 1);
    }
    return batch;
  }

  private async run(batch: Waiting[], onWritten: () => void): Promise<void> {
    let settled: Settled[];
    try {
      settled = await runBatch(this.ctx, batch, this.knownAccounts, onWritten);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One request must not fail the others: each again, alone.
      for (const request of batch) {
        try {
          const [alone] = await runBatch(this.ctx, [request], this.knownAccounts);
          settle(request, alone!);
        } catch (aloneError) {
          request.reject(aloneError);
        }
      }
      return;
    }
    batch.forEach((request, i) => settle(request, settled[i]!));
  }
}

function settle(request: Waiting, settled: Settled): void {
  if (settled.ok) request.resolve(settled.result);
  else request.reject(settled.error);
}

interface Accepted {
  index: number;
  id: string;
  request: QueuedRedemption;
  facts: LoadedFacts;
  vouchers: LockedVoucher[];
  outcome: RedemptionOutcome & { ok: true };
  money: RedemptionMoney;
}

interface Refused {
  index: number;
  request: QueuedRedemption;
  outcome: RedemptionOutcome & { ok: false };
  voucherId: string | null;
}

/** One transaction for the whole batch; the outcome of each request, in order. `onWritten` is called once all is written, before the commit. */
async function runBatch(ctx: AppContext, batch: readonly QueuedRedemption[], knownAccounts: Set<string>, onWritten?: () => void): Promise<Settled[]> {
  const now = ctx.clock.now();
  const limit = ctx.config.redemptionFailuresMax;
  const accountsUsed: string[] = [];
  const settled = await ctx.db.transaction().execute(async (trx) => {
    // All the vouchers sent are locked, a replay's too: it changes nothing, and saves a round trip.
    const hashes = [...new Set(batch.flatMap((request) => request.hashes.map((h) => h.toString('hex'))))].map((h) => Buffer.from(h, 'hex'));
    const { facts, vouchers } = await loadBatchFacts(trx, batch, hashes, now);
    const settled: (Settled | undefined)[] = batch.map(() => undefined);
    const released: IdempotencyClaim[] = [];
    const replays: number[] = [];
    const deciding: number[] = [];
    batch.forEach((request, i) => {
      if (!facts[i]!.claimed) replays.push(i);
      else deciding.push(i);
    });

    const spent = new Set<string>();
    const refusedAt = new Map<string, number>();
    const accepted: Accepted[] = [];
    const refused: Refused[] = [];
    for (const i of deciding) {
      const request = batch[i]!;
      const { facts: loaded, refusalsByPlace, refusalsByRecorder, mediatorUnknown, tokenRevoked } = facts[i]!;
      const placeKey = `place ${request.input.placeId}`;
      const recorderKey = request.recorder.tokenId !== null ? `token ${request.recorder.tokenId}` : `user ${request.recorder.userId}`;
      // The same checks, in the same order, as a request alone: the token first (revoked since it
      // was authenticated: api-tokens.ts), then the place, so that a provider learns nothing about
      // the limits of another provider's place.
      const overLimit = refusalsByPlace + (refusedAt.get(placeKey) ?? 0) >= limit || refusalsByRecorder + (refusedAt.get(recorderKey) ?? 0) >= limit;
      const error = tokenRevoked
        ? new DomainError('api_token_revoked')
        : !loaded
          ? new DomainError('place_unknown', 'placeId')
          : overLimit
            ? new DomainError('too_many_refusals')
            : mediatorUnknown
              ? new DomainError('mediator_unknown', 'mediatorId')
              : undefined;
      if (error || !loaded) {
        settled[i] = { ok: false, error };
        if (request.claim) released.push(request.claim);
        continue;
      }
      const decided = decide(request, loaded, vouchers.byHash, spent);
      if (decided.ok) {
        for (const voucher of decided.vouchers) spent.add(voucher.id);
        const id = randomUUID();
        accepted.push({ index: i, id, request, facts: loaded, vouchers: decided.vouchers, outcome: acceptedOutcome(id, request, loaded, decided, now), money: moneyOf(id, request, decided.vouchers) });
      } else {
        refused.push({ index: i, request, outcome: decided.outcome, voucherId: decided.voucherId });
        refusedAt.set(placeKey, (refusedAt.get(placeKey) ?? 0) + 1);
        refusedAt.set(recorderKey, (refusedAt.get(recorderKey) ?? 0) + 1);
      }
    }

    // Read before the write: the write is the transaction's last statement (it commits it).
    if (replays.length > 0) {
      const earlier = await earlierOutcomes(trx, replays.map((i) => batch[i]!.claim!));
      replays.forEach((i, j) => (settled[i] = earlier[j]!));
    }
    accountsUsed.push(...(await writeOutcomes(trx, accepted, refused, released, now, knownAccounts)));
    for (const a of accepted) settled[a.index] = { ok: true, result: { outcome: a.outcome, replayed: false } };
    for (const r of refused) settled[r.index] = { ok: true, result: { outcome: r.outcome, replayed: false } };
    onWritten?.();
    return settled.map((s) => s!);
  });
  for (const id of accountsUsed) knownAccounts.add(id);
  return settled;
}

type Decided =
  | { ok: true; vouchers: LockedVoucher[]; vouchersCents: number; holderShareCents: number }
  | { ok: false; outcome: RedemptionOutcome & { ok: false }; voucherId: string | null };

/** The rules of rules.ts on the locked vouchers, as spent by the requests before this one in the batch. */
function decide(request: QueuedRedemption, facts: LoadedFacts, byHash: ReadonlyMap<string, LockedVoucher>, spent: ReadonlySet<string>): Decided {
  const { hashes } = request;
  const missing = hashes.findIndex((hash) => !byHash.has(hash.toString('hex')));
  if (missing >= 0) return { ok: false, outcome: { ok: false, reason: 'voucher_unknown', voucherIndex: missing }, voucherId: null };
  const ordered = hashes.map((hash) => {
    const voucher = byHash.get(hash.toString('hex'))!;
    return spent.has(voucher.id) ? { ...voucher, redeemed: true } : voucher;
  });
  const decision = decideRedemption(ordered, facts);
  if (decision.ok) return { ok: true, vouchers: ordered, vouchersCents: decision.vouchersCents, holderShareCents: decision.holderShareCents };
  // A code sent twice: the refusal is about its second occurrence, the one to remove.
  const index =
    decision.reason === 'voucher_repeated'
      ? hashes.findIndex((hash, i) => hashes.slice(0, i).some((earlier) => earlier.equals(hash)))
      : decision.voucherId === undefined
        ? undefined
        : ordered.findIndex((v) => v.id === decision.voucherId);
  return {
    ok: false,
    outcome: { ok: false, reason: decision.reason, ...(index === undefined ? {} : { voucherIndex: index }) },
    voucherId: index === undefined ? null : (ordered[index]?.id ?? null),
  };
}

function acceptedOutcome(
  id: string,
  request: QueuedRedemption,
  facts: LoadedFacts,
  decided: { vouchers: LockedVoucher[]; vouchersCents: number; holderShareCents: number },
  now: Date,
): RedemptionOutcome & { ok: true } {
  // The rules accept only a service active in the place's catalogue.
  if (facts.entryId === null || facts.referentialVersion === null) throw new Error('a redemption was accepted without its catalogue entry');
  const { input } = request;
  return {
    ok: true,
    redemption: {
      id,
      placeId: input.placeId,
      serviceCode: input.serviceCode,
      serviceDate: input.serviceDate,
      deliveryMode: input.deliveryMode,
      priceCents: facts.service.priceCents,
      vouchersCents: decided.vouchersCents,
      holderShareCents: decided.holderShareCents,
      voucherCount: decided.vouchers.length,
      createdAt: now.toISOString(),
    },
  };
}

function moneyOf(id: string, request: QueuedRedemption, vouchers: readonly LockedVoucher[]): RedemptionMoney {
  const byOrder = new Map<string, { orderId: string; funderId: string; cents: number }>();
  for (const voucher of vouchers) {
    const part = byOrder.get(voucher.orderId) ?? { orderId: voucher.orderId, funderId: voucher.funderId, cents: 0 };
    part.cents += voucher.faceValueCents;
    byOrder.set(voucher.orderId, part);
  }
  return { id, providerId: request.recorder.providerId, serviceDate: request.input.serviceDate, byOrder: [...byOrder.values()] };
}

/**
 * One statement for the whole batch (the accounts it needs, if any is new, inserted just before):
 * the redemptions, their vouchers marked (only if still unspent: the count is checked) and listed
 * in redemption_vouchers (migration 0014), the refusals with their reasons (never the codes), each
 * key's outcome, the keys of failed requests released, and the redemptions' ledger entries with
 * their postings. It used to be two, the entries last so that the accounts stayed locked only from
 * there to the commit; in one, the accounts are locked once the vouchers are marked (the select
 * below counts those first), and the next batch still reaches them after this one has committed,
 * one round trip sooner. It is the transaction's last statement, its COMMIT sent right behind it
 * (PREPARED_LAST): its counts are checked by the statement itself, which fails, and rolls the batch
 * back, if one is wrong. Returns the accounts used.
 */
async function writeOutcomes(
  trx: Kysely<DB>,
  accepted: readonly Accepted[],
  refused: readonly Refused[],
  released: readonly IdempotencyClaim[],
  now: Date,
  knownAccounts: ReadonlySet<string>,
): Promise<string[]> {
  const ledger = entryStatementParts(accepted.map(({ money }) => redemptionEntry(money, now)), now);
  await insertMissingAccounts(trx, ledger.accounts.filter((a) => !knownAccounts.has(a.id)));
  const redemptions = accepted.map(({ id, request: { recorder, input }, facts, outcome: { redemption } }) => ({
    id,
    provider_id: recorder.providerId,
    place_id: input.placeId,
    entry_id: facts.entryId,
    referential_version: facts.referentialVersion,
    service_code: input.serviceCode,
    service_date: input.serviceDate,
    delivery_mode: input.deliveryMode,
    price_cents: redemption.priceCents,
    vouchers_cents: redemption.vouchersCents,
    holder_share_cents: redemption.holderShareCents,
    voucher_count: redemption.voucherCount,
    mediator_id: input.mediatorId,
    public_age: input.publicAge ?? null,
    public_situation: input.publicSituation ?? null,
    user_id: recorder.userId,
    token_id: recorder.tokenId,
  }));
  const marks = accepted.flatMap(({ id, vouchers }) => vouchers.map((voucher) => ({ voucher_id: voucher.id, redemption_id: id })));
  const refusals = refused.map(({ request: { recorder, input }, outcome, voucherId }) => ({
    provider_id: recorder.providerId,
    place_id: input.placeId,
    voucher_id: voucherId,
    reason: outcome.reason,
    user_id: recorder.userId,
    token_id: recorder.tokenId,
  }));
  const answers = [...accepted, ...refused].flatMap(({ request: { claim }, outcome }) => (claim ? [{ token_id: claim.tokenId, key: claim.key, outcome }] : []));
  const releases = released.map((claim) => ({ token_id: claim.tokenId, key: claim.key }));
  // Fixed text whatever the batch holds: prepared once per connection. Its rows go as one JSON
  // parameter per table, built by JSON.stringify at once (as arrays, each element was escaped on its
  // own: the most garbage the counter made, seen by V8's sampling heap profiler).
  await sql`${sql.raw(PREPARED_LAST)}
    with redemption as (
      insert into redemptions (id, provider_id, place_id, catalogue_entry_id, referential_version, service_code, service_date,
        delivery_mode, price_cents, vouchers_cents, holder_share_cents, voucher_count, mediator_id, public_age, public_situation,
        recorded_by_user, recorded_by_token, created_at)
      select x.id, x.provider_id, x.place_id, x.entry_id, x.referential_version, x.service_code, x.service_date,
        x.delivery_mode, x.price_cents, x.vouchers_cents, x.holder_share_cents, x.voucher_count, x.mediator_id, x.public_age, x.public_situation,
        x.user_id, x.token_id, ${now}::timestamptz
      from json_to_recordset(${JSON.stringify(redemptions)}::json)
        as x (id uuid, provider_id uuid, place_id uuid, entry_id uuid, referential_version int, service_code text, service_date date, delivery_mode text,
          price_cents int, vouchers_cents int, holder_share_cents int, voucher_count int, mediator_id uuid, public_age text, public_situation text,
          user_id uuid, token_id uuid)
      returning id
    ), marked as (
      update vouchers v set redemption_id = m.redemption_id, redeemed_at = ${now}::timestamptz
      from json_to_recordset(${JSON.stringify(marks)}::json) as m (voucher_id uuid, redemption_id uuid)
      where v.id = m.voucher_id and v.redemption_id is null
      returning v.id, v.redemption_id
    ), listed as (
      insert into redemption_vouchers (redemption_id, voucher_id) select redemption_id, id from marked
    ), refusal as (
      insert into redemption_refusals (provider_id, place_id, voucher_id, reason, recorded_by_user, recorded_by_token, created_at)
      select x.provider_id, x.place_id, x.voucher_id, x.reason, x.user_id, x.token_id, ${now}::timestamptz
      from json_to_recordset(${JSON.stringify(refusals)}::json) as x (provider_id uuid, place_id uuid, voucher_id uuid, reason text, user_id uuid, token_id uuid)
    ), answered as (
      update idempotency_keys k set outcome = x.outcome
      from json_to_recordset(${JSON.stringify(answers)}::json) as x (token_id uuid, key text, outcome jsonb)
      where k.token_id = x.token_id and k.key = x.key
    ), released as (
      delete from idempotency_keys k
      using json_to_recordset(${JSON.stringify(releases)}::json) as x (token_id uuid, key text)
      where k.token_id = x.token_id and k.key = x.key
    ), ${sql.join(ledger.ctes)}
    -- Cannot differ under the row locks taken before; if it ever did, the batch is rolled back.
    select assert_true((select count(*) from marked) = ${marks.length}, 'vouchers changed under their lock')
      and assert_true((select count(*) from posted) = ${ledger.lineCount}, 'journal entries not written whole') as written`.execute(trx);
  return ledger.accounts.map((account) => account.id);
}

/**
 * The ledger accounts not yet created (an order's or a provider's first redemption). Only those
 * missing from this transaction's snapshot: inserting one that exists, even `on conflict do
 * nothing`, would wait for the transaction that last moved its balance.
 */
async function insertMissingAccounts(trx: Kysely<DB>, accounts: ReturnType<typeof entryAccountRows>): Promise<void> {
  if (accounts.length === 0) return;
  await sql`
    insert into ledger_accounts (id, key, kind, organisation_id, order_id, territory, chart_number, label, created_at)
    select a.id, a.key, a.kind, a.organisation_id, a.order_id, a.territory, a.chart_number, a.label, a.created_at
    from (values ${sql.join(
      accounts.map(
        (a) =>
          sql`(${a.id}::uuid, ${a.key}::text, ${a.kind}::text, ${a.organisation_id}::uuid, ${a.order_id}::uuid, ${a.territory}::text, ${a.chart_number}::text, ${a.label}::text, ${a.created_at}::timestamptz)`,
      ),
    )}) as a (id, key, kind, organisation_id, order_id, territory, chart_number, label, created_at)
    where not exists (select 1 from ledger_accounts l where l.id = a.id)
    on conflict do nothing`.execute(trx);
}

/** The outcomes stored under keys already taken, when the request is the same; a conflict otherwise. */
async function earlierOutcomes(trx: Kysely<DB>, claims: readonly IdempotencyClaim[]): Promise<Settled[]> {
  const rows = await trx
    .selectFrom('idempotency_keys')
    .select(['token_id', 'key', 'request_hash', 'outcome'])
    .where((eb) => eb.or(claims.map((c) => eb.and([eb('token_id', '=', c.tokenId), eb('key', '=', c.key)]))))
    .execute();
  return claims.map((claim) => {
    const earlier = rows.find((row) => row.token_id === claim.tokenId && row.key === claim.key);
    if (!earlier) throw new Error('an Idempotency-Key taken but not found');
    if (!earlier.request_hash.equals(claim.requestHash)) return { ok: false, error: new DomainError('idempotency_key_reused', 'Idempotency-Key') };
    return { ok: true, result: { outcome: earlier.outcome as RedemptionOutcome, replayed: true } };
  });
}
