import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { formatEuros } from '../../../domains/places/catalogue.js';
import { listProviderPayouts, loadStatement, nextTransfer, PAYOUT_STATUS_LABELS, type NextTransfer, type PayoutSummary } from '../../../domains/settlement/statements.js';
import { chooseSubscriptionPlan, loadSubscriptionInvoice, loadSubscriptionOverview, SUBSCRIPTION_PLANS } from '../../../domains/settlement/subscriptions.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { formatLongDate, formatMonth, ofMonth, parisDay } from '../../../lib/paris-dates.js';
import { renderStatement } from '../../../print/statement.js';
import { renderSubscriptionInvoice } from '../../../print/subscription-invoice.js';
import { PROVIDER, PROVIDER_ADMIN } from '../../access.js';
import { currentMembership, redirectAfterPost } from '../../request-context.js';
import { notice } from '../../views/forms.js';
import { parseForm, sendFormPage, type FormState } from '../page.js';
import { applicant, formErrorsOf } from '../provider/shared.js';
import { subscriptionSection } from './subscription-section.js';

const planForm = z.object({
  plan: z.enum(SUBSCRIPTION_PLANS, { message: 'Choisissez la formule mensuelle ou annuelle' }),
});

/** Messages after a Post/Redirect/Get, chosen by a code in the query string (never free text). */
const DONE_MESSAGES: Record<string, string> = {
  abonnement: 'La formule de l’abonnement est enregistrée : elle s’applique à partir de la prochaine période non facturée (la première, si aucune ne l’est encore).',
  'abonnement-inchange': 'C’était déjà la formule de votre abonnement : rien n’a changé.',
};

/**
 * A provider's money (/structure/paiements): the next transfer as known today, the payouts made
 * with their state, the statement of each as a PDF, and the subscription (subscription-section.ts),
 * whose plan an admin of the provider chooses, with each invoice as a PDF. Only the provider's
 * own: another's statement or invoice answers 404, as one that does not exist.
 */
export function providerMoneyRoutes(app: FastifyInstance, ctx: AppContext) {
  async function moneyPage(request: FastifyRequest, reply: FastifyReply, state: FormState) {
    const membership = currentMembership(request);
    const providerId = membership.organisationId;
    const now = ctx.clock.now();
    const [next, payouts, subscription] = await Promise.all([
      nextTransfer(ctx, providerId, now),
      listProviderPayouts(ctx, providerId),
      loadSubscriptionOverview(ctx, providerId, parisDay(now)),
    ]);
    const ok = (request.query as { ok?: unknown }).ok;
    return sendFormPage(request, reply, state, (csrf, errors) => ({
      title: 'Paiements et relevés',
      body: html`${notice(typeof ok === 'string' ? DONE_MESSAGES[ok] : undefined)}
<h1>Paiements et relevés</h1>
<p class="lead">Chaque mois, la plateforme vous rembourse par virement les chèques encaissés pour les services du mois précédent, moins 4 % de frais. Chaque virement a son relevé, qui détaille chaque service et chaque chèque payés.</p>
${nextTransferSection(next)}
${payoutsTable(payouts)}
${subscriptionSection(subscription, { csrf, errors, values: state.values ?? {}, canChoose: membership.role === 'admin' })}`,
    }));
  }

  app.get('/structure/paiements', { config: { access: PROVIDER } }, (request, reply) => moneyPage(request, reply, {}));

  app.post('/structure/paiements/abonnement', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const form = parseForm(planForm, request.body);
    if (!form.ok) return moneyPage(request, reply, { status: 400, errors: form.errors, values: form.values });
    const { actor, providerId } = applicant(request);
    let changed: boolean;
    try {
      ({ changed } = await chooseSubscriptionPlan(ctx, actor, providerId, form.data.plan));
    } catch (error) {
      const { status, ...shown } = formErrorsOf(error);
      return moneyPage(request, reply, { status, ...shown, values: form.values });
    }
    return redirectAfterPost(reply, `/structure/paiements?ok=${changed ? 'abonnement' : 'abonnement-inchange'}#abonnement`);
  });

  app.get('/structure/paiements/:id/releve.pdf', { config: { access: PROVIDER } }, async (request, reply) => {
    const statement = await loadStatement(ctx, idOf(request), currentMembership(request).organisationId);
    return sendPdf(reply, `releve-${statement.statementNumber}.pdf`, await renderStatement(statement));
  });

  // Any member reads the invoices, as the statements: only the plan's choice is an admin's.
  app.get('/structure/paiements/factures/:id/facture.pdf', { config: { access: PROVIDER } }, async (request, reply) => {
    const invoice = await loadSubscriptionInvoice(ctx, idOf(request), currentMembership(request).organisationId);
    return sendPdf(reply, `facture-${invoice.number}.pdf`, await renderSubscriptionInvoice(invoice));
  });
}

function idOf(request: FastifyRequest): string {
  return String((request.params as { id?: unknown }).id ?? '');
}

/** Money documents are never cached: a shared computer keeps no copy. */
function sendPdf(reply: FastifyReply, fileName: string, pdf: Buffer) {
  return reply.header('cache-control', 'no-store').header('content-disposition', `attachment; filename="${fileName}"`).type('application/pdf').send(pdf);
}

function nextTransferSection(next: NextTransfer): SafeHtml {
  return html`<section aria-labelledby="prochain-virement">
<h2 id="prochain-virement">Prochain virement</h2>
<p>Prévu le <strong>${formatLongDate(next.expectedOn)}</strong>, pour les services ${ofMonth(next.month)}${next.redemptions > 0 ? ' et ceux des mois précédents non encore payés' : ''}.</p>
<dl class="summary">
  <dt>Services à payer</dt><dd>${next.redemptions.toLocaleString('fr-FR')}</dd>
  <dt>Valeur des chèques</dt><dd>${formatEuros(next.grossCents)}</dd>
  <dt>Frais (plateforme et fonds territorial)</dt><dd>${next.feesCents > 0 ? `− ${formatEuros(next.feesCents)}` : formatEuros(0)}</dd>
  ${next.subscriptionCents > 0 ? html`<dt>Abonnement à déduire</dt><dd>− ${formatEuros(next.subscriptionCents)} (facture${next.subscriptionInvoices.length > 1 ? 's' : ''} ${next.subscriptionInvoices.join(', ')})</dd>` : ''}
  ${next.carriedInCents > 0 ? html`<dt>Virement rejeté, payé à nouveau</dt><dd>+ ${formatEuros(next.carriedInCents)}</dd>` : ''}
  ${next.subscriptionCarriedOverCents > 0 ? html`<dt>Abonnement reporté sur un virement suivant</dt><dd>${formatEuros(next.subscriptionCarriedOverCents)}</dd>` : ''}
  <dt>Montant connu à ce jour</dt><dd><strong>${formatEuros(next.netCents)}</strong></dd>
</dl>
<p class="hint">Les services encore à enregistrer pour ce mois s’y ajouteront. Le montant définitif figure sur le relevé établi lors du règlement mensuel.</p>
</section>`;
}

function payoutsTable(payouts: readonly PayoutSummary[]): SafeHtml {
  return html`<table class="table">
  <caption>Virements (${String(payouts.length)})</caption>
  <thead><tr><th scope="col">Mois des services</th><th scope="col">Relevé</th><th scope="col">Montant viré</th><th scope="col">État</th><th scope="col">Date du virement</th></tr></thead>
  <tbody>
  ${payouts.map(
    (payout) => html`<tr>
    <th scope="row">${formatMonth(payout.month)}</th>
    <td><a href="/structure/paiements/${payout.id}/releve.pdf" download>Relevé ${payout.statementNumber}<span class="visually-hidden"> des services ${ofMonth(payout.month)}</span> (PDF)</a></td>
    <td>${formatEuros(payout.netCents)}</td>
    <td>${PAYOUT_STATUS_LABELS[payout.status]}${payout.status === 'rejected' && payout.rejectedReason ? html`<br><span class="muted">Motif : ${payout.rejectedReason}</span>` : ''}</td>
    <td>${payout.status === 'nothing_to_pay' ? '–' : formatLongDate(payout.requestedOn)}</td>
  </tr>`,
  )}
  ${payouts.length === 0 ? html`<tr><td colspan="5">Aucun virement pour l’instant : le premier suivra le règlement du mois de vos premiers chèques encaissés.</td></tr>` : ''}
  </tbody>
</table>`;
}
