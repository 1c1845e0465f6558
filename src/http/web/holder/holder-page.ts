import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatEuros } from '../../../domains/places/catalogue.js';
import type { AcceptedService, AcceptingPlacesResult } from '../../../domains/vouchers/accepting-places.js';
import type { VoucherCheck } from '../../../domains/vouchers/check-vouchers.js';
import type { VoucherState } from '../../../domains/vouchers/rules.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { formatLongDate } from '../../../lib/paris-dates.js';
import { csrfField, type FieldErrors } from '../../views/forms.js';
import { DELIVERY_MODE_LABELS, VOUCHER_STATE_LABELS } from '../../views/voucher-labels.js';
import { sendFormPage } from '../page.js';

/** The holder's page: a code in, what the voucher is worth, until when, and where. Nothing personal. */

const TITLE = 'Mon pass numérique';
const CODE_HINT = 'Les 17 caractères imprimés sous le code-barres du chèque, tirets facultatifs, par exemple ABCD-EFGH-JKMN-PQRST.';

/** States in which looking for places makes sense: the voucher is or will be usable. */
const SEARCHABLE: readonly VoucherState[] = ['usable', 'not_active', 'not_yet_valid'];

function codeField(value: string | undefined, error: string | undefined): SafeHtml {
  return html`<div class="field${error ? ' field-error' : ''}">
  <label for="code">Code du chèque</label>
  <p class="hint" id="code-hint">${CODE_HINT}</p>
  ${error ? html`<p class="error-message" id="code-error"><span class="visually-hidden">Erreur : </span>${error}</p>` : ''}
  <input id="code" name="code" type="text" value="${value ?? ''}" autocomplete="off" autocapitalize="characters" spellcheck="false" aria-describedby="code-hint${
    error ? ' code-error' : ''
  }"${error ? html` aria-invalid="true"` : ''}>
</div>`;
}

export function sendCodeForm(request: FastifyRequest, reply: FastifyReply, state: { status?: number; code?: string | undefined; errors?: FieldErrors }) {
  return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {} }, (csrf, errors) => ({
    title: TITLE,
    body: html`<div class="narrow"><h1>${TITLE}</h1>
<p class="lead">Vous avez reçu des chèques du pass numérique ? Saisissez le code d’un chèque pour savoir s’il est valable, jusqu’à quand, et où l’utiliser près de chez vous.</p>
<p>Nous ne vous demandons ni votre nom ni vos coordonnées.</p>
<form method="post" action="/mon-pass" novalidate>
  ${csrfField(csrf)}
  ${codeField(state.code, errors.code)}
  <button type="submit" class="button">Vérifier le chèque</button>
</form></div>`,
  }));
}

/** What the state means for the holder, in a sentence. */
function stateSentence(voucher: VoucherCheck): SafeHtml {
  switch (voucher.state) {
    case 'usable':
      return html`<strong>Valable</strong> : ce chèque paie un service de médiation numérique jusqu’au ${formatLongDate(voucher.validUntil)}.`;
    case 'used':
      return html`<strong>Déjà utilisé${voucher.usedOn ? ` le ${formatLongDate(voucher.usedOn)}` : ''}</strong> : il ne peut plus servir.`;
    case 'not_active':
      return html`<strong>Pas encore activé</strong> : votre carnet doit vous être remis par un distributeur (un CCAS, une maison France Services…), qui l’active à ce moment-là.`;
    case 'not_yet_valid':
      return html`<strong>Pas encore valable</strong> : il pourra servir à partir du ${formatLongDate(voucher.validFrom)}.`;
    case 'cancelled':
      return html`<strong>Annulé</strong> : son carnet a été déclaré perdu ou volé. Adressez-vous à la structure qui vous l’a remis.`;
    case 'expired':
      return html`<strong>Expiré</strong> : il était valable jusqu’au ${formatLongDate(voucher.validUntil)}.`;
    case 'not_issued':
      return html`<strong>${VOUCHER_STATE_LABELS.not_issued}</strong> : il ne peut pas encore servir.`;
  }
}

function serviceLine(service: AcceptedService, voucher: VoucherCheck): SafeHtml {
  const price = formatEuros(service.priceCents);
  const modes = service.deliveryModes.map((m) => DELIVERY_MODE_LABELS[m].toLowerCase()).join(', ');
  let payment: string;
  if (service.holderShareWithOneCents === 0) payment = 'entièrement payé avec un chèque';
  else if (voucher.order.holderShareAllowed) {
    payment = `avec un chèque, ${formatEuros(service.holderShareWithOneCents)} restent à votre charge (ou ${service.vouchersForFullPrice} chèques, sans rien à payer)`;
  } else payment = `${service.vouchersForFullPrice} chèques, sans rien à payer (ce chèque ne permet pas de reste à payer)`;
  return html`<li>${service.label} : ${price}, ${payment} ; ${modes}</li>`;
}

export interface HolderResult {
  voucher: VoucherCheck;
  /** The code as typed, carried in the search form (never in a URL). */
  code: string;
  commune?: string | undefined;
  places?: AcceptingPlacesResult | undefined;
  errors?: FieldErrors;
}

function placesList(result: AcceptingPlacesResult, voucher: VoucherCheck): SafeHtml {
  const where = result.location.kind === 'unknown' || result.location.kind === 'everywhere' ? '' : result.location.label;
  if (result.places.length === 0) return html`<p>Aucun lieu ne l’accepte à ${where} pour l’instant. Essayez une commune voisine ou votre département (par exemple 33).</p>`;
  return html`<h3>${result.places.length} ${result.places.length > 1 ? 'lieux l’acceptent' : 'lieu l’accepte'} à ${where}${result.truncated ? ' (les plus proches)' : ''}</h3>
<ul class="cards">
${result.places.map(
  (place) => html`<li>
  <h4><a href="/lieux/${place.id}">${place.name}</a></h4>
  <p>${place.address}, ${place.postcode} ${place.commune}</p>
  <p>Services payables avec ce chèque :</p>
  <ul>${place.services.map((s) => serviceLine(s, voucher))}</ul>
</li>`,
)}
</ul>`;
}

export function sendHolderResult(request: FastifyRequest, reply: FastifyReply, result: HolderResult, status = 200) {
  const { voucher } = result;
  return sendFormPage(request, reply, { status, errors: result.errors ?? {} }, (csrf, errors) => ({
    title: TITLE,
    body: html`<h1>${TITLE}</h1>
<section aria-labelledby="voucher-title">
<h2 id="voucher-title">Chèque <code>${voucher.code}</code></h2>
<p class="lead">${stateSentence(voucher)}</p>
<table class="table">
  <caption>Ce chèque</caption>
  <tbody>
    <tr><th scope="row">État</th><td>${VOUCHER_STATE_LABELS[voucher.state]}</td></tr>
    <tr><th scope="row">Valeur</th><td>${formatEuros(voucher.faceValueCents)}</td></tr>
    <tr><th scope="row">Valable</th><td>du ${formatLongDate(voucher.validFrom)} au ${formatLongDate(voucher.validUntil)}</td></tr>
  </tbody>
</table>
${
  voucher.rules.length > 0
    ? html`<p>Son financeur l’a réservé :</p><ul>${voucher.rules.map((rule) => html`<li>${rule}</li>`)}</ul>`
    : html`<p>Il est accepté par tous les lieux qualifiés, pour tous les services du référentiel.</p>`
}
</section>
${
  SEARCHABLE.includes(voucher.state)
    ? html`<section aria-labelledby="places-title">
<h2 id="places-title">Où l’utiliser</h2>
<form method="post" action="/mon-pass" novalidate class="inline-fields">
  ${csrfField(csrf)}
  <input type="hidden" name="code" value="${result.code}">
  <input type="hidden" name="lieux" value="1">
  <div class="field${errors.commune ? ' field-error' : ''}">
    <label for="commune">Commune ou code postal</label>
    ${errors.commune ? html`<p class="error-message" id="commune-error"><span class="visually-hidden">Erreur : </span>${errors.commune}</p>` : ''}
    <input id="commune" name="commune" type="text" value="${result.commune ?? ''}" autocomplete="address-level2"${errors.commune ? html` aria-invalid="true" aria-describedby="commune-error"` : ''}>
  </div>
  <button type="submit" class="button button-secondary">Chercher les lieux</button>
</form>
${result.places ? placesList(result.places, voucher) : ''}
</section>`
    : ''
}
<p><a href="/mon-pass">Vérifier un autre chèque</a></p>`,
  }));
}
