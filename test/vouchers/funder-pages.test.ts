import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, MANY_SIGN_INS, type TestApp } from '../support/app.js';
import { createPerson } from '../support/fixtures.js';
import { createFunder, issueTestOrder, type TestFunder } from '../support/voucher-fixtures.js';
import { SignedInClients, WebClient } from '../support/web-client.js';

let t: TestApp;
let f: TestFunder;
let other: TestFunder;
const MEMBER = 'membre@financeur.test';

beforeAll(async () => {
  t = await createTestApp({ rateLimits: MANY_SIGN_INS });
  f = await createFunder(t.ctx);
  other = await createFunder(t.ctx);
  await createPerson(t.ctx, MEMBER, [[f.funder.id, 'member']]);
});
afterAll(() => t.close());

/** One signed-in browser per person, kept across tests. */
const clients = new SignedInClients(() => t.app);
async function as(email: string): Promise<WebClient> {
  const client = await clients.as(email);
  await client.get('/espace');
  return client;
}

const ORDER = { label: 'Seniors 2026', bookletCount: '2', vouchersPerBooklet: '5', faceValue: '10', fundingMode: 'billed_on_use' };

function orderIdOf(response: LightMyRequestResponse): string {
  const match = /^\/financeur\/commandes\/([0-9a-f-]{36})\?ok=/.exec(String(response.headers.location));
  if (!match) throw new Error(`no order in ${String(response.headers.location)} (${response.statusCode})`);
  return match[1]!;
}

async function orderRow(id: string) {
  return t.ctx.db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function newDraft(client: WebClient, form: Record<string, string | string[]> = {}): Promise<string> {
  await client.get('/financeur/commandes/nouvelle');
  const response = await client.post('/financeur/commandes/nouvelle', { ...ORDER, ...form });
  expect(response.statusCode).toBe(303);
  return orderIdOf(response);
}

function expectPdf(response: LightMyRequestResponse, fileName: string) {
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('application/pdf');
  expect(response.headers['content-disposition']).toBe(`attachment; filename="${fileName}"`);
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
}

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const PROTECTED = [
  { method: 'GET', url: '/financeur/commandes' },
  { method: 'GET', url: '/financeur/commandes/nouvelle' },
  { method: 'POST', url: '/financeur/commandes/nouvelle' },
  { method: 'GET', url: `/financeur/commandes/${UNKNOWN}` },
  { method: 'GET', url: `/financeur/commandes/${UNKNOWN}/modifier` },
  { method: 'POST', url: `/financeur/commandes/${UNKNOWN}/modifier` },
  { method: 'POST', url: `/financeur/commandes/${UNKNOWN}/confirmer` },
  { method: 'POST', url: `/financeur/commandes/${UNKNOWN}/engager` },
  { method: 'POST', url: `/financeur/commandes/${UNKNOWN}/emettre` },
  { method: 'POST', url: `/financeur/commandes/${UNKNOWN}/annuler` },
  { method: 'POST', url: `/financeur/commandes/${UNKNOWN}/carnets/confier` },
  { method: 'POST', url: `/financeur/commandes/${UNKNOWN}/carnets/annuler` },
  { method: 'GET', url: `/financeur/commandes/${UNKNOWN}/bon-de-commande.pdf` },
  { method: 'GET', url: `/financeur/commandes/${UNKNOWN}/facture.pdf` },
  { method: 'GET', url: `/financeur/commandes/${UNKNOWN}/cheques.pdf` },
  { method: 'GET', url: '/financeur/distributeurs' },
  { method: 'POST', url: '/financeur/distributeurs' },
] as const;

describe('funder pages: who may open them', () => {
  it.each(PROTECTED)('$method $url asks an anonymous visitor to sign in (401)', async ({ method, url }) => {
    const client = new WebClient(t.app);
    await client.get('/connexion');
    const response = method === 'GET' ? await client.get(url) : await client.post(url, {});
    expect(response.statusCode).toBe(401);
    expect(response.body).toContain('action="/connexion"');
  });

  it.each(PROTECTED)('$method $url is refused (403) to a distributor', async ({ method, url }) => {
    const client = await as(f.distributorAdmin.email);
    const response = method === 'GET' ? await client.get(url) : await client.post(url, {});
    expect(response.statusCode).toBe(403);
  });

  it('lets a member order but not invite a distributor', async () => {
    const member = await as(MEMBER);
    expect((await member.get('/financeur/commandes')).statusCode).toBe(200);
    const id = await newDraft(member);
    expect((await orderRow(id)).funder_id).toBe(f.funder.id);
    const page = await member.get('/financeur/distributeurs');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('action="/financeur/distributeurs"');
    expect((await member.post('/financeur/distributeurs', { name: 'CCAS', email: 'x@ccas.test' })).statusCode).toBe(403);
  });

  it('answers 404 for an id that is not one', async () => {
    const client = await as(f.funderAdmin.email);
    expect((await client.get('/financeur/commandes/42')).statusCode).toBe(404);
    expect((await client.get(`/financeur/commandes/${UNKNOWN}`)).statusCode).toBe(404);
  });
});

describe('the order form', () => {
  it('shows the quantities, the funding modes and the optional rules, accessibly grouped', async () => {
    const client = await as(f.funderAdmin.email);
    const response = await client.get('/financeur/commandes/nouvelle');
    expect(response.statusCode).toBe(200);
    const body = response.body;
    expect(body).toContain('<legend>Chèques par carnet</legend>');
    expect(body).toMatch(/id="vouchersPerBooklet-10" name="vouchersPerBooklet" value="10" checked/);
    expect(body).toContain('value="10"');
    expect(body).toContain('Paiement d’avance');
    expect(body).toContain('Pour les financeurs publics : aucun paiement d’avance');
    expect(body).toContain('<legend><h2>Règles d’utilisation (facultatives)</h2></legend>');
    expect(body).toContain('R75');
    expect(body).toContain('<legend>Maîtriser le numérique</legend>');
    expect(body).toContain('name="serviceCodes" value="M01"');
    expect(body).toContain('name="placeTypes" value="BIB"');
    expect(body).toContain('type="date"');
    expect(body).toContain('name="deliveryModes" value="remote"');
    expect(body).not.toContain('name="deliveryModes" value="on_site"');
    expect(body).toMatch(/name="activation" value="on_hand_out" checked/);
    const ids = [...body.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses bad input with French messages next to the fields, and keeps what was typed', async () => {
    const client = await as(f.funderAdmin.email);
    await client.get('/financeur/commandes/nouvelle');
    const before = (await t.ctx.db.selectFrom('orders').select('id').execute()).length;

    const zero = await client.post('/financeur/commandes/nouvelle', { ...ORDER, bookletCount: '0', serviceLevels: ['2'], label: 'Mon <libellé>' });
    expect(zero.statusCode).toBe(400);
    expect(zero.body).toContain('<title>Erreur : Nouvelle commande');
    expect(zero.body).toContain('<a href="#bookletCount">De 1 à 20');
    expect(zero.body).toContain('id="bookletCount-error"');
    expect(zero.body).toMatch(/name="serviceLevels" value="2" checked/);
    expect(zero.body).toContain('value="Mon &lt;libellé&gt;"');

    const missing = await client.post('/financeur/commandes/nouvelle', { bookletCount: '2', vouchersPerBooklet: '5' });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('id="fundingMode-error"');

    const territory = await client.post('/financeur/commandes/nouvelle', { ...ORDER, territory: '33063\n99999', placeTypes: ['BIB'] });
    expect(territory.statusCode).toBe(400);
    expect(territory.body).toContain('<a href="#territory">Un code de territoire est inconnu');
    expect(territory.body).toContain('id="territory-error"');
    expect(territory.body).toContain('33063\n99999</textarea>');
    expect(territory.body).toMatch(/name="placeTypes" value="BIB" checked/);

    const dates = await client.post('/financeur/commandes/nouvelle', { ...ORDER, validFrom: '2026-06-01', validUntil: '2026-05-01' });
    expect(dates.statusCode).toBe(400);
    expect(dates.body).toContain('<a href="#validUntil">La date de fin de validité doit suivre la date de début');
    expect(dates.body).toContain('id="validUntil-error"');

    const faceValue = await client.post('/financeur/commandes/nouvelle', { ...ORDER, faceValue: '0' });
    expect(faceValue.statusCode).toBe(400);
    expect(faceValue.body).toContain('id="faceValue-error"');

    expect((await t.ctx.db.selectFrom('orders').select('id').execute()).length).toBe(before);
  });

  it('refuses a form without its CSRF token', async () => {
    const client = await as(f.funderAdmin.email);
    const before = (await t.ctx.db.selectFrom('orders').select('id').execute()).length;
    const response = await client.post('/financeur/commandes/nouvelle', ORDER, { csrf: null });
    expect(response.statusCode).toBe(403);
    expect((await t.ctx.db.selectFrom('orders').select('id').execute()).length).toBe(before);
  });
});

describe('an order from draft to booklets in a distributor’s hands', () => {
  it('is drafted with rules, changed, confirmed, engaged, issued, printed and entrusted', async () => {
    const client = await as(f.funderAdmin.email);
    const id = await newDraft(client, {
      territory: '33063, R75',
      serviceLevels: ['2'],
      serviceCodes: ['D01'],
      placeTypes: ['BIB', 'EPN'],
      validFrom: '2026-04-01',
      validUntil: '2027-03-31',
      holderShare: 'forbidden',
      deliveryModes: ['remote'],
    });
    const draft = await orderRow(id);
    expect(draft).toMatchObject({
      status: 'draft',
      funder_id: f.funder.id,
      booklet_count: 2,
      vouchers_per_booklet: 5,
      territory: ['commune:33063', 'region:75'],
      service_levels: [2],
      service_codes: ['D01'],
      place_types: ['BIB', 'EPN'],
      valid_from: '2026-04-01',
      valid_until: '2027-03-31',
      holder_share_allowed: false,
      delivery_modes: ['on_site', 'remote'],
      activation: 'on_hand_out',
    });

    let page = await client.get(`/financeur/commandes/${id}?ok=enregistree`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Le brouillon de commande est enregistré');
    expect(page.body).toContain('Brouillon');
    expect(page.body).toContain('Bordeaux (33063)');
    expect(page.body).toContain('Nouvelle-Aquitaine');
    expect(page.body).toContain('Valable du 1er avril 2026 au 31 mars 2027');
    expect(page.body).toContain('Sans reste à payer pour la personne');
    expect(page.body).toContain(`action="/financeur/commandes/${id}/confirmer"`);
    expect(page.body).toContain(`action="/financeur/commandes/${id}/annuler"`);
    expect(page.body).not.toContain('bon-de-commande.pdf');

    const form = await client.get(`/financeur/commandes/${id}/modifier`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="Seniors 2026"');
    expect(form.body).toContain('33063\nR75</textarea>');
    expect(form.body).toMatch(/name="holderShare" value="forbidden" checked/);
    expect(form.body).toMatch(/name="serviceCodes" value="D01" checked/);
    const bad = await client.post(`/financeur/commandes/${id}/modifier`, { ...ORDER, bookletCount: 'beaucoup' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('id="bookletCount-error"');
    const changed = await client.post(`/financeur/commandes/${id}/modifier`, { ...ORDER, bookletCount: '3', territory: '33' });
    expect(changed.statusCode).toBe(303);
    expect(changed.headers.location).toBe(`/financeur/commandes/${id}?ok=modifiee`);
    expect(await orderRow(id)).toMatchObject({ booklet_count: 3, territory: ['departement:33'], service_levels: [], holder_share_allowed: true });

    expect((await client.get(`/financeur/commandes/${id}/bon-de-commande.pdf`)).statusCode).toBe(409);
    await client.get(`/financeur/commandes/${id}`);
    const confirmed = await client.post(`/financeur/commandes/${id}/confirmer`);
    expect(confirmed.headers.location).toBe(`/financeur/commandes/${id}?ok=confirmee`);
    expect((await orderRow(id)).status).toBe('confirmed');
    page = await client.get(`/financeur/commandes/${id}`);
    expect(page.body).toContain('Confirmée');
    expect(page.body).toContain('Numéro d’engagement juridique');
    expect(page.body).toContain(`href="/financeur/commandes/${id}/bon-de-commande.pdf"`);
    expect(page.body).not.toContain('facture.pdf');
    expect((await client.get(`/financeur/commandes/${id}/modifier`)).statusCode).toBe(409);
    expect((await client.post(`/financeur/commandes/${id}/modifier`, ORDER)).statusCode).toBe(409);

    const number = (await orderRow(id)).number;
    expectPdf(await client.get(`/financeur/commandes/${id}/bon-de-commande.pdf`), `bon-de-commande-CMD-${String(number).padStart(6, '0')}.pdf`);
    expect((await client.get(`/financeur/commandes/${id}/facture.pdf`)).statusCode).toBe(409);

    const noReference = await client.post(`/financeur/commandes/${id}/engager`, { reference: '  ' });
    expect(noReference.statusCode).toBe(400);
    expect(noReference.body).toContain('<a href="#reference">Saisissez le numéro d’engagement juridique');
    expect((await orderRow(id)).status).toBe('confirmed');
    const committed = await client.post(`/financeur/commandes/${id}/engager`, { reference: 'EJ-2026-0042' });
    expect(committed.headers.location).toBe(`/financeur/commandes/${id}?ok=engagee`);
    expect(await orderRow(id)).toMatchObject({ status: 'committed', commitment_reference: 'EJ-2026-0042' });

    await client.get(`/financeur/commandes/${id}`);
    const issued = await client.post(`/financeur/commandes/${id}/emettre`);
    expect(issued.headers.location).toBe(`/financeur/commandes/${id}?ok=emise`);
    expect((await orderRow(id)).status).toBe('issued');
    const again = await client.post(`/financeur/commandes/${id}/emettre`);
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('Cette commande a changé d’étape');

    expectPdf(await client.get(`/financeur/commandes/${id}/cheques.pdf`), `cheques-CMD-${String(number).padStart(6, '0')}.pdf`);

    page = await client.get(`/financeur/commandes/${id}`);
    expect(page.body).toContain('Émise');
    expect(page.body).toContain('3 carnets à confier');
    expect(page.body).toContain(`<option value="${f.distributor.id}">${f.distributor.name}</option>`);
    expect(page.body).toContain('Pas encore confié');

    const zero = await client.post(`/financeur/commandes/${id}/carnets/confier`, { distributorId: f.distributor.id, count: '0' });
    expect(zero.statusCode).toBe(400);
    expect(zero.body).toContain('id="count-error"');
    const stranger = await client.post(`/financeur/commandes/${id}/carnets/confier`, { distributorId: other.distributor.id, count: '1' });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.body).toContain('id="distributorId-error"');
    const tooMany = await client.post(`/financeur/commandes/${id}/carnets/confier`, { distributorId: f.distributor.id, count: '4' });
    expect(tooMany.statusCode).toBe(409);
    expect(tooMany.body).toContain('<a href="#count">Il ne reste pas assez de carnets');
    const allocated = await client.post(`/financeur/commandes/${id}/carnets/confier`, { distributorId: f.distributor.id, count: '2' });
    expect(allocated.headers.location).toBe(`/financeur/commandes/${id}?ok=confies`);
    const booklets = await t.ctx.db.selectFrom('booklets').selectAll().where('order_id', '=', id).orderBy('position').execute();
    expect(booklets.map((b) => b.distributor_id)).toEqual([f.distributor.id, f.distributor.id, null]);

    page = await client.get(`/financeur/commandes/${id}`);
    expect(page.body).toContain('1 carnet à confier');
    expect(page.body).toContain('carnets : 2 confiés, 0 remis, 0 annulé ; 0 chèque utilisé (0 €)');
    expect(page.body).toContain(`<td>${f.distributor.name}</td>`);

    const list = await client.get('/financeur/commandes');
    expect(list.body).toContain(`href="/financeur/commandes/${id}">CMD-${String(number).padStart(6, '0')}</a>`);
    expect(list.body).toContain('3 carnets × 5 chèques × 10 €');
    expect(list.body).toContain('150 €');
    expect(list.body).toContain('carnets : 2 confiés, 0 remis, 0 annulé');
    expect(list.body).toContain('href="/financeur/commandes/nouvelle"');
  });

  it('cancels a lost booklet of an issued order', async () => {
    const client = await as(f.funderAdmin.email);
    const id = await newDraft(client);
    await client.post(`/financeur/commandes/${id}/confirmer`);
    await client.post(`/financeur/commandes/${id}/engager`, { reference: 'EJ-1' });
    await client.post(`/financeur/commandes/${id}/emettre`);
    const [first] = await t.ctx.db.selectFrom('booklets').select(['id', 'number']).where('order_id', '=', id).orderBy('position').execute();
    const { formatBookletNumber } = await import('../../src/domains/vouchers/codes.js');
    const number = formatBookletNumber(first!.number);
    await client.get(`/financeur/commandes/${id}`);

    const typo = await client.post(`/financeur/commandes/${id}/carnets/annuler`, { cancelNumber: '1234', cancelReason: 'lost' });
    expect(typo.statusCode).toBe(400);
    expect(typo.body).toContain('<a href="#cancelNumber">Ce numéro de carnet est mal saisi');
    const noReason = await client.post(`/financeur/commandes/${id}/carnets/annuler`, { cancelNumber: number });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('id="cancelReason-error"');

    const done = await client.post(`/financeur/commandes/${id}/carnets/annuler`, { cancelNumber: number, cancelReason: 'stolen' });
    expect(done.headers.location).toBe(`/financeur/commandes/${id}?ok=carnet-annule`);
    expect(await t.ctx.db.selectFrom('booklets').select('cancel_reason').where('id', '=', first!.id).executeTakeFirstOrThrow()).toEqual({ cancel_reason: 'stolen' });
    const page = await client.get(`/financeur/commandes/${id}?ok=carnet-annule`);
    expect(page.body).toContain('Le carnet est annulé');
    expect(page.body).toContain('(volé)');

    const twice = await client.post(`/financeur/commandes/${id}/carnets/annuler`, { cancelNumber: number, cancelReason: 'lost' });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('id="cancelNumber-error"');

    // Another funder can neither see nor cancel it.
    const stranger = await as(other.funderAdmin.email);
    expect((await stranger.post(`/financeur/commandes/${id}/carnets/annuler`, { cancelNumber: number, cancelReason: 'lost' })).statusCode).toBe(404);
  });

  it('says that a prepaid order waits for its transfer, with its invoice', async () => {
    const client = await as(f.funderAdmin.email);
    const id = await newDraft(client, { fundingMode: 'prepaid', bookletCount: '4', vouchersPerBooklet: '10' });
    await client.get(`/financeur/commandes/${id}`);
    await client.post(`/financeur/commandes/${id}/confirmer`);
    const order = await orderRow(id);
    expect(order.invoice_number).toMatch(/^F-2026-/);
    const page = await client.get(`/financeur/commandes/${id}`);
    expect(page.body).toContain('Les chèques sont émis dès que le virement de <strong>400 €</strong> est reçu');
    expect(page.body).toContain(order.invoice_number!);
    expect(page.body).not.toContain(`action="/financeur/commandes/${id}/engager"`);
    expectPdf(await client.get(`/financeur/commandes/${id}/facture.pdf`), `facture-${order.invoice_number}.pdf`);
    // The funder cannot declare its own transfer received.
    expect((await client.post(`/financeur/commandes/${id}/engager`, { reference: 'VIR-1' })).statusCode).toBe(409);
    expect((await orderRow(id)).status).toBe('confirmed');
  });

  it('cancels a draft', async () => {
    const client = await as(f.funderAdmin.email);
    const id = await newDraft(client);
    await client.get(`/financeur/commandes/${id}`);
    const cancelled = await client.post(`/financeur/commandes/${id}/annuler`);
    expect(cancelled.headers.location).toBe('/financeur/commandes?ok=annulee');
    expect((await orderRow(id)).status).toBe('cancelled');
    expect((await client.get('/financeur/commandes?ok=annulee')).body).toContain('La commande est annulée.');
    expect((await client.post(`/financeur/commandes/${id}/confirmer`)).statusCode).toBe(409);
  });
});

describe('the booklets of a large order', () => {
  it('are shown 100 per page', async () => {
    const order = await issueTestOrder(t.ctx, f, { bookletCount: '101' });
    const client = await as(f.funderAdmin.email);
    const first = await client.get(`/financeur/commandes/${order.id}`);
    expect(first.body.match(/<th scope="row">\d{8}<\/th>/g)).toHaveLength(100);
    expect(first.body).toContain(`href="/financeur/commandes/${order.id}?page=2">Page suivante</a>`);
    const second = await client.get(`/financeur/commandes/${order.id}?page=2`);
    expect(second.body.match(/<th scope="row">\d{8}<\/th>/g)).toHaveLength(1);
    expect(second.body).toContain(`href="/financeur/commandes/${order.id}?page=1">Page précédente</a>`);
    expect(second.body).not.toContain('Page suivante');
  });
});

describe('the vouchers PDF', () => {
  it('cuts the download short when drawing fails halfway, logs it, and keeps serving', async () => {
    const client = await as(f.funderAdmin.email);
    const id = await newDraft(client, { bookletCount: '3' });
    await client.post(`/financeur/commandes/${id}/confirmer`);
    await client.post(`/financeur/commandes/${id}/engager`, { reference: 'EJ-2' });
    await client.post(`/financeur/commandes/${id}/emettre`);
    // A sealed code that no longer opens (as with a lost secret): found only once the second booklet is drawn.
    const second = await t.ctx.db
      .selectFrom('vouchers')
      .innerJoin('booklets', 'booklets.id', 'vouchers.booklet_id')
      .select('vouchers.id')
      .where('vouchers.order_id', '=', id)
      .where('booklets.position', '=', 2)
      .executeTakeFirstOrThrow();
    await t.ctx.db.updateTable('vouchers').set({ code_sealed: Buffer.alloc(40, 1) }).where('id', '=', second.id).execute();
    await expect(client.get(`/financeur/commandes/${id}/cheques.pdf`)).rejects.toThrow(/destroyed/);
    expect(t.logs.some((line) => line.includes('voucher sheets not rendered'))).toBe(true);
    expect((await client.get(`/financeur/commandes/${id}`)).statusCode).toBe(200);
  });
});

describe('another funder', () => {
  it('never sees nor changes an order that is not its own (404)', async () => {
    const owner = await as(f.funderAdmin.email);
    const id = await newDraft(owner);
    await owner.post(`/financeur/commandes/${id}/confirmer`);
    const stranger = await as(other.funderAdmin.email);
    expect((await stranger.get('/financeur/commandes')).body).not.toContain(id);
    for (const url of [`/financeur/commandes/${id}`, `/financeur/commandes/${id}/modifier`, `/financeur/commandes/${id}/bon-de-commande.pdf`, `/financeur/commandes/${id}/cheques.pdf`]) {
      const response = await stranger.get(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.body).toContain('Cette commande n’existe pas ou n’appartient pas à votre organisation');
    }
    for (const action of ['modifier', 'engager', 'emettre', 'annuler', 'carnets/confier']) {
      expect((await stranger.post(`/financeur/commandes/${id}/${action}`, { ...ORDER, reference: 'X', distributorId: other.distributor.id, count: '1' })).statusCode, action).toBe(404);
    }
    expect((await orderRow(id)).status).toBe('confirmed');
  });
});

describe('distributors', () => {
  it('lists the funder’s distributors and invites a new one by e-mail', async () => {
    const client = await as(f.funderAdmin.email);
    const page = await client.get('/financeur/distributeurs');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<th scope="row">${f.distributor.name}</th>`);
    expect(page.body).not.toContain(other.distributor.name);

    const bad = await client.post('/financeur/distributeurs', { name: '', email: 'pas-une-adresse' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('<a href="#name">Saisissez le nom du distributeur');
    expect(bad.body).toContain('<a href="#email">Saisissez une adresse e-mail valide');

    const invited = await client.post('/financeur/distributeurs', { name: 'France Services de Bègles', email: 'agent@fs-begles.test' });
    expect(invited.statusCode).toBe(303);
    expect(invited.headers.location).toBe('/financeur/distributeurs?ok=invite');
    const mail = t.mailbox.sent.findLast((m) => m.to === 'agent@fs-begles.test');
    expect(mail?.text).toContain('France Services de Bègles');
    expect(t.mailbox.lastLinkTo('agent@fs-begles.test')).toMatch(/\/invitations\//);
    const after = await client.get('/financeur/distributeurs?ok=invite');
    expect(after.body).toContain('Le distributeur est enregistré');
    expect(after.body).toContain('France Services de Bègles');
    const link = await t.ctx.db
      .selectFrom('funder_distributors')
      .innerJoin('organisations', 'organisations.id', 'funder_distributors.distributor_id')
      .select(['organisations.kind', 'funder_distributors.funder_id'])
      .where('organisations.name', '=', 'France Services de Bègles')
      .executeTakeFirstOrThrow();
    expect(link).toEqual({ kind: 'distributor', funder_id: f.funder.id });
  });
});
