import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { acceptInvitation, describeInvitation, type InvitationView } from '../../../domains/accounts/invitations.js';
import { checkPasswordResetLink, requestPasswordReset, resetPassword } from '../../../domains/accounts/reset-password.js';
import { openSession, signIn, signOut } from '../../../domains/accounts/sessions.js';
import { DomainError } from '../../../domains/errors.js';
import { html } from '../../../lib/html.js';
import { PUBLIC, SIGNED_IN } from '../../access.js';
import { errorEntry } from '../../error-table.js';
import { networkKey } from '../../network-key.js';
import { redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice, textField, type FieldErrors } from '../../views/forms.js';
import { ROLE_LABELS } from '../../views/labels.js';
import { parseForm, sendFormPage, sendPage, type FormState } from '../page.js';
import { safeReturnPath, signInPage } from './sign-in-page.js';
import { setSessionCookie, clearSessionCookie } from './session-cookie.js';

const email = z.string().trim().min(1, 'Saisissez votre adresse e-mail').max(254, 'Adresse e-mail trop longue').email('Saisissez une adresse e-mail valide, par exemple nom@exemple.fr');
const newPassword = z.string().min(1, 'Choisissez un mot de passe').max(1024, 'Le mot de passe ne doit pas dépasser 256 caractères.');

const signInForm = z.object({
  email,
  password: z.string().min(1, 'Saisissez votre mot de passe').max(1024, 'Mot de passe trop long'),
  retour: z.string().optional(),
});
const resetRequestForm = z.object({ email });
const resetForm = z.object({ password: newPassword });
const newAccountForm = z.object({
  displayName: z.string().trim().min(1, 'Saisissez votre nom').max(200, 'Le nom ne doit pas dépasser 200 caractères'),
  password: newPassword,
});

/** Messages of the domain errors that concern one field, else the whole form. */
const PASSWORD_HINT = 'Au moins 12 caractères. Une phrase facile à retenir convient très bien.';

function domainFieldErrors(error: DomainError): { errors: FieldErrors; formError?: string } {
  const message = errorEntry(error.code).message;
  return error.field ? { errors: { [error.field]: message } } : { errors: {}, formError: message };
}

export function accountRoutes(app: FastifyInstance, ctx: AppContext) {
  // Per network origin, in memory; the per-account limit is in the database (signIn). The key
  // never includes what the client writes in the body, so junk keys cannot evict real counters.
  const signInLimit = {
    max: ctx.config.rateLimits.signIn.max,
    timeWindow: ctx.config.rateLimits.signIn.windowMs,
    keyGenerator: (request: { ip: string }) => `sign-in:${networkKey(request.ip)}`,
  };

  app.get('/connexion', { config: { access: PUBLIC } }, async (request, reply) => {
    if (request.session) return reply.redirect('/espace', 303);
    const query = request.query as { retour?: string; deconnecte?: string };
    return signInPage(request, reply, {
      returnTo: query.retour ?? '/espace',
      message: query.deconnecte === '1' ? 'Vous êtes déconnecté·e. À bientôt !' : undefined,
    });
  });

  app.post('/connexion', { config: { access: PUBLIC, rateLimit: signInLimit } }, async (request, reply) => {
    const form = parseForm(signInForm, request.body);
    if (!form.ok) return signInPage(request, reply, { status: 400, errors: form.errors, email: form.values.email, returnTo: form.values.retour });
    try {
      const { token } = await signIn(ctx, form.data);
      // Signing in again (as the same person or another) closes the session it replaces.
      if (request.session) await signOut(ctx, request.session);
      setSessionCookie(reply, ctx, token);
      return redirectAfterPost(reply, safeReturnPath(form.data.retour));
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return signInPage(request, reply, {
        status: errorEntry(error.code).status,
        formError: errorEntry(error.code).message,
        email: form.data.email,
        returnTo: form.data.retour,
      });
    }
  });

  app.post('/deconnexion', { config: { access: SIGNED_IN } }, async (request, reply) => {
    await signOut(ctx, requireSession(request));
    clearSessionCookie(reply, ctx);
    return redirectAfterPost(reply, '/connexion?deconnecte=1');
  });

  const resetLimit = {
    max: ctx.config.rateLimits.passwordReset.max,
    timeWindow: ctx.config.rateLimits.passwordReset.windowMs,
    keyGenerator: (request: { ip: string }) => `reset:${networkKey(request.ip)}`,
  };

  app.get('/mot-de-passe-oublie', { config: { access: PUBLIC } }, async (request, reply) => resetRequestPage(request, reply, {}));

  app.post('/mot-de-passe-oublie', { config: { access: PUBLIC, rateLimit: resetLimit } }, async (request, reply) => {
    const form = parseForm(resetRequestForm, request.body);
    if (!form.ok) return resetRequestPage(request, reply, { status: 400, errors: form.errors, email: form.values.email });
    await requestPasswordReset(ctx, form.data);
    return sendPage(request, reply, () => ({
      title: 'Vérifiez votre messagerie',
      body: html`<div class="narrow"><h1>Vérifiez votre messagerie</h1>
<p class="lead">Si un compte existe pour <strong>${form.data.email}</strong>, un e-mail vient de lui être envoyé avec un lien pour choisir un nouveau mot de passe.</p>
<p>Le lien est valable ${ctx.config.passwordResetTtlMinutes} minutes et ne sert qu’une fois. Pensez à regarder dans les courriers indésirables.</p>
<p><a href="/connexion">Revenir à la connexion</a></p></div>`,
    }));
  });

  function resetRequestPage(request: FastifyRequest, reply: FastifyReply, state: FormState & { email?: string | undefined }) {
    return sendFormPage(request, reply, state, (csrf, errors) => ({
      title: 'Mot de passe oublié',
      body: html`<div class="narrow"><h1>Mot de passe oublié</h1>
<p>Saisissez l’adresse e-mail de votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe.</p>
<form method="post" action="/mot-de-passe-oublie" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'email', label: 'Adresse e-mail', type: 'email', autocomplete: 'username', value: state.email, error: errors.email, required: true })}
  <button type="submit" class="button">Recevoir le lien</button>
</form></div>`,
    }));
  }

  function newPasswordPage(request: FastifyRequest, reply: FastifyReply, token: string, state: FormState) {
    return sendFormPage(request, reply, state, (csrf, errors) => ({
      title: 'Choisir un nouveau mot de passe',
      body: html`<div class="narrow"><h1>Choisir un nouveau mot de passe</h1>
<form method="post" action="/mot-de-passe/${token}" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'password', label: 'Nouveau mot de passe', type: 'password', autocomplete: 'new-password', hint: PASSWORD_HINT, error: errors.password, required: true })}
  <button type="submit" class="button">Enregistrer le mot de passe</button>
</form></div>`,
    }));
  }

  app.get('/mot-de-passe/:token', { config: { access: PUBLIC } }, async (request, reply) => {
    const { token } = request.params as { token: string };
    await checkPasswordResetLink(ctx, token);
    return newPasswordPage(request, reply, token, {});
  });

  app.post('/mot-de-passe/:token', { config: { access: PUBLIC, rateLimit: resetLimit } }, async (request, reply) => {
    const { token } = request.params as { token: string };
    const form = parseForm(resetForm, request.body);
    if (!form.ok) return newPasswordPage(request, reply, token, { status: 400, errors: form.errors });
    try {
      const userId = await resetPassword(ctx, { token, password: form.data.password });
      setSessionCookie(reply, ctx, (await openSession(ctx, userId)).token);
      return redirectAfterPost(reply, '/espace?ok=mot-de-passe');
    } catch (error) {
      if (error instanceof DomainError && error.field) return newPasswordPage(request, reply, token, { status: 400, ...domainFieldErrors(error) });
      throw error;
    }
  });

  function invitationPage(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    state: FormState & { displayName?: string | undefined },
    invitation: InvitationView,
  ) {
    const session = request.session;
    const signedInAsInvited = session?.user.email === invitation.email;
    return sendFormPage(request, reply, state, (csrf, errors) => ({
      title: `Rejoindre ${invitation.organisationName}`,
      body: html`<div class="narrow"><h1>Rejoindre ${invitation.organisationName}</h1>
<p class="lead">Vous êtes invité·e sur passnum avec l’adresse <strong>${invitation.email}</strong>, comme ${ROLE_LABELS[invitation.role].toLowerCase()}.</p>
${
  session && !signedInAsInvited
    ? notice(`Vous êtes connecté·e avec ${session.user.email}. Déconnectez-vous puis rouvrez ce lien pour accepter avec l’adresse invitée.`)
    : invitation.accountExists
      ? signedInAsInvited
        ? html`<form method="post" action="/invitations/${token}">${csrfField(csrf)}<button type="submit" class="button">Accepter l’invitation</button></form>`
        : html`<p>Vous avez déjà un compte : connectez-vous pour accepter.</p>
<p><a class="button" href="/connexion?retour=${encodeURIComponent(`/invitations/${token}`)}">Se connecter pour accepter</a></p>`
      : html`<p>Créez votre compte pour accepter.</p>
<form method="post" action="/invitations/${token}" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'displayName', label: 'Votre nom', hint: 'Tel qu’il apparaîtra à vos collègues.', autocomplete: 'name', value: state.displayName, error: errors.displayName, required: true })}
  ${textField({ name: 'password', label: 'Mot de passe', type: 'password', autocomplete: 'new-password', hint: PASSWORD_HINT, error: errors.password, required: true })}
  <button type="submit" class="button">Créer mon compte et rejoindre</button>
</form>`
}</div>`,
    }));
  }

  app.get('/invitations/:token', { config: { access: PUBLIC } }, async (request, reply) => {
    const { token } = request.params as { token: string };
    return invitationPage(request, reply, token, {}, await describeInvitation(ctx, token));
  });

  app.post('/invitations/:token', { config: { access: PUBLIC } }, async (request, reply) => {
    const { token } = request.params as { token: string };
    const invitation = await describeInvitation(ctx, token);
    const session = request.session;
    let newAccount: z.infer<typeof newAccountForm> | undefined;
    if (!session) {
      const form = parseForm(newAccountForm, request.body);
      if (!form.ok) return invitationPage(request, reply, token, { status: 400, errors: form.errors, displayName: form.values.displayName }, invitation);
      newAccount = form.data;
    }
    try {
      const joined = await acceptInvitation(ctx, { token, signedInUserId: session?.user.id, newAccount });
      if (session) await signOut(ctx, session);
      setSessionCookie(reply, ctx, (await openSession(ctx, joined.userId, joined.organisationId)).token);
      return redirectAfterPost(reply, '/espace?ok=invitation');
    } catch (error) {
      if (error instanceof DomainError && error.field) {
        return invitationPage(request, reply, token, { status: 400, displayName: newAccount?.displayName, ...domainFieldErrors(error) }, invitation);
      }
      throw error;
    }
  });
}
