import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import { loadReferential, publishReferential, type ReferentialInput } from '../../src/domains/referential/publish-referential.js';
import { REFERENTIAL_V1 } from '../../src/domains/referential/referential-v1.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { onPostgres } from '../support/context.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const v1Input = (): ReferentialInput => ({ title: REFERENTIAL_V1.title, services: REFERENTIAL_V1.services.map((s) => ({ ...s, standardServices: [...s.standardServices] })) });

describe(`service referential on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('holds version 1 as written from the seeds, readable by anyone on a page and in the API', async () => {
    const stored = await loadReferential(t.ctx.db);
    expect(stored).toMatchObject({ version: 1, title: REFERENTIAL_V1.title, publishedOn: REFERENTIAL_V1.publishedOn });
    expect(stored!.services).toEqual(REFERENTIAL_V1.services);
    const page = await t.app.inject({ url: '/referentiel' });
    expect(page.statusCode).toBe(200);
    for (const service of REFERENTIAL_V1.services) expect(page.body).toContain(`id="${service.code}"`);
    expect(page.body).toContain('faire à la place');
    const api = (await t.app.inject({ url: '/api/v1/referential' })).json();
    expect(api.services).toHaveLength(REFERENTIAL_V1.services.length);
    expect(api.version).toBe(1);
  });

  it('publishes a new version and keeps the old one readable and frozen', async () => {
    const input = v1Input();
    input.title = 'Référentiel, version 2';
    input.services = input.services.filter((s) => s.code !== 'D01');
    input.services.push({ code: 'A99', level: 3, label: 'Nouveau service', description: 'Décrit.', standardServices: ['Compréhension du monde numérique'], helpKind: 'training', doingForPerson: false });
    const version = await publishReferential(t.ctx, SYSTEM_ACTOR, input);
    expect(version).toBe(2);
    expect((await t.app.inject({ url: '/api/v1/referential' })).json().version).toBe(2);
    const old = await t.app.inject({ url: '/referentiel?version=1' });
    expect(old.body).toContain('version ancienne');
    expect(old.body).toContain('id="D01"');
    expect((await t.app.inject({ url: '/referentiel' })).body).not.toContain('id="D01"');
    await expect(sql`update referential_services set label = 'changé' where version = 1`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from referential_versions where version = 1`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
  });

  it('refuses a malformed or duplicated code, writing nothing', async () => {
    const bad = v1Input();
    bad.services[0] = { ...bad.services[0]!, code: 'M01' };
    await expect(publishReferential(t.ctx, SYSTEM_ACTOR, bad)).rejects.toMatchObject({ code: 'referential_invalid' });
    const duplicate = v1Input();
    duplicate.services.push({ ...duplicate.services[0]! });
    await expect(publishReferential(t.ctx, SYSTEM_ACTOR, duplicate)).rejects.toMatchObject({ code: 'referential_invalid' });
    expect((await loadReferential(t.ctx.db))!.version).toBe(2);
  });

  it('numbers concurrent publications one after the other', async () => {
    const versions = await Promise.all([1, 2, 3].map(() => publishReferential(t.ctx, SYSTEM_ACTOR, v1Input())));
    expect(versions.sort()).toEqual([3, 4, 5]);
  });

  it('answers an unknown version with 404, and a malformed one with 400 in the API', async () => {
    expect((await t.app.inject({ url: '/referentiel?version=99' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/v1/referential?version=99' })).json()).toMatchObject({ status: 404, code: 'referential_version_unknown' });
    expect((await t.app.inject({ url: '/api/v1/referential?version=abc' })).statusCode).toBe(400);
  });
});
