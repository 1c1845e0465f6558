import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRIES_CSV_COLUMNS, FEC_COLUMNS, exportFec } from '../../src/domains/exports/fec.js';
import { createTestApp, MANY_SIGN_INS, type TestApp } from '../support/app.js';
import { PASSWORD, createOrganisation, createPerson } from '../support/fixtures.js';
import { expectSoundLedger } from '../support/ledger.js';
import { buildMoneyWorld, moveClock, type MoneyWorld } from '../support/payout-fixtures.js';
import { SignedInClients, WebClient } from '../support/web-client.js';

let t: TestApp;
let world: MoneyWorld;
const OPERATOR_ADMIN = 'compta-admin@operateur.test';
const OPERATOR_MEMBER = 'compta-agent@operateur.test';
const SIRET = '12345678900017';

beforeAll(async () => {
  t = await createTestApp({
    rateLimits: MANY_SIGN_INS,
    platform: { name: 'passnum', address: '1 rue de la Paix, 75002 Paris', siret: SIRET, email: 'contact@passnum.test', vatNumber: null },
  });
  const operator = await createOrganisation(t.ctx, 'operator', 'Opérateur');
  await createPerson(t.ctx, OPERATOR_ADMIN, [[operator.id, 'admin']]);
  await createPerson(t.ctx, OPERATOR_MEMBER, [[operator.id, 'member']]);
  // Two funders billed on use, their vouchers used in March and April 2026; the clock on 3 April.
  world = await buildMoneyWorld(t);
  await t.ctx.db.updateTable('organisations').set({ name: 'Commune <A>' }).where('id', '=', world.funderA.funder.id).execute();
  moveTo('2026-04-06T07:00:00Z');
});
afterAll(() => t.close());

const clients = new SignedInClients(() => t.app);

/** Moves the clock; sessions last 12 hours, so everyone signs in again. */
function moveTo(instant: string): void {
  moveClock(t.clock, instant);
  clients.forget();
}
async function as(email: string): Promise<WebClient> {
  const client = await clients.as(email);
  await client.get('/operateur/comptabilite');
  return client;
}

async function invoices() {
  return t.ctx.db.selectFrom('funder_invoices').select(['id', 'funder_id', 'number', 'amount_cents']).orderBy('number').execute();
}

async function paymentEntries() {
  return t.ctx.db.selectFrom('journal_entries').select(['seq', 'piece_ref', 'journal', 'booked_on']).where('kind', '=', 'funder_payment').orderBy('seq').execute();
}

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const PROTECTED = [
  { method: 'GET', url: '/operateur/comptabilite', admin: false },
  { method: 'GET', url: '/operateur/comptabilite/fec?annee=2026', admin: false },
  { method: 'GET', url: '/operateur/comptabilite/ecritures?du=2026-01-01&au=2026-12-31', admin: false },
  { method: 'GET', url: '/operateur/comptabilite/factures', admin: false },
  { method: 'POST', url: '/operateur/comptabilite/factures', admin: true },
  { method: 'GET', url: `/operateur/comptabilite/factures/${UNKNOWN}`, admin: false },
  { method: 'GET', url: `/operateur/comptabilite/factures/${UNKNOWN}/facture.pdf`, admin: false },
  { method: 'POST', url: `/operateur/comptabilite/factures/${UNKNOWN}/reglement`, admin: true },
] as const;

describe('operator accounting pages: who may open them', () => {
  it.each(PROTECTED)('$method $url asks an anonymous visitor to sign in (401)', async ({ method, url }) => {
    const client = new WebClient(t.app);
    await client.get('/connexion');
    const response = method === 'GET' ? await client.get(url) : await client.post(url, { month: '2026-03', reference: 'VIR-1' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-disposition']).toBeUndefined();
  });

  it.each(PROTECTED)('$method $url is refused (403) to a funder', async ({ method, url }) => {
    const client = new WebClient(t.app);
    await client.signIn(world.funderA.funderAdmin.email, PASSWORD);
    await client.get('/espace');
    const response = method === 'GET' ? await client.get(url) : await client.post(url, { month: '2026-03', reference: 'VIR-1' });
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-disposition']).toBeUndefined();
  });

  it.each(PROTECTED.filter((p) => p.admin))('$method $url is refused (403) to an operator who is not an admin', async ({ url }) => {
    const client = await as(OPERATOR_MEMBER);
    expect((await client.post(url, { month: '2026-03', reference: 'VIR-1' })).statusCode).toBe(403);
    expect(await invoices()).toEqual([]);
  });

  it('refuses a form without its CSRF token, and issues nothing', async () => {
    const client = await as(OPERATOR_ADMIN);
    const response = await client.post('/operateur/comptabilite/factures', { month: '2026-03' }, { csrf: null });
    expect(response.statusCode).toBe(403);
    expect(await invoices()).toEqual([]);
  });

  it('links the accounting page from the operator’s navigation, and shows it to a member', async () => {
    const client = await as(OPERATOR_MEMBER);
    const page = await client.get('/operateur/comptabilite');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Comptabilité</h1>');
    expect(page.body).toContain('<a href="/operateur/comptabilite" aria-current="page">Comptabilité</a>');
    const settlements = await client.get('/operateur/reglements');
    expect(settlements.body).toContain('<a href="/operateur/comptabilite">Comptabilité</a>');
    // The funder's navigation has no such link.
    const funder = new WebClient(t.app);
    await funder.signIn(world.funderA.funderAdmin.email, PASSWORD);
    expect((await funder.get('/espace')).body).not.toContain('/operateur/comptabilite');
  });
});

describe('the accounting exports', () => {
  it('proposes the current year and this year’s period, explains a wrong year or period next to its field', async () => {
    const client = await as(OPERATOR_MEMBER);
    const page = await client.get('/operateur/comptabilite');
    expect(page.body).toMatch(/<form method="get" action="\/operateur\/comptabilite\/fec" novalidate>/u);
    expect(page.body).toMatch(/<label for="annee">Exercice \(année civile\)<\/label>/u);
    expect(page.body).toContain('id="annee" name="annee" type="text" value="2026"');
    expect(page.body).toContain('id="du" name="du" type="date" value="2026-01-01"');
    expect(page.body).toContain('id="au" name="au" type="date" value="2026-04-06"');

    for (const [year, message] of [
      ['abc', 'Indiquez une année sur quatre chiffres, par exemple 2026'],
      ['1999', 'Indiquez une année entre 2000 et 2026'],
      ['2027', 'Indiquez une année entre 2000 et 2026'],
    ] as const) {
      const wrong = await client.get(`/operateur/comptabilite/fec?annee=${year}`);
      expect(wrong.statusCode, year).toBe(400);
      expect(wrong.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(wrong.headers['content-disposition']).toBeUndefined();
      expect(wrong.body).toContain('<title>Erreur : Comptabilité – passnum</title>');
      expect(wrong.body).toContain(`<li><a href="#annee">${message}</a></li>`);
      expect(wrong.body).toContain(`<span class="visually-hidden">Erreur : </span>${message}`);
      expect(wrong.body).toContain(`value="${year}"`);
    }
    const missing = await client.get('/operateur/comptabilite/fec');
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('<a href="#annee">Indiquez l’année de l’exercice</a>');
    const escaped = await client.get('/operateur/comptabilite/fec?annee=%22%3E%3Cscript%3E');
    expect(escaped.statusCode).toBe(400);
    expect(escaped.body).not.toContain('"><script>');
    expect(escaped.body).toContain('value="&quot;&gt;&lt;script&gt;"');

    const badDay = await client.get('/operateur/comptabilite/ecritures?du=2026-02-30&au=2026-03-31');
    expect(badDay.statusCode).toBe(400);
    expect(badDay.body).toContain('<a href="#du">Indiquez la date de début au format AAAA-MM-JJ, par exemple 2026-03-31</a>');
    expect(badDay.body).not.toContain('href="#au"');
    const reversed = await client.get('/operateur/comptabilite/ecritures?du=2026-03-31&au=2026-03-01');
    expect(reversed.statusCode).toBe(400);
    expect(reversed.body).toContain('<a href="#au">Indiquez une date de fin égale ou postérieure à la date de début</a>');
    expect(reversed.body).toContain('value="2026-03-31"');
    const none = await client.get('/operateur/comptabilite/ecritures');
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('<a href="#du">Indiquez la date de début</a>');
    expect(none.body).toContain('<a href="#au">Indiquez la date de fin</a>');
  });

  it('downloads the FEC of a year: its legal name, the 18 columns, every line of the ledger, the same bytes as the command', async () => {
    const client = await as(OPERATOR_MEMBER);
    const response = await client.get('/operateur/comptabilite/fec?annee=2026');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="123456789FEC20261231.txt"');
    expect(response.headers['cache-control']).toBe('no-store');

    const text = response.rawPayload.toString('utf8');
    const records = text.split('\r\n');
    expect(records.pop()).toBe('');
    expect(records[0]!.split('\t')).toEqual([...FEC_COLUMNS]);
    expect(records[0]!.split('\t')).toHaveLength(18);
    const lines = records.slice(1).map((record) => record.split('\t'));
    for (const fields of lines) expect(fields).toHaveLength(18);
    const postings = await t.ctx.db
      .selectFrom('postings as p')
      .innerJoin('journal_entries as e', 'e.seq', 'p.entry_seq')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.count<number>('e.seq').distinct().as('entries')])
      .where('e.booked_on', '>=', '2026-01-01')
      .where('e.booked_on', '<=', '2026-12-31')
      .executeTakeFirstOrThrow();
    expect(postings.n).toBeGreaterThan(0);
    expect(lines).toHaveLength(Number(postings.n));
    expect(new Set(lines.map((fields) => fields[2])).size).toBe(Number(postings.entries));
    // Debit and credit balance over the file.
    const cents = (amount: string) => Number(amount.replace(',', ''));
    expect(lines.reduce((sum, fields) => sum + cents(fields[11]!) - cents(fields[12]!), 0)).toBe(0);
    // The funder's name, as it is, in the auxiliary account label (a file, not HTML).
    expect(text).toContain('Commune <A>');

    // The same bytes as the command writes.
    const chunks: Buffer[] = [];
    const direct = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(Buffer.from(chunk));
        done();
      },
    });
    const summary = await exportFec(t.ctx.db, { year: 2026, siret: SIRET }, direct);
    expect(response.rawPayload.equals(Buffer.concat(chunks))).toBe(true);
    expect(summary.lines).toBe(lines.length);

    // A year without entries: the header alone.
    const empty = await client.get('/operateur/comptabilite/fec?annee=2025');
    expect(empty.statusCode).toBe(200);
    expect(empty.headers['content-disposition']).toBe('attachment; filename="123456789FEC20251231.txt"');
    expect(empty.body).toBe(`${FEC_COLUMNS.join('\t')}\r\n`);
  });

  it('downloads the entries of a period as CSV, one row per posting', async () => {
    const client = await as(OPERATOR_MEMBER);
    const response = await client.get('/operateur/comptabilite/ecritures?du=2026-03-01&au=2026-03-31');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe('attachment; filename="ecritures-2026-03-01-au-2026-03-31.csv"');
    const rows = parse(response.body) as string[][];
    expect(rows[0]).toEqual([...ENTRIES_CSV_COLUMNS]);
    const march = await t.ctx.db
      .selectFrom('postings as p')
      .innerJoin('journal_entries as e', 'e.seq', 'p.entry_seq')
      .select(['e.seq', 'e.booked_on'])
      .where('e.booked_on', '>=', '2026-03-01')
      .where('e.booked_on', '<=', '2026-03-31')
      .orderBy('e.booked_on')
      .orderBy('e.seq')
      .orderBy('p.line')
      .execute();
    expect(march.length).toBeGreaterThan(0);
    expect(rows.slice(1).map((row) => [Number(row[0]), row[1]])).toEqual(march.map((row) => [row.seq, row.booked_on]));
  });

  it('stops writing when the output is closed before the end, instead of waiting for it', async () => {
    // A reader that never reads: the first full buffer waits for a drain that never comes.
    const stuck = new Writable({ highWaterMark: 16, write() {} });
    const running = exportFec(t.ctx.db, { year: 2026, siret: SIRET }, stuck);
    setTimeout(() => stuck.destroy(), 50);
    await expect(running).rejects.toThrow('closed before the end');
    await expect(exportFec(t.ctx.db, { year: 2026, siret: SIRET }, stuck)).rejects.toThrow('closed before the end');
  });
});

describe('the funders’ invoices', () => {
  it('refuses to issue a month whose scans are still open, next to the field', async () => {
    moveTo('2026-04-05T21:00:00Z');
    const client = await as(OPERATOR_ADMIN);
    const page = await client.get('/operateur/comptabilite/factures');
    expect(page.body).toContain('<h1>Factures des financeurs</h1>');
    expect(page.body).toContain('id="month" name="month" type="text" value="2026-03"');
    expect(page.body).toContain('<caption>Factures (0)</caption>');

    const wrong = await client.post('/operateur/comptabilite/factures', { month: '2026-3' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('<a href="#month">Indiquez un mois au format AAAA-MM, par exemple 2026-10</a>');
    const early = await client.post('/operateur/comptabilite/factures', { month: '2026-03' });
    expect(early.statusCode).toBe(409);
    expect(early.body).toContain('href="#month"');
    expect(early.body).toContain('jour de grâce');
    expect(await invoices()).toEqual([]);
  });

  it('issues the invoices of a month once, and lists them with their payment state', async () => {
    moveTo('2026-04-06T07:00:00Z');
    const client = await as(OPERATOR_ADMIN);
    const issued = await client.post('/operateur/comptabilite/factures', { month: '2026-03' });
    expect(issued.statusCode).toBe(303);
    expect(issued.headers.location).toBe('/operateur/comptabilite/factures?ok=emises');
    expect(await invoices()).toHaveLength(2);
    const again = await client.post('/operateur/comptabilite/factures', { month: '2026-03' });
    expect(again.headers.location).toBe('/operateur/comptabilite/factures?ok=deja');
    expect(await invoices()).toHaveLength(2);

    const list = await client.get('/operateur/comptabilite/factures?ok=deja');
    expect(list.body).toContain('Les factures de ce mois étaient déjà émises');
    expect(list.body).toContain('<caption>Factures (2)</caption>');
    expect(list.body).toContain('2 factures en attente de règlement, pour 50 €.');
    expect(list.body).toContain('Commune &lt;A&gt;');
    expect(list.body).not.toContain('Commune <A>');
    for (const invoice of await invoices()) expect(list.body).toContain(`<a href="/operateur/comptabilite/factures/${invoice.id}">${invoice.number}</a>`);
    expect(list.body.match(/<td>À régler<\/td>/gu)).toHaveLength(2);
    expect(list.body).toContain('<td>mars 2026</td>');

    const overview = await client.get('/operateur/comptabilite');
    expect(overview.body).toContain('2 factures à l’usage en attente de règlement, pour 50 €.');
  });

  it('shows a member the invoices without the forms', async () => {
    const client = await as(OPERATOR_MEMBER);
    const list = await client.get('/operateur/comptabilite/factures');
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain('Émettre les factures');
    const [invoice] = await invoices();
    const page = await client.get(`/operateur/comptabilite/factures/${invoice!.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<h1>Facture ${invoice!.number}</h1>`);
    expect(page.body).not.toContain('Enregistrer le règlement');
    const pdf = await client.get(`/operateur/comptabilite/factures/${invoice!.id}/facture.pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toBe(`attachment; filename="facture-${invoice!.number}.pdf"`);
    expect(pdf.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('records a funder’s payment with its bank reference: the ledger entry, once; a second record is refused', async () => {
    moveTo('2026-04-20T09:00:00Z');
    const client = await as(OPERATOR_ADMIN);
    const invoiceA = (await invoices()).find((invoice) => invoice.funder_id === world.funderA.funder.id)!;
    const url = `/operateur/comptabilite/factures/${invoiceA.id}`;
    const page = await client.get(url);
    expect(page.body).toContain('<h2>Enregistrer le règlement</h2>');
    expect(page.body).toMatch(/<label for="reference">Référence du virement reçu<\/label>/u);
    expect(page.body).toContain('Enregistrer le règlement de 40 €');
    expect(page.body).toContain('EJ-2026-001');

    const blank = await client.post(`${url}/reglement`, { reference: '   ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.body).toContain('<title>Erreur : Facture');
    expect(blank.body).toContain('<a href="#reference">Indiquez la référence du virement reçu, telle que le relevé bancaire la donne</a>');
    const long = await client.post(`${url}/reglement`, { reference: 'x'.repeat(101) });
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('La référence fait au plus 100 caractères');
    expect(await paymentEntries()).toEqual([]);

    const paid = await client.post(`${url}/reglement`, { reference: ' VIR <2026-0415> ' });
    expect(paid.statusCode).toBe(303);
    expect(paid.headers.location).toBe(`${url}?ok=regle`);
    const entries = await paymentEntries();
    expect(entries).toEqual([{ seq: expect.any(Number), piece_ref: invoiceA.number, journal: 'BQ', booked_on: '2026-04-20' }]);
    const postings = await t.ctx.db
      .selectFrom('postings')
      .innerJoin('ledger_accounts', 'ledger_accounts.id', 'postings.account_id')
      .select(['ledger_accounts.kind', 'ledger_accounts.organisation_id', 'postings.amount_cents'])
      .where('postings.entry_seq', '=', entries[0]!.seq)
      .orderBy('postings.line')
      .execute();
    expect(postings).toEqual([
      { kind: 'bank', organisation_id: null, amount_cents: 4000 },
      { kind: 'funder_balance', organisation_id: world.funderA.funder.id, amount_cents: -4000 },
    ]);
    const audit = await t.ctx.db.selectFrom('audit_events').select(['actor_user_id', 'after']).where('action', '=', 'funder_invoice.paid').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_user_id).not.toBeNull();
    expect(audit[0]!.after).toMatchObject({ reference: 'VIR <2026-0415>', number: invoiceA.number });

    const after = await client.get(paid.headers.location as string);
    expect(after.body).toContain('Le règlement est enregistré');
    expect(after.body).toContain('Réglée le 20 avril 2026, virement VIR &lt;2026-0415&gt;');
    expect(after.body).not.toContain('<h2>Enregistrer le règlement</h2>');

    const twice = await client.post(`${url}/reglement`, { reference: 'VIR-2026-0416' });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('Le règlement de cette facture est déjà enregistré.');
    expect(await paymentEntries()).toHaveLength(1);

    const unpaid = await client.get('/operateur/comptabilite/factures?statut=a-regler');
    expect(unpaid.body).toContain('<caption>Factures à régler (1)</caption>');
    expect(unpaid.body).not.toContain(invoiceA.number);
    expect(unpaid.body).toContain('1 facture en attente de règlement, pour 10 €.');
    const settled = await client.get('/operateur/comptabilite/factures?statut=reglees');
    expect(settled.body).toContain('<caption>Factures réglées (1)</caption>');
    expect(settled.body).toContain(invoiceA.number);
    expect(settled.body).toContain('<option value="reglees" selected>Réglées</option>');

    // The payment is in the year's FEC, on the bank journal.
    const fec = await client.get('/operateur/comptabilite/fec?annee=2026');
    const bank = fec.body.split('\r\n').filter((record) => record.startsWith('BQ\t'));
    expect(bank).toHaveLength(2);
    expect(bank.every((record) => record.split('\t')[8] === invoiceA.number)).toBe(true);
    await expectSoundLedger(t.ctx);
  });

  it('answers 404 for an invoice that does not exist', async () => {
    const client = await as(OPERATOR_ADMIN);
    expect((await client.get(`/operateur/comptabilite/factures/${UNKNOWN}`)).statusCode).toBe(404);
    expect((await client.get('/operateur/comptabilite/factures/pas-un-id')).statusCode).toBe(404);
    expect((await client.post(`/operateur/comptabilite/factures/${UNKNOWN}/reglement`, { reference: 'VIR-1' })).statusCode).toBe(404);
    expect(await paymentEntries()).toHaveLength(1);
  });
});
