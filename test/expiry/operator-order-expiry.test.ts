import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmExpiry, EXPIRY_CONFIRMED_ACTION } from '../../src/domains/expiry/confirm-expiry.js';
import { runExpiry } from '../../src/domains/expiry/expire-orders.js';
import { confirmOrder, saveDraftOrder, type OrderRow } from '../../src/domains/vouchers/orders.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { expiringOrder } from '../support/expiry-fixtures.js';
import { createPerson } from '../support/fixtures.js';
import { createPublicPlace } from '../support/places-fixtures.js';
import { createFunder, createOperator, orderInput, setClock, type TestFunder } from '../support/voucher-fixtures.js';
import { SignedInClients, WebClient } from '../support/web-client.js';

/**
 * The end of an order on the operator's order page: the J-15 notice waiting for the funder (without
 * the funder's form), its confirmation (when, by whom), the end date passed unconfirmed, and the
 * credit note's PDF after the tolerance month.
 */

let t: TestApp;
let funderA: TestFunder;
let funderB: TestFunder;
/** Confirmed by funder A at J-15. */
let orderA: OrderRow;
/** Never confirmed by funder B. */
let orderB: OrderRow;
/** Confirmed, waiting for its prepayment: never issued. */
let pending: OrderRow;
let place: Awaited<ReturnType<typeof createPublicPlace>>;
let operator: Awaited<ReturnType<typeof createOperator>>;
let operatorMember: Awaited<ReturnType<typeof createPerson>>;

beforeAll(async () => {
  t = await createTestApp({ rateLimits: { signIn: { max: 100, windowMs: 60_000 }, signInPerAccount: { max: 50, windowMs: 60_000 }, passwordReset: { max: 5, windowMs: 60_000 } } });
  place = await createPublicPlace(t.ctx);
  funderA = await createFunder(t.ctx);
  funderB = await createFunder(t.ctx);
  operator = await createOperator(t.ctx);
  operatorMember = await createPerson(t.ctx, `agent-${operator.operator.id.slice(0, 6)}@passnum.fr`, [[operator.operator.id, 'member']]);
  orderA = await expiringOrder(t.ctx, funderA, place, 2);
  orderB = await expiringOrder(t.ctx, funderB, place, 1);
  const draft = await saveDraftOrder(t.ctx, funderA.funderActor, funderA.funder.id, orderInput({ fundingMode: 'prepaid', label: 'En attente du virement' }));
  pending = await confirmOrder(t.ctx, funderA.funderActor, funderA.funder.id, draft.id);
});
afterAll(() => t.close());

/** Sessions last hours, the test moves months: each move of the clock signs everyone in again. */
const clients = new SignedInClients(() => t.app);
function moveClockTo(instant: string) {
  setClock(t.clock, instant);
  clients.forget();
}
const as = (email: string) => clients.as(email);

const pageOf = (order: OrderRow) => `/operateur/commandes/${order.id}`;
const creditNoteOf = (order: OrderRow) => `${pageOf(order)}/avoir.pdf`;
const flat = (response: LightMyRequestResponse) => response.body.replace(/\s+/gu, ' ');

async function operatorPage(order: OrderRow, email = operator.admin.email): Promise<string> {
  const page = await (await as(email)).get(pageOf(order));
  expect(page.statusCode).toBe(200);
  return flat(page);
}

async function confirmations(order: OrderRow) {
  return t.ctx.db.selectFrom('audit_events').select('id').where('action', '=', EXPIRY_CONFIRMED_ACTION).where('subject_id', '=', order.id).execute();
}

describe('the operator’s order page and credit note: who may open them', () => {
  it('asks an anonymous visitor to sign in (401) and refuses a funder (403), even for its own order', async () => {
    moveClockTo('2026-06-14T08:00:00Z');
    const anonymous = new WebClient(t.app);
    await anonymous.get('/connexion');
    for (const url of [pageOf(orderA), creditNoteOf(orderA)]) {
      const response = await anonymous.get(url);
      expect(response.statusCode, url).toBe(401);
      expect(response.body, url).toContain('action="/connexion"');
    }
    const funder = await as(funderA.funderAdmin.email);
    for (const url of [pageOf(orderA), creditNoteOf(orderA)]) expect((await funder.get(url)).statusCode, url).toBe(403);
  });
});

describe('before the J-15 stage', () => {
  it('shows no expiry section and no credit note, which is not there (404)', async () => {
    await runExpiry(t.ctx, t.clock.now());
    const page = await operatorPage(orderA);
    expect(page).not.toContain('id="echeance"');
    expect(page).not.toContain('Échéance');
    expect(page).not.toContain('avoir.pdf');
    expect((await (await as(operator.admin.email)).get(creditNoteOf(orderA))).statusCode).toBe(404);
  });
});

describe('the J-15 notice', () => {
  it('shows the notice waiting for the funder, with the figures, but no form to confirm it', async () => {
    moveClockTo('2026-06-15T06:00:00Z');
    const run = await runExpiry(t.ctx, t.clock.now());
    expect(run.steps).toEqual(expect.arrayContaining([{ orderId: orderA.id, stage: 'block_15' }, { orderId: orderB.id, stage: 'block_15' }]));
    for (const email of [operator.admin.email, operatorMember.email]) {
      const page = await operatorPage(orderA, email);
      expect(page, email).toContain('id="echeance"');
      expect(page, email).toContain('Échéance à confirmer par le financeur <span class="tag">À confirmer</span>');
      expect(page, email).toContain('Le <strong>30 juin 2026</strong> au soir');
      expect(page, email).toContain('la valeur des chèques non utilisés reviendra au financeur par un avoir');
      expect(page, email).toContain('<dt>Non confiés (encore chez le financeur)</dt><dd>2</dd>');
      expect(page, email).toContain('<dt>Chèques utilisés</dt><dd>2 sur 15</dd>');
      expect(page, email).toContain('<dt>Valeur des chèques non utilisés</dt><dd>130 €</dd>');
      expect(page, email).toContain('il ne peut plus confier de carnets de cette commande à un distributeur');
      // The funder answers the notice, never the operator.
      expect(page, email).not.toContain('echeance/confirmer');
      expect(page, email).not.toContain('Je confirme');
      expect(page, email).not.toContain('vous reviendra');
      // After the order's summary: the operator follows the notice, it is not theirs to answer.
      expect(page.indexOf('Échéance à confirmer'), email).toBeGreaterThan(page.indexOf('<dt>Financeur</dt>'));
    }
    expect(await confirmations(orderA)).toEqual([]);
  });

  it('leaves the funder’s own page as it was: the notice with its form', async () => {
    const page = flat(await (await as(funderA.funderAdmin.email)).get(`/financeur/commandes/${orderA.id}`));
    expect(page).toContain('Échéance à confirmer <span class="tag">À confirmer</span>');
    expect(page).toContain(`action="/financeur/commandes/${orderA.id}/echeance/confirmer"`);
    expect(page).toContain('<dt>Non confiés (encore chez vous)</dt><dd>2</dd>');
  });

  it('shows when and by whom the funder confirmed it', async () => {
    moveClockTo('2026-06-16T08:30:00Z');
    expect(await confirmExpiry(t.ctx, funderA.funderActor, { funderId: funderA.funder.id, orderId: orderA.id })).toEqual({ recorded: true });
    const page = await operatorPage(orderA);
    expect(page).not.toContain('à confirmer');
    expect(page).toContain('Fin de validité le 30 juin 2026 : échéance confirmée le 16 juin 2026');
    expect(page).toContain(`par ${funderA.funderAdmin.display_name}`);
    expect(page).toContain('jusqu’au 30 juillet 2026 inclus');
    // Order B still waits for its funder.
    expect(await operatorPage(orderB)).toContain('Échéance à confirmer par le financeur');
  });
});

describe('an order left unconfirmed', () => {
  it('shows the end date passed without confirmation, the day after', async () => {
    moveClockTo('2026-07-01T06:00:00Z');
    const page = await operatorPage(orderB);
    expect(page).not.toContain('à confirmer');
    expect(page).toContain('Fin de validité le 30 juin 2026, passée sans confirmation');
    expect(await confirmations(orderB)).toEqual([]);
  });
});

describe('the credit note', () => {
  it('is neither linked nor there before the end of the tolerance month (404)', async () => {
    moveClockTo('2026-07-30T08:00:00Z');
    expect((await runExpiry(t.ctx, t.clock.now())).creditNotes).toEqual([]);
    expect(await operatorPage(orderA)).not.toContain('avoir.pdf');
    expect((await (await as(operator.admin.email)).get(creditNoteOf(orderA))).statusCode).toBe(404);
  });

  it('is linked from the order’s page once issued, and downloads as a PDF', async () => {
    moveClockTo('2026-07-31T06:00:00Z');
    const { creditNotes } = await runExpiry(t.ctx, t.clock.now());
    const noteA = creditNotes.find((note) => note.orderId === orderA.id)!;
    const noteB = creditNotes.find((note) => note.orderId === orderB.id)!;
    expect(noteA.amountCents).toBe(13_000);
    expect(noteB.amountCents).toBe(14_000);

    const pageA = await operatorPage(orderA);
    expect(pageA).toContain(`<a href="${creditNoteOf(orderA)}" download>Avoir ${noteA.number} pour les chèques non utilisés (PDF)</a>`);
    expect(pageA).toContain(`L’avoir <strong>${noteA.number}</strong> du 31 juillet 2026 rend au financeur 130 €`);
    expect(pageA).toContain('échéance confirmée le 16 juin 2026');
    expect(pageA).not.toContain(noteB.number);
    const pageB = await operatorPage(orderB, operatorMember.email);
    expect(pageB).toContain(`<a href="${creditNoteOf(orderB)}" download>Avoir ${noteB.number} pour les chèques non utilisés (PDF)</a>`);
    expect(pageB).toContain('passée sans confirmation');
    expect(pageB).toContain('rend au financeur 140 €');

    for (const email of [operator.admin.email, operatorMember.email]) {
      const pdf = await (await as(email)).get(creditNoteOf(orderA));
      expect(pdf.statusCode, email).toBe(200);
      expect(pdf.headers['content-type'], email).toBe('application/pdf');
      expect(pdf.headers['content-disposition'], email).toBe(`attachment; filename="avoir-${noteA.number}.pdf"`);
      expect(pdf.headers['cache-control'], email).toBe('no-store');
      expect(pdf.rawPayload.subarray(0, 5).toString('latin1'), email).toBe('%PDF-');
    }
    // Still the operator's only: the funder downloads it from its own page.
    expect((await (await as(funderA.funderAdmin.email)).get(creditNoteOf(orderA))).statusCode).toBe(403);
  });

  it('is absent from an order that was never issued (404), whose page shows no expiry', async () => {
    const page = await operatorPage(pending);
    expect(page).not.toContain('id="echeance"');
    expect(page).not.toContain('avoir.pdf');
    const response = await (await as(operator.admin.email)).get(creditNoteOf(pending));
    expect(response.statusCode).toBe(404);
  });
});
