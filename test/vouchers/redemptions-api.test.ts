import { randomUUID } from 'node:crypto';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECENT_TOKEN_MS, createApiToken, revokeApiToken } from '../../src/domains/accounts/api-tokens.js';
import type { ApiScope } from '../../src/domains/accounts/model.js';
import { saveCatalogueEntry } from '../../src/domains/places/catalogue.js';
import { createPlace } from '../../src/domains/places/manage-places.js';
import { formatVoucherCode, generateVoucherCode, type VoucherCode } from '../../src/domains/vouchers/codes.js';
import { allocateBooklets, handOutBooklet } from '../../src/domains/vouchers/distribution.js';
import { parisDay } from '../../src/lib/paris-dates.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createOrganisation } from '../support/fixtures.js';
import { catalogueInput, createPublicPlace, placeInput } from '../support/places-fixtures.js';
import { activeBooklets, bookletsOf, createFunder, issueTestOrder, type TestFunder } from '../support/voucher-fixtures.js';

type Response = Awaited<ReturnType<TestApp['app']['inject']>>;

let t: TestApp;
let funder: TestFunder;
/** Vouchers valid anywhere, handed out: each test takes its own. */
let fresh: VoucherCode[];

beforeAll(async () => {
  t = await createTestApp({ redemptionFailuresMax: 3 });
  funder = await createFunder(t.ctx);
  const { booklets } = await activeBooklets(t.ctx, funder, { bookletCount: '6', vouchersPerBooklet: '10' });
  fresh = booklets.flatMap((b) => b.codes);
});
afterAll(() => t.close());

function nextVoucher(): VoucherCode {
  const code = fresh.shift();
  if (!code) throw new Error('no fresh voucher left: issue more in beforeAll');
  return code;
}

async function tokenFor(organisation: { id: string; kind: 'operator' | 'funder' | 'distributor' | 'provider' }, scopes: ApiScope[], ctx = t.ctx) {
  const actor = { userId: null, organisationId: organisation.id, apiTokenId: null };
  return createApiToken(ctx, actor, { organisationId: organisation.id, organisationKind: organisation.kind, name: scopes.join('+'), scopes });
}

/** A qualified provider with one published place offering M01 at 10 €, and a token to redeem there. */
async function counter(app: TestApp = t) {
  const { provider, place } = await createPublicPlace(app.ctx);
  const { token, tokenId } = await tokenFor(provider.organisation, ['redemptions:write'], app.ctx);
  return { provider, place, token, tokenId };
}

function body(placeId: string, codes: readonly string[], extra: Record<string, unknown> = {}) {
  return { placeId, serviceCode: 'M01', serviceDate: parisDay(t.clock.now()), deliveryMode: 'on_site', codes, ...extra };
}

/** A fresh Idempotency-Key unless one is given; null sends none. */
function redeem(token: string | undefined, payload: unknown, key: string | null = randomUUID(), app: TestApp = t, contentType = 'application/json') {
  return app.app.inject({
    method: 'POST',
    url: '/api/v1/redemptions',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(key === null ? {} : { 'idempotency-key': key }),
      'content-type': contentType,
    },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

function expectProblem(response: Response, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  const problem = response.json();
  expect(problem).toMatchObject({ type: `urn:passnum:problem:${code}`, status, code, instance: '/api/v1/redemptions' });
  expect(problem.title).toMatch(/[a-zé]/);
  return problem;
}

const count = async (table: 'redemptions' | 'redemption_refusals' | 'idempotency_keys') =>
  Number((await t.ctx.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('POST /api/v1/redemptions: access', () => {
  it('needs a bearer token (401)', async () => {
    const { place } = await counter();
    const anonymous = await redeem(undefined, body(place.id, [nextVoucher()]));
    expectProblem(anonymous, 401, 'unauthenticated');
    expect(anonymous.headers['www-authenticate']).toContain('Bearer');
    expectProblem(await redeem(`pn_abcdefghijkl_${'x'.repeat(43)}`, body(place.id, [nextVoucher()])), 401, 'unauthenticated');
  });

  it('refuses a provider token without the scope, and any funder token (403)', async () => {
    const { provider, place } = await counter();
    const reader = await tokenFor(provider.organisation, ['organisation:read', 'members:read']);
    expectProblem(await redeem(reader.token, body(place.id, [nextVoucher()])), 403, 'forbidden');
    const funderToken = await tokenFor(funder.funder, ['organisation:read', 'members:write']);
    expectProblem(await redeem(funderToken.token, body(place.id, [nextVoucher()])), 403, 'forbidden');
    // The scope itself cannot be given to a funder's token.
    await expect(tokenFor(funder.funder, ['redemptions:write'])).rejects.toMatchObject({ code: 'scope_not_allowed' });
    // Even a funder token that somehow held the scope is refused: the route is for providers only.
    await t.ctx.db.updateTable('api_tokens').set({ scopes: ['redemptions:write'] }).where('id', '=', funderToken.tokenId).execute();
    expectProblem(await redeem(funderToken.token, body(place.id, [nextVoucher()])), 403, 'forbidden');
    // A distributor's token neither.
    const distributor = await createOrganisation(t.ctx, 'distributor', 'Association relais');
    expectProblem(await redeem((await tokenFor(distributor, ['organisation:read'])).token, body(place.id, [nextVoucher()])), 403, 'forbidden');
  });
});

describe('POST /api/v1/redemptions: a revoked token', () => {
  const keyStored = async (key: string) => (await t.ctx.db.selectFrom('idempotency_keys').select('key').where('key', '=', key).execute()).length > 0;

  it('is refused at once when revoked here, by the same check as an unknown token', async () => {
    const { provider, place, token, tokenId } = await counter();
    expect((await redeem(token, body(place.id, [nextVoucher()]))).statusCode).toBe(201);
    await revokeApiToken(t.ctx, { userId: null, organisationId: provider.organisation.id, apiTokenId: null }, { organisationId: provider.organisation.id, tokenId });
    const refused = await redeem(token, body(place.id, [nextVoucher()]));
    expectProblem(refused, 401, 'unauthenticated');
    expect(refused.headers['www-authenticate']).toContain('Bearer');
  });

  it('revoked by another process, is refused by the batch that would write (401 api_token_revoked): nothing written, key released', async () => {
    const { provider, place, token, tokenId } = await counter();
    expect((await redeem(token, body(place.id, [nextVoucher()]))).statusCode).toBe(201);
    // Another instance of the application revokes it: this one still has it among the tokens found valid lately.
    await t.ctx.db.updateTable('api_tokens').set({ revoked_at: t.clock.now() }).where('id', '=', tokenId).execute();
    const before = { redemptions: await count('redemptions'), refusals: await count('redemption_refusals') };
    const code = nextVoucher();
    const key = randomUUID();
    const refused = await redeem(token, body(place.id, [code]), key);
    expectProblem(refused, 401, 'api_token_revoked');
    expect(refused.headers['www-authenticate']).toContain('Bearer');
    expect({ redemptions: await count('redemptions'), refusals: await count('redemption_refusals') }).toEqual(before);
    expect(await keyStored(key)).toBe(false);
    // The voucher is still whole: another client of the place spends it.
    const other = await tokenFor(provider.organisation, ['redemptions:write']);
    expect((await redeem(other.token, body(place.id, [code]))).statusCode).toBe(201);
    // Routes that do not check the token as they write look it up at every request.
    const checked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/vouchers/check',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ codes: [formatVoucherCode(nextVoucher())] }),
    });
    expect(checked.statusCode).toBe(401);
    // Past RECENT_TOKEN_MS, the redemption route looks it up again too: refused before the body is read.
    t.clock.advanceMinutes(RECENT_TOKEN_MS / 60_000);
    expectProblem(await redeem(token, body(place.id, [nextVoucher()])), 401, 'unauthenticated');
  });
});

describe('POST /api/v1/redemptions: input', () => {
  it('requires a well-formed Idempotency-Key (400 idempotency_key_invalid)', async () => {
    const { place, token } = await counter();
    const code = nextVoucher();
    for (const key of [null, '', 'x'.repeat(256), 'clé accentuée', 'deux mots']) {
      const problem = expectProblem(await redeem(token, body(place.id, [code]), key), 400, 'idempotency_key_invalid');
      expect(problem.invalidParams).toEqual([{ name: 'Idempotency-Key', reason: expect.stringContaining('Idempotency-Key') }]);
    }
    expect((await redeem(token, body(place.id, [code]), `k-${'x'.repeat(253)}`)).statusCode).toBe(201);
  });

  it('rejects bad bodies with the parameter named, and writes nothing', async () => {
    const { place, token } = await counter();
    const code = nextVoucher();
    const before = { redemptions: await count('redemptions'), refusals: await count('redemption_refusals'), keys: await count('idempotency_keys') };

    const unknown = expectProblem(await redeem(token, body(place.id, [code], { discount: 100 })), 400, 'validation_failed');
    expect(JSON.stringify(unknown.invalidParams)).toContain('discount');
    for (const serviceDate of ['2026-13-01', '02/03/2026', '2026-3-2']) {
      const bad = expectProblem(await redeem(token, body(place.id, [code], { serviceDate })), 400, 'validation_failed');
      expect(bad.invalidParams.map((p: { name: string }) => p.name)).toEqual(['serviceDate']);
    }
    const none = expectProblem(await redeem(token, body(place.id, [])), 400, 'validation_failed');
    expect(none.invalidParams.map((p: { name: string }) => p.name)).toEqual(['codes']);
    expectProblem(await redeem(token, body(place.id, Array.from({ length: 21 }, () => code))), 400, 'validation_failed');
    expectProblem(await redeem(token, body('pas-un-uuid', [code])), 400, 'validation_failed');
    expectProblem(await redeem(token, body(place.id, [code], { deliveryMode: 'by_post' })), 400, 'validation_failed');
    expectProblem(await redeem(token, body(place.id, [code], { publicAge: '18_25' })), 400, 'validation_failed');
    expectProblem(await redeem(token, '{"placeId": '), 400, 'malformed_body');

    // The check symbol catches a typing mistake before any lookup: not a refused attempt.
    const malformed = expectProblem(await redeem(token, body(place.id, [code, 'ABC-123'])), 400, 'code_malformed');
    expect(malformed.invalidParams).toEqual([{ name: 'codes.1', reason: expect.any(String) }]);
    const typo = `${code[0] === '0' ? '1' : '0'}${code.slice(1)}`;
    const checkFailed = expectProblem(await redeem(token, body(place.id, [typo])), 400, 'code_check_failed');
    expect(checkFailed.invalidParams).toEqual([{ name: 'codes.0', reason: expect.any(String) }]);

    expect({ redemptions: await count('redemptions'), refusals: await count('redemption_refusals'), keys: await count('idempotency_keys') }).toEqual(before);
    // The voucher is still there to be used.
    expect((await redeem(token, body(place.id, [formatVoucherCode(code)]))).statusCode).toBe(201);
  });

  it('speaks JSON only (415)', async () => {
    const { place, token } = await counter();
    const form = `placeId=${place.id}&serviceCode=M01`;
    expect((await redeem(token, form, randomUUID(), t, 'application/x-www-form-urlencoded')).statusCode).toBe(415);
    expectProblem(await redeem(token, JSON.stringify(body(place.id, [nextVoucher()])), randomUUID(), t, 'text/plain'), 415, 'unsupported_media_type');
  });

  it('answers 404 place_unknown for another provider’s place, without counting a refusal', async () => {
    const mine = await counter();
    const theirs = await counter();
    const refusals = await count('redemption_refusals');
    const problem = expectProblem(await redeem(mine.token, body(theirs.place.id, [nextVoucher()])), 404, 'place_unknown');
    expect(problem.invalidParams).toEqual([{ name: 'placeId', reason: expect.any(String) }]);
    expect(await count('redemption_refusals')).toBe(refusals);
  });
});

describe('POST /api/v1/redemptions: redemption and idempotency', () => {
  it('redeems (201), and the same key answers the same again, marked as replayed', async () => {
    const { provider, place, token, tokenId } = await counter();
    const code = nextVoucher();
    const key = randomUUID();
    const payload = body(place.id, [formatVoucherCode(code)], { publicAge: '60_74', publicSituation: 'retired' });
    const first = await redeem(token, payload, key);
    expect(first.statusCode).toBe(201);
    expect(first.headers['content-type']).toContain('application/json');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const redemption = first.json();
    expect(redemption).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      placeId: place.id,
      serviceCode: 'M01',
      serviceDate: parisDay(t.clock.now()),
      deliveryMode: 'on_site',
      priceCents: 1000,
      vouchersCents: 1000,
      holderShareCents: 0,
      voucherCount: 1,
      createdAt: t.clock.now().toISOString(),
    });

    t.clock.advanceMinutes(1);
    const again = await redeem(token, payload, key);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);

    const rows = await t.ctx.db.selectFrom('redemptions').select(['id', 'provider_id', 'recorded_by_token', 'recorded_by_user', 'public_age']).where('place_id', '=', place.id).execute();
    expect(rows).toEqual([{ id: redemption.id, provider_id: provider.organisation.id, recorded_by_token: tokenId, recorded_by_user: null, public_age: '60_74' }]);

    // A new key for the same voucher is a new attempt: the voucher is spent.
    const used = expectProblem(await redeem(token, payload), 409, 'voucher_already_used');
    expect(used.voucherIndex).toBe(0);
  });

  it('refuses another payload under a used key (409 idempotency_key_reused)', async () => {
    const { place, token } = await counter();
    const key = randomUUID();
    const code = nextVoucher();
    expect((await redeem(token, body(place.id, [code]), key)).statusCode).toBe(201);
    const other = expectProblem(await redeem(token, body(place.id, [nextVoucher()]), key), 409, 'idempotency_key_reused');
    expect(other.invalidParams).toEqual([{ name: 'Idempotency-Key', reason: expect.any(String) }]);
    expectProblem(await redeem(token, body(place.id, [code], { publicSituation: 'student' }), key), 409, 'idempotency_key_reused');
    // Keys belong to their token: another client of the same provider may use the same one.
    const otherClient = await counter();
    const mine = await redeem(otherClient.token, body(otherClient.place.id, [nextVoucher()]), key);
    expect(mine.statusCode).toBe(201);
  });

  it('says why it refuses and which voucher, records the refusal, and replays it', async () => {
    const { provider, place, token, tokenId } = await counter();
    const elsewhere = await issueTestOrder(t.ctx, funder, { territory: '75', activation: 'on_issue' });
    const parisVoucher = (await bookletsOf(t.ctx, elsewhere.id))[0]!.codes[0]!;
    const good = nextVoucher();
    const key = randomUUID();
    const payload = body(place.id, [good, parisVoucher], { serviceCode: 'M01' });

    const refused = await redeem(token, payload, key);
    const problem = expectProblem(refused, 409, 'place_outside_territory');
    expect(problem.voucherIndex).toBe(1);
    expect(problem.title).toContain('territoire');

    const replay = await redeem(token, payload, key);
    expect(replay.statusCode).toBe(409);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers['content-type']).toBe(refused.headers['content-type']);
    expect(replay.body).toBe(refused.body);

    expect(await t.ctx.db.selectFrom('redemptions').select('id').where('place_id', '=', place.id).execute()).toEqual([]);
    const refusals = await t.ctx.db.selectFrom('redemption_refusals').select(['provider_id', 'reason', 'recorded_by_token']).where('place_id', '=', place.id).execute();
    // Recorded once: the replay is an answer, not a new attempt.
    expect(refusals).toEqual([{ provider_id: provider.organisation.id, reason: 'place_outside_territory', recorded_by_token: tokenId }]);
    // Nothing was taken from the good voucher.
    expect((await redeem(token, body(place.id, [good]))).statusCode).toBe(201);
  });

  it('keeps a refusal under its key even once its cause is gone', async () => {
    const { place, token } = await counter();
    const order = await issueTestOrder(t.ctx, funder, { bookletCount: '1' });
    const booklet = (await bookletsOf(t.ctx, order.id))[0]!;
    const key = randomUUID();
    const payload = body(place.id, [booklet.codes[0]!]);
    const refused = await redeem(token, payload, key);
    expect(expectProblem(refused, 409, 'voucher_not_active').voucherIndex).toBe(0);

    // The booklet is handed out: the voucher becomes usable…
    await allocateBooklets(t.ctx, funder.funderActor, { funderId: funder.funder.id, orderId: order.id, distributorId: funder.distributor.id, count: 1 });
    await handOutBooklet(t.ctx, funder.distributorActor, { distributorId: funder.distributor.id, number: booklet.number });
    // …but the key answers what it answered.
    const replay = await redeem(token, payload, key);
    expect(replay.statusCode).toBe(409);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(refused.body);
    expect(await t.ctx.db.selectFrom('redemptions').select('id').where('place_id', '=', place.id).execute()).toEqual([]);
    // A new key is a new attempt.
    expect((await redeem(token, payload)).statusCode).toBe(201);
  });
});

describe('POST /api/v1/redemptions: repeated refusals (limit 3 in 10 minutes)', () => {
  it('stops a client that keeps failing, at any of its places, but not the provider’s other clients', async () => {
    const { provider, place, token, tokenId } = await counter();
    const places = [place];
    for (let i = 0; i < 3; i++) {
      const created = await createPlace(t.ctx, provider.actor, provider.organisation.id, placeInput({ name: `Antenne ${i}` }));
      await saveCatalogueEntry(t.ctx, provider.actor, provider.organisation.id, created.id, catalogueInput());
      places.push(created);
    }
    const attempts: { key: string; payload: ReturnType<typeof body>; answer: Response }[] = [];
    for (const target of places.slice(0, 3)) {
      const attempt = { key: randomUUID(), payload: body(target.id, [generateVoucherCode()]) };
      const answer = await redeem(token, attempt.payload, attempt.key);
      expectProblem(answer, 404, 'voucher_unknown');
      attempts.push({ ...attempt, answer });
    }
    const refusals = await t.ctx.db.selectFrom('redemption_refusals').select('reason').where('recorded_by_token', '=', tokenId).execute();
    expect(refusals).toEqual([{ reason: 'voucher_unknown' }, { reason: 'voucher_unknown' }, { reason: 'voucher_unknown' }]);

    const good = nextVoucher();
    expectProblem(await redeem(token, body(places[3]!.id, [good])), 429, 'too_many_refusals');
    // An earlier key still answers what it answered; reusing it for something else is still a conflict.
    const replay = await redeem(token, attempts[0]!.payload, attempts[0]!.key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(attempts[0]!.answer.body);
    expectProblem(await redeem(token, body(places[0]!.id, [good]), attempts[0]!.key), 409, 'idempotency_key_reused');
    // Another client of the same provider, at a place without refusals, is not held back.
    const other = await tokenFor(provider.organisation, ['redemptions:write']);
    expect((await redeem(other.token, body(places[3]!.id, [good]))).statusCode).toBe(201);
  });

  it('stops a place where attempts keep failing, whatever the client, and lets a key replay its refusal', async () => {
    const { provider, place } = await counter();
    const tokens = await Promise.all([1, 2, 3, 4].map(() => tokenFor(provider.organisation, ['redemptions:write'])));
    const first = { key: randomUUID(), payload: body(place.id, [generateVoucherCode()]) };
    const firstAnswer = await redeem(tokens[0]!.token, first.payload, first.key);
    expectProblem(firstAnswer, 404, 'voucher_unknown');
    for (const client of tokens.slice(1, 3)) expectProblem(await redeem(client.token, body(place.id, [generateVoucherCode()])), 404, 'voucher_unknown');

    const good = nextVoucher();
    expectProblem(await redeem(tokens[3]!.token, body(place.id, [good])), 429, 'too_many_refusals');
    const replay = await redeem(tokens[0]!.token, first.payload, first.key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(firstAnswer.body);
    // The limit is no count of the 429s themselves, and it ends with its window.
    expect(await t.ctx.db.selectFrom('redemption_refusals').select('id').where('place_id', '=', place.id).execute()).toHaveLength(3);
    t.clock.advanceMinutes(11);
    expect((await redeem(tokens[3]!.token, body(place.id, [good]))).statusCode).toBe(201);
  });
});

describe('POST /api/v1/vouchers/check', () => {
  const check = (token: string | undefined, codes: unknown) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/vouchers/check',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      payload: JSON.stringify({ codes }),
    });

  it('needs a provider token with the scope, and valid codes', async () => {
    const { provider, token } = await counter();
    expect((await check(undefined, [nextVoucher()])).statusCode).toBe(401);
    expect((await check((await tokenFor(provider.organisation, ['organisation:read'])).token, [nextVoucher()])).statusCode).toBe(403);
    expect((await check(token, [])).statusCode).toBe(400);
  });

  it('tells each voucher’s state without spending it', async () => {
    const { place, token } = await counter();
    const usable = nextVoucher();
    const used = nextVoucher();
    expect((await redeem(token, body(place.id, [used]))).statusCode).toBe(201);
    const typo = `${usable[0] === '0' ? '1' : '0'}${usable.slice(1)}`;
    const response = await check(token, [formatVoucherCode(usable), used, typo, 'abc', generateVoucherCode()]);
    expect(response.statusCode).toBe(200);
    const { vouchers } = response.json();
    expect(vouchers[0]).toMatchObject({ input: formatVoucherCode(usable), code: formatVoucherCode(usable), state: 'usable', faceValueCents: 1000, usedOn: null });
    expect(vouchers[0].validUntil).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(vouchers[1]).toMatchObject({ state: 'used', usedOn: parisDay(t.clock.now()) });
    expect(vouchers.slice(2)).toEqual([
      { input: typo, problem: 'code_check_failed' },
      { input: 'abc', problem: 'code_malformed' },
      { input: expect.any(String), problem: 'voucher_unknown' },
    ]);
    // Still usable afterwards.
    expect((await redeem(token, body(place.id, [usable]))).statusCode).toBe(201);
  });
});

describe('the API document', () => {
  it('describes the redemption route, its header and its answers, and stays valid', async () => {
    const document = (await t.app.inject({ url: '/api/openapi.json' })).json();
    const operation = document.paths['/api/v1/redemptions'].post;
    expect(operation.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'idempotency-key', required: true, description: expect.stringContaining('idempotency_key_reused') })]),
    );
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '404', '409', '415', '429']));
    expect(JSON.stringify(operation.responses['409'])).toContain('voucherIndex');
    expect(operation.description).toContain('Idempotent-Replayed');
    expect(document.paths['/api/v1/vouchers/check'].post).toBeDefined();
    const result = await validate(structuredClone(document));
    expect(result.valid ? [] : result.errors).toEqual([]);
  });
});

describe('one voucher, many clients at once', () => {
  let c: TestApp;
  beforeAll(async () => {
    // The default limit: 19 refusals in a row must not turn into 429s here.
    c = await createTestApp();
  });
  afterAll(() => c.close());

  it('20 requests with different keys for the same voucher: exactly one is paid', async () => {
    const concurrentFunder = await createFunder(c.ctx);
    const { booklets } = await activeBooklets(c.ctx, concurrentFunder, { bookletCount: '1' });
    const code = booklets[0]!.codes[0]!;
    const { place, token } = await counter(c);
    const payload = { placeId: place.id, serviceCode: 'M01', serviceDate: parisDay(c.clock.now()), deliveryMode: 'on_site', codes: [code] };
    const responses = await Promise.all(Array.from({ length: 20 }, () => redeem(token, payload, randomUUID(), c)));
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, ...Array.from({ length: 19 }, () => 409)]);
    for (const refused of responses.filter((r) => r.statusCode === 409)) expect(refused.json()).toMatchObject({ code: 'voucher_already_used', voucherIndex: 0 });
    const redemptions = await c.ctx.db.selectFrom('redemptions').select('id').execute();
    expect(redemptions).toHaveLength(1);
    expect(await c.ctx.db.selectFrom('redemption_refusals').select('reason').execute()).toHaveLength(19);
  });

  it('10 requests with the same key at once: one redemption, one answer for all', async () => {
    const concurrentFunder = await createFunder(c.ctx);
    const { booklets } = await activeBooklets(c.ctx, concurrentFunder, { bookletCount: '1' });
    const { place, token } = await counter(c);
    const payload = { placeId: place.id, serviceCode: 'M01', serviceDate: parisDay(c.clock.now()), deliveryMode: 'on_site', codes: [booklets[0]!.codes[0]!] };
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: 10 }, () => redeem(token, payload, key, c)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array.from({ length: 10 }, () => 201));
    expect(new Set(responses.map((r) => r.body)).size).toBe(1);
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    expect(await c.ctx.db.selectFrom('redemptions').select('id').where('place_id', '=', place.id).execute()).toHaveLength(1);
  });
});
