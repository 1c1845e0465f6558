import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { layout, type PageInput } from '../views/layout.js';
import type { FieldErrors } from '../views/forms.js';

/** Renders a page in the shell, with the person's session and a CSRF token for its forms. */
export function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  page: (csrfToken: string) => Omit<PageInput, 'session' | 'csrfToken' | 'path'>,
  status = 200,
) {
  const csrfToken = reply.generateCsrf();
  const input = page(csrfToken);
  return reply
    .status(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(layout({ ...input, session: request.session, csrfToken, path: request.routeOptions.url ?? request.url }).value);
}

export type FormResult<T> = { ok: true; data: T; values: Record<string, string> } | { ok: false; errors: FieldErrors; values: Record<string, string> };

/**
 * Validates a submitted form with its schema. On failure, returns one French message per field
 * (the first problem of each), and the submitted text values to fill the form again.
 */
export function parseForm<S extends z.ZodType>(schema: S, body: unknown): FormResult<z.infer<S>> {
  const values: Record<string, string> = {};
  if (body && typeof body === 'object') {
    for (const [key, value] of Object.entries(body)) {
      if (typeof value === 'string' && key !== '_csrf' && !key.toLowerCase().includes('password')) values[key] = value;
    }
  }
  const result = schema.safeParse(body ?? {});
  if (result.success) return { ok: true, data: result.data, values };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? '_form');
    errors[field] ??= issue.message;
  }
  return { ok: false, errors, values };
}
