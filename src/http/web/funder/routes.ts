import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { FUNDER } from '../../access.js';
import { currentMembership } from '../../request-context.js';
import { funderDistributorPages } from './distributor-pages.js';
import { orderDocumentRoutes } from './documents.js';
import { funderOrderDetail } from './order-detail.js';
import { funderOrderPages } from './order-pages.js';

/** The funder's orders (/financeur/commandes) and distributors (/financeur/distributeurs). */
export function funderRoutes(app: FastifyInstance, ctx: AppContext) {
  funderOrderPages(app, ctx);
  funderOrderDetail(app, ctx);
  orderDocumentRoutes(app, ctx, { prefix: '/financeur/commandes', access: FUNDER, funderIdOf: (request) => currentMembership(request).organisationId });
  funderDistributorPages(app, ctx);
}
