import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';

/** POST /api/v1/redemptions. */
export function redemptionsApi(app: FastifyInstance, ctx: AppContext) {
  void app;
  void ctx;
}
