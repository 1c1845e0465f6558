import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { html, type SafeHtml } from '../../lib/html.js';
import { layout, type PageInput } from '../views/layout.js';
import { errorSummary, type FieldErrors } from '../views/forms.js';

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

/** A form page as shown again after a failed submission. */
export interface FormState {
  status?: number;
  errors?: FieldErrors;
  /** An error about the whole form rather than one field. */
  formError?: string | undefined;
  /** The submitted values, to fill the fields again (never passwords). */
  values?: Record<string, string>;
}

/**
 * Renders a page holding a form: the error summary comes first and the title says "Erreur" when
 * there are errors (GOV.UK pattern); `body` gets the CSRF token and the errors by field.
 */
export function sendFormPage(
  request: FastifyRequest,
  reply: FastifyReply,
  state: FormState,
  page: (csrfToken: string, errors: FieldErrors) => { title: string; body: SafeHtml },
) {
  const errors = state.errors ?? {};
  return sendPage(
    request,
    reply,
    (csrfToken) => {
      const { title, body } = page(csrfToken, errors);
      return {
        title,
        hasErrors: Object.keys(errors).length > 0 || Boolean(state.formError),
        body: html`${errorSummary(errors, state.formError)}${body}`,
      };
    },
    state.status ?? 200,
  );
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
