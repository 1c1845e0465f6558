import type { DeliveryMode, OrderStatus, VoucherActivation } from '../../db/schema.js';
import { addMonths, endOfParisDay, firstDayOfMonth, parisDay, startOfParisDay, type IsoDate } from '../../lib/paris-dates.js';
import type { DomainErrorCode } from '../errors.js';
import { isInsideTerritory } from '../territories/territory.js';

/**
 * The rules of a redemption, pure: what the database knows about the vouchers, the place and the
 * service goes in, the first reason to refuse (or none) comes out. redeem-vouchers.ts gathers the
 * facts under lock and writes the outcome; the holder's page and the scan preview use the same
 * functions, so that what a person is shown is what the counter will decide.
 */

/** Why a redemption is refused; each is a DomainErrorCode with its French message. */
export const REFUSAL_REASONS = [
  'voucher_unknown',
  'voucher_repeated',
  'voucher_not_issued',
  'voucher_not_active',
  'voucher_cancelled',
  'voucher_already_used',
  'voucher_not_yet_valid',
  'voucher_expired',
  'service_date_invalid',
  'provider_not_qualified',
  'provider_suspended',
  'place_not_published',
  'service_not_in_catalogue',
  'place_outside_territory',
  'place_type_not_allowed',
  'service_not_allowed',
  'delivery_mode_not_allowed',
  'mediator_not_allowed',
  'holder_share_not_allowed',
  'too_many_vouchers',
] as const satisfies readonly DomainErrorCode[];
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface OrderRules {
  status: OrderStatus;
  territory: readonly string[];
  serviceLevels: readonly number[];
  serviceCodes: readonly string[];
  placeTypes: readonly string[];
  validFrom: IsoDate;
  validUntil: IsoDate;
  holderShareAllowed: boolean;
  deliveryModes: readonly DeliveryMode[];
  activation: VoucherActivation;
}

export interface VoucherFacts {
  id: string;
  faceValueCents: number;
  redeemed: boolean;
  bookletHandedOut: boolean;
  bookletCancelled: boolean;
  order: OrderRules;
}

export interface PlaceFacts {
  inseeCode: string | null;
  typologies: readonly string[];
  published: boolean;
  providerQualified: boolean;
  providerSuspended: boolean;
}

export interface ServiceFacts {
  /** The place's catalogue entry, if the service is in it and active. */
  active: boolean;
  serviceCode: string;
  level: number;
  priceCents: number;
  deliveryModes: readonly DeliveryMode[];
  /** « Faire à la place »: only employees may deliver it. */
  employeesOnly: boolean;
}

export interface RedemptionFacts {
  now: Date;
  serviceDate: IsoDate;
  deliveryMode: DeliveryMode;
  /** The mediator picked, if any: volunteers and civic-service staff may not do it for the person. */
  mediatorIsEmployee: boolean | undefined;
  place: PlaceFacts;
  service: ServiceFacts;
}

/** Months after the end of validity during which scans of services delivered in time are taken. */
export const SCAN_TOLERANCE_MONTHS = 1;

/** The state of a voucher as a person sees it (scan preview, holder's page). */
export type VoucherState = 'usable' | 'not_active' | 'cancelled' | 'used' | 'not_yet_valid' | 'expired' | 'not_issued';

export function voucherState(voucher: Omit<VoucherFacts, 'id' | 'faceValueCents'>, now: Date): VoucherState {
  if (voucher.order.status !== 'issued') return 'not_issued';
  if (voucher.redeemed) return 'used';
  if (voucher.bookletCancelled) return 'cancelled';
  if (voucher.order.activation === 'on_hand_out' && !voucher.bookletHandedOut) return 'not_active';
  if (now < startOfParisDay(voucher.order.validFrom)) return 'not_yet_valid';
  if (now >= lastScanInstant(voucher.order.validUntil)) return 'expired';
  return 'usable';
}

/**
 * Last scan instants already computed, by end of validity: every voucher of every redemption asks,
 * and the orders share a handful of dates. Bounded like paris-dates.ts's midnights.
 */
const lastScanTimes = new Map<IsoDate, number>();
const LAST_SCAN_TIMES_KEPT = 4096;

/** The first instant a voucher valid until `validUntil` is refused, tolerance included. */
export function lastScanInstant(validUntil: IsoDate): Date {
  let time = lastScanTimes.get(validUntil);
  if (time === undefined) {
    time = endOfParisDay(addMonths(validUntil, SCAN_TOLERANCE_MONTHS)).getTime();
    if (lastScanTimes.size >= LAST_SCAN_TIMES_KEPT) lastScanTimes.clear();
    lastScanTimes.set(validUntil, time);
  }
  return new Date(time);
}

const STATE_REFUSAL: Record<Exclude<VoucherState, 'usable'>, RefusalReason> = {
  not_issued: 'voucher_not_issued',
  used: 'voucher_already_used',
  cancelled: 'voucher_cancelled',
  not_active: 'voucher_not_active',
  not_yet_valid: 'voucher_not_yet_valid',
  expired: 'voucher_expired',
};

/** What is wrong with the voucher itself, wherever it is used. */
export function voucherRefusal(voucher: VoucherFacts, now: Date): RefusalReason | undefined {
  const state = voucherState(voucher, now);
  return state === 'usable' ? undefined : STATE_REFUSAL[state];
}

/** The last day asked and its earliest service day: "today" changes once a day, redemptions do not. */
let earliestFor: { today: IsoDate; earliest: IsoDate } = { today: '', earliest: '' };

/**
 * Services are recorded by the end of their month; the next month's scans still take them, the
 * settlement's grace day decides what is paid when: the earliest day is the first of last month.
 */
function earliestServiceDay(today: IsoDate): IsoDate {
  if (earliestFor.today !== today) earliestFor = { today, earliest: firstDayOfMonth(addMonths(firstDayOfMonth(today), -1)) };
  return earliestFor.earliest;
}

/** What is wrong with the place and service, before any voucher is looked at. */
export function serviceRefusal(facts: RedemptionFacts): RefusalReason | undefined {
  const today = parisDay(facts.now);
  if (facts.serviceDate > today || facts.serviceDate < earliestServiceDay(today)) return 'service_date_invalid';
  if (!facts.place.providerQualified) return 'provider_not_qualified';
  if (facts.place.providerSuspended) return 'provider_suspended';
  if (!facts.place.published) return 'place_not_published';
  if (!facts.service.active || !facts.service.deliveryModes.includes(facts.deliveryMode)) return 'service_not_in_catalogue';
  if (facts.service.employeesOnly && facts.mediatorIsEmployee === false) return 'mediator_not_allowed';
  return undefined;
}

/** What the voucher's order forbids here. */
export function orderRefusal(order: OrderRules, facts: RedemptionFacts): RefusalReason | undefined {
  if (facts.serviceDate < order.validFrom) return 'voucher_not_yet_valid';
  if (facts.serviceDate > order.validUntil) return 'voucher_expired';
  if (!isInsideTerritory(order.territory, facts.place.inseeCode)) return 'place_outside_territory';
  if (order.placeTypes.length > 0 && !facts.place.typologies.some((type) => order.placeTypes.includes(type))) return 'place_type_not_allowed';
  const levelAllowed = order.serviceLevels.length === 0 || order.serviceLevels.includes(facts.service.level);
  const codeAllowed = order.serviceCodes.length === 0 || order.serviceCodes.includes(facts.service.serviceCode);
  if (order.serviceLevels.length > 0 && order.serviceCodes.length > 0 ? !(levelAllowed || codeAllowed) : !(levelAllowed && codeAllowed)) {
    return 'service_not_allowed';
  }
  if (!order.deliveryModes.includes(facts.deliveryMode)) return 'delivery_mode_not_allowed';
  return undefined;
}

export type RedemptionDecision =
  | { ok: true; vouchersCents: number; holderShareCents: number }
  | { ok: false; reason: RefusalReason; voucherId?: string };

/**
 * The whole decision for one service paid with these vouchers: each voucher must be usable and
 * allowed here; no voucher beyond the price is taken (without the last one, the others must fall
 * short of it); a holder's share is only asked when every order allows it.
 */
export function decideRedemption(vouchers: readonly VoucherFacts[], facts: RedemptionFacts): RedemptionDecision {
  const seen = new Set<string>();
  for (const voucher of vouchers) {
    if (seen.has(voucher.id)) return { ok: false, reason: 'voucher_repeated', voucherId: voucher.id };
    seen.add(voucher.id);
  }
  const service = serviceRefusal(facts);
  if (service) return { ok: false, reason: service };
  for (const voucher of vouchers) {
    const reason = voucherRefusal(voucher, facts.now) ?? orderRefusal(voucher.order, facts);
    if (reason) return { ok: false, reason, voucherId: voucher.id };
  }
  const vouchersCents = vouchers.reduce((sum, v) => sum + v.faceValueCents, 0);
  const smallest = Math.min(...vouchers.map((v) => v.faceValueCents));
  if (vouchers.length === 0) throw new Error('a redemption takes at least one voucher');
  if (vouchersCents - smallest >= facts.service.priceCents && vouchers.length > 1) return { ok: false, reason: 'too_many_vouchers' };
  const holderShareCents = Math.max(facts.service.priceCents - vouchersCents, 0);
  if (holderShareCents > 0 && vouchers.some((v) => !v.order.holderShareAllowed)) return { ok: false, reason: 'holder_share_not_allowed' };
  return { ok: true, vouchersCents, holderShareCents };
}
