import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { inviteMember } from '../../domains/accounts/invitations.js';
import { listMembers } from '../../domains/accounts/organisations.js';
import { findOrganisation } from '../../domains/accounts/repository.js';
import { requireClient } from '../request-context.js';
import { bearerSecurity, errorResponses, memberSchema, organisationSchema, problemSchema } from './schemas.js';

/** The organisation of the API token: who am I, my team, invite someone. */
export function organisationApi(parent: FastifyInstance, ctx: AppContext) {
  const app = parent.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/api/v1/organisation',
    {
      config: { access: { kind: 'client', scope: 'organisation:read' } },
      schema: { tags: ['Organisation'], summary: 'L’organisation du jeton', security: bearerSecurity, response: { 200: organisationSchema, ...errorResponses } },
    },
    async (request) => {
      const organisation = await findOrganisation(ctx.db, requireClient(request).organisationId);
      return { id: organisation!.id, kind: organisation!.kind, name: organisation!.name };
    },
  );

  app.get(
    '/api/v1/organisation/members',
    {
      config: { access: { kind: 'client', scope: 'members:read' } },
      schema: {
        tags: ['Organisation'],
        summary: 'Les personnes de l’organisation',
        security: bearerSecurity,
        response: { 200: z.object({ members: z.array(memberSchema) }), ...errorResponses },
      },
    },
    async (request) => ({
      members: (await listMembers(ctx, requireClient(request).organisationId)).map((m) => ({ ...m, since: m.since.toISOString() })),
    }),
  );

  app.post(
    '/api/v1/organisation/invitations',
    {
      config: { access: { kind: 'client', scope: 'members:write' } },
      schema: {
        tags: ['Organisation'],
        summary: 'Inviter une personne par e-mail, comme membre',
        description: 'Un jeton ne fait entrer que des membres : seul un administrateur, depuis son espace, invite un administrateur.',
        security: bearerSecurity,
        body: z.strictObject({ email: z.string().trim().max(254).email(), role: z.literal('member').default('member') }),
        response: { 201: z.object({ invitationId: z.string().uuid() }), ...errorResponses, 409: problemSchema },
      },
    },
    async (request, reply) => {
      const client = requireClient(request);
      const result = await inviteMember(
        ctx,
        { userId: null, organisationId: client.organisationId, apiTokenId: client.tokenId },
        { organisationId: client.organisationId, ...request.body },
      );
      return reply.status(201).send(result);
    },
  );
}
