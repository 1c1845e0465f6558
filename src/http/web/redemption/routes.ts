import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.js';

/** The provider's scan page (/structure/encaisser). */
export function redemptionRoutes(app: FastifyInstance, ctx: AppContext) {
  void app;
  void ctx;
}
