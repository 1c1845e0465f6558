import { formatEuros } from '../../../domains/places/catalogue.js';
import { SUBSCRIPTION_PLANS, type PlanPrice, type SubscriptionInvoiceView, type SubscriptionOverview, type SubscriptionPlan } from '../../../domains/settlement/subscriptions.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { formatLongDate, formatMonth, ofMonth } from '../../../lib/paris-dates.js';
import { csrfField, type FieldErrors } from '../../views/forms.js';
import { radiosField } from '../provider/shared.js';

/**
 * The « Abonnement » section of /structure/paiements: the plan, its start and free month, the
 * period running, the next invoice, the invoices, and for an admin the form to choose the plan.
 */

const PLAN_NAMES: Record<SubscriptionPlan, string> = { monthly: 'mensuelle', yearly: 'annuelle' };

function priceText(plan: SubscriptionPlan, price: PlanPrice): string {
  return `${formatEuros(price.excludingVatCents)} HT par ${plan === 'yearly' ? 'an' : 'mois'}, soit ${formatEuros(price.includingVatCents)} TTC`;
}

function planLabel(plan: SubscriptionPlan, price: PlanPrice): string {
  const name = PLAN_NAMES[plan];
  return `Formule ${name} : ${priceText(plan, price)}`;
}

function period(start: string, end: string): string {
  return `du ${formatLongDate(start)} au ${formatLongDate(end)}`;
}

export interface SubscriptionForm {
  csrf: string;
  errors: FieldErrors;
  values: Record<string, string>;
  canChoose: boolean;
}

export function subscriptionSection(overview: SubscriptionOverview, form: SubscriptionForm): SafeHtml {
  const { prices } = overview;
  if (overview.status === 'not_started') {
    return html`<section aria-labelledby="abonnement" class="subscription">
<h2 id="abonnement">Abonnement</h2>
<p>L’abonnement à la plateforme commence avec votre premier chèque encaissé. Le mois de ce premier chèque est offert ; l’abonnement est ensuite déduit de vos virements, avec une facture pour chaque période.</p>
<dl class="summary">
  <dt>Formule</dt><dd>Formule ${PLAN_NAMES[overview.plan]} (${priceText(overview.plan, prices[overview.plan])}), à partir de la première période facturée</dd>
</dl>
${
  form.canChoose
    ? choiceForm(overview, 'Votre choix s’applique dès la première période facturée : celle qui suit le mois de votre premier chèque encaissé, qui est offert.', form)
    : html`<p class="hint">Sans choix de votre part, la formule mensuelle s’applique. Seuls les administrateurs et administratrices de la structure peuvent choisir la formule.</p>`
}
</section>`;
  }
  const { plan, current, next } = overview;
  const planText =
    current && current.plan !== plan
      ? `Formule ${PLAN_NAMES[current.plan]} jusqu’au ${formatLongDate(current.periodEnd)}, puis formule ${PLAN_NAMES[plan]} (${priceText(plan, prices[plan])})`
      : `Formule ${PLAN_NAMES[plan]} (${priceText(plan, prices[plan])})`;
  return html`<section aria-labelledby="abonnement" class="subscription">
<h2 id="abonnement">Abonnement</h2>
<dl class="summary">
  <dt>Formule</dt><dd>${planText}</dd>
  <dt>Début de l’abonnement</dt><dd>${formatLongDate(overview.startedOn)}, date du service de votre premier chèque encaissé</dd>
  <dt>Premier mois offert</dt><dd>${formatMonth(overview.startedOn)}</dd>
  ${current ? html`<dt>Période en cours</dt><dd>${period(current.periodStart, current.periodEnd)}, formule ${PLAN_NAMES[current.plan]}, facture ${current.number}${current.plan === 'yearly' ? ' (déjà facturée : ni modifiable ni remboursable)' : ''}</dd>` : ''}
  <dt>Prochaine facture</dt><dd>Période ${period(next.start, next.end)}, formule ${PLAN_NAMES[next.plan]} : ${formatEuros(next.price.excludingVatCents)} HT + ${formatEuros(next.price.vatCents)} de TVA = <strong>${formatEuros(next.price.includingVatCents)} TTC</strong>. Établie lors du règlement des services ${ofMonth(next.start)}, elle est déduite de ce virement, ou reportée sur un virement suivant s’il ne la couvre pas.</dd>
</dl>
${invoicesTable(overview.invoices)}
${form.canChoose ? choiceForm(overview, `Votre choix s’applique à partir de la prochaine période non facturée, qui commence le ${formatLongDate(next.start)}. Une période déjà facturée n’est ni modifiée ni remboursée.`, form) : html`<p class="hint">Seuls les administrateurs et administratrices de la structure peuvent changer la formule de l’abonnement.</p>`}
</section>`;
}

function invoicesTable(invoices: readonly SubscriptionInvoiceView[]): SafeHtml {
  return html`<table class="table">
  <caption>Factures d’abonnement (${String(invoices.length)})</caption>
  <thead><tr><th scope="col">Facture</th><th scope="col">Période</th><th scope="col">Formule</th><th scope="col">Montant HT</th><th scope="col">TVA</th><th scope="col">Montant TTC</th><th scope="col">Règlement</th></tr></thead>
  <tbody>
  ${invoices.map(
    (invoice) => html`<tr>
    <th scope="row"><a href="/structure/paiements/factures/${invoice.id}/facture.pdf" download>Facture ${invoice.number} (PDF)</a></th>
    <td>${period(invoice.periodStart, invoice.periodEnd)}</td>
    <td>${PLAN_NAMES[invoice.plan]}</td>
    <td>${formatEuros(invoice.excludingVatCents)}</td>
    <td>${formatEuros(invoice.vatCents)}</td>
    <td>${formatEuros(invoice.includingVatCents)}</td>
    <td>${invoice.deductedBy ? `Déduite du virement du relevé ${invoice.deductedBy}` : 'Reportée : déduite d’un prochain virement qui la couvre'}</td>
  </tr>`,
  )}
  ${invoices.length === 0 ? html`<tr><td colspan="7">Aucune facture pour l’instant : le premier mois est offert.</td></tr>` : ''}
  </tbody>
</table>`;
}

function choiceForm(overview: SubscriptionOverview, hint: string, form: SubscriptionForm): SafeHtml {
  return html`<h3>Choisir la formule</h3>
<form method="post" action="/structure/paiements/abonnement" novalidate>
  ${csrfField(form.csrf)}
  ${radiosField({
    name: 'plan',
    legend: 'Formule de l’abonnement',
    hint,
    options: SUBSCRIPTION_PLANS.map((plan) => ({ value: plan, label: planLabel(plan, overview.prices[plan]) })),
    value: form.values.plan ?? overview.plan,
    error: form.errors.plan,
  })}
  <button type="submit" class="button">Enregistrer la formule</button>
</form>`;
}
