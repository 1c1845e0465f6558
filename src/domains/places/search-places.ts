import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DB, DeliveryMode } from '../../db/schema.js';
import type { ReferentialLevel } from '../referential/model.js';
import { departementOf, searchCommunes, type Commune } from '../territories/communes.js';

/**
 * The public search of places accepting the pass numérique: published places of qualified,
 * not suspended providers with at least one active service, by commune, postcode or département,
 * filtered by service, level, accessibility and delivery mode, nearest first when a point is known.
 */

export const SEARCH_PAGE_SIZE = 20;

export interface PlaceSearch {
  /** A commune name, a postcode or a département code, as typed. */
  text?: string | undefined;
  serviceCode?: string | undefined;
  level?: ReferentialLevel | undefined;
  /** Only places declaring a specific support (deafness, illiteracy…). */
  specificSupport?: boolean | undefined;
  /** Only places with an acceslibre page. */
  acceslibre?: boolean | undefined;
  deliveryMode?: DeliveryMode | undefined;
  /** A point given by the person (their browser's position): distances from there. */
  latitude?: number | undefined;
  longitude?: number | undefined;
  /** 1-based. */
  page?: number | undefined;
  pageSize?: number | undefined;
}

export type SearchLocation =
  | { kind: 'everywhere' }
  | { kind: 'postcode'; postcode: string; label: string }
  | { kind: 'communes'; codes: string[]; centreCodes: string[]; label: string }
  | { kind: 'departement'; code: string; label: string }
  /** The text names no commune, postcode or département we know. */
  | { kind: 'unknown'; text: string };

function normalise(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/œ/gu, 'oe')
    .replace(/\bste?\b/gu, (w) => (w === 'st' ? 'saint' : 'sainte'))
    .replace(/[^a-z0-9]+/gu, '');
}

/** Reads the search box: 5 digits a postcode, 2 or 3 characters a département, anything else a commune name. */
export function resolveLocation(text: string | undefined): SearchLocation {
  const query = (text ?? '').trim();
  if (query === '') return { kind: 'everywhere' };
  const compact = query.replace(/\s/gu, '').toUpperCase();
  if (/^\d{5}$/.test(compact)) {
    const commune = searchCommunes(compact, 1)[0];
    return { kind: 'postcode', postcode: compact, label: commune ? `${compact} (${commune.name})` : compact };
  }
  if (/^(\d{2}|2[AB]|97\d|98\d)$/.test(compact) && departementOf(`${compact}${compact.length === 2 ? '000' : '00'}`) === compact) {
    return { kind: 'departement', code: compact, label: `département ${compact}` };
  }
  const found = searchCommunes(query, 60);
  const wanted = normalise(query);
  const exact = found.filter((c) => normalise(c.name) === wanted);
  const chosen: Commune[] = exact.length ? exact : found.slice(0, 1);
  if (chosen.length === 0) return { kind: 'unknown', text: query };
  // Paris, Lyon and Marseille: the standard's places carry the arrondissement's code.
  const withArrondissements = (communes: Commune[]) => {
    const codes = new Set(communes.map((c) => c.code));
    for (const c of found) if (c.parent !== undefined && codes.has(c.parent)) codes.add(c.code);
    return [...codes];
  };
  return { kind: 'communes', codes: withArrondissements(chosen), centreCodes: withArrondissements(chosen.slice(0, 1)), label: chosen[0]!.name };
}

export interface PlaceHit {
  id: string;
  name: string;
  address: string;
  postcode: string;
  commune: string;
  latitude: number;
  longitude: number;
  itinerant: boolean;
  hasSpecificSupport: boolean;
  accessibilityUrl: string | null;
  /** From the search point, when there is one. */
  distanceKm: number | null;
  services: { code: string; label: string; level: number; priceCents: number; deliveryModes: DeliveryMode[] }[];
}

export interface PlaceSearchResult {
  location: SearchLocation;
  /** Where distances are measured from, if anywhere. */
  point: { latitude: number; longitude: number; source: 'given' | 'places' } | null;
  total: number;
  page: number;
  pageCount: number;
  pageSize: number;
  hits: PlaceHit[];
}

const visible = sql`p.status = 'published' and pr.status = 'qualified' and pr.suspended_at is null`;

function locationCondition(location: SearchLocation, centre = false): RawBuilder<unknown> {
  switch (location.kind) {
    case 'everywhere':
      return sql`true`;
    case 'unknown':
      return sql`false`;
    case 'postcode':
      return sql`p.postcode = ${location.postcode}`;
    case 'departement':
      return sql`p.insee_code like ${`${location.code}%`}`;
    case 'communes':
      return sql`p.insee_code in (${sql.join(centre ? location.centreCodes : location.codes)})`;
  }
}

function serviceCondition(search: PlaceSearch): RawBuilder<unknown> {
  // Without a filter on the services, the flag kept by the database answers (no EXISTS per place).
  if (!search.serviceCode && !search.deliveryMode && !search.level) return sql`p.has_active_service`;
  const conditions: RawBuilder<unknown>[] = [sql`c.place_id = p.id`, sql`c.active`];
  if (search.serviceCode) conditions.push(sql`c.service_code = ${search.serviceCode}`);
  if (search.deliveryMode) conditions.push(sql`${search.deliveryMode} = any(c.delivery_modes)`);
  if (search.level) {
    conditions.push(sql`exists (select 1 from referential_services s where s.version = c.referential_version and s.code = c.service_code and s.level = ${search.level})`);
  }
  return sql`exists (select 1 from catalogue_entries c where ${sql.join(conditions, sql` and `)})`;
}

export async function searchPlaces(db: Kysely<DB>, search: PlaceSearch): Promise<PlaceSearchResult> {
  const location = resolveLocation(search.text);
  const pageSize = Math.min(Math.max(search.pageSize ?? SEARCH_PAGE_SIZE, 1), 100);
  const conditions = [visible, locationCondition(location), serviceCondition(search)];
  if (search.specificSupport) conditions.push(sql`cardinality(p.specific_support) > 0`);
  if (search.acceslibre) conditions.push(sql`p.accessibility_url is not null`);
  const where = sql.join(conditions, sql` and `);
  const from = sql`places p join providers pr on pr.organisation_id = p.provider_id`;

  let point: PlaceSearchResult['point'] = null;
  if (search.latitude !== undefined && search.longitude !== undefined) {
    point = { latitude: search.latitude, longitude: search.longitude, source: 'given' };
  } else if (location.kind === 'postcode' || location.kind === 'communes') {
    // No centroid of communes in our data: the middle of the places found there stands for it.
    const centre = await sql<{ lat: number | null; lon: number | null }>`select avg(p.latitude) as lat, avg(p.longitude) as lon from ${from}
      where ${visible} and ${locationCondition(location, true)} and ${serviceCondition({})}`.execute(db);
    const row = centre.rows[0];
    if (row?.lat != null && row.lon != null) point = { latitude: Number(row.lat), longitude: Number(row.lon), source: 'places' };
  }

  const counted = await sql<{ n: number | string }>`select count(*) as n from ${from} where ${where}`.execute(db);
  const total = Number(counted.rows[0]?.n ?? 0);
  const pageCount = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(Math.max(Math.trunc(search.page ?? 1), 1), pageCount);

  // Equirectangular distance: exact enough to sort places of a département, and cheap.
  const distance = point
    ? sql`sqrt(power(p.latitude - ${point.latitude}, 2) + power((p.longitude - ${point.longitude}) * ${Math.cos((point.latitude * Math.PI) / 180)}, 2)) * 111.195`
    : sql`null::double precision`;
  const order = point ? sql`distance_km, p.id` : sql`p.name, p.id`;
  const rows = await sql<{
    id: string;
    name: string;
    address: string;
    postcode: string;
    commune: string;
    latitude: number;
    longitude: number;
    itinerant: boolean;
    has_specific_support: boolean;
    accessibility_url: string | null;
    distance_km: number | null;
  }>`select p.id, p.name, p.address, p.postcode, p.commune, p.latitude, p.longitude, p.itinerant,
      cardinality(p.specific_support) > 0 as has_specific_support, p.accessibility_url, ${distance} as distance_km
    from ${from} where ${where}
    order by ${order} limit ${pageSize} offset ${(page - 1) * pageSize}`.execute(db);

  const ids = rows.rows.map((r) => r.id);
  const services = ids.length
    ? await db
        .selectFrom('catalogue_entries as c')
        .innerJoin('referential_services as s', (join) => join.onRef('s.version', '=', 'c.referential_version').onRef('s.code', '=', 'c.service_code'))
        .select(['c.place_id', 'c.service_code', 's.label', 's.level', 'c.price_cents', 'c.delivery_modes'])
        .where('c.place_id', 'in', ids)
        .where('c.active', '=', true)
        .orderBy('s.level')
        .orderBy('c.service_code')
        .execute()
    : [];
  const hits = rows.rows.map(
    (r): PlaceHit => ({
      id: r.id,
      name: r.name,
      address: r.address,
      postcode: r.postcode,
      commune: r.commune,
      latitude: Number(r.latitude),
      longitude: Number(r.longitude),
      itinerant: r.itinerant,
      hasSpecificSupport: r.has_specific_support,
      accessibilityUrl: r.accessibility_url,
      distanceKm: r.distance_km === null ? null : Number(r.distance_km),
      services: services
        .filter((s) => s.place_id === r.id)
        .map((s) => ({ code: s.service_code, label: s.label, level: s.level, priceCents: s.price_cents, deliveryModes: s.delivery_modes })),
    }),
  );
  return { location, point, total, page, pageCount, pageSize, hits };
}

/** A place as shown on its public page, with its active services; undefined when it is not public. */
export async function findPublicPlace(db: Kysely<DB>, placeId: string) {
  const place = await db
    .selectFrom('places as p')
    .innerJoin('providers as pr', 'pr.organisation_id', 'p.provider_id')
    .innerJoin('organisations as o', 'o.id', 'p.provider_id')
    .selectAll('p')
    .select('o.name as providerName')
    .where('p.id', '=', placeId)
    .where('p.status', '=', 'published')
    .where('pr.status', '=', 'qualified')
    .where('pr.suspended_at', 'is', null)
    .executeTakeFirst();
  if (!place) return undefined;
  const services = await db
    .selectFrom('catalogue_entries as c')
    .innerJoin('referential_services as s', (join) => join.onRef('s.version', '=', 'c.referential_version').onRef('s.code', '=', 'c.service_code'))
    .selectAll('c')
    .select(['s.label', 's.level', 's.description', 's.doing_for_person'])
    .where('c.place_id', '=', placeId)
    .where('c.active', '=', true)
    .orderBy('s.level')
    .orderBy('c.service_code')
    .execute();
  return { place, services };
}
