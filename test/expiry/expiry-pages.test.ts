import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmExpiry, EXPIRY_CONFIRMED_ACTION } from '../../src/domains/expiry/confirm-expiry.js';
import { runExpiry } from '../../src/domains/expiry/expire-orders.js';
import { saveFunderBillingDetails } from '../../src/domains/settlement/funder-billing-details.js';
import { formatOrderNumber } from '../../src/domains/vouchers/order-model.js';
import type { OrderRow } from '../../src/domains/vouchers/orders.js';
import { formatCents } from '../../src/print/pdf-kit.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { expiringOrder } from '../support/expiry-fixtures.js';
import { pdfLines } from '../support/pdf-answer.js';
import { createPublicPlace } from '../support/places-fixtures.js';
import { createFunder, createOperator, setClock, type TestFunder } from '../support/voucher-fixtures.js';
import { SignedInClients, WebClient } from '../support/web-client.js';

/**
 * The end of an order on the funder's pages: the J-15 notice « à confirmer » and its form, the
 * booklets it holds back, and the credit note's PDF after the tolerance month.
 */

let t: TestApp;
let funderA: TestFunder;
let funderB: TestFunder;
let orderA: OrderRow;
let orderB: OrderRow;
/** Funder B's second order, never confirmed. */
let orderC: OrderRow;
let place: Awaited<ReturnType<typeof createPublicPlace>>;
let operator: Awaited<ReturnType<typeof createOperator>>;
let dir: string;

beforeAll(async () => {
  t = await createTestApp({ rateLimits: { signIn: { max: 100, windowMs: 60_000 }, signInPerAccount: { max: 50, windowMs: 60_000 }, passwordReset: { max: 5, windowMs: 60_000 } } });
  place = await createPublicPlace(t.ctx);
  funderA = await createFunder(t.ctx);
  funderB = await createFunder(t.ctx);
  operator = await createOperator(t.ctx);
  // Funder A had given its billing address before its order: the credit note names it as the order does.
  await saveFunderBillingDetails(t.ctx, funderA.funderActor, funderA.funder.id, { address: '4 rue de la Mairie', postcode: '33100', commune: 'Bordeaux', siret: '' });
  orderA = await expiringOrder(t.ctx, funderA, place, 2);
  orderB = await expiringOrder(t.ctx, funderB, place, 1);
  orderC = await expiringOrder(t.ctx, funderB, place, 0);
  dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-expiry-pages-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t.close();
});

/** Sessions last hours, the test moves months: each move of the clock signs everyone in again. */
const clients = new SignedInClients(() => t.app);
function moveClockTo(instant: string) {
  setClock(t.clock, instant);
  clients.forget();
}
const as = (email: string) => clients.as(email);

const pageOf = (order: OrderRow) => `/financeur/commandes/${order.id}`;
const confirmUrl = (order: OrderRow) => `${pageOf(order)}/echeance/confirmer`;
const flat = (response: LightMyRequestResponse) => response.body.replace(/\s+/gu, ' ');

async function confirmations(order: OrderRow) {
  return t.ctx.db.selectFrom('audit_events').selectAll().where('action', '=', EXPIRY_CONFIRMED_ACTION).where('subject_id', '=', order.id).execute();
}

async function allocatedCount(order: OrderRow): Promise<number> {
  const rows = await t.ctx.db.selectFrom('booklets').select('id').where('order_id', '=', order.id).where('distributor_id', 'is not', null).execute();
  return rows.length;
}

describe('before the J-15 stage', () => {
  it('shows no notice, and refuses a confirmation (409) without recording anything', async () => {
    moveClockTo('2026-06-14T08:00:00Z');
    await runExpiry(t.ctx, t.clock.now());
    const client = await as(funderA.funderAdmin.email);
    const page = await client.get(pageOf(orderA));
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('Échéance à confirmer');
    expect((await client.get('/financeur/commandes')).body).not.toContain('à confirmer');
    const early = await client.post(confirmUrl(orderA));
    expect(early.statusCode).toBe(409);
    expect(early.body).toContain('Cette commande a changé d’étape entre-temps');
    expect(await confirmations(orderA)).toEqual([]);
  });
});

describe('the J-15 notice', () => {
  it('is mailed with a link to the notice on the order’s page', async () => {
    moveClockTo('2026-06-15T06:00:00Z');
    const run = await runExpiry(t.ctx, t.clock.now());
    expect(run.steps).toEqual(expect.arrayContaining([{ orderId: orderA.id, stage: 'block_15' }, { orderId: orderB.id, stage: 'block_15' }]));
    const mail = t.mailbox.sent.findLast((m) => m.to === funderA.funderAdmin.email)!;
    expect(mail.subject).toContain('seront bloqués après le 30 juin 2026');
    expect(mail.text).toContain(`http://passnum.test/financeur/commandes/${orderA.id}#echeance`);
    expect(mail.text).toContain('Merci de confirmer ce blocage sur la page de la commande');
  });

  it('asks to sign in (401), keeps other organisations out (403) and another funder’s order is unknown (404), recording nothing', async () => {
    const anonymous = new WebClient(t.app);
    await anonymous.get('/connexion');
    expect((await anonymous.post(confirmUrl(orderA))).statusCode).toBe(401);
    expect((await anonymous.get(pageOf(orderA))).statusCode).toBe(401);

    const provider = await as(place.provider.admin.email);
    await provider.get('/structure/encaisser');
    expect((await provider.post(confirmUrl(orderA))).statusCode).toBe(403);
    const distributor = await as(funderA.distributorAdmin.email);
    await distributor.get('/distributeur/carnets');
    expect((await distributor.post(confirmUrl(orderA))).statusCode).toBe(403);

    const other = await as(funderB.funderAdmin.email);
    await other.get('/financeur/commandes');
    expect((await other.post(confirmUrl(orderA))).statusCode).toBe(404);
    expect((await other.post('/financeur/commandes/pas-une-commande/echeance/confirmer')).statusCode).toBe(404);
    expect((await other.get(pageOf(orderA))).statusCode).toBe(404);

    const owner = await as(funderA.funderAdmin.email);
    await owner.get(pageOf(orderA));
    expect((await owner.post(confirmUrl(orderA), {}, { csrf: null })).statusCode).toBe(403);
    expect(await confirmations(orderA)).toEqual([]);
  });

  it('sits at the top of the order’s page with the figures and the form, and a banner heads the funder’s lists', async () => {
    const client = await as(funderA.funderAdmin.email);
    const page = await client.get(pageOf(orderA));
    expect(page.statusCode).toBe(200);
    const body = flat(page);
    // Right under the title, before the summary of the order.
    expect(body.indexOf('Échéance à confirmer')).toBeGreaterThan(body.indexOf('<h1>'));
    expect(body.indexOf('Échéance à confirmer')).toBeLessThan(body.indexOf('<dl class="summary"> <dt>Étape</dt>'));
    expect(body).toContain('id="echeance"');
    expect(body).toContain('Le <strong>30 juin 2026</strong> au soir');
    expect(body).toContain('<dt>Carnets émis</dt><dd>3</dd>');
    expect(body).toContain('<dt>Confiés à des distributeurs</dt><dd>1</dd>');
    expect(body).toContain('<dt>Non confiés (encore chez vous)</dt><dd>2</dd>');
    expect(body).toContain('<dt>Remis à des bénéficiaires</dt><dd>1</dd>');
    expect(body).toContain('<dt>Entamés (au moins un chèque utilisé)</dt><dd>1</dd>');
    expect(body).toContain('<dt>Chèques utilisés</dt><dd>2 sur 15</dd>');
    expect(body).toContain('<dt>Valeur des chèques non utilisés</dt><dd>130 €</dd>');
    expect(body).toContain(`action="${confirmUrl(orderA)}"`);
    expect(body).toContain('Confirmez d’abord l’échéance de la commande, <a href="#echeance">en haut de la page</a>');
    expect(body).not.toContain(`action="${pageOf(orderA)}/carnets/confier"`);

    const banner = `href="/financeur/commandes/${orderA.id}#echeance">Commande ${formatOrderNumber(orderA.number)} – Été numérique</a> : fin de validité le 30 juin 2026`;
    for (const url of ['/financeur/commandes', '/financeur/distributeurs', '/financeur/releves']) {
      const list = await client.get(url);
      expect(list.statusCode, url).toBe(200);
      expect(flat(list), url).toContain('Une échéance à confirmer');
      expect(flat(list), url).toContain(banner);
      expect(list.body, url).not.toContain(orderB.id);
    }
  });

  it('holds back the booklets of the order until confirmed (409, nothing entrusted)', async () => {
    const client = await as(funderA.funderAdmin.email);
    await client.get(pageOf(orderA));
    const refused = await client.post(`${pageOf(orderA)}/carnets/confier`, { distributorId: funderA.distributor.id, count: '1' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Confirmez d’abord l’échéance de la commande (en haut de la page)');
    expect(await allocatedCount(orderA)).toBe(1);
  });

  it('records the confirmation once, with who confirmed and what they saw; a second one is harmless', async () => {
    moveClockTo('2026-06-16T08:30:00Z');
    const client = await as(funderA.funderAdmin.email);
    await client.get(pageOf(orderA));
    const first = await client.post(confirmUrl(orderA));
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe(`${pageOf(orderA)}?ok=echeance-confirmee`);
    const events = await confirmations(orderA);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_user_id: funderA.funderAdmin.id, actor_organisation_id: funderA.funder.id, subject_type: 'order' });
    const after = (typeof events[0]!.after === 'string' ? JSON.parse(events[0]!.after) : events[0]!.after) as Record<string, unknown>;
    expect(after).toMatchObject({ stage: 'block_15', validUntil: '2026-06-30', figures: { booklets: 3, allocated: 1, handedOut: 1, started: 1, usedVouchers: 2, unusedCents: 13_000 } });

    const shown = flat(await client.get(first.headers.location as string));
    expect(shown).toContain('votre confirmation de l’échéance est enregistrée');
    expect(shown).not.toContain('Échéance à confirmer');
    expect(shown).toContain('échéance confirmée le 16 juin 2026');
    expect(shown).toContain(`par ${funderA.funderAdmin.display_name}`);

    const again = await client.post(confirmUrl(orderA));
    expect(again.statusCode).toBe(303);
    expect(again.headers.location).toBe(`${pageOf(orderA)}?ok=echeance-deja-confirmee`);
    expect(await confirmations(orderA)).toHaveLength(1);

    // The banner is gone, and booklets may be entrusted again.
    expect((await client.get('/financeur/commandes')).body).not.toContain('à confirmer');
    await client.get(pageOf(orderA));
    const allocated = await client.post(`${pageOf(orderA)}/carnets/confier`, { distributorId: funderA.distributor.id, count: '1' });
    expect(allocated.statusCode).toBe(303);
    expect(await allocatedCount(orderA)).toBe(2);
  });

  it('records one confirmation when two arrive at once', async () => {
    const results = await Promise.all([
      confirmExpiry(t.ctx, funderB.funderActor, { funderId: funderB.funder.id, orderId: orderB.id }),
      confirmExpiry(t.ctx, funderB.funderActor, { funderId: funderB.funder.id, orderId: orderB.id }),
    ]);
    expect(results.map((r) => r.recorded).sort()).toEqual([false, true]);
    expect(await confirmations(orderB)).toHaveLength(1);
  });
});

/** The text of a PDF answer as pdftotext gives it, on one line, spaces collapsed and apostrophes plain. */
async function pdfText(response: LightMyRequestResponse, name: string): Promise<string> {
  return (await pdfLines(response, dir, name)).join(' ').replace(/\s+/gu, ' ');
}

describe('an order left unconfirmed', () => {
  it('waits on the funder’s pages until its end date', async () => {
    moveClockTo('2026-06-30T20:00:00Z');
    const client = await as(funderB.funderAdmin.email);
    expect(flat(await client.get('/financeur/commandes'))).toContain(`href="/financeur/commandes/${orderC.id}#echeance"`);
    expect(flat(await client.get(pageOf(orderC)))).toContain('Échéance à confirmer');
  });

  it('lapses the day after: no notice, no banner, booklets may go, and a late confirmation is refused (409)', async () => {
    moveClockTo('2026-07-01T06:00:00Z');
    const client = await as(funderB.funderAdmin.email);
    expect((await client.get('/financeur/commandes')).body).not.toContain('à confirmer');
    const page = flat(await client.get(pageOf(orderC)));
    expect(page).not.toContain('Échéance à confirmer');
    expect(page).toContain('Fin de validité le 30 juin 2026, passée sans confirmation');
    expect(page).toContain(`action="${pageOf(orderC)}/carnets/confier"`);
    const late = await client.post(confirmUrl(orderC));
    expect(late.statusCode).toBe(409);
    expect(await confirmations(orderC)).toEqual([]);
  });
});

describe('the credit note', () => {
  it('is not there before the end of the tolerance month (404)', async () => {
    moveClockTo('2026-07-30T08:00:00Z');
    expect((await runExpiry(t.ctx, t.clock.now())).creditNotes).toEqual([]);
    const client = await as(funderA.funderAdmin.email);
    expect((await client.get(`${pageOf(orderA)}/avoir.pdf`)).statusCode).toBe(404);
    expect(flat(await client.get(pageOf(orderA)))).not.toContain('avoir.pdf');
  });

  it('asks to sign in (401), keeps other organisations out (403), and another funder’s is unknown (404)', async () => {
    moveClockTo('2026-07-31T06:00:00Z');
    const run = await runExpiry(t.ctx, t.clock.now());
    expect(run.creditNotes).toEqual([
      { orderId: orderA.id, number: 'AV-2026-000001', amountCents: 13_000 },
      { orderId: orderB.id, number: 'AV-2026-000002', amountCents: 14_000 },
      { orderId: orderC.id, number: 'AV-2026-000003', amountCents: 15_000 },
    ]);
    const anonymous = new WebClient(t.app);
    expect((await anonymous.get(`${pageOf(orderA)}/avoir.pdf`)).statusCode).toBe(401);
    const provider = await as(place.provider.admin.email);
    expect((await provider.get(`${pageOf(orderA)}/avoir.pdf`)).statusCode).toBe(403);
    const other = await as(funderB.funderAdmin.email);
    expect((await other.get(`${pageOf(orderA)}/avoir.pdf`)).statusCode).toBe(404);
    expect((await other.get('/financeur/releves')).body).not.toContain('AV-2026-000001');
  });

  it('is a PDF with its number, the order and the amount, listed with the statements and on the order’s page', async () => {
    const client = await as(funderA.funderAdmin.email);
    const response = await client.get(`${pageOf(orderA)}/avoir.pdf`);
    expect(response.headers['content-disposition']).toBe('attachment; filename="avoir-AV-2026-000001.pdf"');
    const text = await pdfText(response, 'avoir-a.pdf');
    expect(text).toContain('Avoir');
    expect(text).toContain('N° AV-2026-000001');
    expect(text).toContain(`${funderA.funder.name} 4 rue de la Mairie 33100 Bordeaux`);
    expect(text).toContain(formatOrderNumber(orderA.number));
    expect(text).toContain(formatCents(13_000));
    expect(text).toContain('13 chèques non utilisés');
    expect(text).toContain('Chèques émis : 15 ; utilisés : 2 ; non utilisés : 13.');
    expect(text).toContain("Total de l'avoir");
    expect(text).toContain('31 juillet 2026');
    expect(text).not.toContain('AV-2026-000002');

    const statements = flat(await client.get('/financeur/releves'));
    expect(statements).toContain('Avoirs pour chèques non utilisés (1)');
    expect(statements).toContain(`<a href="/financeur/commandes/${orderA.id}/avoir.pdf" download>Avoir AV-2026-000001 (PDF)</a>`);
    expect(statements).toContain('130 €');
    expect(statements).not.toContain('AV-2026-000002');

    const page = flat(await client.get(pageOf(orderA)));
    expect(page).toContain(`href="${pageOf(orderA)}/avoir.pdf" download>Avoir AV-2026-000001 pour les chèques non utilisés (PDF)</a>`);
    expect(page).toContain('L’avoir <strong>AV-2026-000001</strong> du 31 juillet 2026 vous rend 130 €');
  });

  it('is also the operator’s to download', async () => {
    const client = await as(operator.admin.email);
    const text = await pdfText(await client.get(`/operateur/commandes/${orderB.id}/avoir.pdf`), 'avoir-b.pdf');
    expect(text).toContain('N° AV-2026-000002');
    expect(text).toContain(formatCents(14_000));
  });
});
