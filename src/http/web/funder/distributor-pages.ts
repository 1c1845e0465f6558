import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { listOrdersToConfirm } from '../../../domains/expiry/confirm-expiry.js';
import { inviteDistributor, listDistributors } from '../../../domains/vouchers/distribution.js';
import { html } from '../../../lib/html.js';
import { FUNDER, FUNDER_ADMIN } from '../../access.js';
import { currentMembership, redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice, textField } from '../../views/forms.js';
import { formatDateTime } from '../../views/labels.js';
import { parseForm, sendFormPage } from '../page.js';
import { formValues, one } from '../provider-places/fields.js';
import { expiryBanner } from './expiry-views.js';
import { formErrorOf, type PageState } from './fields.js';

const inviteForm = z.object({
  name: z.string({ message: 'Saisissez le nom du distributeur' }).trim().min(1, 'Saisissez le nom du distributeur').max(200, 'Le nom fait au plus 200 caractères'),
  email: z
    .string({ message: 'Saisissez l’adresse e-mail de la personne à inviter' })
    .trim()
    .min(1, 'Saisissez l’adresse e-mail de la personne à inviter')
    .max(254, 'Adresse e-mail trop longue')
    .email('Saisissez une adresse e-mail valide, par exemple nom@exemple.fr'),
});

/** The funder's distributors: who hands its booklets out, and the invitation of a new one. */
export function funderDistributorPages(app: FastifyInstance, ctx: AppContext) {
  async function distributorsPage(request: FastifyRequest, reply: FastifyReply, state: PageState) {
    const current = currentMembership(request);
    const [distributors, toConfirm] = await Promise.all([listDistributors(ctx, current.organisationId), listOrdersToConfirm(ctx, current.organisationId)]);
    const isAdmin = current.role === 'admin';
    const invited = state.status === undefined && (request.query as { ok?: unknown }).ok === 'invite';
    const values = state.values ?? {};
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title: 'Distributeurs',
      body: html`${notice(invited ? 'Le distributeur est enregistré et la personne invitée par e-mail : vous pouvez déjà lui confier des carnets.' : undefined)}
<h1>Distributeurs</h1>
${expiryBanner(toConfirm)}
<p class="lead">Les structures qui remettent vos carnets aux personnes (CCAS, France Services, travailleurs sociaux…). Elles enregistrent chaque remise, ce qui active le carnet ; rien n’identifie la personne.</p>
<table class="table">
  <caption>Distributeurs de ${current.organisationName} (${distributors.length})</caption>
  <thead><tr><th scope="col">Distributeur</th><th scope="col">Carnets confiés</th><th scope="col">Carnets remis</th><th scope="col">Depuis le</th></tr></thead>
  <tbody>
  ${distributors.map((d) => html`<tr><th scope="row">${d.name}</th><td>${Number(d.allocated)}</td><td>${Number(d.handed_out)}</td><td>${formatDateTime(d.created_at)}</td></tr>`)}
  ${distributors.length === 0 ? html`<tr><td colspan="4">Aucun distributeur pour l’instant.</td></tr>` : ''}
  </tbody>
</table>
${
  isAdmin
    ? html`<h2>Inviter un distributeur</h2>
<form method="post" action="/financeur/distributeurs" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'name', label: 'Nom de la structure', hint: 'Par exemple « CCAS de Bègles ».', value: one(values, 'name'), error: errors.name, required: true })}
  ${textField({
    name: 'email',
    label: 'Adresse e-mail de la personne à inviter',
    type: 'email',
    hint: 'Elle recevra une invitation, administrera l’espace du distributeur et pourra y inviter ses collègues.',
    value: one(values, 'email'),
    error: errors.email,
    required: true,
    autocomplete: 'off',
  })}
  <button type="submit" class="button">Inviter</button>
</form>`
    : html`<p class="hint">Seuls les administrateurs et administratrices de votre organisation peuvent inviter un distributeur.</p>`
}`,
    }));
  }

  app.get('/financeur/distributeurs', { config: { access: FUNDER } }, (request, reply) => distributorsPage(request, reply, {}));

  app.post('/financeur/distributeurs', { config: { access: FUNDER_ADMIN } }, async (request, reply) => {
    const values = formValues(request.body);
    const form = parseForm(inviteForm, request.body);
    if (!form.ok) return distributorsPage(request, reply, { status: 400, values, errors: form.errors });
    try {
      await inviteDistributor(ctx, actorOf(requireSession(request)), { funderId: currentMembership(request).organisationId, ...form.data });
    } catch (error) {
      return distributorsPage(request, reply, { values, ...formErrorOf(error) });
    }
    return redirectAfterPost(reply, '/financeur/distributeurs?ok=invite');
  });
}
