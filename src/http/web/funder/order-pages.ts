import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { listOrdersToConfirm } from '../../../domains/expiry/confirm-expiry.js';
import { loadReferential } from '../../../domains/referential/publish-referential.js';
import { loadOrderDetail } from '../../../domains/vouchers/funder-views.js';
import { formatOrderNumber, orderForm } from '../../../domains/vouchers/order-model.js';
import { listOrders, saveDraftOrder, type OrderRow } from '../../../domains/vouchers/orders.js';
import { html } from '../../../lib/html.js';
import { FUNDER } from '../../access.js';
import { currentMembership, redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice } from '../../views/forms.js';
import { parseForm, sendFormPage, sendPage } from '../page.js';
import { formValues } from '../provider-places/fields.js';
import { expiryBanner } from './expiry-views.js';
import { formErrorOf, orderIdOf, type PageState } from './fields.js';
import { orderFormFields, valuesOfOrder } from './order-form.js';
import { ordersTable, orderTitle } from './order-view.js';

/** The funder's orders: the list, a new order, a draft changed. The detail page is order-detail.ts. */
export function funderOrderPages(app: FastifyInstance, ctx: AppContext) {
  app.get('/financeur/commandes', { config: { access: FUNDER } }, async (request, reply) => {
    const current = currentMembership(request);
    const [orders, toConfirm] = await Promise.all([listOrders(ctx, { funderId: current.organisationId }), listOrdersToConfirm(ctx, current.organisationId)]);
    const cancelled = (request.query as { ok?: unknown }).ok === 'annulee';
    return sendPage(request, reply, () => ({
      title: 'Commandes de chèques',
      body: html`${notice(cancelled ? 'La commande est annulée.' : undefined)}
<h1>Commandes de chèques</h1>
${expiryBanner(toConfirm)}
<p class="lead">Les carnets de pass numériques commandés par ${current.organisationName} : où en est chaque commande, combien de carnets sont confiés aux distributeurs, remis aux personnes, et combien de chèques ont servi.</p>
<p><a class="button" href="/financeur/commandes/nouvelle">Nouvelle commande</a></p>
${ordersTable(orders, { hrefBase: '/financeur/commandes', showFunder: false, caption: `Commandes (${orders.length})` })}`,
    }));
  });

  async function newOrderPage(request: FastifyRequest, reply: FastifyReply, state: PageState) {
    const referential = await loadReferential(ctx.db);
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title: 'Nouvelle commande',
      body: html`<h1>Nouvelle commande de chèques</h1>
<p class="lead">La commande reste un brouillon, modifiable, tant que vous ne l’avez pas confirmée.</p>
<form method="post" action="/financeur/commandes/nouvelle" novalidate>
  ${csrfField(csrf)}
  ${orderFormFields(state.values ?? {}, errors, referential)}
  <button type="submit" class="button">Enregistrer le brouillon</button>
</form>
<p><a href="/financeur/commandes">Retour aux commandes</a></p>`,
    }));
  }

  app.get('/financeur/commandes/nouvelle', { config: { access: FUNDER } }, (request, reply) => newOrderPage(request, reply, {}));

  app.post('/financeur/commandes/nouvelle', { config: { access: FUNDER } }, async (request, reply) => {
    const values = formValues(request.body);
    const form = parseForm(orderForm, request.body);
    if (!form.ok) return newOrderPage(request, reply, { status: 400, values, errors: form.errors });
    const funderId = currentMembership(request).organisationId;
    let order: OrderRow;
    try {
      order = await saveDraftOrder(ctx, actorOf(requireSession(request)), funderId, form.data);
    } catch (error) {
      return newOrderPage(request, reply, { values, ...formErrorOf(error) });
    }
    return redirectAfterPost(reply, `/financeur/commandes/${order.id}?ok=enregistree`);
  });

  async function editOrderPage(request: FastifyRequest, reply: FastifyReply, order: OrderRow, state: PageState) {
    const referential = await loadReferential(ctx.db);
    const editable = order.status === 'draft';
    return sendFormPage(request, reply, { status: state.status ?? (editable ? 200 : 409), errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title: `Modifier la commande ${formatOrderNumber(order.number)}`,
      body: editable
        ? html`<h1>Modifier la commande ${formatOrderNumber(order.number)}</h1>
<form method="post" action="/financeur/commandes/${order.id}/modifier" novalidate>
  ${csrfField(csrf)}
  ${orderFormFields(state.values ?? valuesOfOrder(order), errors, referential)}
  <button type="submit" class="button">Enregistrer les modifications</button>
</form>
<p><a href="/financeur/commandes/${order.id}">Retour à la commande</a></p>`
        : html`<h1>${orderTitle(order)}</h1>
<p>Une commande confirmée ne se modifie plus. Annulez-la si besoin, puis passez-en une nouvelle.</p>
<p><a href="/financeur/commandes/${order.id}">Retour à la commande</a></p>`,
    }));
  }

  app.get('/financeur/commandes/:id/modifier', { config: { access: FUNDER } }, async (request, reply) => {
    const { order } = await loadOrderDetail(ctx, { orderId: orderIdOf(request), funderId: currentMembership(request).organisationId });
    return editOrderPage(request, reply, order, {});
  });

  app.post('/financeur/commandes/:id/modifier', { config: { access: FUNDER } }, async (request, reply) => {
    const funderId = currentMembership(request).organisationId;
    const { order } = await loadOrderDetail(ctx, { orderId: orderIdOf(request), funderId });
    const values = formValues(request.body);
    const form = parseForm(orderForm, request.body);
    if (!form.ok) return editOrderPage(request, reply, order, { status: 400, values, errors: form.errors });
    try {
      await saveDraftOrder(ctx, actorOf(requireSession(request)), funderId, form.data, order.id);
    } catch (error) {
      return editOrderPage(request, reply, order, { values, ...formErrorOf(error) });
    }
    return redirectAfterPost(reply, `/financeur/commandes/${order.id}?ok=modifiee`);
  });
}
