import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { createApiToken, listApiTokens, revokeApiToken } from '../../../domains/accounts/api-tokens.js';
import { inviteMember, listPendingInvitations } from '../../../domains/accounts/invitations.js';
import { MEMBER_ROLES, isApiScope, scopesFor, type ApiScope } from '../../../domains/accounts/model.js';
import { listMembers, removeMember } from '../../../domains/accounts/organisations.js';
import { actorOf, switchOrganisation } from '../../../domains/accounts/sessions.js';
import { DomainError } from '../../../domains/errors.js';
import { html } from '../../../lib/html.js';
import { ADMIN, MEMBER, SIGNED_IN } from '../../access.js';
import { errorEntry } from '../../error-table.js';
import { currentMembership, redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice, selectField, textField } from '../../views/forms.js';
import { ORGANISATION_KIND_LABELS, ROLE_LABELS, formatDateTime } from '../../views/labels.js';
import { parseForm, sendFormPage, sendPage, type FormState } from '../page.js';

/** Messages after a Post/Redirect/Get, chosen by a code in the query string (never free text). */
const DONE_MESSAGES: Record<string, string> = {
  invitation: 'Bienvenue ! Vous avez rejoint l’organisation.',
  'mot-de-passe': 'Votre mot de passe a été changé. Vos autres sessions ont été fermées.',
  organisation: 'Vous agissez maintenant pour cette organisation.',
  invite: 'L’invitation a été envoyée par e-mail.',
  retire: 'La personne a été retirée de l’organisation.',
  revoque: 'Le jeton a été révoqué : il ne fonctionne plus.',
};

function doneMessage(request: FastifyRequest): string | undefined {
  const ok = (request.query as { ok?: unknown }).ok;
  return typeof ok === 'string' ? DONE_MESSAGES[ok] : undefined;
}

const inviteForm = z.object({
  email: z.string().trim().min(1, 'Saisissez l’adresse e-mail de la personne').max(254, 'Adresse e-mail trop longue').email('Saisissez une adresse e-mail valide, par exemple nom@exemple.fr'),
  role: z.enum(MEMBER_ROLES, { message: 'Choisissez un rôle' }),
});
const uuid = z.string().uuid();
const tokenForm = z.object({
  name: z.string().trim().min(1, 'Donnez un nom au jeton, par exemple celui du logiciel qui l’utilisera').max(100, 'Le nom ne doit pas dépasser 100 caractères'),
  scopes: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
    .pipe(z.array(z.string().refine(isApiScope, 'Droit inconnu')).min(1, 'Cochez au moins un droit')),
});

const SCOPE_LABELS: Record<ApiScope, string> = {
  'organisation:read': 'Lire les informations de l’organisation',
  'members:read': 'Lire la liste de l’équipe',
  'members:write': 'Inviter des personnes dans l’équipe',
  'audit:read': 'Lire le journal d’audit (opérateur)',
  'redemptions:write': 'Encaisser des chèques (caisse ou logiciel du lieu)',
};

export function organisationRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/espace', { config: { access: SIGNED_IN } }, async (request, reply) => {
    const session = requireSession(request);
    const current = session.current;
    return sendPage(request, reply, (csrf) => ({
      title: 'Mon espace',
      body: html`${notice(doneMessage(request))}
<h1>Bonjour ${session.user.displayName}</h1>
${
  current
    ? html`<p class="lead">Vous agissez pour <strong>${current.organisationName}</strong> (${ORGANISATION_KIND_LABELS[current.organisationKind]}), comme ${ROLE_LABELS[current.role].toLowerCase()}.</p>`
    : html`<p class="lead">Vous ne faites encore partie d’aucune organisation. Demandez une invitation à l’administrateur de votre structure.</p>`
}
${
  session.memberships.length > 1
    ? html`<h2>Changer d’organisation</h2>
<form method="post" action="/espace/organisation" class="inline-fields">
  ${csrfField(csrf)}
  ${selectField({
    name: 'organisationId',
    label: 'Organisation pour laquelle vous agissez',
    options: session.memberships.map((m) => ({ value: m.organisationId, label: `${m.organisationName} (${ORGANISATION_KIND_LABELS[m.organisationKind]})` })),
    value: current?.organisationId,
  })}
  <button type="submit" class="button button-secondary">Changer</button>
</form>`
    : ''
}
${current ? html`<h2>Raccourcis</h2>
<ul class="cards">
  <li><a href="/organisation/membres">Équipe de ${current.organisationName}</a></li>
  ${current.role === 'admin' ? html`<li><a href="/organisation/jetons">Jetons d’API pour vos logiciels</a></li>` : ''}
  ${current.organisationKind === 'operator' ? html`<li><a href="/operateur/organisations">Organisations de la plateforme</a></li><li><a href="/operateur/journal">Journal d’audit</a></li>` : ''}
</ul>` : ''}`,
    }));
  });

  app.post('/espace/organisation', { config: { access: SIGNED_IN } }, async (request, reply) => {
    const organisationId = uuid.safeParse((request.body as { organisationId?: unknown } | undefined)?.organisationId);
    if (!organisationId.success) throw new DomainError('not_a_member', 'organisationId');
    await switchOrganisation(ctx, requireSession(request), organisationId.data);
    return redirectAfterPost(reply, '/espace?ok=organisation');
  });

  async function membersPage(request: FastifyRequest, reply: FastifyReply, o: FormState) {
    const current = currentMembership(request);
    const [members, invitations] = await Promise.all([listMembers(ctx, current.organisationId), listPendingInvitations(ctx, current.organisationId)]);
    const isAdmin = current.role === 'admin';
    return sendFormPage(request, reply, o, (csrf, errors) => ({
        title: 'Équipe',
        body: html`${notice(doneMessage(request))}
<h1>Équipe de ${current.organisationName}</h1>
<table class="table">
  <caption>Personnes de l’organisation (${members.length})</caption>
  <thead><tr><th scope="col">Nom</th><th scope="col">Adresse e-mail</th><th scope="col">Rôle</th><th scope="col">Depuis</th>${isAdmin ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
  <tbody>
  ${members.map(
    (m) => html`<tr><td>${m.displayName}</td><td>${m.email}</td><td>${ROLE_LABELS[m.role]}</td><td>${formatDateTime(m.since)}</td>${
      isAdmin
        ? html`<td><form method="post" action="/organisation/membres/${m.userId}/retirer">${csrfField(csrf)}<button type="submit" class="button-link">Retirer<span class="visually-hidden"> ${m.displayName}</span></button></form></td>`
        : ''
    }</tr>`,
  )}
  </tbody>
</table>
${
  invitations.length
    ? html`<table class="table"><caption>Invitations en attente (${invitations.length})</caption>
<thead><tr><th scope="col">Adresse e-mail</th><th scope="col">Rôle</th><th scope="col">Expire le</th></tr></thead>
<tbody>${invitations.map((i) => html`<tr><td>${i.email}</td><td>${ROLE_LABELS[i.role]}</td><td>${formatDateTime(i.expiresAt)}</td></tr>`)}</tbody></table>`
    : ''
}
${
  isAdmin
    ? html`<h2>Inviter une personne</h2>
<form method="post" action="/organisation/membres/invitations" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'email', label: 'Adresse e-mail', type: 'email', hint: 'La personne recevra un lien valable quelques jours pour créer son compte.', value: o.values?.email, error: errors.email, required: true })}
  ${selectField({ name: 'role', label: 'Rôle', options: MEMBER_ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] })), value: o.values?.role ?? 'member', error: errors.role, hint: 'Les administrateur·rices invitent et retirent des personnes et gèrent les jetons d’API.' })}
  <button type="submit" class="button">Envoyer l’invitation</button>
</form>`
    : ''
}`,
      }));
  }

  app.get('/organisation/membres', { config: { access: MEMBER } }, (request, reply) => membersPage(request, reply, {}));

  app.post('/organisation/membres/invitations', { config: { access: ADMIN } }, async (request, reply) => {
    const form = parseForm(inviteForm, request.body);
    if (!form.ok) return membersPage(request, reply, { status: 400, errors: form.errors, values: form.values });
    const current = currentMembership(request);
    try {
      await inviteMember(ctx, actorOf(requireSession(request)), { organisationId: current.organisationId, ...form.data });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const message = errorEntry(error.code).message;
      return membersPage(request, reply, { status: 409, values: form.values, ...(error.field ? { errors: { [error.field]: message } } : { formError: message }) });
    }
    return redirectAfterPost(reply, '/organisation/membres?ok=invite');
  });

  app.post('/organisation/membres/:userId/retirer', { config: { access: ADMIN } }, async (request, reply) => {
    const userId = uuid.safeParse((request.params as { userId: string }).userId);
    if (!userId.success) throw new DomainError('not_a_member');
    const current = currentMembership(request);
    try {
      await removeMember(ctx, actorOf(requireSession(request)), { organisationId: current.organisationId, userId: userId.data });
    } catch (error) {
      if (error instanceof DomainError && error.code === 'last_admin') return membersPage(request, reply, { status: 409, formError: errorEntry('last_admin').message });
      throw error;
    }
    return redirectAfterPost(reply, '/organisation/membres?ok=retire');
  });

  async function tokensPage(request: FastifyRequest, reply: FastifyReply, o: FormState & { created?: string }) {
    const current = currentMembership(request);
    const tokens = await listApiTokens(ctx, current.organisationId);
    const scopes = scopesFor(current.organisationKind);
    return sendFormPage(request, reply, o, (csrf, errors) => ({
        title: 'Jetons d’API',
        body: html`${notice(doneMessage(request))}
<h1>Jetons d’API</h1>
<p>Un jeton permet à un logiciel de votre organisation d’utiliser l’<a href="/api/openapi.json">API de passnum</a>. Il s’envoie dans l’en-tête <code>Authorization: Bearer …</code>.</p>
${
  o.created
    ? html`<div class="panel" role="status"><h2>Votre nouveau jeton</h2>
<p>Copiez-le maintenant : il ne sera plus jamais affiché.</p>
<p><code class="secret" id="nouveau-jeton">${o.created}</code></p></div>`
    : ''
}
<table class="table">
  <caption>Jetons de ${current.organisationName}</caption>
  <thead><tr><th scope="col">Nom</th><th scope="col">Début</th><th scope="col">Droits</th><th scope="col">Créé le</th><th scope="col">Dernier usage</th><th scope="col">État</th></tr></thead>
  <tbody>
  ${tokens.map(
    (t) => html`<tr><td>${t.name}</td><td><code>pn_${t.prefix}_…</code></td><td>${t.scopes.join(', ')}</td><td>${formatDateTime(t.createdAt)}</td><td>${t.lastUsedAt ? formatDateTime(t.lastUsedAt) : 'jamais'}</td><td>${
      t.revokedAt
        ? `révoqué le ${formatDateTime(t.revokedAt)}`
        : html`<form method="post" action="/organisation/jetons/${t.id}/revoquer">${csrfField(csrf)}<button type="submit" class="button-link">Révoquer<span class="visually-hidden"> le jeton ${t.name}</span></button></form>`
    }</td></tr>`,
  )}
  ${tokens.length === 0 ? html`<tr><td colspan="6">Aucun jeton pour l’instant.</td></tr>` : ''}
  </tbody>
</table>
<h2>Créer un jeton</h2>
<form method="post" action="/organisation/jetons" novalidate>
  ${csrfField(csrf)}
  ${textField({ name: 'name', label: 'Nom du jeton', hint: 'Pour le reconnaître, par exemple « Logiciel comptable ».', value: o.values?.name, error: errors.name, required: true })}
  <fieldset class="field${errors.scopes ? ' field-error' : ''}" aria-describedby="scopes-hint${errors.scopes ? ' scopes-error' : ''}">
    <legend>Droits du jeton</legend>
    <p class="hint" id="scopes-hint">Ne donnez que ce dont le logiciel a besoin.</p>
    ${errors.scopes ? html`<p class="error-message" id="scopes-error"><span class="visually-hidden">Erreur : </span>${errors.scopes}</p>` : ''}
    ${scopes.map(
      (scope, i) => html`<div class="checkbox"><input type="checkbox" name="scopes" value="${scope}" id="${i === 0 ? 'scopes' : `scopes-${i}`}"><label for="${i === 0 ? 'scopes' : `scopes-${i}`}">${SCOPE_LABELS[scope]} <code>${scope}</code></label></div>`,
    )}
  </fieldset>
  <button type="submit" class="button">Créer le jeton</button>
</form>`,
      }));
  }

  app.get('/organisation/jetons', { config: { access: ADMIN } }, (request, reply) => tokensPage(request, reply, {}));

  app.post('/organisation/jetons', { config: { access: ADMIN } }, async (request, reply) => {
    const form = parseForm(tokenForm, request.body);
    if (!form.ok) return tokensPage(request, reply, { status: 400, errors: form.errors, values: form.values });
    const current = currentMembership(request);
    try {
      const { token } = await createApiToken(ctx, actorOf(requireSession(request)), {
        organisationId: current.organisationId,
        organisationKind: current.organisationKind,
        name: form.data.name,
        scopes: form.data.scopes as ApiScope[],
      });
      // Shown once, in this response only (never stored in clear, never in a URL).
      return tokensPage(request, reply, { status: 201, created: token });
    } catch (error) {
      if (error instanceof DomainError && error.field) return tokensPage(request, reply, { status: 400, errors: { [error.field]: errorEntry(error.code).message }, values: form.values });
      throw error;
    }
  });

  app.post('/organisation/jetons/:tokenId/revoquer', { config: { access: ADMIN } }, async (request, reply) => {
    const tokenId = uuid.safeParse((request.params as { tokenId: string }).tokenId);
    if (!tokenId.success) throw new DomainError('api_token_unknown');
    await revokeApiToken(ctx, actorOf(requireSession(request)), { organisationId: currentMembership(request).organisationId, tokenId: tokenId.data });
    return redirectAfterPost(reply, '/organisation/jetons?ok=revoque');
  });
}
