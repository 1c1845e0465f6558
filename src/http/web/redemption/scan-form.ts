import { z } from 'zod';
import type { DeliveryMode } from '../../../db/schema.js';
import { DELIVERY_MODES, formatEuros } from '../../../domains/places/catalogue.js';
import { formatVoucherCode, parseVoucherCode } from '../../../domains/vouchers/codes.js';
import { PUBLIC_AGES, PUBLIC_SITUATIONS } from '../../../domains/vouchers/order-model.js';
import { MAX_VOUCHERS_PER_REDEMPTION } from '../../../domains/vouchers/redeem-vouchers.js';
import type { ScanContext, ScanPlace } from '../../../domains/vouchers/scan-context.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { isIsoDate } from '../../../lib/paris-dates.js';
import { csrfField, selectField, textField, type FieldErrors } from '../../views/forms.js';
import { DELIVERY_MODE_LABELS, PUBLIC_AGE_LABELS, PUBLIC_SITUATION_LABELS } from '../../views/voucher-labels.js';
import { radiosField } from '../provider-places/fields.js';
import { MEDIATOR_STATUS_LABELS } from '../provider/labels.js';

/**
 * The scan form: place, service, date, delivery mode, mediator and public, and the codes. Without
 * JavaScript the codes go in a textarea, one a line: a hand scanner types a code then Enter, so the
 * textarea keeps the focus and takes voucher after voucher. assets/scan.js turns it into a list.
 */

/** What the form holds, as typed (the codes one a line), to fill it again. */
export type ScanValues = Record<string, string>;

/** Codes typed or scanned: one a line (or several fields), blanks dropped. */
export function splitCodes(value: unknown): string[] {
  const parts = Array.isArray(value) ? value : [value];
  return parts
    .filter((v): v is string => typeof v === 'string')
    .flatMap((v) => v.split(/\r?\n|\r/u))
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

const optionalChoice = <T extends string>(values: readonly [T, ...T[]], message: string) =>
  z
    .union([z.literal(''), z.enum(values, { message })])
    .optional()
    .transform((v) => (v === undefined || v === '' ? null : v));

export const scanForm = z.object({
  placeId: z.string({ message: 'Choisissez le lieu' }).uuid('Choisissez le lieu'),
  serviceCode: z.string({ message: 'Choisissez le service rendu' }).trim().regex(/^[A-Z]\d{2}$/u, 'Choisissez le service rendu'),
  serviceDate: z
    .string({ message: 'Saisissez la date du service' })
    .trim()
    .refine((v) => isIsoDate(v), 'Saisissez la date du service, par exemple 02/03/2026'),
  deliveryMode: z.enum(DELIVERY_MODES, { message: 'Choisissez où le service a été rendu' }),
  mediatorId: z
    .union([z.literal(''), z.string().uuid('Choisissez un intervenant de la liste')])
    .optional()
    .transform((v) => (v === undefined || v === '' ? null : v)),
  publicAge: optionalChoice(PUBLIC_AGES, 'Choisissez une tranche d’âge de la liste'),
  publicSituation: optionalChoice(PUBLIC_SITUATIONS, 'Choisissez une situation de la liste'),
  codes: z
    .union([z.string(), z.array(z.string())], { message: 'Scannez ou saisissez au moins un chèque' })
    .optional()
    .transform((v) => splitCodes(v))
    .refine((codes) => codes.length > 0, 'Scannez ou saisissez au moins un chèque')
    .refine((codes) => codes.length <= MAX_VOUCHERS_PER_REDEMPTION, `Au plus ${MAX_VOUCHERS_PER_REDEMPTION} chèques pour un service : encaissez les autres à part`),
});

export type ScanInput = z.output<typeof scanForm>;

/** The submitted text values, codes joined one a line (they may come as several fields). */
export function scanValues(body: unknown): ScanValues {
  const values: ScanValues = {};
  if (body && typeof body === 'object') {
    for (const [key, value] of Object.entries(body)) {
      if (key === '_csrf') continue;
      if (key === 'codes') values.codes = splitCodes(value).join('\n');
      else if (typeof value === 'string') values[key] = value;
    }
  }
  return values;
}

export function valuesOfInput(input: ScanInput): ScanValues {
  return {
    placeId: input.placeId,
    serviceCode: input.serviceCode,
    serviceDate: input.serviceDate,
    deliveryMode: input.deliveryMode,
    mediatorId: input.mediatorId ?? '',
    publicAge: input.publicAge ?? '',
    publicSituation: input.publicSituation ?? '',
    codes: input.codes.join('\n'),
  };
}

/** « Chèque n° 2 (ABCD-EFGH-JKMN-PQRST) »: the voucher a message is about. */
export function voucherName(index: number, input: string | undefined): string {
  if (input === undefined) return `Chèque n° ${index + 1}`;
  const parsed = parseVoucherCode(input);
  return `Chèque n° ${index + 1} (${parsed.ok ? formatVoucherCode(parsed.code) : input})`;
}

/** Delivery modes offered at a place: those of its active services, in the usual order. */
export function placeDeliveryModes(place: ScanPlace): DeliveryMode[] {
  return DELIVERY_MODES.filter((mode) => place.services.some((s) => s.deliveryModes.includes(mode)));
}

export function placeLine(place: ScanPlace): string {
  return `${place.name}, ${place.address}, ${place.postcode} ${place.commune}`;
}

/** The codes field: a plain textarea that a hand scanner can fill, code after code. */
function codesField(value: string | undefined, error: string | undefined, autofocus: boolean): SafeHtml {
  const describedBy = `codes-hint${error ? ' codes-error' : ''}`;
  return html`<div class="field${error ? ' field-error' : ''}" data-scan-field>
  <label for="codes">Codes des chèques</label>
  <p class="hint" id="codes-hint">Un code par ligne : scannez les chèques l’un après l’autre, le lecteur passe à la ligne tout seul. À la main, tapez les 17 caractères imprimés sous le code-barres, tirets facultatifs. Au plus ${MAX_VOUCHERS_PER_REDEMPTION} chèques pour un service.</p>
  ${error ? html`<p class="error-message" id="codes-error"><span class="visually-hidden">Erreur : </span>${error}</p>` : ''}
  <textarea id="codes" name="codes" rows="6"${autofocus ? html` autofocus` : ''} autocomplete="off" autocapitalize="characters" spellcheck="false" aria-describedby="${describedBy}"${
    error ? html` aria-invalid="true"` : ''
  } data-scan-codes>${value ?? ''}</textarea>
</div>`;
}

export interface ScanFormOptions {
  context: ScanContext;
  place: ScanPlace;
  values: ScanValues;
  errors: FieldErrors;
  today: string;
  csrf: string;
}

/** The form, filled with `values` (empty: today, on site, nothing else). */
export function scanFormHtml({ context, place, values, errors, today, csrf }: ScanFormOptions): SafeHtml {
  const modes = placeDeliveryModes(place);
  const mode = values.deliveryMode && modes.includes(values.deliveryMode as DeliveryMode) ? values.deliveryMode : modes.includes('on_site') ? 'on_site' : modes[0];
  return html`<form method="post" action="/structure/encaisser/verification" novalidate data-scan-form>
  ${csrfField(csrf)}
  <input type="hidden" name="placeId" value="${place.id}">
  <h2>Le service rendu</h2>
  ${selectField({
    name: 'serviceCode',
    label: 'Service',
    hint: 'Les services actifs du catalogue de ce lieu, avec leur prix.',
    options: place.services.map((s) => ({ value: s.code, label: `${s.label} (${s.code}) : ${formatEuros(s.priceCents)}` })),
    value: values.serviceCode,
    error: errors.serviceCode,
  })}
  ${textField({ name: 'serviceDate', label: 'Date du service', type: 'date', hint: 'Aujourd’hui, ou un jour passé de ce mois ou du mois précédent.', value: values.serviceDate ?? today, error: errors.serviceDate })}
  ${
    modes.length > 1
      ? radiosField({ name: 'deliveryMode', legend: 'Où le service a-t-il été rendu ?', options: modes.map((m) => ({ value: m, label: DELIVERY_MODE_LABELS[m] })), value: mode, error: errors.deliveryMode })
      : html`<input type="hidden" name="deliveryMode" value="${mode ?? 'on_site'}"><p>Service rendu : ${DELIVERY_MODE_LABELS[(mode ?? 'on_site') as DeliveryMode].toLowerCase()}.</p>`
  }
  ${
    context.mediators.length > 0
      ? selectField({
          name: 'mediatorId',
          label: 'Intervenant ou intervenante (facultatif)',
          options: [{ value: '', label: 'Ne pas préciser' }, ...context.mediators.map((m) => ({ value: m.id, label: `${m.name} (${MEDIATOR_STATUS_LABELS[m.status].toLowerCase()})` }))],
          value: values.mediatorId ?? '',
          error: errors.mediatorId,
        })
      : ''
  }
  <fieldset class="field">
    <legend>Le public accompagné (facultatif)</legend>
    <p class="hint">Des catégories anonymes, pour les statistiques : rien qui permette de reconnaître la personne.</p>
    ${selectField({
      name: 'publicAge',
      label: 'Tranche d’âge',
      options: [{ value: '', label: 'Ne pas préciser' }, ...Object.entries(PUBLIC_AGE_LABELS).map(([value, label]) => ({ value, label }))],
      value: values.publicAge ?? '',
      error: errors.publicAge,
    })}
    ${selectField({
      name: 'publicSituation',
      label: 'Situation',
      options: [{ value: '', label: 'Ne pas préciser' }, ...Object.entries(PUBLIC_SITUATION_LABELS).map(([value, label]) => ({ value, label }))],
      value: values.publicSituation ?? '',
      error: errors.publicSituation,
    })}
  </fieldset>
  <h2>Les chèques</h2>
  ${
    // The focus waits in the codes field for the scanner, unless another field needs correcting.
    codesField(values.codes, errors.codes, Object.keys(errors).every((field) => field === 'codes'))
  }
  <button type="submit" class="button">Vérifier les chèques</button>
</form>
<script src="/assets/scan.js" defer></script>`;
}

/** The choice of the place, when the provider has several: a plain GET form. */
export function placeChoiceHtml(context: ScanContext, error: string | undefined, chosen: string | undefined): SafeHtml {
  return html`<form method="get" action="/structure/encaisser" novalidate>
  ${radiosField({
    name: 'lieu',
    legend: 'Dans quel lieu encaissez-vous ?',
    options: context.places.map((p) => ({ value: p.id, label: placeLine(p) })),
    value: chosen,
    error,
  })}
  <button type="submit" class="button">Choisir ce lieu</button>
</form>`;
}
