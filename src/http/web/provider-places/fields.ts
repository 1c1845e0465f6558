import { textareaField } from '../../views/forms.js';
import { html, type SafeHtml } from '../../../lib/html.js';

/** Values of a submitted form as they were typed, lists kept (check boxes), for showing it again. */
export type FormValues = Record<string, string | string[]>;

export function formValues(body: unknown): FormValues {
  const values: FormValues = {};
  if (body && typeof body === 'object') {
    for (const [key, value] of Object.entries(body)) {
      if (key === '_csrf') continue;
      if (typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))) values[key] = value as string | string[];
    }
  }
  return values;
}

export function one(values: FormValues, name: string): string | undefined {
  const value = values[name];
  return Array.isArray(value) ? value[0] : value;
}

export function many(values: FormValues, name: string): string[] {
  const value = values[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

interface ChoiceInput {
  name: string;
  legend: string;
  hint?: string | undefined;
  error?: string | undefined;
  options: readonly { value: string; label: string }[];
}

function choices(type: 'checkbox' | 'radio', input: ChoiceInput, checked: (value: string) => boolean): SafeHtml {
  const ids = [input.hint ? `${input.name}-hint` : '', input.error ? `${input.name}-error` : ''].filter(Boolean).join(' ');
  return html`<fieldset class="field${input.error ? ' field-error' : ''}"${ids ? html` aria-describedby="${ids}"` : ''}>
  <legend>${input.legend}</legend>
  ${input.hint ? html`<p class="hint" id="${input.name}-hint">${input.hint}</p>` : ''}
  ${input.error ? html`<p class="error-message" id="${input.name}-error"><span class="visually-hidden">Erreur : </span>${input.error}</p>` : ''}
  ${input.options.map((option, i) => {
    // The first box carries the field's id, so that the error summary's link reaches it.
    const id = i === 0 ? input.name : `${input.name}-${i}`;
    return html`<div class="checkbox"><input type="${type}" id="${id}" name="${input.name}" value="${option.value}"${checked(option.value) ? html` checked` : ''}><label for="${id}">${option.label}</label></div>`;
  })}
</fieldset>`;
}

export function checkboxesField(input: ChoiceInput & { values: readonly string[] }): SafeHtml {
  return choices('checkbox', input, (value) => input.values.includes(value));
}

export function radiosField(input: ChoiceInput & { value: string | undefined }): SafeHtml {
  return choices('radio', input, (value) => value === input.value);
}

