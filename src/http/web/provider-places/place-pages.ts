import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { actorOf } from '../../../domains/accounts/sessions.js';
import { DomainError } from '../../../domains/errors.js';
import type { PlaceRow } from '../../../domains/places/place-repository.js';
import {
  PLACE_TYPOLOGIES,
  SPECIFIC_SUPPORT,
  claimPlace,
  createPlace,
  findClaimablePlaces,
  getProviderPlace,
  listProviderPlaces,
  placeForm,
  updatePlace,
} from '../../../domains/places/manage-places.js';
import { html, type SafeHtml } from '../../../lib/html.js';
import { PROVIDER, PROVIDER_ADMIN } from '../../access.js';
import { errorEntry } from '../../error-table.js';
import { currentMembership, redirectAfterPost, requireSession } from '../../request-context.js';
import { csrfField, notice, textField, type FieldErrors, textareaField } from '../../views/forms.js';
import { parseForm, sendFormPage, sendPage } from '../page.js';
import { PLACE_STATUS_LABELS } from '../places/labels.js';
import { checkboxesField, formValues, many, one, radiosField, type FormValues } from './fields.js';

const DONE_MESSAGES: Record<string, string> = {
  cree: 'Le lieu est enregistré. Ajoutez maintenant les services que vous y proposez.',
  modifie: 'Les informations du lieu sont enregistrées.',
  repris: 'Le lieu est rattaché à votre structure. Vérifiez et complétez ses informations.',
  service: 'Le service est enregistré au catalogue du lieu.',
};

export function placesDoneMessage(request: FastifyRequest): string | undefined {
  const ok = (request.query as { ok?: unknown }).ok;
  return typeof ok === 'string' ? DONE_MESSAGES[ok] : undefined;
}

export const placeId = z.string().uuid();

/** The place id of the path, or a 404 for anything that cannot be one. */
export function placeIdOf(request: FastifyRequest): string {
  const id = placeId.safeParse((request.params as { id?: string }).id);
  if (!id.success) throw new DomainError('place_unknown');
  return id.data;
}

function actorAndProvider(request: FastifyRequest) {
  return { actor: actorOf(requireSession(request)), providerId: currentMembership(request).organisationId };
}

/** A domain error shown on the form: next to its field, or above the form. */
export function formErrorOf(error: unknown): { status: number; errors?: FieldErrors; formError?: string } {
  if (!(error instanceof DomainError)) throw error;
  const entry = errorEntry(error.code);
  return error.field ? { status: entry.status, errors: { [error.field]: entry.message } } : { status: entry.status, formError: entry.message };
}

function valuesOfPlace(place: PlaceRow): FormValues {
  return {
    name: place.name,
    address: place.address,
    addressComplement: place.address_complement ?? '',
    postcode: place.postcode,
    inseeCode: place.insee_code ?? '',
    latitude: String(place.latitude),
    longitude: String(place.longitude),
    typologies: place.typologies,
    openingHours: place.opening_hours ?? '',
    accessibilityUrl: place.accessibility_url ?? '',
    specificSupport: place.specific_support,
    phone: place.phones[0] ?? '',
    email: place.emails[0] ?? '',
    website: place.websites[0] ?? '',
    mobility: place.itinerant ? 'itinerant' : 'fixed',
  };
}

function placeFormFields(values: FormValues, errors: FieldErrors): SafeHtml {
  const v = (name: string) => one(values, name);
  return html`<h2>Le lieu</h2>
${textField({ name: 'name', label: 'Nom du lieu', hint: 'Tel que le public le connaît, par exemple « Médiathèque du Lac ».', value: v('name'), error: errors.name, required: true })}
${radiosField({
  name: 'mobility',
  legend: 'Le lieu est-il fixe ou itinérant ?',
  hint: 'Itinérant : un bus ou une permanence qui change d’endroit ; indiquez alors son point d’attache.',
  options: [
    { value: 'fixed', label: 'Fixe' },
    { value: 'itinerant', label: 'Itinérant' },
  ],
  value: v('mobility') ?? 'fixed',
  error: errors.mobility,
})}
${checkboxesField({ name: 'typologies', legend: 'Type de lieu (facultatif)', hint: 'Les types du standard national des lieux de médiation numérique ; plusieurs sont possibles.', options: PLACE_TYPOLOGIES, values: many(values, 'typologies'), error: errors.typologies })}
<h2>Adresse et position</h2>
${textField({ name: 'address', label: 'Adresse', hint: 'Numéro et voie, par exemple « 12 rue du Lac ».', value: v('address'), error: errors.address, required: true, autocomplete: 'address-line1' })}
${textField({ name: 'addressComplement', label: 'Complément d’adresse (facultatif)', hint: 'Bâtiment, étage, entrée…', value: v('addressComplement'), error: errors.addressComplement, autocomplete: 'address-line2' })}
${textField({ name: 'postcode', label: 'Code postal', value: v('postcode'), error: errors.postcode, required: true, autocomplete: 'postal-code' })}
${textField({
  name: 'inseeCode',
  label: 'Code INSEE de la commune',
  hint: 'À ne pas confondre avec le code postal : Bordeaux a le code postal 33000 et le code INSEE 33063. Il figure sur la fiche de la commune sur insee.fr ou sur adresse.data.gouv.fr.',
  value: v('inseeCode'),
  error: errors.inseeCode,
  required: true,
})}
<p class="hint" id="coordinates-help">Pour trouver la latitude et la longitude : cherchez l’adresse sur <a href="https://adresse.data.gouv.fr/">adresse.data.gouv.fr</a> (Base adresse nationale) et copiez les coordonnées GPS affichées, ou faites un clic droit sur le lieu sur <a href="https://www.openstreetmap.org/">openstreetmap.org</a> puis « Afficher l’adresse ». La latitude vaut de 41 à 51 en métropole ; la longitude de −5 à 10.</p>
${textField({ name: 'latitude', label: 'Latitude', hint: 'Un nombre décimal, par exemple 44.837789.', value: v('latitude'), error: errors.latitude, required: true })}
${textField({ name: 'longitude', label: 'Longitude', hint: 'Un nombre décimal, par exemple -0.57918 (négatif à l’ouest de Greenwich).', value: v('longitude'), error: errors.longitude, required: true })}
<h2>Horaires et accessibilité</h2>
${textareaField({
  name: 'openingHours',
  label: 'Horaires d’ouverture (facultatif)',
  hint: 'Au format d’OpenStreetMap, par exemple « Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00 » (Mo lundi, Tu mardi, We mercredi, Th jeudi, Fr vendredi, Sa samedi, Su dimanche). L’outil YoHours (projets.pavie.info/yohours) les écrit pour vous.',
  value: v('openingHours'),
  error: errors.openingHours,
})}
${textField({ name: 'accessibilityUrl', label: 'Fiche acceslibre (facultatif)', hint: 'L’adresse de la fiche du lieu sur acceslibre.beta.gouv.fr, qui décrit son accessibilité (la remplir prend 5 minutes).', value: v('accessibilityUrl'), error: errors.accessibilityUrl })}
${checkboxesField({
  name: 'specificSupport',
  legend: 'Publics que le lieu sait accompagner (facultatif)',
  hint: 'Les prises en charge spécifiques du standard national.',
  options: SPECIFIC_SUPPORT.map((s) => ({ value: s, label: s })),
  values: many(values, 'specificSupport'),
  error: errors.specificSupport,
})}
<h2>Contact</h2>
${textField({ name: 'phone', label: 'Téléphone (facultatif)', hint: 'Par exemple 05 56 00 00 00.', value: v('phone'), error: errors.phone, autocomplete: 'tel' })}
${textField({ name: 'email', label: 'Adresse e-mail (facultatif)', type: 'email', value: v('email'), error: errors.email, autocomplete: 'email' })}
${textField({ name: 'website', label: 'Site web (facultatif)', hint: 'L’adresse complète, qui commence par https://', value: v('website'), error: errors.website, autocomplete: 'url' })}`;
}

export function providerPlacePages(app: FastifyInstance, ctx: AppContext) {
  app.get('/structure/lieux', { config: { access: PROVIDER } }, async (request, reply) => {
    const current = currentMembership(request);
    const places = await listProviderPlaces(ctx, current.organisationId);
    const isAdmin = current.role === 'admin';
    return sendPage(request, reply, () => ({
      title: 'Vos lieux',
      body: html`${notice(placesDoneMessage(request))}
<h1>Les lieux de ${current.organisationName}</h1>
<p class="lead">Les lieux où le public peut venir avec ses pass numériques, et les services que vous y proposez. Ils apparaissent sur la carte publique dès que votre structure est qualifiée.</p>
${isAdmin ? html`<p><a class="button" href="/structure/lieux/nouveau">Ajouter un lieu</a> <a class="button button-secondary" href="/structure/lieux/reprendre">Reprendre un lieu déjà recensé</a></p>` : ''}
<table class="table">
  <caption>Lieux (${places.length})</caption>
  <thead><tr><th scope="col">Lieu</th><th scope="col">Adresse</th><th scope="col">Services actifs</th><th scope="col">Publication</th>${isAdmin ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
  <tbody>
  ${places.map(
    (p) => html`<tr><td>${p.name}${p.itinerant ? ' (itinérant)' : ''}</td><td>${p.address}, ${p.postcode} ${p.commune}</td><td><a href="/structure/lieux/${p.id}/services">${Number(p.activeServices ?? 0)}<span class="visually-hidden"> services actifs à ${p.name}</span></a></td><td>${PLACE_STATUS_LABELS[p.status]}</td>${
      isAdmin ? html`<td><a href="/structure/lieux/${p.id}">Modifier<span class="visually-hidden"> ${p.name}</span></a></td>` : ''
    }</tr>`,
  )}
  ${places.length === 0 ? html`<tr><td colspan="${isAdmin ? 5 : 4}">Aucun lieu pour l’instant.</td></tr>` : ''}
  </tbody>
</table>
${isAdmin ? '' : html`<p class="hint">Seuls les administrateurs et administratrices de la structure peuvent ajouter ou modifier des lieux.</p>`}`,
    }));
  });

  function newPlacePage(request: FastifyRequest, reply: FastifyReply, state: { status?: number; values?: FormValues; errors?: FieldErrors; formError?: string }) {
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title: 'Ajouter un lieu',
      body: html`<h1>Ajouter un lieu</h1>
<form method="post" action="/structure/lieux" novalidate>
  ${csrfField(csrf)}
  ${placeFormFields(state.values ?? {}, errors)}
  <button type="submit" class="button">Enregistrer le lieu</button>
</form>`,
    }));
  }

  app.get('/structure/lieux/nouveau', { config: { access: PROVIDER_ADMIN } }, (request, reply) => newPlacePage(request, reply, {}));

  app.post('/structure/lieux', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const values = formValues(request.body);
    const form = parseForm(placeForm, request.body);
    if (!form.ok) return newPlacePage(request, reply, { status: 400, values, errors: form.errors });
    const { actor, providerId } = actorAndProvider(request);
    try {
      const place = await createPlace(ctx, actor, providerId, form.data);
      return redirectAfterPost(reply, `/structure/lieux/${place.id}/services?ok=cree`);
    } catch (error) {
      return newPlacePage(request, reply, { values, ...formErrorOf(error) });
    }
  });

  function editPlacePage(request: FastifyRequest, reply: FastifyReply, place: PlaceRow, state: { status?: number; values?: FormValues; errors?: FieldErrors; formError?: string }) {
    return sendFormPage(request, reply, { status: state.status ?? 200, errors: state.errors ?? {}, formError: state.formError }, (csrf, errors) => ({
      title: `Modifier ${place.name}`,
      body: html`${notice(placesDoneMessage(request))}
<h1>${place.name}</h1>
<p>${PLACE_STATUS_LABELS[place.status]}. <a href="/structure/lieux/${place.id}/services">Services proposés dans ce lieu</a>${place.status === 'published' ? html` · <a href="/lieux/${place.id}">Voir la page publique</a>` : ''}</p>
<form method="post" action="/structure/lieux/${place.id}" novalidate>
  ${csrfField(csrf)}
  ${placeFormFields(state.values ?? valuesOfPlace(place), errors)}
  <button type="submit" class="button">Enregistrer les modifications</button>
</form>
<p><a href="/structure/lieux">Retour à vos lieux</a></p>`,
    }));
  }

  app.get('/structure/lieux/:id', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const place = await getProviderPlace(ctx, currentMembership(request).organisationId, placeIdOf(request));
    return editPlacePage(request, reply, place, {});
  });

  app.post('/structure/lieux/:id', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const { actor, providerId } = actorAndProvider(request);
    const place = await getProviderPlace(ctx, providerId, placeIdOf(request));
    const values = formValues(request.body);
    const form = parseForm(placeForm, request.body);
    if (!form.ok) return editPlacePage(request, reply, place, { status: 400, values, errors: form.errors });
    try {
      await updatePlace(ctx, actor, providerId, place.id, form.data);
    } catch (error) {
      return editPlacePage(request, reply, place, { values, ...formErrorOf(error) });
    }
    return redirectAfterPost(reply, `/structure/lieux/${place.id}?ok=modifie`);
  });

  const claimQuery = z.object({ codePostal: z.string().trim().regex(/^\d{5}$/, 'Le code postal a 5 chiffres, par exemple 33000').optional() });

  app.get('/structure/lieux/reprendre', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const raw = (request.query as { codePostal?: unknown }).codePostal;
    const query = claimQuery.safeParse({ codePostal: typeof raw === 'string' && raw.trim() !== '' ? raw : undefined });
    const postcode = query.success ? query.data.codePostal : undefined;
    const places = postcode ? await findClaimablePlaces(ctx, postcode) : [];
    const errors: FieldErrors = query.success ? {} : { codePostal: query.error.issues[0]!.message };
    return sendFormPage(request, reply, { status: query.success ? 200 : 400, errors }, (csrf, errors) => ({
      title: 'Reprendre un lieu déjà recensé',
      body: html`<h1>Reprendre un lieu déjà recensé</h1>
<p class="lead">Des lieux de médiation numérique ont été importés des données ouvertes du standard national. Si le vôtre y figure, rattachez-le à votre structure plutôt que de le saisir à nouveau.</p>
<form method="get" action="/structure/lieux/reprendre" class="inline-fields">
  ${textField({ name: 'codePostal', label: 'Code postal du lieu', value: typeof raw === 'string' ? raw : undefined, error: errors.codePostal })}
  <button type="submit" class="button button-secondary">Chercher</button>
</form>
${
  postcode
    ? html`<table class="table"><caption>Lieux non rattachés au code postal ${postcode} (${places.length})</caption>
<thead><tr><th scope="col">Lieu</th><th scope="col">Adresse</th><th scope="col">Source</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>${places.map(
        (p) => html`<tr><td>${p.name}</td><td>${p.address}, ${p.postcode} ${p.commune}</td><td>${p.source}</td><td><form method="post" action="/structure/lieux/${p.id}/reprendre">${csrfField(csrf)}<button type="submit" class="button-link">C’est notre lieu : le reprendre<span class="visually-hidden"> (${p.name})</span></button></form></td></tr>`,
      )}
${places.length === 0 ? html`<tr><td colspan="4">Aucun lieu à reprendre à ce code postal. <a href="/structure/lieux/nouveau">Ajoutez votre lieu</a>.</td></tr>` : ''}</tbody></table>`
    : ''
}
<p><a href="/structure/lieux">Retour à vos lieux</a></p>`,
    }));
  });

  app.post('/structure/lieux/:id/reprendre', { config: { access: PROVIDER_ADMIN } }, async (request, reply) => {
    const { actor, providerId } = actorAndProvider(request);
    const place = await claimPlace(ctx, actor, providerId, placeIdOf(request));
    return redirectAfterPost(reply, `/structure/lieux/${place.id}?ok=repris`);
  });
}
