import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { DomainError } from '../../../domains/errors.js';
import { MEDIATOR_STATUSES } from '../../../domains/providers/application.js';
import { addMediator, removeMediator } from '../../../domains/providers/mediators.js';
import { loadApplication } from '../../../domains/providers/repository.js';
import { html } from '../../../lib/html.js';
import { PROVIDER, PROVIDER_ADMIN } from '../../access.js';
import { redirectAfterPost } from '../../request-context.js';
import { csrfField, notice, textField, textareaField } from '../../views/forms.js';
import { sendFormPage, parseForm, type FormState } from '../page.js';
import { MEDIATOR_STATUS_LABELS } from './labels.js';
import { ADMIN_ONLY_NOTE, NOT_EDITABLE_NOTE, applicant, doneMessage, formErrorsOf, radiosField } from './shared.js';

const mediatorForm = z.object({
  name: z.string().trim().min(1, 'Saisissez le nom de l’intervenant').max(200, '200 caractères au plus'),
  status: z.enum(MEDIATOR_STATUSES, { message: 'Choisissez le statut' }),
  trained: z.enum(['yes', 'no'], { message: 'Dites si l’intervenant a été formé' }).transform((v) => v === 'yes'),
  training: z.string().trim().max(1000, '1 000 caractères au plus').optional(),
});

const uuid = z.string().uuid();

export function mediatorsRoutes(app: FastifyInstance, ctx: AppContext) {
  async function mediatorsPage(request: FastifyRequest, reply: FastifyReply, state: FormState) {
    const { providerId, isAdmin } = applicant(request);
    const { mediators, editable } = await loadApplication(ctx.db, providerId);
    const values = state.values ?? {};
    const canEdit = isAdmin && editable;
    return sendFormPage(request, reply, state, (csrf, errors) => ({
      title: 'Intervenants',
      body: html`${notice(doneMessage(request))}
<p><a href="/structure/candidature">Retour à la candidature</a></p>
<h1>Intervenants</h1>
<p class="lead">Les personnes qui accompagnent le public dans vos lieux : médiateurs et médiatrices, aidants numériques.</p>
<div class="notice"><p>Les chartes demandent que les bénévoles et les volontaires en service civique soient formés avant d’intervenir et encadrés. Ils ne rendent pas les services « faire à la place » (réaliser une démarche pour la personne) : ces services sont réservés aux salarié·es.</p></div>
${
  mediators.length
    ? html`<table class="table"><caption>Intervenants déclarés (${mediators.length})</caption>
<thead><tr><th scope="col">Nom</th><th scope="col">Statut</th><th scope="col">Formation</th>${canEdit ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
<tbody>${mediators.map(
  (m) => html`<tr><td>${m.name}</td><td>${MEDIATOR_STATUS_LABELS[m.status]}${m.status === 'employee' ? '' : html`<br><span class="muted">pas de « faire à la place »</span>`}</td><td>${m.trained ? `Formé·e${m.training ? ` : ${m.training}` : ''}` : 'Non formé·e'}</td>${
    canEdit
      ? html`<td><form method="post" action="/structure/intervenants/${m.id}/retirer">${csrfField(csrf)}<button type="submit" class="button-link">Retirer<span class="visually-hidden"> ${m.name}</span></button></form></td>`
      : ''
  }</tr>`,
)}</tbody></table>`
    : html`<p>Aucun intervenant déclaré pour l’instant.</p>`
}
${
  canEdit
    ? html`<h2>Ajouter un intervenant</h2>
<form method="post" action="/structure/intervenants" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'name', label: 'Nom et prénom', value: values.name, error: errors.name, required: true })}
  ${radiosField({ name: 'status', legend: 'Statut', options: MEDIATOR_STATUSES.map((s) => ({ value: s, label: MEDIATOR_STATUS_LABELS[s] })), value: values.status, error: errors.status })}
  ${radiosField({
    name: 'trained',
    legend: 'A-t-il ou elle été formé·e à la médiation numérique ?',
    hint: 'Obligatoire pour les bénévoles et les volontaires en service civique.',
    options: [
      { value: 'yes', label: 'Oui' },
      { value: 'no', label: 'Non' },
    ],
    value: values.trained,
    error: errors.trained,
  })}
  ${textareaField({ name: 'training', label: 'Formation suivie', hint: 'Par exemple : formation Aidants Connect, PIX, formation interne de 3 jours en 2025.', value: values.training, error: errors.training, rows: 3 })}
  <button type="submit" class="button">Ajouter</button>
</form>`
    : editable
      ? ADMIN_ONLY_NOTE
      : NOT_EDITABLE_NOTE
}`,
    }));
  }

  app.get('/structure/intervenants', { config: { access: PROVIDER } }, (request, reply) => mediatorsPage(request, reply, {}));

  app.post('/structure/intervenants', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const form = parseForm(mediatorForm, request.body);
    if (!form.ok) return mediatorsPage(request, reply, { status: 400, errors: form.errors, values: form.values });
    const { actor, providerId } = applicant(request);
    try {
      await addMediator(ctx, actor, providerId, form.data);
    } catch (error) {
      const { status, ...shown } = formErrorsOf(error);
      return mediatorsPage(request, reply, { status, ...shown, values: form.values });
    }
    return redirectAfterPost(reply, '/structure/intervenants?ok=intervenant');
  });

  app.post('/structure/intervenants/:mediatorId/retirer', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const mediatorId = uuid.safeParse((request.params as { mediatorId: string }).mediatorId);
    const { actor, providerId } = applicant(request);
    try {
      if (!mediatorId.success) throw new DomainError('mediator_unknown');
      await removeMediator(ctx, actor, providerId, mediatorId.data);
    } catch (error) {
      const { status, ...shown } = formErrorsOf(error);
      return mediatorsPage(request, reply, { status, ...shown });
    }
    return redirectAfterPost(reply, '/structure/intervenants?ok=intervenant-retire');
  });
}
