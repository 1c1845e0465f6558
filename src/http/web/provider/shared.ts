import type { FastifyRequest } from 'fastify';
import { actorOf } from '../../../domains/accounts/sessions.js';
import type { Actor } from '../../../domains/actor.js';
import { DomainError } from '../../../domains/errors.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { errorEntry } from '../../error-table.js';
import { currentMembership, requireSession } from '../../request-context.js';
import type { FieldErrors } from '../../views/forms.js';

/** The person acting and the provider they act for (the route's access demands a provider organisation). */
export function applicant(request: FastifyRequest): { actor: Actor & { userId: string }; providerId: string; isAdmin: boolean } {
  const session = requireSession(request);
  const current = currentMembership(request);
  return { actor: { ...actorOf(session), userId: session.user.id }, providerId: current.organisationId, isAdmin: current.role === 'admin' };
}

/** A domain error as shown on a form: next to its field, or above the form. */
export function formErrorsOf(error: unknown): { status: number; errors: FieldErrors; formError?: string } {
  if (!(error instanceof DomainError)) throw error;
  const entry = errorEntry(error.code);
  return error.field ? { status: entry.status, errors: { [error.field]: entry.message } } : { status: entry.status, errors: {}, formError: entry.message };
}

/** Messages after a Post/Redirect/Get, chosen by a code in the query string (never free text). */
const DONE_MESSAGES: Record<string, string> = {
  inscription: 'Bienvenue ! Votre structure est inscrite. Voici les étapes de votre candidature.',
  profil: 'Les informations de la structure sont enregistrées.',
  eligibilite: 'Vos réponses au questionnaire sont enregistrées.',
  charte: 'La charte est acceptée.',
  document: 'La pièce est enregistrée.',
  intervenant: 'L’intervenant est enregistré.',
  'intervenant-retire': 'L’intervenant a été retiré de la liste.',
  envoyee: 'Votre candidature est envoyée à l’opérateur. Vous recevrez un e-mail dès qu’elle aura été examinée.',
  message: 'Votre message est envoyé à l’opérateur.',
};

export function doneMessage(request: FastifyRequest): string | undefined {
  const ok = (request.query as { ok?: unknown }).ok;
  return typeof ok === 'string' ? DONE_MESSAGES[ok] : undefined;
}

/** What a member who is not an admin sees instead of a form. */
export const ADMIN_ONLY_NOTE: SafeHtml = html`<p class="hint">Seuls les administrateurs et administratrices de la structure peuvent modifier la candidature.</p>`;

/** Shown instead of forms while the operator examines the application, or after a refusal. */
export const NOT_EDITABLE_NOTE: SafeHtml = html`<div class="notice" role="status"><p>Votre candidature est en cours d’examen ou a été refusée : elle ne peut pas être modifiée en ce moment. Vous pouvez écrire à l’opérateur depuis <a href="/structure/candidature">la page de votre candidature</a>.</p></div>`;


/** Radio buttons in a fieldset whose legend is the question. */
export function radiosField(input: {
  name: string;
  legend: string;
  hint?: string | undefined;
  error?: string | undefined;
  options: readonly { value: string; label: string }[];
  value?: string | undefined;
}): SafeHtml {
  const ids = [input.hint ? `${input.name}-hint` : '', input.error ? `${input.name}-error` : ''].filter(Boolean).join(' ');
  return html`<fieldset class="field${input.error ? ' field-error' : ''}" id="${input.name}"${ids ? html` aria-describedby="${ids}"` : ''}>
  <legend>${input.legend}</legend>
  ${input.hint ? html`<p class="hint" id="${input.name}-hint">${input.hint}</p>` : ''}
  ${input.error ? html`<p class="error-message" id="${input.name}-error"><span class="visually-hidden">Erreur : </span>${input.error}</p>` : ''}
  ${input.options.map(
    (option, i) => html`<div class="checkbox"><input type="radio" id="${input.name}-${i}" name="${input.name}" value="${option.value}"${
      option.value === input.value ? html` checked` : ''
    }><label for="${input.name}-${i}">${option.label}</label></div>`,
  )}
</fieldset>`;
}
