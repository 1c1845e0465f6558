import { formatEuros } from '../../../domains/places/catalogue.js';
import { describeOrderRules, describeValidity } from '../../../domains/vouchers/describe-order.js';
import type { OrderDetail } from '../../../domains/vouchers/funder-views.js';
import { formatOrderNumber, orderTotalCents, voucherCount } from '../../../domains/vouchers/order-model.js';
import type { OrderProgress, OrderRow } from '../../../domains/vouchers/orders.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { formatDateTime } from '../../views/labels.js';
import { ACTIVATION_LABELS, FUNDING_MODE_LABELS, ORDER_STATUS_LABELS } from '../../views/voucher-labels.js';

/** Views of orders shared by the funder's pages and the operator's. */

export function orderTitle(order: Pick<OrderRow, 'number' | 'label'>): string {
  return `Commande ${formatOrderNumber(order.number)}${order.label ? ` – ${order.label}` : ''}`;
}

export function quantityLine(order: Pick<OrderRow, 'booklet_count' | 'vouchers_per_booklet' | 'face_value_cents'>): string {
  return `${order.booklet_count.toLocaleString('fr-FR')} carnet${order.booklet_count > 1 ? 's' : ''} × ${order.vouchers_per_booklet} chèques × ${formatEuros(order.face_value_cents)}`;
}

export function progressLine(progress: OrderProgress): string {
  if (progress.booklets === 0) return '–';
  const n = (count: number, one: string, many: string) => `${count.toLocaleString('fr-FR')} ${count > 1 ? many : one}`;
  return `carnets : ${n(progress.allocated, 'confié', 'confiés')}, ${n(progress.handedOut, 'remis', 'remis')}, ${n(progress.cancelled, 'annulé', 'annulés')} ; ${n(progress.vouchersUsed, 'chèque utilisé', 'chèques utilisés')} (${formatEuros(progress.usedCents)})`;
}

type ListedOrder = OrderRow & { funder_name: string; progress: OrderProgress };

/** The table of orders: for a funder (its own) or the operator (all, with the funder's name). */
export function ordersTable(orders: readonly ListedOrder[], options: { hrefBase: string; showFunder: boolean; caption: string }): SafeHtml {
  const columns = options.showFunder ? 7 : 6;
  return html`<table class="table">
  <caption>${options.caption}</caption>
  <thead><tr><th scope="col">Commande</th>${options.showFunder ? html`<th scope="col">Financeur</th>` : ''}<th scope="col">Étape</th><th scope="col">Chèques</th><th scope="col">Montant</th><th scope="col">Avancement</th><th scope="col">Créée le</th></tr></thead>
  <tbody>
  ${orders.map(
    (order) => html`<tr>
    <th scope="row"><a href="${options.hrefBase}/${order.id}">${formatOrderNumber(order.number)}</a>${order.label ? html`<br><span class="muted">${order.label}</span>` : ''}</th>
    ${options.showFunder ? html`<td>${order.funder_name}</td>` : ''}
    <td>${ORDER_STATUS_LABELS[order.status]}</td>
    <td>${quantityLine(order)}</td>
    <td>${formatEuros(orderTotalCents(order))}</td>
    <td>${progressLine(order.progress)}</td>
    <td>${formatDateTime(order.created_at)}</td>
  </tr>`,
  )}
  ${orders.length === 0 ? html`<tr><td colspan="${String(columns)}">Aucune commande pour l’instant.</td></tr>` : ''}
  </tbody>
</table>`;
}

/** Status, amounts, funding, rules and progress of one order. */
export function orderSummary(detail: OrderDetail, options: { showFunder: boolean }): SafeHtml {
  const { order, progress } = detail;
  const rules = describeOrderRules(order, detail.referential);
  const dated: [string, Date | null][] = [
    ['Créée le', order.created_at],
    ['Confirmée le', order.confirmed_at],
    ['Payée ou engagée le', order.committed_at],
    ['Émise le', order.issued_at],
    ['Annulée le', order.cancelled_at],
  ];
  return html`<dl class="summary">
  ${options.showFunder ? html`<dt>Financeur</dt><dd>${detail.funderName}</dd>` : ''}
  <dt>Étape</dt><dd><strong>${ORDER_STATUS_LABELS[order.status]}</strong></dd>
  <dt>Chèques</dt><dd>${quantityLine(order)}, soit ${voucherCount(order).toLocaleString('fr-FR')} chèques</dd>
  <dt>Montant</dt><dd>${formatEuros(orderTotalCents(order))}</dd>
  <dt>Mode de paiement</dt><dd>${FUNDING_MODE_LABELS[order.funding_mode]}</dd>
  ${order.invoice_number ? html`<dt>Facture</dt><dd>${order.invoice_number}</dd>` : ''}
  ${order.commitment_reference ? html`<dt>${order.funding_mode === 'prepaid' ? 'Référence du virement' : 'Numéro d’engagement juridique'}</dt><dd>${order.commitment_reference}</dd>` : ''}
  <dt>Validité</dt><dd>${describeValidity(order.valid_from, order.valid_until)}</dd>
  <dt>Activation</dt><dd>${ACTIVATION_LABELS[order.activation]}</dd>
  <dt>Règles</dt><dd>${
    rules.length === 0
      ? 'Aucune : les chèques sont acceptés dans tous les lieux qualifiés, pour tous les services.'
      : html`<ul>${rules.map((rule) => html`<li>${rule}</li>`)}</ul>`
  }</dd>
  ${order.status === 'issued' ? html`<dt>Avancement</dt><dd>${progressLine(progress)}</dd>` : ''}
  ${dated.filter(([, at]) => at !== null).map(([label, at]) => html`<dt>${label}</dt><dd>${formatDateTime(at!)}</dd>`)}
</dl>`;
}

/** Links to the order's PDF documents that exist at its step; its credit note when the caller found one. */
export function documentLinks(base: string, order: OrderRow, creditNote?: { number: string }): SafeHtml | '' {
  const links: SafeHtml[] = [];
  if (order.status !== 'draft' && order.status !== 'cancelled') {
    links.push(html`<li><a href="${base}/bon-de-commande.pdf" download>Bon de commande (PDF)</a></li>`);
  }
  if (order.invoice_number !== null && order.status !== 'draft' && order.status !== 'cancelled') {
    links.push(html`<li><a href="${base}/facture.pdf" download>Facture ${order.invoice_number} (PDF)</a></li>`);
  }
  if (order.status === 'issued') links.push(html`<li><a href="${base}/cheques.pdf" download>Chèques à imprimer (PDF, A4)</a></li>`);
  if (creditNote) links.push(html`<li><a href="${base}/avoir.pdf" download>Avoir ${creditNote.number} pour les chèques non utilisés (PDF)</a></li>`);
  if (links.length === 0) return '';
  return html`<h2>Documents</h2><ul>${links}</ul>`;
}
