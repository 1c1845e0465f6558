import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { PUBLIC } from '../../access.js';
import { sendErrorPage } from '../../errors.js';
import { publicPlacePage } from './place-page.js';
import { placesSearchPage } from './search-page.js';

const require = createRequire(import.meta.url);

/** The map of /lieux: Leaflet as installed from npm, and our script and styles. No CDN. */
const MAP_ASSETS = {
  'leaflet.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(require.resolve('leaflet/dist/leaflet.js')) },
  'leaflet.css': { type: 'text/css; charset=utf-8', body: readFileSync(require.resolve('leaflet/dist/leaflet.css')) },
  'places-map.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('../../assets/places-map.js', import.meta.url)) },
  'places-map.css': { type: 'text/css; charset=utf-8', body: readFileSync(new URL('../../assets/places-map.css', import.meta.url)) },
};

/** Public pages of places: the search with its map, and a page per place. */
export function placesRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/assets/carte/:file', { config: { access: PUBLIC } }, async (request, reply) => {
    const asset = MAP_ASSETS[(request.params as { file: string }).file as keyof typeof MAP_ASSETS];
    if (!asset) return sendErrorPage(request, reply, 'not_found');
    return reply.type(asset.type).header('cache-control', 'public, max-age=3600').send(asset.body);
  });
  placesSearchPage(app, ctx);
  publicPlacePage(app, ctx);
}
