import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { answerEligibility } from '../../../domains/providers/answer-eligibility.js';
import { ELIGIBILITY_QUESTIONNAIRE, scoreEligibility, type EligibilityAnswers } from '../../../domains/providers/eligibility.js';
import { loadApplication } from '../../../domains/providers/repository.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { PROVIDER, PROVIDER_ADMIN } from '../../access.js';
import { redirectAfterPost } from '../../request-context.js';
import { csrfField, notice, type FieldErrors } from '../../views/forms.js';
import { formatDateTime } from '../../views/labels.js';
import { sendFormPage, type FormState } from '../page.js';
import { ADMIN_ONLY_NOTE, NOT_EDITABLE_NOTE, applicant, doneMessage, formErrorsOf, radiosField } from './shared.js';

function postedAnswers(body: unknown): Record<string, string> {
  const answers: Record<string, string> = {};
  if (body && typeof body === 'object') {
    for (const [key, value] of Object.entries(body)) if (typeof value === 'string' && key !== '_csrf') answers[key] = value.slice(0, 100);
  }
  return answers;
}

function resultOf(answers: EligibilityAnswers, answeredAt: Date): SafeHtml {
  const result = scoreEligibility(answers);
  if (result.outcome === 'incomplete') return html``;
  if (result.outcome === 'eligible') {
    return html`<div class="notice" role="status"><h2>Résultat : votre structure est éligible</h2>
<p>Réponses du ${formatDateTime(answeredAt)}. Étape suivante : <a href="/structure/charte">accepter la charte</a>.</p></div>`;
  }
  return html`<section aria-labelledby="diagnostic"><h2 id="diagnostic">Résultat : pas encore éligible</h2>
<p>Réponses du ${formatDateTime(answeredAt)}. Voici, thème par thème, ce qui reste à améliorer. Vous pourrez répondre à nouveau quand ce sera fait.</p>
<ul>${result.scores.map((score) => html`<li>${score.label} : ${score.points} points sur ${score.max} (il en faut ${score.threshold}) ${score.passed ? html`<strong>réussi</strong>` : html`<span class="tag">à améliorer</span>`}</li>`)}</ul>
${result.diagnostic.map((theme) => html`<h3>${theme.label}</h3><p>${theme.advice}</p>`)}
</section>`;
}

function questionnaire(values: Record<string, string>, errors: FieldErrors): SafeHtml {
  return html`${ELIGIBILITY_QUESTIONNAIRE.themes.map(
    (theme) => html`<h2>${theme.label}</h2>
${theme.questions.map((question) =>
  radiosField({
    name: question.code,
    legend: question.label,
    hint: 'hint' in question ? question.hint : undefined,
    options: question.options,
    value: values[question.code],
    error: errors[question.code],
  }),
)}`,
  )}`;
}

export function eligibilityRoutes(app: FastifyInstance, ctx: AppContext) {
  async function eligibilityPage(request: FastifyRequest, reply: FastifyReply, state: FormState) {
    const { providerId, isAdmin } = applicant(request);
    const { eligibility, editable } = await loadApplication(ctx.db, providerId);
    const values = state.values ?? eligibility?.answers ?? {};
    return sendFormPage(request, reply, state, (csrf, errors) => ({
      title: 'Questionnaire d’éligibilité',
      body: html`${notice(doneMessage(request))}
<p><a href="/structure/candidature">Retour à la candidature</a></p>
<h1>Questionnaire d’éligibilité</h1>
${eligibility && !state.errors ? resultOf(eligibility.answers, eligibility.answeredAt) : ''}
<p class="lead">${ELIGIBILITY_QUESTIONNAIRE.themes.length} thèmes, une réponse par question. Répondez selon ce que fait votre structure aujourd’hui : s’il reste des points à améliorer, le résultat vous dira lesquels et comment.</p>
${
  isAdmin && editable
    ? html`<form method="post" action="/structure/eligibilite" novalidate>
  ${csrfField(csrf)}
  ${questionnaire(values, errors)}
  <button type="submit" class="button">Enregistrer mes réponses</button>
</form>`
    : editable
      ? ADMIN_ONLY_NOTE
      : NOT_EDITABLE_NOTE
}`,
    }));
  }

  app.get('/structure/eligibilite', { config: { access: PROVIDER } }, (request, reply) => eligibilityPage(request, reply, {}));

  app.post('/structure/eligibilite', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const answers = postedAnswers(request.body);
    const scored = scoreEligibility(answers);
    if (scored.outcome === 'incomplete') {
      const errors: FieldErrors = {};
      for (const code of scored.missing) errors[code] = 'Choisissez une réponse';
      return eligibilityPage(request, reply, { status: 400, errors, values: answers });
    }
    const { actor, providerId } = applicant(request);
    try {
      await answerEligibility(ctx, actor, providerId, answers);
    } catch (error) {
      const { status, ...shown } = formErrorsOf(error);
      return eligibilityPage(request, reply, { status, ...shown, values: answers });
    }
    return redirectAfterPost(reply, '/structure/eligibilite?ok=eligibilite');
  });
}
