import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import type { OrderStatus } from '../../../db/schema.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { loadExpiryConfirmation } from '../../../domains/expiry/confirm-expiry.js';
import { findOrderCreditNote } from '../../../domains/expiry/credit-notes.js';
import { formatEuros } from '../../../domains/places/catalogue.js';
import { loadOrderDetail, type OrderDetail } from '../../../domains/vouchers/funder-views.js';
import { issueOrder } from '../../../domains/vouchers/issue-vouchers.js';
import { orderTotalCents } from '../../../domains/vouchers/order-model.js';
import { commitOrder, listOrders } from '../../../domains/vouchers/orders.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { OPERATOR, OPERATOR_ADMIN } from '../../access.js';
import { redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice, selectField, textField, type FieldErrors } from '../../views/forms.js';
import { ORDER_STATUS_LABELS } from '../../views/voucher-labels.js';
import { parseForm, sendFormPage, sendPage } from '../page.js';
import { formValues, one, type FormValues } from '../provider-places/fields.js';
import { orderDocumentRoutes } from '../funder/documents.js';
import { expiryPanel } from '../funder/expiry-views.js';
import { formErrorOf, orderIdOf, type PageState } from '../funder/fields.js';
import { documentLinks, orderSummary, orderTitle, ordersTable } from '../funder/order-view.js';

const STATUSES = Object.keys(ORDER_STATUS_LABELS) as OrderStatus[];

const DONE_MESSAGES: Record<string, string> = {
  paiement: 'Le virement est enregistré : la commande est payée, les chèques peuvent être émis.',
  emission: 'Les chèques sont émis.',
};

const paymentForm = z.object({
  reference: z
    .string({ message: 'Saisissez la référence du virement reçu' })
    .trim()
    .min(1, 'Saisissez la référence du virement reçu, telle que le relevé bancaire la donne')
    .max(100, 'La référence fait au plus 100 caractères'),
});

function operatorSteps(detail: OrderDetail, csrf: string, values: FormValues, errors: FieldErrors): SafeHtml | '' {
  const { order } = detail;
  const base = `/operateur/commandes/${order.id}`;
  if (order.status === 'confirmed' && order.funding_mode === 'prepaid') {
    return html`<h2>Enregistrer le virement</h2>
<p>À faire à réception du virement de <strong>${formatEuros(orderTotalCents(order))}</strong>${order.invoice_number ? html` (facture <strong>${order.invoice_number}</strong>)` : ''} sur le compte de la plateforme.</p>
<form method="post" action="${base}/paiement" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'reference', label: 'Référence du virement', hint: 'Telle que le relevé bancaire la donne.', value: one(values, 'reference'), error: errors.reference, required: true })}
  <button type="submit" class="button">Enregistrer le virement reçu</button>
</form>`;
  }
  if (order.status === 'confirmed') {
    return html`<p>Le financeur doit encore saisir son numéro d’engagement juridique.</p>`;
  }
  if (order.status === 'committed') {
    return html`<h2>Émettre les chèques</h2>
<form method="post" action="${base}/emission">
  ${csrfField(csrf)}
  <p>Le financeur peut aussi les émettre lui-même depuis sa page.</p>
  <button type="submit" class="button">Émettre les chèques</button>
</form>`;
  }
  return '';
}

/** The operator's view of all orders (/operateur/commandes): record a prepayment, issue, print. */
export function operatorOrderRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/operateur/commandes', { config: { access: OPERATOR } }, async (request, reply) => {
    const raw = (request.query as { statut?: unknown }).statut;
    const status = typeof raw === 'string' && (STATUSES as string[]).includes(raw) ? (raw as OrderStatus) : undefined;
    const orders = await listOrders(ctx, status === undefined ? {} : { status });
    return sendPage(request, reply, () => ({
      title: 'Commandes de chèques',
      body: html`<h1>Commandes de chèques</h1>
<p class="lead">Les commandes de tous les financeurs. Une commande payée d’avance attend ici l’enregistrement de son virement.</p>
<form method="get" action="/operateur/commandes" class="filters">
  ${selectField({
    name: 'statut',
    label: 'Étape',
    options: [{ value: '', label: 'Toutes' }, ...STATUSES.map((s) => ({ value: s, label: ORDER_STATUS_LABELS[s] }))],
    value: status ?? '',
  })}
  <button type="submit" class="button button-secondary">Filtrer</button>
</form>
${ordersTable(orders, {
  hrefBase: '/operateur/commandes',
  showFunder: true,
  caption: `${status ? `Commandes à l’étape « ${ORDER_STATUS_LABELS[status]} »` : 'Toutes les commandes'} (${orders.length})`,
})}`,
    }));
  });

  async function detailPage(request: FastifyRequest, reply: FastifyReply, orderId: string, state: PageState) {
    const detail = await loadOrderDetail(ctx, { orderId });
    const ok = (request.query as { ok?: unknown }).ok;
    const base = `/operateur/commandes/${detail.order.id}`;
    // The order's end as its funder sees it (J-15 notice, confirmation, credit note), without the form.
    const [confirmation, creditNote] =
      detail.order.status === 'issued' ? await Promise.all([loadExpiryConfirmation(ctx, detail.order), findOrderCreditNote(ctx, detail.order.id)]) : [{ kind: 'not_due' } as const, undefined];
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title: orderTitle(detail.order),
      body: html`${notice(state.status === undefined && typeof ok === 'string' ? DONE_MESSAGES[ok] : undefined)}
<h1>${orderTitle(detail.order)}</h1>
${orderSummary(detail, { showFunder: true })}
${expiryPanel({ reader: { kind: 'operator' }, confirmation, creditNote })}
${operatorSteps(detail, csrf, state.values ?? {}, errors)}
${documentLinks(base, detail.order, creditNote)}
<p><a href="/operateur/commandes">Retour aux commandes</a></p>`,
    }));
  }

  app.get('/operateur/commandes/:id', { config: { access: OPERATOR } }, (request, reply) => detailPage(request, reply, orderIdOf(request), {}));

  app.post('/operateur/commandes/:id/paiement', { config: { access: OPERATOR_ADMIN } }, async (request, reply) => {
    const orderId = orderIdOf(request);
    const values = formValues(request.body);
    const form = parseForm(paymentForm, request.body);
    if (!form.ok) return detailPage(request, reply, orderId, { status: 400, values, errors: form.errors });
    try {
      const { order } = await loadOrderDetail(ctx, { orderId });
      // Only a prepayment is received by the platform; an order billed on use is engaged by its funder.
      if (order.funding_mode !== 'prepaid') return detailPage(request, reply, orderId, { status: 409, values, formError: 'Cette commande est facturée à l’usage : il n’y a pas de virement à enregistrer.' });
      await commitOrder(ctx, actorOf(requireSession(request)), { orderId, reference: form.data.reference, by: { kind: 'operator' } });
    } catch (error) {
      return detailPage(request, reply, orderId, { values, ...formErrorOf(error) });
    }
    return redirectAfterPost(reply, `/operateur/commandes/${orderId}?ok=paiement`);
  });

  app.post('/operateur/commandes/:id/emission', { config: { access: OPERATOR_ADMIN } }, async (request, reply) => {
    const orderId = orderIdOf(request);
    try {
      await issueOrder(ctx, actorOf(requireSession(request)), { orderId });
    } catch (error) {
      return detailPage(request, reply, orderId, formErrorOf(error));
    }
    return redirectAfterPost(reply, `/operateur/commandes/${orderId}?ok=emission`);
  });

  orderDocumentRoutes(app, ctx, { prefix: '/operateur/commandes', access: OPERATOR, funderIdOf: () => undefined });
}
