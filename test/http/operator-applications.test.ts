import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, createWorld } from '../support/fixtures.js';
import { addPlace, completeApplication, createReviewProvider, placeStatuses } from '../support/review-fixtures.js';
import { WebClient } from '../support/web-client.js';

let t: TestApp;
let provider: Awaited<ReturnType<typeof createReviewProvider>>;
let documentId: string;
let documentContent: Buffer;

beforeAll(async () => {
  t = await createTestApp();
  await createWorld(t.ctx);
  provider = await createReviewProvider(t.ctx, { name: 'Tiers-lieu <Les Communs>', admins: ['admin@communs.fr'] });
  ({ documentId, content: documentContent } = await completeApplication(t.ctx, provider.id, provider.admins[0]!.id));
  await addPlace(t.ctx, provider.id, { name: 'Atelier des Communs' });
});
afterAll(() => t.close());

async function as(email: string): Promise<WebClient> {
  const client = new WebClient(t.app);
  await client.signIn(email, PASSWORD);
  await client.get('/espace');
  return client;
}

const ZERO = '00000000-0000-0000-0000-000000000000';
const page = (id: string) => `/operateur/candidatures/${id}`;
const DECISIONS = ['demander-des-modifications', 'qualifier', 'refuser', 'suspendre', 'retablir'];

describe('who may review applications', () => {
  const routes = () => [
    { method: 'GET', url: '/operateur/candidatures' },
    { method: 'GET', url: page(provider.id) },
    { method: 'GET', url: `${page(provider.id)}/documents/${documentId}` },
    ...DECISIONS.map((d) => ({ method: 'POST', url: `${page(provider.id)}/${d}` })),
    { method: 'POST', url: `${page(provider.id)}/messages` },
  ];

  it('asks an anonymous visitor to sign in (401) on every route', async () => {
    for (const { method, url } of routes()) {
      const client = new WebClient(t.app);
      await client.get('/connexion');
      const response = method === 'GET' ? await client.get(url) : await client.post(url, {});
      expect(response.statusCode, url).toBe(401);
      expect(response.body).toContain('action="/connexion"');
    }
  });

  it('refuses every route to the provider itself and to a funder (403), documents included', async () => {
    for (const email of ['admin@communs.fr', 'admin@ville.fr']) {
      const client = await as(email);
      for (const { method, url } of routes()) {
        const response = method === 'GET' ? await client.get(url) : await client.post(url, { changesMessage: 'x', message: 'x' });
        expect(response.statusCode, `${email} ${url}`).toBe(403);
        expect(response.headers['content-disposition']).toBeUndefined();
      }
    }
  });

  it('lets an operator member read and write to the applicant, but not decide (403)', async () => {
    const member = await as('agent@operateur.fr');
    const review = await member.get(page(provider.id));
    expect(review.statusCode).toBe(200);
    expect(review.body).toContain('Les décisions sont prises par les administrateur·rices');
    expect(review.body).not.toContain(`action="${page(provider.id)}/qualifier"`);
    for (const decision of DECISIONS) {
      const response = await member.post(`${page(provider.id)}/${decision}`, { changesMessage: 'x', refusalMessage: 'x', suspensionReason: 'x' });
      expect(response.statusCode, decision).toBe(403);
    }
    const sent = await member.post(`${page(provider.id)}/messages`, { message: 'Une question de l’agent.' });
    expect(sent.statusCode).toBe(303);
  });

  it('shows « Candidatures » in the operator’s navigation only', async () => {
    expect((await (await as('operateur@test.fr')).get('/espace')).body).toContain('href="/operateur/candidatures"');
    expect((await (await as('admin@ville.fr')).get('/espace')).body).not.toContain('href="/operateur/candidatures"');
  });
});

describe('the queue page', () => {
  it('lists submitted applications with their status, legal form, commune and waiting time', async () => {
    t.clock.advanceMinutes(3 * 24 * 60);
    const operator = await as('operateur@test.fr');
    const response = await operator.get('/operateur/candidatures');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Tiers-lieu &lt;Les Communs&gt;');
    expect(response.body).toContain(`href="${page(provider.id)}"`);
    expect(response.body).toContain('Bordeaux (33)');
    expect(response.body).toContain('3 jours');
    expect(response.body).toContain('À examiner');
  });

  it('filters, and ignores invalid filters with a notice', async () => {
    const operator = await as('operateur@test.fr');
    const none = await operator.get('/operateur/candidatures?statut=submitted&departement=75&forme=&q=');
    expect(none.body).toContain('Aucune candidature pour ces filtres.');
    const found = await operator.get('/operateur/candidatures?statut=submitted&departement=33&forme=association&q=communs');
    expect(found.body).toContain('Tiers-lieu &lt;Les Communs&gt;');
    const invalid = await operator.get('/operateur/candidatures?statut=nimporte&departement=%3Cscript%3E');
    expect(invalid.statusCode).toBe(200);
    expect(invalid.body).toContain('Certains filtres étaient invalides');
    expect(invalid.body).not.toContain('<script>');
  });
});

describe('the application page', () => {
  it('shows everything needed to decide, with the IBAN masked', async () => {
    const operator = await as('operateur@test.fr');
    const response = await operator.get(page(provider.id));
    expect(response.statusCode).toBe(200);
    const body = response.body;
    expect(body).toContain('<h1>Tiers-lieu &lt;Les Communs&gt;</h1>');
    expect(body).toContain('732 829 320 00074');
    expect(body).toContain('FR•• •••• •••• 0189');
    expect(body).not.toContain('FR7630006000011234567890189');
    expect(body).not.toContain('3000600001');
    expect(body).toContain('Éligible');
    expect(body).toContain('Aptitudes');
    expect(body).toContain('Version 2 (en vigueur) acceptée par');
    expect(body).toContain(`href="${page(provider.id)}/documents/${documentId}"`);
    expect(body).toContain('Statuts signés été.pdf');
    expect(body).toContain('Annonce de création au Journal officiel');
    expect(body).toContain('Manquante');
    expect(body).toContain('Camille Médiatrice');
    expect(body).toContain('Atelier des Communs');
    expect(body).toMatch(/10,00\s€/);
    expect(body).toContain('Bonjour,<br>voici notre dossier.');
    expect(body).toContain(`action="${page(provider.id)}/qualifier"`);
  });

  it('answers 404 for an unknown provider or a malformed id', async () => {
    const operator = await as('operateur@test.fr');
    expect((await operator.get(page(ZERO))).statusCode).toBe(404);
    expect((await operator.get(page('pas-un-id'))).statusCode).toBe(404);
  });
});

describe('document download', () => {
  it('sends the document as an attachment with its media type, never sniffed', async () => {
    const operator = await as('agent@operateur.fr');
    const response = await operator.get(`${page(provider.id)}/documents/${documentId}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-disposition']).toBe(`attachment; filename="Statuts_signes_ete.pdf"; filename*=UTF-8''${encodeURIComponent('Statuts signés été.pdf')}`);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.rawPayload.equals(documentContent)).toBe(true);
  });

  it('answers 404 for an unknown document, or a document asked under another provider', async () => {
    const operator = await as('operateur@test.fr');
    const other = await createReviewProvider(t.ctx);
    expect((await operator.get(`${page(provider.id)}/documents/${ZERO}`)).statusCode).toBe(404);
    expect((await operator.get(`${page(other.id)}/documents/${documentId}`)).statusCode).toBe(404);
    expect((await operator.get(`${page(provider.id)}/documents/abc`)).statusCode).toBe(404);
  });
});

describe('decisions from the page', () => {
  it('needs the CSRF token', async () => {
    const operator = await as('operateur@test.fr');
    await operator.get(page(provider.id));
    const response = await operator.post(`${page(provider.id)}/qualifier`, {}, { csrf: null });
    expect(response.statusCode).toBe(403);
  });

  it('asks for the message next to its field (400) and gives back what was typed', async () => {
    const operator = await as('operateur@test.fr');
    await operator.get(page(provider.id));
    for (const [decision, field] of [
      ['demander-des-modifications', 'changesMessage'],
      ['refuser', 'refusalMessage'],
      ['messages', 'message'],
    ] as const) {
      const response = await operator.post(`${page(provider.id)}/${decision}`, { [field]: '   ' });
      expect(response.statusCode, decision).toBe(400);
      expect(response.body).toContain(`id="${field}-error"`);
      expect(response.body).toContain('<title>Erreur : ');
    }
    const tooLong = await operator.post(`${page(provider.id)}/demander-des-modifications`, { changesMessage: 'x'.repeat(5001) });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).toContain('5 000 caractères');
    expect(tooLong.body).toContain(`>${'x'.repeat(5001)}</textarea>`);
  });

  it('requests changes, then the applicant resubmits and the operator qualifies; a second qualification is a conflict (409)', async () => {
    const operator = await as('operateur@test.fr');
    await operator.get(page(provider.id));
    const changes = await operator.post(`${page(provider.id)}/demander-des-modifications`, { changesMessage: 'Ajoutez l’annonce au Journal officiel.' });
    expect(changes.statusCode).toBe(303);
    expect(changes.headers.location).toBe(`${page(provider.id)}?ok=modifications`);
    const after = await operator.get(changes.headers.location as string);
    expect(after.body).toContain('Les modifications ont été demandées');
    expect(after.body).toContain('Modifications demandées');
    expect(after.body).toContain('Ajoutez l’annonce au Journal officiel.');
    expect(after.body).toContain('application.changes_requested');
    expect(t.mailbox.sent.findLast((m) => m.to === 'admin@communs.fr')?.subject).toContain('modifications');

    // The applicant sends the application again (their pages; here directly).
    await t.ctx.db.updateTable('providers').set({ status: 'submitted' }).where('organisation_id', '=', provider.id).execute();
    await operator.get(page(provider.id));
    const qualified = await operator.post(`${page(provider.id)}/qualifier`, { qualifyMessage: '' });
    expect(qualified.statusCode).toBe(303);
    expect((await placeStatuses(t.ctx, provider.id)).map((p) => p.status)).toEqual(['published']);

    const again = await operator.post(`${page(provider.id)}/refuser`, { refusalMessage: 'Trop tard' });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('Cette décision n’est pas possible au statut actuel');
    expect(again.body).toContain('Qualifiée');
  });

  it('lets two operators decide at once: one wins, the other sees the conflict', async () => {
    const contested = await createReviewProvider(t.ctx);
    const first = await as('operateur@test.fr');
    const second = await as('operateur@test.fr');
    await first.get(page(contested.id));
    await second.get(page(contested.id));
    const [a, b] = await Promise.all([
      first.post(`${page(contested.id)}/qualifier`, {}),
      second.post(`${page(contested.id)}/refuser`, { refusalMessage: 'Non retenu.' }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([303, 409]);
    expect([a, b].find((r) => r.statusCode === 409)!.body).toContain('quelqu’un l’a peut-être traitée entre-temps');
  });

  it('suspends with a reason, then reinstates, moving the places', async () => {
    const operator = await as('operateur@test.fr');
    await operator.get(page(provider.id));
    const missing = await operator.post(`${page(provider.id)}/suspendre`, { suspensionReason: '' });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('id="suspensionReason-error"');
    const suspended = await operator.post(`${page(provider.id)}/suspendre`, { suspensionReason: 'Services non délivrés.' });
    expect(suspended.statusCode).toBe(303);
    expect((await placeStatuses(t.ctx, provider.id)).map((p) => p.status)).toEqual(['withdrawn']);
    const shown = await operator.get(page(provider.id));
    expect(shown.body).toContain('Qualifiée, suspendue');
    expect(shown.body).toContain('Services non délivrés.');
    expect(shown.body).toContain(`action="${page(provider.id)}/retablir"`);
    expect((await operator.post(`${page(provider.id)}/suspendre`, { suspensionReason: 'Encore' })).statusCode).toBe(409);
    const reinstated = await operator.post(`${page(provider.id)}/retablir`, {});
    expect(reinstated.statusCode).toBe(303);
    expect((await placeStatuses(t.ctx, provider.id)).map((p) => p.status)).toEqual(['published']);
    expect((await operator.post(`${page(provider.id)}/retablir`, {})).statusCode).toBe(409);
  });

  it('answers 404 when deciding on an unknown provider', async () => {
    const operator = await as('operateur@test.fr');
    await operator.get('/operateur/candidatures');
    expect((await operator.post(`${page(ZERO)}/qualifier`, {})).statusCode).toBe(404);
  });
});
