import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_MAX_BYTES } from '../../src/domains/providers/application.js';
import { loadApplication } from '../../src/domains/providers/repository.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, createOrganisation, createPerson } from '../support/fixtures.js';
import { IBAN, BIC, PDF, PNG, completeApplication, createApplicant, eligibleAnswers, weakAnswers } from '../support/provider-fixtures.js';
import { SignedInClients, WebClient } from '../support/web-client.js';

let t: TestApp;
let a: Awaited<ReturnType<typeof createApplicant>>;
let b: Awaited<ReturnType<typeof createApplicant>>;
beforeAll(async () => {
  t = await createTestApp({ rateLimits: { signIn: { max: 60, windowMs: 60_000 }, signInPerAccount: { max: 10, windowMs: 60_000 }, passwordReset: { max: 5, windowMs: 60_000 } } });
  const operator = await createOrganisation(t.ctx, 'operator', 'Opérateur');
  await createPerson(t.ctx, 'revue@operateur.test', [[operator.id, 'admin']]);
  const funder = await createOrganisation(t.ctx, 'funder', 'Ville');
  await createPerson(t.ctx, 'admin@ville.test', [[funder.id, 'admin']]);
  a = await createApplicant(t.ctx, { organisationName: 'Lieu A', email: 'admin@a.test' }, { memberEmail: 'membre@a.test' });
  b = await createApplicant(t.ctx, { organisationName: 'Lieu B', email: 'admin@b.test' });
});
afterAll(() => t.close());

/** One signed-in browser per person, kept across tests (sign-ins are rate-limited too). */
const clients = new SignedInClients(() => t.app);
async function as(email: string): Promise<WebClient> {
  const client = await clients.as(email);
  await client.get('/espace');
  return client;
}

/** Posts a multipart form as a browser does: the CSRF field first, then the others, then the file. */
function upload(client: WebClient, url: string, fields: Record<string, string>, file?: { name: string; type: string; content: Buffer }): Promise<LightMyRequestResponse> {
  const boundary = '----passnumtest' + Math.random().toString(16).slice(2);
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries({ _csrf: client.csrfToken, ...fields })) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`), file.content, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const cookies = ['passnum_session', 'passnum_csrf'].flatMap((name) => (client.cookie(name) ? [`${name}=${client.cookie(name)}`] : []));
  return t.app.inject({
    method: 'POST',
    url,
    headers: { cookie: cookies.join('; '), 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat(chunks),
  });
}

const PROTECTED: { method: 'GET' | 'POST'; url: string; adminOnly: boolean }[] = [
  { method: 'GET', url: '/structure/candidature', adminOnly: false },
  { method: 'POST', url: '/structure/candidature/envoyer', adminOnly: true },
  { method: 'POST', url: '/structure/candidature/messages', adminOnly: true },
  { method: 'GET', url: '/structure/profil', adminOnly: false },
  { method: 'POST', url: '/structure/profil', adminOnly: true },
  { method: 'GET', url: '/structure/eligibilite', adminOnly: false },
  { method: 'POST', url: '/structure/eligibilite', adminOnly: true },
  { method: 'GET', url: '/structure/charte', adminOnly: false },
  { method: 'POST', url: '/structure/charte', adminOnly: true },
  { method: 'GET', url: '/structure/documents', adminOnly: false },
  { method: 'POST', url: '/structure/documents', adminOnly: true },
  { method: 'GET', url: '/structure/documents/00000000-0000-0000-0000-000000000000', adminOnly: false },
  { method: 'GET', url: '/structure/intervenants', adminOnly: false },
  { method: 'POST', url: '/structure/intervenants', adminOnly: true },
  { method: 'POST', url: '/structure/intervenants/00000000-0000-0000-0000-000000000000/retirer', adminOnly: true },
];

describe('provider pages: who may open them', () => {
  it.each(PROTECTED)('$method $url asks an anonymous visitor to sign in (401)', async ({ method, url }) => {
    const client = new WebClient(t.app);
    await client.get('/connexion');
    const response = method === 'GET' ? await client.get(url) : await client.post(url, {});
    expect(response.statusCode).toBe(401);
    expect(response.body).toContain('action="/connexion"');
  });

  it.each(PROTECTED)('$method $url is refused (403) to someone who does not act for a provider', async ({ method, url }) => {
    const client = await as('admin@ville.test');
    const response = method === 'GET' ? await client.get(url) : await client.post(url, {});
    expect(response.statusCode).toBe(403);
  });

  it.each(PROTECTED.filter((p) => p.adminOnly))('$method $url is refused (403) to a member who is not an admin', async ({ url }) => {
    const client = await as('membre@a.test');
    expect((await client.post(url, {})).statusCode).toBe(403);
  });

  it('lets a member read the checklist, without the forms, and shows « Ma candidature » in the navigation', async () => {
    const client = await as('membre@a.test');
    const response = await client.get('/structure/candidature');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('href="/structure/candidature" aria-current="page">Ma candidature');
    expect(response.body).toContain('En préparation');
    expect(response.body).not.toContain('action="/structure/candidature/messages"');
    const charter = await client.get('/structure/charte');
    expect(charter.body).toContain('Seuls les administrateurs');
  });
});

describe('sign-up /devenir-lieu', () => {
  const form = {
    organisationName: 'Tiers-lieu du Léman',
    legalForm: 'association',
    siret: '',
    rna: 'W012345678',
    address: '1 route du Léman',
    postcode: '01200',
    adminName: 'Camille',
    email: 'camille@tiers-lieu.test',
    password: PASSWORD,
  };

  it('shows the form to anyone', async () => {
    const response = await t.app.inject({ url: '/devenir-lieu' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('name="legalForm" value="association"');
    expect(response.body).not.toContain('name="inseeCode"');
  });

  it('explains each problem next to its field (400)', async () => {
    const client = new WebClient(t.app);
    await client.get('/devenir-lieu');
    const response = await client.post('/devenir-lieu', { ...form, legalForm: '', postcode: '1200', email: 'x', password: '' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Erreur : Devenir un lieu');
    expect(response.body).toContain('Choisissez la forme juridique');
    expect(response.body).toContain('Le code postal compte 5 chiffres');
    const badSiret = await client.post('/devenir-lieu', { ...form, legalForm: 'company', siret: '123 456 789 00010', rna: '', postcode: '33000' });
    expect(badSiret.statusCode).toBe(400);
    expect(badSiret.body).toContain('Ce numéro SIRET n’est pas valide');
  });

  it('asks for the commune among those of the postcode, then signs up and signs in', async () => {
    const client = new WebClient(t.app);
    await client.get('/devenir-lieu');
    const first = await client.post('/devenir-lieu', form);
    expect(first.statusCode).toBe(400);
    expect(first.body).toContain('Choisissez la commune parmi celles de ce code postal.');
    expect(first.body).toContain('<option value="74109">Éloise (74109)</option>');
    expect(await t.ctx.db.selectFrom('users').select('id').where('email', '=', form.email).execute()).toHaveLength(0);
    const done = await client.post('/devenir-lieu', { ...form, inseeCode: '74109' });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/structure/candidature?ok=inscription');
    const checklist = await client.get(done.headers.location as string);
    expect(checklist.statusCode).toBe(200);
    expect(checklist.body).toContain('Candidature de Tiers-lieu du Léman');
    expect(checklist.body).toContain('Votre structure est inscrite');
    expect(checklist.body).toContain('Le questionnaire d’éligibilité n’est pas rempli');
    expect(checklist.body).not.toContain('action="/structure/candidature/envoyer"');
  });

  it('says plainly that the address already has an account (409), and creates nothing', async () => {
    const client = new WebClient(t.app);
    await client.get('/devenir-lieu');
    const organisations = await t.ctx.db.selectFrom('organisations').select('id').execute();
    const response = await client.post('/devenir-lieu', { ...form, inseeCode: '74109', email: 'admin@a.test' });
    expect(response.statusCode).toBe(409);
    expect(response.body).toContain('Un compte existe déjà avec cette adresse e-mail.');
    expect(await t.ctx.db.selectFrom('organisations').select('id').execute()).toHaveLength(organisations.length);
  });
});

describe('the steps of the application', () => {
  it('/structure/profil: refuses a bad IBAN (400), saves good bank details', async () => {
    const client = await as('admin@a.test');
    const page = await client.get('/structure/profil');
    expect(page.body).toContain('value="213 300 635 00017"');
    const values = { organisationName: 'Lieu A', legalForm: 'public_body', siret: '21330063500017', address: '12 rue de la Paix', postcode: '33000', inseeCode: '33063', bic: BIC, accountHolder: 'Lieu A' };
    const bad = await client.post('/structure/profil', { ...values, iban: 'FR76 0000' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Cet IBAN n’est pas valide');
    const ok = await client.post('/structure/profil', { ...values, iban: IBAN });
    expect(ok.statusCode).toBe(303);
    expect((await loadApplication(t.ctx.db, a.providerId)).provider.iban).toBe(IBAN);
  });

  it('/structure/eligibilite: one error per unanswered question, a diagnostic, then eligible', async () => {
    const client = await as('admin@a.test');
    const page = await client.get('/structure/eligibilite');
    expect(page.body).toContain('<legend>');
    const missing = await client.post('/structure/eligibilite', {});
    expect(missing.statusCode).toBe(400);
    expect(missing.body.match(/Choisissez une réponse/g)!.length).toBeGreaterThan(10);
    expect((await client.post('/structure/eligibilite', weakAnswers())).statusCode).toBe(303);
    const diagnostic = await client.get('/structure/eligibilite');
    expect(diagnostic.body).toContain('Résultat : pas encore éligible');
    expect(diagnostic.body).toContain('à améliorer');
    t.clock.advanceMinutes(1);
    expect((await client.post('/structure/eligibilite', eligibleAnswers())).statusCode).toBe(303);
    expect((await client.get('/structure/eligibilite')).body).toContain('Résultat : votre structure est éligible');
  });

  it('/structure/charte: the box must be ticked (400); then the acceptance shows who and when', async () => {
    const client = await as('admin@a.test');
    const page = await client.get('/structure/charte');
    expect(page.body).toContain('Moi, Alix Admin, j’accepte cette charte');
    expect((await client.post('/structure/charte', {})).statusCode).toBe(400);
    expect((await client.post('/structure/charte', { accept: 'yes' })).statusCode).toBe(303);
    const accepted = await client.get('/structure/charte');
    expect(accepted.body).toMatch(/Charte acceptée le .* par Alix Admin/);
    expect(accepted.body).not.toContain('action="/structure/charte"');
  });

  it('/structure/intervenants: an untrained volunteer is refused (400), a trained one is added', async () => {
    const client = await as('admin@a.test');
    expect((await client.get('/structure/intervenants')).body).toContain('« faire à la place »');
    const refused = await client.post('/structure/intervenants', { name: 'Béné', status: 'volunteer', trained: 'no' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('doivent avoir été formés');
    expect((await client.post('/structure/intervenants', { name: 'Béné', status: 'volunteer', trained: 'yes', training: 'Aidants Connect' })).statusCode).toBe(303);
    const listed = await client.get('/structure/intervenants');
    expect(listed.body).toContain('Béné');
    const id = (await loadApplication(t.ctx.db, a.providerId)).mediators[0]!.id;
    expect((await client.post(`/structure/intervenants/${id}/retirer`, {})).statusCode).toBe(303);
    expect((await client.post(`/structure/intervenants/${id}/retirer`, {})).statusCode).toBe(404);
  });
});

describe('documents', () => {
  it('uploads a PDF (303) and lists it with a download link for the provider’s members', async () => {
    const admin = await as('admin@a.test');
    await admin.get('/structure/documents');
    const response = await upload(admin, '/structure/documents', { kind: 'rib' }, { name: 'mon rib.pdf', type: 'application/pdf', content: PDF });
    expect(response.statusCode).toBe(303);
    const [document] = (await loadApplication(t.ctx.db, a.providerId)).documents;
    expect(document).toMatchObject({ kind: 'rib', fileName: 'mon rib.pdf', mediaType: 'application/pdf' });

    const member = await as('membre@a.test');
    expect((await member.get('/structure/documents')).body).toContain(`href="/structure/documents/${document!.id}"`);
    const download = await member.get(`/structure/documents/${document!.id}`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    expect(download.headers['content-disposition']).toContain("filename*=UTF-8''mon%20rib.pdf");
    expect(download.rawPayload.equals(PDF)).toBe(true);

    const other = await as('admin@b.test');
    expect((await other.get(`/structure/documents/${document!.id}`)).statusCode).toBe(404);
    expect((await other.get('/structure/documents')).body).not.toContain(document!.id);
  });

  it('refuses a file whose declared type lies, a kind not asked, a missing file, and a file too large: nothing saved', async () => {
    const admin = await as('admin@a.test');
    await admin.get('/structure/documents');
    const before = (await loadApplication(t.ctx.db, a.providerId)).documents.length;
    const lying = await upload(admin, '/structure/documents', { kind: 'identity' }, { name: 'id.pdf', type: 'application/pdf', content: Buffer.from('<html><script>alert(1)</script></html>') });
    expect(lying.statusCode).toBe(400);
    expect(lying.body).toContain('Ce fichier n’est ni un PDF, ni une image JPEG ou PNG');
    const kind = await upload(admin, '/structure/documents', { kind: 'kbis' }, { name: 'kbis.pdf', type: 'application/pdf', content: PDF });
    expect(kind.statusCode).toBe(400);
    expect(kind.body).toContain('n’est pas demandé pour la forme juridique');
    const none = await upload(admin, '/structure/documents', { kind: 'identity' });
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('Choisissez le fichier à envoyer');
    const big = await upload(admin, '/structure/documents', { kind: 'identity' }, { name: 'id.png', type: 'image/png', content: Buffer.concat([PNG, Buffer.alloc(DOCUMENT_MAX_BYTES)]) });
    expect(big.statusCode).toBe(413);
    expect(big.body).toContain('Ce fichier dépasse 10 Mo');
    expect((await loadApplication(t.ctx.db, a.providerId)).documents).toHaveLength(before);
  });

  it('checks the CSRF token of an upload, and takes multipart nowhere else', async () => {
    const admin = await as('admin@a.test');
    await admin.get('/structure/documents');
    const token = admin.csrfToken;
    admin.csrfToken = 'forged';
    const forged = await upload(admin, '/structure/documents', { kind: 'identity' }, { name: 'id.pdf', type: 'application/pdf', content: PDF });
    expect(forged.statusCode).toBe(403);
    admin.csrfToken = token;
    const elsewhere = await upload(admin, '/structure/intervenants', { name: 'X' });
    expect(elsewhere.statusCode).toBe(415);
  });

  it('refuses an upload by a member who is not an admin (403)', async () => {
    const member = await as('membre@a.test');
    await member.get('/structure/documents');
    const response = await upload(member, '/structure/documents', { kind: 'identity' }, { name: 'id.pdf', type: 'application/pdf', content: PDF });
    expect(response.statusCode).toBe(403);
  });
});

describe('submitting and messages', () => {
  it('refuses to submit with gaps (409, gaps listed), submits when complete, then freezes editing', async () => {
    const client = await as('admin@b.test');
    await client.get('/structure/candidature');
    const refused = await client.post('/structure/candidature/envoyer', {});
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Votre candidature n’est pas complète');
    expect(refused.body).toContain('La charte en vigueur n’est pas acceptée.');

    await completeApplication(t.ctx, b);
    const ready = await client.get('/structure/candidature');
    expect(ready.body).toContain('action="/structure/candidature/envoyer"');
    const sent = await client.post('/structure/candidature/envoyer', {});
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe('/structure/candidature?ok=envoyee');
    const after = await client.get('/structure/candidature?ok=envoyee');
    expect(after.body).toContain('Envoyée : l’opérateur l’examine');
    expect(after.body).not.toContain('action="/structure/candidature/envoyer"');
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.mailbox.sent.some((m) => m.to === 'revue@operateur.test' && m.subject.includes('Lieu B'))).toBe(true);

    const profile = await client.post('/structure/profil', { organisationName: 'Lieu B', legalForm: 'public_body', siret: '21330063500017', address: 'x', postcode: '33000' });
    expect(profile.statusCode).toBe(409);
    expect(profile.body).toContain('ne peut pas être modifiée en ce moment');
    expect((await client.get('/structure/eligibilite')).body).toContain('ne peut pas être modifiée en ce moment');
  });

  it('posts a message to the operator (303) and shows it in the thread; an empty one is refused (400)', async () => {
    const client = await as('admin@b.test');
    await client.get('/structure/candidature');
    expect((await client.post('/structure/candidature/messages', { body: '   ' })).statusCode).toBe(400);
    expect((await client.post('/structure/candidature/messages', { body: 'Bonjour <b>opérateur</b>' })).statusCode).toBe(303);
    const page = await client.get('/structure/candidature');
    expect(page.body).toContain('Bonjour &lt;b&gt;opérateur&lt;/b&gt;');
  });
});

describe('sign-up rate limit', () => {
  it('limits sign-up attempts per network origin (429)', async () => {
    const client = new WebClient(t.app);
    await client.get('/devenir-lieu');
    const statuses: number[] = [];
    for (let i = 0; i < 62; i++) statuses.push((await client.post('/devenir-lieu', { organisationName: '' })).statusCode);
    expect(statuses.at(-1)).toBe(429);
  });
});
