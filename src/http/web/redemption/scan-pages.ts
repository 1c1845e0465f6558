import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatEuros } from '../../../domains/places/catalogue.js';
import { REFUSAL_WINDOW_MS } from '../../../domains/vouchers/redeem-vouchers.js';
import type { PreviewAssessment, RedemptionReceipt, ScanContext, ScanMediator, ScanPlace, ScanService } from '../../../domains/vouchers/scan-context.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { formatLongDate, type IsoDate } from '../../../lib/paris-dates.js';
import { errorEntry } from '../../error-table.js';
import { csrfField, notice, type FieldErrors } from '../../views/forms.js';
import { DELIVERY_MODE_LABELS, PUBLIC_AGE_LABELS, PUBLIC_SITUATION_LABELS, VOUCHER_STATE_LABELS } from '../../views/voucher-labels.js';
import { sendFormPage, sendPage } from '../page.js';
import { placeChoiceHtml, placeLine, scanFormHtml, type ScanInput, type ScanValues } from './scan-form.js';

/** The pages of the scan: why it is not possible yet, the choice of the place, the form, the preview, the receipt. */

const TITLE = 'Encaisser des chèques';

/** Sends why this provider cannot take vouchers yet; undefined (nothing sent) when it can. */
export function sendBlockedPage(request: FastifyRequest, reply: FastifyReply, context: ScanContext) {
  let why: SafeHtml | undefined;
  if (context.standing === 'no_application' || context.standing === 'not_qualified') {
    why = html`<p class="lead">Votre structure n’est pas encore qualifiée : elle pourra encaisser des chèques une fois sa candidature acceptée par l’opérateur.</p>
<p><a class="button" href="/structure/candidature">Voir ma candidature</a></p>`;
  } else if (context.standing === 'suspended') {
    why = html`<p class="lead">${errorEntry('provider_suspended').message}</p>
<p>L’opérateur vous a écrit pour en expliquer la raison. <a href="/structure/candidature">Voir ma candidature et les messages</a></p>`;
  } else if (context.places.length === 0) {
    why =
      context.placesWithoutService.length > 0
        ? html`<p class="lead">Vos lieux publiés n’ont aucun service actif : ajoutez au catalogue les services que vous y rendez, avec leur prix.</p>
<ul>${context.placesWithoutService.map((p) => html`<li><a href="/structure/lieux/${p.id}/services">Services de ${p.name}</a></li>`)}</ul>`
        : html`<p class="lead">Aucun de vos lieux n’est publié : les chèques s’encaissent dans un lieu publié, avec les services de son catalogue.</p>
<p><a class="button" href="/structure/lieux">Voir vos lieux</a></p>`;
  }
  if (!why) return undefined;
  // A form sent anyway is refused (403); the page itself just explains.
  return sendPage(request, reply, () => ({ title: TITLE, body: html`<h1>${TITLE}</h1>${why}` }), request.method === 'POST' ? 403 : 200);
}

export function sendPlaceChoicePage(request: FastifyRequest, reply: FastifyReply, context: ScanContext, state: { error?: string; chosen?: string }) {
  const errors: FieldErrors = state.error ? { lieu: state.error } : {};
  return sendFormPage(request, reply, { status: state.error ? 400 : 200, errors }, () => ({
    title: TITLE,
    body: html`<h1>${TITLE}</h1>
<p class="lead">Choisissez d’abord le lieu où le service a été rendu : ses services et ses prix sont proposés ensuite.</p>
${placeChoiceHtml(context, state.error, state.chosen)}`,
  }));
}

export interface ScanPageState {
  status?: number;
  values?: ScanValues;
  errors?: FieldErrors;
  formError?: string | undefined;
}

export function sendScanPage(request: FastifyRequest, reply: FastifyReply, context: ScanContext, place: ScanPlace, today: IsoDate, state: ScanPageState = {}) {
  return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
    title: TITLE,
    body: html`<h1>${TITLE}</h1>
<p class="lead">${placeLine(place)}${context.places.length > 1 ? html` · <a href="/structure/encaisser">Changer de lieu</a>` : ''}</p>
${scanFormHtml({ context, place, values: { ...state.values, placeId: place.id }, errors, today, csrf })}`,
  }));
}

/** Too many refusals lately: the counter stops for a while (rules of redeem-vouchers.ts). */
export function sendTooManyAttemptsPage(request: FastifyRequest, reply: FastifyReply) {
  const minutes = Math.round(REFUSAL_WINDOW_MS / 60_000);
  reply.header('retry-after', String(REFUSAL_WINDOW_MS / 1000));
  return sendPage(
    request,
    reply,
    () => ({
      title: 'Trop de chèques refusés',
      body: html`<h1>Trop de chèques refusés</h1>
<p class="lead">Trop de chèques ont été refusés ces dernières minutes dans ce lieu ou par vous : par sécurité, l’encaissement est suspendu pendant ${minutes} minutes.</p>
<p>Vérifiez les codes avec la personne (ils sont imprimés sous les codes-barres), puis réessayez. Si cela se reproduit, écrivez à l’opérateur.</p>
<p><a href="/structure/encaisser">Revenir à l’encaissement</a></p>`,
    }),
    429,
  );
}

function choiceRows(place: ScanPlace, service: ScanService, input: ScanInput, mediator: ScanMediator | undefined): SafeHtml {
  return html`<tr><th scope="row">Lieu</th><td>${placeLine(place)}</td></tr>
<tr><th scope="row">Service</th><td>${service.label} (${service.code})</td></tr>
<tr><th scope="row">Date du service</th><td>${formatLongDate(input.serviceDate)}</td></tr>
<tr><th scope="row">Rendu</th><td>${DELIVERY_MODE_LABELS[input.deliveryMode]}</td></tr>
${mediator ? html`<tr><th scope="row">Intervenant ou intervenante</th><td>${mediator.name}</td></tr>` : ''}
${input.publicAge || input.publicSituation
  ? html`<tr><th scope="row">Public</th><td>${[input.publicAge ? PUBLIC_AGE_LABELS[input.publicAge] : '', input.publicSituation ? PUBLIC_SITUATION_LABELS[input.publicSituation] : ''].filter(Boolean).join(', ')}</td></tr>`
  : ''}`;
}

function shareLine(holderShareCents: number): SafeHtml {
  return holderShareCents > 0
    ? html`Reste à payer par la personne : <strong>${formatEuros(holderShareCents)}</strong>`
    : html`<strong>Rien à payer</strong> par la personne : les chèques couvrent le prix.`;
}

export interface PreviewPageInput {
  place: ScanPlace;
  service: ScanService;
  mediator: ScanMediator | undefined;
  input: ScanInput;
  assessment: PreviewAssessment;
}

/** Each voucher with its state, the amounts, and the confirmation (or only the way back). */
export function sendPreviewPage(request: FastifyRequest, reply: FastifyReply, { place, service, mediator, input, assessment }: PreviewPageInput) {
  const problems: string[] = [];
  if (assessment.serviceProblem) problems.push(errorEntry(assessment.serviceProblem).message);
  assessment.lines.forEach((line, i) => {
    if (line.problem) problems.push(`Chèque n° ${i + 1} : ${errorEntry(line.problem).message}`);
  });
  if (assessment.tooMany) problems.push(errorEntry('too_many_vouchers').message);
  if (assessment.shareNotAllowed) problems.push(errorEntry('holder_share_not_allowed').message);
  return sendPage(request, reply, (csrf) => ({
    title: 'Vérifier les chèques',
    body: html`<h1>Vérifier les chèques</h1>
${
  problems.length > 0
    ? html`<div class="error-summary" role="alert" tabindex="-1" aria-labelledby="preview-problems-title" data-autofocus>
  <h2 id="preview-problems-title">Ces chèques ne peuvent pas être encaissés ainsi</h2>
  <ul>${problems.map((p) => html`<li>${p}</li>`)}</ul>
  <p>Corrigez la saisie, retirez les chèques refusés ou rendez-les à la personne.</p>
</div>`
    : ''
}
<table class="table">
  <caption>Le service</caption>
  <tbody>${choiceRows(place, service, input, mediator)}</tbody>
</table>
<table class="table">
  <caption>Chèques (${assessment.lines.length})</caption>
  <thead><tr><th scope="col">Chèque</th><th scope="col">Code</th><th scope="col">État</th><th scope="col">Valeur</th><th scope="col">Vérification</th></tr></thead>
  <tbody>
  ${assessment.lines.map(
    (line, i) => html`<tr>
    <td>n° ${i + 1}</td>
    <td><code>${line.voucher ? line.voucher.code : line.input}</code></td>
    <td>${line.voucher ? html`${VOUCHER_STATE_LABELS[line.voucher.state]}${line.voucher.state === 'used' && line.voucher.usedOn ? ` le ${formatLongDate(line.voucher.usedOn)}` : ''}` : 'Code non reconnu'}</td>
    <td>${line.voucher ? formatEuros(line.voucher.faceValueCents) : '–'}</td>
    <td>${line.problem ? html`<strong>Refusé</strong> : ${errorEntry(line.problem).message}` : html`Accepté, valable jusqu’au ${formatLongDate(line.voucher!.validUntil)}`}</td>
  </tr>`,
  )}
  </tbody>
</table>
<table class="table">
  <caption>Le paiement</caption>
  <tbody>
    <tr><th scope="row">Prix du service</th><td>${formatEuros(service.priceCents)}</td></tr>
    <tr><th scope="row">Valeur des chèques</th><td>${formatEuros(assessment.vouchersCents)}</td></tr>
  </tbody>
</table>
<p class="lead">${shareLine(assessment.holderShareCents)}</p>
<form method="post" action="/structure/encaisser" novalidate>
  ${csrfField(csrf)}
  <input type="hidden" name="placeId" value="${place.id}">
  <input type="hidden" name="serviceCode" value="${input.serviceCode}">
  <input type="hidden" name="serviceDate" value="${input.serviceDate}">
  <input type="hidden" name="deliveryMode" value="${input.deliveryMode}">
  <input type="hidden" name="mediatorId" value="${input.mediatorId ?? ''}">
  <input type="hidden" name="publicAge" value="${input.publicAge ?? ''}">
  <input type="hidden" name="publicSituation" value="${input.publicSituation ?? ''}">
  ${input.codes.map((code) => html`<input type="hidden" name="codes" value="${code}">`)}
  ${
    assessment.ready
      ? html`<button type="submit" class="button">Confirmer l’encaissement</button>
  <button type="submit" class="button button-secondary" formaction="/structure/encaisser/corriger">Corriger</button>`
      : html`<button type="submit" class="button" formaction="/structure/encaisser/corriger">Corriger</button>`
  }
</form>`,
  }));
}

export function sendReceiptPage(request: FastifyRequest, reply: FastifyReply, receipt: RedemptionReceipt) {
  const created = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' }).format(receipt.createdAt);
  return sendPage(request, reply, () => ({
    title: 'Reçu d’encaissement',
    body: html`${notice('L’encaissement est enregistré : les chèques sont utilisés et vous seront payés avec les autres du mois.')}
<h1>Reçu d’encaissement</h1>
<table class="table">
  <caption>Encaissement du ${created}</caption>
  <tbody>
    <tr><th scope="row">Lieu</th><td>${receipt.placeName}, ${receipt.placeAddress}</td></tr>
    <tr><th scope="row">Service</th><td>${receipt.serviceLabel} (${receipt.serviceCode})</td></tr>
    <tr><th scope="row">Date du service</th><td>${formatLongDate(receipt.serviceDate)}</td></tr>
    <tr><th scope="row">Rendu</th><td>${DELIVERY_MODE_LABELS[receipt.deliveryMode]}</td></tr>
    <tr><th scope="row">Chèques</th><td>${receipt.voucherCount} ${receipt.voucherCount > 1 ? 'chèques' : 'chèque'}, ${formatEuros(receipt.vouchersCents)}</td></tr>
    <tr><th scope="row">Prix du service</th><td>${formatEuros(receipt.priceCents)}</td></tr>
    <tr><th scope="row">Reste à payer par la personne</th><td>${receipt.holderShareCents > 0 ? formatEuros(receipt.holderShareCents) : 'Rien à payer'}</td></tr>
    ${receipt.mediatorName ? html`<tr><th scope="row">Intervenant ou intervenante</th><td>${receipt.mediatorName}</td></tr>` : ''}
    <tr><th scope="row">Référence</th><td><code>${receipt.id}</code></td></tr>
  </tbody>
</table>
<p><a class="button" href="/structure/encaisser?lieu=${receipt.placeId}">Encaisser d’autres chèques</a></p>`,
  }));
}
