import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, MANY_SIGN_INS, type TestApp } from '../support/app.js';
import { PASSWORD, createOrganisation, createPerson } from '../support/fixtures.js';
import { createFunder, type TestFunder } from '../support/voucher-fixtures.js';
import { SignedInClients, WebClient } from '../support/web-client.js';
import { IBANS, at, createPaidProvider, createPurse, scan, xmlTag, type PaidProvider } from './fixtures.js';

let t: TestApp;
let funder: TestFunder;
let atelier: PaidProvider;
let brioche: PaidProvider;
const OPERATOR_ADMIN = 'admin@operateur.test';
const OPERATOR_MEMBER = 'agent@operateur.test';

beforeAll(async () => {
  t = await createTestApp({ rateLimits: MANY_SIGN_INS });
  const operator = await createOrganisation(t.ctx, 'operator', 'Opérateur');
  await createPerson(t.ctx, OPERATOR_ADMIN, [[operator.id, 'admin']]);
  await createPerson(t.ctx, OPERATOR_MEMBER, [[operator.id, 'member']]);
  funder = await createFunder(t.ctx);
  const purse = await createPurse(t.ctx);
  atelier = await createPaidProvider(t.ctx, 'Atelier <numérique>', 'bordeaux', { iban: IBANS[0], bic: 'PSSTFRPP' });
  brioche = await createPaidProvider(t.ctx, 'Brioche', 'paris', { iban: IBANS[1], bic: null });
  at(t.clock, '2026-03-12T10:00:00Z');
  await scan(t.ctx, atelier, 'bordeaux', await purse.take(2));
  await scan(t.ctx, brioche, 'paris', await purse.take(1));
  at(t.clock, '2026-04-07T08:00:00Z');
});
afterAll(() => t.close());

const clients = new SignedInClients(() => t.app);
async function as(email: string): Promise<WebClient> {
  const client = await clients.as(email);
  await client.get('/operateur/reglements');
  return client;
}

async function payoutOf(provider: PaidProvider) {
  return t.ctx.db.selectFrom('payouts').selectAll().where('provider_id', '=', provider.provider.organisation.id).executeTakeFirstOrThrow();
}

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const PROTECTED = [
  { method: 'GET', url: '/operateur/reglements', admin: false },
  { method: 'POST', url: '/operateur/reglements', admin: true },
  { method: 'GET', url: '/operateur/reglements/2026-03', admin: false },
  { method: 'GET', url: `/operateur/reglements/lots/${UNKNOWN}/fichier.xml`, admin: false },
  { method: 'POST', url: `/operateur/reglements/lots/${UNKNOWN}/transmis`, admin: true },
  { method: 'GET', url: `/operateur/reglements/virements/${UNKNOWN}`, admin: false },
  { method: 'GET', url: `/operateur/reglements/virements/${UNKNOWN}/releve.pdf`, admin: false },
  { method: 'POST', url: `/operateur/reglements/virements/${UNKNOWN}/execute`, admin: true },
  { method: 'POST', url: `/operateur/reglements/virements/${UNKNOWN}/rejet`, admin: true },
] as const;

describe('operator settlement pages: who may open them', () => {
  it.each(PROTECTED)('$method $url asks an anonymous visitor to sign in (401)', async ({ method, url }) => {
    const client = new WebClient(t.app);
    await client.get('/connexion');
    const response = method === 'GET' ? await client.get(url) : await client.post(url, { month: '2026-03' });
    expect(response.statusCode).toBe(401);
  });

  it.each(PROTECTED)('$method $url is refused (403) to a funder', async ({ method, url }) => {
    const client = new WebClient(t.app);
    await client.signIn(funder.funderAdmin.email, PASSWORD);
    await client.get('/espace');
    const response = method === 'GET' ? await client.get(url) : await client.post(url, { month: '2026-03' });
    expect(response.statusCode).toBe(403);
  });

  it.each(PROTECTED.filter((p) => p.admin))('$method $url is refused (403) to an operator who is not an admin', async ({ url }) => {
    const client = await as(OPERATOR_MEMBER);
    expect((await client.post(url, { month: '2026-03', reason: 'x' })).statusCode).toBe(403);
  });

  it('refuses a form without its CSRF token, and settles nothing', async () => {
    const client = await as(OPERATOR_ADMIN);
    const response = await client.post('/operateur/reglements', { month: '2026-03' }, { csrf: null });
    expect(response.statusCode).toBe(403);
    expect(await t.ctx.db.selectFrom('settlements').select('id').execute()).toEqual([]);
  });

  it('shows a member the settlements without the form to settle', async () => {
    const client = await as(OPERATOR_MEMBER);
    const page = await client.get('/operateur/reglements');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Règlements mensuels</h1>');
    expect(page.body).not.toContain('Régler ce mois');
  });
});

describe('an operator admin settles a month from the page', () => {
  it('proposes the previous month, explains a wrong or unfinished month next to the field', async () => {
    const client = await as(OPERATOR_ADMIN);
    const page = await client.get('/operateur/reglements');
    expect(page.body).toMatch(/<label for="month">Mois des services à payer<\/label>/u);
    expect(page.body).toContain('value="2026-03"');
    expect(page.body).toContain('<caption>Règlements mensuels (0)</caption>');

    const wrong = await client.post('/operateur/reglements', { month: '2026-13' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('Erreur : Règlements mensuels');
    expect(wrong.body).toContain('href="#month"');
    expect(wrong.body).toContain('value="2026-13"');

    const early = await client.post('/operateur/reglements', { month: '2026-04' });
    expect(early.statusCode).toBe(409);
    expect(early.body).toContain('jour de grâce');
    expect(await t.ctx.db.selectFrom('settlements').select('id').execute()).toEqual([]);
  });

  it('settles, redirects to the month, and lets the file be downloaded; a second time changes nothing', async () => {
    const client = await as(OPERATOR_ADMIN);
    const settled = await client.post('/operateur/reglements', { month: '2026-03' });
    expect(settled.statusCode).toBe(303);
    expect(settled.headers.location).toBe('/operateur/reglements/2026-03?ok=regle');

    const page = await client.get(settled.headers.location as string);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Le mois est réglé');
    expect(page.body).toContain('<h1>Règlement de mars 2026</h1>');
    // Names are escaped; amounts in euros; statements in the order of names.
    expect(page.body).toContain('Atelier &lt;numérique&gt;');
    expect(page.body).not.toContain('Atelier <numérique>');
    const a = await payoutOf(atelier);
    const b = await payoutOf(brioche);
    expect(page.body).toContain(`>${a.statement_number}</a></th>`);
    expect(page.body).toContain('19,20 €');
    expect(page.body).toMatch(/<th scope="col">Net<\/th>/u);
    expect(page.body).toContain(`href="/operateur/reglements/virements/${a.id}/releve.pdf" download>PDF<span class="visually-hidden"> du relevé ${a.statement_number}</span></a>`);

    const batch = await t.ctx.db.selectFrom('payout_batches').selectAll().executeTakeFirstOrThrow();
    const file = await client.get(`/operateur/reglements/lots/${batch.id}/fichier.xml`);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(file.headers['content-disposition']).toBe('attachment; filename="virements-2026-03.xml"');
    expect(file.body).toBe(batch.xml);
    expect(xmlTag(file.body, 'NbOfTxs')).toBe('2');
    expect(xmlTag(file.body, 'CtrlSum')).toBe(((a.net_cents + b.net_cents) / 100).toFixed(2));

    const again = await client.post('/operateur/reglements', { month: '2026-03' });
    expect(again.headers.location).toBe('/operateur/reglements/2026-03?ok=deja');
    expect(await t.ctx.db.selectFrom('settlements').select('id').execute()).toHaveLength(1);
    const list = await client.get('/operateur/reglements');
    expect(list.body).toContain('<caption>Règlements mensuels (1)</caption>');
    expect(list.body).toContain('href="/operateur/reglements/2026-03">mars 2026</a>');

    const missing = await client.get('/operateur/reglements/2026-02');
    expect(missing.statusCode).toBe(404);
    expect((await client.get('/operateur/reglements/n-importe')).statusCode).toBe(404);
    expect((await client.get(`/operateur/reglements/lots/${UNKNOWN}/fichier.xml`)).statusCode).toBe(404);
  });

  it('downloads a statement, notes the file sent, a transfer executed and another rejected with its reason', async () => {
    const client = await as(OPERATOR_ADMIN);
    const a = await payoutOf(atelier);
    const b = await payoutOf(brioche);
    const pdf = await client.get(`/operateur/reglements/virements/${a.id}/releve.pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toBe(`attachment; filename="releve-${a.statement_number}.pdf"`);
    expect(pdf.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    // Before the file is sent, no answer of the bank can be noted.
    const early = await client.get(`/operateur/reglements/virements/${a.id}`);
    expect(early.body).not.toContain('Noter le virement comme exécuté');

    const batch = await t.ctx.db.selectFrom('payout_batches').select('id').executeTakeFirstOrThrow();
    await client.get('/operateur/reglements/2026-03');
    const sent = await client.post(`/operateur/reglements/lots/${batch.id}/transmis`);
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe('/operateur/reglements/2026-03?ok=transmis');
    const twice = await client.post(`/operateur/reglements/lots/${batch.id}/transmis`);
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('a changé d’état');

    const payoutPage = await client.get(`/operateur/reglements/virements/${a.id}`);
    expect(payoutPage.body).toContain('Noter le virement comme exécuté');
    expect(payoutPage.body).toMatch(/<label for="reason">Motif du rejet<\/label>/u);
    const executed = await client.post(`/operateur/reglements/virements/${a.id}/execute`);
    expect(executed.headers.location).toBe(`/operateur/reglements/virements/${a.id}?ok=execute`);
    expect((await payoutOf(atelier)).status).toBe('settled');

    await client.get(`/operateur/reglements/virements/${b.id}`);
    const blank = await client.post(`/operateur/reglements/virements/${b.id}/rejet`, { reason: '  ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.body).toContain('Indiquez le motif du rejet');
    expect((await payoutOf(brioche)).status).toBe('sent');
    const rejected = await client.post(`/operateur/reglements/virements/${b.id}/rejet`, { reason: 'Compte clos <AC04>' });
    expect(rejected.headers.location).toBe(`/operateur/reglements/virements/${b.id}?ok=rejete`);
    const after = await client.get(`/operateur/reglements/virements/${b.id}?ok=rejete`);
    expect(after.body).toContain('Compte clos &lt;AC04&gt;');
    expect(after.body).toContain('Rejeté par la banque');
    expect((await payoutOf(brioche)).status).toBe('rejected');
    const settledAgain = await client.post(`/operateur/reglements/virements/${a.id}/execute`);
    expect(settledAgain.statusCode).toBe(409);
    expect((await client.get(`/operateur/reglements/virements/${UNKNOWN}`)).statusCode).toBe(404);
    expect((await client.get('/operateur/reglements/virements/pas-un-id')).statusCode).toBe(404);
  });
});
