import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { AppContext } from '../../app-context.js';
import type { DB, DeliveryMode, PublicAge, PublicSituation } from '../../db/schema.js';
import { isIsoDate, type IsoDate } from '../../lib/paris-dates.js';
import { entryAccountRows } from '../ledger/post-entry.js';
import { postRedemption, redemptionEntryLines } from '../ledger/money-events.js';
import { DomainError } from '../errors.js';
import { hashVoucherCode, parseVoucherCode, voucherKeys, type VoucherCode } from './codes.js';
import { loadRedemptionFacts, lockVouchers, type LoadedFacts, type LockedVoucher, type Recorder } from './redemption-facts.js';
import { decideRedemption, type RefusalReason } from './rules.js';

export { assertUnderRefusalLimit, lockVouchers, REFUSAL_WINDOW_MS, type Recorder } from './redemption-facts.js';

/**
 * A place takes vouchers for one service. One transaction: the vouchers are locked (`for update`,
 * in id order so that two redemptions never deadlock), the rules of rules.ts decide, and either the
 * redemption is written, each voucher marked with it and its ledger entry posted, or the refusal is
 * recorded with its reason. The database guards the rest: a trigger refuses to change a voucher's
 * redemption once set, so a voucher is spent at most once whatever happens above.
 *
 * Refusals are outcomes, not errors: they are recorded and, under an Idempotency-Key, answered
 * again as they were. What never reaches the rules (a malformed code, an unknown place) throws.
 *
 * Round trips matter at the counter (npm run bench -- redeem): five statements in all, the facts
 * with the key's claim, the locked vouchers, the business rows with the accounts, the ledger entry.
 */

export const MAX_VOUCHERS_PER_REDEMPTION = 20;

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
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/u;

/**
 * What no rule can judge is refused before the transaction: a date that is not a day, a place or
 * a mediator that cannot exist (the database would fail on them instead). An empty mediator is none.
 */
function checkedInput(input: RedemptionInput): RedemptionInput & { mediatorId: string | null } {
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
  if (idempotencyKey !== undefined) {
    if (recorder.tokenId === null) throw new Error('idempotency keys belong to API clients');
    if (!IDEMPOTENCY_KEY.test(idempotencyKey)) throw new DomainError('idempotency_key_invalid', 'Idempotency-Key');
  }
  const keys = voucherKeys(ctx.config);
  const hashes = codes.map((code) => hashVoucherCode(keys, code));
  const claim =
    idempotencyKey === undefined || recorder.tokenId === null
      ? undefined
      : { tokenId: recorder.tokenId, key: idempotencyKey, requestHash: hashRequest(recorder, input, codes) };
  const now = ctx.clock.now();

  return ctx.db.transaction().execute(async (trx) => {
    const { claimed, facts } = await loadRedemptionFacts(trx, recorder, input, now, ctx.config.redemptionFailuresMax, claim);
    if (!claimed || !facts) return { outcome: await earlierOutcome(trx, claim!), replayed: true };
    const vouchers = await lockVouchers(trx, hashes);
    const missing = hashes.findIndex((hash) => !vouchers.byHash.has(hash.toString('hex')));
    if (missing >= 0) return { outcome: await refuse(trx, recorder, input, { ok: false, reason: 'voucher_unknown', voucherIndex: missing }, null, now, claim), replayed: false };
    const ordered = hashes.map((hash) => vouchers.byHash.get(hash.toString('hex'))!);
    const decision = decideRedemption(ordered, facts);
    if (!decision.ok) {
      // A code sent twice: the refusal is about its second occurrence, the one to remove.
      const index =
        decision.reason === 'voucher_repeated'
          ? hashes.findIndex((hash, i) => hashes.slice(0, i).some((earlier) => earlier.equals(hash)))
          : decision.voucherId === undefined
            ? undefined
            : ordered.findIndex((v) => v.id === decision.voucherId);
      const outcome: RedemptionOutcome = { ok: false, reason: decision.reason, ...(index === undefined ? {} : { voucherIndex: index }) };
      const voucherId = index === undefined ? null : (ordered[index]?.id ?? null);
      return { outcome: await refuse(trx, recorder, input, outcome, voucherId, now, claim), replayed: false };
    }
    const outcome = await accept(trx, recorder, input, facts, ordered, decision, now, claim);
    return { outcome, replayed: false };
  });
}

/**
 * Writes the redemption, marks its vouchers and stores the key's outcome in one statement (the
 * redemption's id is chosen here, so the outcome is known before writing), creating the ledger
 * accounts it needs; then the ledger entry.
 */
async function accept(
  trx: Kysely<DB>,
  recorder: Recorder,
  input: RedemptionInput & { mediatorId: string | null },
  facts: LoadedFacts,
  vouchers: readonly LockedVoucher[],
  decision: { vouchersCents: number; holderShareCents: number },
  now: Date,
  claim: { tokenId: string; key: string } | undefined,
): Promise<RedemptionOutcome> {
  // The rules accept only a service active in the place's catalogue.
  if (facts.entryId === null || facts.referentialVersion === null) throw new Error('a redemption was accepted without its catalogue entry');
  const id = randomUUID();
  const outcome: RedemptionOutcome = {
    ok: true,
    redemption: {
      id,
      placeId: input.placeId,
      serviceCode: input.serviceCode,
      serviceDate: input.serviceDate,
      deliveryMode: input.deliveryMode,
      priceCents: facts.service.priceCents,
      vouchersCents: decision.vouchersCents,
      holderShareCents: decision.holderShareCents,
      voucherCount: vouchers.length,
      createdAt: now.toISOString(),
    },
  };
  const byOrder = new Map<string, { orderId: string; funderId: string; cents: number }>();
  for (const voucher of vouchers) {
    const part = byOrder.get(voucher.orderId) ?? { orderId: voucher.orderId, funderId: voucher.funderId, cents: 0 };
    part.cents += voucher.faceValueCents;
    byOrder.set(voucher.orderId, part);
  }
  const ledger = { id, providerId: recorder.providerId, serviceDate: input.serviceDate, byOrder: [...byOrder.values()] };
  const accounts = entryAccountRows(redemptionEntryLines(ledger), now);
  const { rows } = await sql<{ marked: number | string }>`
    with redemption as (
      insert into redemptions (id, provider_id, place_id, catalogue_entry_id, referential_version, service_code, service_date,
        delivery_mode, price_cents, vouchers_cents, holder_share_cents, voucher_count, mediator_id, public_age, public_situation,
        recorded_by_user, recorded_by_token, created_at)
      values (${id}::uuid, ${recorder.providerId}::uuid, ${input.placeId}::uuid, ${facts.entryId}::uuid, ${facts.referentialVersion}::int,
        ${input.serviceCode}, ${input.serviceDate}::date, ${input.deliveryMode}, ${facts.service.priceCents}::int, ${decision.vouchersCents}::int,
        ${decision.holderShareCents}::int, ${vouchers.length}::int, ${input.mediatorId}::uuid, ${input.publicAge ?? null}, ${input.publicSituation ?? null},
        ${recorder.userId}::uuid, ${recorder.tokenId}::uuid, ${now})
      returning id
    ), marked as (
      update vouchers set redemption_id = (select id from redemption), redeemed_at = ${now}
      where id in (${sql.join(vouchers.map((v) => sql`${v.id}::uuid`))}) and redemption_id is null
      returning id
    ), accounts as (
      insert into ledger_accounts (id, key, kind, organisation_id, order_id, territory, chart_number, label, created_at)
      values ${sql.join(
        accounts.map(
          (a) =>
            sql`(${a.id}::uuid, ${a.key}, ${a.kind}, ${a.organisation_id}::uuid, ${a.order_id}::uuid, ${a.territory}, ${a.chart_number}, ${a.label}, ${a.created_at})`,
        ),
      )}
      on conflict do nothing
    )${claim ? sql`, answered as (update idempotency_keys set outcome = ${JSON.stringify(outcome)}::jsonb where token_id = ${claim.tokenId}::uuid and key = ${claim.key})` : sql``}
    select (select count(*) from marked) as marked`.execute(trx);
  // Cannot differ under the row locks taken above; if it ever did, nothing is written.
  if (Number(rows[0]!.marked) !== vouchers.length) throw new Error('vouchers changed under their lock');
  await postRedemption(trx, ledger, now, { accountsEnsured: true });
  return outcome;
}

/** Records a refusal with its reason (never the code) and stores the key's outcome, in one statement. */
async function refuse(
  trx: Kysely<DB>,
  recorder: Recorder,
  input: RedemptionInput,
  outcome: RedemptionOutcome & { ok: false },
  voucherId: string | null,
  now: Date,
  claim: { tokenId: string; key: string } | undefined,
): Promise<RedemptionOutcome> {
  await sql`
    with refusal as (
      insert into redemption_refusals (provider_id, place_id, voucher_id, reason, recorded_by_user, recorded_by_token, created_at)
      values (${recorder.providerId}::uuid, ${input.placeId}::uuid, ${voucherId}::uuid, ${outcome.reason}, ${recorder.userId}::uuid, ${recorder.tokenId}::uuid, ${now})
    )${claim ? sql`, answered as (update idempotency_keys set outcome = ${JSON.stringify(outcome)}::jsonb where token_id = ${claim.tokenId}::uuid and key = ${claim.key})` : sql``}
    select 1`.execute(trx);
  return outcome;
}

/** The outcome stored under a key already taken, if the request is the same; a conflict otherwise. */
async function earlierOutcome(trx: Kysely<DB>, claim: { tokenId: string; key: string; requestHash: Buffer }): Promise<RedemptionOutcome> {
  const earlier = await trx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'outcome'])
    .where('token_id', '=', claim.tokenId)
    .where('key', '=', claim.key)
    .executeTakeFirstOrThrow();
  if (!earlier.request_hash.equals(claim.requestHash)) throw new DomainError('idempotency_key_reused', 'Idempotency-Key');
  return earlier.outcome as RedemptionOutcome;
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

