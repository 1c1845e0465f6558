import type { Kysely } from 'kysely';
import type { DB, DeliveryMode } from '../../db/schema.js';
import { searchPlaces, type PlaceHit, type SearchLocation } from '../places/search-places.js';
import { MAX_VOUCHERS_PER_REDEMPTION } from './redeem-vouchers.js';
import { orderRefusal, type OrderRules, type RedemptionFacts } from './rules.js';

/**
 * The places that accept a given voucher, for the holder's page: the public search of places
 * (search-places.ts) for what the holder typed, kept to the places and services the voucher's
 * order allows, with the same rule as the counter (rules.ts orderRefusal). Universality: every
 * qualified place that meets the rules is listed, nearest first, without preference.
 */

export const ACCEPTING_PLACES_LIMIT = 20;
/** Pages of the search read at most (100 places each): bounds the work of one look-up. */
const MAX_SEARCH_PAGES = 5;
const SEARCH_PAGE_SIZE = 100;

export interface AcceptedService {
  code: string;
  label: string;
  priceCents: number;
  deliveryModes: DeliveryMode[];
  /** Vouchers of this value it takes to pay the whole price (at most 20 for one service). */
  vouchersForFullPrice: number;
  /** What the holder pays on top of one voucher. */
  holderShareWithOneCents: number;
}

export interface AcceptingPlace {
  id: string;
  name: string;
  address: string;
  postcode: string;
  commune: string;
  distanceKm: number | null;
  services: AcceptedService[];
}

export interface AcceptingPlacesResult {
  location: SearchLocation;
  places: AcceptingPlace[];
  /** More places may accept it than were read. */
  truncated: boolean;
}

export interface VoucherToPlace {
  faceValueCents: number;
  order: OrderRules;
}

/** The services of a place that this voucher can pay, under one delivery mode at least. */
export function acceptedServices(voucher: VoucherToPlace, place: { inseeCode: string | null; typologies: readonly string[] }, services: PlaceHit['services']): AcceptedService[] {
  const accepted: AcceptedService[] = [];
  for (const service of services) {
    const modes = service.deliveryModes.filter((mode) => {
      const facts: RedemptionFacts = {
        now: new Date(0),
        // Any day of the validity: the dates are the holder's to choose, not the place's.
        serviceDate: voucher.order.validFrom,
        deliveryMode: mode,
        mediatorIsEmployee: undefined,
        place: { inseeCode: place.inseeCode, typologies: place.typologies, published: true, providerQualified: true, providerSuspended: false },
        service: { active: true, serviceCode: service.code, level: service.level, priceCents: service.priceCents, deliveryModes: service.deliveryModes, employeesOnly: false },
      };
      return orderRefusal(voucher.order, facts) === undefined;
    });
    if (modes.length === 0) continue;
    const face = voucher.faceValueCents;
    const vouchersForFullPrice = Math.max(1, Math.ceil(service.priceCents / face));
    const holderShareWithOneCents = Math.max(service.priceCents - face, 0);
    // Without a holder's share allowed, the price must be met by vouchers alone.
    if (!voucher.order.holderShareAllowed && vouchersForFullPrice > MAX_VOUCHERS_PER_REDEMPTION) continue;
    accepted.push({ code: service.code, label: service.label, priceCents: service.priceCents, deliveryModes: modes, vouchersForFullPrice, holderShareWithOneCents });
  }
  return accepted;
}

/**
 * Up to `limit` places found by `text` (a commune, a postcode or a département) that accept the
 * voucher. Reads the public search page by page, since its own filters know nothing of orders.
 */
export async function findAcceptingPlaces(db: Kysely<DB>, voucher: VoucherToPlace, text: string, limit = ACCEPTING_PLACES_LIMIT): Promise<AcceptingPlacesResult> {
  const places: AcceptingPlace[] = [];
  let location: SearchLocation = { kind: 'everywhere' };
  for (let page = 1; page <= MAX_SEARCH_PAGES; page++) {
    const result = await searchPlaces(db, { text, page, pageSize: SEARCH_PAGE_SIZE });
    location = result.location;
    // The holder names where: no search of the whole country, nothing for an unknown name.
    if (location.kind === 'everywhere' || location.kind === 'unknown' || result.hits.length === 0) return { location, places, truncated: false };
    const ids = result.hits.map((hit) => hit.id);
    const rows = await db.selectFrom('places').select(['id', 'insee_code', 'typologies']).where('id', 'in', ids).execute();
    const facts = new Map(rows.map((row) => [row.id, row]));
    for (const hit of result.hits) {
      const row = facts.get(hit.id);
      if (!row) continue;
      const services = acceptedServices(voucher, { inseeCode: row.insee_code, typologies: row.typologies }, hit.services);
      if (services.length === 0) continue;
      places.push({ id: hit.id, name: hit.name, address: hit.address, postcode: hit.postcode, commune: hit.commune, distanceKm: hit.distanceKm, services });
      if (places.length >= limit) return { location, places, truncated: true };
    }
    if (result.page >= result.pageCount) return { location, places, truncated: false };
  }
  return { location, places, truncated: true };
}
