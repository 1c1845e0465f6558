import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../../app-context.js';

/** The holder's page (/mon-pass): is this voucher valid, until when, where. */
export function holderRoutes(app: FastifyInstance, ctx: AppContext) {
  void app;
  void ctx;
}
