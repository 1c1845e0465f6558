import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, createOrganisation, createPerson } from '../support/fixtures.js';
import { addMediator, createProvider, createPublicPlace, insertImportedPlace } from '../support/places-fixtures.js';
import { WebClient } from '../support/web-client.js';

let t: TestApp;
let provider: Awaited<ReturnType<typeof createProvider>>;
let other: Awaited<ReturnType<typeof createProvider>>;
let placeId: string;
let otherPlaceId: string;
let publicPlace: Awaited<ReturnType<typeof createPublicPlace>>;

const placeForm = {
  name: 'Espace numérique du Lac',
  mobility: 'fixed',
  typologies: ['EPN', 'BIB'],
  address: '12 rue du Lac',
  postcode: '33300',
  inseeCode: '33063',
  latitude: '44,8837',
  longitude: '-0.5665',
  openingHours: 'Mo-Fr 09:00-12:00',
  accessibilityUrl: '',
  specificSupport: 'Surdité',
  phone: '05 56 00 00 00',
  email: 'epn@lac.fr',
  website: 'https://epn.example.fr',
};
const serviceForm = { serviceCode: 'M01', price: '12,50', durationMinutes: '90', format: 'individual', deliveryModes: ['on_site', 'remote'], parcours: '5', state: 'active' };

beforeAll(async () => {
  t = await createTestApp();
  provider = await createProvider(t.ctx, { application: 'draft' });
  other = await createProvider(t.ctx, { application: 'draft' });
  const funder = await createOrganisation(t.ctx, 'funder', 'Ville');
  await createPerson(t.ctx, 'admin@ville.fr', [[funder.id, 'admin']]);
  const own = await as(provider.admin.email);
  const created = await own.post('/structure/lieux', placeForm);
  placeId = /\/structure\/lieux\/([0-9a-f-]{36})\/services/.exec(created.headers.location as string)![1]!;
  const others = await as(other.admin.email);
  const createdByOther = await others.post('/structure/lieux', { ...placeForm, name: 'Autre lieu' });
  otherPlaceId = /\/structure\/lieux\/([0-9a-f-]{36})\//.exec(createdByOther.headers.location as string)![1]!;
  publicPlace = await createPublicPlace(t.ctx, { name: 'Médiathèque publique', postcode: '33800', latitude: 44.82, longitude: -0.56 });
});
afterAll(() => t.close());

async function as(email: string): Promise<WebClient> {
  const client = new WebClient(t.app);
  await client.signIn(email, PASSWORD);
  await client.get('/espace');
  return client;
}

const PROTECTED = () => [
  { method: 'GET' as const, url: '/structure/lieux', admin: false },
  { method: 'GET' as const, url: '/structure/lieux/nouveau', admin: true },
  { method: 'POST' as const, url: '/structure/lieux', admin: true },
  { method: 'GET' as const, url: `/structure/lieux/${placeId}`, admin: true },
  { method: 'POST' as const, url: `/structure/lieux/${placeId}`, admin: true },
  { method: 'GET' as const, url: '/structure/lieux/reprendre', admin: true },
  { method: 'POST' as const, url: `/structure/lieux/${placeId}/reprendre`, admin: true },
  { method: 'GET' as const, url: `/structure/lieux/${placeId}/services`, admin: false },
  { method: 'POST' as const, url: `/structure/lieux/${placeId}/services`, admin: true },
  { method: 'GET' as const, url: `/structure/lieux/${placeId}/services/M01`, admin: true },
];

describe('provider pages: who may open them', () => {
  it('asks an anonymous visitor to sign in (401)', async () => {
    for (const { method, url } of PROTECTED()) {
      const client = new WebClient(t.app);
      await client.get('/connexion');
      const response = method === 'GET' ? await client.get(url) : await client.post(url, {});
      expect(response.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it('refuses (403) people of another kind of organisation, and members where an admin is needed', async () => {
    const funder = await as('admin@ville.fr');
    const member = await as(provider.member.email);
    for (const { method, url, admin } of PROTECTED()) {
      const response = method === 'GET' ? await funder.get(url) : await funder.post(url, {});
      expect(response.statusCode, `${method} ${url}`).toBe(403);
      if (admin) {
        const asMember = method === 'GET' ? await member.get(url) : await member.post(url, {});
        expect(asMember.statusCode, `member ${method} ${url}`).toBe(403);
      }
    }
  });

  it('shows nothing of another provider’s place (404)', async () => {
    const client = await as(other.admin.email);
    expect((await client.get(`/structure/lieux/${placeId}`)).statusCode).toBe(404);
    expect((await client.get(`/structure/lieux/${placeId}/services`)).statusCode).toBe(404);
    await client.get('/structure/lieux');
    expect((await client.post(`/structure/lieux/${placeId}`, placeForm)).statusCode).toBe(404);
    expect((await client.post(`/structure/lieux/${placeId}/services`, serviceForm)).statusCode).toBe(404);
    expect((await client.get('/structure/lieux/pas-un-id')).statusCode).toBe(404);
  });
});

describe('provider pages: places', () => {
  it('lists the places, to members too, without the admin’s actions', async () => {
    const member = await as(provider.member.email);
    const page = await member.get('/structure/lieux');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Espace numérique du Lac');
    expect(page.body).not.toContain('Ajouter un lieu');
    expect(page.body).not.toContain('Autre lieu');
  });

  it('shows the errors of a bad form next to the fields, values kept (400)', async () => {
    const client = await as(provider.admin.email);
    await client.get('/structure/lieux/nouveau');
    const response = await client.post('/structure/lieux', { ...placeForm, name: '', latitude: 'quarante', phone: '12' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<title>Erreur : Ajouter un lieu');
    expect(response.body).toContain('Saisissez le nom du lieu');
    expect(response.body).toContain('La latitude est un nombre décimal');
    expect(response.body).toMatch(/value="EPN" checked/);
  });

  it('says when the postcode is not the commune’s, or the point outside France (400)', async () => {
    const client = await as(provider.admin.email);
    await client.get('/structure/lieux/nouveau');
    const mismatch = await client.post('/structure/lieux', { ...placeForm, postcode: '75012' });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.body).toContain('Ce code postal n’est pas celui de la commune');
    const outside = await client.post('/structure/lieux', { ...placeForm, latitude: '-0.5665', longitude: '44.8837' });
    expect(outside.statusCode).toBe(400);
    expect(outside.body).toContain('Ces coordonnées ne sont pas en France');
  });

  it('creates a place (Post/Redirect/Get) and edits it', async () => {
    const client = await as(provider.admin.email);
    await client.get('/structure/lieux/nouveau');
    const created = await client.post('/structure/lieux', { ...placeForm, name: 'Annexe du Lac' });
    expect(created.statusCode).toBe(303);
    const location = created.headers.location as string;
    expect((await client.get(location)).body).toContain('Ajoutez maintenant les services');
    const id = /lieux\/([0-9a-f-]{36})/.exec(location)![1]!;
    const edit = await client.get(`/structure/lieux/${id}`);
    expect(edit.body).toContain('value="Annexe du Lac"');
    const saved = await client.post(`/structure/lieux/${id}`, { ...placeForm, name: 'Annexe du Lac (bus)', mobility: 'itinerant' });
    expect(saved.statusCode).toBe(303);
    expect((await client.get(saved.headers.location as string)).body).toContain('Les informations du lieu sont enregistrées');
    const bad = await client.post(`/structure/lieux/${id}`, { ...placeForm, inseeCode: 'abc' });
    expect(bad.statusCode).toBe(400);
  });

  it('finds imported places by postcode and claims one', async () => {
    const imported = await insertImportedPlace(t.ctx, { postcode: '33200', name: 'EPN Caudéran' });
    const client = await as(provider.admin.email);
    expect((await client.get('/structure/lieux/reprendre?codePostal=332')).statusCode).toBe(400);
    const found = await client.get('/structure/lieux/reprendre?codePostal=33200');
    expect(found.statusCode).toBe(200);
    expect(found.body).toContain('EPN Caudéran');
    const claimed = await client.post(`/structure/lieux/${imported.id}/reprendre`);
    expect(claimed.statusCode).toBe(303);
    expect(claimed.headers.location).toBe(`/structure/lieux/${imported.id}?ok=repris`);
    const again = await (await as(other.admin.email)).post(`/structure/lieux/${imported.id}/reprendre`, {}, { csrf: null });
    expect(again.statusCode).toBe(403); // no CSRF token: refused before anything
    const otherClient = await as(other.admin.email);
    await otherClient.get('/structure/lieux/reprendre?codePostal=33200');
    const lost = await otherClient.post(`/structure/lieux/${imported.id}/reprendre`);
    expect(lost.statusCode).toBe(409);
    expect(lost.body).toContain('vient d’être rattaché à une autre structure');
  });
});

describe('provider pages: catalogue', () => {
  it('adds a service with its price in euros and shows the holder’s share', async () => {
    const client = await as(provider.admin.email);
    const page = await client.get(`/structure/lieux/${placeId}/services`);
    expect(page.body).toContain('<optgroup label="Maîtriser le numérique">');
    const saved = await client.post(`/structure/lieux/${placeId}/services`, serviceForm);
    expect(saved.statusCode).toBe(303);
    const after = await client.get(saved.headers.location as string);
    expect(after.body).toContain('12,50 €, dont 2,50 € à payer par la personne');
    expect(after.body).toContain('Parcours de 5 séances');
    const entry = await t.ctx.db.selectFrom('catalogue_entries').selectAll().where('place_id', '=', placeId).executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ price_cents: 1250, referential_version: 1, delivery_modes: ['on_site', 'remote'], parcours_sessions: 5 });
    const edit = await client.get(`/structure/lieux/${placeId}/services/M01`);
    expect(edit.body).toContain('value="12,50"');
  });

  it('refuses a form without delivery mode or with a bad price (400)', async () => {
    const client = await as(provider.admin.email);
    await client.get(`/structure/lieux/${placeId}/services`);
    const response = await client.post(`/structure/lieux/${placeId}/services`, { ...serviceForm, serviceCode: 'M02', deliveryModes: [], price: 'gratuit' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Cochez au moins un mode');
    expect(response.body).toContain('Saisissez un prix en euros');
  });

  it('shows the errors of a changed entry on its own page (400)', async () => {
    const client = await as(provider.admin.email);
    await client.get(`/structure/lieux/${placeId}/services/M01`);
    const response = await client.post(`/structure/lieux/${placeId}/services`, { ...serviceForm, editing: 'yes', parcours: '7' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Un parcours compte 5 ou 10 séances');
    expect(response.body).toContain('name="editing" value="yes"');
  });

  it('explains why a « faire à la place » service needs an employee (409), then accepts it', async () => {
    const client = await as(provider.admin.email);
    await client.get(`/structure/lieux/${placeId}/services`);
    const refused = await client.post(`/structure/lieux/${placeId}/services`, { ...serviceForm, serviceCode: 'M11' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('ne peut être proposé que par une personne salariée');
    await addMediator(t.ctx, provider.organisation.id, 'employee');
    expect((await client.post(`/structure/lieux/${placeId}/services`, { ...serviceForm, serviceCode: 'M11' })).statusCode).toBe(303);
  });
});

describe('public pages', () => {
  it('searches places without JavaScript, with markers data for the map', async () => {
    const response = await t.app.inject({ url: '/lieux?q=33800' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('1 lieu pour 33800');
    expect(response.body).toContain(`href="/lieux/${publicPlace.place.id}"`);
    expect(response.body).toContain(`data-place-id="${publicPlace.place.id}" data-lat="44.82" data-lon="-0.56"`);
    expect(response.body).toContain('data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"');
    expect(response.body).toContain('src="/assets/carte/leaflet.js"');
    // Draft places of providers being onboarded are not listed.
    expect(response.body).not.toContain('Espace numérique du Lac');
    const everywhere = await t.app.inject({ url: '/lieux' });
    expect(everywhere.body).toContain('Médiathèque publique');
    expect(everywhere.body).not.toContain('Espace numérique du Lac');
  });

  it('answers 400 to a filter that is not in the lists, and says when a commune is unknown', async () => {
    const bad = await t.app.inject({ url: '/lieux?niveau=9&mode=avion' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Choisissez un niveau de la liste');
    const unknown = await t.app.inject({ url: '/lieux?q=Zzzzville' });
    expect(unknown.statusCode).toBe(200);
    expect(unknown.body).toContain('Aucune commune, aucun code postal ni département ne correspond');
  });

  it('serves the map’s scripts from this server and allows the tiles’ origin', async () => {
    const leaflet = await t.app.inject({ url: '/assets/carte/leaflet.js' });
    expect(leaflet.statusCode).toBe(200);
    expect(leaflet.headers['content-type']).toContain('javascript');
    expect((await t.app.inject({ url: '/assets/carte/places-map.js' })).body).toContain('circleMarker');
    expect((await t.app.inject({ url: '/assets/carte/../../app.ts' })).statusCode).toBe(404);
    const page = await t.app.inject({ url: '/lieux' });
    expect(page.headers['content-security-policy']).toContain('img-src \'self\' data: https://tile.openstreetmap.org');
  });

  it('shows a page per public place, and 404 for the others', async () => {
    const page = await t.app.inject({ url: `/lieux/${publicPlace.place.id}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Médiathèque publique');
    expect(page.body).toContain('10 € : entièrement payé avec un pass');
    expect(page.body).toContain('https://www.openstreetmap.org/directions?route=%3B44.82%2C-0.56');
    expect(page.body).toContain('Mo-Fr 09:00-12:00,14:00-18:00');
    for (const url of [`/lieux/${placeId}`, `/lieux/${otherPlaceId}`, '/lieux/00000000-0000-4000-8000-000000000000', '/lieux/pas-un-id']) {
      expect((await t.app.inject({ url })).statusCode, url).toBe(404);
    }
  });
});

describe('the search API', () => {
  it('answers the same search in JSON, without a token, and is in the OpenAPI document', async () => {
    const response = await t.app.inject({ url: '/api/v1/places/search?q=33800&mode=on_site' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ location: 'postcode', total: 1, page: 1 });
    expect(body.data[0]).toMatchObject({ id: publicPlace.place.id, latitude: 44.82, url: `http://passnum.test/lieux/${publicPlace.place.id}`, services: [{ code: 'M01', priceCents: 1000 }] });
    expect((await t.app.inject({ url: '/api/v1/places/search?q=33300' })).json().total).toBe(0);
    const bad = await t.app.inject({ url: '/api/v1/places/search?level=7&extra=1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const openapi = (await t.app.inject({ url: '/api/openapi.json' })).json();
    expect(openapi.paths['/api/v1/places/search'].get.summary).toContain('pass numérique');
  });
});

describe('while the application is examined', () => {
  it('refuses changes of places and catalogue with a clear message (409)', async () => {
    const examined = await createProvider(t.ctx, { application: 'draft' });
    const client = await as(examined.admin.email);
    await client.get('/structure/lieux/nouveau');
    const created = await client.post('/structure/lieux', placeForm);
    const id = /lieux\/([0-9a-f-]{36})/.exec(created.headers.location as string)![1]!;
    await t.ctx.db.updateTable('providers').set({ status: 'submitted' }).where('organisation_id', '=', examined.organisation.id).execute();
    await client.get(`/structure/lieux/${id}`);
    const edit = await client.post(`/structure/lieux/${id}`, { ...placeForm, name: 'Changé' });
    expect(edit.statusCode).toBe(409);
    expect(edit.body).toContain('en cours d’examen');
    await client.get(`/structure/lieux/${id}/services`);
    expect((await client.post(`/structure/lieux/${id}/services`, serviceForm)).statusCode).toBe(409);
  });
});
