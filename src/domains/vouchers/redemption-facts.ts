import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { PREPARED } from '../../db/prepared.js';
import type { DB, DeliveryMode, MediatorStatus, OrderStatus, ApplicationStatus as ProviderStatus, VoucherActivation } from '../../db/schema.js';
import type { IsoDate } from '../../lib/paris-dates.js';
import { DomainError } from '../errors.js';
import type { OrderRules, RedemptionFacts, VoucherFacts } from './rules.js';

/**
 * What redemptions are decided on, read for a whole batch of requests (redemption-batch.ts) in one
 * statement: each request's place, catalogue entry, mediator, recent refusals, API token (still
 * valid?) and Idempotency-Key, claimed in the same statement, and all their vouchers, locked.
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

/** One request of a batch, as the facts query reads it. */
export interface FactsQuery {
  recorder: Recorder;
  input: FactsRequest;
  claim: IdempotencyClaim | undefined;
}

/**
 * A request's facts, before the limits are applied: `claimed` false means an earlier request holds
 * its Idempotency-Key (the caller replays that outcome, whatever the facts say); `facts` undefined
 * means the place is not the provider's (place_unknown).
 */
export interface RequestFacts {
  claimed: boolean;
  facts: LoadedFacts | undefined;
  refusalsByPlace: number;
  refusalsByRecorder: number;
  /** The mediator was named but is not one of the provider's active mediators. */
  mediatorUnknown: boolean;
  /** The API client's token has been revoked since the request was authenticated (api-tokens.ts). */
  tokenRevoked: boolean;
}

interface FactsRow {
  i: number;
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
  claimed: boolean;
  token_valid: boolean;
}

/**
 * The facts of every request, in the order given, and the claim of their Idempotency-Keys (claims
 * are inserted in key order, so that two batches never wait on each other's keys in a cycle; a key
 * held by a transaction still running is waited for, then found taken).
 */
export async function loadBatchFacts(
  trx: Kysely<DB>,
  requests: readonly FactsQuery[],
  hashes: readonly Buffer[],
  now: Date,
): Promise<{ facts: RequestFacts[]; vouchers: FoundVouchers }> {
  const since = new Date(now.getTime() - REFUSAL_WINDOW_MS);
  const claims = requests
    .flatMap(({ claim }) => (claim ? [claim] : []))
    .sort((a, b) => (a.tokenId < b.tokenId ? -1 : a.tokenId > b.tokenId ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const requestRows = requests.map(({ recorder, input, claim }, i) => ({
    i,
    place_id: input.placeId,
    provider_id: recorder.providerId,
    service_code: input.serviceCode,
    mediator_id: input.mediatorId,
    token_id: recorder.tokenId,
    user_id: recorder.userId,
    key: claim?.key ?? null,
  }));
  const claimRows = claims.map((c, n) => ({ n, token_id: c.tokenId, key: c.key, request_hash: c.requestHash.toString('hex') }));
  // Fixed text, the rows as one JSON parameter per table: prepared once per connection
  // (db/client.ts). The vouchers, locked in the same round trip, come back as JSON on the first row.
  const { rows } = await sql<FactsRow & { vouchers: (Omit<VoucherFactsRow, 'code_hash'> & { code_hash: string })[] | null }>`${sql.raw(PREPARED)}
    with req as (
      select r.i, r.place_id, r.provider_id, r.service_code, r.mediator_id, r.token_id, r.user_id, r.key
      from json_to_recordset(${JSON.stringify(requestRows)}::json)
        as r (i int, place_id uuid, provider_id uuid, service_code text, mediator_id uuid, token_id uuid, user_id uuid, key text)
    ), claim as (
      insert into idempotency_keys (token_id, key, request_hash, outcome, created_at)
      select c.token_id, c.key, decode(c.request_hash, 'hex'), 'null'::jsonb, ${now}::timestamptz
      from json_to_recordset(${JSON.stringify(claimRows)}::json) as c (n int, token_id uuid, key text, request_hash text)
      order by c.n
      on conflict (token_id, key) do nothing
      returning token_id, key
    ), locked as (
      select v.id, v.code_hash, v.face_value_cents, v.redemption_id, v.order_id, o.funder_id, b.handed_out_at, b.cancelled_at, o.status,
             o.territory, o.service_levels, o.service_codes, o.place_types, o.valid_from, o.valid_until, o.holder_share_allowed,
             o.delivery_modes, o.activation
      from vouchers v
      join booklets b on b.id = v.booklet_id
      join orders o on o.id = v.order_id
      where v.code_hash in (select decode(h, 'hex') from unnest(${hashes.map((h) => h.toString('hex'))}::text[]) as h)
      order by v.id
      for update of v
    )
    select case when r.i = 0 then (select json_agg(l) from locked l) end as vouchers, r.i, p.id is not null as place_found, p.insee_code, p.typologies, p.status as place_status,
           pr.status as provider_status, pr.suspended_at,
           e.id as entry_id, e.active, e.price_cents, e.delivery_modes, e.referential_version,
           s.level, s.doing_for_person,
           (select m.status from mediators m where m.id = r.mediator_id and m.provider_id = r.provider_id and m.active) as mediator_status,
           (select count(*) from redemption_refusals where place_id = r.place_id and created_at > ${since}::timestamptz) as by_place,
           case when r.token_id is not null
             then (select count(*) from redemption_refusals where recorded_by_token = r.token_id and created_at > ${since}::timestamptz)
             else (select count(*) from redemption_refusals where recorded_by_user = r.user_id and created_at > ${since}::timestamptz)
           end as by_recorder,
           r.key is null or exists (select 1 from claim c where c.token_id = r.token_id and c.key = r.key) as claimed,
           r.token_id is null or exists (select 1 from api_tokens t where t.id = r.token_id and t.revoked_at is null) as token_valid
    from req r
    left join places p on p.id = r.place_id and p.provider_id = r.provider_id
    left join providers pr on pr.organisation_id = p.provider_id
    left join catalogue_entries e on e.place_id = p.id and e.service_code = r.service_code
    left join referential_services s on s.version = e.referential_version and s.code = e.service_code
    order by r.i`.execute(trx);
  // bytea in JSON: '\\x' and hex digits.
  const vouchers = foundVouchers((rows[0]?.vouchers ?? []).map((v) => ({ ...v, code_hash: Buffer.from(v.code_hash.slice(2), 'hex') })));
  const facts = rows.map((row, i) => {
    const { input } = requests[i]!;
    // A service the place does not offer is refused like a paused one, and recorded as such.
    const offered = row.entry_id !== null && row.level !== null;
    return {
      claimed: row.claimed,
      refusalsByPlace: Number(row.by_place),
      refusalsByRecorder: Number(row.by_recorder),
      mediatorUnknown: input.mediatorId !== null && row.mediator_status === null,
      tokenRevoked: !row.token_valid,
      facts: !row.place_found
        ? undefined
        : {
            now,
            serviceDate: input.serviceDate,
            deliveryMode: input.deliveryMode,
            mediatorIsEmployee: input.mediatorId === null ? undefined : row.mediator_status === 'employee',
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
              serviceCode: input.serviceCode,
              level: row.level ?? 0,
              priceCents: row.price_cents ?? 0,
              deliveryModes: row.delivery_modes ?? [],
              employeesOnly: row.doing_for_person === true,
            },
          },
    };
  });
  return { facts, vouchers };
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

/** The vouchers with these hashes, in id order, with their booklet's and order's facts; `for update` when locking. */
function voucherFactsQuery(db: Kysely<DB>, hashes: readonly Buffer[], lock: boolean) {
  const query = db
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
  return lock ? query.forUpdate('vouchers') : query;
}

type VoucherFactsRow = Awaited<ReturnType<ReturnType<typeof voucherFactsQuery>['execute']>>[number];

/** Found vouchers by code hash (hex) and by id. */
export interface FoundVouchers {
  byHash: Map<string, LockedVoucher>;
  byId: Map<string, LockedVoucher>;
}

function foundVouchers(rows: readonly (Omit<VoucherFactsRow, 'code_hash'> & { code_hash: Buffer })[]): FoundVouchers {
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

/** The vouchers with these hashes, locked in id order (two redemptions never deadlock), with their booklet's and order's facts. */
export async function lockVouchers(trx: Kysely<DB>, hashes: readonly Buffer[], lock = true): Promise<FoundVouchers> {
  return foundVouchers(await voucherFactsQuery(trx, hashes, lock).execute());
}
