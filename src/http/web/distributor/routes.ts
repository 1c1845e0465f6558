import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.js';

/** The distributor's booklets (/distributeur/carnets): hand-out and cancellation. */
export function distributorRoutes(app: FastifyInstance, ctx: AppContext) {
  void app;
  void ctx;
}
