import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { PASSWORD, createOrganisation, createPerson } from '../test/support/fixtures.js';
import { MODES, closeContexts, expectNoAxeViolations, goto, heading, launchBrowser, mainText, newPage, pathOf, submit } from './support/browser.js';
import { startServer, type RunningServer } from './support/server.js';

/**
 * The other pages, each checked with axe-core, with and without JavaScript: public pages, error
 * pages, API tokens (as an admin) and the operator's pages.
 */

let browser: Browser;
let server: RunningServer;
let operatorId: string;
let funderId: string;

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startServer();
  operatorId = (await createOrganisation(server.ctx, 'operator', 'Opérateur')).id;
  funderId = (await createOrganisation(server.ctx, 'funder', 'Ville de Test')).id;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe.each(MODES)('$name', (mode) => {
  const open = () => newPage(browser, mode);

  afterEach(() => closeContexts(browser));

  async function signedIn(who: string, membership: [string, 'admin' | 'member']): Promise<Page> {
    const email = `${who}-${mode.key}@test.fr`;
    await createPerson(server.ctx, email, [membership]);
    const page = await open();
    await goto(page, `${server.baseUrl}/connexion`);
    await page.getByLabel('Adresse e-mail', { exact: true }).fill(email);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await submit(page, 'Se connecter');
    expect(pathOf(page)).toBe('/espace');
    return page;
  }

  test('accueil, déclaration d’accessibilité, référentiel des services, page introuvable', async () => {
    const page = await open();

    expect((await goto(page, `${server.baseUrl}/`)).status()).toBe(200);
    expect(await heading(page)).toBe('Le pass numérique');
    await expectNoAxeViolations(page);

    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: /^Accessibilité/ }).click()]);
    expect(pathOf(page)).toBe('/accessibilite');
    expect(await heading(page)).toBe('Déclaration d’accessibilité');
    await expectNoAxeViolations(page);

    await Promise.all([page.waitForNavigation(), page.getByRole('contentinfo').getByRole('link', { name: 'Référentiel des services' }).click()]);
    expect(pathOf(page)).toBe('/referentiel');
    expect(await heading(page)).toBe('Référentiel national des services de médiation numérique');
    await expectNoAxeViolations(page);

    const missing = await goto(page, `${server.baseUrl}/cette-page-n-existe-pas`);
    expect(missing.status()).toBe(404);
    expect(await heading(page)).toBe('Page introuvable');
    await expectNoAxeViolations(page);
  });

  test('jetons d’API : un admin crée un jeton, affiché une seule fois', async () => {
    const page = await signedIn('admin', [funderId, 'admin']);
    const name = `Logiciel comptable ${mode.key}`;

    await goto(page, `${server.baseUrl}/organisation/jetons`);
    expect(await heading(page)).toBe('Jetons d’API');
    await expectNoAxeViolations(page);

    await page.getByLabel('Nom du jeton', { exact: true }).fill(name);
    await page.getByRole('checkbox', { name: /Lire les informations de l’organisation/ }).check();
    const created = await submit(page, 'Créer le jeton');
    expect(created.status()).toBe(201);
    expect(await page.getByRole('heading', { name: 'Votre nouveau jeton' }).count()).toBe(1);
    const token = (await page.locator('#nouveau-jeton').innerText()).trim();
    expect(token).toMatch(/^pn_/);
    expect(await page.getByRole('table').innerText()).toContain(name);
    await expectNoAxeViolations(page);

    // The token works on the API...
    const api = await fetch(`${server.baseUrl}/api/v1/organisation`, { headers: { authorization: `Bearer ${token}` } });
    expect(api.status).toBe(200);
    expect(await api.json()).toMatchObject({ id: funderId, name: 'Ville de Test' });

    // ...and is never shown again.
    await goto(page, `${server.baseUrl}/organisation/jetons`);
    expect(await page.locator('#nouveau-jeton').count()).toBe(0);
    expect(await page.content()).not.toContain(token);
    expect(await page.getByRole('table').innerText()).toContain(name);
    await expectNoAxeViolations(page);
  });

  test('un membre sans droit d’administration voit une page « Accès refusé »', async () => {
    const page = await signedIn('membre', [funderId, 'member']);
    const refused = await goto(page, `${server.baseUrl}/organisation/jetons`);
    expect(refused.status()).toBe(403);
    expect(await heading(page)).toBe('Accès refusé');
    await expectNoAxeViolations(page);
  });

  test('pages de l’opérateur : organisations et journal d’audit', async () => {
    const page = await signedIn('operateur', [operatorId, 'admin']);

    await goto(page, `${server.baseUrl}/operateur/organisations`);
    expect(await heading(page)).toBe('Organisations');
    expect(await page.getByRole('table').innerText()).toContain('Ville de Test');
    await expectNoAxeViolations(page);

    await goto(page, `${server.baseUrl}/operateur/journal`);
    expect(await heading(page)).toBe('Journal d’audit');
    const events = page.getByRole('table', { name: /Événements/ });
    expect(await events.innerText()).toContain('session.');
    await expectNoAxeViolations(page);

    // The filters are a plain GET form: they work without JavaScript too.
    const action = page.getByLabel('Action', { exact: true });
    const firstAction = await action.locator('option').nth(1).getAttribute('value');
    expect(firstAction).toBeTruthy();
    await action.selectOption(firstAction!);
    const filtered = await submit(page, 'Filtrer');
    expect(filtered.status()).toBe(200);
    expect(new URL(page.url()).searchParams.get('action')).toBe(firstAction);
    const rows = events.locator('tbody tr');
    expect(await rows.count()).toBeGreaterThan(0);
    for (const text of await rows.allInnerTexts()) expect(text).toContain(firstAction!);
    expect(await mainText(page)).not.toContain('Aucun événement');
    await expectNoAxeViolations(page);
  });
});
