import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { DB, DeliveryMode, PublicAge, PublicSituation } from '../../db/schema.js';
import { isIsoDate, type IsoDate } from '../../lib/paris-dates.js';
import { DomainError } from '../errors.js';
import { hashVoucherCode, parseVoucherCode, voucherKeys, type VoucherCode } from './codes.js';
import { decideRedemption, type OrderRules, type RedemptionFacts, type RefusalReason, type VoucherFacts } from './rules.js';

/**
 * A place takes vouchers for one service. One transaction: the vouchers are locked (`for update`,
 * in id order so that two redemptions never deadlock), the rules of rules.ts decide, and either the
 * redemption is written and each voucher is marked with it, or the refusal is recorded with its
 * reason. The database guards the rest: a trigger refuses to change a voucher's redemption once
 * set, so a voucher is spent at most once whatever happens above.
 *
 * Refusals are outcomes, not errors: they are recorded and, under an Idempotency-Key, answered
 * again as they were. What never reaches the rules (a malformed code, an unknown place) throws.
 */

export const MAX_VOUCHERS_PER_REDEMPTION = 20;
/** Window of the limit on refused attempts per place and per person or client. */
export const REFUSAL_WINDOW_MS = 10 * 60_000;

export interface RedemptionInput {
  placeId: string;
  serviceCode: string;
  serviceDate: IsoDate;
  deliveryMode: DeliveryMode;
  codes: readonly string[];
  mediatorId?: string | null | undefined;
  publicAge?: PublicAge | null | undefined;
  publicSituation?: PublicSituation | null | undefined;
}

/** Who records it: a member of the provider on the scan page, or one of its API clients. */
export interface Recorder {
  providerId: string;
  userId: string | null;
  tokenId: string | null;
}

export interface RedemptionView {
  id: string;
  placeId: string;
  serviceCode: string;
  serviceDate: IsoDate;
  deliveryMode: DeliveryMode;
  priceCents: number;
  vouchersCents: number;
  holderShareCents: number;
  voucherCount: number;
  createdAt: string;
}

export type RedemptionOutcome =
  | { ok: true; redemption: RedemptionView }
  /** voucherIndex: the position, in the codes sent, of the voucher the refusal is about. */
  | { ok: false; reason: RefusalReason; voucherIndex?: number };

export interface RedemptionResult {
  outcome: RedemptionOutcome;
  /** True when an earlier request with the same Idempotency-Key answered it. */
  replayed: boolean;
}

/** Reads the codes: each must be well formed and pass its check symbol, before anything is looked up. */
export function parseCodes(codes: readonly string[]): VoucherCode[] {
  if (codes.length === 0 || codes.length > MAX_VOUCHERS_PER_REDEMPTION) throw new DomainError('redemption_vouchers_required', 'codes');
  return codes.map((text, index) => {
    const parsed = parseVoucherCode(text);
    if (!parsed.ok) throw new DomainError(parsed.problem, `codes.${index}`);
    return parsed.code;
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;

/**
 * What no rule can judge is refused before the transaction: a date that is not a day, a place or
 * a mediator that cannot exist (the database would fail on them instead). An empty mediator is none.
 */
function checkedInput(input: RedemptionInput): RedemptionInput {
  if (!UUID.test(input.placeId)) throw new DomainError('place_unknown', 'placeId');
  if (!isIsoDate(input.serviceDate)) throw new DomainError('service_date_invalid', 'serviceDate');
  const mediatorId = input.mediatorId || null;
  if (mediatorId !== null && !UUID.test(mediatorId)) throw new DomainError('mediator_unknown', 'mediatorId');
  return { ...input, mediatorId };
}

export async function redeemVouchers(
  ctx: AppContext,
  recorder: Recorder,
  request: RedemptionInput,
  idempotencyKey?: string,
): Promise<RedemptionResult> {
  const codes = parseCodes(request.codes);
  const input = checkedInput(request);
  const keys = voucherKeys(ctx.config);
  const hashes = codes.map((code) => hashVoucherCode(keys, code));
  const requestHash = idempotencyKey === undefined ? undefined : hashRequest(recorder, input, codes);
  const now = ctx.clock.now();

  return ctx.db.transaction().execute(async (trx) => {
    if (idempotencyKey !== undefined && requestHash !== undefined) {
      const earlier = await claimIdempotencyKey(trx, recorder, idempotencyKey, requestHash, now);
      if (earlier) return { outcome: earlier, replayed: true };
    }
    const outcome = await decideAndWrite(trx, recorder, input, hashes, now, ctx.config.redemptionFailuresMax);
    if (idempotencyKey !== undefined && recorder.tokenId !== null) {
      await trx
        .updateTable('idempotency_keys')
        .set({ outcome: JSON.stringify(outcome) })
        .where('token_id', '=', recorder.tokenId)
        .where('key', '=', idempotencyKey)
        .execute();
    }
    return { outcome, replayed: false };
  });
}

async function decideAndWrite(
  trx: Kysely<DB>,
  recorder: Recorder,
  input: RedemptionInput,
  hashes: Buffer[],
  now: Date,
  refusalLimit: number,
): Promise<RedemptionOutcome> {
  await assertUnderRefusalLimit(trx, recorder, input.placeId, now, refusalLimit);
  const facts = await loadRedemptionFacts(trx, recorder.providerId, input, now);
  const vouchers = await lockVouchers(trx, hashes);
  const indexOf = (id: string | undefined) => (id === undefined ? undefined : hashes.findIndex((h) => h.equals(vouchers.byId.get(id)!.hash)));

  let outcome: RedemptionOutcome;
  const missing = hashes.findIndex((hash) => !vouchers.byHash.has(hash.toString('hex')));
  if (missing >= 0) {
    outcome = { ok: false, reason: 'voucher_unknown', voucherIndex: missing };
  } else {
    const ordered = hashes.map((hash) => vouchers.byHash.get(hash.toString('hex'))!);
    const decision = decideRedemption(ordered, facts);
    if (decision.ok) {
      // The rules accept only a service active in the place's catalogue.
      if (facts.entryId === null || facts.referentialVersion === null) throw new Error('a redemption was accepted without its catalogue entry');
      const redemption = await trx
        .insertInto('redemptions')
        .values({
          provider_id: recorder.providerId,
          place_id: input.placeId,
          catalogue_entry_id: facts.entryId,
          referential_version: facts.referentialVersion,
          service_code: input.serviceCode,
          service_date: input.serviceDate,
          delivery_mode: input.deliveryMode,
          price_cents: facts.service.priceCents,
          vouchers_cents: decision.vouchersCents,
          holder_share_cents: decision.holderShareCents,
          voucher_count: ordered.length,
          mediator_id: input.mediatorId ?? null,
          public_age: input.publicAge ?? null,
          public_situation: input.publicSituation ?? null,
          recorded_by_user: recorder.userId,
          recorded_by_token: recorder.tokenId,
          created_at: now,
        })
        .returning(['id', 'created_at'])
        .executeTakeFirstOrThrow();
      const marked = await trx
        .updateTable('vouchers')
        .set({ redemption_id: redemption.id, redeemed_at: now })
        .where('id', 'in', ordered.map((v) => v.id))
        .where('redemption_id', 'is', null)
        .executeTakeFirst();
      // Cannot differ under the row locks taken above; if it ever did, nothing is written.
      if (Number(marked.numUpdatedRows) !== ordered.length) throw new Error('vouchers changed under their lock');
      return {
        ok: true,
        redemption: {
          id: redemption.id,
          placeId: input.placeId,
          serviceCode: input.serviceCode,
          serviceDate: input.serviceDate,
          deliveryMode: input.deliveryMode,
          priceCents: facts.service.priceCents,
          vouchersCents: decision.vouchersCents,
          holderShareCents: decision.holderShareCents,
          voucherCount: ordered.length,
          createdAt: redemption.created_at.toISOString(),
        },
      };
    }
    // A code sent twice: the refusal is about its second occurrence, the one to remove.
    const index =
      decision.reason === 'voucher_repeated' ? hashes.findIndex((hash, i) => hashes.slice(0, i).some((earlier) => earlier.equals(hash))) : indexOf(decision.voucherId);
    outcome = { ok: false, reason: decision.reason, ...(index === undefined ? {} : { voucherIndex: index }) };
  }
  await trx
    .insertInto('redemption_refusals')
    .values({
      provider_id: recorder.providerId,
      place_id: input.placeId,
      voucher_id: outcome.voucherIndex === undefined ? null : (vouchers.byHash.get(hashes[outcome.voucherIndex]!.toString('hex'))?.id ?? null),
      reason: outcome.reason,
      recorded_by_user: recorder.userId,
      recorded_by_token: recorder.tokenId,
      created_at: now,
    })
    .execute();
  return outcome;
}

function hashRequest(recorder: Recorder, input: RedemptionInput, codes: readonly VoucherCode[]): Buffer {
  const canonical = JSON.stringify([
    recorder.providerId,
    input.placeId,
    input.serviceCode,
    input.serviceDate,
    input.deliveryMode,
    codes,
    input.mediatorId ?? null,
    input.publicAge ?? null,
    input.publicSituation ?? null,
  ]);
  return createHash('sha256').update(canonical).digest();
}

/**
 * Takes the key for this request, or finds the earlier outcome under it. The row is inserted in
 * the redemption's own transaction: a concurrent request with the same key waits on it, then
 * reads the outcome; if this transaction fails, the key is free again.
 */
async function claimIdempotencyKey(trx: Kysely<DB>, recorder: Recorder, key: string, requestHash: Buffer, now: Date): Promise<RedemptionOutcome | undefined> {
  if (recorder.tokenId === null) throw new Error('idempotency keys belong to API clients');
  if (!/^[\x21-\x7e]{1,255}$/u.test(key)) throw new DomainError('idempotency_key_invalid', 'Idempotency-Key');
  const claimed = await trx
    .insertInto('idempotency_keys')
    .values({ token_id: recorder.tokenId, key, request_hash: requestHash, outcome: JSON.stringify(null), created_at: now })
    .onConflict((oc) => oc.columns(['token_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (claimed) return undefined;
  const earlier = await trx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'outcome'])
    .where('token_id', '=', recorder.tokenId)
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  if (!earlier.request_hash.equals(requestHash)) throw new DomainError('idempotency_key_reused', 'Idempotency-Key');
  return earlier.outcome as RedemptionOutcome;
}

/** Too many refusals lately, for this place or this person or client: guessing codes stops here. */
export async function assertUnderRefusalLimit(trx: Kysely<DB>, recorder: Recorder, placeId: string | null, now: Date, refusalLimit: number): Promise<void> {
  const since = new Date(now.getTime() - REFUSAL_WINDOW_MS);
  const byRecorder =
    recorder.tokenId !== null
      ? sql<number>`(select count(*) from redemption_refusals where recorded_by_token = ${recorder.tokenId} and created_at > ${since})`
      : sql<number>`(select count(*) from redemption_refusals where recorded_by_user = ${recorder.userId} and created_at > ${since})`;
  const row = await sql<{ by_place: number; by_recorder: number }>`
    select (select count(*) from redemption_refusals where place_id = ${placeId} and created_at > ${since}) as by_place,
           ${byRecorder} as by_recorder`.execute(trx);
  const counts = row.rows[0]!;
  if (Number(counts.by_place) >= refusalLimit || Number(counts.by_recorder) >= refusalLimit) throw new DomainError('too_many_attempts');
}

interface LoadedFacts extends RedemptionFacts {
  /** Null when the place does not offer the service: the rules refuse it (service_not_in_catalogue). */
  entryId: string | null;
  referentialVersion: number | null;
}

async function loadRedemptionFacts(trx: Kysely<DB>, providerId: string, input: RedemptionInput, now: Date): Promise<LoadedFacts> {
  const row = await trx
    .selectFrom('places')
    .innerJoin('providers', 'providers.organisation_id', 'places.provider_id')
    .leftJoin('catalogue_entries as entry', (join) => join.onRef('entry.place_id', '=', 'places.id').on('entry.service_code', '=', input.serviceCode))
    .leftJoin('referential_services as service', (join) =>
      join.onRef('service.version', '=', 'entry.referential_version').onRef('service.code', '=', 'entry.service_code'),
    )
    .select([
      'places.insee_code',
      'places.typologies',
      'places.status as place_status',
      'providers.status as provider_status',
      'providers.suspended_at',
      'entry.id as entry_id',
      'entry.active',
      'entry.price_cents',
      'entry.delivery_modes',
      'entry.referential_version',
      'service.level',
      'service.doing_for_person',
    ])
    .where('places.id', '=', input.placeId)
    .where('places.provider_id', '=', providerId)
    .executeTakeFirst();
  if (!row) throw new DomainError('place_unknown', 'placeId');
  // A service the place does not offer is refused like a paused one, and recorded as such.
  const offered = row.entry_id !== null && row.level !== null;
  let mediatorIsEmployee: boolean | undefined;
  if (input.mediatorId) {
    const mediator = await trx
      .selectFrom('mediators')
      .select('status')
      .where('id', '=', input.mediatorId)
      .where('provider_id', '=', providerId)
      .where('active', '=', true)
      .executeTakeFirst();
    if (!mediator) throw new DomainError('mediator_unknown', 'mediatorId');
    mediatorIsEmployee = mediator.status === 'employee';
  }
  return {
    now,
    serviceDate: input.serviceDate,
    deliveryMode: input.deliveryMode,
    mediatorIsEmployee,
    entryId: offered ? row.entry_id : null,
    referentialVersion: offered ? row.referential_version : null,
    place: {
      inseeCode: row.insee_code,
      typologies: row.typologies,
      published: row.place_status === 'published',
      providerQualified: row.provider_status === 'qualified',
      providerSuspended: row.suspended_at !== null,
    },
    service: {
      active: offered && row.active === true,
      serviceCode: input.serviceCode,
      level: row.level ?? 0,
      priceCents: row.price_cents ?? 0,
      deliveryModes: row.delivery_modes ?? [],
      employeesOnly: row.doing_for_person === true,
    },
  };
}

interface LockedVoucher extends VoucherFacts {
  hash: Buffer;
}

/** The vouchers with these hashes, locked, with their booklet's and order's facts. */
export async function lockVouchers(trx: Kysely<DB>, hashes: readonly Buffer[], lock = true) {
  let query = trx
    .selectFrom('vouchers')
    .innerJoin('booklets', 'booklets.id', 'vouchers.booklet_id')
    .innerJoin('orders', 'orders.id', 'vouchers.order_id')
    .select([
      'vouchers.id',
      'vouchers.code_hash',
      'vouchers.face_value_cents',
      'vouchers.redemption_id',
      'booklets.handed_out_at',
      'booklets.cancelled_at',
      'orders.status',
      'orders.territory',
      'orders.service_levels',
      'orders.service_codes',
      'orders.place_types',
      'orders.valid_from',
      'orders.valid_until',
      'orders.holder_share_allowed',
      'orders.delivery_modes',
      'orders.activation',
    ])
    .where('vouchers.code_hash', 'in', [...hashes])
    .orderBy('vouchers.id');
  if (lock) query = query.forUpdate('vouchers');
  const rows = await query.execute();
  const byHash = new Map<string, LockedVoucher>();
  const byId = new Map<string, LockedVoucher>();
  for (const row of rows) {
    const order: OrderRules = {
      status: row.status,
      territory: row.territory,
      serviceLevels: row.service_levels,
      serviceCodes: row.service_codes,
      placeTypes: row.place_types,
      validFrom: row.valid_from,
      validUntil: row.valid_until,
      holderShareAllowed: row.holder_share_allowed,
      deliveryModes: row.delivery_modes,
      activation: row.activation,
    };
    const voucher: LockedVoucher = {
      id: row.id,
      hash: row.code_hash,
      faceValueCents: row.face_value_cents,
      redeemed: row.redemption_id !== null,
      bookletHandedOut: row.handed_out_at !== null,
      bookletCancelled: row.cancelled_at !== null,
      order,
    };
    byHash.set(row.code_hash.toString('hex'), voucher);
    byId.set(row.id, voucher);
  }
  return { byHash, byId };
}
