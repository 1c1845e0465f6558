import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import type { PublicAge, PublicSituation } from '../../../db/schema.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { cancelBooklet, handOutBooklet, listBooklets } from '../../../domains/vouchers/distribution.js';
import { countDistributorBooklets, findDistributorBooklet, type DistributorBooklet } from '../../../domains/vouchers/funder-views.js';
import { PUBLIC_AGES, PUBLIC_SITUATIONS } from '../../../domains/vouchers/order-model.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { formatLongDate } from '../../../lib/paris-dates.js';
import { DISTRIBUTOR } from '../../access.js';
import { currentMembership, redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice, selectField, type FieldErrors } from '../../views/forms.js';
import { PUBLIC_AGE_LABELS, PUBLIC_SITUATION_LABELS } from '../../views/voucher-labels.js';
import { parseForm, sendFormPage } from '../page.js';
import { formValues, one } from '../provider-places/fields.js';
import { bookletsTable, cancelBookletFields, cancelBookletForm } from '../funder/booklet-views.js';
import { formErrorOf, pageOf, pagination, type PageState } from '../funder/fields.js';

const BOOKLETS_PER_PAGE = 100;

const optionalChoice = <T extends string>(values: readonly [T, ...T[]], message: string) =>
  z
    .union([z.literal(''), z.enum(values, { message })])
    .optional()
    .transform((v): T | null => (v === undefined || v === '' ? null : v));

const handOutForm = z.object({
  number: z.string({ message: 'Saisissez le numéro du carnet' }).trim().min(1, 'Saisissez le numéro du carnet, les 8 chiffres de sa couverture'),
  publicAge: optionalChoice<PublicAge>(PUBLIC_AGES, 'Choisissez une tranche d’âge de la liste'),
  publicSituation: optionalChoice<PublicSituation>(PUBLIC_SITUATIONS, 'Choisissez une situation de la liste'),
});

/** The notice after a hand-out or a cancellation, read back from the booklet itself (Post/Redirect/Get). */
function doneNotice(booklet: DistributorBooklet | undefined, done: 'remis' | 'annule'): string | undefined {
  if (!booklet) return undefined;
  if (done === 'remis' && booklet.handedOutAt) {
    return `Carnet ${booklet.number} remis : ${booklet.vouchers} chèques activés, valables jusqu’au ${formatLongDate(booklet.validUntil)}.`;
  }
  if (done === 'annule' && booklet.cancelledAt) return `Carnet ${booklet.number} annulé : ses chèques non utilisés sont refusés dès maintenant.`;
  return undefined;
}

/** `focus`: the number field takes the focus (no error summary to read first), ready for the next scan. */
function handOutFields(csrf: string, values: Record<string, string | string[]>, errors: FieldErrors, focus: boolean): SafeHtml {
  const numberIds = ['number-hint', errors.number ? 'number-error' : ''].filter(Boolean).join(' ');
  return html`<form method="post" action="/distributeur/carnets/remise" novalidate>
  ${csrfField(csrf)}
  <div class="field${errors.number ? ' field-error' : ''}">
    <label for="number">Numéro du carnet</label>
    <p class="hint" id="number-hint">Les 8 chiffres sous le code-barres de la couverture ; une douchette les saisit pour vous.</p>
    ${errors.number ? html`<p class="error-message" id="number-error"><span class="visually-hidden">Erreur : </span>${errors.number}</p>` : ''}
    <input id="number" name="number" type="text" inputmode="numeric" autocomplete="off" spellcheck="false" required aria-describedby="${numberIds}"${
      errors.number ? html` aria-invalid="true"` : ''
    } value="${one(values, 'number') ?? ''}"${focus ? html` autofocus` : ''}>
  </div>
  <p>Facultatif, pour les statistiques anonymes du financeur : rien qui identifie la personne n’est demandé ni enregistré.</p>
  ${selectField({
    name: 'publicAge',
    label: 'Tranche d’âge de la personne (facultatif)',
    options: [{ value: '', label: 'Ne pas préciser' }, ...PUBLIC_AGES.map((age) => ({ value: age, label: PUBLIC_AGE_LABELS[age] }))],
    value: one(values, 'publicAge') ?? '',
    error: errors.publicAge,
  })}
  ${selectField({
    name: 'publicSituation',
    label: 'Situation de la personne (facultatif)',
    options: [{ value: '', label: 'Ne pas préciser' }, ...PUBLIC_SITUATIONS.map((s) => ({ value: s, label: PUBLIC_SITUATION_LABELS[s] }))],
    value: one(values, 'publicSituation') ?? '',
    error: errors.publicSituation,
  })}
  <button type="submit" class="button">Enregistrer la remise</button>
</form>`;
}

/** The distributor's booklets (/distributeur/carnets): hand-out and cancellation. */
export function distributorRoutes(app: FastifyInstance, ctx: AppContext) {
  async function bookletsPage(request: FastifyRequest, reply: FastifyReply, state: PageState) {
    const distributorId = currentMembership(request).organisationId;
    const page = pageOf(request);
    const query = request.query as { remis?: unknown; annule?: unknown };
    const [booklets, total, handedOut, cancelled] = await Promise.all([
      listBooklets(ctx, { distributorId }, { limit: BOOKLETS_PER_PAGE, offset: (page - 1) * BOOKLETS_PER_PAGE }),
      countDistributorBooklets(ctx, distributorId),
      state.status === undefined && typeof query.remis === 'string' ? findDistributorBooklet(ctx, distributorId, query.remis) : undefined,
      state.status === undefined && typeof query.annule === 'string' ? findDistributorBooklet(ctx, distributorId, query.annule) : undefined,
    ]);
    const values = state.values ?? {};
    const message = doneNotice(handedOut, 'remis') ?? doneNotice(cancelled, 'annule');
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title: 'Carnets',
      body: html`${notice(message)}
<h1>Remettre un carnet</h1>
<p class="lead">Saisissez ou scannez le numéro du carnet au moment de le donner : ses chèques deviennent utilisables.</p>
${handOutFields(csrf, values, errors, Object.keys(errors).length === 0 && state.formError === undefined)}
${bookletsTable(booklets, { caption: `Carnets confiés à ${currentMembership(request).organisationName} (${total})${page > 1 ? `, page ${page}` : ''}`, show: 'funder' })}
${pagination('/distributeur/carnets', page, page * BOOKLETS_PER_PAGE < total, 'Pages des carnets')}
${cancelBookletFields('/distributeur/carnets/annulation', csrf, values, errors)}`,
    }));
  }

  app.get('/distributeur/carnets', { config: { access: DISTRIBUTOR } }, (request, reply) => bookletsPage(request, reply, {}));

  app.post('/distributeur/carnets/remise', { config: { access: DISTRIBUTOR } }, async (request, reply) => {
    const values = formValues(request.body);
    const form = parseForm(handOutForm, request.body);
    if (!form.ok) return bookletsPage(request, reply, { status: 400, values, errors: form.errors });
    const distributorId = currentMembership(request).organisationId;
    let number: string;
    try {
      ({ number } = await handOutBooklet(ctx, actorOf(requireSession(request)), { distributorId, ...form.data }));
    } catch (error) {
      return bookletsPage(request, reply, { values, ...formErrorOf(error) });
    }
    return redirectAfterPost(reply, `/distributeur/carnets?remis=${number}`);
  });

  app.post('/distributeur/carnets/annulation', { config: { access: DISTRIBUTOR } }, async (request, reply) => {
    const values = formValues(request.body);
    const form = parseForm(cancelBookletForm, request.body);
    if (!form.ok) return bookletsPage(request, reply, { status: 400, values, errors: form.errors });
    const distributorId = currentMembership(request).organisationId;
    let number: string;
    try {
      ({ number } = await cancelBooklet(ctx, actorOf(requireSession(request)), {
        organisationId: distributorId,
        number: form.data.cancelNumber,
        reason: form.data.cancelReason,
      }));
    } catch (error) {
      return bookletsPage(request, reply, { values, ...formErrorOf(error, { number: 'cancelNumber' }) });
    }
    return redirectAfterPost(reply, `/distributeur/carnets?annule=${number}`);
  });
}
