import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, onPostgres, type TestContext } from '../support/context.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

describe(`places.has_active_service on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('follows the catalogue, whoever writes it: insert, pause, resume, delete', async () => {
    const now = t.ctx.clock.now();
    const place = await t.ctx.db
      .insertInto('places')
      .values({ source: 'passnum', source_id: 'flag-1', name: 'Lieu', address: '1 rue', postcode: '33000', commune: 'Bordeaux', latitude: 44.8, longitude: -0.57, status: 'draft', created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const flag = async () => (await t.ctx.db.selectFrom('places').select('has_active_service').where('id', '=', place.id).executeTakeFirstOrThrow()).has_active_service;
    expect(await flag()).toBe(false);
    const entry = (code: string) => ({
      place_id: place.id,
      referential_version: 1,
      service_code: code,
      price_cents: 1000,
      duration_minutes: 60,
      format: 'individual' as const,
      delivery_modes: ['on_site' as const],
      parcours_sessions: null,
      active: true,
      created_at: now,
      updated_at: now,
    });
    const first = await t.ctx.db.insertInto('catalogue_entries').values(entry('D01')).returning('id').executeTakeFirstOrThrow();
    expect(await flag()).toBe(true);
    await t.ctx.db.insertInto('catalogue_entries').values({ ...entry('M01'), active: false }).execute();
    await t.ctx.db.updateTable('catalogue_entries').set({ active: false }).where('id', '=', first.id).execute();
    expect(await flag()).toBe(false);
    await t.ctx.db.updateTable('catalogue_entries').set({ active: true }).where('service_code', '=', 'M01').where('place_id', '=', place.id).execute();
    expect(await flag()).toBe(true);
    await t.ctx.db.deleteFrom('catalogue_entries').where('place_id', '=', place.id).execute();
    expect(await flag()).toBe(false);
  });
});
