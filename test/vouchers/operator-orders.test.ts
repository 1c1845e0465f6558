import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmOrder, saveDraftOrder } from '../../src/domains/vouchers/orders.js';
import { createTestApp, MANY_SIGN_INS, type TestApp } from '../support/app.js';
import { createOrganisation, createPerson } from '../support/fixtures.js';
import { createFunder, orderInput, type TestFunder } from '../support/voucher-fixtures.js';
import { SignedInClients, WebClient } from '../support/web-client.js';

let t: TestApp;
let f: TestFunder;
const OPERATOR_ADMIN = 'admin@operateur.test';
const OPERATOR_MEMBER = 'agent@operateur.test';

beforeAll(async () => {
  t = await createTestApp({ rateLimits: MANY_SIGN_INS });
  const operator = await createOrganisation(t.ctx, 'operator', 'Opérateur');
  await createPerson(t.ctx, OPERATOR_ADMIN, [[operator.id, 'admin']]);
  await createPerson(t.ctx, OPERATOR_MEMBER, [[operator.id, 'member']]);
  f = await createFunder(t.ctx);
});
afterAll(() => t.close());

const clients = new SignedInClients(() => t.app);
async function as(email: string): Promise<WebClient> {
  const client = await clients.as(email);
  await client.get('/espace');
  return client;
}

/** A confirmed order of the funder: prepaid (waiting for its transfer) or billed on use. */
async function confirmedOrder(fundingMode: 'prepaid' | 'billed_on_use', label: string) {
  const draft = await saveDraftOrder(t.ctx, f.funderActor, f.funder.id, orderInput({ fundingMode, label }));
  return confirmOrder(t.ctx, f.funderActor, f.funder.id, draft.id);
}

async function orderRow(id: string) {
  return t.ctx.db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

function expectPdf(response: LightMyRequestResponse, fileName: string) {
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('application/pdf');
  expect(response.headers['content-disposition']).toBe(`attachment; filename="${fileName}"`);
  expect(response.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
}

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const PROTECTED = [
  { method: 'GET', url: '/operateur/commandes', admin: false },
  { method: 'GET', url: `/operateur/commandes/${UNKNOWN}`, admin: false },
  { method: 'POST', url: `/operateur/commandes/${UNKNOWN}/paiement`, admin: true },
  { method: 'POST', url: `/operateur/commandes/${UNKNOWN}/emission`, admin: true },
  { method: 'GET', url: `/operateur/commandes/${UNKNOWN}/bon-de-commande.pdf`, admin: false },
  { method: 'GET', url: `/operateur/commandes/${UNKNOWN}/facture.pdf`, admin: false },
  { method: 'GET', url: `/operateur/commandes/${UNKNOWN}/cheques.pdf`, admin: false },
] as const;

describe('operator order pages: who may open them', () => {
  it.each(PROTECTED)('$method $url asks an anonymous visitor to sign in (401)', async ({ method, url }) => {
    const client = new WebClient(t.app);
    await client.get('/connexion');
    const response = method === 'GET' ? await client.get(url) : await client.post(url, {});
    expect(response.statusCode).toBe(401);
    expect(response.body).toContain('action="/connexion"');
  });

  it.each(PROTECTED)('$method $url is refused (403) to a funder', async ({ method, url }) => {
    const client = await as(f.funderAdmin.email);
    const response = method === 'GET' ? await client.get(url) : await client.post(url, { reference: 'VIR' });
    expect(response.statusCode).toBe(403);
  });

  it.each(PROTECTED.filter((p) => p.admin))('$method $url is refused (403) to an operator who is not an admin', async ({ url }) => {
    const client = await as(OPERATOR_MEMBER);
    expect((await client.post(url, { reference: 'VIR' })).statusCode).toBe(403);
  });

  it('answers 404 for an unknown order', async () => {
    const client = await as(OPERATOR_MEMBER);
    expect((await client.get(`/operateur/commandes/${UNKNOWN}`)).statusCode).toBe(404);
    expect((await client.get('/operateur/commandes/pas-un-id')).statusCode).toBe(404);
  });
});

describe('a prepaid order at the operator’s', () => {
  it('is listed with its funder, filtered by step, paid on the transfer received, issued and printed', async () => {
    const order = await confirmedOrder('prepaid', 'Commande payée d’avance');
    const client = await as(OPERATOR_ADMIN);

    const list = await client.get('/operateur/commandes');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`href="/operateur/commandes/${order.id}"`);
    expect(list.body).toContain(`<td>${f.funder.name}</td>`);
    expect((await client.get('/operateur/commandes?statut=confirmed')).body).toContain(`href="/operateur/commandes/${order.id}"`);
    expect((await client.get('/operateur/commandes?statut=issued')).body).not.toContain(`href="/operateur/commandes/${order.id}"`);
    expect((await client.get('/operateur/commandes?statut=nimportequoi')).statusCode).toBe(200);

    let page = await client.get(`/operateur/commandes/${order.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(f.funder.name);
    expect(page.body).toContain(order.invoice_number!);
    expect(page.body).toContain(`action="/operateur/commandes/${order.id}/paiement"`);
    expectPdf(await client.get(`/operateur/commandes/${order.id}/facture.pdf`), `facture-${order.invoice_number}.pdf`);
    expect((await client.get(`/operateur/commandes/${order.id}/cheques.pdf`)).statusCode).toBe(409);

    const noReference = await client.post(`/operateur/commandes/${order.id}/paiement`, { reference: '' });
    expect(noReference.statusCode).toBe(400);
    expect(noReference.body).toContain('<a href="#reference">Saisissez la référence du virement reçu');
    const withoutCsrf = await client.post(`/operateur/commandes/${order.id}/paiement`, { reference: 'VIR-2026-0001' }, { csrf: null });
    expect(withoutCsrf.statusCode).toBe(403);
    expect((await orderRow(order.id)).status).toBe('confirmed');

    const paid = await client.post(`/operateur/commandes/${order.id}/paiement`, { reference: 'VIR-2026-0001' });
    expect(paid.statusCode).toBe(303);
    expect(paid.headers.location).toBe(`/operateur/commandes/${order.id}?ok=paiement`);
    expect(await orderRow(order.id)).toMatchObject({ status: 'committed', commitment_reference: 'VIR-2026-0001' });
    page = await client.get(String(paid.headers.location));
    expect(page.body).toContain('Le virement est enregistré');
    expect(page.body).toContain('Référence du virement');

    const twice = await client.post(`/operateur/commandes/${order.id}/paiement`, { reference: 'VIR-2026-0001' });
    expect(twice.statusCode).toBe(409);

    const issued = await client.post(`/operateur/commandes/${order.id}/emission`);
    expect(issued.statusCode).toBe(303);
    expect((await orderRow(order.id)).status).toBe('issued');
    expect(await t.ctx.db.selectFrom('vouchers').select('id').where('order_id', '=', order.id).execute()).toHaveLength(10);
    expect((await client.post(`/operateur/commandes/${order.id}/emission`)).statusCode).toBe(409);

    const number = `CMD-${String(order.number).padStart(6, '0')}`;
    expectPdf(await client.get(`/operateur/commandes/${order.id}/bon-de-commande.pdf`), `bon-de-commande-${number}.pdf`);
    expectPdf(await client.get(`/operateur/commandes/${order.id}/cheques.pdf`), `cheques-${number}.pdf`);
    page = await client.get(`/operateur/commandes/${order.id}`);
    expect(page.body).toContain(`href="/operateur/commandes/${order.id}/cheques.pdf"`);

    // The funder sees its order issued.
    const funder = await as(f.funderAdmin.email);
    expect((await funder.get(`/financeur/commandes/${order.id}`)).body).toContain('Émise');
  });

  it('records no transfer for an order billed on use', async () => {
    const order = await confirmedOrder('billed_on_use', 'Facturée à l’usage');
    const client = await as(OPERATOR_ADMIN);
    const page = await client.get(`/operateur/commandes/${order.id}`);
    expect(page.body).not.toContain(`action="/operateur/commandes/${order.id}/paiement"`);
    const response = await client.post(`/operateur/commandes/${order.id}/paiement`, { reference: 'VIR-X' });
    expect(response.statusCode).toBe(409);
    expect(response.body).toContain('il n’y a pas de virement à enregistrer');
    expect((await orderRow(order.id)).status).toBe('confirmed');
    expect((await client.post(`/operateur/commandes/${order.id}/emission`)).statusCode).toBe(409);
  });
});
