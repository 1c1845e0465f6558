import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { REQUIRED_DOCUMENTS, nextStatus } from '../../../domains/providers/application.js';
import { MESSAGE_MAX_LENGTH, postApplicantMessage } from '../../../domains/providers/applicant-messages.js';
import { loadApplication, type ApplicationView } from '../../../domains/providers/repository.js';
import { ApplicationIncompleteError, submitApplication } from '../../../domains/providers/submit-application.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { PROVIDER, PROVIDER_ADMIN } from '../../access.js';
import { redirectAfterPost } from '../../request-context.js';
import { csrfField, notice, textareaField } from '../../views/forms.js';
import { formatDateTime } from '../../views/labels.js';
import { parseForm, sendFormPage, type FormState } from '../page.js';
import { APPLICATION_STATUS_LABELS, SUBMISSION_GAP_LABELS } from './labels.js';
import { ADMIN_ONLY_NOTE, applicant, doneMessage, formErrorsOf } from './shared.js';

const messageForm = z.object({
  body: z.string().trim().min(1, 'Écrivez votre message').max(MESSAGE_MAX_LENGTH, `Le message ne doit pas dépasser ${MESSAGE_MAX_LENGTH} caractères`),
});

interface Step {
  label: string;
  href: string;
  done: boolean;
  state: string;
}

function steps(application: ApplicationView): Step[] {
  const { provider } = application;
  const hasBank = Boolean(provider.iban && provider.bic && provider.account_holder);
  const required = REQUIRED_DOCUMENTS[provider.legal_form].length;
  const charter = application.charterAcceptances.find((a) => a.version === application.currentCharterVersion);
  const trainedMissing = application.mediators.length === 0;
  return [
    {
      label: 'Informations de la structure et coordonnées bancaires',
      href: '/structure/profil',
      done: hasBank,
      state: hasBank ? 'Complet' : 'Coordonnées bancaires à saisir',
    },
    {
      label: 'Questionnaire d’éligibilité',
      href: '/structure/eligibilite',
      done: application.eligibility?.outcome === 'eligible',
      state:
        application.eligibility === undefined
          ? 'À remplir'
          : application.eligibility.outcome === 'eligible'
            ? 'Éligible'
            : 'Pas encore éligible : voir le diagnostic',
    },
    {
      label: 'Charte des engagements',
      href: '/structure/charte',
      done: Boolean(charter),
      state: charter ? `Acceptée le ${formatDateTime(charter.acceptedAt)} par ${charter.acceptedByName}` : 'À accepter',
    },
    {
      label: 'Pièces justificatives',
      href: '/structure/documents',
      done: application.missingDocuments.length === 0,
      state: `${required - application.missingDocuments.length} sur ${required} envoyées`,
    },
    {
      label: 'Intervenants (facultatif)',
      href: '/structure/intervenants',
      done: !trainedMissing,
      state: trainedMissing ? 'Aucun intervenant déclaré' : `${application.mediators.length} intervenant(s)`,
    },
    {
      label: 'Lieux et services proposés',
      href: '/structure/lieux',
      done: application.placeCount > 0 && application.activeServiceCount > 0,
      state: `${application.placeCount} lieu(x), ${application.activeServiceCount} service(s) actif(s)`,
    },
  ];
}

function messageThread(application: ApplicationView): SafeHtml {
  if (application.messages.length === 0) return html`<p>Aucun message pour l’instant.</p>`;
  return html`<ol class="messages">${application.messages.map(
    (m) => html`<li><p><strong>${m.fromOperator ? `Opérateur (${m.authorName})` : m.authorName}</strong>, le ${formatDateTime(m.createdAt)} :</p>
<p>${m.body.split('\n').map((line, i) => (i === 0 ? line : html`<br>${line}`))}</p></li>`,
  )}</ol>`;
}

export function applicationRoutes(app: FastifyInstance, ctx: AppContext) {
  async function applicationPage(request: FastifyRequest, reply: FastifyReply, state: FormState) {
    const { providerId, isAdmin } = applicant(request);
    const application = await loadApplication(ctx.db, providerId);
    const status = application.provider.status;
    const canSubmit = nextStatus(status, 'submit') !== undefined;
    return sendFormPage(request, reply, state, (csrf, errors) => ({
      title: 'Ma candidature',
      body: html`${notice(doneMessage(request))}
<h1>Candidature de ${application.provider.organisationName}</h1>
<p class="lead">État : <strong>${APPLICATION_STATUS_LABELS[status]}</strong></p>
<h2>Étapes</h2>
<ol class="checklist">
${steps(application).map(
  (step) => html`<li><a href="${step.href}">${step.label}</a> : ${step.done ? html`<strong>${step.state}</strong>` : html`<span class="tag">${step.state}</span>`}</li>`,
)}
</ol>
${
  canSubmit
    ? application.submissionGaps.length === 0
      ? isAdmin
        ? html`<h2>Envoyer la candidature</h2><p>Tout est prêt. L’opérateur examinera votre candidature et vous répondra par e-mail.</p>
<form method="post" action="/structure/candidature/envoyer">${csrfField(csrf)}<button type="submit" class="button">Envoyer ma candidature</button></form>`
        : ADMIN_ONLY_NOTE
      : html`<h2>Avant d’envoyer la candidature</h2><p>Il reste à faire :</p>
<ul>${application.submissionGaps.map((gap) => html`<li>${SUBMISSION_GAP_LABELS[gap]}</li>`)}</ul>`
    : ''
}
<h2>Messages avec l’opérateur</h2>
${messageThread(application)}
${
  isAdmin
    ? html`<form method="post" action="/structure/candidature/messages" novalidate>
  ${csrfField(csrf)}
  ${textareaField({ name: 'body', label: 'Votre message à l’opérateur', hint: 'Pour répondre à une demande de modification ou poser une question.', value: state.values?.body, error: errors.body })}
  <button type="submit" class="button button-secondary">Envoyer le message</button>
</form>`
    : ''
}`,
    }));
  }

  app.get('/structure/candidature', { config: { access: PROVIDER } }, (request, reply) => applicationPage(request, reply, {}));

  app.post('/structure/candidature/envoyer', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const { actor, providerId } = applicant(request);
    try {
      await submitApplication(ctx, actor, providerId);
    } catch (error) {
      const shown = formErrorsOf(error);
      const gaps = error instanceof ApplicationIncompleteError ? error.gaps.map((gap) => SUBMISSION_GAP_LABELS[gap]) : [];
      return applicationPage(request, reply, { ...shown, formError: [shown.formError, ...gaps].filter(Boolean).join(' ') });
    }
    return redirectAfterPost(reply, '/structure/candidature?ok=envoyee');
  });

  app.post('/structure/candidature/messages', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const form = parseForm(messageForm, request.body);
    if (!form.ok) return applicationPage(request, reply, { status: 400, errors: form.errors, values: form.values });
    const { actor, providerId } = applicant(request);
    await postApplicantMessage(ctx, actor, providerId, form.data.body);
    return redirectAfterPost(reply, '/structure/candidature?ok=message');
  });
}
