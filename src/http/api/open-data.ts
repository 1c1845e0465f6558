import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { placesToCsv } from '../../domains/places/export-places.js';
import { EXTENSION_COLUMN, STANDARD_COLUMNS, listPublicPlaces, toStandardRow } from '../../domains/places/open-data.js';
import { PUBLIC } from '../access.js';
import { errorResponses } from './schemas.js';

const rowSchema = z.object({
  ...Object.fromEntries(STANDARD_COLUMNS.map((column) => [column, z.union([z.string(), z.number()]).nullable()])),
  [EXTENSION_COLUMN]: z.boolean().describe('Extension passnum : le lieu accepte le pass numérique (absent du standard v1)'),
});

/** Open data of the public places, in the national standard v1.0.2 (no token needed). */
export function openDataApi(parent: FastifyInstance, ctx: AppContext) {
  const app = parent.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/api/v1/open-data/lieux',
    {
      config: { access: PUBLIC },
      schema: {
        tags: ['Données ouvertes'],
        summary: 'Les lieux publics, au standard des lieux de médiation numérique v1.0.2 (JSON)',
        description: `Pagination par curseur : suivre \`next\`. Chaque ligne a les 32 champs du standard, plus \`${EXTENSION_COLUMN}\` (extension).`,
        querystring: z.strictObject({
          cursor: z.string().uuid().optional().describe('Valeur de `nextCursor` de la page précédente'),
          limit: z.coerce.number().int().min(1).max(1000).default(200),
        }),
        response: { 200: z.object({ data: z.array(rowSchema), nextCursor: z.string().nullable() }), 400: errorResponses[400] },
      },
    },
    async (request) => {
      const { places, hasMore } = await listPublicPlaces(ctx.db, { after: request.query.cursor, limit: request.query.limit });
      return {
        data: places.map((place) => ({ ...toStandardRow(place), [EXTENSION_COLUMN]: true })),
        nextCursor: hasMore ? (places.at(-1)?.id ?? null) : null,
      };
    },
  );

  for (const [url, extended] of [
    ['/api/v1/open-data/lieux.csv', false],
    ['/api/v1/open-data/lieux-etendu.csv', true],
  ] as const) {
    app.get(
      url,
      {
        config: { access: PUBLIC },
        schema: {
          tags: ['Données ouvertes'],
          summary: extended
            ? `Les lieux publics en CSV, standard v1.0.2 plus la colonne « ${EXTENSION_COLUMN} »`
            : 'Les lieux publics en CSV, strictement au standard v1.0.2',
        },
      },
      async (_request, reply) =>
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${url.split('/').at(-1)}"`)
          .send(await placesToCsv(ctx.db, { extended })),
    );
  }
}
