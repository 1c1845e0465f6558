import { SPECIFIC_SUPPORT } from './national-standard.js';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import type { DB } from '../../db/schema.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { isEditableByApplicant } from '../providers/application.js';
import { validatePhone } from '../providers/identifiers.js';
import { checkPostcodeMatchesCommune, departementOf, normalisePostcode } from '../territories/communes.js';
import {
  claimUnclaimedPlace,
  findPlace,
  findProviderPlace,
  lockProviderStanding,
  insertPlace,
  listPlacesOfProvider,
  listUnclaimedPlaces,
  publishPlacesOfProvider,
  updateProviderPlace,
  withdrawPlacesOfProvider,
  type PlaceRow,
} from './place-repository.js';

/**
 * A provider's places (lieux): entered here, or imported from the national standard and claimed.
 * A place is public (status 'published') once its provider is qualified: the operator's
 * qualification calls publishProviderPlaces, a suspension withdrawProviderPlaces.
 */

/**
 * The types of place offered in the form: the values of the data·inclusion vocabulary of structure
 * types that the standard's `typologie` field refers to, restricted to those a place of digital
 * mediation plausibly is.
 * SOURCE: gip-inclusion/data-inclusion-schema, schemas/v0/extra/typologies-de-structures.json
 * (tag v1.0.6, commit ac5bbb31343941f8e0cb23b37e35e917647be623; copy in ../shared/data/data-inclusion-schema/v0),
 * Licence Ouverte 2.0. Values and labels copied as they are.
 */
export const PLACE_TYPOLOGIES = [
  { value: 'ASSO', label: 'Associations' },
  { value: 'BIB', label: 'Bibliothèque / Médiathèque' },
  { value: 'CCAS', label: 'Centres communaux d’action sociale (CCAS)' },
  { value: 'CIAS', label: 'Centres intercommunaux d’action sociale (CIAS)' },
  { value: 'CS', label: 'Centre social' },
  { value: 'CSC', label: 'Centre Socio-Culturel (CSC)' },
  { value: 'EPCI', label: 'Intercommunalité (EPCI)' },
  { value: 'ENM', label: 'Espace Numérique Mobile (ENM)' },
  { value: 'EPI', label: 'Espace Public Internet (EPI)' },
  { value: 'EPN', label: 'Espace Public Numérique (EPN)' },
  { value: 'ESS', label: 'Entreprise de l’Économie Sociale et Solidaire' },
  { value: 'EVS', label: 'Espace de Vie Sociale (EVS)' },
  { value: 'FABLAB', label: 'Fablab / Atelier partagé' },
  { value: 'LA_POSTE', label: 'Bureau de poste / Agence postale' },
  { value: 'MDS', label: 'Maison Départementale des Solidarités' },
  { value: 'MJC', label: 'Maison des jeunes et de la culture' },
  { value: 'ML', label: 'Mission Locale' },
  { value: 'MQ', label: 'Maison de quartier' },
  { value: 'MUNI', label: 'Municipalités' },
  { value: 'OF', label: 'Organisme de formations' },
  { value: 'PIJ_BIJ', label: 'Points et bureaux information jeunesse (PIJ/BIJ)' },
  { value: 'PIMMS', label: 'Point Information Médiation Multi Services (PIMMS)' },
  { value: 'RESSOURCERIE', label: 'Ressourcerie' },
  { value: 'RFS', label: 'Réseau France Services' },
  { value: 'TIERS_LIEUX', label: 'Tiers lieu & coworking' },
  { value: 'Autre', label: 'Autre' },
] as const;

/** The values of `prise_en_charge_specifique` of the national standard v1.0.2, in its order. */
export { SPECIFIC_SUPPORT };

/** Boxes around the French territories (WGS84): a typo or swapped coordinates land outside them. */
const FRANCE_AREAS: readonly { name: string; lat: [number, number]; lon: [number, number] }[] = [
  { name: 'Métropole et Corse', lat: [41.3, 51.2], lon: [-5.3, 9.7] },
  { name: 'Guadeloupe, Saint-Martin, Saint-Barthélemy', lat: [15.8, 18.2], lon: [-63.2, -60.9] },
  { name: 'Martinique', lat: [14.3, 14.95], lon: [-61.3, -60.75] },
  { name: 'Guyane', lat: [2.1, 5.8], lon: [-54.7, -51.5] },
  { name: 'La Réunion', lat: [-21.45, -20.8], lon: [55.15, 55.9] },
  { name: 'Mayotte', lat: [-13.1, -12.6], lon: [44.9, 45.35] },
  { name: 'Saint-Pierre-et-Miquelon', lat: [46.7, 47.2], lon: [-56.5, -56.1] },
  { name: 'Polynésie française', lat: [-28, -7], lon: [-155, -134] },
  { name: 'Nouvelle-Calédonie', lat: [-23, -19], lon: [163, 169] },
  { name: 'Wallis-et-Futuna', lat: [-14.4, -13.1], lon: [-178.3, -176] },
];

export function isInFrance(latitude: number, longitude: number): boolean {
  return FRANCE_AREAS.some((a) => latitude >= a.lat[0] && latitude <= a.lat[1] && longitude >= a.lon[0] && longitude <= a.lon[1]);
}

const list = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).filter((s) => s !== ''));
const optionalText = (max: number, message: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? null : v.trim()))
    .refine((v) => v === null || v.length <= max, message);
const coordinate = (label: string) =>
  z
    .string({ message: `Saisissez la ${label}` })
    .trim()
    .min(1, `Saisissez la ${label}`)
    .transform((v) => v.replace(',', '.'))
    .refine((v) => /^-?\d{1,3}(\.\d+)?$/.test(v), `La ${label} est un nombre décimal, par exemple 44.837789`)
    .transform(Number);
const isWebUrl = (v: string | null) => {
  if (v === null) return true;
  try {
    const url = new URL(v);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
};

function phoneOptions(inseeCode: string) {
  const departement = departementOf(inseeCode);
  return departement === undefined ? {} : { departement };
}

/** What a person types to describe a place; the form posts strings, lists for the check boxes. */
export const placeForm = z
  .object({
    name: z.string({ message: 'Saisissez le nom du lieu' }).trim().min(1, 'Saisissez le nom du lieu').max(300, 'Le nom ne doit pas dépasser 300 caractères'),
    address: z.string({ message: 'Saisissez l’adresse' }).trim().min(1, 'Saisissez l’adresse (numéro et voie)').max(300, 'L’adresse ne doit pas dépasser 300 caractères'),
    addressComplement: optionalText(300, 'Le complément ne doit pas dépasser 300 caractères'),
    postcode: z
      .string({ message: 'Saisissez le code postal' })
      .trim()
      .refine((v) => /^\d{4,5}$/.test(v), 'Le code postal a 5 chiffres, par exemple 33000')
      .transform(normalisePostcode),
    inseeCode: z
      .string({ message: 'Saisissez le code INSEE de la commune' })
      .trim()
      .toUpperCase()
      .refine((v) => departementOf(v) !== undefined, 'Le code INSEE a 5 caractères, par exemple 33063 pour Bordeaux ou 2A004 pour Ajaccio'),
    latitude: coordinate('latitude'),
    longitude: coordinate('longitude'),
    typologies: list.pipe(z.array(z.enum(PLACE_TYPOLOGIES.map((t) => t.value) as [string, ...string[]], { message: 'Type de lieu inconnu' }))),
    openingHours: optionalText(500, 'Les horaires ne doivent pas dépasser 500 caractères'),
    accessibilityUrl: optionalText(500, 'L’adresse de la fiche est trop longue').refine(
      (v) => v === null || /^https:\/\/(www\.)?acceslibre\.beta\.gouv\.fr\//.test(v),
      'Donnez l’adresse d’une fiche acceslibre, qui commence par https://acceslibre.beta.gouv.fr/',
    ),
    specificSupport: list.pipe(z.array(z.enum(SPECIFIC_SUPPORT, { message: 'Prise en charge inconnue' }))),
    phone: optionalText(40, 'Le numéro de téléphone est trop long'),
    email: optionalText(254, 'L’adresse e-mail est trop longue').refine(
      (v) => v === null || z.string().email().safeParse(v).success,
      'Saisissez une adresse e-mail valide, par exemple contact@exemple.fr',
    ),
    website: optionalText(500, 'L’adresse du site est trop longue').refine(isWebUrl, 'Saisissez l’adresse complète du site, qui commence par https://'),
    mobility: z.enum(['fixed', 'itinerant'], { message: 'Indiquez si le lieu est fixe ou itinérant' }),
  })
  .superRefine((v, issues) => {
    if (v.phone !== null && !validatePhone(v.phone, phoneOptions(v.inseeCode)).ok) {
      issues.addIssue({ code: 'custom', path: ['phone'], message: 'Saisissez un numéro de téléphone français, par exemple 05 56 00 00 00' });
    }
  })
  .transform(({ mobility, ...v }) => ({ ...v, itinerant: mobility === 'itinerant' }));

export type PlaceInput = z.output<typeof placeForm>;

/** The rules across fields, checked again by the use cases whatever the caller validated. */
function placeColumns(input: PlaceInput) {
  const check = checkPostcodeMatchesCommune(input.postcode, input.inseeCode);
  if (!check.ok) throw new DomainError(check.reason === 'commune_unknown' ? 'place_commune_unknown' : 'place_postcode_mismatch', check.reason === 'commune_unknown' ? 'inseeCode' : 'postcode');
  if (!isInFrance(input.latitude, input.longitude)) throw new DomainError('place_outside_france', 'latitude');
  let phones: string[] = [];
  if (input.phone !== null) {
    const phone = validatePhone(input.phone, { departement: check.value.departement });
    if (!phone.ok) throw new DomainError('place_phone_invalid', 'phone');
    phones = [phone.value];
  }
  return {
    name: input.name,
    address: input.address,
    address_complement: input.addressComplement,
    postcode: input.postcode,
    insee_code: check.value.code,
    commune: check.value.name,
    latitude: input.latitude,
    longitude: input.longitude,
    typologies: [...new Set(input.typologies)],
    opening_hours: input.openingHours,
    accessibility_url: input.accessibilityUrl,
    specific_support: SPECIFIC_SUPPORT.filter((s) => input.specificSupport.includes(s)),
    phones,
    emails: input.email === null ? [] : [input.email],
    websites: input.website === null ? [] : [input.website],
    itinerant: input.itinerant,
  };
}

function auditView(place: PlaceRow) {
  return {
    name: place.name,
    address: place.address,
    postcode: place.postcode,
    inseeCode: place.insee_code,
    latitude: place.latitude,
    longitude: place.longitude,
    typologies: place.typologies,
    openingHours: place.opening_hours,
    accessibilityUrl: place.accessibility_url,
    specificSupport: place.specific_support,
    phones: place.phones,
    emails: place.emails,
    websites: place.websites,
    itinerant: place.itinerant,
    status: place.status,
    providerId: place.provider_id,
  };
}

/**
 * Places and catalogue are part of the application: frozen while the operator examines it or
 * after a refusal (a provider that has not started its application yet may prepare its places).
 */
export async function assertProviderMayEdit(db: Kysely<DB>, providerId: string): Promise<void> {
  const standing = await lockProviderStanding(db, providerId);
  if (standing && !isEditableByApplicant(standing.status)) throw new DomainError('application_not_editable');
}

/** A qualified, not suspended provider's new places are public at once; the others wait for the qualification. */
async function statusForNewPlace(db: Kysely<DB>, providerId: string): Promise<{ status: PlaceRow['status']; pivot: string | null }> {
  const standing = await lockProviderStanding(db, providerId);
  if (standing && !isEditableByApplicant(standing.status)) throw new DomainError('application_not_editable');
  const pivot = standing?.siret ?? standing?.rna ?? null;
  if (standing?.status === 'qualified' && standing.suspended_at === null && pivot !== null) return { status: 'published', pivot };
  return { status: 'draft', pivot: null };
}

export async function createPlace(ctx: AppContext, actor: Actor, providerId: string, input: PlaceInput): Promise<PlaceRow> {
  const columns = placeColumns(input);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const { status, pivot } = await statusForNewPlace(trx, providerId);
    // The standard's id of a place entered here is its own id.
    const id = randomUUID();
    const place = await insertPlace(trx, {
      ...columns,
      id,
      provider_id: providerId,
      source: 'passnum',
      source_id: id,
      status,
      pivot,
      standard_services: [],
      publics: [],
      fees: [],
      national_programmes: [],
      trainings_labels: [],
      access_modes: [],
      support_modes: [],
      source_accepts_pass: false,
      created_at: now,
      updated_at: now,
    });
    await recordAuditEvent(trx, actor, now, { action: 'place.created', subjectType: 'place', subjectId: place.id, after: auditView(place) });
    return place;
  });
}

export async function updatePlace(ctx: AppContext, actor: Actor, providerId: string, placeId: string, input: PlaceInput): Promise<PlaceRow> {
  const columns = placeColumns(input);
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const before = await findProviderPlace(trx, providerId, placeId);
    if (!before) throw new DomainError('place_unknown');
    await assertProviderMayEdit(trx, providerId);
    const after = await updateProviderPlace(trx, providerId, placeId, { ...columns, updated_at: now });
    if (!after) throw new DomainError('place_unknown');
    await recordAuditEvent(trx, actor, now, { action: 'place.updated', subjectType: 'place', subjectId: placeId, before: auditView(before), after: auditView(after) });
    return after;
  });
}

/** Takes over an imported place nobody runs yet; of two providers claiming it at once, one wins. */
export async function claimPlace(ctx: AppContext, actor: Actor, providerId: string, placeId: string): Promise<PlaceRow> {
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const { status, pivot } = await statusForNewPlace(trx, providerId);
    const before = await findPlace(trx, placeId);
    if (!before) throw new DomainError('place_unknown');
    const claimed = await claimUnclaimedPlace(trx, placeId, { provider_id: providerId, status, pivot: pivot ?? before.pivot, updated_at: now });
    if (!claimed) throw new DomainError('place_already_claimed');
    await recordAuditEvent(trx, actor, now, { action: 'place.claimed', subjectType: 'place', subjectId: placeId, before: auditView(before), after: auditView(claimed) });
    return claimed;
  });
}

export function listProviderPlaces(ctx: AppContext, providerId: string) {
  return listPlacesOfProvider(ctx.db, providerId);
}

export async function getProviderPlace(ctx: AppContext, providerId: string, placeId: string): Promise<PlaceRow> {
  const place = await findProviderPlace(ctx.db, providerId, placeId);
  if (!place) throw new DomainError('place_unknown');
  return place;
}

/** Imported places at a postcode that a provider may claim. */
export function findClaimablePlaces(ctx: AppContext, postcode: string) {
  return listUnclaimedPlaces(ctx.db, normalisePostcode(postcode), 50);
}

export interface PlaceChangeBy {
  actor: Actor;
  at: Date;
}

/**
 * On qualification (or reinstatement): every place of the provider becomes public, under the
 * provider's SIRET or RNA as the standard's `pivot`. Runs in the caller's transaction; with `by`,
 * one audit event per place. Returns the ids published.
 */
export async function publishProviderPlaces(trx: Kysely<DB>, providerId: string, pivot: string, by?: PlaceChangeBy): Promise<string[]> {
  if (!/^[a-zA-Z0-9]{9,14}$/.test(pivot)) throw new DomainError('place_pivot_invalid');
  const rows = await publishPlacesOfProvider(trx, providerId, pivot, by?.at ?? new Date());
  if (by) {
    for (const row of rows) {
      await recordAuditEvent(trx, by.actor, by.at, { action: 'place.published', subjectType: 'place', subjectId: row.id, after: { status: 'published', pivot } });
    }
  }
  return rows.map((r) => r.id);
}

/** On suspension (or refusal after a qualification): the provider's public places leave /lieux and the open data. */
export async function withdrawProviderPlaces(trx: Kysely<DB>, providerId: string, by?: PlaceChangeBy): Promise<string[]> {
  const rows = await withdrawPlacesOfProvider(trx, providerId, by?.at ?? new Date());
  if (by) {
    for (const row of rows) {
      await recordAuditEvent(trx, by.actor, by.at, { action: 'place.withdrawn', subjectType: 'place', subjectId: row.id, before: { status: 'published' }, after: { status: 'withdrawn' } });
    }
  }
  return rows.map((r) => r.id);
}
