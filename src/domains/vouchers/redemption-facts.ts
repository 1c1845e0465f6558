import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DB, DeliveryMode, MediatorStatus, OrderStatus, ApplicationStatus as ProviderStatus, VoucherActivation } from '../../db/schema.js';
import type { IsoDate } from '../../lib/paris-dates.js';
import { DomainError } from '../errors.js';
import type { OrderRules, RedemptionFacts, VoucherFacts } from './rules.js';

/**
 * What a redemption is decided on, read in as few round trips as the counter's speed asks: one
 * statement for the place, its catalogue entry, the mediator, the recent refusals and the
 * Idempotency-Key (claimed in the same statement), one for the vouchers, locked.
 */

/** Window of the limit on refused attempts per place and per person or client. */
export const REFUSAL_WINDOW_MS = 10 * 60_000;

/** Who records a redemption: a member of the provider on the scan page, or one of its API clients. */
export interface Recorder {
  providerId: string;
  userId: string | null;
  tokenId: string | null;
}

export interface FactsRequest {
  placeId: string;
  serviceCode: string;
  serviceDate: IsoDate;
  deliveryMode: DeliveryMode;
  mediatorId: string | null;
}

export interface LoadedFacts extends RedemptionFacts {
  /** Null when the place does not offer the service: the rules refuse it (service_not_in_catalogue). */
  entryId: string | null;
  referentialVersion: number | null;
}

export interface IdempotencyClaim {
  tokenId: string;
  key: string;
  requestHash: Buffer;
}

interface FactsRow {
  place_found: boolean;
  insee_code: string | null;
  typologies: string[] | null;
  place_status: string | null;
  provider_status: ProviderStatus | null;
  suspended_at: Date | null;
  entry_id: string | null;
  active: boolean | null;
  price_cents: number | null;
  delivery_modes: DeliveryMode[] | null;
  referential_version: number | null;
  level: number | null;
  doing_for_person: boolean | null;
  mediator_status: MediatorStatus | null;
  by_place: number | string;
  by_recorder: number | string;
  claimed: number | string;
}

/**
 * The facts of the place and service, and whether the Idempotency-Key was free (claimed: false
 * means an earlier request holds it: the caller replays its outcome, whatever the facts say).
 * Throws place_unknown (not this provider's place), too_many_refusals, mediator_unknown.
 */
export async function loadRedemptionFacts(
  trx: Kysely<DB>,
  recorder: Recorder,
  request: FactsRequest,
  now: Date,
  refusalLimit: number,
  claim?: IdempotencyClaim,
): Promise<{ claimed: boolean; facts: LoadedFacts | undefined }> {
  const since = new Date(now.getTime() - REFUSAL_WINDOW_MS);
  const byRecorder =
    recorder.tokenId !== null
      ? sql`(select count(*) from redemption_refusals where recorded_by_token = ${recorder.tokenId}::uuid and created_at > ${since})`
      : sql`(select count(*) from redemption_refusals where recorded_by_user = ${recorder.userId}::uuid and created_at > ${since})`;
  const claimCte = claim
    ? sql`insert into idempotency_keys (token_id, key, request_hash, outcome, created_at)
          values (${claim.tokenId}::uuid, ${claim.key}, ${claim.requestHash}, 'null'::jsonb, ${now})
          on conflict (token_id, key) do nothing
          returning 1`
    : sql`select 1 where false`;
  const { rows } = await sql<FactsRow>`
    with claim as (${claimCte})
    select p.id is not null as place_found, p.insee_code, p.typologies, p.status as place_status,
           pr.status as provider_status, pr.suspended_at,
           e.id as entry_id, e.active, e.price_cents, e.delivery_modes, e.referential_version,
           s.level, s.doing_for_person,
           (select m.status from mediators m
             where m.id = ${request.mediatorId}::uuid and m.provider_id = ${recorder.providerId}::uuid and m.active) as mediator_status,
           (select count(*) from redemption_refusals where place_id = ${request.placeId}::uuid and created_at > ${since}) as by_place,
           ${byRecorder} as by_recorder,
           (select count(*) from claim) as claimed
    from (select 1) as one
    left join places p on p.id = ${request.placeId}::uuid and p.provider_id = ${recorder.providerId}::uuid
    left join providers pr on pr.organisation_id = p.provider_id
    left join catalogue_entries e on e.place_id = p.id and e.service_code = ${request.serviceCode}
    left join referential_services s on s.version = e.referential_version and s.code = e.service_code`.execute(trx);
  const row = rows[0]!;
  const claimed = claim === undefined || Number(row.claimed) === 1;
  if (!claimed) return { claimed, facts: undefined };
  // The place first: a provider learns nothing about the limits of another provider's place.
  if (!row.place_found) throw new DomainError('place_unknown', 'placeId');
  if (Number(row.by_place) >= refusalLimit || Number(row.by_recorder) >= refusalLimit) throw new DomainError('too_many_refusals');
  if (request.mediatorId !== null && row.mediator_status === null) throw new DomainError('mediator_unknown', 'mediatorId');
  // A service the place does not offer is refused like a paused one, and recorded as such.
  const offered = row.entry_id !== null && row.level !== null;
  return {
    claimed,
    facts: {
      now,
      serviceDate: request.serviceDate,
      deliveryMode: request.deliveryMode,
      mediatorIsEmployee: request.mediatorId === null ? undefined : row.mediator_status === 'employee',
      entryId: offered ? row.entry_id : null,
      referentialVersion: offered ? row.referential_version : null,
      place: {
        inseeCode: row.insee_code,
        typologies: row.typologies ?? [],
        published: row.place_status === 'published',
        providerQualified: row.provider_status === 'qualified',
        providerSuspended: row.suspended_at !== null,
      },
      service: {
        active: offered && row.active === true,
        serviceCode: request.serviceCode,
        level: row.level ?? 0,
        priceCents: row.price_cents ?? 0,
        deliveryModes: row.delivery_modes ?? [],
        employeesOnly: row.doing_for_person === true,
      },
    },
  };
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
  if (Number(counts.by_place) >= refusalLimit || Number(counts.by_recorder) >= refusalLimit) throw new DomainError('too_many_refusals');
}

export interface LockedVoucher extends VoucherFacts {
  hash: Buffer;
  orderId: string;
  funderId: string;
}

/** The vouchers with these hashes, locked in id order (two redemptions never deadlock), with their booklet's and order's facts. */
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
      'vouchers.order_id',
      'orders.funder_id',
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
      status: row.status as OrderStatus,
      territory: row.territory,
      serviceLevels: row.service_levels,
      serviceCodes: row.service_codes,
      placeTypes: row.place_types,
      validFrom: row.valid_from,
      validUntil: row.valid_until,
      holderShareAllowed: row.holder_share_allowed,
      deliveryModes: row.delivery_modes,
      activation: row.activation as VoucherActivation,
    };
    const voucher: LockedVoucher = {
      id: row.id,
      hash: row.code_hash,
      orderId: row.order_id,
      funderId: row.funder_id,
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
