import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { acceptCharter } from '../../../domains/providers/accept-charter.js';
import { CURRENT_CHARTER_VERSION, findCharter, readCharterText } from '../../../domains/providers/charters/charters.js';
import { loadApplication } from '../../../domains/providers/repository.js';
import { html } from '../../../lib/html.js';
import { PROVIDER, PROVIDER_ADMIN } from '../../access.js';
import { redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice } from '../../views/forms.js';
import { formatDateTime } from '../../views/labels.js';
import { sendFormPage, type FormState } from '../page.js';
import { ADMIN_ONLY_NOTE, NOT_EDITABLE_NOTE, applicant, doneMessage, formErrorsOf } from './shared.js';

export function charterRoutes(app: FastifyInstance, ctx: AppContext) {
  async function charterPage(request: FastifyRequest, reply: FastifyReply, state: FormState) {
    const { providerId, isAdmin } = applicant(request);
    const { charterAcceptances, editable } = await loadApplication(ctx.db, providerId);
    const accepted = charterAcceptances.find((a) => a.version === CURRENT_CHARTER_VERSION);
    const charter = findCharter(CURRENT_CHARTER_VERSION)!;
    const text = await readCharterText(CURRENT_CHARTER_VERSION);
    const name = requireSession(request).user.displayName;
    return sendFormPage(request, reply, state, (csrf, errors) => ({
      title: 'Charte des engagements',
      body: html`${notice(doneMessage(request))}
<p><a href="/structure/candidature">Retour à la candidature</a></p>
<h1>${charter.title}</h1>
<p class="lead">Version ${charter.version}, en vigueur depuis le ${new Date(`${charter.effectiveFrom}T12:00:00Z`).toLocaleDateString('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' })}.</p>
${
  accepted
    ? html`<div class="notice" role="status"><p>Charte acceptée le ${formatDateTime(accepted.acceptedAt)} par ${accepted.acceptedByName}.</p></div>`
    : ''
}
<div class="charter-text" tabindex="0" role="region" aria-label="Texte de la charte">${text.split(/\n{2,}/u).map((paragraph) => html`<p>${paragraph}</p>`)}</div>
${
  accepted
    ? ''
    : isAdmin && editable
      ? html`<form method="post" action="/structure/charte" novalidate>
  ${csrfField(csrf)}
  <div class="field${errors.accept ? ' field-error' : ''}" id="accept">
    ${errors.accept ? html`<p class="error-message" id="accept-error"><span class="visually-hidden">Erreur : </span>${errors.accept}</p>` : ''}
    <div class="checkbox"><input type="checkbox" id="accept-box" name="accept" value="yes"${errors.accept ? html` aria-describedby="accept-error" aria-invalid="true"` : ''}>
    <label for="accept-box">Moi, ${name}, j’accepte cette charte au nom de la structure et m’engage à la respecter.</label></div>
  </div>
  <button type="submit" class="button">Accepter la charte</button>
</form>`
      : editable
        ? ADMIN_ONLY_NOTE
        : NOT_EDITABLE_NOTE
}`,
    }));
  }

  app.get('/structure/charte', { config: { access: PROVIDER } }, (request, reply) => charterPage(request, reply, {}));

  app.post('/structure/charte', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const accept = (request.body as { accept?: unknown } | undefined)?.accept;
    if (accept !== 'yes') return charterPage(request, reply, { status: 400, errors: { accept: 'Cochez la case pour accepter la charte' } });
    const { actor, providerId } = applicant(request);
    try {
      await acceptCharter(ctx, actor, providerId);
    } catch (error) {
      const { status, ...shown } = formErrorsOf(error);
      return charterPage(request, reply, { status, ...shown });
    }
    return redirectAfterPost(reply, '/structure/charte?ok=charte');
  });
}
