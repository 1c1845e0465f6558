import { PLACE_TYPOLOGIES } from '../../../domains/places/manage-places.js';
import { REFERENTIAL_LEVELS, type Referential } from '../../../domains/referential/model.js';
import { ACTIVATIONS, FUNDING_MODES, VOUCHERS_PER_BOOKLET } from '../../../domains/vouchers/order-model.js';
import type { OrderRow } from '../../../domains/vouchers/orders.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { textareaField, textField, type FieldErrors } from '../../views/forms.js';
import { ACTIVATION_LABELS, DELIVERY_MODE_LABELS, FUNDING_MODE_HINTS, FUNDING_MODE_LABELS } from '../../views/voucher-labels.js';
import { many, one, type FormValues } from '../provider-places/fields.js';
import { checkboxes, choiceGroup, radios } from './fields.js';

/**
 * The order form of a funder (new order, or a draft changed): the quantities, the funding mode and
 * the optional rules. Parsed by `orderForm` (domains/vouchers/order-model.ts); the territory, the
 * services and the place types are checked by `saveDraftOrder`.
 */

/** 1000 → « 10 », 1250 → « 12,50 »: a face value as typed in the form. */
export function centsAsTyped(cents: number): string {
  const rest = cents % 100;
  return `${Math.trunc(cents / 100)}${rest === 0 ? '' : `,${String(rest).padStart(2, '0')}`}`;
}

/** Stored territory entries back to the codes a funder types: 33063, 243300316, 33, R75. */
export function territoryText(entries: readonly string[]): string {
  return entries
    .map((entry) => {
      const [kind, code = ''] = entry.split(':');
      return kind === 'region' ? `R${code}` : code;
    })
    .join('\n');
}

/** A draft, as its form shows it. */
export function valuesOfOrder(order: OrderRow): FormValues {
  return {
    label: order.label ?? '',
    bookletCount: String(order.booklet_count),
    vouchersPerBooklet: String(order.vouchers_per_booklet),
    faceValue: centsAsTyped(order.face_value_cents),
    fundingMode: order.funding_mode,
    territory: territoryText(order.territory),
    serviceLevels: order.service_levels.map(String),
    serviceCodes: [...order.service_codes],
    placeTypes: [...order.place_types],
    validFrom: order.valid_from,
    validUntil: order.valid_until,
    holderShare: order.holder_share_allowed ? 'allowed' : 'forbidden',
    deliveryModes: order.delivery_modes.filter((mode) => mode !== 'on_site'),
    activation: order.activation,
  };
}

function serviceCodesField(referential: Referential | undefined, values: readonly string[], error: string | undefined): SafeHtml {
  const services = referential?.services ?? [];
  const ids = ['serviceCodes-hint', error ? 'serviceCodes-error' : ''].filter(Boolean).join(' ');
  const groups = REFERENTIAL_LEVELS.map((level) => ({ level, services: services.filter((s) => s.level === level.code) })).filter((g) => g.services.length > 0);
  return html`<fieldset class="field${error ? ' field-error' : ''}" aria-describedby="${ids}">
  <legend>Services précis du référentiel (facultatif)</legend>
  <p class="hint" id="serviceCodes-hint">Les chèques ne paient que ces services, en plus des niveaux cochés ci-dessus. Rien de coché : tous les services.</p>
  ${error ? html`<p class="error-message" id="serviceCodes-error"><span class="visually-hidden">Erreur : </span>${error}</p>` : ''}
  ${groups.map(({ level, services: list }, i) =>
    choiceGroup(
      'checkbox',
      {
        name: 'serviceCodes',
        legend: level.label,
        options: list.map((s) => ({ value: s.code, label: `${s.code} · ${s.label}` })),
        firstCarriesName: i === 0,
      },
      (value) => values.includes(value),
    ),
  )}
</fieldset>`;
}

export function orderFormFields(values: FormValues, errors: FieldErrors, referential: Referential | undefined): SafeHtml {
  const v = (name: string) => one(values, name);
  return html`<h2>Les chèques</h2>
${textField({ name: 'label', label: 'Libellé (facultatif)', hint: 'Pour retrouver la commande, par exemple « Seniors 2026 ».', value: v('label'), error: errors.label })}
${textField({ name: 'bookletCount', label: 'Nombre de carnets', hint: 'De 1 à 20 000 carnets.', value: v('bookletCount'), error: errors.bookletCount, required: true })}
${radios({
  name: 'vouchersPerBooklet',
  legend: 'Chèques par carnet',
  options: VOUCHERS_PER_BOOKLET.map((n) => ({ value: String(n), label: `${n} chèques` })),
  value: v('vouchersPerBooklet') ?? '10',
  error: errors.vouchersPerBooklet,
})}
${textField({ name: 'faceValue', label: 'Valeur d’un chèque, en euros', hint: 'De 1 à 100 €, 10 € en général. Par exemple 10 ou 12,50.', value: v('faceValue') ?? '10', error: errors.faceValue })}
${radios({
  name: 'fundingMode',
  legend: 'Mode de paiement',
  options: FUNDING_MODES.map((mode) => ({ value: mode, label: FUNDING_MODE_LABELS[mode], hint: FUNDING_MODE_HINTS[mode] })),
  value: v('fundingMode'),
  error: errors.fundingMode,
})}
<fieldset class="rules">
  <legend><h2>Règles d’utilisation (facultatives)</h2></legend>
  <p>Sans règle, les chèques sont acceptés dans tous les lieux qualifiés, pour tous les services du référentiel.</p>
  ${textareaField({
    name: 'territory',
    label: 'Territoire',
    hint: 'Les codes des territoires où les chèques sont acceptés, séparés par des virgules ou des retours à la ligne : code INSEE d’une commune (33063 pour Bordeaux, à ne pas confondre avec le code postal), numéro de département (33, 2A, 974), région avec un R devant son code INSEE (R75 pour la Nouvelle-Aquitaine), numéro SIREN d’une intercommunalité (EPCI, 9 chiffres). Vide : partout en France.',
    value: v('territory'),
    error: errors.territory,
    rows: 3,
  })}
  ${checkboxes({
    name: 'serviceLevels',
    legend: 'Niveaux de services (facultatif)',
    hint: 'Les trois niveaux du référentiel national. Rien de coché : tous les niveaux.',
    options: REFERENTIAL_LEVELS.map((level) => ({ value: String(level.code), label: level.label })),
    values: many(values, 'serviceLevels'),
    error: errors.serviceLevels,
  })}
  ${serviceCodesField(referential, many(values, 'serviceCodes'), errors.serviceCodes)}
  ${checkboxes({
    name: 'placeTypes',
    legend: 'Types de lieux (facultatif)',
    hint: 'Rien de coché : tous les types de lieux.',
    options: PLACE_TYPOLOGIES,
    values: many(values, 'placeTypes'),
    error: errors.placeTypes,
  })}
  ${textField({ name: 'validFrom', label: 'Valables à partir du', type: 'date', hint: 'Vide : à partir d’aujourd’hui.', value: v('validFrom'), error: errors.validFrom })}
  ${textField({ name: 'validUntil', label: 'Valables jusqu’au', type: 'date', hint: 'Vide : un an après le début. Au plus 3 ans ; les chèques sont encore encaissés un mois après cette date pour les services rendus à temps.', value: v('validUntil'), error: errors.validUntil })}
  ${radios({
    name: 'holderShare',
    legend: 'Reste à payer par la personne',
    hint: 'Quand un service coûte plus que les chèques donnés, le lieu peut-il demander la différence ?',
    options: [
      { value: 'allowed', label: 'Permis' },
      { value: 'forbidden', label: 'Interdit : les chèques ne paient que des services qu’ils couvrent entièrement' },
    ],
    value: v('holderShare') ?? 'allowed',
    error: errors.holderShare,
  })}
  ${checkboxes({
    name: 'deliveryModes',
    legend: 'Services rendus hors du lieu (facultatif)',
    hint: 'Un service rendu dans le lieu est toujours accepté.',
    options: (['remote', 'home'] as const).map((mode) => ({ value: mode, label: DELIVERY_MODE_LABELS[mode] })),
    values: many(values, 'deliveryModes'),
    error: errors.deliveryModes,
  })}
  ${radios({
    name: 'activation',
    legend: 'Quand les chèques deviennent-ils utilisables ?',
    options: ACTIVATIONS.map((activation) => ({ value: activation, label: ACTIVATION_LABELS[activation] })),
    value: v('activation') ?? 'on_hand_out',
    error: errors.activation,
  })}
</fieldset>`;
}
