import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { DomainError } from '../../../domains/errors.js';
import { formatEuros } from '../../../domains/places/catalogue.js';
import {
  issueFunderInvoices,
  listInvoicesOfAllFunders,
  loadFunderInvoice,
  recordFunderPayment,
  type FunderInvoicePayment,
  type OperatorFunderInvoice,
} from '../../../domains/settlement/funder-invoices.js';
import { shiftMonth } from '../../../domains/settlement/settlement-calendar.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { formatLongDate, formatMonth, parisDay } from '../../../lib/paris-dates.js';
import { renderFunderInvoice } from '../../../print/funder-invoice.js';
import { OPERATOR, OPERATOR_ADMIN } from '../../access.js';
import { redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice, selectField, textField, type FieldErrors } from '../../views/forms.js';
import { parseForm, sendFormPage } from '../page.js';
import { formErrorOf, pageOf, pagination } from '../funder/fields.js';
import { isUuid } from '../../../lib/uuid.js';

/**
 * The invoices of funders billed on use, seen by the operator (/operateur/comptabilite/factures):
 * every funder's invoices, paid or not; the invoices of a month issued once its scans are closed
 * (issuing twice changes nothing); and, when a funder's transfer arrives, its record with the
 * bank's reference: the ledger's entry (bank +, funder −) and the journal's event, once (a second
 * record is refused). Operators read; their admins act.
 */

export const INVOICES_PATH = '/operateur/comptabilite/factures';
const PER_PAGE = 100;

const PAYMENT_FILTERS = { toutes: 'all', 'a-regler': 'unpaid', reglees: 'paid' } as const satisfies Record<string, FunderInvoicePayment>;
type PaymentFilter = keyof typeof PAYMENT_FILTERS;
const FILTER_LABELS: Record<PaymentFilter, string> = { toutes: 'Toutes', 'a-regler': 'À régler', reglees: 'Réglées' };

const DONE_MESSAGES: Record<string, string> = {
  emises: 'Les factures du mois sont émises : chaque financeur les trouve dans ses relevés.',
  deja: 'Les factures de ce mois étaient déjà émises : rien n’a été refait.',
  aucune: 'Aucun chèque d’une commande facturée à l’usage n’a servi ce mois-là : aucune facture à émettre.',
  regle: 'Le règlement est enregistré : le grand livre porte l’encaissement du financeur.',
};

const issueForm = z.object({
  month: z.string({ message: 'Indiquez le mois à facturer' }).trim().regex(/^\d{4}-(0[1-9]|1[0-2])$/u, 'Indiquez un mois au format AAAA-MM, par exemple 2026-10'),
});

const paymentForm = z.object({
  reference: z
    .string({ message: 'Indiquez la référence du virement reçu' })
    .trim()
    .min(1, 'Indiquez la référence du virement reçu, telle que le relevé bancaire la donne')
    .max(100, 'La référence fait au plus 100 caractères'),
});


function invoiceIdOf(request: FastifyRequest): string {
  const id = (request.params as { id?: unknown }).id;
  if (!isUuid(id)) throw new DomainError('funder_invoice_unknown');
  return id.toLowerCase();
}

function filterOf(request: FastifyRequest): PaymentFilter {
  const raw = (request.query as { statut?: unknown }).statut;
  return typeof raw === 'string' && raw in PAYMENT_FILTERS ? (raw as PaymentFilter) : 'toutes';
}

function doneMessage(request: FastifyRequest): string | undefined {
  const ok = (request.query as { ok?: unknown }).ok;
  return typeof ok === 'string' ? DONE_MESSAGES[ok] : undefined;
}

function paymentText(paid: { on: string; reference: string } | null): string {
  return paid ? `Réglée le ${formatLongDate(paid.on)}${paid.reference ? `, virement ${paid.reference}` : ''}` : 'À régler';
}

function invoicesTable(invoices: readonly OperatorFunderInvoice[], caption: string): SafeHtml {
  return html`<table class="table">
  <caption>${caption}</caption>
  <thead><tr><th scope="col">Facture</th><th scope="col">Financeur</th><th scope="col">Chèques utilisés en</th><th scope="col">Montant</th><th scope="col">Émise le</th><th scope="col">Règlement</th><th scope="col">Document</th></tr></thead>
  <tbody>
  ${invoices.map(
    (invoice) => html`<tr>
    <th scope="row"><a href="${INVOICES_PATH}/${invoice.id}">${invoice.number}</a></th>
    <td>${invoice.funder.name}</td>
    <td>${formatMonth(invoice.month)}</td>
    <td>${formatEuros(invoice.amountCents)}</td>
    <td>${formatLongDate(invoice.issuedOn)}</td>
    <td>${paymentText(invoice.paid)}</td>
    <td><a href="${INVOICES_PATH}/${invoice.id}/facture.pdf" download>Facture ${invoice.number} (PDF)</a></td>
  </tr>`,
  )}
  ${invoices.length === 0 ? html`<tr><td colspan="7">Aucune facture.</td></tr>` : ''}
  </tbody>
</table>`;
}

interface State {
  status?: number;
  values?: Record<string, string>;
  errors?: FieldErrors;
  formError?: string | undefined;
}

export function operatorFunderInvoiceRoutes(app: FastifyInstance, ctx: AppContext) {
  async function listPage(request: FastifyRequest, reply: FastifyReply, state: State = {}) {
    const filter = filterOf(request);
    const page = pageOf(request);
    const { invoices, total, unpaid } = await listInvoicesOfAllFunders(ctx, { payment: PAYMENT_FILTERS[filter], page, perPage: PER_PAGE });
    const previous = shiftMonth(parisDay(ctx.clock.now()).slice(0, 7), -1);
    const canAct = requireSession(request).current?.role === 'admin';
    const base = filter === 'toutes' ? INVOICES_PATH : `${INVOICES_PATH}?statut=${filter}`;
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title: 'Factures des financeurs',
      body: html`${notice(state.status === undefined ? doneMessage(request) : undefined)}
<h1>Factures des financeurs</h1>
<p class="lead">Les financeurs dont les commandes sont facturées à l’usage reçoivent chaque mois une facture pour la valeur de leurs chèques utilisés. Quand leur virement arrive, enregistrez-le sur la facture : le grand livre porte alors l’encaissement.</p>
<p>${
        unpaid.invoices === 0
          ? 'Aucune facture n’attend de règlement.'
          : `${unpaid.invoices.toLocaleString('fr-FR')} facture${unpaid.invoices > 1 ? 's' : ''} en attente de règlement, pour ${formatEuros(unpaid.amountCents)}.`
      }</p>
${
  canAct
    ? html`<h2>Émettre les factures d’un mois</h2>
<form method="post" action="${INVOICES_PATH}" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'month', label: 'Mois d’utilisation des chèques', hint: `Au format AAAA-MM, par exemple ${previous}. Possible une fois passé le jour de grâce des scans tardifs ; émettre deux fois ne change rien.`, value: state.values?.month ?? previous, error: errors.month, required: true })}
  <button type="submit" class="button">Émettre les factures</button>
</form>`
    : ''
}
<h2>Factures</h2>
<form method="get" action="${INVOICES_PATH}" class="filters">
  ${selectField({ name: 'statut', label: 'Règlement', options: (Object.keys(FILTER_LABELS) as PaymentFilter[]).map((value) => ({ value, label: FILTER_LABELS[value] })), value: filter })}
  <button type="submit" class="button button-secondary">Filtrer</button>
</form>
${invoicesTable(invoices, `Factures ${filter === 'toutes' ? '' : `${FILTER_LABELS[filter].toLowerCase()} `}(${total.toLocaleString('fr-FR')})`)}
${pagination(base, page, page * PER_PAGE < total, 'Pages des factures')}
<p><a href="/operateur/comptabilite">Retour à la comptabilité</a></p>`,
    }));
  }

  app.get(INVOICES_PATH, { config: { access: OPERATOR } }, (request, reply) => listPage(request, reply));

  app.post(INVOICES_PATH, { config: { access: OPERATOR_ADMIN } }, async (request, reply) => {
    const form = parseForm(issueForm, request.body);
    if (!form.ok) return listPage(request, reply, { status: 400, values: form.values, errors: form.errors });
    let outcome: string;
    try {
      const { issued, alreadyIssued } = await issueFunderInvoices(ctx, form.data.month);
      outcome = issued.length > 0 ? 'emises' : alreadyIssued > 0 ? 'deja' : 'aucune';
    } catch (error) {
      return listPage(request, reply, { values: form.values, ...formErrorOf(error) });
    }
    return redirectAfterPost(reply, `${INVOICES_PATH}?ok=${outcome}`);
  });

  async function invoicePage(request: FastifyRequest, reply: FastifyReply, state: State = {}) {
    const invoice = await loadFunderInvoice(ctx, invoiceIdOf(request));
    const canAct = requireSession(request).current?.role === 'admin';
    const title = `Facture ${invoice.number}`;
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title,
      body: html`${notice(state.status === undefined ? doneMessage(request) : undefined)}
<h1>${title}</h1>
<dl class="summary">
  <div><dt>Financeur</dt><dd>${invoice.funder.name}</dd></div>
  <div><dt>Chèques utilisés en</dt><dd>${formatMonth(invoice.month)}</dd></div>
  <div><dt>Émise le</dt><dd>${formatLongDate(invoice.issuedOn)}</dd></div>
  <div><dt>Montant</dt><dd>${formatEuros(invoice.totalCents)}</dd></div>
  <div><dt>Règlement</dt><dd>${paymentText(invoice.paid)}</dd></div>
</dl>
<table class="table">
  <caption>Chèques facturés, par commande</caption>
  <thead><tr><th scope="col">Commande</th><th scope="col">Engagement juridique</th><th scope="col">Valeur d’un chèque</th><th scope="col">Chèques</th><th scope="col">Montant</th></tr></thead>
  <tbody>
  ${invoice.lines.map(
    (line) => html`<tr><th scope="row">${line.orderNumber}${line.label ? html`<br><span class="muted">${line.label}</span>` : ''}</th><td>${line.commitmentReference ?? '–'}</td><td>${formatEuros(line.unitCents)}</td><td>${line.vouchers.toLocaleString('fr-FR')}</td><td>${formatEuros(line.amountCents)}</td></tr>`,
  )}
  </tbody>
</table>
<p><a href="${INVOICES_PATH}/${invoice.id}/facture.pdf" download>Télécharger la facture ${invoice.number} (PDF)</a></p>
${
  !invoice.paid && canAct
    ? html`<h2>Enregistrer le règlement</h2>
<form method="post" action="${INVOICES_PATH}/${invoice.id}/reglement" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'reference', label: 'Référence du virement reçu', hint: `Telle que le relevé bancaire la donne. Le virement doit être de ${formatEuros(invoice.totalCents)} ; un règlement ne s’enregistre qu’une fois.`, value: state.values?.reference, error: errors.reference, required: true })}
  <button type="submit" class="button">Enregistrer le règlement de ${formatEuros(invoice.totalCents)}</button>
</form>`
    : ''
}
<p><a href="${INVOICES_PATH}">Retour aux factures des financeurs</a></p>`,
    }));
  }

  app.get(`${INVOICES_PATH}/:id`, { config: { access: OPERATOR } }, (request, reply) => invoicePage(request, reply));

  app.get(`${INVOICES_PATH}/:id/facture.pdf`, { config: { access: OPERATOR } }, async (request, reply) => {
    const invoice = await loadFunderInvoice(ctx, invoiceIdOf(request));
    const pdf = await renderFunderInvoice(invoice);
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="facture-${invoice.number}.pdf"`)
      .type('application/pdf')
      .send(pdf);
  });

  app.post(`${INVOICES_PATH}/:id/reglement`, { config: { access: OPERATOR_ADMIN } }, async (request, reply) => {
    const invoiceId = invoiceIdOf(request);
    const form = parseForm(paymentForm, request.body);
    if (!form.ok) return invoicePage(request, reply, { status: 400, values: form.values, errors: form.errors });
    try {
      await recordFunderPayment(ctx, actorOf(requireSession(request)), invoiceId, form.data.reference);
    } catch (error) {
      return invoicePage(request, reply, { values: form.values, ...formErrorOf(error) });
    }
    return redirectAfterPost(reply, `${INVOICES_PATH}/${invoiceId}?ok=regle`);
  });
}
