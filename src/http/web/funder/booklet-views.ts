import { z } from 'zod';
import type { BookletCancelReason } from '../../../db/schema.js';
import type { BookletView } from '../../../domains/vouchers/distribution.js';
import { formatOrderNumber } from '../../../domains/vouchers/order-model.js';
import { formatLongDate } from '../../../lib/paris-dates.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { csrfField, textField, type FieldErrors } from '../../views/forms.js';
import { formatDateTime } from '../../views/labels.js';
import { CANCEL_REASON_LABELS, PUBLIC_AGE_LABELS, PUBLIC_SITUATION_LABELS } from '../../views/voucher-labels.js';
import { one, type FormValues } from '../provider-places/fields.js';
import { radios } from './fields.js';

/** Booklets as funders and distributors see them, and the form that cancels a lost or stolen one. */

const CANCEL_REASONS = Object.keys(CANCEL_REASON_LABELS) as BookletCancelReason[];

/** Its fields are named cancelNumber and cancelReason: the distributor's page has a hand-out form too. */
export const cancelBookletForm = z.object({
  cancelNumber: z.string({ message: 'Saisissez le numéro du carnet' }).trim().min(1, 'Saisissez le numéro du carnet, les 8 chiffres de sa couverture'),
  cancelReason: z.enum(CANCEL_REASONS as [BookletCancelReason, ...BookletCancelReason[]], { message: 'Choisissez pourquoi le carnet est annulé' }),
});

export function cancelBookletFields(action: string, csrf: string, values: FormValues, errors: FieldErrors): SafeHtml {
  return html`<h2 id="annuler-un-carnet">Annuler un carnet perdu ou volé</h2>
<p>Les chèques non utilisés d’un carnet annulé sont refusés partout, dès maintenant. Une annulation ne se défait pas.</p>
<form method="post" action="${action}" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'cancelNumber', label: 'Numéro du carnet à annuler', hint: 'Les 8 chiffres sous le code-barres de la couverture.', value: one(values, 'cancelNumber'), error: errors.cancelNumber })}
  ${radios({
    name: 'cancelReason',
    legend: 'Raison',
    options: CANCEL_REASONS.map((reason) => ({ value: reason, label: CANCEL_REASON_LABELS[reason] })),
    value: one(values, 'cancelReason'),
    error: errors.cancelReason,
  })}
  <button type="submit" class="button button-secondary">Annuler ce carnet</button>
</form>`;
}

function bookletState(booklet: BookletView): string {
  if (booklet.cancelledAt) {
    return `Annulé le ${formatDateTime(booklet.cancelledAt)}${booklet.cancelReason ? ` (${CANCEL_REASON_LABELS[booklet.cancelReason].toLowerCase()})` : ''}`;
  }
  if (booklet.handedOutAt) return `Remis le ${formatDateTime(booklet.handedOutAt)}`;
  if (booklet.allocatedAt) return `Confié le ${formatDateTime(booklet.allocatedAt)}, pas encore remis`;
  return 'Pas encore confié';
}

function publicOf(booklet: BookletView): string {
  const parts = [booklet.publicAge ? PUBLIC_AGE_LABELS[booklet.publicAge] : '', booklet.publicSituation ? PUBLIC_SITUATION_LABELS[booklet.publicSituation] : ''].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : '–';
}

/** The table of booklets: of an order (with its distributor) or of a distributor (with its funder). */
export function bookletsTable(booklets: readonly BookletView[], options: { caption: string; show: 'distributor' | 'funder' }): SafeHtml {
  return html`<table class="table">
  <caption>${options.caption}</caption>
  <thead><tr><th scope="col">Carnet</th><th scope="col">${options.show === 'distributor' ? 'Distributeur' : 'Financeur'}</th><th scope="col">État</th><th scope="col">Public</th><th scope="col">Chèques utilisés</th><th scope="col">Valable jusqu’au</th></tr></thead>
  <tbody>
  ${booklets.map(
    (b) => html`<tr>
    <th scope="row">${b.number}</th>
    <td>${options.show === 'distributor' ? (b.distributorName ?? '–') : `${b.funderName} (commande ${formatOrderNumber(b.orderNumber)})`}</td>
    <td>${bookletState(b)}</td>
    <td>${publicOf(b)}</td>
    <td>${b.vouchersUsed} sur ${b.vouchers}</td>
    <td>${formatLongDate(b.validUntil)}</td>
  </tr>`,
  )}
  ${booklets.length === 0 ? html`<tr><td colspan="6">Aucun carnet.</td></tr>` : ''}
  </tbody>
</table>`;
}
