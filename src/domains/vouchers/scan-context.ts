import type { Kysely } from 'kysely';
import type { DB, DeliveryMode, MediatorStatus, PublicAge, PublicSituation } from '../../db/schema.js';
import type { IsoDate } from '../../lib/paris-dates.js';
import type { CodeProblem } from './codes.js';
import type { PreviewLine, VoucherCheck } from './check-vouchers.js';
import { orderRefusal, serviceRefusal, type RedemptionFacts, type RefusalReason, type VoucherState } from './rules.js';

/**
 * What the provider's scan page needs before and after a redemption, read only: the places that
 * can take vouchers, with their active catalogue and the provider's active mediators; the reading
 * of a preview with the rules of rules.ts (what the counter will decide); and a receipt.
 */

export interface ScanService {
  code: string;
  label: string;
  level: number;
  priceCents: number;
  deliveryModes: DeliveryMode[];
  /** « Faire à la place »: only employees may deliver it. */
  employeesOnly: boolean;
}

export interface ScanPlace {
  id: string;
  name: string;
  address: string;
  postcode: string;
  commune: string;
  inseeCode: string | null;
  typologies: string[];
  services: ScanService[];
}

export interface ScanMediator {
  id: string;
  name: string;
  status: MediatorStatus;
}

/** Whether the provider may take vouchers at all, and if not, why. */
export type ProviderStanding = 'no_application' | 'not_qualified' | 'suspended' | 'qualified';

export interface ScanContext {
  standing: ProviderStanding;
  /** Published places with at least one active service: where vouchers can be taken. */
  places: ScanPlace[];
  /** Published places without any active service (the page says what to do). */
  placesWithoutService: { id: string; name: string }[];
  mediators: ScanMediator[];
}

export async function loadScanContext(db: Kysely<DB>, providerId: string): Promise<ScanContext> {
  const provider = await db.selectFrom('providers').select(['status', 'suspended_at']).where('organisation_id', '=', providerId).executeTakeFirst();
  const standing: ProviderStanding = !provider
    ? 'no_application'
    : provider.status !== 'qualified'
      ? 'not_qualified'
      : provider.suspended_at !== null
        ? 'suspended'
        : 'qualified';
  const places = await db
    .selectFrom('places')
    .select(['id', 'name', 'address', 'postcode', 'commune', 'insee_code', 'typologies'])
    .where('provider_id', '=', providerId)
    .where('status', '=', 'published')
    .orderBy('name')
    .orderBy('id')
    .execute();
  const entries = places.length
    ? await db
        .selectFrom('catalogue_entries as c')
        .innerJoin('referential_services as s', (join) => join.onRef('s.version', '=', 'c.referential_version').onRef('s.code', '=', 'c.service_code'))
        .select(['c.place_id', 'c.service_code', 'c.price_cents', 'c.delivery_modes', 's.label', 's.level', 's.doing_for_person'])
        .where('c.place_id', 'in', places.map((p) => p.id))
        .where('c.active', '=', true)
        .orderBy('s.level')
        .orderBy('c.service_code')
        .execute()
    : [];
  const mediators = await db
    .selectFrom('mediators')
    .select(['id', 'name', 'status'])
    .where('provider_id', '=', providerId)
    .where('active', '=', true)
    .orderBy('name')
    .orderBy('id')
    .execute();
  const withServices: ScanPlace[] = places.map((p) => ({
    id: p.id,
    name: p.name,
    address: p.address,
    postcode: p.postcode,
    commune: p.commune,
    inseeCode: p.insee_code,
    typologies: p.typologies,
    services: entries
      .filter((e) => e.place_id === p.id)
      .map((e) => ({
        code: e.service_code,
        label: e.label,
        level: e.level,
        priceCents: e.price_cents,
        deliveryModes: e.delivery_modes,
        employeesOnly: e.doing_for_person,
      })),
  }));
  return {
    standing,
    places: withServices.filter((p) => p.services.length > 0),
    placesWithoutService: withServices.filter((p) => p.services.length === 0).map((p) => ({ id: p.id, name: p.name })),
    mediators,
  };
}

// ---------------------------------------------------------------------------------------------
// The preview, read with the counter's rules

export interface PreviewChoice {
  place: ScanPlace;
  service: ScanService;
  serviceDate: IsoDate;
  deliveryMode: DeliveryMode;
  mediator: ScanMediator | undefined;
}

export interface AssessedLine {
  input: string;
  /** Found vouchers only. */
  voucher?: VoucherCheck;
  /** Why this line would be refused, if it would. */
  problem?: CodeProblem | RefusalReason;
}

export interface PreviewAssessment {
  lines: AssessedLine[];
  /** A refusal about the place or the service, before any voucher. */
  serviceProblem: RefusalReason | undefined;
  /** Face value of the vouchers found. */
  vouchersCents: number;
  holderShareCents: number;
  /** One voucher is beyond the price: the counter takes none of them. */
  tooMany: boolean;
  /** A share is left to pay but a voucher's funder forbids it. */
  shareNotAllowed: boolean;
  /** Nothing known stands in the way: the confirmation is offered. */
  ready: boolean;
}

const STATE_REFUSAL: Record<Exclude<VoucherState, 'usable'>, RefusalReason> = {
  not_issued: 'voucher_not_issued',
  used: 'voucher_already_used',
  cancelled: 'voucher_cancelled',
  not_active: 'voucher_not_active',
  not_yet_valid: 'voucher_not_yet_valid',
  expired: 'voucher_expired',
};

/**
 * Reads a preview as the counter will: each voucher's state, then what its order forbids at this
 * place for this service, repeated codes, a voucher beyond the price, a forbidden holder's share.
 * Pure: the place, service and mediator come from loadScanContext, the vouchers from previewVouchers.
 */
export function assessPreview(previewLines: readonly PreviewLine[], choice: PreviewChoice, now: Date): PreviewAssessment {
  const facts: RedemptionFacts = {
    now,
    serviceDate: choice.serviceDate,
    deliveryMode: choice.deliveryMode,
    mediatorIsEmployee: choice.mediator ? choice.mediator.status === 'employee' : undefined,
    place: { inseeCode: choice.place.inseeCode, typologies: choice.place.typologies, published: true, providerQualified: true, providerSuspended: false },
    service: {
      active: true,
      serviceCode: choice.service.code,
      level: choice.service.level,
      priceCents: choice.service.priceCents,
      deliveryModes: choice.service.deliveryModes,
      employeesOnly: choice.service.employeesOnly,
    },
  };
  const serviceProblem = serviceRefusal(facts);
  const seen = new Set<string>();
  const lines = previewLines.map((line): AssessedLine => {
    if ('problem' in line) return { input: line.input, problem: line.problem };
    const voucher = line.voucher;
    if (seen.has(voucher.code)) return { input: line.input, voucher, problem: 'voucher_repeated' };
    seen.add(voucher.code);
    const problem = voucher.state === 'usable' ? orderRefusal(voucher.order, facts) : STATE_REFUSAL[voucher.state];
    return problem ? { input: line.input, voucher, problem } : { input: line.input, voucher };
  });
  const found = lines.flatMap((l) => (l.voucher && l.problem !== 'voucher_repeated' ? [l.voucher] : []));
  const vouchersCents = found.reduce((sum, v) => sum + v.faceValueCents, 0);
  const smallest = found.length ? Math.min(...found.map((v) => v.faceValueCents)) : 0;
  const price = choice.service.priceCents;
  const holderShareCents = Math.max(price - vouchersCents, 0);
  const tooMany = found.length > 1 && vouchersCents - smallest >= price;
  const shareNotAllowed = holderShareCents > 0 && found.some((v) => !v.order.holderShareAllowed);
  const ready = lines.length > 0 && serviceProblem === undefined && lines.every((l) => l.problem === undefined) && !tooMany && !shareNotAllowed;
  return { lines, serviceProblem, vouchersCents, holderShareCents, tooMany, shareNotAllowed, ready };
}

// ---------------------------------------------------------------------------------------------
// The receipt

export interface RedemptionReceipt {
  id: string;
  placeId: string;
  placeName: string;
  placeAddress: string;
  serviceCode: string;
  serviceLabel: string;
  serviceDate: IsoDate;
  deliveryMode: DeliveryMode;
  priceCents: number;
  vouchersCents: number;
  holderShareCents: number;
  voucherCount: number;
  mediatorName: string | null;
  publicAge: PublicAge | null;
  publicSituation: PublicSituation | null;
  createdAt: Date;
}

/** A redemption of this provider, for its receipt; undefined when it is not theirs (or does not exist). */
export async function findProviderRedemption(db: Kysely<DB>, providerId: string, redemptionId: string): Promise<RedemptionReceipt | undefined> {
  const row = await db
    .selectFrom('redemptions as r')
    .innerJoin('places as p', 'p.id', 'r.place_id')
    .leftJoin('referential_services as s', (join) => join.onRef('s.version', '=', 'r.referential_version').onRef('s.code', '=', 'r.service_code'))
    .leftJoin('mediators as m', 'm.id', 'r.mediator_id')
    .select([
      'r.id',
      'r.place_id',
      'p.name as place_name',
      'p.address',
      'p.postcode',
      'p.commune',
      'r.service_code',
      's.label',
      'r.service_date',
      'r.delivery_mode',
      'r.price_cents',
      'r.vouchers_cents',
      'r.holder_share_cents',
      'r.voucher_count',
      'm.name as mediator_name',
      'r.public_age',
      'r.public_situation',
      'r.created_at',
    ])
    .where('r.id', '=', redemptionId)
    .where('r.provider_id', '=', providerId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    placeId: row.place_id,
    placeName: row.place_name,
    placeAddress: `${row.address}, ${row.postcode} ${row.commune}`,
    serviceCode: row.service_code,
    serviceLabel: row.label ?? row.service_code,
    serviceDate: row.service_date,
    deliveryMode: row.delivery_mode,
    priceCents: row.price_cents,
    vouchersCents: row.vouchers_cents,
    holderShareCents: row.holder_share_cents,
    voucherCount: row.voucher_count,
    mediatorName: row.mediator_name,
    publicAge: row.public_age,
    publicSituation: row.public_situation,
    createdAt: row.created_at,
  };
}
