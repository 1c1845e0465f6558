import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { formatVoucherCode } from '../src/domains/vouchers/codes.js';
import { PASSWORD } from '../test/support/fixtures.js';
import { createPublicPlace } from '../test/support/places-fixtures.js';
import { bookletsOf, createFunder, issueTestOrder, type TestFunder } from '../test/support/voucher-fixtures.js';
import { MODES, closeContexts, expectNoAxeViolations, heading, launchBrowser, mainText, newPage, pathOf, type Mode } from './support/browser.js';
import { choose, fill, follow, send, squash, statusText, tick, visit } from './support/forms.js';
import { printedBooklets, type PrintedBooklet } from './support/pdf.js';
import { startServer, type RunningServer } from './support/server.js';
import { download, navigate, redemptionsAt, signIn } from './support/vouchers.js';

/**
 * The journey of a voucher, in a real Chromium against the real application, with and without
 * JavaScript: a funder orders two booklets restricted to the Gironde, confirms, engages and issues
 * the order, prints the vouchers (the codes this journey uses are read from the PDF, as from paper)
 * and entrusts the booklets to its distributor; the distributor hands the first booklet out; a place
 * in Bordeaux takes two of its vouchers for one service at 15 €; the holder's page shows them used;
 * a voucher reserved to Paris is refused at the counter with its reason. Every page on the way is
 * checked with axe-core.
 *
 * The tests of a mode follow one another (each needs what the previous one did); each opens its
 * own browser contexts, one per person.
 */

let browser: Browser;
let server: RunningServer;
let downloads: string;

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startServer();
  downloads = await mkdtemp(path.join(os.tmpdir(), 'passnum-e2e-pdf-'));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (downloads) await rm(downloads, { recursive: true, force: true });
});

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** The service of the place's catalogue: M01, « Maîtriser le numérique », at 15 €. */
const PRICE = /: 15\s€$/u;

/** Picks the service whose price is 15 € in the scan form's list. */
async function pickServiceAt15(page: Page): Promise<void> {
  const select = page.getByLabel('Service', { exact: true });
  const labels = await select.locator('option').allInnerTexts();
  const label = labels.find((text) => PRICE.test(text.trim()));
  expect(label, `no service at 15 € among: ${labels.join(' | ')}`).toBeDefined();
  await select.selectOption({ label: label!.trim() });
}

/**
 * Enters voucher codes on the scan form: without JavaScript one a line in the textarea; with
 * JavaScript in the scan input, each followed by Enter as a hand scanner does, the input keeping
 * the focus and the list growing.
 */
async function enterCodes(page: Page, mode: Mode, codes: readonly string[]): Promise<void> {
  if (!mode.javaScriptEnabled) {
    await page.getByLabel('Codes des chèques', { exact: true }).fill(codes.join('\n'));
    return;
  }
  expect(await page.getByLabel('Codes des chèques', { exact: true }).isHidden()).toBe(true);
  const scan = page.getByLabel('Scanner ou saisir un code', { exact: true });
  for (const [index, code] of codes.entries()) {
    await scan.pressSequentially(code);
    await scan.press('Enter');
    expect(await scan.inputValue()).toBe('');
    expect(await scan.evaluate((input) => input === (input.ownerDocument as { activeElement: unknown }).activeElement)).toBe(true);
    const list = page.getByRole('list', { name: `Chèques à vérifier : ${index + 1} chèque${index > 0 ? 's' : ''}`, exact: true });
    expect(await list.getByRole('listitem').count()).toBe(index + 1);
    expect(await list.getByRole('listitem').nth(index).innerText()).toContain(code);
  }
  await expectNoAxeViolations(page);
}

describe.each(MODES)('$name', (mode) => {
  const url = (p: string) => `${server.baseUrl}${p}`;
  const open = () => newPage(browser, mode);
  const label = `Gironde ${mode.key}`;
  let world: TestFunder;
  let provider: Awaited<ReturnType<typeof createPublicPlace>>;
  let orderId = '';
  /** The booklets as printed in the PDF, the codes as the journey uses them. */
  let printed: PrintedBooklet[] = [];
  let handedOut = false;
  let redeemed: string[] = [];

  beforeAll(async () => {
    world = await createFunder(server.ctx);
    provider = await createPublicPlace(server.ctx, { name: `Médiathèque du Lac ${mode.key}` }, { services: [{ serviceCode: 'M01', priceCents: 1500 }] });
  });

  afterEach(() => closeContexts(browser));

  test('le financeur commande deux carnets avec des règles, les émet, les imprime et les confie à son distributeur', async () => {
    const funder = await open();
    await signIn(funder, server.baseUrl, world.funderAdmin.email, PASSWORD);

    // 1. The order form, from the navigation.
    await navigate(funder, 'Commandes');
    expect(pathOf(funder)).toBe('/financeur/commandes');
    expect(await heading(funder)).toBe('Commandes de chèques');
    await follow(funder, 'Nouvelle commande');
    expect(await heading(funder)).toBe('Nouvelle commande de chèques');
    await fill(funder, { 'Libellé (facultatif)': label, 'Nombre de carnets': '2' });
    await choose(funder, 'Chèques par carnet', '5 chèques');
    await choose(funder, 'Mode de paiement', 'Facturation à l’usage');
    await fill(funder, { Territoire: '33' });
    await tick(funder, 'Niveaux de services (facultatif)', 'Maîtriser le numérique');
    await choose(funder, 'Reste à payer par la personne', 'Permis');
    await send(funder, 'Enregistrer le brouillon');
    const orderPath = new RegExp(`^/financeur/commandes/(${UUID})$`, 'u').exec(pathOf(funder));
    expect(orderPath, pathOf(funder)).not.toBeNull();
    orderId = orderPath![1]!;
    expect(await statusText(funder)).toContain('Le brouillon de commande est enregistré.');
    expect(await heading(funder)).toMatch(new RegExp(`^Commande .+ – ${label}$`, 'u'));
    const draft = squash(await mainText(funder));
    expect(draft).toContain('Étape Brouillon');
    expect(draft).toContain('2 carnets × 5 chèques × 10 €, soit 10 chèques');
    expect(draft).toContain('Mode de paiement Facturation à l’usage');
    expect(draft).toContain('Valable à : Gironde (33)');
    expect(draft).toContain('Pour les services : « Maîtriser le numérique »');
    expect(draft).not.toContain('Sans reste à payer');

    // 2. Confirmed, engaged, issued.
    await send(funder, 'Confirmer la commande');
    expect(await statusText(funder)).toContain('La commande est confirmée');
    await fill(funder, { 'Numéro d’engagement juridique': `EJ-2026-${mode.key}-042` });
    await send(funder, 'Enregistrer l’engagement');
    expect(await statusText(funder)).toContain('L’engagement est enregistré');
    expect(squash(await mainText(funder))).toContain(`Numéro d’engagement juridique EJ-2026-${mode.key}-042`);
    await send(funder, 'Émettre les chèques');
    expect(await statusText(funder)).toContain('Les chèques sont émis');
    expect(squash(await mainText(funder))).toContain('Étape Émise');

    // 3. The vouchers to print: the codes and booklet numbers are read from the PDF.
    const pdf = await download(funder, 'Chèques à imprimer (PDF, A4)', downloads);
    expect(pdf.name).toMatch(/^cheques-.+\.pdf$/u);
    printed = await printedBooklets(pdf.file);
    expect(printed.map((b) => b.codes.length)).toEqual([5, 5]);
    expect(new Set(printed.flatMap((b) => b.codes)).size).toBe(10);
    // What is printed is what was issued, booklet by booklet.
    const issued = await bookletsOf(server.ctx, orderId);
    expect(printed.map((b) => ({ number: b.number, codes: b.codes }))).toEqual(issued.map((b) => ({ number: b.number, codes: b.codes.map(formatVoucherCode) })));

    // 4. Both booklets entrusted to the distributor.
    expect(await mainText(funder)).toContain('2 carnets à confier');
    await funder.getByLabel('Distributeur', { exact: true }).selectOption({ label: world.distributor.name });
    await fill(funder, { 'Nombre de carnets': '2' });
    await send(funder, 'Confier');
    expect(pathOf(funder)).toBe(`/financeur/commandes/${orderId}`);
    expect(await statusText(funder)).toContain('Les carnets sont confiés au distributeur.');
    const booklets = funder.getByRole('table', { name: /^Carnets de la commande \(2\)/u });
    for (const booklet of printed) {
      const row = squash(await booklets.getByRole('row').filter({ hasText: booklet.number }).innerText());
      expect(row).toContain(world.distributor.name);
      expect(row).toContain('pas encore remis');
    }
    expect(squash(await mainText(funder))).toContain('carnets : 2 confiés, 0 remis');
  });

  test('le distributeur remet le premier carnet : ses chèques sont activés', async () => {
    expect(printed.length, 'the vouchers of the first test were not printed').toBe(2);
    const [first, second] = printed as [PrintedBooklet, PrintedBooklet];
    const distributor = await open();
    await signIn(distributor, server.baseUrl, world.distributorAdmin.email, PASSWORD);
    await navigate(distributor, 'Carnets');
    expect(pathOf(distributor)).toBe('/distributeur/carnets');
    expect(await heading(distributor)).toBe('Remettre un carnet');

    await fill(distributor, { 'Numéro du carnet': first.number });
    await distributor.getByLabel('Tranche d’âge de la personne (facultatif)', { exact: true }).selectOption({ label: '60 à 74 ans' });
    await send(distributor, 'Enregistrer la remise');
    expect(pathOf(distributor)).toBe('/distributeur/carnets');
    expect(await statusText(distributor)).toMatch(new RegExp(`^Carnet ${first.number} remis : 5 chèques activés, valables jusqu’au `, 'u'));
    const table = distributor.getByRole('table', { name: /^Carnets confiés à / });
    const handed = squash(await table.getByRole('row').filter({ hasText: first.number }).innerText());
    expect(handed).toContain('Remis le');
    expect(handed).toContain('60 à 74 ans');
    expect(squash(await table.getByRole('row').filter({ hasText: second.number }).innerText())).toContain('pas encore remis');
    handedOut = true;
  });

  test('le lieu encaisse deux chèques du carnet remis pour un service à 15 €', async () => {
    expect(handedOut, 'the booklet of the previous test was not handed out').toBe(true);
    const codes = printed[0]!.codes.slice(0, 2);
    const counter = await open();
    await signIn(counter, server.baseUrl, provider.provider.admin.email, PASSWORD);
    await navigate(counter, 'Encaisser des chèques');
    expect(pathOf(counter)).toBe('/structure/encaisser');
    expect(await heading(counter)).toBe('Encaisser des chèques');

    await pickServiceAt15(counter);
    await enterCodes(counter, mode, codes);
    await send(counter, 'Vérifier les chèques');
    expect(await heading(counter)).toBe('Vérifier les chèques');
    expect(await counter.getByRole('alert').count()).toBe(0);
    const lines = counter.getByRole('table', { name: 'Chèques (2)', exact: true });
    for (const code of codes) {
      const row = squash(await lines.getByRole('row').filter({ hasText: code }).innerText());
      expect(row).toContain('Valable');
      expect(row).toContain('10 €');
      expect(row).toContain('Accepté, valable jusqu’au');
    }
    const payment = squash(await counter.getByRole('table', { name: 'Le paiement', exact: true }).innerText());
    expect(payment).toContain('Prix du service 15 €');
    expect(payment).toContain('Valeur des chèques 20 €');
    expect(squash(await mainText(counter))).toContain('Rien à payer par la personne');

    await send(counter, 'Confirmer l’encaissement');
    expect(pathOf(counter)).toMatch(new RegExp(`^/structure/encaisser/recu/${UUID}$`, 'u'));
    expect(await heading(counter)).toBe('Reçu d’encaissement');
    expect(await statusText(counter)).toContain('L’encaissement est enregistré');
    const receipt = squash(await counter.getByRole('table', { name: /^Encaissement du / }).innerText());
    expect(receipt).toContain('(M01)');
    expect(receipt).toContain('Chèques 2 chèques, 20 €');
    expect(receipt).toContain('Prix du service 15 €');
    expect(receipt).toContain('Reste à payer par la personne Rien à payer');
    expect(await redemptionsAt(server.ctx, provider.place.id)).toEqual({ redemptions: 1, vouchers: 2 });
    redeemed = codes;
  });

  test('la page « Mon pass » montre les deux chèques utilisés, les autres non', async () => {
    expect(redeemed.length, 'the vouchers of the previous test were not redeemed').toBe(2);
    const holder = await open();
    await visit(holder, url('/mon-pass'));
    expect(await heading(holder)).toBe('Mon pass numérique');

    /**
     * Checks a code from the form and returns the state sentence of the result (each result page
     * checked with axe-core), then goes back to the form (checked once, above: the same page).
     */
    async function check(code: string): Promise<string> {
      await fill(holder, { 'Code du chèque': code });
      await send(holder, 'Vérifier le chèque');
      expect(await holder.getByRole('heading', { level: 2, name: `Chèque ${code}` }).count()).toBe(1);
      const sentence = squash(await holder.locator('main .lead').first().innerText());
      await Promise.all([holder.waitForNavigation(), holder.getByRole('link', { name: 'Vérifier un autre chèque', exact: true }).click()]);
      expect(pathOf(holder)).toBe('/mon-pass');
      return sentence;
    }

    for (const code of redeemed) expect(await check(code)).toMatch(/^Déjà utilisé le .+ : il ne peut plus servir\.$/u);
    // The third voucher of the booklet handed out is still valid; the booklet not handed out is not active.
    expect(await check(printed[0]!.codes[2]!)).toMatch(/^Valable : /u);
    expect(await check(printed[1]!.codes[0]!)).toMatch(/^Pas encore activé : /u);
  });

  test('un chèque réservé à Paris est refusé au comptoir de Bordeaux, avec sa raison', async () => {
    expect(redeemed.length, 'the previous tests did not run').toBe(2);
    const paris = await issueTestOrder(server.ctx, world, { label: `Paris ${mode.key}`, territory: '75', activation: 'on_issue' });
    const parisCode = formatVoucherCode((await bookletsOf(server.ctx, paris.id))[0]!.codes[0]!);
    const before = await redemptionsAt(server.ctx, provider.place.id);

    const counter = await open();
    await signIn(counter, server.baseUrl, provider.provider.admin.email, PASSWORD, { checked: true });
    await navigate(counter, 'Encaisser des chèques');
    await pickServiceAt15(counter);
    await enterCodes(counter, mode, [parisCode]);
    await send(counter, 'Vérifier les chèques');
    expect(await heading(counter)).toBe('Vérifier les chèques');
    const problems = squash(await counter.getByRole('alert').innerText());
    expect(problems).toContain('Ces chèques ne peuvent pas être encaissés ainsi');
    expect(problems).toContain('Chèque n° 1 : Ce chèque n’est pas valable dans la commune de ce lieu : son financeur l’a réservé à un autre territoire.');
    const row = squash(await counter.getByRole('table', { name: 'Chèques (1)', exact: true }).getByRole('row').filter({ hasText: parisCode }).innerText());
    expect(row).toContain('Refusé : Ce chèque n’est pas valable dans la commune de ce lieu');
    expect(await counter.getByRole('button', { name: 'Confirmer l’encaissement' }).count()).toBe(0);

    // « Corriger » leads back to the form, the code still there to correct or remove.
    await send(counter, 'Corriger');
    expect(await heading(counter)).toBe('Encaisser des chèques');
    if (mode.javaScriptEnabled) expect(await counter.getByRole('list', { name: 'Chèques à vérifier : 1 chèque', exact: true }).innerText()).toContain(parisCode);
    else expect(await counter.getByLabel('Codes des chèques', { exact: true }).inputValue()).toBe(parisCode);
    expect(await redemptionsAt(server.ctx, provider.place.id)).toEqual(before);
  });
});
