import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkVoucherForHolder } from '../../src/domains/vouchers/check-vouchers.js';
import { allocateBooklets } from '../../src/domains/vouchers/distribution.js';
import { createTestApp, MANY_SIGN_INS, type TestApp } from '../support/app.js';
import { bookletsOf, createFunder, issueTestOrder, type IssuedBooklet, type TestFunder } from '../support/voucher-fixtures.js';
import { SignedInClients, WebClient } from '../support/web-client.js';

let t: TestApp;
let f: TestFunder;
let other: TestFunder;
/** Three booklets entrusted to f's distributor, one to the other distributor. */
let mine: IssuedBooklet[];
let theirs: IssuedBooklet[];

beforeAll(async () => {
  t = await createTestApp({ rateLimits: MANY_SIGN_INS });
  f = await createFunder(t.ctx);
  other = await createFunder(t.ctx);
  const order = await issueTestOrder(t.ctx, f, { bookletCount: '4', validFrom: '2026-03-01', validUntil: '2026-12-31' });
  await allocateBooklets(t.ctx, f.funderActor, { funderId: f.funder.id, orderId: order.id, distributorId: f.distributor.id, count: 3 });
  mine = (await bookletsOf(t.ctx, order.id)).slice(0, 3);
  const otherOrder = await issueTestOrder(t.ctx, other);
  await allocateBooklets(t.ctx, other.funderActor, { funderId: other.funder.id, orderId: otherOrder.id, distributorId: other.distributor.id, count: 1 });
  theirs = (await bookletsOf(t.ctx, otherOrder.id)).slice(0, 1);
});
afterAll(() => t.close());

const clients = new SignedInClients(() => t.app);
async function as(email: string): Promise<WebClient> {
  const client = await clients.as(email);
  await client.get('/espace');
  return client;
}

async function booklet(number: string) {
  return t.ctx.db.selectFrom('booklets').selectAll().where('number', '=', Number(number.slice(0, -1))).executeTakeFirstOrThrow();
}

const PROTECTED = [
  { method: 'GET', url: '/distributeur/carnets' },
  { method: 'POST', url: '/distributeur/carnets/remise' },
  { method: 'POST', url: '/distributeur/carnets/annulation' },
] as const;

describe('distributor pages: who may open them', () => {
  it.each(PROTECTED)('$method $url asks an anonymous visitor to sign in (401)', async ({ method, url }) => {
    const client = new WebClient(t.app);
    await client.get('/connexion');
    const response = method === 'GET' ? await client.get(url) : await client.post(url, {});
    expect(response.statusCode).toBe(401);
    expect(response.body).toContain('action="/connexion"');
  });

  it.each(PROTECTED)('$method $url is refused (403) to a funder', async ({ method, url }) => {
    const client = await as(f.funderAdmin.email);
    const response = method === 'GET' ? await client.get(url) : await client.post(url, { number: mine[0]!.number });
    expect(response.statusCode).toBe(403);
  });
});

describe('the booklets page', () => {
  it('puts the hand-out form first, ready for a hand scanner, and asks nothing identifying', async () => {
    const client = await as(f.distributorAdmin.email);
    const response = await client.get('/distributeur/carnets');
    expect(response.statusCode).toBe(200);
    const body = response.body;
    expect(body.indexOf('action="/distributeur/carnets/remise"')).toBeLessThan(body.indexOf('<table'));
    expect(body).toMatch(/<input id="number" name="number" type="text" inputmode="numeric" autocomplete="off"/);
    expect(body).toContain('Les 8 chiffres sous le code-barres de la couverture ; une douchette les saisit pour vous');
    expect(body).toContain('rien qui identifie la personne n’est demandé ni enregistré');
    expect(body).toContain('<option value="" selected>Ne pas préciser</option>');
    expect(body).toContain('<option value="60_74">60 à 74 ans</option>');
    expect(body).toContain('<option value="job_seeker">En recherche d’emploi</option>');
    for (const b of mine) expect(body).toContain(`<th scope="row">${b.number}</th>`);
    expect(body).not.toContain(theirs[0]!.number);
    expect(body).toContain(`Carnets confiés à ${f.distributor.name} (3)`);
    expect(body).toContain('action="/distributeur/carnets/annulation"');
    const ids = [...body.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('handing a booklet out', () => {
  it('refuses a mistyped number, another distributor’s booklet and a bad category, next to the field', async () => {
    const client = await as(f.distributorAdmin.email);
    await client.get('/distributeur/carnets');

    const empty = await client.post('/distributeur/carnets/remise', { number: ' ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('<a href="#number">Saisissez le numéro du carnet');

    const typo = mine[0]!.number.slice(0, -1) + String((Number(mine[0]!.number.at(-1)) + 1) % 10);
    const mistyped = await client.post('/distributeur/carnets/remise', { number: typo });
    expect(mistyped.statusCode).toBe(400);
    expect(mistyped.body).toContain('id="number-error"');
    expect(mistyped.body).toContain('Ce numéro de carnet est mal saisi');
    expect(mistyped.body).toContain(`value="${typo}"`);

    const foreign = await client.post('/distributeur/carnets/remise', { number: theirs[0]!.number });
    expect(foreign.statusCode).toBe(409);
    expect(foreign.body).toContain('<a href="#number">Ce carnet n’a pas été confié à votre organisation.');
    expect((await booklet(theirs[0]!.number)).handed_out_at).toBeNull();

    const category = await client.post('/distributeur/carnets/remise', { number: mine[0]!.number, publicAge: 'centenaire' });
    expect(category.statusCode).toBe(400);
    expect(category.body).toContain('id="publicAge-error"');
    expect((await booklet(mine[0]!.number)).handed_out_at).toBeNull();
  });

  it('refuses a form without its CSRF token', async () => {
    const client = await as(f.distributorAdmin.email);
    const response = await client.post('/distributeur/carnets/remise', { number: mine[0]!.number }, { csrf: null });
    expect(response.statusCode).toBe(403);
    expect((await booklet(mine[0]!.number)).handed_out_at).toBeNull();
  });

  it('activates the booklet, with its anonymous category, and says so after the redirect', async () => {
    const code = mine[0]!.codes[0]!;
    expect((await checkVoucherForHolder(t.ctx, code)).state).toBe('not_active');
    const client = await as(f.distributorAdmin.email);
    await client.get('/distributeur/carnets');
    const response = await client.post('/distributeur/carnets/remise', { number: ` ${mine[0]!.number} `, publicAge: '60_74', publicSituation: '' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/distributeur/carnets?remis=${mine[0]!.number}`);
    const page = await client.get(String(response.headers.location));
    expect(page.body).toContain(`Carnet ${mine[0]!.number} remis : 5 chèques activés, valables jusqu’au 31 décembre 2026.`);
    expect(page.body).toContain('60 à 74 ans');
    expect(await booklet(mine[0]!.number)).toMatchObject({ handed_out_by: f.distributorAdmin.id, public_age: '60_74', public_situation: null });
    expect((await checkVoucherForHolder(t.ctx, code)).state).toBe('usable');

    const twice = await client.post('/distributeur/carnets/remise', { number: mine[0]!.number });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('<a href="#number">Ce carnet a déjà été remis à une personne.');
  });

  it('does not show a notice for a booklet of another distributor put in the address', async () => {
    const client = await as(other.distributorAdmin.email);
    const page = await client.get(`/distributeur/carnets?remis=${mine[0]!.number}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(`Carnet ${mine[0]!.number}`);
  });
});

describe('cancelling a booklet', () => {
  it('refuses its vouchers from then on', async () => {
    const client = await as(f.distributorAdmin.email);
    await client.get('/distributeur/carnets');
    const noReason = await client.post('/distributeur/carnets/annulation', { cancelNumber: mine[1]!.number });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('<a href="#cancelReason">Choisissez pourquoi le carnet est annulé');
    const foreign = await client.post('/distributeur/carnets/annulation', { cancelNumber: theirs[0]!.number, cancelReason: 'lost' });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).toContain('<a href="#cancelNumber">Aucun carnet de votre organisation ne porte ce numéro.');
    expect((await booklet(theirs[0]!.number)).cancelled_at).toBeNull();

    const response = await client.post('/distributeur/carnets/annulation', { cancelNumber: mine[1]!.number, cancelReason: 'lost' });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/distributeur/carnets?annule=${mine[1]!.number}`);
    const page = await client.get(String(response.headers.location));
    expect(page.body).toContain(`Carnet ${mine[1]!.number} annulé : ses chèques non utilisés sont refusés dès maintenant.`);
    expect(page.body).toContain('(perdu)');
    expect(await booklet(mine[1]!.number)).toMatchObject({ cancel_reason: 'lost', cancelled_by: f.distributorAdmin.id });
    expect((await checkVoucherForHolder(t.ctx, mine[1]!.codes[0]!)).state).toBe('cancelled');

    const handOut = await client.post('/distributeur/carnets/remise', { number: mine[1]!.number });
    expect(handOut.statusCode).toBe(409);
    expect(handOut.body).toContain('<a href="#number">Ce carnet a été annulé');
  });
});
