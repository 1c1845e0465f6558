import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { ORGANISATION_KINDS } from '../../../domains/accounts/model.js';
import { createOrganisation, listOrganisations } from '../../../domains/accounts/organisations.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { listAuditActions, listAuditEvents } from '../../../domains/audit/list-audit-events.js';
import { html } from '../../../lib/html.js';
import { OPERATOR, OPERATOR_ADMIN } from '../../access.js';
import { redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice, selectField, textField } from '../../views/forms.js';
import { ORGANISATION_KIND_LABELS, formatDateTime } from '../../views/labels.js';
import { parseForm, sendFormPage, sendPage, type FormState } from '../page.js';
import { operatorAccountingRoutes } from './accounting.js';
import { operatorFunderInvoiceRoutes } from './funder-invoices.js';

/** The operator organisation itself is made from the command line only. */
const CREATABLE_KINDS = ORGANISATION_KINDS.filter((kind) => kind !== 'operator');

const organisationForm = z.object({
  kind: z.enum(CREATABLE_KINDS, { message: 'Choisissez le type d’organisation' }),
  name: z.string().trim().min(1, 'Saisissez le nom de l’organisation').max(200, 'Le nom ne doit pas dépasser 200 caractères'),
  adminEmail: z.string().trim().min(1, 'Saisissez l’adresse e-mail de la personne à inviter').max(254, 'Adresse e-mail trop longue').email('Saisissez une adresse e-mail valide, par exemple nom@exemple.fr'),
});

const PAGE_SIZE = 50;
const dateParam = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().or(z.literal('').transform(() => undefined));
const journalQuery = z.object({
  action: z.string().max(100).optional(),
  organisation: z.string().uuid().optional().or(z.literal('').transform(() => undefined)),
  du: dateParam,
  au: dateParam,
  avant: z.coerce.number().int().positive().optional(),
});

/** Day bounds in Europe/Paris: the journal is filtered by calendar day as people read it. */
function parisDayStart(day: string): Date {
  const utcMidnight = new Date(`${day}T00:00:00Z`);
  const parisHour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', hourCycle: 'h23' }).format(utcMidnight));
  return new Date(utcMidnight.getTime() - parisHour * 3_600_000);
}

export function operatorRoutes(app: FastifyInstance, ctx: AppContext) {
  // The accounting pages (exports, funders' invoices) live in their own files.
  operatorAccountingRoutes(app, ctx);
  operatorFunderInvoiceRoutes(app, ctx);

  async function organisationsPage(request: FastifyRequest, reply: FastifyReply, o: FormState) {
    const organisations = await listOrganisations(ctx);
    const created = (request.query as { ok?: string }).ok === 'cree';
    return sendFormPage(request, reply, o, (csrf, errors) => ({
        title: 'Organisations',
        body: html`${notice(created ? 'L’organisation a été créée et sa première personne invitée par e-mail.' : undefined)}
<h1>Organisations</h1>
<table class="table">
  <caption>Organisations de la plateforme (${organisations.length})</caption>
  <thead><tr><th scope="col">Nom</th><th scope="col">Type</th><th scope="col">Personnes</th><th scope="col">Créée le</th></tr></thead>
  <tbody>${organisations.map(
    (org) => html`<tr><td>${org.name}</td><td>${ORGANISATION_KIND_LABELS[org.kind]}</td><td>${org.memberCount}</td><td>${formatDateTime(org.createdAt)}</td></tr>`,
  )}</tbody>
</table>
<h2>Créer une organisation</h2>
<form method="post" action="/operateur/organisations" novalidate>
  ${csrfField(csrf)}
  ${selectField({ name: 'kind', label: 'Type', options: CREATABLE_KINDS.map((k) => ({ value: k, label: ORGANISATION_KIND_LABELS[k] })), value: o.values?.kind ?? 'funder', error: errors.kind })}
  ${textField({ name: 'name', label: 'Nom', value: o.values?.name, error: errors.name, required: true })}
  ${textField({ name: 'adminEmail', label: 'Adresse e-mail de son administrateur·rice', type: 'email', hint: 'Cette personne recevra une invitation et pourra ensuite inviter ses collègues.', value: o.values?.adminEmail, error: errors.adminEmail, required: true })}
  <button type="submit" class="button">Créer et inviter</button>
</form>`,
      }));
  }

  app.get('/operateur/organisations', { config: { access: OPERATOR } }, (request, reply) => organisationsPage(request, reply, {}));

  app.post('/operateur/organisations', { config: { access: OPERATOR_ADMIN } }, async (request, reply) => {
    const form = parseForm(organisationForm, request.body);
    if (!form.ok) return organisationsPage(request, reply, { status: 400, errors: form.errors, values: form.values });
    await createOrganisation(ctx, actorOf(requireSession(request)), form.data);
    return redirectAfterPost(reply, '/operateur/organisations?ok=cree');
  });

  app.get('/operateur/journal', { config: { access: OPERATOR } }, async (request, reply) => {
    const parsed = journalQuery.safeParse(request.query);
    const query = parsed.success ? parsed.data : {};
    const invalid = !parsed.success;
    const to = query.au ? new Date(parisDayStart(query.au).getTime() + 86_400_000 - 1) : undefined;
    const [page, actions, organisations] = await Promise.all([
      listAuditEvents(ctx.db, {
        action: query.action || undefined,
        organisationId: query.organisation,
        from: query.du ? parisDayStart(query.du) : undefined,
        to,
        beforeId: query.avant,
        limit: PAGE_SIZE,
      }),
      listAuditActions(ctx.db),
      listOrganisations(ctx),
    ]);
    const next = new URLSearchParams();
    for (const [key, value] of Object.entries({ action: query.action, organisation: query.organisation, du: query.du, au: query.au })) if (value) next.set(key, value);
    const last = page.entries.at(-1);
    if (last) next.set('avant', String(last.id));
    return sendPage(request, reply, () => ({
      title: 'Journal d’audit',
      body: html`<h1>Journal d’audit</h1>
${invalid ? notice('Certains filtres étaient invalides et ont été ignorés.') : ''}
<p>Chaque changement d’état est enregistré ici : qui, quoi, quand, pour quelle organisation, avant et après. Le journal ne peut être ni modifié ni effacé.</p>
<form method="get" action="/operateur/journal" class="filters">
  ${selectField({ name: 'action', label: 'Action', options: [{ value: '', label: 'Toutes' }, ...actions.map((a) => ({ value: a, label: a }))], value: query.action ?? '' })}
  ${selectField({ name: 'organisation', label: 'Organisation', options: [{ value: '', label: 'Toutes' }, ...organisations.map((o) => ({ value: o.id, label: o.name }))], value: query.organisation ?? '' })}
  ${textField({ name: 'du', label: 'Du', type: 'date', value: query.du })}
  ${textField({ name: 'au', label: 'Au', type: 'date', value: query.au })}
  <button type="submit" class="button button-secondary">Filtrer</button>
</form>
<table class="table">
  <caption>Événements, du plus récent au plus ancien</caption>
  <thead><tr><th scope="col">Date</th><th scope="col">Action</th><th scope="col">Par</th><th scope="col">Organisation</th><th scope="col">Objet</th><th scope="col">Avant</th><th scope="col">Après</th></tr></thead>
  <tbody>
  ${page.entries.map(
    (e) => html`<tr><td>${formatDateTime(e.occurredAt)}</td><td><code>${e.action}</code></td><td>${e.actorEmail ?? (e.actorApiTokenId ? 'jeton d’API' : 'système')}</td><td>${e.actorOrganisationName ?? '–'}</td><td>${e.subjectType} <code class="small">${e.subjectId}</code></td><td>${e.before ? html`<code class="small">${JSON.stringify(e.before)}</code>` : '–'}</td><td>${e.after ? html`<code class="small">${JSON.stringify(e.after)}</code>` : '–'}</td></tr>`,
  )}
  ${page.entries.length === 0 ? html`<tr><td colspan="7">Aucun événement pour ces filtres.</td></tr>` : ''}
  </tbody>
</table>
${page.hasMore ? html`<p><a href="/operateur/journal?${next.toString()}">Événements plus anciens</a></p>` : ''}`,
    }));
  });
}
