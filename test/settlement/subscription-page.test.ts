import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import { settleMonth } from '../../src/domains/settlement/settle-month.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD } from '../support/fixtures.js';
import { pdfLines } from '../support/pdf-answer.js';
import { createFunder, type TestFunder } from '../support/voucher-fixtures.js';
import { WebClient } from '../support/web-client.js';
import { IBANS, at, createPaidProvider, createPurse, scan, type PaidProvider, type VoucherPurse } from './fixtures.js';

/** The « Abonnement » section of /structure/paiements and its form (POST /structure/paiements/abonnement). */

const FORM = '/structure/paiements/abonnement';

let t: TestApp;
let lieu: PaidProvider;
let funder: TestFunder;
let purse: VoucherPurse;

beforeAll(async () => {
  t = await createTestApp({ rateLimits: { signIn: { max: 100, windowMs: 60_000 }, signInPerAccount: { max: 50, windowMs: 60_000 }, passwordReset: { max: 5, windowMs: 60_000 } } });
  purse = await createPurse(t.ctx);
  funder = await createFunder(t.ctx);
  lieu = await createPaidProvider(t.ctx, 'Médiathèque des Abonnés', 'bordeaux', { iban: IBANS[0], bic: null });
});
afterAll(async () => t.close());

/** A browser signed in now (sessions expire: the clock moves by months in this file). */
async function signedIn(email: string): Promise<WebClient> {
  const client = new WebClient(t.app);
  await client.signIn(email, PASSWORD);
  return client;
}

/** Signed in, on the payments page (so that the client holds its CSRF token). */
async function onPaymentsPage(email: string): Promise<{ client: WebClient; body: string }> {
  const client = await signedIn(email);
  const page = await client.get('/structure/paiements');
  expect(page.statusCode).toBe(200);
  return { client, body: flat(page.body) };
}

const flat = (body: string) => body.replace(/\s+/gu, ' ');

async function subscriptions() {
  return t.ctx.db.selectFrom('provider_subscriptions').select(['provider_id', 'plan', 'started_on']).execute();
}

async function planEvents() {
  return t.ctx.db.selectFrom('audit_events').select(['actor_user_id', 'actor_organisation_id', 'subject_id', 'before', 'after']).where('action', '=', 'subscription.plan_chosen').orderBy('id').execute();
}

describe('who may choose the plan', () => {
  it('asks to sign in (401)', async () => {
    const anonymous = new WebClient(t.app);
    expect((await anonymous.get('/structure/paiements')).statusCode).toBe(401);
    expect((await anonymous.post(FORM, { plan: 'yearly' }, { csrf: null })).statusCode).toBe(401);
  });

  it('refuses a funder, a provider member, and a form without its CSRF token (403)', async () => {
    const funderAdmin = await signedIn(funder.funderAdmin.email);
    expect((await funderAdmin.post(FORM, { plan: 'yearly' })).statusCode).toBe(403);
    const { client: member } = await onPaymentsPage(lieu.provider.member.email);
    expect((await member.post(FORM, { plan: 'yearly' })).statusCode).toBe(403);
    const { client: admin } = await onPaymentsPage(lieu.provider.admin.email);
    expect((await admin.post(FORM, { plan: 'yearly' }, { csrf: null })).statusCode).toBe(403);
    expect((await admin.post(FORM, { plan: 'yearly' }, { csrf: 'pas-un-jeton' })).statusCode).toBe(403);
    expect(await subscriptions()).toEqual([]);
    expect(await planEvents()).toEqual([]);
  });
});

describe('before the first scan', () => {
  it('explains the plans before the first scan and lets an admin choose ahead; the default plan again writes nothing', async () => {
    const { client: admin, body } = await onPaymentsPage(lieu.provider.admin.email);
    expect(body).toContain('<h2 id="abonnement">Abonnement</h2>');
    expect(body).toContain('L’abonnement à la plateforme commence avec votre premier chèque encaissé. Le mois de ce premier chèque est offert');
    expect(body).toContain('<dt>Formule</dt><dd>Formule mensuelle (7 € HT par mois, soit 8,40 € TTC), à partir de la première période facturée</dd>');
    expect(body).toContain('Formule mensuelle : 7 € HT par mois, soit 8,40 € TTC');
    expect(body).toContain('Formule annuelle : 77 € HT par an, soit 92,40 € TTC');
    expect(body).toContain(`action="${FORM}"`);
    expect(body).toContain('Votre choix s’applique dès la première période facturée');
    expect(body).toContain('value="monthly" checked>');
    const same = await admin.post(FORM, { plan: 'monthly' });
    expect(same.statusCode).toBe(303);
    expect(same.headers.location).toBe('/structure/paiements?ok=abonnement-inchange#abonnement');
    expect(await subscriptions()).toEqual([]);
    expect(await planEvents()).toEqual([]);
  });
});

describe('choosing the plan', () => {
  it('refuses a missing or unknown plan (400), the form shown again with its error', async () => {
    at(t.clock, '2026-03-10T10:00:00Z');
    await scan(t.ctx, lieu, 'bordeaux', await purse.take(1));
    const { client: admin } = await onPaymentsPage(lieu.provider.admin.email);
    for (const form of [{ plan: 'weekly' }, {}]) {
      const response = await admin.post(FORM, form);
      expect(response.statusCode).toBe(400);
      const body = flat(response.body);
      expect(body).toContain('<h2 id="error-summary-title">Il y a un problème</h2>');
      expect(body).toContain('<a href="#plan">Choisissez la formule mensuelle ou annuelle</a>');
      expect(body).toContain('<fieldset class="field field-error" id="plan"');
    }
    expect(await subscriptions()).toEqual([]);
    expect(await planEvents()).toEqual([]);
  });

  it('records an admin’s choice from the first scan on, and shows it', async () => {
    at(t.clock, '2026-03-12T10:00:00Z');
    const { client: admin, body } = await onPaymentsPage(lieu.provider.admin.email);
    // Started at the first scan (no settlement yet): monthly by default, March free, April next.
    expect(body).toContain('<dt>Formule</dt><dd>Formule mensuelle (7 € HT par mois, soit 8,40 € TTC)</dd>');
    expect(body).toContain('<dt>Début de l’abonnement</dt><dd>10 mars 2026, date du service de votre premier chèque encaissé</dd>');
    expect(body).toContain('<dt>Premier mois offert</dt><dd>mars 2026</dd>');
    expect(body).toContain('Période du 1er avril 2026 au 30 avril 2026, formule mensuelle : 7 € HT + 1,40 € de TVA = <strong>8,40 € TTC</strong>');
    expect(body).toContain('Aucune facture pour l’instant : le premier mois est offert.');
    expect(body).toContain('value="monthly" checked>');
    expect(body).toContain('qui commence le 1er avril 2026');

    const chosen = await admin.post(FORM, { plan: 'yearly' });
    expect(chosen.statusCode).toBe(303);
    expect(chosen.headers.location).toBe('/structure/paiements?ok=abonnement#abonnement');
    const after = flat((await admin.get('/structure/paiements?ok=abonnement')).body);
    expect(after).toContain('La formule de l’abonnement est enregistrée');
    expect(after).toContain('<dt>Formule</dt><dd>Formule annuelle (77 € HT par an, soit 92,40 € TTC)</dd>');
    expect(after).toContain('Période du 1er avril 2026 au 31 mars 2027, formule annuelle : 77 € HT + 15,40 € de TVA = <strong>92,40 € TTC</strong>');
    expect(after).toContain('value="yearly" checked>');
    expect(await subscriptions()).toEqual([{ provider_id: lieu.provider.organisation.id, plan: 'yearly', started_on: '2026-03-10' }]);
    expect(await planEvents()).toEqual([
      {
        actor_user_id: lieu.provider.admin.id,
        actor_organisation_id: lieu.provider.organisation.id,
        subject_id: lieu.provider.organisation.id,
        before: { plan: 'monthly' },
        after: { plan: 'yearly', appliesFrom: '2026-04-01' },
      },
    ]);

    // The same choice again changes nothing, and says so.
    const again = await admin.post(FORM, { plan: 'yearly' });
    expect(again.headers.location).toBe('/structure/paiements?ok=abonnement-inchange#abonnement');
    expect(await planEvents()).toHaveLength(1);
  });

  it('shows a member the plan without the form', async () => {
    const { body } = await onPaymentsPage(lieu.provider.member.email);
    expect(body).toContain('<dt>Formule</dt><dd>Formule annuelle (77 € HT par an, soit 92,40 € TTC)</dd>');
    expect(body).not.toContain(`action="${FORM}"`);
    expect(body).toContain('Seuls les administrateurs et administratrices de la structure peuvent changer la formule de l’abonnement.');
  });
});

describe('once the year is invoiced', () => {
  it('lists the invoice, and a change waits for the end of the year', async () => {
    at(t.clock, '2026-04-07T08:00:00Z');
    await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-03' });
    at(t.clock, '2026-04-15T10:00:00Z');
    for (const count of [3, 3, 3, 1]) await scan(t.ctx, lieu, 'bordeaux', await purse.take(count));
    at(t.clock, '2026-05-06T08:00:00Z');
    await settleMonth(t.ctx, SYSTEM_ACTOR, { month: '2026-04' });
    const invoice = await t.ctx.db.selectFrom('subscription_invoices').select(['id', 'number', 'paid_by_payout_id']).executeTakeFirstOrThrow();
    const payout = await t.ctx.db.selectFrom('payouts').select('statement_number').where('id', '=', invoice.paid_by_payout_id).executeTakeFirstOrThrow();

    at(t.clock, '2026-05-20T10:00:00Z');
    const { client: admin, body } = await onPaymentsPage(lieu.provider.admin.email);
    expect(body).toContain('<caption>Factures d’abonnement (1)</caption>');
    expect(body).toContain(
      `<th scope="row"><a href="/structure/paiements/factures/${invoice.id}/facture.pdf" download>Facture ${invoice.number} (PDF)</a></th> <td>du 1er avril 2026 au 31 mars 2027</td> <td>annuelle</td> <td>77 €</td> <td>15,40 €</td> <td>92,40 €</td> <td>Déduite du virement du relevé ${payout.statement_number}</td>`,
    );
    expect(body).toContain(`<dt>Période en cours</dt><dd>du 1er avril 2026 au 31 mars 2027, formule annuelle, facture ${invoice.number} (déjà facturée : ni modifiable ni remboursable)</dd>`);
    // Its PDF, as the settlement wrote it: the year's price, the VAT at the settlement's rate, the deduction.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'passnum-subscription-'));
    try {
      const pdf = (await pdfLines(await admin.get(`/structure/paiements/factures/${invoice.id}/facture.pdf`), dir, 'yearly.pdf')).join('\n');
      expect(pdf).toContain(`N° ${invoice.number}`);
      expect(pdf).toContain('Période du 1er avril 2026 au 31 mars 2027');
      expect(pdf).toMatch(/Abonnement Formule annuelle 1 77,00 € 77,00 €/u);
      expect(pdf).toMatch(/TVA 20 % 15,40 €/u);
      expect(pdf).toMatch(/Total TTC 92,40 €/u);
      expect(pdf).toContain(`remboursement du relevé ${payout.statement_number} (services d'avril 2026)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(body).toContain('Période du 1er avril 2027 au 31 mars 2028, formule annuelle');
    expect(body).toContain('qui commence le 1er avril 2027');

    expect((await admin.post(FORM, { plan: 'monthly' })).statusCode).toBe(303);
    const after = flat((await admin.get('/structure/paiements')).body);
    expect(after).toContain('<dt>Formule</dt><dd>Formule annuelle jusqu’au 31 mars 2027, puis formule mensuelle (7 € HT par mois, soit 8,40 € TTC)</dd>');
    expect(after).toContain('Période du 1er avril 2027 au 30 avril 2027, formule mensuelle : 7 € HT + 1,40 € de TVA = <strong>8,40 € TTC</strong>');
    expect((await planEvents()).at(-1)).toMatchObject({ before: { plan: 'yearly' }, after: { plan: 'monthly', appliesFrom: '2027-04-01' } });
    // Nothing invoiced or refunded by the change.
    expect(await t.ctx.db.selectFrom('subscription_invoices').select('number').execute()).toEqual([{ number: invoice.number }]);
  });
});
