import { html, type SafeHtml } from '../../lib/html.js';

/** Errors of a form, by field name, in French, in the order of the fields. */
export type FieldErrors = Record<string, string>;

/** GOV.UK "error summary": focused first, links to each field in error. */
export function errorSummary(errors: FieldErrors, formError?: string): SafeHtml | '' {
  const entries = Object.entries(errors);
  if (entries.length === 0 && !formError) return '';
  return html`<div class="error-summary" role="alert" tabindex="-1" aria-labelledby="error-summary-title" data-autofocus>
  <h2 id="error-summary-title">Il y a un problème</h2>
  <ul>
    ${formError ? html`<li>${formError}</li>` : ''}
    ${entries.map(([field, message]) => html`<li><a href="#${field}">${message}</a></li>`)}
  </ul>
</div>`;
}

interface FieldInput {
  name: string;
  label: string;
  hint?: string;
  type?: 'text' | 'email' | 'password' | 'search' | 'date';
  value?: string | undefined;
  error?: string | undefined;
  autocomplete?: string;
  required?: boolean;
}

export function textField(input: FieldInput): SafeHtml {
  const describedBy = [input.hint ? `${input.name}-hint` : '', input.error ? `${input.name}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${input.error ? ' field-error' : ''}">
  <label for="${input.name}">${input.label}</label>
  ${input.hint ? html`<p class="hint" id="${input.name}-hint">${input.hint}</p>` : ''}
  ${input.error ? html`<p class="error-message" id="${input.name}-error"><span class="visually-hidden">Erreur : </span>${input.error}</p>` : ''}
  <input id="${input.name}" name="${input.name}" type="${input.type ?? 'text'}"${
    input.type === 'password' ? '' : html` value="${input.value ?? ''}"`
  }${input.autocomplete ? html` autocomplete="${input.autocomplete}"` : ''}${input.required ? html` required` : ''}${
    describedBy ? html` aria-describedby="${describedBy}"` : ''
  }${input.error ? html` aria-invalid="true"` : ''}>
</div>`;
}

export function selectField(input: {
  name: string;
  label: string;
  options: readonly { value: string; label: string }[];
  value?: string | undefined;
  error?: string | undefined;
  hint?: string;
}): SafeHtml {
  const describedBy = [input.hint ? `${input.name}-hint` : '', input.error ? `${input.name}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${input.error ? ' field-error' : ''}">
  <label for="${input.name}">${input.label}</label>
  ${input.hint ? html`<p class="hint" id="${input.name}-hint">${input.hint}</p>` : ''}
  ${input.error ? html`<p class="error-message" id="${input.name}-error"><span class="visually-hidden">Erreur : </span>${input.error}</p>` : ''}
  <select id="${input.name}" name="${input.name}"${describedBy ? html` aria-describedby="${describedBy}"` : ''}>
    ${input.options.map((o) => html`<option value="${o.value}"${o.value === input.value ? html` selected` : ''}>${o.label}</option>`)}
  </select>
</div>`;
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

export function notice(message: string | undefined): SafeHtml | '' {
  return message ? html`<div class="notice" role="status"><p>${message}</p></div>` : '';
}
