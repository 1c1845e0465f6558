import { z } from 'zod';
import type { DeliveryMode, FundingMode, OrderStatus, PublicAge, PublicSituation, VoucherActivation } from '../../db/schema.js';
import { addDays, addMonths, isIsoDate, type IsoDate } from '../../lib/paris-dates.js';
import { DELIVERY_MODES, parsePriceToCents } from '../places/catalogue.js';

/**
 * A funder's order, pure: the form, the lifecycle, the amounts. Amounts are integer cents.
 * Lifecycle: draft → confirmed → committed (paid, or engaged by a public funder) → issued;
 * a draft or confirmed order can be cancelled.
 */

export const VOUCHERS_PER_BOOKLET = [5, 10] as const;
export const DEFAULT_FACE_VALUE_CENTS = 1000;
export const MAX_BOOKLETS_PER_ORDER = 20_000;
export const MAX_VALIDITY_YEARS = 3;
export const FUNDING_MODES = ['prepaid', 'billed_on_use'] as const satisfies readonly FundingMode[];
export const ACTIVATIONS = ['on_hand_out', 'on_issue'] as const satisfies readonly VoucherActivation[];
export const PUBLIC_AGES = ['under_26', '26_59', '60_74', '75_plus'] as const satisfies readonly PublicAge[];
export const PUBLIC_SITUATIONS = ['job_seeker', 'minimum_income', 'retired', 'student', 'employed', 'disability', 'other'] as const satisfies readonly PublicSituation[];

export function orderTotalCents(order: { booklet_count: number; vouchers_per_booklet: number; face_value_cents: number }): number {
  return order.booklet_count * order.vouchers_per_booklet * order.face_value_cents;
}

export function voucherCount(order: { booklet_count: number; vouchers_per_booklet: number }): number {
  return order.booklet_count * order.vouchers_per_booklet;
}

/** CMD-000042 */
export function formatOrderNumber(number: number): string {
  return `CMD-${String(number).padStart(6, '0')}`;
}

/** Which transitions each status allows, for pages to offer only what will be accepted. */
export const NEXT_STEPS: Record<OrderStatus, readonly ('confirm' | 'commit' | 'issue' | 'cancel' | 'edit')[]> = {
  draft: ['edit', 'confirm', 'cancel'],
  confirmed: ['commit', 'cancel'],
  committed: ['issue'],
  issued: [],
  cancelled: [],
};

/** Default validity: from today for a year. */
export function defaultValidity(today: IsoDate): { validFrom: IsoDate; validUntil: IsoDate } {
  return { validFrom: today, validUntil: addDays(addMonths(today, 12), -1) };
}

const list = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).filter((item) => item !== ''));

const optionalDate = (message: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v))
    .refine((v) => v === undefined || isIsoDate(v), message);

/**
 * The order form as pages and the API send it (strings). The territory, the services and the place
 * types are checked against the referentials by the use case.
 */
export const orderForm = z
  .object({
    label: z.string().trim().max(200, 'Le libellé fait au plus 200 caractères').optional().transform((v) => (v ? v : null)),
    bookletCount: z
      .string({ message: 'Indiquez le nombre de carnets' })
      .trim()
      .regex(/^\d{1,5}$/u, 'Indiquez un nombre de carnets, par exemple 20')
      .transform(Number)
      .refine((n) => n >= 1 && n <= MAX_BOOKLETS_PER_ORDER, `De 1 à ${MAX_BOOKLETS_PER_ORDER.toLocaleString('fr-FR')} carnets par commande`),
    vouchersPerBooklet: z.enum(['5', '10'], { message: 'Choisissez des carnets de 5 ou de 10 chèques' }).transform(Number),
    faceValue: z
      .string()
      .optional()
      .transform((v, issue) => {
        if (v === undefined || v.trim() === '') return DEFAULT_FACE_VALUE_CENTS;
        const cents = parsePriceToCents(v);
        if (cents === undefined || cents < 100 || cents > 10_000) {
          issue.addIssue({ code: 'custom', message: 'Saisissez une valeur en euros de 1 à 100, par exemple 10' });
          return z.NEVER;
        }
        return cents;
      }),
    fundingMode: z.enum(FUNDING_MODES, { message: 'Choisissez le paiement d’avance ou la facturation à l’usage' }),
    territory: z.string().max(20_000, 'Territoire trop long').optional().transform((v) => v ?? ''),
    serviceLevels: list.pipe(z.array(z.enum(['1', '2', '3'], { message: 'Niveau inconnu' }).transform(Number))),
    serviceCodes: list.pipe(z.array(z.string().regex(/^[A-Z]\d{2}$/u, 'Service inconnu'))),
    placeTypes: list.pipe(z.array(z.string().max(40))),
    validFrom: optionalDate('Saisissez une date de début valide (jj/mm/aaaa)'),
    validUntil: optionalDate('Saisissez une date de fin valide (jj/mm/aaaa)'),
    holderShare: z.enum(['allowed', 'forbidden'], { message: 'Indiquez si un reste à payer est permis' }).optional().transform((v) => v !== 'forbidden'),
    deliveryModes: list.pipe(z.array(z.enum(DELIVERY_MODES, { message: 'Mode inconnu' }))),
    activation: z.enum(ACTIVATIONS, { message: 'Choisissez quand les chèques deviennent utilisables' }).optional().transform((v) => v ?? 'on_hand_out'),
  })
  .transform(({ faceValue, holderShare, deliveryModes, ...rest }) => ({
    ...rest,
    vouchersPerBooklet: rest.vouchersPerBooklet as 5 | 10,
    faceValueCents: faceValue,
    holderShareAllowed: holderShare,
    // Services are always allowed in the place itself; remote and home delivery are the funder's choice.
    deliveryModes: [...new Set<DeliveryMode>(['on_site', ...deliveryModes])],
  }));

export type OrderInput = z.output<typeof orderForm>;
