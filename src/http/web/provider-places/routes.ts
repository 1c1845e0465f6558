import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { providerCataloguePages } from './catalogue-pages.js';
import { providerPlacePages } from './place-pages.js';

/** A provider's places (/structure/lieux) and the catalogue of each. */
export function providerPlacesRoutes(app: FastifyInstance, ctx: AppContext) {
  providerPlacePages(app, ctx);
  providerCataloguePages(app, ctx);
}
