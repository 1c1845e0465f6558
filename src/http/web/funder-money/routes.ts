import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { listOrdersToConfirm } from '../../../domains/expiry/confirm-expiry.js';
import { listFunderCreditNotes, type CreditNoteSummary } from '../../../domains/expiry/credit-notes.js';
import { formatEuros } from '../../../domains/places/catalogue.js';
import { formatSiret } from '../../../domains/providers/identifiers.js';
import { formatBillingAddress, loadFunderBillingDetails, type FunderBillingDetails } from '../../../domains/settlement/funder-billing-details.js';
import { listFunderInvoices, loadFunderInvoice, type FunderInvoiceSummary } from '../../../domains/settlement/funder-invoices.js';
import { funderMonthlyStatement, listFunderStatementMonths, type FunderMonthlyStatement, type FunderMonthSummary } from '../../../domains/settlement/statements.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { formatLongDate, formatMonth, ofMonth } from '../../../lib/paris-dates.js';
import { renderFunderInvoice } from '../../../print/funder-invoice.js';
import { renderFunderStatement } from '../../../print/funder-statement.js';
import { FUNDER } from '../../access.js';
import { currentMembership } from '../../request-context.js';
import { FUNDING_MODE_LABELS } from '../../views/voucher-labels.js';
import { expiryBanner } from '../funder/expiry-views.js';
import { sendPage } from '../page.js';
import { funderBillingRoutes } from './billing-page.js';

/**
 * A funder's statements (/financeur/releves): by month, what its vouchers paid (per order, per
 * commune, per place), as a page and as a PDF; and, for orders billed on use, its monthly
 * invoices with their state; and the credit notes of its orders' unused vouchers (domains/expiry),
 * whose PDF is an order document (/financeur/commandes/:id/avoir.pdf). Only its own: another
 * funder's invoice or credit note answers 404. The billing address its invoices carry has its own
 * page (billing-page.ts, /financeur/facturation), linked under the invoices.
 */
export function funderMoneyRoutes(app: FastifyInstance, ctx: AppContext) {
  funderBillingRoutes(app, ctx);

  app.get('/financeur/releves', { config: { access: FUNDER } }, async (request, reply) => {
    const membership = currentMembership(request);
    const funderId = membership.organisationId;
    const [months, invoices, creditNotes, toConfirm, billing] = await Promise.all([
      listFunderStatementMonths(ctx, funderId),
      listFunderInvoices(ctx, funderId),
      listFunderCreditNotes(ctx, funderId),
      listOrdersToConfirm(ctx, funderId),
      loadFunderBillingDetails(ctx, funderId),
    ]);
    return sendPage(request, reply, () => ({
      title: 'Relevés et factures',
      body: html`<h1>Relevés et factures</h1>
${expiryBanner(toConfirm)}
<p class="lead">Ce que vos chèques ont payé, mois par mois : par commande, par commune et par lieu. Les commandes facturées à l’usage reçoivent chaque mois une facture des chèques utilisés. À l’échéance d’une commande, un avoir vous rend la valeur de ses chèques non utilisés.</p>
${monthsTable(months)}
${invoicesTable(invoices)}
${billingNote(billing, membership.role === 'admin')}
${creditNotesTable(creditNotes)}`,
    }));
  });

  app.get('/financeur/releves/factures/:id/facture.pdf', { config: { access: FUNDER } }, async (request, reply) => {
    const funderId = currentMembership(request).organisationId;
    const invoice = await loadFunderInvoice(ctx, String((request.params as { id?: unknown }).id ?? ''), funderId);
    return sendPdf(reply, `facture-${invoice.number}.pdf`, await renderFunderInvoice(invoice));
  });

  app.get('/financeur/releves/:month', { config: { access: FUNDER } }, async (request, reply) => {
    const statement = await statementOf(request);
    const month = formatMonth(statement.month);
    return sendPage(request, reply, () => ({
      title: `Relevé ${ofMonth(statement.month)}`,
      body: html`<h1>Relevé ${ofMonth(statement.month)}</h1>
${summary(statement)}
<p><a class="button" href="/financeur/releves/${statement.month.slice(0, 7)}/releve.pdf" download>Télécharger le relevé ${ofMonth(statement.month)} (PDF)</a></p>
${statementTables(statement)}
<p><a href="/financeur/releves">Retour aux relevés</a></p>`,
    }));
  });

  app.get('/financeur/releves/:month/releve.pdf', { config: { access: FUNDER } }, async (request, reply) => {
    const statement = await statementOf(request);
    return sendPdf(reply, `releve-${statement.month.slice(0, 7)}.pdf`, await renderFunderStatement(statement));
  });

  function statementOf(request: FastifyRequest): Promise<FunderMonthlyStatement> {
    return funderMonthlyStatement(ctx, currentMembership(request).organisationId, String((request.params as { month?: unknown }).month ?? ''));
  }
}

function sendPdf(reply: FastifyReply, fileName: string, pdf: Buffer) {
  return reply.header('cache-control', 'no-store').header('content-disposition', `attachment; filename="${fileName}"`).type('application/pdf').send(pdf);
}

function monthsTable(months: readonly FunderMonthSummary[]): SafeHtml {
  return html`<table class="table">
  <caption>Relevés mensuels (${String(months.length)})</caption>
  <thead><tr><th scope="col">Mois des services</th><th scope="col">Services payés</th><th scope="col">Chèques utilisés</th><th scope="col">Montant</th><th scope="col">Relevé</th></tr></thead>
  <tbody>
  ${months.map((entry) => {
    const month = formatMonth(entry.month);
    const key = entry.month.slice(0, 7);
    return html`<tr>
    <th scope="row"><a href="/financeur/releves/${key}">${month}</a></th>
    <td>${entry.services.toLocaleString('fr-FR')}</td>
    <td>${entry.vouchers.toLocaleString('fr-FR')}</td>
    <td>${formatEuros(entry.amountCents)}</td>
    <td><a href="/financeur/releves/${key}/releve.pdf" download>Relevé<span class="visually-hidden"> ${ofMonth(entry.month)}</span> (PDF)</a></td>
  </tr>`;
  })}
  ${months.length === 0 ? html`<tr><td colspan="5">Aucun chèque utilisé pour l’instant.</td></tr>` : ''}
  </tbody>
</table>`;
}

function invoicesTable(invoices: readonly FunderInvoiceSummary[]): SafeHtml {
  return html`<table class="table">
  <caption>Factures des commandes facturées à l’usage (${String(invoices.length)})</caption>
  <thead><tr><th scope="col">Facture</th><th scope="col">Chèques utilisés en</th><th scope="col">Montant</th><th scope="col">Émise le</th><th scope="col">État</th></tr></thead>
  <tbody>
  ${invoices.map(
    (invoice) => html`<tr>
    <th scope="row"><a href="/financeur/releves/factures/${invoice.id}/facture.pdf" download>Facture ${invoice.number} (PDF)</a></th>
    <td>${formatMonth(invoice.month)}</td>
    <td>${formatEuros(invoice.amountCents)}</td>
    <td>${formatLongDate(invoice.issuedOn)}</td>
    <td>${invoice.paid ? `Réglée le ${formatLongDate(invoice.paid.on)}` : 'À régler'}</td>
  </tr>`,
  )}
  ${invoices.length === 0 ? html`<tr><td colspan="5">Aucune facture : vos commandes facturées à l’usage reçoivent une facture le mois suivant l’utilisation de leurs chèques.</td></tr>` : ''}
  </tbody>
</table>`;
}

/** Under the invoices: the address they carry, or, while there is none, an invitation to give it. */
function billingNote(billing: FunderBillingDetails | null, isAdmin: boolean): SafeHtml {
  if (billing) {
    return html`<p>Adresse imprimée sur les factures à venir : ${formatBillingAddress(billing)}${billing.siret ? ` (SIRET ${formatSiret(billing.siret)})` : ''}. <a href="/financeur/facturation">${isAdmin ? 'Modifier l’adresse de facturation' : 'Voir l’adresse de facturation'}</a></p>`;
  }
  return isAdmin
    ? html`<p class="hint">Vos factures ne portent que le nom de votre organisation : <a href="/financeur/facturation">renseignez son adresse de facturation</a>.</p>`
    : html`<p class="hint">Vos factures ne portent que le nom de votre organisation : un administrateur ou une administratrice peut renseigner son <a href="/financeur/facturation">adresse de facturation</a>.</p>`;
}

function creditNotesTable(notes: readonly CreditNoteSummary[]): SafeHtml {
  return html`<table class="table">
  <caption>Avoirs pour chèques non utilisés (${String(notes.length)})</caption>
  <thead><tr><th scope="col">Avoir</th><th scope="col">Commande</th><th scope="col">Montant</th><th scope="col">Émis le</th></tr></thead>
  <tbody>
  ${notes.map(
    (note) => html`<tr>
    <th scope="row"><a href="/financeur/commandes/${note.orderId}/avoir.pdf" download>Avoir ${note.number} (PDF)</a></th>
    <td><a href="/financeur/commandes/${note.orderId}">${note.orderNumber}</a>${note.orderLabel ? html`<br><span class="muted">${note.orderLabel}</span>` : ''}</td>
    <td>${formatEuros(note.amountCents)}</td>
    <td>${formatLongDate(note.issuedOn)}</td>
  </tr>`,
  )}
  ${notes.length === 0 ? html`<tr><td colspan="4">Aucun avoir : un avoir est établi le lendemain du mois de tolérance qui suit la fin de validité d’une commande, pour la valeur de ses chèques non utilisés.</td></tr>` : ''}
  </tbody>
</table>`;
}

function summary(statement: FunderMonthlyStatement): SafeHtml {
  const { totals } = statement;
  return html`<dl class="summary">
  <dt>Services payés</dt><dd>${totals.services.toLocaleString('fr-FR')}</dd>
  <dt>Chèques utilisés</dt><dd>${totals.vouchers.toLocaleString('fr-FR')}</dd>
  <dt>Montant</dt><dd><strong>${formatEuros(totals.amountCents)}</strong></dd>
  <dt>Lieux</dt><dd>${statement.byPlace.length.toLocaleString('fr-FR')}</dd>
  ${statement.invoice ? html`<dt>Facture du mois</dt><dd><a href="/financeur/releves/factures/${statement.invoice.id}/facture.pdf" download>Facture ${statement.invoice.number} (PDF)</a>, ${formatEuros(statement.invoice.amountCents)}</dd>` : ''}
</dl>`;
}

function statementTables(statement: FunderMonthlyStatement): SafeHtml {
  return html`<table class="table">
  <caption>Par commande</caption>
  <thead><tr><th scope="col">Commande</th><th scope="col">Financement</th><th scope="col">Chèques</th><th scope="col">Montant</th></tr></thead>
  <tbody>
  ${statement.byOrder.map(
    (order) => html`<tr><th scope="row"><a href="/financeur/commandes/${order.orderId}">${order.orderNumber}</a>${order.label ? html`<br><span class="muted">${order.label}</span>` : ''}</th><td>${FUNDING_MODE_LABELS[order.fundingMode]}</td><td>${order.vouchers.toLocaleString('fr-FR')}</td><td>${formatEuros(order.amountCents)}</td></tr>`,
  )}
  ${statement.byOrder.length === 0 ? html`<tr><td colspan="4">Aucun chèque utilisé ce mois-ci.</td></tr>` : ''}
  </tbody>
</table>
<table class="table">
  <caption>Par commune</caption>
  <thead><tr><th scope="col">Commune</th><th scope="col">Services</th><th scope="col">Chèques</th><th scope="col">Montant</th></tr></thead>
  <tbody>
  ${statement.byCommune.map(
    (commune) => html`<tr><th scope="row">${commune.commune}${commune.inseeCode ? html` <span class="muted">(${commune.inseeCode})</span>` : ''}</th><td>${commune.services.toLocaleString('fr-FR')}</td><td>${commune.vouchers.toLocaleString('fr-FR')}</td><td>${formatEuros(commune.amountCents)}</td></tr>`,
  )}
  ${statement.byCommune.length === 0 ? html`<tr><td colspan="4">Aucune commune ce mois-ci.</td></tr>` : ''}
  </tbody>
</table>
<table class="table">
  <caption>Par lieu</caption>
  <thead><tr><th scope="col">Lieu</th><th scope="col">Commune</th><th scope="col">Services</th><th scope="col">Chèques</th><th scope="col">Montant</th></tr></thead>
  <tbody>
  ${statement.byPlace.map(
    (place) => html`<tr><th scope="row">${place.placeName}</th><td>${place.postcode} ${place.commune}</td><td>${place.services.toLocaleString('fr-FR')}</td><td>${place.vouchers.toLocaleString('fr-FR')}</td><td>${formatEuros(place.amountCents)}</td></tr>`,
  )}
  ${statement.byPlace.length === 0 ? html`<tr><td colspan="5">Aucun lieu ce mois-ci.</td></tr>` : ''}
  </tbody>
</table>`;
}
