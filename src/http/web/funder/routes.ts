import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.js';

/** The funder's orders (/financeur/commandes) and distributors (/financeur/distributeurs). */
export function funderRoutes(app: FastifyInstance, ctx: AppContext) {
  void app;
  void ctx;
}
