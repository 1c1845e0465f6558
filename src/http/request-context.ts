import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Access } from './access.js';
import type { ApiClient } from '../domains/accounts/api-tokens.js';
import type { SessionView } from '../domains/accounts/sessions.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may use the route: required on every route (see http/access.ts). */
    access?: Access;
  }
  interface FastifyRequest {
    session: SessionView | undefined;
    apiClient: ApiClient | undefined;
  }
}

export const SESSION_COOKIE = 'passnum_session';

/** The session of a page that requires one (the access check ran before the handler). */
export function requireSession(request: FastifyRequest): SessionView {
  if (!request.session) throw new Error('route declared without a person access');
  return request.session;
}

/** The organisation a signed-in person acts for, on routes whose access demands one. */
export function currentMembership(request: FastifyRequest) {
  const current = requireSession(request).current;
  if (!current) throw new Error('route declared without an organisation');
  return current;
}

export function requireClient(request: FastifyRequest): ApiClient {
  if (!request.apiClient) throw new Error('route declared without a client access');
  return request.apiClient;
}

/** Post/Redirect/Get: after a successful form, go to a page (303 so that the browser GETs it). */
export function redirectAfterPost(reply: FastifyReply, location: string) {
  return reply.redirect(location, 303);
}
