import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { DomainError } from '../../domains/errors.js';
import { HELP_KINDS, STANDARD_SERVICES } from '../../domains/referential/model.js';
import { loadReferential } from '../../domains/referential/publish-referential.js';
import { PUBLIC } from '../access.js';
import { problemSchema } from './schemas.js';

const serviceSchema = z.object({
  code: z.string(),
  level: z.number().int().min(1).max(3),
  label: z.string(),
  description: z.string(),
  standardServices: z.array(z.enum(STANDARD_SERVICES)),
  helpKind: z.enum(HELP_KINDS.map((k) => k.code) as [string, ...string[]]),
  doingForPerson: z.boolean().describe('« Faire à la place » : réservé aux professionnels'),
});

/** The national referential of services, public, any published version. */
export function referentialApi(parent: FastifyInstance, ctx: AppContext) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/v1/referential',
    {
      config: { access: PUBLIC },
      schema: {
        tags: ['Référentiel'],
        summary: 'Le référentiel national des services (la version en vigueur, ou celle demandée)',
        querystring: z.strictObject({ version: z.coerce.number().int().positive().optional() }),
        response: {
          200: z.object({ version: z.number().int(), title: z.string(), publishedOn: z.string(), notes: z.string().nullable(), services: z.array(serviceSchema) }),
          400: problemSchema,
          404: problemSchema,
        },
      },
    },
    async (request) => {
      const referential = await loadReferential(ctx.db, request.query.version);
      if (!referential) throw new DomainError('referential_version_unknown');
      return { ...referential, services: referential.services.map((s) => ({ ...s, standardServices: [...s.standardServices] })) };
    },
  );
}
