import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/domains/accounts/api-tokens.js';
import { recordSecurityHeaders, securityHeaderOptions } from '../../src/http/security-headers.js';
import type { ApiScope } from '../../src/domains/accounts/model.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createWorld } from '../support/fixtures.js';

let t: TestApp;
let world: Awaited<ReturnType<typeof createWorld>>;
const tokens: Record<string, string> = {};

async function tokenFor(organisation: { id: string; kind: 'operator' | 'funder' | 'distributor' | 'provider' }, scopes: ApiScope[]) {
  const actor = { userId: null, organisationId: organisation.id, apiTokenId: null };
  return (await createApiToken(t.ctx, actor, { organisationId: organisation.id, organisationKind: organisation.kind, name: scopes.join('+'), scopes })).token;
}

beforeAll(async () => {
  t = await createTestApp();
  world = await createWorld(t.ctx);
  tokens.funderRead = await tokenFor(world.organisations.funder, ['organisation:read', 'members:read']);
  tokens.funderWrite = await tokenFor(world.organisations.funder, ['members:write']);
  tokens.operatorAudit = await tokenFor(world.organisations.operator, ['audit:read']);
});
afterAll(() => t.close());

const get = (url: string, token?: string) => t.app.inject({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });

function expectProblem(response: Awaited<ReturnType<typeof get>>, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
  const body = response.json();
  expect(body).toMatchObject({ status, code, type: `urn:passnum:problem:${code}` });
  expect(body.title).toMatch(/[a-zé]/);
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts|stack/i);
  return body;
}

describe('API access', () => {
  it.each(['/api/v1/organisation', '/api/v1/organisation/members', '/api/v1/audit-events'])('%s needs a bearer token (401)', async (url) => {
    const response = await get(url);
    expectProblem(response, 401, 'unauthenticated');
    expect(response.headers['www-authenticate']).toContain('Bearer');
    expectProblem(await get(url, 'pn_notatoken'), 401, 'unauthenticated');
    expectProblem(await get(url, `pn_abcdefghijkl_${'x'.repeat(43)}`), 401, 'unauthenticated');
  });

  it('ignores a session cookie on the API: machines use tokens', async () => {
    expectProblem(await t.app.inject({ url: '/api/v1/organisation', cookies: { passnum_session: 'whatever' } }), 401, 'unauthenticated');
  });

  it('refuses a token without the scope (403)', async () => {
    expectProblem(await get('/api/v1/audit-events', tokens.funderRead), 403, 'forbidden');
    expectProblem(await get('/api/v1/organisation', tokens.funderWrite), 403, 'forbidden');
    expectProblem(await get('/api/v1/organisation', tokens.operatorAudit), 403, 'forbidden');
  });
});

describe('API security headers', () => {
  it('are the pages’ own, on answers, refusals and unknown paths alike', async () => {
    const expected = recordSecurityHeaders(securityHeaderOptions(t.ctx.config)).filter((o) => o.value !== undefined);
    expect(expected.map((o) => o.name.toLowerCase())).toEqual(expect.arrayContaining(['content-security-policy', 'x-content-type-options', 'x-frame-options']));
    const page = await t.app.inject({ url: '/connexion' });
    for (const response of [page, await get('/api/v1/organisation', tokens.funderRead), await get('/api/v1/organisation'), await get('/api/v1/nulle-part')]) {
      for (const { name, value } of expected) expect(response.headers[name.toLowerCase()], name).toBe(value);
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
  });
});

describe('API input', () => {
  it('rejects bad query parameters and unknown ones (400 with the parameter named)', async () => {
    const body = expectProblem(await get('/api/v1/audit-events?limit=abc', tokens.operatorAudit), 400, 'validation_failed');
    expect(body.invalidParams[0].name).toBe('limit');
    expectProblem(await get('/api/v1/audit-events?limit=100000', tokens.operatorAudit), 400, 'validation_failed');
    expectProblem(await get('/api/v1/audit-events?colour=blue', tokens.operatorAudit), 400, 'validation_failed');
  });

  const post = (payload: string, contentType = 'application/json', token = tokens.funderWrite) =>
    t.app.inject({ method: 'POST', url: '/api/v1/organisation/invitations', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, payload });

  it('rejects malformed JSON, wrong content types, oversized bodies and unknown fields, writing nothing', async () => {
    const before = await t.ctx.db.selectFrom('invitations').select('id').execute();
    expectProblem(await post('{"email": '), 400, 'malformed_body');
    expectProblem(await post('email=a@b.fr&role=member', 'text/plain'), 415, 'unsupported_media_type');
    expectProblem(await post('email=a@b.fr&role=member', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
    expectProblem(await post(JSON.stringify({ email: 'a@b.fr', role: 'member', pad: 'x'.repeat(300_000) })), 413, 'payload_too_large');
    const unknown = expectProblem(await post(JSON.stringify({ email: 'a@b.fr', role: 'member', admin: true })), 400, 'validation_failed');
    expect(JSON.stringify(unknown.invalidParams)).toContain('admin');
    expectProblem(await post(JSON.stringify({ email: 'pas une adresse', role: 'member' })), 400, 'validation_failed');
    expectProblem(await post(JSON.stringify({ email: 'a@b.fr', role: 'boss' })), 400, 'validation_failed');
    // A token only brings in members: a leaked token must not make an administrator.
    expectProblem(await post(JSON.stringify({ email: 'a@b.fr', role: 'admin' })), 400, 'validation_failed');
    expect(await t.ctx.db.selectFrom('invitations').select('id').execute()).toEqual(before);
  });

  it('maps domain errors to their stable codes', async () => {
    expectProblem(await post(JSON.stringify({ email: 'membre@ville.fr', role: 'member' })), 409, 'already_member');
  });
});

describe('API happy paths', () => {
  it('tells the token its organisation and team', async () => {
    expect((await get('/api/v1/organisation', tokens.funderRead)).json()).toEqual({ id: world.organisations.funder.id, kind: 'funder', name: 'Ville de Test' });
    const members = (await get('/api/v1/organisation/members', tokens.funderRead)).json().members;
    expect(members.map((m: { email: string }) => m.email).sort()).toEqual(['admin@ville.fr', 'membre@ville.fr']);
  });

  it('invites by API, recorded in the journal as the token', async () => {
    const response = await post(JSON.stringify({ email: 'api@ville.fr', role: 'member' }));
    expect(response.statusCode).toBe(201);
    const { invitationId } = response.json();
    const journal = (await get('/api/v1/audit-events?action=invitation.created&limit=5', tokens.operatorAudit)).json();
    const event = journal.events.find((e: { subjectId: string }) => e.subjectId === invitationId);
    expect(event).toMatchObject({ actorOrganisationId: world.organisations.funder.id, actorUserId: null });
    expect(event.actorApiTokenId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('pages through the journal, newest first', async () => {
    const first = (await get('/api/v1/audit-events?limit=2', tokens.operatorAudit)).json();
    expect(first.events).toHaveLength(2);
    expect(first.events[0].id).toBeGreaterThan(first.events[1].id);
    const second = (await get(`/api/v1/audit-events?limit=2&before=${first.nextBefore}`, tokens.operatorAudit)).json();
    expect(second.events[0].id).toBeLessThan(first.events[1].id);
  });

  async function post(payload: string) {
    return t.app.inject({ method: 'POST', url: '/api/v1/organisation/invitations', headers: { authorization: `Bearer ${tokens.funderWrite}`, 'content-type': 'application/json' }, payload });
  }
});

describe('API document', () => {
  it('is a valid OpenAPI 3.1 document generated from the route schemas', async () => {
    const response = await get('/api/openapi.json');
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/v1/audit-events', '/api/v1/organisation', '/api/v1/organisation/invitations', '/api/v1/organisation/members', '/api/v1/open-data/lieux', '/api/v1/open-data/lieux.csv']));
    expect(Object.keys(document.paths).every((path) => path.startsWith('/api/v1/'))).toBe(true);
    const result = await validate(structuredClone(document));
    expect(result.valid ? [] : result.errors).toEqual([]);
  });

  it('answers health checks and unknown API paths as problems', async () => {
    expect((await get('/healthz')).json()).toEqual({ status: 'ok' });
    expectProblem(await get('/api/v1/nothing-here'), 404, 'not_found');
  });
});
