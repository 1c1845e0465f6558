import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueFunderInvoices, loadFunderInvoice, type IssuedFunderInvoice } from '../../src/domains/settlement/funder-invoices.js';
import { formatCents } from '../../src/print/pdf-kit.js';
import { createTestApp, INVOICING_PLATFORM, MANY_SIGN_INS, type TestApp } from '../support/app.js';
import { createOrganisation, createPerson } from '../support/fixtures.js';
import { pdfLines } from '../support/pdf-answer.js';
import { buildMoneyWorld, insertCarriedSubscription, insertSettledMonth, moveClock, type FixturePayout, type MoneyWorld } from '../support/payout-fixtures.js';
import { SignedInClients, WebClient } from '../support/web-client.js';

/**
 * The invoices as PDFs: a provider's subscription invoices (/structure/paiements/factures/:id/facture.pdf)
 * and a funder's monthly invoices, for the funder (/financeur/releves/factures/:id/facture.pdf) and
 * the operator (/operateur/comptabilite/factures/:id/facture.pdf). Who may download them first,
 * then what they say: the amounts stored, in French, and a refusal when they do not add up.
 */

const OPERATOR = 'compta@operateur.test';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

let t: TestApp;
let world: MoneyWorld;
let lacPayout: FixturePayout;
let lacInvoice: { id: string; number: string };
let carriedInvoice: { id: string; number: string };
let invoiceA: IssuedFunderInvoice;
let invoiceB: IssuedFunderInvoice;
let dir: string;

beforeAll(async () => {
  t = await createTestApp({
    platform: INVOICING_PLATFORM,
    rateLimits: MANY_SIGN_INS,
  });
  world = await buildMoneyWorld(t);
  await createPerson(t.ctx, OPERATOR, [[(await createOrganisation(t.ctx, 'operator', 'Opérateur')).id, 'member']]);
  moveClock(t.clock, '2026-04-06T07:00:00Z');
  const lacId = world.lac.provider.organisation.id;
  const { payouts } = await insertSettledMonth(t.ctx, '2026-03-01', { subscriptions: [{ providerId: lacId, excludingVatCents: 700, vatCents: 140 }] });
  lacPayout = payouts.find((p) => p.providerId === lacId)!;
  // Mérignac's invoice waits for a payout that covers it.
  const carried = await insertCarriedSubscription(t.ctx, world.merignac.provider.organisation.id, '2026-04-01');
  const invoices = await t.ctx.db.selectFrom('subscription_invoices').select(['id', 'number']).orderBy('number').execute();
  lacInvoice = invoices.find((i) => i.number !== carried)!;
  carriedInvoice = invoices.find((i) => i.number === carried)!;
  const { issued } = await issueFunderInvoices(t.ctx, '2026-03');
  invoiceA = issued.find((i) => i.funderId === world.funderA.funder.id)!;
  invoiceB = issued.find((i) => i.funderId === world.funderB.funder.id)!;
  dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-invoices-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t.close();
});

const clients = new SignedInClients(() => t.app);
const as = (email: string) => clients.as(email);
const subscriptionPdf = (id: string) => `/structure/paiements/factures/${id}/facture.pdf`;
const funderPdf = (id: string) => `/financeur/releves/factures/${id}/facture.pdf`;
const operatorPdf = (id: string) => `/operateur/comptabilite/factures/${id}/facture.pdf`;
const flat = (response: LightMyRequestResponse) => response.body.replace(/\s+/gu, ' ');

async function pdfText(response: LightMyRequestResponse, name: string): Promise<string> {
  return (await pdfLines(response, dir, name)).join('\n');
}

describe('who may download an invoice', () => {
  it('asks to sign in (401)', async () => {
    const anonymous = new WebClient(t.app);
    for (const url of [subscriptionPdf(lacInvoice.id), funderPdf(invoiceA.id), operatorPdf(invoiceA.id)]) {
      expect((await anonymous.get(url)).statusCode, url).toBe(401);
    }
  });

  it('keeps each invoice to its own side (403)', async () => {
    const funder = await as(world.funderA.funderAdmin.email);
    expect((await funder.get(subscriptionPdf(lacInvoice.id))).statusCode).toBe(403);
    expect((await funder.get(operatorPdf(invoiceA.id))).statusCode).toBe(403);
    const provider = await as(world.lac.provider.admin.email);
    expect((await provider.get(funderPdf(invoiceA.id))).statusCode).toBe(403);
    expect((await provider.get(operatorPdf(invoiceA.id))).statusCode).toBe(403);
    const operator = await as(OPERATOR);
    expect((await operator.get(subscriptionPdf(lacInvoice.id))).statusCode).toBe(403);
    expect((await operator.get(funderPdf(invoiceA.id))).statusCode).toBe(403);
  });

  it('answers 404 for another provider’s or funder’s invoice, as for none', async () => {
    const lac = await as(world.lac.provider.member.email);
    for (const id of [carriedInvoice.id, UNKNOWN, 'pas-un-id', invoiceA.id]) expect((await lac.get(subscriptionPdf(id))).statusCode, id).toBe(404);
    const merignac = await as(world.merignac.provider.admin.email);
    expect((await merignac.get(subscriptionPdf(lacInvoice.id))).statusCode).toBe(404);
    const funderA = await as(world.funderA.funderAdmin.email);
    expect((await funderA.get(funderPdf(invoiceB.id))).statusCode).toBe(404);
    expect((await funderA.get(funderPdf(lacInvoice.id))).statusCode).toBe(404);
    const operator = await as(OPERATOR);
    expect((await operator.get(operatorPdf(UNKNOWN))).statusCode).toBe(404);
  });
});

describe('a provider’s subscription invoice', () => {
  it('is linked from the payments page, to any member, with its number in the link', async () => {
    const page = flat(await (await as(world.lac.provider.member.email)).get('/structure/paiements'));
    expect(page).toContain(`<a href="${subscriptionPdf(lacInvoice.id)}" download>Facture ${lacInvoice.number} (PDF)</a>`);
    expect(page).not.toContain(carriedInvoice.number);
  });

  it('prints the seller, the buyer, the period, the line, the VAT and its deduction from the payout', async () => {
    const response = await (await as(world.lac.provider.member.email)).get(subscriptionPdf(lacInvoice.id));
    expect(response.headers['content-disposition']).toBe(`attachment; filename="facture-${lacInvoice.number}.pdf"`);
    const text = await pdfText(response, 'subscription.pdf');
    expect(text).toContain(`N° ${lacInvoice.number}`);
    expect(text).toContain('Date : 6 avril 2026');
    expect(text).toContain('Groupement passnum');
    expect(text).toContain('SIRET : 40483304800022');
    expect(text).toContain('N° TVA intracommunautaire : FR83404833048');
    expect(text).toContain('Lieu qualifié');
    expect(text).toContain(world.lac.provider.organisation.name);
    expect(text).toContain('1 place de la Mairie, 33000 Bordeaux');
    expect(text).toContain('SIRET : 35600000000048');
    expect(text).toMatch(/Période du 1er mars 2026 au/u);
    expect(text).toMatch(/Abonnement Formule mensuelle 1 7,00 € 7,00 €/u);
    expect(text).toMatch(/Total HT 7,00 €/u);
    expect(text).toMatch(/TVA 20 % 1,40 €/u);
    expect(text).toMatch(/Total TTC 8,40 €/u);
    expect(text).toContain(`Réglée par déduction : 8,40 € TTC retenus sur le remboursement du relevé ${lacPayout.statementNumber} (services de mars 2026)`);
    expect(text).toContain(`${lacInvoice.number} · page 1 sur 1`);
  });

  it('says when it is carried over', async () => {
    const text = await pdfText(await (await as(world.merignac.provider.admin.email)).get(subscriptionPdf(carriedInvoice.id)), 'carried.pdf');
    expect(text).toContain(`N° ${carriedInvoice.number}`);
    expect(text).toMatch(/Total TTC 8,40 €/u);
    expect(text).toContain('Reportée : 8,40 € TTC seront déduits du prochain remboursement');
  });

  it('is refused (409), never printed, when its VAT is not the rate of its settlement', async () => {
    const lac = await as(world.lac.provider.admin.email);
    // The table checks that the total is the sum; not that the VAT is the rate's.
    await t.ctx.db.updateTable('subscription_invoices').set({ vat_cents: 141, amount_incl_vat_cents: 841 }).where('id', '=', lacInvoice.id).execute();
    try {
      const response = await lac.get(subscriptionPdf(lacInvoice.id));
      expect(response.statusCode).toBe(409);
      expect(response.headers['content-type']).not.toBe('application/pdf');
    } finally {
      await t.ctx.db.updateTable('subscription_invoices').set({ vat_cents: 140, amount_incl_vat_cents: 840 }).where('id', '=', lacInvoice.id).execute();
    }
    expect((await lac.get(subscriptionPdf(lacInvoice.id))).statusCode).toBe(200);
  });
});

describe('a funder’s monthly invoice', () => {
  it('prints a line per order (vouchers × face value) adding up to the amount stored, no VAT, and how to pay', async () => {
    const stored = await loadFunderInvoice(t.ctx, invoiceA.id);
    expect(stored.lines.reduce((sum, line) => sum + line.amountCents, 0)).toBe(invoiceA.amountCents);
    const text = await pdfText(await (await as(world.funderA.funderAdmin.email)).get(funderPdf(invoiceA.id)), 'funder.pdf');
    expect(text).toContain(`N° ${invoiceA.number}`);
    expect(text).toContain('Date : 6 avril 2026');
    expect(text).toContain('Échéance : 6 mai 2026');
    expect(text).toContain('Chèques utilisés en mars 2026');
    expect(text).toContain('N° TVA intracommunautaire : FR83404833048');
    for (const line of stored.lines) {
      expect(text).toMatch(new RegExp(`${line.orderNumber} Chèques de 10 € utilisés ${line.vouchers} 10,00 € ${formatCents(line.amountCents).replace(/\s/gu, '\\s')}`, 'u'));
    }
    expect(text).toMatch(/Total HT 40,00 €/u);
    expect(text).toMatch(/TVA non applicable/u);
    expect(text).toMatch(/Total à payer 40,00 €/u);
    expect(text).toContain('TVA non applicable : opération hors du champ de la TVA');
    expect(text).toContain('À payer au plus tard le 6 mai 2026');
    expect(text).toContain('IBAN FR76 3000 6000 0112 3456 7890 189');
    expect(text).toContain(invoiceA.number);
  });

  it('is downloaded by the operator, any funder’s, from the list of invoices', async () => {
    const operator = await as(OPERATOR);
    const list = flat(await operator.get('/operateur/comptabilite/factures'));
    for (const invoice of [invoiceA, invoiceB]) expect(list).toContain(`<a href="${operatorPdf(invoice.id)}" download>Facture ${invoice.number} (PDF)</a>`);
    const response = await operator.get(operatorPdf(invoiceB.id));
    expect(response.headers['content-disposition']).toBe(`attachment; filename="facture-${invoiceB.number}.pdf"`);
    const text = await pdfText(response, 'operator.pdf');
    expect(text).toContain(`N° ${invoiceB.number}`);
    expect(text).toMatch(/Total à payer 10,00 €/u);
  });

  it('is refused (409), never printed, when its vouchers no longer add up to the amount stored', async () => {
    await t.ctx.db.updateTable('funder_invoices').set({ amount_cents: 4100 }).where('id', '=', invoiceA.id).execute();
    try {
      expect((await (await as(world.funderA.funderAdmin.email)).get(funderPdf(invoiceA.id))).statusCode).toBe(409);
      expect((await (await as(OPERATOR)).get(operatorPdf(invoiceA.id))).statusCode).toBe(409);
    } finally {
      await t.ctx.db.updateTable('funder_invoices').set({ amount_cents: invoiceA.amountCents }).where('id', '=', invoiceA.id).execute();
    }
  });
});
