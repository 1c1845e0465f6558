import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { listAuditEvents } from '../../domains/audit/list-audit-events.js';
import { bearerSecurity, errorResponses } from './schemas.js';

const auditEventSchema = z.object({
  id: z.number().int(),
  occurredAt: z.iso.datetime(),
  action: z.string(),
  subjectType: z.string(),
  subjectId: z.string(),
  actorUserId: z.string().nullable(),
  actorOrganisationId: z.string().nullable(),
  actorApiTokenId: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
});

/** The operator's journal for machines (e.g. export to an archive). */
export function auditEventsApi(parent: FastifyInstance, ctx: AppContext) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/v1/audit-events',
    {
      config: { access: { kind: 'client', scope: 'audit:read', organisationKinds: ['operator'] } },
      schema: {
        tags: ['Audit'],
        summary: 'Le journal d’audit, du plus récent au plus ancien',
        security: bearerSecurity,
        querystring: z.strictObject({
          action: z.string().max(100).optional(),
          organisationId: z.string().uuid().optional(),
          from: z.iso.datetime({ offset: true }).optional(),
          to: z.iso.datetime({ offset: true }).optional(),
          before: z.coerce.number().int().positive().optional().describe('Keyset pagination: events older than this id'),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ events: z.array(auditEventSchema), nextBefore: z.number().int().nullable() }), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await listAuditEvents(ctx.db, {
        action: q.action,
        organisationId: q.organisationId,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        beforeId: q.before,
        limit: q.limit,
      });
      return {
        events: page.entries.map(({ actorEmail: _e, actorOrganisationName: _o, ...e }) => ({ ...e, occurredAt: e.occurredAt.toISOString() })),
        nextBefore: page.hasMore ? (page.entries.at(-1)?.id ?? null) : null };
    },
  );
}
