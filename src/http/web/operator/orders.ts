import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.js';

/** The operator's view of all orders (/operateur/commandes): record a prepayment. */
export function operatorOrderRoutes(app: FastifyInstance, ctx: AppContext) {
  void app;
  void ctx;
}
