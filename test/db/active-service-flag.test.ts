import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, onPostgres, type TestContext } from '../support/context.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

describe(`places.has_active_service on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('follows the catalogue, whoever writes it: insert, pause, resume; entries are never deleted', async () => {
    const now = t.ctx.clock.now();
    // The other columns keep their defaults (empty lists).
    const inserted = await sql<{ id: string }>`insert into places (source, source_id, name, address, postcode, commune, latitude, longitude, created_at, updated_at)
      values ('passnum', 'flag-1', 'Lieu', '1 rue', '33000', 'Bordeaux', 44.8, -0.57, ${now}, ${now}) returning id`.execute(t.ctx.db);
    const place = inserted.rows[0]!;
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
    // Redemptions point at catalogue entries: an entry is paused, never deleted (migration 0011).
    await expect(t.ctx.db.deleteFrom('catalogue_entries').where('place_id', '=', place.id).execute()).rejects.toThrow(/never deleted/u);
    expect(await flag()).toBe(true);
  });
});
