import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../../domains/errors.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { errorEntry } from '../../error-table.js';
import type { FieldErrors } from '../../views/forms.js';
import type { FormValues } from '../provider-places/fields.js';
import { isUuid } from '../../../lib/uuid.js';

/** Helpers shared by the pages of funders, distributors and the operator's orders. */

export interface Choice {
  value: string;
  label: string;
  hint?: string | undefined;
}

interface ChoiceGroup {
  name: string;
  legend: string;
  hint?: string | undefined;
  error?: string | undefined;
  options: readonly Choice[];
  /** Prefix of the ids, when the same name appears in several groups of a page. */
  idPrefix?: string;
  /** The first box carries the field's id (the error summary links to it); false for later groups. */
  firstCarriesName?: boolean;
}

/** Radios or check boxes in a fieldset with its legend, each option with an optional hint. */
export function choiceGroup(type: 'radio' | 'checkbox', input: ChoiceGroup, checked: (value: string) => boolean): SafeHtml {
  const ids = [input.hint ? `${input.name}-hint` : '', input.error ? `${input.name}-error` : ''].filter(Boolean).join(' ');
  const prefix = input.idPrefix ?? input.name;
  return html`<fieldset class="field${input.error ? ' field-error' : ''}"${ids ? html` aria-describedby="${ids}"` : ''}>
  <legend>${input.legend}</legend>
  ${input.hint ? html`<p class="hint" id="${input.name}-hint">${input.hint}</p>` : ''}
  ${input.error ? html`<p class="error-message" id="${input.name}-error"><span class="visually-hidden">Erreur : </span>${input.error}</p>` : ''}
  ${input.options.map((option, i) => {
    const id = i === 0 && input.firstCarriesName !== false ? input.name : `${prefix}-${option.value.replace(/[^A-Za-z0-9_-]/gu, '_')}`;
    const hintId = `${id}-item-hint`;
    return html`<div class="checkbox"><input type="${type}" id="${id}" name="${input.name}" value="${option.value}"${checked(option.value) ? html` checked` : ''}${
      option.hint ? html` aria-describedby="${hintId}"` : ''
    }><div><label for="${id}">${option.label}</label>${option.hint ? html`<p class="hint" id="${hintId}">${option.hint}</p>` : ''}</div></div>`;
  })}
</fieldset>`;
}

export function radios(input: ChoiceGroup & { value: string | undefined }): SafeHtml {
  return choiceGroup('radio', input, (value) => value === input.value);
}

export function checkboxes(input: ChoiceGroup & { values: readonly string[] }): SafeHtml {
  return choiceGroup('checkbox', input, (value) => input.values.includes(value));
}

/** A domain error shown on a form: next to its field (renamed when the form calls it otherwise), or above. */
export function formErrorOf(error: unknown, rename: Record<string, string> = {}): { status: number; errors?: FieldErrors; formError?: string } {
  if (!(error instanceof DomainError)) throw error;
  const entry = errorEntry(error.code);
  if (!error.field) return { status: entry.status, formError: entry.message };
  return { status: entry.status, errors: { [rename[error.field] ?? error.field]: entry.message } };
}


/** The order id of the path, or a 404 `order_unknown` for anything that cannot be one. */
export function orderIdOf(request: FastifyRequest): string {
  const id = (request.params as { id?: unknown }).id;
  if (!isUuid(id)) throw new DomainError('order_unknown');
  return id.toLowerCase();
}

/** The page number of `?page=`, from 1. */
export function pageOf(request: FastifyRequest): number {
  const raw = (request.query as { page?: unknown }).page;
  const page = typeof raw === 'string' && /^\d{1,6}$/u.test(raw) ? Number(raw) : 1;
  return Math.max(page, 1);
}

/** The form state a page is rendered with after a failed submission. */
export interface PageState {
  status?: number;
  values?: FormValues;
  errors?: FieldErrors;
  formError?: string | undefined;
}

/** Links to the previous and next pages of a long table. */
export function pagination(base: string, page: number, hasNext: boolean, label: string): SafeHtml | '' {
  if (page === 1 && !hasNext) return '';
  const sep = base.includes('?') ? '&' : '?';
  return html`<nav class="pagination" aria-label="${label}"><ul>
  ${page > 1 ? html`<li><a href="${base}${sep}page=${String(page - 1)}">Page précédente</a></li>` : ''}
  <li>Page ${String(page)}</li>
  ${hasNext ? html`<li><a href="${base}${sep}page=${String(page + 1)}">Page suivante</a></li>` : ''}
</ul></nav>`;
}
