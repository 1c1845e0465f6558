import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import type { Actor } from '../../../domains/actor.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { DomainError } from '../../../domains/errors.js';
import { LEGAL_FORMS } from '../../../domains/providers/application.js';
import { decideApplication, messageApplicant, reinstateProvider, suspendProvider } from '../../../domains/providers/review-application.js';
import {
  QUEUE_STATUSES,
  REVIEW_PAGE_SIZE,
  listApplicationsForReview,
  loadApplicationForReview,
  loadProviderDocument,
} from '../../../domains/providers/review-queue.js';
import { html } from '../../../lib/html.js';
import { OPERATOR, OPERATOR_ADMIN } from '../../access.js';
import { errorEntry } from '../../error-table.js';
import { currentMembership, redirectAfterPost, requireSession } from '../../request-context.js';
import { notice, selectField, textField } from '../../views/forms.js';
import { parseForm, sendFormPage, sendPage, type FormState } from '../page.js';
import { LEGAL_FORM_LABELS, QUEUE_STATUS_LABELS, applicationBody, queueTable } from './application-views.js';

/**
 * The operator's review of providers' applications: the queue, one application with everything
 * needed to decide, the decisions (operator admins) and messages to the applicant.
 */

const queueQuery = z.object({
  statut: z.enum(QUEUE_STATUSES).default('submitted'),
  departement: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^(\d{2}|2[AB]|9[78]\d)$/)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  forme: z.enum(LEGAL_FORMS).optional().or(z.literal('').transform(() => undefined)),
  q: z.string().max(200).optional(),
  page: z.coerce.number().int().positive().max(10_000).default(1),
});

const uuid = z.string().uuid();

/** Messages after a Post/Redirect/Get, chosen by a code in the query string (never free text). */
const DONE_MESSAGES: Record<string, string> = {
  modifications: 'Les modifications ont été demandées à la structure, par e-mail.',
  qualifiee: 'La structure est qualifiée : ses lieux sont publiés et elle a été prévenue par e-mail.',
  refusee: 'La candidature est refusée ; la structure a été prévenue par e-mail.',
  suspendue: 'La qualification est suspendue : les lieux sont retirés de la carte et la structure a été prévenue.',
  retablie: 'La qualification est rétablie : les lieux sont de nouveau publiés et la structure a été prévenue.',
  message: 'Votre message a été envoyé à la structure.',
};

const message = (missing: string) => z.string({ message: missing }).trim().min(1, missing).max(5000, 'Le message ne doit pas dépasser 5 000 caractères.');

interface ReviewAction {
  path: string;
  access: typeof OPERATOR;
  /** The form field of the message, when the action has one. */
  field?: string;
  schema: z.ZodType<Record<string, string | undefined>>;
  done: keyof typeof DONE_MESSAGES;
  run(ctx: AppContext, actor: Actor, providerId: string, text: string | undefined): Promise<unknown>;
}

const ACTIONS: ReviewAction[] = [
  {
    path: 'demander-des-modifications',
    access: OPERATOR_ADMIN,
    field: 'changesMessage',
    schema: z.object({ changesMessage: message('Écrivez ce que la structure doit modifier ou compléter.') }),
    done: 'modifications',
    run: (ctx, actor, providerId, text) => decideApplication(ctx, actor, { providerId, decision: 'request_changes', message: text }),
  },
  {
    path: 'qualifier',
    access: OPERATOR_ADMIN,
    field: 'qualifyMessage',
    schema: z.object({ qualifyMessage: z.string().trim().max(5000, 'Le message ne doit pas dépasser 5 000 caractères.').optional() }),
    done: 'qualifiee',
    run: (ctx, actor, providerId, text) => decideApplication(ctx, actor, { providerId, decision: 'qualify', message: text }),
  },
  {
    path: 'refuser',
    access: OPERATOR_ADMIN,
    field: 'refusalMessage',
    schema: z.object({ refusalMessage: message('Expliquez à la structure le motif du refus.') }),
    done: 'refusee',
    run: (ctx, actor, providerId, text) => decideApplication(ctx, actor, { providerId, decision: 'refuse', message: text }),
  },
  {
    path: 'suspendre',
    access: OPERATOR_ADMIN,
    field: 'suspensionReason',
    schema: z.object({ suspensionReason: message('Saisissez le motif de la suspension.') }),
    done: 'suspendue',
    run: (ctx, actor, providerId, text) => suspendProvider(ctx, actor, { providerId, reason: text ?? '' }),
  },
  {
    path: 'retablir',
    access: OPERATOR_ADMIN,
    schema: z.object({}),
    done: 'retablie',
    run: (ctx, actor, providerId) => reinstateProvider(ctx, actor, { providerId }),
  },
  {
    // A question to the applicant is not a decision: every operator may write one.
    path: 'messages',
    access: OPERATOR,
    field: 'message',
    schema: z.object({ message: message('Écrivez votre message à la structure.') }),
    done: 'message',
    run: (ctx, actor, providerId, text) => messageApplicant(ctx, actor, { providerId, message: text ?? '' }),
  },
];

/** Domain errors that the application page shows next to its forms rather than as an error page. */
const SHOWN_ON_PAGE = new Set(['application_status_conflict', 'provider_not_suspendable', 'provider_not_suspended', 'review_message_required', 'review_message_too_long']);

function providerIdOf(request: FastifyRequest): string {
  const parsed = uuid.safeParse((request.params as { providerId?: string }).providerId);
  if (!parsed.success) throw new DomainError('provider_unknown');
  return parsed.data;
}

/** An ASCII file name for old clients, the real one (RFC 5987) for the others. */
function contentDisposition(fileName: string): string {
  const ascii = fileName.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'document';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export function operatorApplicationRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/operateur/candidatures', { config: { access: OPERATOR } }, async (request, reply) => {
    const parsed = queueQuery.safeParse(request.query);
    const query = parsed.success ? parsed.data : queueQuery.parse({});
    const { rows, total } = await listApplicationsForReview(ctx.db, {
      status: query.statut,
      departement: query.departement,
      legalForm: query.forme,
      text: query.q,
      page: query.page,
    });
    const pages = Math.max(1, Math.ceil(total / REVIEW_PAGE_SIZE));
    const link = (page: number) => {
      const params = new URLSearchParams({ statut: query.statut });
      if (query.departement) params.set('departement', query.departement);
      if (query.forme) params.set('forme', query.forme);
      if (query.q) params.set('q', query.q);
      params.set('page', String(page));
      return `/operateur/candidatures?${params.toString()}`;
    };
    return sendPage(request, reply, () => ({
      title: 'Candidatures',
      body: html`<h1>Candidatures des structures</h1>
${parsed.success ? '' : notice('Certains filtres étaient invalides et ont été ignorés.')}
<form method="get" action="/operateur/candidatures" class="filters">
  ${selectField({ name: 'statut', label: 'Statut', options: QUEUE_STATUSES.map((s) => ({ value: s, label: QUEUE_STATUS_LABELS[s] })), value: query.statut })}
  ${textField({ name: 'departement', label: 'Département', hint: 'Par exemple 33, 2A ou 974', value: query.departement })}
  ${selectField({ name: 'forme', label: 'Forme juridique', options: [{ value: '', label: 'Toutes' }, ...LEGAL_FORMS.map((f) => ({ value: f, label: LEGAL_FORM_LABELS[f] }))], value: query.forme ?? '' })}
  ${textField({ name: 'q', label: 'Nom, SIRET ou RNA', type: 'search', value: query.q })}
  <button type="submit" class="button button-secondary">Filtrer</button>
</form>
<p>${total} candidature${total > 1 ? 's' : ''}${pages > 1 ? `, page ${query.page} sur ${pages}` : ''}.</p>
${queueTable(rows, ctx.clock.now())}
${
  pages > 1
    ? html`<nav aria-label="Pages de résultats"><ul class="footer-links">
  ${query.page > 1 ? html`<li><a href="${link(query.page - 1)}">Page précédente</a></li>` : ''}
  ${query.page < pages ? html`<li><a href="${link(query.page + 1)}">Page suivante</a></li>` : ''}
</ul></nav>`
    : ''
}`,
    }));
  });

  async function applicationPage(request: FastifyRequest, reply: FastifyReply, providerId: string, state: FormState) {
    const review = await loadApplicationForReview(ctx.db, providerId);
    if (!review) throw new DomainError('provider_unknown');
    const ok = (request.query as { ok?: unknown }).ok;
    const done = typeof ok === 'string' ? DONE_MESSAGES[ok] : undefined;
    const isAdmin = currentMembership(request).role === 'admin';
    return sendFormPage(request, reply, state, (csrf, errors) => ({
      title: `Candidature de ${review.provider.name}`,
      body: html`${notice(done)}${applicationBody(review, { csrf, errors, values: state.values ?? {}, isAdmin })}`,
    }));
  }

  app.get('/operateur/candidatures/:providerId', { config: { access: OPERATOR } }, (request, reply) =>
    applicationPage(request, reply, providerIdOf(request), {}),
  );

  app.get('/operateur/candidatures/:providerId/documents/:documentId', { config: { access: OPERATOR } }, async (request, reply) => {
    const providerId = providerIdOf(request);
    const documentId = uuid.safeParse((request.params as { documentId: string }).documentId);
    if (!documentId.success) throw new DomainError('document_unknown');
    const document = await loadProviderDocument(ctx.db, providerId, documentId.data);
    if (!document) throw new DomainError('document_unknown');
    // Never rendered by the browser: a PDF or image uploaded by anyone is only ever downloaded.
    return reply
      .header('content-type', document.mediaType)
      .header('content-disposition', contentDisposition(document.fileName))
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, no-store')
      .send(document.content);
  });

  for (const action of ACTIONS) {
    app.post(`/operateur/candidatures/:providerId/${action.path}`, { config: { access: action.access } }, async (request, reply) => {
      const providerId = providerIdOf(request);
      const form = parseForm(action.schema, request.body);
      if (!form.ok) return applicationPage(request, reply, providerId, { status: 400, errors: form.errors, values: form.values });
      try {
        await action.run(ctx, actorOf(requireSession(request)), providerId, action.field ? form.data[action.field] || undefined : undefined);
      } catch (error) {
        if (!(error instanceof DomainError) || !SHOWN_ON_PAGE.has(error.code)) throw error;
        const { status, message: text } = errorEntry(error.code);
        const state: FormState =
          error.field && action.field ? { status, errors: { [action.field]: text }, values: form.values } : { status, formError: text, values: form.values };
        return applicationPage(request, reply, providerId, state);
      }
      return redirectAfterPost(reply, `/operateur/candidatures/${providerId}?ok=${action.done}`);
    });
  }
}
