import type { ExpiryConfirmation, OrderToConfirm } from '../../../domains/expiry/confirm-expiry.js';
import type { CreditNoteSummary } from '../../../domains/expiry/credit-notes.js';
import type { OrderFigures } from '../../../domains/expiry/expiry-mails.js';
import { formatEuros } from '../../../domains/places/catalogue.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { formatLongDate } from '../../../lib/paris-dates.js';
import { csrfField } from '../../views/forms.js';
import { formatDateTime } from '../../views/labels.js';

/**
 * The end of an order on the funder's pages (domains/expiry): the J-15 notice « à confirmer » at
 * the top of the order's page with its form, the banner that lists the orders waiting for it on
 * the funder's other pages, and what happened after (confirmation, credit note). The operator's
 * order page shows the same panel, read by someone who follows the notice but does not answer it.
 */

/** The anchor of the notice on the order's page: the J-15 mail and the banner link to it. */
export const EXPIRY_ANCHOR = 'echeance';

/** The banner at the top of the funder's lists while an order's end waits for its confirmation. */
export function expiryBanner(orders: readonly OrderToConfirm[]): SafeHtml | '' {
  if (orders.length === 0) return '';
  const one = orders.length === 1;
  return html`<div class="panel" role="region" aria-labelledby="echeances-a-confirmer">
  <h2 id="echeances-a-confirmer">${one ? 'Une échéance à confirmer' : `${String(orders.length)} échéances à confirmer`} <span class="tag">À confirmer</span></h2>
  <p>${one ? 'Les chèques de cette commande' : 'Les chèques de ces commandes'} ne pourront plus payer de nouveau service après leur date de fin. Confirmez que vous en avez pris connaissance ; d’ici là, vous ne pouvez plus en confier de carnets à un distributeur.</p>
  <ul>
  ${orders.map(
    (order) =>
      html`<li><a href="/financeur/commandes/${order.orderId}#${EXPIRY_ANCHOR}">Commande ${order.orderNumber}${order.label ? ` – ${order.label}` : ''}</a> : fin de validité le ${formatLongDate(order.validUntil)}</li>`,
  )}
  </ul>
</div>`;
}

/**
 * Who reads the order's end: its funder, who answers the J-15 notice with the form, or the
 * operator, who sees the same state without the form.
 */
export type ExpiryReader = { kind: 'funder'; base: string; csrf: string; contactEmail: string } | { kind: 'operator' };

function figuresList(f: OrderFigures, reader: ExpiryReader): SafeHtml {
  const n = (count: number) => count.toLocaleString('fr-FR');
  return html`<dl class="summary">
  <dt>Carnets émis</dt><dd>${n(f.booklets)}</dd>
  <dt>Confiés à des distributeurs</dt><dd>${n(f.allocated)}</dd>
  <dt>Non confiés (encore chez ${reader.kind === 'funder' ? 'vous' : 'le financeur'})</dt><dd>${n(f.notAllocated)}</dd>
  <dt>Remis à des bénéficiaires</dt><dd>${n(f.handedOut)}</dd>
  <dt>Entamés (au moins un chèque utilisé)</dt><dd>${n(f.started)}</dd>
  ${f.cancelled > 0 ? html`<dt>Annulés (perdus, volés, abîmés)</dt><dd>${n(f.cancelled)}</dd>` : ''}
  <dt>Chèques utilisés</dt><dd>${n(f.usedVouchers)} sur ${n(f.vouchers)}</dd>
  <dt>Valeur des chèques non utilisés</dt><dd>${formatEuros(f.unusedCents)}</dd>
</dl>`;
}

const scans = (lastScanDay: string) => `Enregistrement par les lieux des services rendus pendant la validité : jusqu’au ${formatLongDate(lastScanDay)} inclus.`;

/**
 * The order's end on its page: while the J-15 notice waits for the funder, the notice (with its
 * form for the funder), then what was confirmed, and the credit note once issued. Nothing before
 * the J-15 stage.
 */
export function expiryPanel(input: {
  reader: ExpiryReader;
  confirmation: ExpiryConfirmation;
  creditNote: Omit<CreditNoteSummary, 'orderNumber' | 'orderLabel'> | undefined;
}): SafeHtml | '' {
  const { reader, confirmation, creditNote } = input;
  const funder = reader.kind === 'funder';
  const credit = creditNote
    ? html`<p>L’avoir <strong>${creditNote.number}</strong> du ${formatLongDate(creditNote.issuedOn)} ${funder ? 'vous rend' : 'rend au financeur'} ${formatEuros(creditNote.amountCents)}, la valeur des chèques non utilisés (voir les documents ci-dessous).</p>`
    : '';
  switch (confirmation.kind) {
    case 'not_due':
      return credit ? html`<h2 id="${EXPIRY_ANCHOR}">Échéance</h2>${credit}` : '';
    case 'to_confirm':
      return html`<div class="panel" id="${EXPIRY_ANCHOR}" role="region" aria-labelledby="${EXPIRY_ANCHOR}-titre">
  <h2 id="${EXPIRY_ANCHOR}-titre">Échéance à confirmer${funder ? '' : ' par le financeur'} <span class="tag">À confirmer</span></h2>
  <p>Le <strong>${formatLongDate(confirmation.validUntil)}</strong> au soir, les chèques de cette commande ne pourront plus payer de nouveau service. Les lieux auront jusqu’au ${formatLongDate(confirmation.lastScanDay)} pour enregistrer les services rendus pendant la validité ; ensuite, la valeur des chèques non utilisés ${funder ? 'vous reviendra' : 'reviendra au financeur'} par un avoir.</p>
  <p>Où en sont ${funder ? 'vos' : 'ses'} carnets :</p>
  ${figuresList(confirmation.figures, reader)}
  ${
    reader.kind === 'funder'
      ? html`<p>Confirmez que vous avez pris connaissance de cette échéance. Tant que ce n’est pas fait, vous ne pouvez plus confier de carnets de cette commande à un distributeur. Pour prolonger la validité, écrivez-nous avant l’échéance à <a href="mailto:${reader.contactEmail}">${reader.contactEmail}</a>.</p>
  <form method="post" action="${reader.base}/echeance/confirmer">
    ${csrfField(reader.csrf)}
    <button type="submit" class="button">Je confirme avoir pris connaissance de l’échéance</button>
  </form>`
      : html`<p>Le financeur a reçu l’avis de l’échéance et ne l’a pas encore confirmé sur la page de sa commande : d’ici là, il ne peut plus confier de carnets de cette commande à un distributeur.</p>`
  }
</div>`;
    case 'confirmed':
      return html`<h2 id="${EXPIRY_ANCHOR}">Échéance</h2>
<p>Fin de validité le ${formatLongDate(confirmation.validUntil)} : échéance confirmée le ${formatDateTime(confirmation.at)}${confirmation.byName ? ` par ${confirmation.byName}` : ''}. ${scans(confirmation.lastScanDay)}</p>
${credit}`;
    case 'lapsed':
      return html`<h2 id="${EXPIRY_ANCHOR}">Échéance</h2>
<p>Fin de validité le ${formatLongDate(confirmation.validUntil)}, passée sans confirmation : les chèques non utilisés ne paient plus de nouveau service. ${scans(confirmation.lastScanDay)}</p>
${credit}`;
  }
}
