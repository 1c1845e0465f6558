import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { DELIVERY_MODES, formatEuros, holderShareCents } from '../../../domains/places/catalogue.js';
import { searchPlaces, type PlaceSearch, type PlaceSearchResult } from '../../../domains/places/search-places.js';
import { REFERENTIAL_LEVELS, type Referential } from '../../../domains/referential/model.js';
import { loadReferential } from '../../../domains/referential/publish-referential.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { PUBLIC } from '../../access.js';
import { textField, type FieldErrors } from '../../views/forms.js';
import { sendFormPage } from '../page.js';
import { DELIVERY_MODE_LABELS } from './labels.js';

/** The query string of /lieux: every parameter optional; a wrong one is a 400 with its field in error. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' || v === undefined ? undefined : v), schema.optional());
export const searchQuery = z.object({
  q: optional(z.string().trim().max(100, 'Saisissez au plus 100 caractères')),
  service: optional(z.string().regex(/^[A-Z]\d{2}$/, 'Choisissez un service de la liste')),
  niveau: optional(z.enum(['1', '2', '3'], { message: 'Choisissez un niveau de la liste' }).transform((v) => Number(v) as 1 | 2 | 3)),
  mode: optional(z.enum(DELIVERY_MODES, { message: 'Choisissez un mode de la liste' })),
  accompagnement: optional(z.literal('1', { message: 'Valeur inconnue' })),
  acceslibre: optional(z.literal('1', { message: 'Valeur inconnue' })),
  lat: optional(z.coerce.number({ message: 'Latitude invalide' }).min(-90, 'Latitude invalide').max(90, 'Latitude invalide')),
  lon: optional(z.coerce.number({ message: 'Longitude invalide' }).min(-180, 'Longitude invalide').max(180, 'Longitude invalide')),
  page: optional(z.coerce.number({ message: 'Page invalide' }).int('Page invalide').min(1, 'Page invalide').max(10_000, 'Page invalide')),
});
export type SearchQuery = z.output<typeof searchQuery>;

export function toPlaceSearch(query: SearchQuery): PlaceSearch {
  const both = query.lat !== undefined && query.lon !== undefined;
  return {
    text: query.q,
    serviceCode: query.service,
    level: query.niveau,
    deliveryMode: query.mode,
    specificSupport: query.accompagnement === '1',
    acceslibre: query.acceslibre === '1',
    latitude: both ? query.lat : undefined,
    longitude: both ? query.lon : undefined,
    page: query.page,
  };
}

function select(name: string, label: string, value: string | undefined, options: SafeHtml, error: string | undefined): SafeHtml {
  return html`<div class="field${error ? ' field-error' : ''}">
  <label for="${name}">${label}</label>
  ${error ? html`<p class="error-message" id="${name}-error"><span class="visually-hidden">Erreur : </span>${error}</p>` : ''}
  <select id="${name}" name="${name}"${error ? html` aria-describedby="${name}-error" aria-invalid="true"` : ''}>
    <option value=""${value ? '' : html` selected`}>Tous</option>
    ${options}
  </select>
</div>`;
}

function searchForm(raw: Record<string, string>, referential: Referential | undefined, errors: FieldErrors): SafeHtml {
  const services = referential?.services ?? [];
  return html`<form method="get" action="/lieux" class="places-search" role="search">
  ${textField({ name: 'q', label: 'Commune, code postal ou département', type: 'search', hint: 'Par exemple Bordeaux, 33300 ou 33.', value: raw.q, error: errors.q })}
  ${raw.lat && raw.lon ? html`<input type="hidden" name="lat" value="${raw.lat}"><input type="hidden" name="lon" value="${raw.lon}">` : ''}
  <details class="places-filters"${raw.service || raw.niveau || raw.mode || raw.accompagnement || raw.acceslibre ? html` open` : ''}>
    <summary>Filtres</summary>
    <div class="filters">
    ${select(
      'service',
      'Service',
      raw.service,
      html`${REFERENTIAL_LEVELS.map(
        (level) => html`<optgroup label="${level.label}">${services
          .filter((s) => s.level === level.code)
          .map((s) => html`<option value="${s.code}"${s.code === raw.service ? html` selected` : ''}>${s.label}</option>`)}</optgroup>`,
      )}`,
      errors.service,
    )}
    ${select('niveau', 'Niveau', raw.niveau, html`${REFERENTIAL_LEVELS.map((l) => html`<option value="${l.code}"${String(l.code) === raw.niveau ? html` selected` : ''}>${l.label}</option>`)}`, errors.niveau)}
    ${select('mode', 'Où', raw.mode, html`${DELIVERY_MODES.map((m) => html`<option value="${m}"${m === raw.mode ? html` selected` : ''}>${DELIVERY_MODE_LABELS[m]}</option>`)}`, errors.mode)}
    </div>
    <fieldset class="field">
      <legend>Accessibilité</legend>
      <div class="checkbox"><input type="checkbox" id="accompagnement" name="accompagnement" value="1"${raw.accompagnement === '1' ? html` checked` : ''}><label for="accompagnement">Accompagne des publics ayant des besoins particuliers (surdité, handicap, illettrisme, langues…)</label></div>
      <div class="checkbox"><input type="checkbox" id="acceslibre" name="acceslibre" value="1"${raw.acceslibre === '1' ? html` checked` : ''}><label for="acceslibre">A une fiche d’accessibilité acceslibre</label></div>
    </fieldset>
  </details>
  <p><button type="submit" class="button">Rechercher</button> <button type="button" class="button button-secondary" data-locate hidden>Autour de moi</button></p>
</form>`;
}

function pageLink(raw: Record<string, string>, page: number): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(raw)) if (key !== 'page' && value !== '') params.set(key, value);
  params.set('page', String(page));
  return `/lieux?${params.toString()}`;
}

function results(result: PlaceSearchResult, raw: Record<string, string>, ctx: AppContext): SafeHtml {
  const { location } = result;
  if (location.kind === 'unknown') return html`<p class="lead" role="status">Aucune commune, aucun code postal ni département ne correspond à « ${location.text} ». Vérifiez l’orthographe ou essayez le code postal.</p>`;
  const where = location.kind === 'everywhere' ? '' : ` pour ${location.label}`;
  const from = result.point?.source === 'given' ? ', du plus proche au plus lointain de votre position' : result.point ? ', du plus proche au plus lointain' : '';
  return html`<div role="status"><h2 id="resultats">${result.total === 0 ? `Aucun lieu${where}` : `${result.total} lieu${result.total > 1 ? 'x' : ''}${where}${from}`}</h2></div>
${
  result.hits.length
    ? html`<div id="carte-lieux" class="places-map" data-tiles="${ctx.config.mapTilesUrl}" data-attribution="${ctx.config.mapTilesAttribution}" hidden></div>
<ol class="places-list">
${result.hits.map(
  (hit) => html`<li class="place-card" data-place-id="${hit.id}" data-lat="${String(hit.latitude)}" data-lon="${String(hit.longitude)}" data-name="${hit.name}">
  <h3><a href="/lieux/${hit.id}">${hit.name}</a></h3>
  <p>${hit.address}, ${hit.postcode} ${hit.commune}${hit.itinerant ? ' (lieu itinérant)' : ''}${hit.distanceKm !== null ? html` · <span class="muted">à ${formatDistance(hit.distanceKm)}</span>` : ''}</p>
  <ul>${hit.services.map((s) => html`<li>${s.label} : ${formatEuros(s.priceCents)}${holderShareCents(s.priceCents) > 0 ? ` (reste à payer ${formatEuros(holderShareCents(s.priceCents))})` : ''}</li>`)}</ul>
  ${hit.hasSpecificSupport || hit.accessibilityUrl ? html`<p class="muted">${[hit.hasSpecificSupport ? 'Accompagnements adaptés' : '', hit.accessibilityUrl ? 'Fiche d’accessibilité' : ''].filter(Boolean).join(' · ')}</p>` : ''}
</li>`,
)}
</ol>
${
  result.pageCount > 1
    ? html`<nav aria-label="Pages de résultats" class="pagination"><p>Page ${result.page} sur ${result.pageCount}</p><ul class="inline-fields">
  ${result.page > 1 ? html`<li><a href="${pageLink(raw, result.page - 1)}" rel="prev">Page précédente</a></li>` : ''}
  ${result.page < result.pageCount ? html`<li><a href="${pageLink(raw, result.page + 1)}" rel="next">Page suivante</a></li>` : ''}
</ul></nav>`
    : ''
}`
    : html`<p>Élargissez la recherche : le département, ou moins de filtres.</p>`
}`;
}

function formatDistance(km: number): string {
  return km < 1 ? `${Math.round(km * 1000 / 10) * 10} m` : `${km.toLocaleString('fr-FR', { maximumFractionDigits: 1 })} km`;
}

export function placesSearchPage(app: FastifyInstance, ctx: AppContext) {
  app.get('/lieux', { config: { access: PUBLIC } }, async (request, reply) => {
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) if (typeof value === 'string') raw[key] = value;
    const parsed = searchQuery.safeParse(raw);
    const referential = await loadReferential(ctx.db);
    const errors: FieldErrors = {};
    if (!parsed.success) for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message;
    const result = parsed.success ? await searchPlaces(ctx.db, toPlaceSearch(parsed.data)) : undefined;
    return sendFormPage(request, reply, { status: parsed.success ? 200 : 400, errors }, (_csrf, errors) => ({
      title: 'Trouver un lieu',
      body: html`<link rel="stylesheet" href="/assets/carte/leaflet.css"><link rel="stylesheet" href="/assets/carte/places-map.css">
<h1>Trouver un lieu qui accepte le pass numérique</h1>
<p class="lead">Des lieux de médiation numérique qualifiés, où une personne vous aide à utiliser le numérique. Payez avec vos pass : 10 € par pass.</p>
${searchForm(raw, referential, errors)}
${result ? results(result, raw, ctx) : ''}
<script src="/assets/carte/leaflet.js" defer></script><script src="/assets/carte/places-map.js" defer></script>`,
    }));
  });
}
