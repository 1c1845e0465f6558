import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import type { DeliveryMode } from '../../db/schema.js';
import type { Actor } from '../actor.js';
import { recordAuditEvent } from '../audit/record-audit-event.js';
import { DomainError } from '../errors.js';
import { assertProviderMayEdit } from './manage-places.js';
import { mayDeliver } from '../providers/application.js';
import { findService, standardServicesOf } from '../referential/model.js';
import { loadReferential } from '../referential/publish-referential.js';
import {
  activeServiceCodes,
  findCatalogueEntry,
  findProviderPlace,
  insertCatalogueEntry,
  listActiveMediatorStatuses,
  listCatalogueEntries,
  setStandardServices,
  updateCatalogueEntry,
  type CatalogueRow,
} from './place-repository.js';

/**
 * The catalogue of a place: services of the referential, each with its price (integer cents), its
 * duration, its format, how it is delivered and whether it is a parcours. Each entry keeps the
 * referential version it was made (or last changed) with.
 */

/** Face value of one voucher, in cents: what a holder pays above it is their share. */
export const VOUCHER_VALUE_CENTS = 1000;
export const DEFAULT_PRICE_CENTS = 1000;
export const MAX_PRICE_CENTS = 100_000;
export const DELIVERY_MODES = ['on_site', 'remote', 'home'] as const satisfies readonly DeliveryMode[];
export const SERVICE_FORMATS = ['individual', 'group'] as const;
export const PARCOURS_SESSIONS = [5, 10] as const;

/**
 * A price as people type it in France: « 10 », « 12,50 », « 12.5 », « 15 € ». Integer cents, or
 * undefined for anything else (negative, more than two decimals, letters, above 1 000 €).
 */
export function parsePriceToCents(text: string): number | undefined {
  const compact = text.replace(/[\s\u00a0\u202f]/gu, '').replace(/€$/u, '');
  const match = /^(\d{1,4})(?:[,.](\d{1,2}))?$/u.exec(compact);
  if (!match) return undefined;
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return cents <= MAX_PRICE_CENTS ? cents : undefined;
}

/** « 12,50 € », the way prices are shown. */
export function formatEuros(cents: number): string {
  const euros = Math.trunc(cents / 100);
  const rest = cents % 100;
  return `${euros}${rest === 0 ? '' : `,${String(rest).padStart(2, '0')}`} €`;
}

/** What the holder pays at the place for one session paid with one voucher. */
export function holderShareCents(priceCents: number): number {
  return Math.max(0, priceCents - VOUCHER_VALUE_CENTS);
}

const list = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

export const catalogueForm = z.object({
  serviceCode: z.string({ message: 'Choisissez un service' }).trim().regex(/^[A-Z]\d{2}$/, 'Choisissez un service du référentiel'),
  price: z
    .string()
    .optional()
    .transform((v, issue) => {
      if (v === undefined || v.trim() === '') return DEFAULT_PRICE_CENTS;
      const cents = parsePriceToCents(v);
      if (cents === undefined) {
        issue.addIssue({ code: 'custom', message: 'Saisissez un prix en euros, par exemple 10 ou 12,50 (1 000 € au plus)' });
        return z.NEVER;
      }
      return cents;
    }),
  durationMinutes: z
    .string({ message: 'Saisissez la durée en minutes' })
    .trim()
    .regex(/^\d{1,3}$/, 'Saisissez la durée en minutes, par exemple 60')
    .transform(Number)
    .refine((n) => n >= 5 && n <= 600, 'La durée va de 5 à 600 minutes'),
  format: z.enum(SERVICE_FORMATS, { message: 'Indiquez si le service est individuel ou collectif' }),
  deliveryModes: list.pipe(z.array(z.enum(DELIVERY_MODES, { message: 'Mode inconnu' })).min(1, 'Cochez au moins un mode : sur place, à distance ou à domicile')),
  parcours: z
    .enum(['', '5', '10'], { message: 'Un parcours compte 5 ou 10 séances' })
    .optional()
    .transform((v): 5 | 10 | null => (v === '5' ? 5 : v === '10' ? 10 : null)),
  state: z.enum(['active', 'paused'], { message: 'Indiquez si le service est proposé ou en pause' }).optional(),
}).transform(({ price, state, ...v }) => ({ ...v, priceCents: price, active: state !== 'paused' }));

export type CatalogueInput = z.output<typeof catalogueForm>;

/** The place, its entries, and the latest referential to choose from. */
export async function loadPlaceCatalogue(ctx: AppContext, providerId: string, placeId: string) {
  const place = await findProviderPlace(ctx.db, providerId, placeId);
  if (!place) throw new DomainError('place_unknown');
  const [entries, referential] = await Promise.all([listCatalogueEntries(ctx.db, placeId), loadReferential(ctx.db)]);
  if (!referential) throw new DomainError('referential_version_unknown');
  return { place, entries, referential };
}

/**
 * Adds a service to a place's catalogue, or changes it: the latest referential must hold the
 * service, and « faire à la place » services need an active employee among the provider's mediators.
 */
export async function saveCatalogueEntry(ctx: AppContext, actor: Actor, providerId: string, placeId: string, input: CatalogueInput): Promise<CatalogueRow> {
  if (input.deliveryModes.length === 0) throw new DomainError('catalogue_delivery_mode_required', 'deliveryModes');
  if (input.parcours !== null && !(PARCOURS_SESSIONS as readonly number[]).includes(input.parcours as number)) throw new DomainError('catalogue_parcours_invalid', 'parcours');
  if (!Number.isInteger(input.priceCents) || input.priceCents < 0 || input.priceCents > MAX_PRICE_CENTS) throw new DomainError('catalogue_price_invalid', 'price');
  const now = ctx.clock.now();
  return ctx.db.transaction().execute(async (trx) => {
    const place = await findProviderPlace(trx, providerId, placeId);
    if (!place) throw new DomainError('place_unknown');
    await assertProviderMayEdit(trx, providerId);
    const referential = await loadReferential(trx);
    const service = referential && findService(referential, input.serviceCode);
    if (!referential || !service) throw new DomainError('catalogue_service_unknown', 'serviceCode');
    if (input.active && service.doingForPerson) {
      const mediators = await listActiveMediatorStatuses(trx, providerId);
      if (!mediators.some((mediator) => mayDeliver(mediator, service))) throw new DomainError('catalogue_needs_employee', 'serviceCode');
    }
    const values = {
      referential_version: referential.version,
      price_cents: input.priceCents,
      duration_minutes: input.durationMinutes,
      format: input.format,
      delivery_modes: [...new Set(input.deliveryModes)],
      parcours_sessions: input.parcours,
      active: input.active,
      updated_at: now,
    };
    const before = await findCatalogueEntry(trx, placeId, input.serviceCode);
    const saved = before
      ? await updateCatalogueEntry(trx, before.id, values)
      : await insertCatalogueEntry(trx, { ...values, place_id: placeId, service_code: input.serviceCode, created_at: now });
    // The standard's `services` of the place follow its active catalogue.
    await setStandardServices(trx, placeId, standardServicesOf(referential, await activeServiceCodes(trx, placeId)), now);
    await recordAuditEvent(trx, actor, now, {
      action: before ? 'catalogue_entry.updated' : 'catalogue_entry.created',
      subjectType: 'catalogue_entry',
      subjectId: saved.id,
      before: before ? entryView(before) : null,
      after: entryView(saved),
    });
    return saved;
  });
}

function entryView(entry: CatalogueRow) {
  return {
    placeId: entry.place_id,
    serviceCode: entry.service_code,
    referentialVersion: entry.referential_version,
    priceCents: entry.price_cents,
    durationMinutes: entry.duration_minutes,
    format: entry.format,
    deliveryModes: entry.delivery_modes,
    parcoursSessions: entry.parcours_sessions,
    active: entry.active,
  };
}
