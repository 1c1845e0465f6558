import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { DomainError } from '../../../domains/errors.js';
import { formatEuros, holderShareCents } from '../../../domains/places/catalogue.js';
import { findPublicPlace } from '../../../domains/places/search-places.js';
import { formatPhone } from '../../../domains/providers/identifiers.js';
import { REFERENTIAL_LEVELS } from '../../../domains/referential/model.js';
import { html } from '../../../lib/html.js';
import { PUBLIC } from '../../access.js';
import { sendPage } from '../page.js';
import { DELIVERY_MODE_LABELS, FORMAT_LABELS, durationLabel, parcoursLabel } from './labels.js';

const placeIdParam = z.string().uuid();

/** Links from imported data are shown as links only when they are web addresses. */
const isWebLink = (url: string) => /^https?:\/\//iu.test(url);

/** OpenStreetMap's directions to the place; the person's starting point is theirs to type. */
function directionsUrl(latitude: number, longitude: number): string {
  return `https://www.openstreetmap.org/directions?route=%3B${latitude}%2C${longitude}#map=17/${latitude}/${longitude}`;
}

export function publicPlacePage(app: FastifyInstance, ctx: AppContext) {
  app.get('/lieux/:id', { config: { access: PUBLIC } }, async (request, reply) => {
    const id = placeIdParam.safeParse((request.params as { id: string }).id);
    const found = id.success ? await findPublicPlace(ctx.db, id.data) : undefined;
    // A place not (or no longer) public is not found: drafts and suspended providers stay hidden.
    if (!found) throw new DomainError('place_unknown');
    const { place, services } = found;
    return sendPage(request, reply, () => ({
      title: place.name,
      body: html`<p><a href="/lieux">Retour à la recherche</a></p>
<h1>${place.name}</h1>
<p class="lead">${place.address}${place.address_complement ? `, ${place.address_complement}` : ''}, ${place.postcode} ${place.commune}${place.itinerant ? ' (lieu itinérant : vérifiez les dates de passage)' : ''}</p>
<p class="muted">Géré par ${place.providerName}.</p>
<h2>Services payables avec le pass numérique</h2>
${
  services.length
    ? REFERENTIAL_LEVELS.filter((level) => services.some((s) => s.level === level.code)).map(
        (level) => html`<h3>${level.label}</h3>
<ul class="cards">
${services
  .filter((s) => s.level === level.code)
  .map(
    (s) => html`<li class="place-card"><h4>${s.label}</h4>
<p>${s.description}</p>
<dl>
  <dt>Prix d’une séance</dt><dd>${formatEuros(s.price_cents)} : ${holderShareCents(s.price_cents) === 0 ? 'entièrement payé avec un pass' : `un pass (10 €) et ${formatEuros(holderShareCents(s.price_cents))} à votre charge`}</dd>
  <dt>Durée</dt><dd>${durationLabel(s.duration_minutes)}</dd>
  <dt>Format</dt><dd>${FORMAT_LABELS[s.format]}, ${parcoursLabel(s.parcours_sessions).toLowerCase()}</dd>
  <dt>Où</dt><dd>${s.delivery_modes.map((m) => DELIVERY_MODE_LABELS[m]).join(', ')}</dd>
</dl></li>`,
  )}
</ul>`,
      )
    : html`<p>Ce lieu ne propose aucun service en ce moment.</p>`
}
<h2>Horaires</h2>
${place.opening_hours ? html`<p><code>${place.opening_hours}</code></p><p class="hint">Au format OpenStreetMap : Mo lundi, Tu mardi, We mercredi, Th jeudi, Fr vendredi, Sa samedi, Su dimanche.</p>` : html`<p>Horaires non renseignés : contactez le lieu.</p>`}
<h2>Accessibilité</h2>
${place.specific_support.length ? html`<p>Le lieu sait accompagner : ${place.specific_support.join(', ')}.</p>` : ''}
${place.accessibility_url && isWebLink(place.accessibility_url) ? html`<p><a href="${place.accessibility_url}">Fiche d’accessibilité du lieu sur acceslibre</a></p>` : ''}
${place.specific_support.length === 0 && !place.accessibility_url ? html`<p>Informations non renseignées : contactez le lieu.</p>` : ''}
<h2>Contact</h2>
<ul>
  ${place.phones.map((phone) => html`<li>Téléphone : <a href="tel:${phone}">${formatPhone(phone)}</a></li>`)}
  ${place.emails.map((email) => html`<li>E-mail : <a href="mailto:${email}">${email}</a></li>`)}
  ${place.websites.map((site) => html`<li>Site : ${isWebLink(site) ? html`<a href="${site}">${site}</a>` : site}</li>`)}
  ${place.phones.length + place.emails.length + place.websites.length === 0 ? html`<li>Aucun contact renseigné.</li>` : ''}
</ul>
<h2>S’y rendre</h2>
<p>${place.address}${place.address_complement ? `, ${place.address_complement}` : ''}, ${place.postcode} ${place.commune}</p>
<p><a href="${directionsUrl(place.latitude, place.longitude)}">Calculer l’itinéraire sur OpenStreetMap</a> (coordonnées ${String(place.latitude)}, ${String(place.longitude)})</p>`,
    }));
  });
}
