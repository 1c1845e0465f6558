import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DOCUMENT_KINDS, REQUIRED_DOCUMENTS } from '../src/domains/providers/application.js';
import { CURRENT_CHARTER_VERSION } from '../src/domains/providers/charters/charters.js';
import { ELIGIBILITY_QUESTIONNAIRE } from '../src/domains/providers/eligibility.js';
import { PASSWORD, createOrganisation, createPerson } from '../test/support/fixtures.js';
import { MODES, closeContexts, heading, launchBrowser, mainText, newPage, pathOf } from './support/browser.js';
import { choose, fill, follow, pdfFile, send, squash, statusText, tick, validSiret, visit } from './support/forms.js';
import { lastLinkMailedTo } from './support/mail.js';
import { startServer, type RunningServer } from './support/server.js';

/**
 * The journey of a place that joins the pass numérique, in a real Chromium against the real
 * application, with and without JavaScript: an association signs up at /devenir-lieu, prepares its
 * application (eligibility, charter, bank details, documents, a mediator, a place and its
 * catalogue) and sends it; the operator asks for a change, the association answers and sends it
 * again; the operator qualifies it; its place is then found on the public search and its page
 * shows the service and its price; before its first voucher, its admin chooses the yearly plan of
 * the subscription. Every page on the way is checked with axe-core.
 *
 * The four tests of a mode follow one another (the second needs the application sent by the
 * first, the fourth the qualification of the second); each opens its own browser contexts.
 */

let browser: Browser;
let server: RunningServer;
let operatorId: string;

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startServer();
  operatorId = (await createOrganisation(server.ctx, 'operator', 'Opérateur du pass')).id;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The answer of each question that earns its most points: together, an eligible provider. */
const BEST_ANSWERS = ELIGIBILITY_QUESTIONNAIRE.themes.flatMap((theme) =>
  theme.questions.map((question) => ({
    legend: question.label,
    option: [...question.options].sort((a, b) => b.points - a.points)[0]!.label,
  })),
);

const SERVICE = { code: 'M02', label: 'Prendre en main un smartphone ou une tablette' };
const OPENING_HOURS = 'Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00';

describe.each(MODES)('$name', (mode) => {
  const index = MODES.indexOf(mode);
  const providerName = `Association Bordeaux Connectée ${mode.key}`;
  const adminName = `Dominique Martin ${mode.key}`;
  const providerEmail = `direction-${mode.key}@bordeaux-connectee.fr`;
  const providerPassword = `la phrase de passe de l’association ${mode.key}`;
  const siret = validSiret(`8123456${index}`, '0001');
  const rna = `W33201234${index}`;
  const placeName = `Espace numérique des Chartrons ${mode.key}`;
  const mediatorName = `Camille Durand ${mode.key}`;
  const operatorEmail = `instruction-${mode.key}@operateur.fr`;
  const changeRequest = 'Merci d’indiquer les horaires d’ouverture de votre lieu, puis de renvoyer la candidature.';
  const providerAnswer = 'Les horaires d’ouverture sont maintenant indiqués sur la fiche du lieu.';
  let placeId = '';

  const open = () => newPage(browser, mode);
  const url = (path: string) => `${server.baseUrl}${path}`;
  /** Follows a link of the main navigation (and checks the page with axe-core). */
  const navigate = (page: Page, name: string) => follow(page, name, page.getByRole('navigation', { name: 'Navigation principale' }));

  /** The state shown next to a step of the checklist. */
  async function stepState(page: Page, label: string): Promise<string> {
    return squash(await page.getByRole('main').getByRole('listitem').filter({ has: page.getByRole('link', { name: label, exact: true }) }).innerText());
  }

  async function signIn(page: Page, email: string, password: string, status = 200) {
    await page.getByLabel('Adresse e-mail', { exact: true }).fill(email);
    await page.getByLabel('Mot de passe', { exact: true }).fill(password);
    await send(page, 'Se connecter', status);
  }

  afterEach(() => closeContexts(browser));

  test('une association s’inscrit, prépare sa candidature et l’envoie', async () => {
    const page = await open();

    // 1. Sign-up, from the public navigation.
    await visit(page, url('/'));
    await navigate(page, 'Devenir un lieu');
    expect(pathOf(page)).toBe('/devenir-lieu');
    expect(await heading(page)).toBe('Devenir un lieu du pass numérique');
    await fill(page, { 'Nom de la structure': providerName });
    await choose(page, 'Forme juridique', 'Association');
    await fill(page, {
      'Numéro SIRET': siret,
      'Numéro RNA (associations seulement, facultatif)': rna,
      Adresse: '12 rue Notre-Dame',
      'Code postal': '33000',
      'Votre nom': adminName,
      'Adresse e-mail': providerEmail,
      'Mot de passe': providerPassword,
    });
    await send(page, 'Inscrire la structure');
    expect(pathOf(page)).toBe('/structure/candidature');
    expect(await heading(page)).toBe(`Candidature de ${providerName}`);
    expect(await statusText(page)).toContain('Bienvenue ! Votre structure est inscrite.');
    expect(await mainText(page)).toContain('En préparation');
    expect(await page.getByRole('button', { name: 'Envoyer ma candidature' }).count()).toBe(0);
    expect(await stepState(page, 'Questionnaire d’éligibilité')).toContain('À remplir');

    // 2. Eligibility questionnaire: the best answer to every question.
    await follow(page, 'Questionnaire d’éligibilité');
    expect(await heading(page)).toBe('Questionnaire d’éligibilité');
    for (const { legend, option } of BEST_ANSWERS) await choose(page, legend, option);
    await send(page, 'Enregistrer mes réponses');
    expect(pathOf(page)).toBe('/structure/eligibilite');
    expect(await mainText(page)).toContain('Résultat : votre structure est éligible');

    // 3. The charter, from the link of the result.
    await follow(page, 'accepter la charte');
    expect(pathOf(page)).toBe('/structure/charte');
    await page.getByRole('checkbox', { name: `Moi, ${adminName}, j’accepte cette charte au nom de la structure et m’engage à la respecter.`, exact: true }).check();
    await send(page, 'Accepter la charte');
    expect(await mainText(page)).toContain(`Charte acceptée le`);
    expect(await mainText(page)).toContain(`par ${adminName}`);
    expect(await page.getByRole('button', { name: 'Accepter la charte' }).count()).toBe(0);

    // 4. Bank details, in the profile.
    await follow(page, 'Retour à la candidature');
    expect(await stepState(page, 'Questionnaire d’éligibilité')).toContain('Éligible');
    expect(await stepState(page, 'Charte des engagements')).toContain(`par ${adminName}`);
    await follow(page, 'Informations de la structure et coordonnées bancaires');
    expect(await heading(page)).toBe('Informations de la structure');
    expect(await page.getByLabel('Nom de la structure', { exact: true }).inputValue()).toBe(providerName);
    await fill(page, { IBAN: 'FR76 3000 6000 0112 3456 7890 189', BIC: 'AGRIFRPP882', 'Titulaire du compte': providerName });
    await send(page, 'Enregistrer');
    expect(pathOf(page)).toBe('/structure/candidature');
    expect(await statusText(page)).toContain('Les informations de la structure sont enregistrées.');
    expect(await stepState(page, 'Informations de la structure et coordonnées bancaires')).toContain('Complet');

    // 5. Every document asked of an association, each a small PDF.
    await follow(page, 'Pièces justificatives');
    expect(await heading(page)).toBe('Pièces justificatives');
    const kinds = REQUIRED_DOCUMENTS.association;
    for (const kind of kinds) {
      await page.getByLabel('Type de pièce', { exact: true }).selectOption({ label: DOCUMENT_KINDS[kind] });
      await page.getByLabel('Fichier', { exact: true }).setInputFiles(pdfFile(`${kind}.pdf`));
      await send(page, 'Envoyer la pièce');
      expect(pathOf(page)).toBe('/structure/documents');
      expect(await statusText(page)).toContain('La pièce est enregistrée.');
      const row = page.getByRole('table', { name: /Pièces demandées/ }).getByRole('row').filter({ hasText: DOCUMENT_KINDS[kind] });
      expect(await row.innerText()).toContain(`${kind}.pdf`);
    }
    expect(await page.getByRole('table', { name: /Pièces demandées/ }).innerText()).not.toContain('À envoyer');

    // 6. A mediator, an employee.
    await follow(page, 'Retour à la candidature');
    expect(await stepState(page, 'Pièces justificatives')).toContain(`${kinds.length} sur ${kinds.length} envoyées`);
    await follow(page, 'Intervenants (facultatif)');
    expect(await heading(page)).toBe('Intervenants');
    await fill(page, { 'Nom et prénom': mediatorName });
    await choose(page, 'Statut', 'Salarié·e');
    await choose(page, 'A-t-il ou elle été formé·e à la médiation numérique ?', 'Oui');
    await fill(page, { 'Formation suivie': 'Titre professionnel de responsable d’espace de médiation numérique' });
    await send(page, 'Ajouter');
    expect(await statusText(page)).toContain('L’intervenant est enregistré.');
    const mediators = page.getByRole('table', { name: /Intervenants déclarés/ });
    expect(await mediators.innerText()).toContain(mediatorName);
    expect(await mediators.innerText()).toContain('Salarié·e');

    // 7. A place, then a service of its catalogue.
    await follow(page, 'Retour à la candidature');
    expect(await stepState(page, 'Intervenants (facultatif)')).toContain('1 intervenant(s)');
    await follow(page, 'Lieux et services proposés');
    expect(pathOf(page)).toBe('/structure/lieux');
    expect(await heading(page)).toBe(`Les lieux de ${providerName}`);
    await follow(page, 'Ajouter un lieu');
    expect(await heading(page)).toBe('Ajouter un lieu');
    await fill(page, { 'Nom du lieu': placeName });
    await choose(page, 'Le lieu est-il fixe ou itinérant ?', 'Fixe');
    await tick(page, 'Type de lieu (facultatif)', 'Associations');
    await fill(page, {
      Adresse: '20 quai des Chartrons',
      'Code postal': '33000',
      'Code INSEE de la commune': '33063',
      Latitude: '44.8378',
      Longitude: '-0.5792',
      'Téléphone (facultatif)': '05 56 00 00 00',
      'Adresse e-mail (facultatif)': `accueil-${mode.key}@bordeaux-connectee.fr`,
    });
    await send(page, 'Enregistrer le lieu');
    const placePath = /^\/structure\/lieux\/([0-9a-f-]{36})\/services$/.exec(pathOf(page));
    expect(placePath, pathOf(page)).not.toBeNull();
    placeId = placePath![1]!;
    expect(await heading(page)).toBe(`Services proposés à ${placeName}`);
    expect(await statusText(page)).toContain('Le lieu est enregistré.');
    expect(await mainText(page)).toContain('20 quai des Chartrons, 33000 Bordeaux');

    await page.getByLabel('Service du référentiel', { exact: true }).selectOption({ label: `${SERVICE.code} · ${SERVICE.label}` });
    await fill(page, { 'Prix d’une séance, en euros': '12,50', 'Durée d’une séance, en minutes': '90' });
    await choose(page, 'Format', 'Individuel');
    expect(await page.getByRole('group', { name: 'Où le service est-il rendu ?' }).getByRole('checkbox', { name: 'Sur place', exact: true }).isChecked()).toBe(true);
    await choose(page, 'Le service est-il proposé en ce moment ?', 'Oui, proposé');
    await send(page, 'Ajouter au catalogue');
    expect(await statusText(page)).toContain('Le service est enregistré au catalogue du lieu.');
    const entry = squash(await page.getByRole('table', { name: /Catalogue du lieu/ }).getByRole('row').filter({ hasText: SERVICE.label }).innerText());
    expect(entry).toContain('12,50 €, dont 2,50 € à payer par la personne');
    expect(entry).toContain('1 h 30');
    expect(entry).toContain('Proposé');

    // 8. The checklist is complete: the application is sent.
    await follow(page, 'Retour à vos lieux');
    const places = squash(await page.getByRole('table', { name: /Lieux/ }).innerText());
    expect(places).toContain(placeName);
    expect(places).toContain('Non publié (en attente de la qualification)');
    await navigate(page, 'Ma candidature');
    expect(pathOf(page)).toBe('/structure/candidature');
    expect(await stepState(page, 'Lieux et services proposés')).toContain('1 lieu(x), 1 service(s) actif(s)');
    expect(await mainText(page)).toContain('Tout est prêt.');
    await send(page, 'Envoyer ma candidature');
    expect(pathOf(page)).toBe('/structure/candidature');
    expect(await statusText(page)).toContain('Votre candidature est envoyée à l’opérateur.');
    expect(await mainText(page)).toContain('Envoyée : l’opérateur l’examine.');
    expect(await page.getByRole('button', { name: 'Envoyer ma candidature' }).count()).toBe(0);
  });

  test('l’opérateur demande une modification, l’association répond et renvoie, l’opérateur qualifie', async () => {
    expect(placeId, 'the application of the previous test was not sent').not.toBe('');
    await createPerson(server.ctx, operatorEmail, [[operatorId, 'admin']]);

    // 1. The operator finds the application in the queue and asks for a change.
    const operator = await open();
    await visit(operator, url('/connexion'));
    await signIn(operator, operatorEmail, PASSWORD);
    expect(pathOf(operator)).toBe('/espace');
    await navigate(operator, 'Candidatures');
    expect(pathOf(operator)).toBe('/operateur/candidatures');
    expect(await heading(operator)).toBe('Candidatures des structures');
    const queueRow = operator.getByRole('table', { name: /Candidatures/ }).getByRole('row').filter({ hasText: providerName });
    expect(squash(await queueRow.innerText())).toContain('À examiner');
    await follow(operator, providerName);
    expect(await heading(operator)).toBe(providerName);
    const review = squash(await mainText(operator));
    expect(review).toContain('Statut : À examiner');
    expect(review).toContain('Éligible, d’après le questionnaire');
    expect(review).toContain(`Version ${CURRENT_CHARTER_VERSION} (en vigueur) acceptée par ${adminName}`);
    expect(review).toContain('FR•• •••• •••• 0189');
    for (const kind of REQUIRED_DOCUMENTS.association) expect(review).toContain(`${kind}.pdf`);
    expect(review).toContain(mediatorName);
    expect(review).toContain(placeName);
    expect(review).toContain(`${SERVICE.code} ${SERVICE.label}`);
    await fill(operator, { 'Ce que la structure doit modifier ou compléter': changeRequest });
    await send(operator, 'Demander des modifications');
    expect(await statusText(operator)).toContain('Les modifications ont été demandées à la structure, par e-mail.');
    expect(squash(await mainText(operator))).toContain('Statut : Modifications demandées');

    // 2. The association opens the link of its mail, signs in, and reads the request.
    const link = await lastLinkMailedTo(server.mailDir, providerEmail);
    expect(link).toBe(url('/structure/candidature'));
    const provider = await open();
    await visit(provider, link, 401);
    expect(await heading(provider)).toBe('Se connecter');
    await signIn(provider, providerEmail, providerPassword);
    expect(pathOf(provider)).toBe('/structure/candidature');
    expect(await mainText(provider)).toContain('À compléter : l’opérateur vous demande des modifications');
    /** A message of the thread, by its text. */
    const message = (text: string) => provider.getByRole('main').getByRole('listitem').filter({ hasText: text });
    expect(squash(await message(changeRequest).innerText())).toContain(`Opérateur (${operatorEmail.split('@')[0]}), le`);

    // 3. It adds the opening hours to its place...
    await navigate(provider, 'Lieux et services');
    await follow(provider, `Modifier ${placeName}`);
    expect(await heading(provider)).toBe(placeName);
    await fill(provider, { 'Horaires d’ouverture (facultatif)': OPENING_HOURS });
    await send(provider, 'Enregistrer les modifications');
    expect(await statusText(provider)).toContain('Les informations du lieu sont enregistrées.');
    expect(await provider.getByLabel('Horaires d’ouverture (facultatif)', { exact: true }).inputValue()).toBe(OPENING_HOURS);

    // 4. ...answers the operator and sends the application again.
    await navigate(provider, 'Ma candidature');
    await fill(provider, { 'Votre message à l’opérateur': providerAnswer });
    await send(provider, 'Envoyer le message');
    expect(await statusText(provider)).toContain('Votre message est envoyé à l’opérateur.');
    expect(squash(await message(providerAnswer).innerText())).toContain(`${adminName}, le`);
    await send(provider, 'Envoyer ma candidature');
    expect(await statusText(provider)).toContain('Votre candidature est envoyée à l’opérateur.');
    expect(await mainText(provider)).toContain('Envoyée : l’opérateur l’examine.');

    // 5. The operator sees the answer and the change, and qualifies.
    await follow(operator, 'Retour aux candidatures');
    await follow(operator, providerName);
    const second = squash(await mainText(operator));
    expect(second).toContain('Statut : À examiner');
    expect(second).toContain(providerAnswer);
    expect(second).toContain(`Horaires : ${OPENING_HOURS}`);
    await fill(operator, { 'Message à la structure (facultatif)': 'Bienvenue parmi les lieux du pass numérique.' });
    await send(operator, 'Qualifier la structure');
    expect(await statusText(operator)).toContain('La structure est qualifiée');
    const qualified = squash(await mainText(operator));
    expect(qualified).toContain('Statut : Qualifiée');
    expect(qualified).toContain('Publication : Publié');

    // 6. The association sees it too.
    await visit(provider, url('/structure/candidature'));
    expect(await mainText(provider)).toContain('Qualifiée : votre structure accepte le pass numérique.');
    expect(squash(await message('Bienvenue parmi les lieux du pass numérique.').innerText())).toContain(`Opérateur (${operatorEmail.split('@')[0]}), le`);
  });

  test('le lieu apparaît dans la recherche publique, avec le service et son prix', async () => {
    expect(placeId, 'the place of the first test was not created').not.toBe('');
    const page = await open();

    await visit(page, url('/'));
    await navigate(page, 'Trouver un lieu');
    expect(pathOf(page)).toBe('/lieux');
    expect(await heading(page)).toBe('Trouver un lieu qui accepte le pass numérique');
    await fill(page, { 'Commune, code postal ou département': '33000' });
    await send(page, 'Rechercher');
    expect(new URL(page.url()).searchParams.get('q')).toBe('33000');
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: placeName, exact: true }) });
    expect(await card.count()).toBe(1);
    const cardText = squash(await card.innerText());
    expect(cardText).toContain('20 quai des Chartrons, 33000 Bordeaux');
    expect(cardText).toContain(`${SERVICE.label} : 12,50 € (reste à payer 2,50 €)`);

    await follow(page, placeName);
    expect(pathOf(page)).toBe(`/lieux/${placeId}`);
    expect(await heading(page)).toBe(placeName);
    const text = squash(await mainText(page));
    expect(text).toContain(`Géré par ${providerName}.`);
    const service = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: SERVICE.label, exact: true }) });
    const serviceText = squash(await service.innerText());
    expect(serviceText).toContain('12,50 € : un pass (10 €) et 2,50 € à votre charge');
    expect(serviceText).toContain('1 h 30');
    expect(serviceText).toContain('Sur place');
    expect(text).toContain(OPENING_HOURS);
  });

  test('avant son premier chèque, l’association choisit la formule annuelle de son abonnement', async () => {
    expect(placeId, 'the place of the first test was not created').not.toBe('');
    const provider = await open();
    await visit(provider, url('/connexion'));
    await signIn(provider, providerEmail, providerPassword);
    await navigate(provider, 'Paiements et relevés');
    expect(pathOf(provider)).toBe('/structure/paiements');
    const section = () => provider.getByRole('region', { name: 'Abonnement' });
    const before = squash(await section().innerText());
    expect(before).toContain('L’abonnement à la plateforme commence avec votre premier chèque encaissé. Le mois de ce premier chèque est offert');
    expect(before).toContain('Formule mensuelle (7 € HT par mois, soit 8,40 € TTC), à partir de la première période facturée');

    await choose(provider, 'Formule de l’abonnement', 'Formule annuelle : 77 € HT par an, soit 92,40 € TTC');
    await send(provider, 'Enregistrer la formule');
    expect(pathOf(provider)).toBe('/structure/paiements');
    expect(await statusText(provider)).toContain('La formule de l’abonnement est enregistrée');
    const after = squash(await section().innerText());
    expect(after).toContain('Formule annuelle (77 € HT par an, soit 92,40 € TTC), à partir de la première période facturée');
    expect(await provider.getByRole('radio', { name: 'Formule annuelle : 77 € HT par an, soit 92,40 € TTC', exact: true }).isChecked()).toBe(true);

    // The plan alone is kept: no start and no invoice until the first voucher is paid.
    const organisation = await server.ctx.db.selectFrom('organisations').select('id').where('name', '=', providerName).executeTakeFirstOrThrow();
    const rows = await server.ctx.db.selectFrom('provider_subscriptions').select(['plan', 'started_on']).where('provider_id', '=', organisation.id).execute();
    expect(rows).toEqual([{ plan: 'yearly', started_on: null }]);
  });
});
