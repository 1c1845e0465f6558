import { EMPTY_PLACE_LISTS } from './place-rows.js';
import type { AppContext } from '../../src/app-context.js';
import type { ApplicationStatus, MediatorStatus } from '../../src/db/schema.js';
import type { Actor } from '../../src/domains/actor.js';
import { saveCatalogueEntry, type CatalogueInput } from '../../src/domains/places/catalogue.js';
import { createPlace, type PlaceInput } from '../../src/domains/places/manage-places.js';
import { createOrganisation, createPerson } from './fixtures.js';

let counter = 0;

/** A place in Bordeaux, as the form gives it once parsed. */
export function placeInput(overrides: Partial<PlaceInput> = {}): PlaceInput {
  return {
    name: 'Médiathèque du Lac',
    address: '12 rue du Lac',
    addressComplement: null,
    postcode: '33300',
    inseeCode: '33063',
    latitude: 44.8837,
    longitude: -0.5665,
    typologies: ['BIB'],
    openingHours: 'Mo-Fr 09:00-12:00,14:00-18:00',
    accessibilityUrl: null,
    specificSupport: [],
    phone: '05 56 00 00 00',
    email: 'contact@mediatheque.fr',
    website: 'https://mediatheque.example.fr',
    itinerant: false,
    ...overrides,
  };
}

export function catalogueInput(overrides: Partial<CatalogueInput> = {}): CatalogueInput {
  return { serviceCode: 'M01', priceCents: 1000, durationMinutes: 60, format: 'individual', deliveryModes: ['on_site'], parcours: null, active: true, ...overrides };
}

/** A provider organisation with its admin and a member; with `application`, its providers row at that status. */
export async function createProvider(ctx: AppContext, options: { application?: ApplicationStatus; suspended?: boolean; name?: string } = {}) {
  const n = ++counter;
  const organisation = await createOrganisation(ctx, 'provider', options.name ?? `Structure ${n}`);
  const admin = await createPerson(ctx, `admin${n}-${organisation.id.slice(0, 6)}@structure.fr`, [[organisation.id, 'admin']]);
  const member = await createPerson(ctx, `membre${n}-${organisation.id.slice(0, 6)}@structure.fr`, [[organisation.id, 'member']]);
  const actor: Actor = { userId: admin.id, organisationId: organisation.id, apiTokenId: null };
  if (options.application) {
    const now = ctx.clock.now();
    await ctx.db
      .insertInto('providers')
      .values({
        organisation_id: organisation.id,
        legal_form: 'association',
        siret: '35600000000048',
        rna: null,
        address: '1 place de la Mairie',
        postcode: '33000',
        insee_code: '33063',
        commune: 'Bordeaux',
        status: options.application,
        suspended_at: options.suspended ? now : null,
        suspension_reason: options.suspended ? 'Contrôle en cours' : null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
  return { organisation, admin, member, actor };
}

export async function addMediator(ctx: AppContext, providerId: string, status: MediatorStatus, active = true) {
  return ctx.db
    .insertInto('mediators')
    .values({ provider_id: providerId, name: `Intervenant ${status}`, status, trained: true, training: 'Formation PIX', active, created_at: ctx.clock.now() })
    .returning('id')
    .executeTakeFirstOrThrow();
}

/** An imported place nobody has claimed, as the import leaves it. */
export async function insertImportedPlace(ctx: AppContext, overrides: { name?: string; postcode?: string; inseeCode?: string | null; latitude?: number; longitude?: number } = {}) {
  const now = ctx.clock.now();
  const n = ++counter;
  return ctx.db
    .insertInto('places')
    .values({
      source: 'Hinaura',
      source_id: `imp-${n}`,
      name: overrides.name ?? `Lieu importé ${n}`,
      address: '3 rue de la Gare',
      postcode: overrides.postcode ?? '33300',
      commune: 'Bordeaux',
      insee_code: overrides.inseeCode === undefined ? '33063' : overrides.inseeCode,
      latitude: overrides.latitude ?? 44.86,
      longitude: overrides.longitude ?? -0.57,
      ...EMPTY_PLACE_LISTS,
      source_accepts_pass: true,
      status: 'draft',
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * A qualified provider with one published place offering `services` (M01 by default); with
 * `application` or `suspended`, the provider is then moved to that state by hand, its place left
 * published, so that a search can prove it still hides it.
 */
export async function createPublicPlace(
  ctx: AppContext,
  place: Partial<PlaceInput> = {},
  options: { services?: Partial<CatalogueInput>[]; application?: ApplicationStatus; suspended?: boolean } = {},
) {
  const provider = await createProvider(ctx, { application: 'qualified' });
  const created = await createPlace(ctx, provider.actor, provider.organisation.id, placeInput(place));
  for (const service of options.services ?? [{}]) await saveCatalogueEntry(ctx, provider.actor, provider.organisation.id, created.id, catalogueInput(service));
  if (options.application || options.suspended) {
    const now = ctx.clock.now();
    await ctx.db
      .updateTable('providers')
      .set({ status: options.application ?? 'qualified', suspended_at: options.suspended ? now : null, suspension_reason: options.suspended ? 'Contrôle en cours' : null })
      .where('organisation_id', '=', provider.organisation.id)
      .execute();
  }
  return { provider, place: created };
}
