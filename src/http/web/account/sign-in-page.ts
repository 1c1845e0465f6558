import type { FastifyReply, FastifyRequest } from 'fastify';
import { html } from '../../../lib/html.js';
import { csrfField, notice, textField } from '../../views/forms.js';
import { sendFormPage, type FormState } from '../page.js';

/** Only local paths: `retour` must never send someone to another site after signing in. */
export function safeReturnPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) && !value.startsWith('/connexion') ? value : '/espace';
}

export function signInPage(
  request: FastifyRequest,
  reply: FastifyReply,
  options: FormState & { email?: string | undefined; returnTo?: string | undefined; message?: string | undefined } = {},
) {
  const returnTo = safeReturnPath(options.returnTo);
  return sendFormPage(request, reply, options, (csrf, errors) => ({
    title: 'Se connecter',
    body: html`<div class="narrow">
${options.status === 401 && !options.formError ? notice('Connectez-vous pour accéder à cette page.') : notice(options.message)}
<h1>Se connecter</h1>
<form method="post" action="/connexion" novalidate>
  ${csrfField(csrf)}
  <input type="hidden" name="retour" value="${returnTo}">
  ${textField({ name: 'email', label: 'Adresse e-mail', type: 'email', autocomplete: 'username', value: options.email, error: errors.email, required: true })}
  ${textField({ name: 'password', label: 'Mot de passe', type: 'password', autocomplete: 'current-password', error: errors.password, required: true })}
  <button type="submit" class="button">Se connecter</button>
</form>
<p><a href="/mot-de-passe-oublie">Mot de passe oublié ?</a></p>
</div>`,
  }));
}
