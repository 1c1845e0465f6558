import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../app-context.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { DomainError } from '../../../domains/errors.js';
import { DELIVERY_MODES, SERVICE_FORMATS, catalogueForm, formatEuros, loadPlaceCatalogue, saveCatalogueEntry } from '../../../domains/places/catalogue.js';
import { REFERENTIAL_LEVELS } from '../../../domains/referential/model.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { PROVIDER, PROVIDER_ADMIN } from '../../access.js';
import { currentMembership, redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice, textField, type FieldErrors } from '../../views/forms.js';
import { parseForm, sendFormPage } from '../page.js';
import { DELIVERY_MODE_LABELS, FORMAT_LABELS, durationLabel, parcoursLabel, priceLabel } from '../places/labels.js';
import { checkboxesField, formValues, many, one, radiosField, type FormValues } from './fields.js';
import { formErrorOf, placeIdOf, placesDoneMessage } from './place-pages.js';

type Catalogue = Awaited<ReturnType<typeof loadPlaceCatalogue>>;
type FormState = { status?: number; values?: FormValues; errors?: FieldErrors; formError?: string };

function serviceSelect(catalogue: Catalogue, values: FormValues, error: string | undefined): SafeHtml {
  const taken = new Set(catalogue.entries.map((e) => e.service_code));
  const chosen = one(values, 'serviceCode');
  return html`<div class="field${error ? ' field-error' : ''}">
  <label for="serviceCode">Service du référentiel</label>
  <p class="hint" id="serviceCode-hint">Les services marqués « faire à la place » ne peuvent être assurés que par des personnes salariées.</p>
  ${error ? html`<p class="error-message" id="serviceCode-error"><span class="visually-hidden">Erreur : </span>${error}</p>` : ''}
  <select id="serviceCode" name="serviceCode" aria-describedby="serviceCode-hint${error ? ' serviceCode-error' : ''}"${error ? html` aria-invalid="true"` : ''}>
    ${REFERENTIAL_LEVELS.map(
      (level) => html`<optgroup label="${level.label}">${catalogue.referential.services
        .filter((s) => s.level === level.code && !taken.has(s.code))
        .map((s) => html`<option value="${s.code}"${s.code === chosen ? html` selected` : ''}>${s.code} · ${s.label}${s.doingForPerson ? ' (faire à la place)' : ''}</option>`)}</optgroup>`,
    )}
  </select>
</div>`;
}

function entryFields(values: FormValues, errors: FieldErrors): SafeHtml {
  return html`${textField({
    name: 'price',
    label: 'Prix d’une séance, en euros',
    hint: `Un pass vaut ${formatEuros(1000)}. Au-delà, la différence est à payer par la personne (reste à payer). Par exemple 10 ou 12,50.`,
    value: one(values, 'price') ?? '10',
    error: errors.price,
  })}
${textField({ name: 'durationMinutes', label: 'Durée d’une séance, en minutes', hint: 'Par exemple 60.', value: one(values, 'durationMinutes') ?? '60', error: errors.durationMinutes })}
${radiosField({ name: 'format', legend: 'Format', options: SERVICE_FORMATS.map((f) => ({ value: f, label: FORMAT_LABELS[f] })), value: one(values, 'format') ?? 'individual', error: errors.format })}
${checkboxesField({
  name: 'deliveryModes',
  legend: 'Où le service est-il rendu ?',
  hint: 'Au moins un mode. À distance ou à domicile, le service n’est payé par un pass que si le commanditaire l’autorise.',
  options: DELIVERY_MODES.map((m) => ({ value: m, label: DELIVERY_MODE_LABELS[m] })),
  values: many(values, 'deliveryModes'),
  error: errors.deliveryModes,
})}
${radiosField({
  name: 'parcours',
  legend: 'Séance unique ou parcours ?',
  hint: 'Un parcours suit la même personne sur 5 ou 10 séances ; chaque séance se paie avec un pass.',
  options: [
    { value: '', label: 'Séance unique' },
    { value: '5', label: 'Parcours de 5 séances' },
    { value: '10', label: 'Parcours de 10 séances' },
  ],
  value: one(values, 'parcours') ?? '',
  error: errors.parcours,
})}
${radiosField({
  name: 'state',
  legend: 'Le service est-il proposé en ce moment ?',
  options: [
    { value: 'active', label: 'Oui, proposé' },
    { value: 'paused', label: 'Non, en pause (il n’apparaît pas sur la carte)' },
  ],
  value: one(values, 'state') ?? 'active',
  error: errors.state,
})}`;
}

export function providerCataloguePages(app: FastifyInstance, ctx: AppContext) {
  async function cataloguePage(request: FastifyRequest, reply: FastifyReply, state: FormState) {
    const current = currentMembership(request);
    const catalogue = await loadPlaceCatalogue(ctx, current.organisationId, placeIdOf(request));
    const { place, entries } = catalogue;
    const isAdmin = current.role === 'admin';
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title: `Services de ${place.name}`,
      body: html`${notice(placesDoneMessage(request))}
<h1>Services proposés à ${place.name}</h1>
<p>${place.address}, ${place.postcode} ${place.commune}${isAdmin ? html` · <a href="/structure/lieux/${place.id}">Modifier le lieu</a>` : ''}</p>
<table class="table">
  <caption>Catalogue du lieu (${entries.length} services, référentiel version ${catalogue.referential.version})</caption>
  <thead><tr><th scope="col">Service</th><th scope="col">Prix</th><th scope="col">Durée</th><th scope="col">Format</th><th scope="col">Modes</th><th scope="col">Parcours</th><th scope="col">État</th>${isAdmin ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
  <tbody>
  ${entries.map(
    (e) => html`<tr><td>${e.service_code} · ${e.label}${e.doing_for_person ? ' (faire à la place)' : ''}</td><td>${priceLabel(e.price_cents)}</td><td>${durationLabel(e.duration_minutes)}</td><td>${FORMAT_LABELS[e.format]}</td><td>${e.delivery_modes.map((m) => DELIVERY_MODE_LABELS[m]).join(', ')}</td><td>${parcoursLabel(e.parcours_sessions)}</td><td>${e.active ? 'Proposé' : 'En pause'}</td>${
      isAdmin ? html`<td><a href="/structure/lieux/${place.id}/services/${e.service_code}">Modifier<span class="visually-hidden"> ${e.label}</span></a></td>` : ''
    }</tr>`,
  )}
  ${entries.length === 0 ? html`<tr><td colspan="${isAdmin ? 8 : 7}">Aucun service pour l’instant.</td></tr>` : ''}
  </tbody>
</table>
${
  isAdmin
    ? html`<h2>Ajouter un service</h2>
<form method="post" action="/structure/lieux/${place.id}/services" novalidate>
  ${csrfField(csrf)}
  ${serviceSelect(catalogue, state.values ?? {}, errors.serviceCode)}
  ${entryFields(state.values ?? { deliveryModes: ['on_site'] }, errors)}
  <button type="submit" class="button">Ajouter au catalogue</button>
</form>`
    : html`<p class="hint">Seuls les administrateurs et administratrices de la structure peuvent modifier le catalogue.</p>`
}
<p><a href="/structure/lieux">Retour à vos lieux</a></p>`,
    }));
  }

  app.get('/structure/lieux/:id/services', { config: { access: PROVIDER } }, (request, reply) => cataloguePage(request, reply, {}));

  app.post('/structure/lieux/:id/services', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const placeId = placeIdOf(request);
    const values = formValues(request.body);
    const form = parseForm(catalogueForm, request.body);
    const back = one(values, 'editing') === 'yes' ? entryPage : cataloguePage;
    if (!form.ok) return back(request, reply, { status: 400, values, errors: form.errors });
    const current = currentMembership(request);
    try {
      await saveCatalogueEntry(ctx, actorOf(requireSession(request)), current.organisationId, placeId, form.data);
    } catch (error) {
      return back(request, reply, { values, ...formErrorOf(error) });
    }
    return redirectAfterPost(reply, `/structure/lieux/${placeId}/services?ok=service`);
  });

  /** Changing one entry: the same form, the service fixed. */
  async function entryPage(request: FastifyRequest, reply: FastifyReply, state: FormState) {
    const current = currentMembership(request);
    const catalogue = await loadPlaceCatalogue(ctx, current.organisationId, placeIdOf(request));
    const code = (request.params as { code?: string }).code ?? one(state.values ?? {}, 'serviceCode');
    const entry = catalogue.entries.find((e) => e.service_code === code);
    if (!entry) throw new DomainError('catalogue_service_unknown');
    const values: FormValues = state.values ?? {
      price: formatEuros(entry.price_cents).replace(' €', ''),
      durationMinutes: String(entry.duration_minutes),
      format: entry.format,
      deliveryModes: entry.delivery_modes,
      parcours: entry.parcours_sessions === null ? '' : String(entry.parcours_sessions),
      state: entry.active ? 'active' : 'paused',
    };
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title: `${entry.label} à ${catalogue.place.name}`,
      body: html`<h1>${entry.label}</h1>
<p>${catalogue.place.name} · service ${entry.service_code}, enregistré avec la version ${entry.referential_version} du référentiel.</p>
<form method="post" action="/structure/lieux/${catalogue.place.id}/services" novalidate>
  ${csrfField(csrf)}
  <input type="hidden" name="serviceCode" value="${entry.service_code}">
  <input type="hidden" name="editing" value="yes">
  ${errors.serviceCode ? html`<p class="error-message" id="serviceCode">${errors.serviceCode}</p>` : ''}
  ${entryFields(values, errors)}
  <button type="submit" class="button">Enregistrer</button>
</form>
<p><a href="/structure/lieux/${catalogue.place.id}/services">Retour au catalogue du lieu</a></p>`,
    }));
  }

  app.get('/structure/lieux/:id/services/:code', { config: { access: PROVIDER_ADMIN } }, (request, reply) => entryPage(request, reply, {}));
}
