import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domains/errors.js';
import { html } from '../lib/html.js';
import { errorEntry, type ErrorCode } from './error-table.js';
import { sendPage } from './web/page.js';
import { signInPage } from './web/account/sign-in-page.js';

export interface InvalidParam {
  name: string;
  reason: string;
}

/** Translates anything thrown while serving a request into one of our stable codes. */
export function classify(error: unknown): { code: ErrorCode; invalidParams?: InvalidParam[] } {
  if (error instanceof DomainError) {
    return error.field ? { code: error.code, invalidParams: [{ name: error.field, reason: errorEntry(error.code).message }] } : { code: error.code };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    return {
      code: 'validation_failed',
      invalidParams: fastifyError.validation.map((v) => ({
        name:
          (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.') ||
          issuePath((v.params as { issue?: { path?: unknown } } | undefined)?.issue?.path) ||
          String(fastifyError.validationContext ?? 'body'),
        reason: v.message ?? 'valeur invalide',
      })),
    };
  }
  if (fastifyError.code === 'FST_CSRF_INVALID_TOKEN' || fastifyError.code === 'FST_CSRF_MISSING_SECRET') return { code: 'csrf_invalid' };
  switch (fastifyError.statusCode) {
    case 400:
      return { code: 'malformed_body' };
    case 404:
      return { code: 'not_found' };
    case 413:
      return { code: 'payload_too_large' };
    case 415:
      return { code: 'unsupported_media_type' };
    case 429:
      return { code: 'rate_limited' };
    default:
      return { code: 'internal_error' };
  }
}

function issuePath(path: unknown): string {
  return Array.isArray(path) ? path.join('.') : '';
}

export function isApiRequest(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/') || request.url === '/healthz';
}

/**
 * RFC 9457 problem details; `code` is the stable machine-readable part. `extensions` adds members
 * of the route's own (RFC 9457 §3.2); they never replace the standard ones.
 */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, code: ErrorCode, invalidParams?: InvalidParam[], extensions?: Record<string, unknown>) {
  const { status, message } = errorEntry(code);
  // A client whose token is refused is told how to authenticate (RFC 9110 §11.6.1).
  if (status === 401 && request.url.startsWith('/api/') && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', 'Bearer realm="passnum"');
  return reply
    .status(status)
    .type('application/problem+json; charset=utf-8')
    .send({
      ...extensions,
      type: `urn:passnum:problem:${code}`,
      title: message,
      status,
      code,
      instance: request.url.split('?')[0],
      ...(invalidParams?.length ? { invalidParams } : {}),
    });
}

export function sendErrorPage(request: FastifyRequest, reply: FastifyReply, code: ErrorCode) {
  if (code === 'unauthenticated') return signInPage(request, reply, { status: 401, returnTo: request.url });
  const { status, message } = errorEntry(code);
  const title = status === 404 ? 'Page introuvable' : status === 403 ? 'Accès refusé' : status >= 500 ? 'Erreur du service' : 'Erreur';
  return sendPage(
    request,
    reply,
    () => ({
      title,
      body: html`<h1>${title}</h1>
<p class="lead">${message}</p>
${status === 404 ? html`<p>Si vous avez saisi l’adresse, vérifiez qu’elle est correcte.</p>` : ''}
<p><a href="${request.session ? '/espace' : '/'}">Revenir à ${request.session ? 'mon espace' : 'l’accueil'}</a></p>`,
    }),
    status,
  );
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown) {
  const { code, invalidParams } = classify(error);
  if (code === 'internal_error') request.log.error({ err: error }, 'unexpected error');
  return isApiRequest(request) ? sendProblem(request, reply, code, invalidParams) : sendErrorPage(request, reply, code);
}
