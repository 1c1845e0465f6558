import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatVoucherCode, type VoucherCode } from '../../src/domains/vouchers/codes.js';
import { redeemVouchers } from '../../src/domains/vouchers/redeem-vouchers.js';
import { formatLongDate } from '../../src/lib/paris-dates.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createPublicPlace } from '../support/places-fixtures.js';
import { activeBooklets, bookletsOf, createFunder, issueTestOrder } from '../support/voucher-fixtures.js';
import { WebClient } from '../support/web-client.js';

const LOOKUPS_MAX = 4;

let t: TestApp;
let codes: VoucherCode[];
let validUntil: string;
let parisCodes: VoucherCode[];
let inactiveCode: VoucherCode;
let placeId: string;
let farPlaceId: string;

beforeAll(async () => {
  t = await createTestApp({ holderLookupsMax: LOOKUPS_MAX });
  const funder = await createFunder(t.ctx);
  const active = await activeBooklets(t.ctx, funder);
  codes = active.booklets.flatMap((b) => b.codes);
  validUntil = active.order.valid_until;
  parisCodes = (await activeBooklets(t.ctx, funder, { territory: '75' })).booklets.flatMap((b) => b.codes);
  const issuedOnly = await issueTestOrder(t.ctx, funder);
  inactiveCode = (await bookletsOf(t.ctx, issuedOnly.id))[0]!.codes[0]!;
  placeId = (await createPublicPlace(t.ctx, { name: 'Médiathèque du Lac' }, { services: [{ priceCents: 1500 }] })).place.id;
  farPlaceId = (await createPublicPlace(t.ctx, { name: 'Espace de Lille', postcode: '59000', inseeCode: '59350', latitude: 50.63, longitude: 3.06 })).place.id;
});
afterAll(() => t.close());

let origins = 0;

/** A visitor from a network origin of its own, so that each test has its own rate limit. */
function visitor(): WebClient {
  const remoteAddress = `10.0.${Math.floor(++origins / 250)}.${origins % 250}`;
  const app = { inject: (options: InjectOptions) => t.app.inject({ ...options, remoteAddress }) } as unknown as FastifyInstance;
  return new WebClient(app);
}

async function lookUp(code: string, more: Record<string, string> = {}) {
  const client = visitor();
  await client.get('/mon-pass');
  return { client, response: await client.post('/mon-pass', { code, ...more }) };
}

function fieldError(body: string, field: string): string {
  return new RegExp(`<p class="error-message" id="${field}-error">([\\s\\S]*?)</p>`, 'u').exec(body)?.[1] ?? '';
}

describe('holder page', () => {
  it('is public and asks for a code only', async () => {
    const client = visitor();
    const page = await client.get('/mon-pass');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<label for="code">Code du chèque</label>');
    expect(page.body).toContain('17 caractères imprimés sous le code-barres');
    expect(page.body).toContain('autocomplete="off"');
    expect(page.body).not.toMatch(/name="(email|nom|name|phone|telephone)"/u);
  });

  it('refuses a form without its CSRF token (403)', async () => {
    const client = visitor();
    await client.get('/mon-pass');
    const response = await client.post('/mon-pass', { code: codes[0]! }, { csrf: null });
    expect(response.statusCode).toBe(403);
  });

  it('shows that a voucher is valid, its value and until when, without putting the code in a URL or a log', async () => {
    const { response } = await lookUp(formatVoucherCode(codes[0]!).toLowerCase());
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<strong>Valable</strong>');
    expect(response.body).toContain(`jusqu’au ${formatLongDate(validUntil)}`);
    expect(response.body).toMatch(/Valeur<\/th><td>10 €/u);
    expect(response.body).toContain('Il est accepté par tous les lieux qualifiés');
    expect(response.body).toContain('<label for="commune">Commune ou code postal</label>');
    expect(response.body).toContain('<form method="post" action="/mon-pass"');
    expect(t.logs.join('\n')).not.toContain(codes[0]!);
    expect(t.logs.join('\n')).not.toContain(formatVoucherCode(codes[0]!).toLowerCase());
  });

  it('lists the places that accept it near a commune, with the price and the holder’s share', async () => {
    const { response } = await lookUp(codes[0]!, { lieux: '1', commune: 'Bordeaux' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`<a href="/lieux/${placeId}">Médiathèque du Lac</a>`);
    expect(response.body).toContain('15 €, avec un chèque, 5 € restent à votre charge (ou 2 chèques, sans rien à payer)');
    expect(response.body).not.toContain('Espace de Lille');
    const lille = await lookUp(codes[0]!, { lieux: '1', commune: '59000' });
    expect(lille.response.body).toContain(`<a href="/lieux/${farPlaceId}">Espace de Lille</a>`);
    expect(lille.response.body).toContain('entièrement payé avec un chèque');
    const nowhere = await lookUp(codes[0]!, { lieux: '1', commune: 'Xyzzyville' });
    expect(nowhere.response.statusCode).toBe(400);
    expect(fieldError(nowhere.response.body, 'commune')).toContain('Nous ne trouvons pas cette commune');
  });

  it('lists no place outside the territory its funder chose', async () => {
    const { response } = await lookUp(parisCodes[0]!, { lieux: '1', commune: 'Bordeaux' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Valable à : Paris (75)');
    expect(response.body).toContain('Aucun lieu ne l’accepte à Bordeaux');
    expect(response.body).not.toContain('Médiathèque du Lac');
  });

  it('says a voucher is not active until its booklet is handed out', async () => {
    const { response } = await lookUp(inactiveCode);
    expect(response.body).toContain('<strong>Pas encore activé</strong>');
    expect(response.body).toContain('votre carnet doit vous être remis par un distributeur');
  });

  it('shows a voucher used once it is redeemed, and offers no search', async () => {
    const { provider } = await createPublicPlace(t.ctx, { name: 'Lieu qui encaisse' });
    const place = await t.ctx.db.selectFrom('places').select('id').where('provider_id', '=', provider.organisation.id).executeTakeFirstOrThrow();
    const result = await redeemVouchers(
      t.ctx,
      { providerId: provider.organisation.id, userId: provider.member.id, tokenId: null },
      { placeId: place.id, serviceCode: 'M01', serviceDate: '2026-03-02', deliveryMode: 'on_site', codes: [codes[1]!] },
    );
    expect(result.outcome.ok).toBe(true);
    const { response } = await lookUp(codes[1]!);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<strong>Déjà utilisé le 2 mars 2026</strong>');
    expect(response.body).not.toContain('name="commune"');
  });

  it('answers an unknown or mistyped code next to the field', async () => {
    const unknown = await lookUp('0000-0000-0000-00000');
    expect(unknown.response.statusCode).toBe(404);
    expect(fieldError(unknown.response.body, 'code')).toContain('Aucun chèque ne porte ce code.');
    expect(unknown.response.body).toContain('<li><a href="#code">Aucun chèque ne porte ce code.</a></li>');
    expect(unknown.response.body).toContain('value="0000-0000-0000-00000"');
    const typo = codes[2]!.slice(0, 16) + (codes[2]!.endsWith('0') ? '1' : '0');
    const mistyped = await lookUp(typo);
    expect(mistyped.response.statusCode).toBe(400);
    expect(fieldError(mistyped.response.body, 'code')).toContain('faute de frappe');
    const short = await lookUp('ABCD');
    expect(fieldError(short.response.body, 'code')).toContain('n’a pas la bonne forme');
    const empty = await lookUp('  ');
    expect(empty.response.statusCode).toBe(400);
    expect(fieldError(empty.response.body, 'code')).toContain('Saisissez le code du chèque');
  });

  it('limits look-ups per network origin (429 page in French)', async () => {
    const client = visitor();
    await client.get('/mon-pass');
    for (let i = 0; i < LOOKUPS_MAX; i++) {
      const response = await client.post('/mon-pass', { code: codes[3]! });
      expect(response.statusCode, `look-up ${i + 1}`).toBe(200);
    }
    const blocked = await client.post('/mon-pass', { code: codes[3]! });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.body).toContain('Trop de vérifications');
    expect(blocked.body).toContain('<html lang="fr">');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Another origin is not affected.
    expect((await lookUp(codes[3]!)).response.statusCode).toBe(200);
  });
});
