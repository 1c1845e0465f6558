import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, createWorld } from '../support/fixtures.js';
import { WebClient } from '../support/web-client.js';

let t: TestApp;
let world: Awaited<ReturnType<typeof createWorld>>;
beforeAll(async () => {
  t = await createTestApp();
  world = await createWorld(t.ctx);
});
afterAll(() => t.close());

async function as(email: string): Promise<WebClient> {
  const client = new WebClient(t.app);
  await client.signIn(email, PASSWORD);
  await client.get('/espace');
  return client;
}

/** Each protected page, the least it needs, and someone who has less. */
const PROTECTED: { method: 'GET' | 'POST'; url: string; forbiddenFor: string | null }[] = [
  { method: 'GET', url: '/espace', forbiddenFor: null },
  { method: 'POST', url: '/espace/organisation', forbiddenFor: null },
  { method: 'POST', url: '/deconnexion', forbiddenFor: null },
  { method: 'GET', url: '/organisation/membres', forbiddenFor: null },
  { method: 'POST', url: '/organisation/membres/invitations', forbiddenFor: 'membre@ville.fr' },
  { method: 'POST', url: '/organisation/membres/00000000-0000-0000-0000-000000000000/retirer', forbiddenFor: 'membre@ville.fr' },
  { method: 'GET', url: '/organisation/jetons', forbiddenFor: 'membre@ville.fr' },
  { method: 'POST', url: '/organisation/jetons', forbiddenFor: 'membre@ville.fr' },
  { method: 'POST', url: '/organisation/jetons/00000000-0000-0000-0000-000000000000/revoquer', forbiddenFor: 'membre@ville.fr' },
  { method: 'GET', url: '/operateur/organisations', forbiddenFor: 'admin@ville.fr' },
  { method: 'POST', url: '/operateur/organisations', forbiddenFor: 'admin@ville.fr' },
  { method: 'POST', url: '/operateur/organisations', forbiddenFor: 'agent@operateur.fr' },
  { method: 'GET', url: '/operateur/journal', forbiddenFor: 'admin@ville.fr' },
];

describe('pages: who may open them', () => {
  it.each(PROTECTED)('$method $url asks an anonymous visitor to sign in (401, sign-in form)', async ({ method, url }) => {
    const client = new WebClient(t.app);
    await client.get('/connexion');
    const response = method === 'GET' ? await client.get(url) : await client.post(url, {});
    expect(response.statusCode).toBe(401);
    expect(response.body).toContain('Connectez-vous pour accéder à cette page.');
    expect(response.body).toContain('action="/connexion"');
  });

  it.each(PROTECTED.filter((p) => p.forbiddenFor))('$method $url is refused (403) to someone without the role', async ({ method, url, forbiddenFor }) => {
    const client = await as(forbiddenFor!);
    const response = method === 'GET' ? await client.get(url) : await client.post(url, {});
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('Accès refusé');
  });

  it('shows public pages in French with a skip link and the navigation', async () => {
    for (const url of ['/', '/accessibilite', '/connexion', '/mot-de-passe-oublie']) {
      const response = await t.app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('<html lang="fr">');
      expect(response.body).toContain('href="#contenu"');
    }
  });

  it('shows navigation by role', async () => {
    const operator = await (await as('operateur@test.fr')).get('/espace');
    expect(operator.body).toContain('href="/operateur/journal"');
    const member = await (await as('membre@ville.fr')).get('/espace');
    expect(member.body).toContain('href="/organisation/membres"');
    expect(member.body).not.toContain('href="/operateur/journal"');
    expect(member.body).not.toContain('href="/organisation/jetons"');
  });
});

describe('sign-in and sign-out', () => {
  it('says what is missing next to each field (400), and a wrong password without telling which (401)', async () => {
    const client = new WebClient(t.app);
    await client.get('/connexion');
    const empty = await client.post('/connexion', { email: '', password: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Il y a un problème');
    expect(empty.body).toContain('id="email-error"');
    expect(empty.body).toContain('Saisissez votre mot de passe');
    const wrong = await client.post('/connexion', { email: 'admin@ville.fr', password: 'pas le bon mot de passe' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('Adresse e-mail ou mot de passe incorrect.');
    expect(wrong.body).toContain('value="admin@ville.fr"');
  });

  it('returns to the page asked for, never to another site', async () => {
    const client = new WebClient(t.app);
    await client.get('/connexion');
    const back = await client.post('/connexion', { email: 'admin@ville.fr', password: PASSWORD, retour: '/organisation/membres' });
    expect(back.headers.location).toBe('/organisation/membres');
    const other = new WebClient(t.app);
    await other.get('/connexion');
    const evil = await other.post('/connexion', { email: 'admin@ville.fr', password: PASSWORD, retour: '//evil.example/x' });
    expect(evil.headers.location).toBe('/espace');
  });

  it('sets an httpOnly session cookie, and sign-out ends the session', async () => {
    const client = new WebClient(t.app);
    await client.get('/connexion');
    const response = await client.post('/connexion', { email: 'admin@ville.fr', password: PASSWORD });
    const cookie = response.cookies.find((c) => c.name === 'passnum_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const stolen = cookie.value;
    await client.get('/espace');
    expect((await client.post('/deconnexion')).headers.location).toBe('/connexion?deconnecte=1');
    const replay = await t.app.inject({ url: '/espace', cookies: { passnum_session: stolen } });
    expect(replay.statusCode).toBe(401);
  });
});

describe('team pages', () => {
  it('invites by e-mail (400 on a bad address, 409 for a member), and the invited person joins from the link', async () => {
    const admin = await as('admin@ville.fr');
    const bad = await admin.post('/organisation/membres/invitations', { email: 'pas-une-adresse', role: 'member' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Saisissez une adresse e-mail valide');
    const dup = await admin.post('/organisation/membres/invitations', { email: 'membre@ville.fr', role: 'member' });
    expect(dup.statusCode).toBe(409);
    const ok = await admin.post('/organisation/membres/invitations', { email: 'recrue@ville.fr', role: 'member' });
    expect(ok.statusCode).toBe(303);
    const link = new URL(t.mailbox.lastLinkTo('recrue@ville.fr'));

    const newcomer = new WebClient(t.app);
    const page = await newcomer.get(link.pathname);
    expect(page.body).toContain('Rejoindre Ville de Test');
    const weak = await newcomer.post(link.pathname, { displayName: 'Rémi', password: 'court' });
    expect(weak.statusCode).toBe(400);
    expect(weak.body).toContain('au moins 12 caractères');
    const joined = await newcomer.post(link.pathname, { displayName: 'Rémi', password: 'une phrase de bienvenue' });
    expect(joined.headers.location).toBe('/espace?ok=invitation');
    expect((await newcomer.get('/espace')).body).toContain('Vous agissez pour <strong>Ville de Test</strong>');
    const reused = await new WebClient(t.app).get(link.pathname);
    expect(reused.statusCode).toBe(409);
    expect(reused.body).toContain('déjà été acceptée');
    expect((await admin.get('/organisation/membres')).body).toContain('recrue@ville.fr');
  });

  it('refuses to remove the last admin', async () => {
    const admin = await as('admin@autre.fr');
    const response = await admin.post(`/organisation/membres/${world.people.otherAdmin.id}/retirer`);
    expect(response.statusCode).toBe(409);
    expect(response.body).toContain('au moins un administrateur');
  });

  it('never shows another organisation’s team', async () => {
    const other = await as('admin@autre.fr');
    const page = await other.get('/organisation/membres');
    expect(page.body).not.toContain('admin@ville.fr');
    const removal = await other.post(`/organisation/membres/${world.people.funderMember.id}/retirer`);
    expect(removal.statusCode).toBe(403);
  });

  it('switches organisation only to one of the person’s own', async () => {
    const admin = await as('admin@ville.fr');
    const refused = await admin.post('/espace/organisation', { organisationId: world.organisations.otherFunder.id });
    expect(refused.statusCode).toBe(403);
    const malformed = await admin.post('/espace/organisation', { organisationId: 'pas-un-uuid' });
    expect(malformed.statusCode).toBe(403);
  });
});

describe('API tokens page', () => {
  it('creates a token shown once (400 without a name or scope) and revokes it', async () => {
    const admin = await as('admin@ville.fr');
    const invalid = await admin.post('/organisation/jetons', { name: '' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.body).toContain('Cochez au moins un droit');
    const forbiddenScope = await admin.post('/organisation/jetons', { name: 'Audit', scopes: 'audit:read' });
    expect(forbiddenScope.statusCode).toBe(400);
    const created = await admin.post('/organisation/jetons', { name: 'Compta', scopes: ['organisation:read', 'members:read'] });
    expect(created.statusCode).toBe(201);
    const token = /id="nouveau-jeton">(pn_[^<]+)</.exec(created.body)![1]!;
    expect((await t.app.inject({ url: '/api/v1/organisation', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    const list = await admin.get('/organisation/jetons');
    expect(list.body).not.toContain(token);
    const id = /action="\/organisation\/jetons\/([0-9a-f-]+)\/revoquer"/.exec(list.body)![1]!;
    expect((await admin.post(`/organisation/jetons/${id}/revoquer`)).statusCode).toBe(303);
    expect((await t.app.inject({ url: '/api/v1/organisation', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });
});

describe('operator pages', () => {
  it('creates an organisation and invites its first admin (400 on bad input)', async () => {
    const operator = await as('operateur@test.fr');
    const bad = await operator.post('/operateur/organisations', { kind: 'banque', name: '', adminEmail: 'x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Choisissez le type d’organisation');
    const secondOperator = await operator.post('/operateur/organisations', { kind: 'operator', name: 'Autre opérateur', adminEmail: 'x@y.fr' });
    expect(secondOperator.statusCode).toBe(400);
    const ok = await operator.post('/operateur/organisations', { kind: 'distributor', name: 'France Services Test', adminEmail: 'chef@fs.fr' });
    expect(ok.headers.location).toBe('/operateur/organisations?ok=cree');
    expect((await operator.get('/operateur/organisations')).body).toContain('France Services Test');
    expect(t.mailbox.lastLinkTo('chef@fs.fr')).toContain('/invitations/');
  });

  it('reads and filters the audit journal', async () => {
    const operator = await as('operateur@test.fr');
    const all = await operator.get('/operateur/journal');
    expect(all.statusCode).toBe(200);
    expect(all.body).toContain('session.opened');
    const filtered = await operator.get('/operateur/journal?action=organisation.created');
    expect(filtered.body).toContain('France Services Test');
    expect(filtered.body).not.toContain('<code>session.opened</code></td>');
    const badFilter = await operator.get('/operateur/journal?du=hier');
    expect(badFilter.statusCode).toBe(200);
    expect(badFilter.body).toContain('filtres étaient invalides');
  });
});
