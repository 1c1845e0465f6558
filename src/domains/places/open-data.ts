import type { Kysely, Selectable } from 'kysely';
import type { DB, PlacesTable } from '../../db/schema.js';

/**
 * Open data of the public places in the national standard v1.0.2. The strict rows have exactly the
 * standard's 32 columns; the extension adds one (`pass_numerique`): v1 dropped v0.1's "Accepte le
 * Pass numérique" value, so the flag travels beside the standard rather than inside it
 * (docs/sources/national-standard.md).
 */
export const STANDARD_COLUMNS = [
  'id',
  'pivot',
  'nom',
  'commune',
  'code_postal',
  'code_insee',
  'adresse',
  'complement_adresse',
  'latitude',
  'longitude',
  'typologie',
  'telephone',
  'courriels',
  'site_web',
  'horaires',
  'presentation_resume',
  'presentation_detail',
  'source',
  'itinerance',
  'structure_parente',
  'date_maj',
  'services',
  'publics_specifiquement_adresses',
  'prise_en_charge_specifique',
  'frais_a_charge',
  'dispositif_programmes_nationaux',
  'formations_labels',
  'autres_formations_labels',
  'modalites_acces',
  'modalites_accompagnement',
  'fiche_acces_libre',
  'prise_rdv',
] as const;
export const EXTENSION_COLUMN = 'pass_numerique';

export type StandardColumn = (typeof STANDARD_COLUMNS)[number];
export type StandardRow = Record<StandardColumn, string | number | null>;

const PHONE = /^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)(\d){6,9}$/;
const SUMMARY_MAX = 280;

const joined = (values: readonly string[]) => (values.length ? values.join('|') : null);

/** A published place as a row of the standard v1.0.2 (values that would break a pattern are left out). */
export function toStandardRow(place: Selectable<PlacesTable>): StandardRow {
  const summary = place.summary && place.summary.length > SUMMARY_MAX ? `${place.summary.slice(0, SUMMARY_MAX - 1)}…` : place.summary;
  return {
    id: place.id,
    pivot: place.pivot,
    nom: place.name,
    commune: place.commune,
    code_postal: place.postcode,
    code_insee: place.insee_code,
    adresse: place.address,
    complement_adresse: place.address_complement,
    latitude: place.latitude,
    longitude: place.longitude,
    typologie: joined(place.typologies),
    // The standard's pattern holds one number.
    telephone: place.phones.find((p) => PHONE.test(p)) ?? null,
    courriels: joined(place.emails),
    site_web: joined(place.websites),
    horaires: place.opening_hours,
    presentation_resume: summary,
    presentation_detail: place.details,
    source: place.source === 'passnum' ? 'passnum' : `passnum (d’après ${place.source})`,
    itinerance: place.itinerant ? 'Itinérant' : 'Fixe',
    structure_parente: place.parent_structure,
    date_maj: place.updated_at.toISOString().slice(0, 10),
    services: joined(place.standard_services),
    publics_specifiquement_adresses: joined(place.publics),
    prise_en_charge_specifique: joined(place.specific_support),
    frais_a_charge: joined(place.fees),
    dispositif_programmes_nationaux: joined(place.national_programmes),
    formations_labels: joined(place.trainings_labels),
    autres_formations_labels: place.other_labels,
    modalites_acces: joined(place.access_modes),
    modalites_accompagnement: joined(place.support_modes),
    fiche_acces_libre: place.accessibility_url,
    prise_rdv: place.booking_url,
  };
}

/** One page of public places, ordered by id; `after` is the last id of the previous page. */
export async function listPublicPlaces(db: Kysely<DB>, page: { after?: string | undefined; limit: number }) {
  let query = db.selectFrom('places').selectAll().where('status', '=', 'published').orderBy('id').limit(page.limit + 1);
  if (page.after) query = query.where('id', '>', page.after);
  const rows = await query.execute();
  return { places: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
}

/** Every public place, page by page, without holding them all in memory. */
export async function* allPublicPlaces(db: Kysely<DB>, pageSize = 1000): AsyncGenerator<Selectable<PlacesTable>> {
  let after: string | undefined;
  for (;;) {
    const { places, hasMore } = await listPublicPlaces(db, { after, limit: pageSize });
    yield* places;
    if (!hasMore || places.length === 0) return;
    after = places.at(-1)!.id;
  }
}
