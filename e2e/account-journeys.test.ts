import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { PASSWORD, createOrganisation, createPerson } from '../test/support/fixtures.js';
import { MODES, closeContexts, expectNoAxeViolations, focusedElement, goto, heading, launchBrowser, mainText, newPage, pathOf, submit } from './support/browser.js';
import { lastLinkMailedTo } from './support/mail.js';
import { startServer, type RunningServer } from './support/server.js';

/**
 * The account journeys, in a real Chromium against the real application: sign in, join an
 * organisation by invitation, reset a forgotten password, sign out. Each runs with and without
 * JavaScript, and every page on the way is checked with axe-core.
 */

let browser: Browser;
let server: RunningServer;
let organisationId: string;
const ORGANISATION = 'Ville de Test';

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startServer();
  organisationId = (await createOrganisation(server.ctx, 'funder', ORGANISATION)).id;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function fillSignIn(page: Page, email: string, password: string) {
  await goto(page, `${server.baseUrl}/connexion`);
  await page.getByLabel('Adresse e-mail', { exact: true }).fill(email);
  await page.getByLabel('Mot de passe', { exact: true }).fill(password);
  return submit(page, 'Se connecter');
}

describe.each(MODES)('$name', (mode) => {
  // Addresses per mode: both modes share one server and its rate limits per address.
  const address = (who: string) => `${who}-${mode.key}@ville.fr`;
  const open = () => newPage(browser, mode);

  afterEach(() => closeContexts(browser));

  test('se connecter, après une erreur de mot de passe', async () => {
    const email = address('agent');
    await createPerson(server.ctx, email, [[organisationId, 'member']]);
    const page = await open();

    await goto(page, `${server.baseUrl}/connexion`);
    expect(await heading(page)).toBe('Se connecter');
    await expectNoAxeViolations(page);

    const failed = await fillSignIn(page, email, 'pas le bon mot de passe');
    expect(failed.status()).toBe(401);
    expect(pathOf(page)).toBe('/connexion');
    expect(await page.title()).toMatch(/^Erreur : /);
    const summary = page.getByRole('alert');
    expect(await summary.innerText()).toContain('Il y a un problème');
    expect(await summary.innerText()).toContain('Adresse e-mail ou mot de passe incorrect.');
    expect(await page.getByLabel('Adresse e-mail', { exact: true }).inputValue()).toBe(email);
    // passnum.js moves the focus to the summary, so that screen readers announce it; without
    // JavaScript the summary is still the first thing of the page (and proves scripts are off).
    expect(await focusedElement(page)).toBe(mode.javaScriptEnabled ? 'error-summary' : 'BODY');
    await expectNoAxeViolations(page);

    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    const signedIn = await submit(page, 'Se connecter');
    expect(signedIn.status()).toBe(200);
    expect(pathOf(page)).toBe('/espace');
    expect(await heading(page)).toBe(`Bonjour agent-${mode.key}`);
    expect(await mainText(page)).toContain(`Vous agissez pour ${ORGANISATION}`);
    await expectNoAxeViolations(page);
  });

  test('inviter une personne, qui crée son compte et rejoint l’équipe', async () => {
    const adminEmail = address('admin');
    const colleagueEmail = address('collegue');
    const colleagueName = `Camille Collègue ${mode.key}`;
    await createPerson(server.ctx, adminEmail, [[organisationId, 'admin']]);

    const admin = await open();
    await fillSignIn(admin, adminEmail, PASSWORD);
    expect(pathOf(admin)).toBe('/espace');
    await goto(admin, `${server.baseUrl}/organisation/membres`);
    expect(await heading(admin)).toBe(`Équipe de ${ORGANISATION}`);
    expect(await admin.getByRole('heading', { name: 'Inviter une personne' }).count()).toBe(1);
    await expectNoAxeViolations(admin);

    await admin.getByLabel('Adresse e-mail', { exact: true }).fill(colleagueEmail);
    await admin.getByLabel('Rôle', { exact: true }).selectOption('member');
    const invited = await submit(admin, 'Envoyer l’invitation');
    expect(invited.status()).toBe(200);
    expect(pathOf(admin)).toBe('/organisation/membres');
    expect(await admin.getByRole('status').innerText()).toContain('L’invitation a été envoyée par e-mail.');
    expect(await admin.getByRole('table', { name: /Invitations en attente/ }).innerText()).toContain(colleagueEmail);
    await expectNoAxeViolations(admin);

    const link = await lastLinkMailedTo(server.mailDir, colleagueEmail);
    expect(link.startsWith(`${server.baseUrl}/invitations/`)).toBe(true);

    const colleague = await open();
    expect((await goto(colleague, link)).status()).toBe(200);
    expect(await heading(colleague)).toBe(`Rejoindre ${ORGANISATION}`);
    expect(await mainText(colleague)).toContain(colleagueEmail);
    await expectNoAxeViolations(colleague);

    // A password too short first: the form says why, next to the field.
    await colleague.getByLabel('Votre nom', { exact: true }).fill(colleagueName);
    await colleague.getByLabel('Mot de passe', { exact: true }).fill('trop court');
    const refused = await submit(colleague, 'Créer mon compte et rejoindre');
    expect(refused.status()).toBe(400);
    expect(await colleague.getByRole('alert').innerText()).toContain('Il y a un problème');
    expect(await colleague.locator('#password-error').innerText()).toContain('au moins 12 caractères');
    expect(await colleague.getByLabel('Votre nom', { exact: true }).inputValue()).toBe(colleagueName);
    await expectNoAxeViolations(colleague);

    await colleague.getByLabel('Mot de passe', { exact: true }).fill('une phrase de passe pour la collègue');
    const joined = await submit(colleague, 'Créer mon compte et rejoindre');
    expect(joined.status()).toBe(200);
    expect(pathOf(colleague)).toBe('/espace');
    expect(await heading(colleague)).toBe(`Bonjour ${colleagueName}`);
    expect(await colleague.getByRole('status').innerText()).toContain('Vous avez rejoint l’organisation');
    expect(await mainText(colleague)).toContain(`Vous agissez pour ${ORGANISATION}`);
    expect(await mainText(colleague)).toContain('comme membre');
    await expectNoAxeViolations(colleague);

    await goto(admin, `${server.baseUrl}/organisation/membres`);
    const row = admin.getByRole('table', { name: /Personnes de l’organisation/ }).getByRole('row').filter({ hasText: colleagueEmail });
    expect(await row.count()).toBe(1);
    expect(await row.innerText()).toContain(colleagueName);
    expect(await row.innerText()).toContain('Membre');
    expect(await mainText(admin)).not.toContain('Invitations en attente');
    await expectNoAxeViolations(admin);
  });

  test('réinitialiser un mot de passe oublié', async () => {
    const email = address('oubli');
    const newPassword = `un nouveau mot de passe ${mode.key} bien long`;
    await createPerson(server.ctx, email, [[organisationId, 'member']]);
    const page = await open();

    await goto(page, `${server.baseUrl}/connexion`);
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Mot de passe oublié ?' }).click()]);
    expect(pathOf(page)).toBe('/mot-de-passe-oublie');
    expect(await heading(page)).toBe('Mot de passe oublié');
    await expectNoAxeViolations(page);

    await page.getByLabel('Adresse e-mail', { exact: true }).fill(email);
    const requested = await submit(page, 'Recevoir le lien');
    expect(requested.status()).toBe(200);
    expect(await heading(page)).toBe('Vérifiez votre messagerie');
    await expectNoAxeViolations(page);

    const link = await lastLinkMailedTo(server.mailDir, email);
    expect(link.startsWith(`${server.baseUrl}/mot-de-passe/`)).toBe(true);
    expect((await goto(page, link)).status()).toBe(200);
    expect(await heading(page)).toBe('Choisir un nouveau mot de passe');
    await expectNoAxeViolations(page);

    await page.getByLabel('Nouveau mot de passe', { exact: true }).fill(newPassword);
    const changed = await submit(page, 'Enregistrer le mot de passe');
    expect(changed.status()).toBe(200);
    expect(pathOf(page)).toBe('/espace');
    expect(await heading(page)).toBe(`Bonjour oubli-${mode.key}`);
    expect(await page.getByRole('status').innerText()).toContain('Votre mot de passe a été changé');
    await expectNoAxeViolations(page);

    const other = await open();
    const withOld = await fillSignIn(other, email, PASSWORD);
    expect(withOld.status()).toBe(401);
    expect(await other.getByRole('alert').innerText()).toContain('Adresse e-mail ou mot de passe incorrect.');
    const withNew = await fillSignIn(other, email, newPassword);
    expect(withNew.status()).toBe(200);
    expect(pathOf(other)).toBe('/espace');

    const reused = await goto(other, link);
    expect(reused.status()).toBe(409);
    expect(await heading(other)).toBe('Erreur');
    expect(await mainText(other)).toContain('Ce lien de réinitialisation a déjà servi.');
    expect(await other.getByLabel('Nouveau mot de passe').count()).toBe(0);
    await expectNoAxeViolations(other);
  });

  test('se déconnecter', async () => {
    const email = address('sortie');
    await createPerson(server.ctx, email, [[organisationId, 'member']]);
    const page = await open();
    await fillSignIn(page, email, PASSWORD);
    expect(pathOf(page)).toBe('/espace');

    const signedOut = await submit(page, 'Se déconnecter');
    expect(signedOut.status()).toBe(200);
    expect(pathOf(page)).toBe('/connexion');
    expect(await heading(page)).toBe('Se connecter');
    expect(await page.getByRole('button', { name: 'Se déconnecter' }).count()).toBe(0);
    expect(await page.getByRole('status').innerText()).toContain('Vous êtes déconnecté·e.');
    await expectNoAxeViolations(page);

    const espace = await goto(page, `${server.baseUrl}/espace`);
    expect(espace.status()).toBe(401);
    expect(await heading(page)).toBe('Se connecter');
    expect(await page.getByRole('status').innerText()).toContain('Connectez-vous pour accéder à cette page.');
    expect(await page.getByLabel('Adresse e-mail', { exact: true }).count()).toBe(1);
    await expectNoAxeViolations(page);
  });
});
