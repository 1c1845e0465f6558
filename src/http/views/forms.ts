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

interface FieldFrame {
  name: string;
  label: string;
  hint?: string | undefined;
  error?: string | undefined;
}

/** Label, hint and error of a field, linked to the control by id and aria-describedby. */
function field(frame: FieldFrame, control: (describedBy: SafeHtml | '') => SafeHtml): SafeHtml {
  const ids = [frame.hint ? `${frame.name}-hint` : '', frame.error ? `${frame.name}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${frame.error ? ' field-error' : ''}">
  <label for="${frame.name}">${frame.label}</label>
  ${frame.hint ? html`<p class="hint" id="${frame.name}-hint">${frame.hint}</p>` : ''}
  ${frame.error ? html`<p class="error-message" id="${frame.name}-error"><span class="visually-hidden">Erreur : </span>${frame.error}</p>` : ''}
  ${control(ids ? html` aria-describedby="${ids}"` : '')}
</div>`;
}

export function textField(
  input: FieldFrame & {
    type?: 'text' | 'email' | 'password' | 'search' | 'date';
    value?: string | undefined;
    autocomplete?: string;
    required?: boolean;
  },
): SafeHtml {
  return field(
    input,
    (describedBy) => html`<input id="${input.name}" name="${input.name}" type="${input.type ?? 'text'}"${
      // A password is never sent back to the browser.
      input.type === 'password' ? '' : html` value="${input.value ?? ''}"`
    }${input.autocomplete ? html` autocomplete="${input.autocomplete}"` : ''}${input.required ? html` required` : ''}${describedBy}${
      input.error ? html` aria-invalid="true"` : ''
    }>`,
  );
}

export function selectField(input: FieldFrame & { options: readonly { value: string; label: string }[]; value?: string | undefined }): SafeHtml {
  return field(
    input,
    (describedBy) => html`<select id="${input.name}" name="${input.name}"${describedBy}${input.error ? html` aria-invalid="true"` : ''}>
    ${input.options.map((o) => html`<option value="${o.value}"${o.value === input.value ? html` selected` : ''}>${o.label}</option>`)}
  </select>`,
  );
}

export function textareaField(input: FieldFrame & { value?: string | undefined; rows?: number; required?: boolean }): SafeHtml {
  return field(
    input,
    (describedBy) => html`<textarea id="${input.name}" name="${input.name}" rows="${String(input.rows ?? 4)}"${input.required ? html` required` : ''}${describedBy}${
      input.error ? html` aria-invalid="true"` : ''
    }>${input.value ?? ''}</textarea>`,
  );
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

export function notice(message: string | undefined): SafeHtml | '' {
  return message ? html`<div class="notice" role="status"><p>${message}</p></div>` : '';
}
