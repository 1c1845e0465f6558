// A namespace import: a named import of crypto.hash would not even load on Node before 20.12.
import * as crypto from 'node:crypto';
import type { AppContext } from '../../app-context.js';
import type { DeliveryMode, PublicAge, PublicSituation } from '../../db/schema.js';
import { isIsoDate, type IsoDate } from '../../lib/paris-dates.js';
import { DomainError } from '../errors.js';
import { hashVoucherCode, parseVoucherCode, voucherKeys, type VoucherCode } from './codes.js';
import { redemptionQueue } from './redemption-batch.js';
import type { Recorder } from './redemption-facts.js';
import type { RefusalReason } from './rules.js';
import { isUuid } from '../../lib/uuid.js';

export { assertUnderRefusalLimit, lockVouchers, REFUSAL_WINDOW_MS, type Recorder } from './redemption-facts.js';

/**
 * A place takes vouchers for one service. In one transaction (redemption-batch.ts, which takes
 * together the requests that arrive at once): the vouchers are locked (`for update`, in id order so
 * that two redemptions never deadlock), the rules of rules.ts decide, and either the redemption is
 * written, each voucher marked with it and its ledger entry posted, or the refusal is recorded with
 * its reason. The database guards the rest: a trigger refuses to change a voucher's redemption once
 * set, so a voucher is spent at most once whatever happens above.
 *
 * Refusals are outcomes, not errors: they are recorded and, under an Idempotency-Key, answered
 * again as they were. What never reaches the rules (a malformed code, an unknown place) throws,
 * here before anything is queued, or from the batch for what only the database knows.
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

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/u;

/**
 * What no rule can judge is refused before the transaction: a date that is not a day, a place or
 * a mediator that cannot exist (the database would fail on them instead). An empty mediator is none.
 */
function checkedInput(input: RedemptionInput): RedemptionInput & { mediatorId: string | null } {
  if (!isUuid(input.placeId)) throw new DomainError('place_unknown', 'placeId');
  if (!isIsoDate(input.serviceDate)) throw new DomainError('service_date_invalid', 'serviceDate');
  const mediatorId = input.mediatorId || null;
  if (mediatorId !== null && !isUuid(mediatorId)) throw new DomainError('mediator_unknown', 'mediatorId');
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
  const claim =
    idempotencyKey === undefined || recorder.tokenId === null
      ? undefined
      : { tokenId: recorder.tokenId, key: idempotencyKey, requestHash: hashRequest(recorder, input, codes) };
  return redemptionQueue(ctx).submit({ recorder, input, hashes: codes.map((code) => hashVoucherCode(keys, code)), claim });
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
  return sha256(canonical);
}

/**
 * SHA-256 of a string in one call where Node has crypto.hash (20.12 and later): no Hash object per
 * request. The same digest either way; older Node (engines allow 20.6) takes the long way.
 */
const sha256: (text: string) => Buffer =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'buffer') : (text) => crypto.createHash('sha256').update(text).digest();

