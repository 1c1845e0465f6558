import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { DemoWorld } from '../src/cli/demo-world.js';
import { formatEuros } from '../src/domains/places/catalogue.js';
import { listSettlements } from '../src/domains/settlement/settlement-views.js';
import { funderMonthlyStatement, listProviderPayouts, nextTransfer, PAYOUT_STATUS_LABELS, type PayoutSummary } from '../src/domains/settlement/statements.js';
import { FEC_COLUMNS } from '../src/domains/exports/fec.js';
import { runExpiry } from '../src/domains/expiry/expire-orders.js';
import { issueOrder } from '../src/domains/vouchers/issue-vouchers.js';
import { orderForm } from '../src/domains/vouchers/order-model.js';
import { commitOrder, confirmOrder, saveDraftOrder } from '../src/domains/vouchers/orders.js';
import { addDays, formatLongDate, formatMonth, ofMonth, parisDay } from '../src/lib/paris-dates.js';
import { formatCents } from '../src/print/pdf-kit.js';
import { MODES, closeContexts, heading, launchBrowser, mainText, newPage, pathOf } from './support/browser.js';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, startDemoServer } from './support/demo.js';
import { follow, send, squash, visit } from './support/forms.js';
import { PAIN_001_XSD, downloadFrom, validateXml } from './support/money.js';
import { pdfPages } from './support/pdf.js';
import type { RunningServer } from './support/server.js';
import { navigate, signIn } from './support/vouchers.js';

/**
 * The money of the demo world (`npm start`), in a real Chromium, with and without JavaScript:
 * the demo holds two settled months (src/cli/demo-money.ts). The place sees its next transfer and
 * downloads the statement of its last payout; the operator downloads the month's SEPA file
 * (pain.001.001.09, valid against the ISO 20022 schema), sees the month before paid, and downloads
 * the FEC of the year; the
 * funder downloads its invoice of the month (with the billing address of /financeur/facturation)
 * and a monthly statement, and confirms the J-15 notice of an order ending in 14 days
 * (made for each mode, the day's expiry run done); the operator lists the funders' invoices. Every
 * page on the way is checked with axe-core. The demo world's months are not changed: both modes see them.
 */

let browser: Browser;
let server: RunningServer;
let world: DemoWorld;
let downloads: string;
let providerId: string;
let funderId: string;
/** The demo place's payouts, the older settled month first. */
let payouts: PayoutSummary[];

beforeAll(async () => {
  browser = await launchBrowser();
  ({ server, world } = await startDemoServer());
  downloads = await mkdtemp(path.join(os.tmpdir(), 'passnum-e2e-money-'));
  const organisationOf = async (email: string) =>
    (
      await server.ctx.db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select('memberships.organisation_id')
        .where('users.email', '=', email)
        .orderBy('memberships.role')
        .executeTakeFirstOrThrow()
    ).organisation_id;
  providerId = await organisationOf(DEMO_ACCOUNTS.provider);
  funderId = await organisationOf(DEMO_ACCOUNTS.funder);
  payouts = (await listProviderPayouts(server.ctx, providerId)).sort((a, b) => a.month.localeCompare(b.month));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (downloads) await rm(downloads, { recursive: true, force: true });
});

describe('the demo world', () => {
  test('holds two settled months: the older one paid, the newer one waiting to be sent to the bank', () => {
    const [older, newer] = world.settledMonths;
    expect(payouts.map((p) => [p.month, p.status])).toEqual([
      [`${older}-01`, 'settled'],
      [`${newer}-01`, 'file_generated'],
    ]);
  });
});

describe.each(MODES)('$name', (mode) => {
  const open = () => newPage(browser, mode);
  afterEach(() => closeContexts(browser));

  test('le lieu voit la date et le montant de son prochain virement, et télécharge le relevé de son dernier virement', async () => {
    const page = await open();
    await signIn(page, server.baseUrl, DEMO_ACCOUNTS.provider, DEMO_PASSWORD);
    await navigate(page, 'Paiements et relevés');
    expect(pathOf(page)).toBe('/structure/paiements');
    expect(await heading(page)).toBe('Paiements et relevés');

    // The next transfer, as the settlement will count it: scans not paid yet.
    const next = await nextTransfer(server.ctx, providerId, new Date());
    expect(next.netCents).toBeGreaterThan(0);
    const section = squash(await page.getByRole('region', { name: 'Prochain virement' }).innerText());
    expect(section).toContain(`Prévu le ${formatLongDate(next.expectedOn)}, pour les services ${ofMonth(next.month)}`);
    expect(section).toContain(`Montant connu à ce jour ${squash(formatEuros(next.netCents))}`);

    // The two payouts: the older executed, the newer in the bank file.
    const table = page.getByRole('table', { name: 'Virements (2)' });
    const [older, newer] = payouts as [PayoutSummary, PayoutSummary];
    expect(squash(await table.getByRole('row', { name: new RegExp(`^${formatMonth(older.month)}`, 'u') }).innerText())).toContain(
      `${squash(formatEuros(older.netCents))} ${PAYOUT_STATUS_LABELS.settled}`,
    );
    expect(squash(await table.getByRole('row', { name: new RegExp(`^${formatMonth(newer.month)}`, 'u') }).innerText())).toContain(PAYOUT_STATUS_LABELS.file_generated);

    // The statement of the newer payout, as a PDF: its number and its month in the text.
    const link = table.getByRole('link', { name: `Relevé ${newer.statementNumber} des services ${ofMonth(newer.month)} (PDF)`, exact: true });
    const statement = await downloadFrom(page, link, downloads);
    expect(statement.name).toBe(`releve-${newer.statementNumber}.pdf`);
    expect(statement.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = (await pdfPages(statement.file)).join('\n');
    expect(text).toContain('Relevé de remboursement');
    expect(text).toContain(`N° ${newer.statementNumber}`);
    expect(squash(text)).toContain(`Services ${ofMonth(newer.month)}`);
    expect(squash(text)).toContain(squash(formatCents(newer.netCents)));
  });

  test('l’opérateur télécharge le fichier SEPA du dernier mois réglé, valide au schéma pain.001.001.09, et voit le mois d’avant payé', async () => {
    const page = await open();
    await signIn(page, server.baseUrl, DEMO_ACCOUNTS.operator, DEMO_PASSWORD);
    await navigate(page, 'Règlements');
    expect(pathOf(page)).toBe('/operateur/reglements');
    expect(await heading(page)).toBe('Règlements mensuels');
    const [olderMonth, newerMonth] = world.settledMonths;
    const settlements = page.getByRole('table', { name: 'Règlements mensuels (2)' });

    // The newer month: its SEPA file, not sent yet.
    await follow(page, formatMonth(`${newerMonth}-01`), settlements);
    expect(pathOf(page)).toBe(`/operateur/reglements/${newerMonth}`);
    const [newerSettlement] = (await listSettlements(server.ctx.db)).filter((s) => s.month === newerMonth);
    const batch = newerSettlement!.batches[0]!;
    const sepa = await downloadFrom(page, page.getByRole('link', { name: `Télécharger ${batch.fileName}`, exact: true }), downloads);
    expect(sepa.name).toBe(`virements-${newerMonth}.xml`);
    const xml = sepa.bytes.toString('utf8');
    expect(xml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>/u);
    expect(xml).toContain('xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"');
    const verdict = await validateXml(sepa.file, PAIN_001_XSD);
    expect(verdict, verdict.output).toMatchObject({ valid: true });
    const newer = payouts[1]!;
    expect(xml).toContain(`<NbOfTxs>1</NbOfTxs>`);
    expect(xml).toContain(`<CtrlSum>${(newer.netCents / 100).toFixed(2)}</CtrlSum>`);
    expect(xml).toContain(`releve ${newer.statementNumber}`);
    expect(await page.getByRole('button', { name: 'Noter le fichier comme transmis à la banque', exact: true }).count()).toBe(1);

    // The older month: its file sent, its transfer executed.
    await follow(page, 'Retour aux règlements');
    await follow(page, formatMonth(`${olderMonth}-01`), page.getByRole('table', { name: 'Règlements mensuels (2)' }));
    expect(pathOf(page)).toBe(`/operateur/reglements/${olderMonth}`);
    const text = squash(await mainText(page));
    expect(text).toContain('Fichier transmis à la banque.');
    const older = payouts[0]!;
    expect(squash(await page.getByRole('row', { name: new RegExp(`^${older.statementNumber}`, 'u') }).innerText())).toContain('Exécuté');

    // The FEC of the year: 18 tab-separated columns, every entry balanced, the redemptions and the
    // payouts of the demo months in it.
    await navigate(page, 'Comptabilité');
    expect(pathOf(page)).toBe('/operateur/comptabilite');
    expect(await heading(page)).toBe('Comptabilité');
    const year = olderMonth!.slice(0, 4);
    await page.getByLabel('Exercice (année civile)').fill(year);
    const fec = await downloadFrom(page, page.getByRole('button', { name: 'Télécharger le FEC', exact: true }), downloads);
    expect(fec.name).toMatch(new RegExp(`^\\d{9}FEC${year}1231\\.txt$`, 'u'));
    const [header, ...lines] = fec.bytes.toString('utf8').split('\r\n').filter((line) => line.length > 0);
    expect(header!.split('\t')).toEqual([...FEC_COLUMNS]);
    const byEntry = new Map<string, number>();
    for (const line of lines) {
      const fields = line.split('\t');
      expect(fields).toHaveLength(FEC_COLUMNS.length);
      const cents = (amount: string) => Math.round(Number(amount.replace(',', '.')) * 100);
      byEntry.set(fields[2]!, (byEntry.get(fields[2]!) ?? 0) + cents(fields[11]!) - cents(fields[12]!));
    }
    expect([...byEntry.values()].every((balance) => balance === 0)).toBe(true);
    const journals = new Set(lines.map((line) => line.split('\t')[0]));
    expect(journals).toContain('EN');
    expect(journals).toContain('RE');
    expect(lines.some((line) => line.includes(older.statementNumber))).toBe(true);
  });

  test('le financeur télécharge le relevé mensuel d’un mois réglé', async () => {
    const page = await open();
    await signIn(page, server.baseUrl, DEMO_ACCOUNTS.funder, DEMO_PASSWORD);
    await navigate(page, 'Relevés et factures');
    expect(pathOf(page)).toBe('/financeur/releves');
    expect(await heading(page)).toBe('Relevés et factures');
    const [olderMonth] = world.settledMonths;
    const month = `${olderMonth}-01`;
    const expected = await funderMonthlyStatement(server.ctx, funderId, olderMonth);
    expect(expected.totals.amountCents).toBeGreaterThan(0);

    // The invoice of the month, billed on use, paid.
    const invoices = page.getByRole('table', { name: /^Factures des commandes facturées à l’usage/u });
    expect(squash(await invoices.getByRole('row', { name: new RegExp(`^Facture ${expected.invoice!.number}`, 'u') }).innerText())).toContain('Réglée le');
    // It carries, under the funder's name, the billing address its admin gave before it was issued.
    const invoice = await downloadFrom(page, invoices.getByRole('link', { name: `Facture ${expected.invoice!.number} (PDF)`, exact: true }), downloads);
    const invoiceText = squash((await pdfPages(invoice.file)).join('\n'));
    expect(invoiceText).toContain(`${expected.funder.name} Hôtel du Département, 1 esplanade Charles-de-Gaulle 33074 Bordeaux Cedex SIRET : 22330099700010`);
    // Where that address is kept: the admin's form, filled in (the demo's address is not changed).
    await follow(page, 'Modifier l’adresse de facturation');
    expect(pathOf(page)).toBe('/financeur/facturation');
    expect(await heading(page)).toBe('Adresse de facturation');
    expect(await page.getByLabel('Code postal', { exact: true }).inputValue()).toBe('33074');
    await page.goBack();

    await follow(page, formatMonth(month), page.getByRole('table', { name: /^Relevés mensuels/u }));
    expect(pathOf(page)).toBe(`/financeur/releves/${olderMonth}`);
    expect(await heading(page)).toBe(`Relevé ${ofMonth(month)}`);
    const statement = await downloadFrom(page, page.getByRole('link', { name: `Télécharger le relevé ${ofMonth(month)} (PDF)`, exact: true }), downloads);
    expect(statement.name).toBe(`releve-${olderMonth}.pdf`);
    expect(statement.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = squash((await pdfPages(statement.file)).join('\n'));
    expect(text).toContain('Relevé mensuel d’utilisation');
    expect(text).toContain(expected.funder.name);
    expect(text).toContain(squash(formatCents(expected.totals.amountCents)));
  });

  test('le financeur confirme l’échéance d’une commande à J-15, sur la page de la commande', async () => {
    // An order of the demo funder ending in 14 days, then the day's expiry run (the worker's job).
    const actor = { userId: null, organisationId: funderId, apiTokenId: null };
    const today = parisDay(new Date());
    const form = orderForm.parse({ bookletCount: '1', vouchersPerBooklet: '5', fundingMode: 'billed_on_use', label: `Fin proche (${mode.name})`, validFrom: today, validUntil: addDays(today, 14) });
    const draft = await saveDraftOrder(server.ctx, actor, funderId, form);
    await confirmOrder(server.ctx, actor, funderId, draft.id);
    await commitOrder(server.ctx, actor, { orderId: draft.id, reference: 'EJ-2026-15', by: { kind: 'funder', funderId } });
    await issueOrder(server.ctx, actor, { orderId: draft.id, funderId });
    await runExpiry(server.ctx, new Date());

    const page = await open();
    await signIn(page, server.baseUrl, DEMO_ACCOUNTS.funder, DEMO_PASSWORD);
    await visit(page, `${server.baseUrl}/financeur/commandes/${draft.id}`);
    expect(squash(await mainText(page))).toContain('Échéance à confirmer');
    await send(page, 'Je confirme avoir pris connaissance de l’échéance');
    const text = squash(await mainText(page));
    expect(text).toContain('échéance confirmée le');
    expect(text).not.toContain('Je confirme avoir pris connaissance');
  });

  test('l’opérateur voit les factures des financeurs, réglées ou non', async () => {
    const page = await open();
    await signIn(page, server.baseUrl, DEMO_ACCOUNTS.operator, DEMO_PASSWORD);
    await navigate(page, 'Comptabilité');
    await visit(page, `${server.baseUrl}/operateur/comptabilite/factures`);
    const text = squash(await mainText(page));
    expect(text).toContain('Réglée le');
    expect(text).toContain('À régler');
  });
});
