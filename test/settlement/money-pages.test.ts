import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEuros } from '../../src/domains/places/catalogue.js';
import { issueFunderInvoices, type IssuedFunderInvoice } from '../../src/domains/settlement/funder-invoices.js';
import { loadStatement } from '../../src/domains/settlement/statements.js';
import { formatCents } from '../../src/print/pdf-kit.js';
import { formatShortDate } from '../../src/print/statement.js';
import { createTestApp, MANY_SIGN_INS, type TestApp } from '../support/app.js';
import { pdfLines as pdfLinesOf } from '../support/pdf-answer.js';
import { buildMoneyWorld, insertSettledMonth, moveClock, type FixturePayout, type MoneyWorld } from '../support/payout-fixtures.js';
import { SignedInClients, WebClient } from '../support/web-client.js';

let t: TestApp;
let world: MoneyWorld;
let lacPayout: FixturePayout;
let merignacPayout: FixturePayout;
let invoiceA: IssuedFunderInvoice;
let invoiceB: IssuedFunderInvoice;
let dir: string;

beforeAll(async () => {
  t = await createTestApp({ rateLimits: MANY_SIGN_INS });
  world = await buildMoneyWorld(t);
  moveClock(t.clock, '2026-04-06T07:00:00Z');
  const { payouts } = await insertSettledMonth(t.ctx, '2026-03-01', { subscriptions: [{ providerId: world.lac.provider.organisation.id, excludingVatCents: 700, vatCents: 140 }] });
  lacPayout = payouts.find((p) => p.providerId === world.lac.provider.organisation.id)!;
  merignacPayout = payouts.find((p) => p.providerId === world.merignac.provider.organisation.id)!;
  const { issued } = await issueFunderInvoices(t.ctx, '2026-03');
  invoiceA = issued.find((i) => i.funderId === world.funderA.funder.id)!;
  invoiceB = issued.find((i) => i.funderId === world.funderB.funder.id)!;
  dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-money-pages-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t.close();
});

const clients = new SignedInClients(() => t.app);
const as = (email: string) => clients.as(email);

const pdfLines = (response: LightMyRequestResponse, name: string) => pdfLinesOf(response, dir, name);

describe('who may see money pages', () => {
  it('asks to sign in (401)', async () => {
    const anonymous = new WebClient(t.app);
    for (const url of ['/structure/paiements', `/structure/paiements/${lacPayout.id}/releve.pdf`, '/financeur/releves', '/financeur/releves/2026-03', '/financeur/releves/2026-03/releve.pdf', `/financeur/releves/factures/${invoiceA.id}/facture.pdf`]) {
      expect((await anonymous.get(url)).statusCode, url).toBe(401);
    }
  });

  it('keeps providers and funders to their own pages (403)', async () => {
    const funder = await as(world.funderA.funderAdmin.email);
    expect((await funder.get('/structure/paiements')).statusCode).toBe(403);
    expect((await funder.get(`/structure/paiements/${lacPayout.id}/releve.pdf`)).statusCode).toBe(403);
    const provider = await as(world.lac.provider.admin.email);
    expect((await provider.get('/financeur/releves')).statusCode).toBe(403);
    expect((await provider.get(`/financeur/releves/factures/${invoiceA.id}/facture.pdf`)).statusCode).toBe(403);
  });

  it('answers 404 for another provider’s statement, or another funder’s invoice, as for none', async () => {
    const lac = await as(world.lac.provider.admin.email);
    expect((await lac.get(`/structure/paiements/${merignacPayout.id}/releve.pdf`)).statusCode).toBe(404);
    expect((await lac.get('/structure/paiements/00000000-0000-4000-8000-000000000000/releve.pdf')).statusCode).toBe(404);
    expect((await lac.get('/structure/paiements/pas-un-id/releve.pdf')).statusCode).toBe(404);
    const funderA = await as(world.funderA.funderAdmin.email);
    expect((await funderA.get(`/financeur/releves/factures/${invoiceB.id}/facture.pdf`)).statusCode).toBe(404);
    expect((await funderA.get('/financeur/releves/2026-13')).statusCode).toBe(400);
  });
});

describe('the provider’s payments', () => {
  it('shows the next transfer and the past payouts, to any member', async () => {
    const member = await as(world.lac.provider.member.email);
    const page = await member.get('/structure/paiements');
    expect(page.statusCode).toBe(200);
    const body = page.body.replace(/\s+/gu, ' ');
    expect(body).toContain('<h1>Paiements et relevés</h1>');
    // After the March settlement: the service of 3 April, paid on 11 May (the 10th is a Sunday).
    expect(body).toContain('Prévu le <strong>11 mai 2026</strong>, pour les services d’avril 2026');
    expect(body).toContain(`<dt>Montant connu à ce jour</dt><dd><strong>${formatEuros(960)}</strong></dd>`);
    expect(body).toContain(`href="/structure/paiements/${lacPayout.id}/releve.pdf"`);
    expect(body).toContain(`Relevé ${lacPayout.statementNumber}`);
    expect(body).toContain('Ordre de virement préparé');
    expect(body).toContain('10 avril 2026');
    expect(body).toContain(formatEuros(3000));
    expect(body).not.toContain(merignacPayout.statementNumber);
    expect(body).toContain('href="/structure/paiements" aria-current="page"');
  });

  it('downloads its statement: every service and voucher paid, and the totals', async () => {
    const lac = await as(world.lac.provider.admin.email);
    const response = await lac.get(`/structure/paiements/${lacPayout.id}/releve.pdf`);
    expect(response.headers['content-disposition']).toBe(`attachment; filename="releve-${lacPayout.statementNumber}.pdf"`);
    const lines = await pdfLines(response, 'statement.pdf');
    const text = lines.join('\n');
    const statement = await loadStatement(t.ctx, lacPayout.id);
    expect(statement.lines).toHaveLength(3);
    for (const item of statement.lines) {
      const row = lines.find((l) => l.startsWith(`${formatShortDate(item.serviceDate)} Médiathèque du Lac`));
      expect(row, item.serviceDate).toBeDefined();
      expect(row).toContain('M01');
      expect(row).toMatch(new RegExp(`${item.voucherCount} ${formatCents(item.grossCents)} ${formatCents(item.platformFeeCents + item.fundFeeCents)}$`, 'u'));
      for (const serial of item.vouchers) expect(text).toContain(serial);
    }
    expect(text).toContain(`N° ${lacPayout.statementNumber}`);
    expect(text).toContain('Services de mars 2026');
    expect(text).toMatch(/Chèques encaissés : 4 chèques pour 3 services 40,00 €/u);
    expect(text).toMatch(/Frais de la plateforme \(3 % de la valeur des chèques\) - 1,20 €/u);
    expect(text).toMatch(/\(1 %\) - 0,40 €/u);
    expect(text).toMatch(/Abonnement déduit \(TTC\), facture A-2026-000001 - 8,40 €/u);
    expect(text).toMatch(/Net à virer 30,00 €/u);
    expect(text).toContain('**** **** **** **** **** ***2 606');
    expect(text).toContain('10 avril 2026');
    expect(text).toContain(`${lacPayout.statementNumber} · page 1 sur 1`);
  });
});

describe('the funder’s statements and invoices', () => {
  it('lists the months and invoices', async () => {
    const funder = await as(world.funderA.funderAdmin.email);
    const page = await funder.get('/financeur/releves');
    expect(page.statusCode).toBe(200);
    const body = page.body.replace(/\s+/gu, ' ');
    expect(body).toContain('href="/financeur/releves/2026-04"');
    expect(body).toContain('href="/financeur/releves/2026-03/releve.pdf"');
    expect(body).toContain(`Facture ${invoiceA.number} (PDF)`);
    expect(body).toContain(`href="/financeur/releves/factures/${invoiceA.id}/facture.pdf"`);
    expect(body).toContain('À régler');
    expect(body).not.toContain(invoiceB.number);
  });

  it('shows a month per order, commune and place', async () => {
    const funder = await as(world.funderA.funderAdmin.email);
    const page = await funder.get('/financeur/releves/2026-03');
    expect(page.statusCode).toBe(200);
    const body = page.body.replace(/\s+/gu, ' ');
    expect(body).toContain('<h1>Relevé de mars 2026</h1>');
    expect(body).toContain(`<dt>Montant</dt><dd><strong>${formatEuros(4000)}</strong></dd>`);
    expect(body).toContain('<th scope="row">Médiathèque du Lac</th><td>33300 Bordeaux</td><td>3</td><td>4</td>');
    expect(body).toContain(invoiceA.number);
  });

  it('downloads the month’s statement and the invoice', async () => {
    const funder = await as(world.funderA.funderAdmin.email);
    const statement = (await pdfLines(await funder.get('/financeur/releves/2026-03/releve.pdf'), 'funder-statement.pdf')).join('\n');
    expect(statement).toContain('Relevé mensuel d\'utilisation');
    expect(statement).toContain('Services de mars 2026');
    expect(statement).toMatch(/Médiathèque du Lac 33300 Bordeaux 3 4 40,00 €/u);
    expect(statement).toMatch(/Bordeaux 33063 3 4 40,00 €/u);
    expect(statement).toMatch(/Total 4 40,00 €/u);
    expect(statement).toContain(invoiceA.number);

    const invoice = (await pdfLines(await funder.get(`/financeur/releves/factures/${invoiceA.id}/facture.pdf`), 'funder-invoice.pdf')).join('\n');
    expect(invoice).toContain(`N° ${invoiceA.number}`);
    expect(invoice).toContain('Chèques utilisés en mars 2026');
    expect(invoice).toMatch(/Chèques de 10 € utilisés 3 10,00 € 30,00 €/u);
    expect(invoice).toMatch(/Chèques de 10 € utilisés 1 10,00 € 10,00 €/u);
    expect(invoice).toContain('Engagement juridique EJ-2026-001');
    expect(invoice).toMatch(/Total à payer 40,00 €/u);
    expect(invoice).toContain('hors du champ de la TVA');
  });
});
