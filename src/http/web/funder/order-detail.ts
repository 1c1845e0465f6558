import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { confirmExpiry, loadExpiryConfirmation } from '../../../domains/expiry/confirm-expiry.js';
import { findOrderCreditNote } from '../../../domains/expiry/credit-notes.js';
import { formatEuros } from '../../../domains/places/catalogue.js';
import { allocateBooklets, cancelBooklet, listBooklets, listDistributors } from '../../../domains/vouchers/distribution.js';
import { loadOrderDetail, type OrderDetail } from '../../../domains/vouchers/funder-views.js';
import { issueOrder } from '../../../domains/vouchers/issue-vouchers.js';
import { NEXT_STEPS, orderTotalCents, voucherCount } from '../../../domains/vouchers/order-model.js';
import { cancelOrder, commitOrder, confirmOrder } from '../../../domains/vouchers/orders.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { FUNDER } from '../../access.js';
import { currentMembership, redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice, selectField, textField, type FieldErrors } from '../../views/forms.js';
import { parseForm, sendFormPage } from '../page.js';
import { formValues, one, type FormValues } from '../provider-places/fields.js';
import { bookletsTable, cancelBookletFields, cancelBookletForm } from './booklet-views.js';
import { formErrorOf, orderIdOf, pageOf, pagination, type PageState } from './fields.js';
import { EXPIRY_ANCHOR, expiryPanel } from './expiry-views.js';
import { documentLinks, orderSummary, orderTitle } from './order-view.js';

/** Booklets shown per page of an order. */
export const BOOKLETS_PER_PAGE = 100;

const DONE_MESSAGES: Record<string, string> = {
  enregistree: 'Le brouillon de commande est enregistré. Vérifiez-le, puis confirmez-le.',
  modifiee: 'Les modifications du brouillon sont enregistrées.',
  confirmee: 'La commande est confirmée : le bon de commande est disponible ci-dessous.',
  engagee: 'L’engagement est enregistré : vous pouvez émettre les chèques.',
  emise: 'Les chèques sont émis : imprimez-les, puis confiez les carnets à vos distributeurs.',
  confies: 'Les carnets sont confiés au distributeur.',
  'carnet-annule': 'Le carnet est annulé : ses chèques non utilisés sont refusés dès maintenant.',
  'echeance-confirmee': 'Merci : votre confirmation de l’échéance est enregistrée. Vous pouvez de nouveau confier des carnets de cette commande.',
  'echeance-deja-confirmee': 'L’échéance de cette commande était déjà confirmée : rien de plus à faire.',
};

/** Why booklets cannot be entrusted while the J-15 notice waits (see domains/expiry/confirm-expiry.ts). */
const CONFIRM_EXPIRY_FIRST = 'Confirmez d’abord l’échéance de la commande (en haut de la page) : les carnets confiés maintenant ne serviront que jusqu’à la fin de validité.';

function doneMessage(request: FastifyRequest): string | undefined {
  const ok = (request.query as { ok?: unknown }).ok;
  return typeof ok === 'string' ? DONE_MESSAGES[ok] : undefined;
}

const commitForm = z.object({
  reference: z
    .string({ message: 'Saisissez le numéro d’engagement juridique' })
    .trim()
    .min(1, 'Saisissez le numéro d’engagement juridique (ou de votre bon de commande)')
    .max(100, 'Le numéro fait au plus 100 caractères'),
});

const allocateForm = z.object({
  distributorId: z.string({ message: 'Choisissez un distributeur' }).uuid('Choisissez un distributeur'),
  count: z
    .string({ message: 'Indiquez le nombre de carnets à confier' })
    .trim()
    .regex(/^\d{1,5}$/u, 'Indiquez un nombre de carnets, par exemple 10')
    .transform(Number)
    .refine((n) => n >= 1, 'Confiez au moins un carnet'),
});

function nextSteps(detail: OrderDetail, csrf: string, values: FormValues, errors: FieldErrors): SafeHtml | '' {
  const { order } = detail;
  const base = `/financeur/commandes/${order.id}`;
  const steps = NEXT_STEPS[order.status];
  const parts: SafeHtml[] = [];
  if (steps.includes('edit')) parts.push(html`<p><a class="button button-secondary" href="${base}/modifier">Modifier le brouillon</a></p>`);
  if (steps.includes('confirm')) {
    parts.push(html`<form method="post" action="${base}/confirmer">
  ${csrfField(csrf)}
  <p>${
    order.funding_mode === 'prepaid'
      ? `En confirmant, vous vous engagez à payer ${formatEuros(orderTotalCents(order))} : la facture est établie aussitôt, et les chèques sont émis à réception du virement.`
      : 'En confirmant, le bon de commande devient définitif ; il reste à saisir votre numéro d’engagement juridique pour que les chèques soient émis.'
  }</p>
  <button type="submit" class="button">Confirmer la commande</button>
</form>`);
  }
  if (steps.includes('commit') && order.funding_mode === 'billed_on_use') {
    parts.push(html`<form method="post" action="${base}/engager" novalidate>
  ${csrfField(csrf)}
  ${textField({
    name: 'reference',
    label: 'Numéro d’engagement juridique',
    hint: 'Le numéro donné par votre service financier (ou celui de votre bon de commande) : il figurera sur les factures mensuelles des chèques utilisés.',
    value: one(values, 'reference'),
    error: errors.reference,
    required: true,
  })}
  <button type="submit" class="button">Enregistrer l’engagement</button>
</form>`);
  }
  if (steps.includes('commit') && order.funding_mode === 'prepaid') {
    parts.push(html`<div class="panel"><p>Les chèques sont émis dès que le virement de <strong>${formatEuros(orderTotalCents(order))}</strong> est reçu${
      order.invoice_number ? html`, avec la référence de la facture <strong>${order.invoice_number}</strong>` : ''
    }. La plateforme enregistre le virement à sa réception ; vous n’avez rien d’autre à faire.</p></div>`);
  }
  if (steps.includes('issue')) {
    parts.push(html`<form method="post" action="${base}/emettre">
  ${csrfField(csrf)}
  <p>L’émission crée les ${voucherCount(order).toLocaleString('fr-FR')} chèques et leurs codes, à imprimer ensuite.</p>
  <button type="submit" class="button">Émettre les chèques</button>
</form>`);
  }
  if (steps.includes('cancel')) {
    parts.push(html`<form method="post" action="${base}/annuler">
  ${csrfField(csrf)}
  <button type="submit" class="button button-secondary">Annuler la commande</button>
</form>`);
  }
  return parts.length > 0 ? html`<h2>Prochaine étape</h2>${parts}` : '';
}

export function funderOrderDetail(app: FastifyInstance, ctx: AppContext) {
  async function detailPage(request: FastifyRequest, reply: FastifyReply, detail: OrderDetail, state: PageState) {
    const funderId = currentMembership(request).organisationId;
    const { order } = detail;
    const base = `/financeur/commandes/${order.id}`;
    const issued = order.status === 'issued';
    const page = pageOf(request);
    const [booklets, distributors] = issued
      ? await Promise.all([
          listBooklets(ctx, { funderId, orderId: order.id }, { limit: BOOKLETS_PER_PAGE, offset: (page - 1) * BOOKLETS_PER_PAGE }),
          listDistributors(ctx, funderId),
        ])
      : [[], []];
    const [confirmation, creditNote] = issued ? await Promise.all([loadExpiryConfirmation(ctx, order), findOrderCreditNote(ctx, order.id)]) : [{ kind: 'not_due' } as const, undefined];
    const mustConfirm = confirmation.kind === 'to_confirm';
    const values = state.values ?? {};
    const left = detail.progress.booklets - detail.progress.allocated - detail.progress.cancelled;
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => {
      // While the J-15 notice waits, it comes first, right under the title; otherwise after the summary.
      const expiry = expiryPanel({ reader: { kind: 'funder', base, csrf, contactEmail: ctx.config.platform.email }, confirmation, creditNote });
      return {
        title: orderTitle(order),
        body: html`${notice(state.status === undefined ? doneMessage(request) : undefined)}
<h1>${orderTitle(order)}</h1>
${mustConfirm ? expiry : ''}
${orderSummary(detail, { showFunder: false })}
${mustConfirm ? '' : expiry}
${nextSteps(detail, csrf, values, errors)}
${documentLinks(base, order, creditNote)}
${
  issued
    ? html`<h2>Confier des carnets à un distributeur</h2>
${
  mustConfirm
    ? html`<p>Confirmez d’abord l’échéance de la commande, <a href="#${EXPIRY_ANCHOR}">en haut de la page</a>, pour confier d’autres carnets.</p>`
    : distributors.length === 0
      ? html`<p>Aucun distributeur ne travaille encore avec vous. <a href="/financeur/distributeurs">Invitez un distributeur</a>.</p>`
      : html`<p>${left.toLocaleString('fr-FR')} carnet${left > 1 ? 's' : ''} à confier. Les premiers carnets non confiés, par numéro, sont pris.</p>
<form method="post" action="${base}/carnets/confier" novalidate class="inline-fields">
  ${csrfField(csrf)}
  ${selectField({
    name: 'distributorId',
    label: 'Distributeur',
    options: [{ value: '', label: 'Choisissez' }, ...distributors.map((d) => ({ value: d.id, label: d.name }))],
    value: one(values, 'distributorId') ?? '',
    error: errors.distributorId,
  })}
  ${textField({ name: 'count', label: 'Nombre de carnets', value: one(values, 'count'), error: errors.count })}
  <button type="submit" class="button">Confier</button>
</form>`
}
${cancelBookletFields(`${base}/carnets/annuler`, csrf, values, errors)}
${bookletsTable(booklets, { caption: `Carnets de la commande (${detail.progress.booklets.toLocaleString('fr-FR')})${page > 1 ? `, page ${page}` : ''}`, show: 'distributor' })}
${pagination(base, page, page * BOOKLETS_PER_PAGE < detail.progress.booklets, 'Pages des carnets')}`
    : ''
}
<p><a href="/financeur/commandes">Retour aux commandes</a></p>`,
      };
    });
  }

  function scope(request: FastifyRequest) {
    const funderId = currentMembership(request).organisationId;
    return { funderId, orderId: orderIdOf(request), actor: actorOf(requireSession(request)) };
  }

  app.get('/financeur/commandes/:id', { config: { access: FUNDER } }, async (request, reply) => {
    const { funderId, orderId } = scope(request);
    return detailPage(request, reply, await loadOrderDetail(ctx, { orderId, funderId }), {});
  });

  /** Runs a step; a refusal shows the page again with the reason next to the field, or above. */
  async function step(request: FastifyRequest, reply: FastifyReply, done: string, run: () => Promise<unknown>, rename: Record<string, string> = {}) {
    const { funderId, orderId } = scope(request);
    try {
      await run();
    } catch (error) {
      const state = { values: formValues(request.body), ...formErrorOf(error, rename) };
      return detailPage(request, reply, await loadOrderDetail(ctx, { orderId, funderId }), state);
    }
    return redirectAfterPost(reply, done === 'annulee' ? '/financeur/commandes?ok=annulee' : `/financeur/commandes/${orderId}?ok=${done}`);
  }

  /** A form that failed validation: the page again, 400, with the messages next to the fields. */
  async function invalid(request: FastifyRequest, reply: FastifyReply, errors: FieldErrors) {
    const { funderId, orderId } = scope(request);
    return detailPage(request, reply, await loadOrderDetail(ctx, { orderId, funderId }), { status: 400, values: formValues(request.body), errors });
  }

  app.post('/financeur/commandes/:id/confirmer', { config: { access: FUNDER } }, async (request, reply) => {
    const { funderId, orderId, actor } = scope(request);
    return step(request, reply, 'confirmee', () => confirmOrder(ctx, actor, funderId, orderId));
  });

  app.post('/financeur/commandes/:id/engager', { config: { access: FUNDER } }, async (request, reply) => {
    const { funderId, orderId, actor } = scope(request);
    const form = parseForm(commitForm, request.body);
    if (!form.ok) return invalid(request, reply, form.errors);
    return step(request, reply, 'engagee', () => commitOrder(ctx, actor, { orderId, reference: form.data.reference, by: { kind: 'funder', funderId } }));
  });

  app.post('/financeur/commandes/:id/emettre', { config: { access: FUNDER } }, async (request, reply) => {
    const { funderId, orderId, actor } = scope(request);
    return step(request, reply, 'emise', () => issueOrder(ctx, actor, { orderId, funderId }));
  });

  app.post('/financeur/commandes/:id/annuler', { config: { access: FUNDER } }, async (request, reply) => {
    const { funderId, orderId, actor } = scope(request);
    return step(request, reply, 'annulee', () => cancelOrder(ctx, actor, funderId, orderId));
  });

  app.post('/financeur/commandes/:id/echeance/confirmer', { config: { access: FUNDER } }, async (request, reply) => {
    const { funderId, orderId, actor } = scope(request);
    let recorded: boolean;
    try {
      ({ recorded } = await confirmExpiry(ctx, actor, { funderId, orderId }));
    } catch (error) {
      const state = formErrorOf(error);
      return detailPage(request, reply, await loadOrderDetail(ctx, { orderId, funderId }), state);
    }
    return redirectAfterPost(reply, `/financeur/commandes/${orderId}?ok=${recorded ? 'echeance-confirmee' : 'echeance-deja-confirmee'}`);
  });

  app.post('/financeur/commandes/:id/carnets/confier', { config: { access: FUNDER } }, async (request, reply) => {
    const { funderId, orderId, actor } = scope(request);
    // Blocked while the J-15 notice waits for the funder's confirmation (domains/expiry/confirm-expiry.ts).
    const detail = await loadOrderDetail(ctx, { orderId, funderId });
    if ((await loadExpiryConfirmation(ctx, detail.order)).kind === 'to_confirm') return detailPage(request, reply, detail, { status: 409, values: formValues(request.body), formError: CONFIRM_EXPIRY_FIRST });
    const form = parseForm(allocateForm, request.body);
    if (!form.ok) return invalid(request, reply, form.errors);
    return step(request, reply, 'confies', () => allocateBooklets(ctx, actor, { funderId, orderId, distributorId: form.data.distributorId, count: form.data.count }));
  });

  app.post('/financeur/commandes/:id/carnets/annuler', { config: { access: FUNDER } }, async (request, reply) => {
    const { funderId, orderId, actor } = scope(request);
    // The order must be this funder's: another's is a 404 before anything is cancelled.
    await loadOrderDetail(ctx, { orderId, funderId });
    const form = parseForm(cancelBookletForm, request.body);
    if (!form.ok) return invalid(request, reply, form.errors);
    return step(
      request,
      reply,
      'carnet-annule',
      () => cancelBooklet(ctx, actor, { organisationId: funderId, number: form.data.cancelNumber, reason: form.data.cancelReason }),
      { number: 'cancelNumber' },
    );
  });
}
