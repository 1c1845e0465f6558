import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { DELIVERY_MODES } from '../../domains/places/catalogue.js';
import { searchPlaces } from '../../domains/places/search-places.js';
import { PUBLIC } from '../access.js';
import { errorResponses } from './schemas.js';

const hitSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  address: z.string(),
  postcode: z.string(),
  commune: z.string(),
  latitude: z.number(),
  longitude: z.number(),
  itinerant: z.boolean(),
  hasSpecificSupport: z.boolean().describe('Le lieu déclare une prise en charge spécifique (surdité, handicap, illettrisme, langues…)'),
  accessibilityUrl: z.string().nullable().describe('Fiche acceslibre du lieu'),
  distanceKm: z.number().nullable().describe('Distance au point de recherche, quand il y en a un'),
  url: z.string().describe('Page publique du lieu'),
  services: z.array(
    z.object({
      code: z.string(),
      label: z.string(),
      level: z.number().int(),
      priceCents: z.number().int().describe('Prix d’une séance en centimes ; au-delà de 1000 (un pass), reste à payer par la personne'),
      deliveryModes: z.array(z.enum(DELIVERY_MODES)),
    }),
  ),
});

/** The search of /lieux as JSON (public, no token): for a map or another site. */
export function placesSearchApi(parent: FastifyInstance, ctx: AppContext) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/api/v1/places/search',
    {
      config: { access: PUBLIC },
      schema: {
        tags: ['Lieux'],
        summary: 'Chercher les lieux qui acceptent le pass numérique',
        description:
          'Les lieux publiés de structures qualifiées et non suspendues, ayant au moins un service actif. `q` : nom de commune, code postal ou département. Tri par distance quand `lat` et `lon` sont donnés, ou depuis le milieu des lieux de la commune cherchée ; sinon par nom. 20 lieux par page.',
        querystring: z.strictObject({
          q: z.string().trim().max(100).optional(),
          service: z.string().regex(/^[A-Z]\d{2}$/).optional().describe('Code d’un service du référentiel'),
          level: z.coerce.number().int().min(1).max(3).optional().describe('Niveau du référentiel (1, 2 ou 3)'),
          mode: z.enum(DELIVERY_MODES).optional(),
          specificSupport: z.enum(['true', 'false']).optional(),
          acceslibre: z.enum(['true', 'false']).optional(),
          lat: z.coerce.number().min(-90).max(90).optional(),
          lon: z.coerce.number().min(-180).max(180).optional(),
          page: z.coerce.number().int().min(1).max(10_000).optional(),
        }),
        response: {
          200: z.object({
            location: z.string().describe('Ce que `q` désigne : everywhere, postcode, communes, departement ou unknown'),
            total: z.number().int(),
            page: z.number().int(),
            pageCount: z.number().int(),
            data: z.array(hitSchema),
          }),
          400: errorResponses[400],
        },
      },
    },
    async (request) => {
      const query = request.query;
      const point = query.lat !== undefined && query.lon !== undefined;
      const result = await searchPlaces(ctx.db, {
        text: query.q,
        serviceCode: query.service,
        level: query.level as 1 | 2 | 3 | undefined,
        deliveryMode: query.mode,
        specificSupport: query.specificSupport === 'true',
        acceslibre: query.acceslibre === 'true',
        latitude: point ? query.lat : undefined,
        longitude: point ? query.lon : undefined,
        page: query.page,
      });
      return {
        location: result.location.kind,
        total: result.total,
        page: result.page,
        pageCount: result.pageCount,
        data: result.hits.map((hit) => ({ ...hit, url: `${ctx.config.publicUrl}/lieux/${hit.id}` })),
      };
    },
  );
}
