import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveFunderBillingDetails } from '../../src/domains/settlement/funder-billing-details.js';
import { issueFunderInvoices, type IssuedFunderInvoice } from '../../src/domains/settlement/funder-invoices.js';
import { createTestApp, INVOICING_PLATFORM, MANY_SIGN_INS, type TestApp } from '../support/app.js';
import { createOrganisation, createPerson } from '../support/fixtures.js';
import { pdfLines } from '../support/pdf-answer.js';
import { buildMoneyWorld, moveClock, type MoneyWorld } from '../support/payout-fixtures.js';
import { SignedInClients, WebClient } from '../support/web-client.js';

/**
 * A funder's billing address (/financeur/facturation): who may read and change it, the form's
 * refusals, the save with its audit event, and the invoices that print it under the funder's name
 * (/financeur/releves/factures/:id/facture.pdf, /operateur/comptabilite/factures/:id/facture.pdf), and
 * its monthly statements of use (/financeur/releves/:month/releve.pdf), which print the address in use.
 */

const PAGE = '/financeur/facturation';
const OPERATOR = 'compta@operateur.test';
const MEMBER = 'membre@financeur-a.test';
/** What an admin types: a CEDEX postcode, a SIRET with the spaces of the INSEE notice. */
const VALID = { address: '2 rue du Port', postcode: '33074', commune: 'Bordeaux Cedex', siret: '223 300 997 00010' };

let t: TestApp;
let world: MoneyWorld;
let invoiceA: IssuedFunderInvoice;
let invoiceB: IssuedFunderInvoice;
/** Funder A's invoice of April, issued once its address is saved. */
let aprilA: IssuedFunderInvoice;
let dir: string;

beforeAll(async () => {
  t = await createTestApp({
    platform: INVOICING_PLATFORM,
    rateLimits: MANY_SIGN_INS,
  });
  world = await buildMoneyWorld(t);
  await createPerson(t.ctx, OPERATOR, [[(await createOrganisation(t.ctx, 'operator', 'Opérateur')).id, 'admin']]);
  await createPerson(t.ctx, MEMBER, [[world.funderA.funder.id, 'member']]);
  moveClock(t.clock, '2026-04-06T07:00:00Z');
  const { issued } = await issueFunderInvoices(t.ctx, '2026-03');
  invoiceA = issued.find((i) => i.funderId === world.funderA.funder.id)!;
  invoiceB = issued.find((i) => i.funderId === world.funderB.funder.id)!;
  dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-funder-billing-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t.close();
});

const clients = new SignedInClients(() => t.app);
const as = (email: string) => clients.as(email);
/** Moves the clock a month on: the sessions of before have expired, each person signs in again. */
const monthsLater = (instant: string) => {
  moveClock(t.clock, instant);
  clients.forget();
};
const admin = () => as(world.funderA.funderAdmin.email);
const flat = (response: LightMyRequestResponse) => response.body.replace(/\s+/gu, ' ');
const funderPdf = (id: string) => `/financeur/releves/factures/${id}/facture.pdf`;
const operatorPdf = (id: string) => `/operateur/comptabilite/factures/${id}/facture.pdf`;
/** Funder A's statement of use for March (« Relevé mensuel d'utilisation »). */
const STATEMENT_PDF = '/financeur/releves/2026-03/releve.pdf';

async function pdfText(response: LightMyRequestResponse, name: string): Promise<string> {
  return (await pdfLines(response, dir, name)).join('\n');
}

/** Signed in as the funder's admin, on the page (so that the client holds its CSRF token). */
async function adminOnPage(): Promise<WebClient> {
  const client = await admin();
  expect((await client.get(PAGE)).statusCode).toBe(200);
  return client;
}

async function storedDetails() {
  return t.ctx.db.selectFrom('funder_billing_details').select(['organisation_id', 'address', 'postcode', 'commune', 'siret', 'updated_at']).orderBy('organisation_id').execute();
}

async function billingEvents() {
  return t.ctx.db
    .selectFrom('audit_events')
    .select(['actor_user_id', 'actor_organisation_id', 'subject_type', 'subject_id', 'before', 'after'])
    .where('action', '=', 'funder.billing_details_updated')
    .orderBy('id')
    .execute();
}

async function expectNothingWritten() {
  expect(await storedDetails()).toEqual([]);
  expect(await billingEvents()).toEqual([]);
}

describe('who may read and change the billing address', () => {
  it('asks to sign in (401)', async () => {
    const anonymous = new WebClient(t.app);
    expect((await anonymous.get(PAGE)).statusCode).toBe(401);
    expect((await anonymous.post(PAGE, VALID, { csrf: null })).statusCode).toBe(401);
  });

  it('refuses other kinds of organisation, a member who is not an admin, and a form without its CSRF token (403)', async () => {
    for (const email of [world.lac.provider.admin.email, OPERATOR]) {
      const other = await as(email);
      expect((await other.get(PAGE)).statusCode, email).toBe(403);
      expect((await other.post(PAGE, VALID)).statusCode, email).toBe(403);
    }
    const member = await as(MEMBER);
    expect((await member.get(PAGE)).statusCode).toBe(200);
    expect((await member.post(PAGE, VALID)).statusCode).toBe(403);
    const client = await adminOnPage();
    expect((await client.post(PAGE, VALID, { csrf: null })).statusCode).toBe(403);
    expect((await client.post(PAGE, VALID, { csrf: 'pas-un-jeton' })).statusCode).toBe(403);
    await expectNothingWritten();
  });

  it('shows a member that there is none yet, without the form', async () => {
    const body = flat(await (await as(MEMBER)).get(PAGE));
    expect(body).toContain('<h1>Adresse de facturation</h1>');
    expect(body).toContain('Aucune adresse de facturation n’est enregistrée : vos factures ne portent que le nom de votre organisation.');
    expect(body).toContain('Seuls les administrateurs et administratrices de votre organisation peuvent modifier l’adresse de facturation.');
    expect(body).not.toContain(`action="${PAGE}"`);
  });

  it('invites the admin from the invoices page to give it, and tells a member who can', async () => {
    const forAdmin = flat(await (await admin()).get('/financeur/releves'));
    expect(forAdmin).toContain('Vos factures ne portent que le nom de votre organisation : <a href="/financeur/facturation">renseignez son adresse de facturation</a>.');
    const forMember = flat(await (await as(MEMBER)).get('/financeur/releves'));
    expect(forMember).toContain('un administrateur ou une administratrice peut renseigner son <a href="/financeur/facturation">adresse de facturation</a>');
  });
});

describe('the form refuses what cannot be printed (400)', () => {
  const cases: [what: string, form: Record<string, string>, field: string, message: string][] = [
    ['an empty address', { ...VALID, address: '  ' }, 'address', 'Saisissez l’adresse (numéro et voie)'],
    ['an address of 301 characters', { ...VALID, address: 'a'.repeat(301) }, 'address', '300 caractères au plus'],
    ['a postcode of 4 digits', { ...VALID, postcode: '3307' }, 'postcode', 'Le code postal compte 5 chiffres, par exemple 33000'],
    ['a postcode with letters', { ...VALID, postcode: '33O74' }, 'postcode', 'Le code postal compte 5 chiffres, par exemple 33000'],
    ['an empty commune', { ...VALID, commune: '' }, 'commune', 'Saisissez la commune'],
    ['a commune of 101 characters', { ...VALID, commune: 'b'.repeat(101) }, 'commune', '100 caractères au plus'],
    ['a SIRET whose Luhn key is wrong', { ...VALID, siret: '223 300 997 00011' }, 'siret', 'Ce numéro SIRET n’est pas valide : vérifiez les 14 chiffres sur l’avis de situation SIRENE.'],
    ['a SIRET of 9 digits', { ...VALID, siret: '223300997' }, 'siret', 'Ce numéro SIRET n’est pas valide : vérifiez les 14 chiffres sur l’avis de situation SIRENE.'],
  ];
  for (const [what, form, field, message] of cases) {
    it(`refuses ${what}, the message next to the field, the values kept, nothing written`, async () => {
      const client = await adminOnPage();
      const response = await client.post(PAGE, form);
      expect(response.statusCode).toBe(400);
      const body = flat(response);
      expect(body).toContain('<title>Erreur : Adresse de facturation – passnum</title>');
      expect(body).toContain('<h2 id="error-summary-title">Il y a un problème</h2>');
      expect(body).toContain(`<a href="#${field}">${message}</a>`);
      expect(body).toContain(`<p class="error-message" id="${field}-error"><span class="visually-hidden">Erreur : </span>${message}</p>`);
      expect(body).toMatch(new RegExp(`<input id="${field}" name="${field}" type="text" value="[^"]*"[^>]* aria-invalid="true">`, 'u'));
      // The other fields come back as typed.
      for (const [name, value] of Object.entries(form)) {
        if (name !== field) expect(body).toContain(`name="${name}" type="text" value="${value}"`);
      }
      await expectNothingWritten();
    });
  }

  it('names every missing field at once', async () => {
    const client = await adminOnPage();
    const response = await client.post(PAGE, {});
    expect(response.statusCode).toBe(400);
    const body = flat(response);
    expect(body).toContain('<a href="#address">Saisissez l’adresse (numéro et voie)</a>');
    expect(body).toContain('<a href="#postcode">Saisissez le code postal</a>');
    expect(body).toContain('<a href="#commune">Saisissez la commune</a>');
    expect(body).not.toContain('<a href="#siret">');
    await expectNothingWritten();
  });
});

describe('saving the billing address', () => {
  it('prints the name alone on an invoice while there is no address', async () => {
    const text = await pdfText(await (await admin()).get(funderPdf(invoiceA.id)), 'before.pdf');
    expect(text).toContain('Financeur');
    expect(text).toContain(world.funderA.funder.name);
    // The platform's SIRET only: none for the funder.
    expect(text.match(/SIRET :/gu)).toHaveLength(1);
    expect(text).not.toContain('Bordeaux Cedex');
    // The monthly statement of use too: the name alone.
    const statement = await pdfLines(await (await admin()).get(STATEMENT_PDF), dir, 'statement-before.pdf');
    const at = statement.indexOf(world.funderA.funder.name);
    expect(at).toBeGreaterThan(-1);
    expect(statement[at - 1]).toBe('Financeur');
    expect(statement.join('\n')).not.toContain('Bordeaux Cedex');
  });

  it('saves an admin’s address, with its audit event, and shows it after the redirect', async () => {
    const client = await adminOnPage();
    const response = await client.post(PAGE, VALID);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`${PAGE}?ok=adresse`);
    expect(await storedDetails()).toEqual([
      { organisation_id: world.funderA.funder.id, address: '2 rue du Port', postcode: '33074', commune: 'Bordeaux Cedex', siret: '22330099700010', updated_at: t.clock.now() },
    ]);
    expect(await billingEvents()).toEqual([
      {
        actor_user_id: world.funderA.funderAdmin.id,
        actor_organisation_id: world.funderA.funder.id,
        subject_type: 'organisation',
        subject_id: world.funderA.funder.id,
        before: null,
        after: { address: '2 rue du Port', postcode: '33074', commune: 'Bordeaux Cedex', siret: '22330099700010' },
      },
    ]);

    const page = flat(await client.get(`${PAGE}?ok=adresse`));
    expect(page).toContain('<div class="notice" role="status"><p>L’adresse de facturation est enregistrée : elle figurera sous le nom de votre organisation sur les factures émises désormais.</p></div>');
    expect(page).toContain('name="address" type="text" value="2 rue du Port"');
    expect(page).toContain('name="postcode" type="text" value="33074"');
    expect(page).toContain('name="commune" type="text" value="Bordeaux Cedex"');
    expect(page).toContain('name="siret" type="text" value="223 300 997 00010"');
    // Without the code, no message; an unknown code shows none either.
    expect(flat(await client.get(PAGE))).not.toContain('class="notice"');
    expect(flat(await client.get(`${PAGE}?ok=inconnu`))).not.toContain('class="notice"');
  });

  it('shows a member the address without the form, and the invoices page says where invoices go', async () => {
    const member = await as(MEMBER);
    const body = flat(await member.get(PAGE));
    expect(body).toContain('<dt>Adresse</dt><dd>2 rue du Port, 33074 Bordeaux Cedex</dd>');
    expect(body).toContain('<dt>SIRET</dt><dd>223 300 997 00010</dd>');
    expect(body).not.toContain(`action="${PAGE}"`);
    const statements = flat(await member.get('/financeur/releves'));
    expect(statements).toContain('Adresse imprimée sur les factures à venir : 2 rue du Port, 33074 Bordeaux Cedex (SIRET 223 300 997 00010). <a href="/financeur/facturation">Voir l’adresse de facturation</a>');
    expect(flat(await (await admin()).get('/financeur/releves'))).toContain('<a href="/financeur/facturation">Modifier l’adresse de facturation</a>');
  });

  it('prints the address and the SIRET under the funder’s name on the invoices issued afterwards, for the funder and for the operator; not on another funder’s', async () => {
    // Issued before the address was given, March's invoice does not change.
    const march = await pdfText(await (await admin()).get(funderPdf(invoiceA.id)), 'march.pdf');
    expect(march).toContain(world.funderA.funder.name);
    expect(march).not.toContain('Bordeaux Cedex');
    // April's, issued once April is closed, carries it.
    monthsLater('2026-05-05T22:00:00Z');
    const { issued } = await issueFunderInvoices(t.ctx, '2026-04');
    aprilA = issued.find((i) => i.funderId === world.funderA.funder.id)!;
    expect(aprilA).toBeDefined();
    for (const [response, name] of [
      [await (await admin()).get(funderPdf(aprilA.id)), 'funder.pdf'],
      [await (await as(OPERATOR)).get(operatorPdf(aprilA.id)), 'operator.pdf'],
    ] as const) {
      const lines = await pdfLines(response, dir, name);
      const at = lines.indexOf(world.funderA.funder.name);
      expect(at, name).toBeGreaterThan(-1);
      expect(lines[at - 1]).toBe('Financeur');
      expect(lines.slice(at + 1, at + 4)).toEqual(['2 rue du Port', '33074 Bordeaux Cedex', 'SIRET : 22330099700010']);
    }
    const other = await pdfText(await (await as(OPERATOR)).get(operatorPdf(invoiceB.id)), 'other.pdf');
    expect(other).not.toContain('Bordeaux Cedex');
    expect(other.match(/SIRET :/gu)).toHaveLength(1);
  });

  it('prints the address in use under the funder’s name on its monthly statements of use, made on demand: March’s too', async () => {
    const lines = await pdfLines(await (await admin()).get(STATEMENT_PDF), dir, 'statement-after.pdf');
    const at = lines.indexOf(world.funderA.funder.name);
    expect(at).toBeGreaterThan(-1);
    expect(lines[at - 1]).toBe('Financeur');
    expect(lines.slice(at + 1, at + 4)).toEqual(['2 rue du Port', '33074 Bordeaux Cedex', 'SIRET : 22330099700010']);
  });

  it('writes nothing when the same address comes again, and journals a change with what it replaced', async () => {
    const client = await adminOnPage();
    const same = await client.post(PAGE, { ...VALID, siret: '22330099700010', address: ' 2  rue du Port ' });
    expect(same.headers.location).toBe(`${PAGE}?ok=adresse-inchangee`);
    expect(flat(await client.get(`${PAGE}?ok=adresse-inchangee`))).toContain('C’était déjà l’adresse de facturation enregistrée : rien n’a changé.');
    expect(await billingEvents()).toHaveLength(1);

    t.clock.advanceMinutes(60);
    const changed = await client.post(PAGE, { address: 'Direction des finances, 3 quai du Canal', postcode: '33000', commune: 'Bordeaux', siret: '' });
    expect(changed.headers.location).toBe(`${PAGE}?ok=adresse`);
    expect(await storedDetails()).toEqual([
      { organisation_id: world.funderA.funder.id, address: 'Direction des finances, 3 quai du Canal', postcode: '33000', commune: 'Bordeaux', siret: null, updated_at: t.clock.now() },
    ]);
    expect((await billingEvents()).at(-1)).toEqual({
      actor_user_id: world.funderA.funderAdmin.id,
      actor_organisation_id: world.funderA.funder.id,
      subject_type: 'organisation',
      subject_id: world.funderA.funder.id,
      before: { address: '2 rue du Port', postcode: '33074', commune: 'Bordeaux Cedex', siret: '22330099700010' },
      after: { address: 'Direction des finances, 3 quai du Canal', postcode: '33000', commune: 'Bordeaux', siret: null },
    });
    // April's invoice, already issued, keeps the address it was issued with.
    const april = await pdfLines(await client.get(funderPdf(aprilA.id)), dir, 'april-again.pdf');
    const atApril = april.indexOf(world.funderA.funder.name);
    expect(april.slice(atApril + 1, atApril + 4)).toEqual(['2 rue du Port', '33074 Bordeaux Cedex', 'SIRET : 22330099700010']);
    // May's, issued after the change, prints the new address alone, without a SIRET.
    monthsLater('2026-05-06T08:00:00Z');
    await world.redeem(world.lac, [world.code(world.a1, 3)], '2026-05-06');
    monthsLater('2026-06-05T22:00:00Z');
    const may = (await issueFunderInvoices(t.ctx, '2026-05')).issued.find((i) => i.funderId === world.funderA.funder.id)!;
    const lines = await pdfLines(await (await admin()).get(funderPdf(may.id)), dir, 'no-siret.pdf');
    const at = lines.indexOf(world.funderA.funder.name);
    expect(lines.slice(at + 1, at + 4)).toEqual(['Direction des finances, 3 quai du Canal', '33000 Bordeaux', '']);
    expect(lines.join('\n').match(/SIRET :/gu)).toHaveLength(1);
  });

  it('is refused by the domain for an organisation that is not a funder', async () => {
    const provider = world.lac.provider;
    await expect(saveFunderBillingDetails(t.ctx, provider.actor, provider.organisation.id, VALID)).rejects.toMatchObject({ code: 'organisation_unknown' });
    expect(await t.ctx.db.selectFrom('funder_billing_details').select('organisation_id').where('organisation_id', '=', provider.organisation.id).execute()).toEqual([]);
  });
});
