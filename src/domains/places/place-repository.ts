import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { CatalogueEntriesTable, DB, PlacesTable } from '../../db/schema.js';

/** SQL about places and their catalogue, for the use cases of this folder. Each takes a db or a transaction. */

export type PlaceRow = Selectable<PlacesTable>;
export type CatalogueRow = Selectable<CatalogueEntriesTable>;

export function insertPlace(db: Kysely<DB>, values: Insertable<PlacesTable>) {
  return db.insertInto('places').values(values).returningAll().executeTakeFirstOrThrow();
}

/** Updates a place of this provider; undefined when it is not theirs (or does not exist). */
export function updateProviderPlace(db: Kysely<DB>, providerId: string, placeId: string, values: Updateable<PlacesTable>) {
  return db.updateTable('places').set(values).where('id', '=', placeId).where('provider_id', '=', providerId).returningAll().executeTakeFirst();
}

export function findPlace(db: Kysely<DB>, placeId: string) {
  return db.selectFrom('places').selectAll().where('id', '=', placeId).executeTakeFirst();
}

export function findProviderPlace(db: Kysely<DB>, providerId: string, placeId: string) {
  return db.selectFrom('places').selectAll().where('id', '=', placeId).where('provider_id', '=', providerId).executeTakeFirst();
}

export function listPlacesOfProvider(db: Kysely<DB>, providerId: string) {
  return db
    .selectFrom('places as p')
    .selectAll('p')
    .select((eb) =>
      eb
        .selectFrom('catalogue_entries as c')
        .select((c) => c.fn.countAll<number>().as('n'))
        .whereRef('c.place_id', '=', 'p.id')
        .where('c.active', '=', true)
        .as('activeServices'),
    )
    .where('p.provider_id', '=', providerId)
    .orderBy('p.name')
    .orderBy('p.id')
    .execute();
}

/** Imported places nobody has claimed yet, at a postcode. */
export function listUnclaimedPlaces(db: Kysely<DB>, postcode: string, limit: number) {
  return db
    .selectFrom('places')
    .selectAll()
    .where('provider_id', 'is', null)
    .where('postcode', '=', postcode)
    .orderBy('name')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** The claim itself: only wins while the place has no provider (two claims at once: one row updated). */
export function claimUnclaimedPlace(db: Kysely<DB>, placeId: string, values: { provider_id: string; status: PlaceRow['status']; pivot: string | null; updated_at: Date }) {
  return db.updateTable('places').set(values).where('id', '=', placeId).where('provider_id', 'is', null).returningAll().executeTakeFirst();
}

/**
 * The provider's qualification and identifiers, when its application exists, its row locked until
 * the end of the transaction: a change of places never interleaves with a submission or a decision.
 */
export function lockProviderStanding(db: Kysely<DB>, providerId: string) {
  return db
    .selectFrom('providers')
    .select(['status', 'suspended_at', 'siret', 'rna'])
    .where('organisation_id', '=', providerId)
    .forUpdate()
    .executeTakeFirst();
}

export function listActiveMediatorStatuses(db: Kysely<DB>, providerId: string) {
  return db.selectFrom('mediators').select('status').where('provider_id', '=', providerId).where('active', '=', true).execute();
}

export function listCatalogueEntries(db: Kysely<DB>, placeId: string) {
  return db
    .selectFrom('catalogue_entries as c')
    .innerJoin('referential_services as s', (join) => join.onRef('s.version', '=', 'c.referential_version').onRef('s.code', '=', 'c.service_code'))
    .selectAll('c')
    .select(['s.label', 's.level', 's.doing_for_person', 's.description'])
    .where('c.place_id', '=', placeId)
    .orderBy('s.level')
    .orderBy('c.service_code')
    .execute();
}

export function findCatalogueEntry(db: Kysely<DB>, placeId: string, serviceCode: string) {
  return db.selectFrom('catalogue_entries').selectAll().where('place_id', '=', placeId).where('service_code', '=', serviceCode).executeTakeFirst();
}

export function insertCatalogueEntry(db: Kysely<DB>, values: Insertable<CatalogueEntriesTable>) {
  return db.insertInto('catalogue_entries').values(values).returningAll().executeTakeFirstOrThrow();
}

export function updateCatalogueEntry(db: Kysely<DB>, id: string, values: Updateable<CatalogueEntriesTable>) {
  return db.updateTable('catalogue_entries').set(values).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

export async function activeServiceCodes(db: Kysely<DB>, placeId: string): Promise<string[]> {
  const rows = await db.selectFrom('catalogue_entries').select('service_code').where('place_id', '=', placeId).where('active', '=', true).execute();
  return rows.map((r) => r.service_code);
}

export function setStandardServices(db: Kysely<DB>, placeId: string, standardServices: string[], at: Date) {
  return db.updateTable('places').set({ standard_services: standardServices, updated_at: at }).where('id', '=', placeId).execute();
}

export function publishPlacesOfProvider(db: Kysely<DB>, providerId: string, pivot: string, at: Date) {
  return db
    .updateTable('places')
    .set({ status: 'published', pivot, updated_at: at })
    .where('provider_id', '=', providerId)
    .where('status', '<>', 'published')
    .returning(['id', 'status'])
    .execute();
}

export function withdrawPlacesOfProvider(db: Kysely<DB>, providerId: string, at: Date) {
  return db
    .updateTable('places')
    .set({ status: 'withdrawn', updated_at: at })
    .where('provider_id', '=', providerId)
    .where('status', '=', 'published')
    .returning(['id'])
    .execute();
}
