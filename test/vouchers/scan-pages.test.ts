import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeFromBytes, formatVoucherCode, parseVoucherCode, type VoucherCode } from '../../src/domains/vouchers/codes.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD } from '../support/fixtures.js';
import { addMediator, catalogueInput, createProvider, createPublicPlace, placeInput } from '../support/places-fixtures.js';
import { activeBooklets, createFunder, type TestFunder } from '../support/voucher-fixtures.js';
import { WebClient } from '../support/web-client.js';
import { createPlace } from '../../src/domains/places/manage-places.js';
import { saveCatalogueEntry } from '../../src/domains/places/catalogue.js';

let t: TestApp;
let funder: TestFunder;
/** Vouchers usable anywhere, and vouchers of an order kept to Paris (the places are in Bordeaux). */
let codes: VoucherCode[];
let parisCodes: VoucherCode[];
let scanning: Awaited<ReturnType<typeof createPublicPlace>>;
let other: Awaited<ReturnType<typeof createPublicPlace>>;
let mediatorId: string;
const TODAY = '2026-03-02';

beforeAll(async () => {
  t = await createTestApp();
  funder = await createFunder(t.ctx);
  codes = (await activeBooklets(t.ctx, funder)).booklets.flatMap((b) => b.codes);
  parisCodes = (await activeBooklets(t.ctx, funder, { territory: '75' })).booklets.flatMap((b) => b.codes);
  scanning = await createPublicPlace(t.ctx, { name: 'Médiathèque du Lac' }, { services: [{ priceCents: 1500 }] });
  other = await createPublicPlace(t.ctx, { name: 'Espace numérique voisin' });
  mediatorId = (await addMediator(t.ctx, scanning.provider.organisation.id, 'employee')).id;
});
afterAll(() => t.close());

async function as(email: string): Promise<WebClient> {
  const client = new WebClient(t.app);
  await client.signIn(email, PASSWORD);
  await client.get('/espace');
  return client;
}

function scanForm(voucherCodes: readonly string[], overrides: Record<string, string> = {}) {
  return {
    placeId: scanning.place.id,
    serviceCode: 'M01',
    serviceDate: TODAY,
    deliveryMode: 'on_site',
    mediatorId: '',
    publicAge: '',
    publicSituation: '',
    codes: voucherCodes.join('\n'),
    ...overrides,
  };
}

/** The hidden fields of the confirmation form, as a browser would send them back. */
function hiddenFields(body: string): Record<string, string[]> {
  const form = /<form method="post" action="\/structure\/encaisser" novalidate>([\s\S]*?)<\/form>/u.exec(body)?.[1] ?? '';
  const fields: Record<string, string[]> = {};
  for (const [, name, value] of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/gu)) {
    if (name === '_csrf') continue;
    (fields[name!] ??= []).push(value!.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&'));
  }
  return fields;
}

/** The message shown next to the codes field. */
function codesError(body: string): string {
  return /<p class="error-message" id="codes-error">([\s\S]*?)<\/p>/u.exec(body)?.[1] ?? '';
}

const ROUTES = () => [
  { method: 'GET' as const, url: '/structure/encaisser' },
  { method: 'POST' as const, url: '/structure/encaisser/verification' },
  { method: 'POST' as const, url: '/structure/encaisser/corriger' },
  { method: 'POST' as const, url: '/structure/encaisser' },
  { method: 'GET' as const, url: '/structure/encaisser/recu/00000000-0000-4000-8000-000000000000' },
];

describe('scan page: who may use it', () => {
  it('asks an anonymous visitor to sign in (401)', async () => {
    const client = new WebClient(t.app);
    await client.get('/connexion');
    for (const { method, url } of ROUTES()) {
      const response = method === 'GET' ? await client.get(url) : await client.post(url, scanForm([codes[0]!]));
      expect(response.statusCode, `${method} ${url}`).toBe(401);
    }
  });

  it('refuses people of a funder (403)', async () => {
    const client = await as(funder.funderAdmin.email);
    for (const { method, url } of ROUTES()) {
      const response = method === 'GET' ? await client.get(url) : await client.post(url, scanForm([codes[0]!]));
      expect(response.statusCode, `${method} ${url}`).toBe(403);
    }
  });

  it('refuses a form without its CSRF token (403), and spends nothing', async () => {
    const client = await as(scanning.provider.member.email);
    await client.get('/structure/encaisser');
    const response = await client.post('/structure/encaisser', scanForm([codes[9]!]), { csrf: null });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('Le formulaire a expiré');
    const again = await client.post('/structure/encaisser/verification', scanForm([codes[9]!]), { csrf: 'faux' });
    expect(again.statusCode).toBe(403);
    const redeemed = await t.ctx.db.selectFrom('redemptions').select('id').where('provider_id', '=', scanning.provider.organisation.id).execute();
    expect(redeemed).toEqual([]);
  });

  it('explains why a provider that is not qualified cannot take vouchers yet', async () => {
    const draft = await createProvider(t.ctx, { application: 'draft' });
    const client = await as(draft.member.email);
    const page = await client.get('/structure/encaisser');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('n’est pas encore qualifiée');
    expect(page.body).toContain('href="/structure/candidature"');
    expect(page.body).not.toContain('Vérifier les chèques');
    const sent = await client.post('/structure/encaisser', scanForm([codes[9]!]));
    expect(sent.statusCode).toBe(403);
    expect(sent.body).toContain('n’est pas encore qualifiée');
  });
});

describe('scan page: the form', () => {
  it('opens on the form of the only place, ready for a hand scanner', async () => {
    const client = await as(scanning.provider.member.email);
    const page = await client.get('/structure/encaisser');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Médiathèque du Lac');
    expect(page.body).toMatch(/<option value="M01"[^>]*>[^<]*\(M01\) : 15 €<\/option>/u);
    expect(page.body).toContain(`type="date" value="${TODAY}"`);
    expect(page.body).toMatch(/<textarea id="codes" name="codes" rows="6" autofocus autocomplete="off" autocapitalize="characters" spellcheck="false"/u);
    expect(page.body).toContain('<option value="" selected>Ne pas préciser</option>');
    expect(page.body).toContain(`<option value="${mediatorId}">`);
    expect(page.body).toContain('Vérifier les chèques');
    expect(page.body).toContain('<script src="/assets/scan.js" defer></script>');
    // Only on-site services here: no choice to make.
    expect(page.body).toContain('<input type="hidden" name="deliveryMode" value="on_site">');
  });

  it('asks to choose the place first when there are several', async () => {
    const { provider, place } = await createPublicPlace(t.ctx, { name: 'Bibliothèque Nord' });
    const second = await createPlace(t.ctx, provider.actor, provider.organisation.id, placeInput({ name: 'Bibliothèque Sud' }));
    await saveCatalogueEntry(t.ctx, provider.actor, provider.organisation.id, second.id, catalogueInput({ serviceCode: 'D01', deliveryModes: ['on_site', 'remote'] }));
    const client = await as(provider.member.email);
    const choice = await client.get('/structure/encaisser');
    expect(choice.statusCode).toBe(200);
    expect(choice.body).toContain('Dans quel lieu encaissez-vous ?');
    expect(choice.body).toContain(`value="${place.id}"`);
    expect(choice.body).toContain(`value="${second.id}"`);
    expect(choice.body).not.toContain('name="codes"');
    const form = await client.get(`/structure/encaisser?lieu=${second.id}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Bibliothèque Sud');
    expect(form.body).toContain('Changer de lieu');
    expect(form.body).toContain('<option value="D01"');
    // Two modes in this place's catalogue: radios, on site by default.
    expect(form.body).toContain('<legend>Où le service a-t-il été rendu ?</legend>');
    expect(form.body).toMatch(/value="on_site" checked/u);
    const wrong = await client.get(`/structure/encaisser?lieu=${scanning.place.id}`);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('Choisissez un lieu de la liste');
  });

  it('shows each voucher, the price and the holder’s share, then takes two vouchers for one service and gives a receipt', async () => {
    const client = await as(scanning.provider.member.email);
    await client.get('/structure/encaisser');
    const pair = [formatVoucherCode(codes[0]!), codes[1]!.toLowerCase()];
    const preview = await client.post('/structure/encaisser/verification', scanForm(pair, { mediatorId, publicAge: '60_74' }));
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('Vérifier les chèques');
    expect(preview.body.match(/<td>Valable<\/td>/gu)).toHaveLength(2);
    expect(preview.body).toContain(formatVoucherCode(codes[1]!));
    expect(preview.body).toMatch(/Prix du service<\/th><td>15 €/u);
    expect(preview.body).toMatch(/Valeur des chèques<\/th><td>20 €/u);
    expect(preview.body).toContain('<strong>Rien à payer</strong>');
    expect(preview.body).toContain('Confirmer l’encaissement');
    expect(preview.body).not.toContain('error-summary');
    // Nothing is spent by looking.
    expect(await t.ctx.db.selectFrom('vouchers').select('id').where('redemption_id', 'is not', null).execute()).toEqual([]);

    const fields = hiddenFields(preview.body);
    expect(fields.codes).toEqual(pair);
    expect(fields.mediatorId).toEqual([mediatorId]);
    const confirmed = await client.post('/structure/encaisser', fields);
    expect(confirmed.statusCode).toBe(303);
    const receiptUrl = confirmed.headers.location as string;
    expect(receiptUrl).toMatch(/^\/structure\/encaisser\/recu\/[0-9a-f-]{36}$/u);

    const receipt = await client.get(receiptUrl);
    expect(receipt.statusCode).toBe(200);
    expect(receipt.body).toContain('Reçu d’encaissement');
    expect(receipt.body).toContain('2 chèques, 20 €');
    expect(receipt.body).toMatch(/Reste à payer par la personne<\/th><td>Rien à payer/u);
    expect(receipt.body).toContain('2 mars 2026');
    expect(receipt.body).toContain('Intervenant employee');
    expect(receipt.body).toContain(`href="/structure/encaisser?lieu=${scanning.place.id}"`);
    expect(receipt.body).toContain('Encaisser d’autres chèques');

    const redemption = await t.ctx.db.selectFrom('redemptions').selectAll().where('id', '=', receiptUrl.split('/').pop()!).executeTakeFirstOrThrow();
    expect(redemption).toMatchObject({ voucher_count: 2, vouchers_cents: 2000, price_cents: 1500, holder_share_cents: 0, mediator_id: mediatorId, public_age: '60_74', recorded_by_user: scanning.provider.member.id });
  });

  it('shows the holder’s share when one voucher falls short of the price', async () => {
    const client = await as(scanning.provider.member.email);
    await client.get('/structure/encaisser');
    const preview = await client.post('/structure/encaisser/verification', scanForm([codes[2]!]));
    expect(preview.body).toContain('Reste à payer par la personne : <strong>5 €</strong>');
    expect(preview.body).toContain('Confirmer l’encaissement');
  });

  it('warns that a voucher beyond the price would be refused, and offers only to correct', async () => {
    const client = await as(scanning.provider.member.email);
    await client.get('/structure/encaisser');
    const preview = await client.post('/structure/encaisser/verification', scanForm([codes[3]!, codes[4]!, codes[5]!]));
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('Trop de chèques pour ce service');
    expect(preview.body).not.toContain('Confirmer l’encaissement');
    expect(preview.body).toContain('formaction="/structure/encaisser/corriger"');
    // The way back: the form, filled as it was.
    const corrected = await client.post('/structure/encaisser/corriger', hiddenFields(preview.body));
    expect(corrected.statusCode).toBe(200);
    expect(corrected.body).toContain(`${codes[3]!}\n${codes[4]!}\n${codes[5]!}</textarea>`);
    const refused = await client.post('/structure/encaisser', scanForm([codes[3]!, codes[4]!, codes[5]!]));
    expect(refused.statusCode).toBe(409);
    expect(codesError(refused.body)).toContain('Trop de chèques pour ce service');
  });
});

describe('scan page: refusals', () => {
  it('refuses a voucher already used, naming it', async () => {
    const client = await as(scanning.provider.member.email);
    await client.get('/structure/encaisser');
    const first = await client.post('/structure/encaisser', scanForm([codes[6]!]));
    expect(first.statusCode).toBe(303);
    await client.get('/structure/encaisser');
    const preview = await client.post('/structure/encaisser/verification', scanForm([codes[7]!, codes[6]!]));
    expect(preview.body).toContain('Déjà utilisé le 2 mars 2026');
    expect(preview.body).toContain('Chèque n° 2 : Ce chèque a déjà été utilisé.');
    expect(preview.body).not.toContain('Confirmer l’encaissement');
    const again = await client.post('/structure/encaisser', scanForm([codes[7]!, codes[6]!]));
    expect(again.statusCode).toBe(409);
    const message = `Chèque n° 2 (${formatVoucherCode(codes[6]!)}) : Ce chèque a déjà été utilisé.`;
    expect(codesError(again.body)).toContain(message);
    expect(again.body).toContain(`<li><a href="#codes">${message}</a></li>`);
    expect(again.body).toContain('<title>Erreur : Encaisser des chèques');
    // The form comes back filled; the other voucher is still unspent.
    expect(again.body).toContain(`${codes[7]!}\n${codes[6]!}</textarea>`);
    const unspent = await client.post('/structure/encaisser/verification', scanForm([codes[7]!]));
    expect(unspent.body).toContain('<td>Valable</td>');
  });

  it('refuses a voucher kept to another territory, naming the reason', async () => {
    const client = await as(scanning.provider.member.email);
    await client.get('/structure/encaisser');
    const preview = await client.post('/structure/encaisser/verification', scanForm([parisCodes[0]!]));
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('n’est pas valable dans la commune de ce lieu');
    expect(preview.body).not.toContain('Confirmer l’encaissement');
    const refused = await client.post('/structure/encaisser', scanForm([parisCodes[0]!]));
    expect(refused.statusCode).toBe(409);
    expect(codesError(refused.body)).toContain(`Chèque n° 1 (${formatVoucherCode(parisCodes[0]!)}) : Ce chèque n’est pas valable dans la commune de ce lieu`);
    const reasons = await t.ctx.db.selectFrom('redemption_refusals').select('reason').where('provider_id', '=', scanning.provider.organisation.id).execute();
    expect(reasons.map((r) => r.reason)).toContain('place_outside_territory');
  });

  it('shows a mistyped code next to the field, before anything is looked up', async () => {
    const client = await as(scanning.provider.member.email);
    await client.get('/structure/encaisser');
    const typo = codes[8]!.slice(0, 16) + (codes[8]!.endsWith('0') ? '1' : '0');
    const preview = await client.post('/structure/encaisser/verification', scanForm([codes[8]!, 'ABCD-EFGH', typo]));
    expect(preview.statusCode).toBe(400);
    const message = codesError(preview.body);
    expect(message).toContain('Chèque n° 2 (ABCD-EFGH) : Ce code n’a pas la bonne forme');
    expect(message).toContain('Chèque n° 3');
    expect(message).toContain('faute de frappe');
    expect(preview.body).toContain('aria-invalid="true" data-scan-codes');
    const refused = await client.post('/structure/encaisser', scanForm(['ABCD-EFGH']));
    expect(refused.statusCode).toBe(400);
    expect(codesError(refused.body)).toContain('Chèque n° 1 (ABCD-EFGH) : Ce code n’a pas la bonne forme');
    const empty = await client.post('/structure/encaisser', scanForm([]));
    expect(empty.statusCode).toBe(400);
    expect(codesError(empty.body)).toContain('Scannez ou saisissez au moins un chèque');
  });

  it('refuses a service that is not in the place’s catalogue, and another provider’s place', async () => {
    const client = await as(scanning.provider.member.email);
    await client.get('/structure/encaisser');
    const service = await client.post('/structure/encaisser/verification', scanForm([codes[8]!], { serviceCode: 'A01' }));
    expect(service.statusCode).toBe(400);
    expect(service.body).toContain('n’est pas dans le catalogue actif de ce lieu');
    const place = await client.post('/structure/encaisser', scanForm([codes[8]!], { placeId: other.place.id }));
    expect(place.statusCode).toBe(404);
  });

  it('stops after too many refused attempts (429)', async () => {
    const { provider, place } = await createPublicPlace(t.ctx, { name: 'Lieu des essais' });
    const client = await as(provider.member.email);
    await client.get('/structure/encaisser');
    const unknown = Array.from({ length: 20 }, () => formatVoucherCode(codeFromBytes(randomBytes(10))));
    const first = await client.post('/structure/encaisser/verification', scanForm(unknown, { placeId: place.id }));
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Aucun chèque ne porte ce code.');
    const blocked = await client.post('/structure/encaisser/verification', scanForm([codes[8]!], { placeId: place.id }));
    expect(blocked.statusCode).toBe(429);
    expect(blocked.body).toContain('Trop de chèques refusés');
    expect(blocked.headers['retry-after']).toBe('600');
  });

  it('shows a receipt to its provider only (404 elsewhere)', async () => {
    const own = await as(scanning.provider.member.email);
    await own.get('/structure/encaisser');
    const done = await own.post('/structure/encaisser', scanForm([codes[8]!]));
    expect(done.statusCode).toBe(303);
    const url = done.headers.location as string;
    expect((await own.get(url)).statusCode).toBe(200);
    const stranger = await as(other.provider.admin.email);
    const response = await stranger.get(url);
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain('Reçu');
    expect((await own.get('/structure/encaisser/recu/pas-un-id')).statusCode).toBe(404);
  });
});

describe('scan page: the script', () => {
  it('is served from our origin', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/assets/scan.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/javascript');
  });

  it('reads codes as the server does, check symbol included', () => {
    const sandbox: { passnumScan?: { parseCode(text: string): { ok: boolean; code?: string; problem?: string } } } = {};
    runInNewContext(readFileSync(new URL('../../src/http/assets/scan.js', import.meta.url), 'utf8'), { globalThis: sandbox, window: sandbox });
    const parseCode = sandbox.passnumScan!.parseCode;
    const inputs: string[] = [];
    for (let i = 0; i < 300; i++) {
      const code = codeFromBytes(randomBytes(10));
      inputs.push(code, formatVoucherCode(code).toLowerCase(), ` ${formatVoucherCode(code)} `);
      // One symbol changed, and two neighbours swapped.
      const at = i % 17;
      const changed = code.slice(0, at) + (code[at] === 'Z' ? 'Y' : 'Z') + code.slice(at + 1);
      const swapped = code.slice(0, at % 16) + code[(at % 16) + 1] + code[at % 16] + code.slice((at % 16) + 2);
      inputs.push(changed, swapped);
    }
    inputs.push('', 'ABCD', 'O0IL1'.repeat(4).slice(0, 17), '0123456789ABCDEFU', '0123456789ABCDEF!');
    for (const input of inputs) {
      const server = parseVoucherCode(input);
      const client = parseCode(input);
      expect(client.ok, input).toBe(server.ok);
      if (server.ok) expect(client.code).toBe(server.code);
      else expect(client.problem, input).toBe(server.problem);
    }
  });
});
