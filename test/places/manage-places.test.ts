import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimPlace, createPlace, findClaimablePlaces, isInFrance, listProviderPlaces, placeForm, publishProviderPlaces, updatePlace, withdrawProviderPlaces } from '../../src/domains/places/manage-places.js';
import { DomainError } from '../../src/domains/errors.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createProvider, insertImportedPlace, placeInput } from '../support/places-fixtures.js';

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

const audit = (subjectId: string) => t.ctx.db.selectFrom('audit_events').select(['action', 'before', 'after']).where('subject_id', '=', subjectId).orderBy('id').execute();

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return `${error.code}${error.field ? `@${error.field}` : ''}`;
    throw error;
  }
  return 'no error';
}

describe('the place form', () => {
  const form = {
    name: ' Médiathèque ',
    address: '12 rue du Lac',
    postcode: '33300',
    inseeCode: '33063',
    latitude: '44,8837',
    longitude: '-0.5665',
    typologies: ['BIB', 'EPN'],
    phone: '05 56 00 00 00',
    mobility: 'fixed',
  };

  it('reads decimal commas, lists and the mobility', () => {
    const parsed = placeForm.parse(form);
    expect(parsed).toMatchObject({ name: 'Médiathèque', latitude: 44.8837, longitude: -0.5665, typologies: ['BIB', 'EPN'], itinerant: false, email: null, specificSupport: [] });
  });

  it('names each field in error', () => {
    const result = placeForm.safeParse({ ...form, latitude: 'nord', typologies: 'CASINO', phone: '12', accessibilityUrl: 'https://exemple.fr', email: 'x', website: 'ftp://a', mobility: '' });
    expect(result.success).toBe(false);
    const fields = new Set(result.error!.issues.map((i) => String(i.path[0])));
    expect([...fields].sort()).toEqual(['accessibilityUrl', 'email', 'latitude', 'mobility', 'typologies', 'website'].sort());
  });

  it('refuses a phone that is not French once the rest is valid', () => {
    const result = placeForm.safeParse({ ...form, phone: '12' });
    expect(result.error?.issues.map((i) => i.path[0])).toEqual(['phone']);
  });

  it('knows France, overseas included', () => {
    expect(isInFrance(44.88, -0.57)).toBe(true);
    expect(isInFrance(-20.88, 55.45)).toBe(true); // Saint-Denis de La Réunion
    expect(isInFrance(-22.27, 166.44)).toBe(true); // Nouméa
    expect(isInFrance(-0.57, 44.88)).toBe(false); // swapped
    expect(isInFrance(40.71, -74.0)).toBe(false);
  });
});

describe('creating and editing places', () => {
  it('creates a draft place entered here, its id as source id, and audits it', async () => {
    const provider = await createProvider(t.ctx);
    const place = await createPlace(t.ctx, provider.actor, provider.organisation.id, placeInput());
    expect(place).toMatchObject({ source: 'passnum', source_id: place.id, status: 'draft', provider_id: provider.organisation.id, commune: 'Bordeaux', phones: ['+33556000000'], pivot: null });
    expect((await audit(place.id)).map((e) => e.action)).toEqual(['place.created']);
    expect((await listProviderPlaces(t.ctx, provider.organisation.id)).map((p) => p.id)).toEqual([place.id]);
  });

  it('publishes at once the new place of a qualified provider, under its SIRET', async () => {
    const provider = await createProvider(t.ctx, { application: 'qualified' });
    const place = await createPlace(t.ctx, provider.actor, provider.organisation.id, placeInput());
    expect(place).toMatchObject({ status: 'published', pivot: '35600000000048' });
  });

  it('refuses a postcode of another commune, an unknown commune and coordinates outside France', async () => {
    const provider = await createProvider(t.ctx);
    const id = provider.organisation.id;
    expect(await codeOf(createPlace(t.ctx, provider.actor, id, placeInput({ postcode: '75012' })))).toBe('place_postcode_mismatch@postcode');
    expect(await codeOf(createPlace(t.ctx, provider.actor, id, placeInput({ inseeCode: '33999' })))).toBe('place_commune_unknown@inseeCode');
    expect(await codeOf(createPlace(t.ctx, provider.actor, id, placeInput({ latitude: -0.5665, longitude: 44.8837 })))).toBe('place_outside_france@latitude');
    expect(await listProviderPlaces(t.ctx, id)).toEqual([]);
  });

  it('edits a place of its own provider only, with before and after in the journal', async () => {
    const provider = await createProvider(t.ctx);
    const other = await createProvider(t.ctx);
    const place = await createPlace(t.ctx, provider.actor, provider.organisation.id, placeInput());
    const edited = await updatePlace(t.ctx, provider.actor, provider.organisation.id, place.id, placeInput({ name: 'Médiathèque du Lac (annexe)', itinerant: true, specificSupport: ['Surdité'] }));
    expect(edited).toMatchObject({ name: 'Médiathèque du Lac (annexe)', itinerant: true, specific_support: ['Surdité'] });
    const events = await audit(place.id);
    expect(events.at(-1)).toMatchObject({ action: 'place.updated', before: { name: 'Médiathèque du Lac' }, after: { name: 'Médiathèque du Lac (annexe)' } });
    expect(await codeOf(updatePlace(t.ctx, other.actor, other.organisation.id, place.id, placeInput()))).toBe('place_unknown');
  });
});

describe('while the operator examines the application', () => {
  it('refuses to create, edit or claim places', async () => {
    const provider = await createProvider(t.ctx, { application: 'draft' });
    const id = provider.organisation.id;
    const place = await createPlace(t.ctx, provider.actor, id, placeInput());
    const imported = await insertImportedPlace(t.ctx);
    await t.ctx.db.updateTable('providers').set({ status: 'submitted' }).where('organisation_id', '=', id).execute();
    expect(await codeOf(createPlace(t.ctx, provider.actor, id, placeInput()))).toBe('application_not_editable');
    expect(await codeOf(updatePlace(t.ctx, provider.actor, id, place.id, placeInput({ name: 'Autre' })))).toBe('application_not_editable');
    expect(await codeOf(claimPlace(t.ctx, provider.actor, id, imported.id))).toBe('application_not_editable');
  });
});

describe('claiming imported places', () => {
  it('lists unclaimed places by postcode and lets a provider claim one, then edit it', async () => {
    const imported = await insertImportedPlace(t.ctx, { postcode: '33800', name: 'EPN de la gare' });
    const provider = await createProvider(t.ctx);
    expect((await findClaimablePlaces(t.ctx, '33800')).map((p) => p.id)).toContain(imported.id);
    const claimed = await claimPlace(t.ctx, provider.actor, provider.organisation.id, imported.id);
    expect(claimed).toMatchObject({ provider_id: provider.organisation.id, status: 'draft', source: 'Hinaura' });
    expect((await findClaimablePlaces(t.ctx, '33800')).map((p) => p.id)).not.toContain(imported.id);
    await updatePlace(t.ctx, provider.actor, provider.organisation.id, imported.id, placeInput({ postcode: '33800', name: 'EPN de la gare' }));
    expect((await audit(imported.id)).map((e) => e.action)).toEqual(['place.claimed', 'place.updated']);
  });

  it('gives the place to one of two providers claiming it at once', async () => {
    const imported = await insertImportedPlace(t.ctx);
    const a = await createProvider(t.ctx);
    const b = await createProvider(t.ctx);
    const results = await Promise.allSettled([claimPlace(t.ctx, a.actor, a.organisation.id, imported.id), claimPlace(t.ctx, b.actor, b.organisation.id, imported.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((failure.reason as DomainError).code).toBe('place_already_claimed');
    expect((await audit(imported.id)).filter((e) => e.action === 'place.claimed')).toHaveLength(1);
  });

  it('refuses to claim a place already run by a provider, or unknown', async () => {
    const provider = await createProvider(t.ctx);
    const own = await createPlace(t.ctx, provider.actor, provider.organisation.id, placeInput());
    const other = await createProvider(t.ctx);
    expect(await codeOf(claimPlace(t.ctx, other.actor, other.organisation.id, own.id))).toBe('place_already_claimed');
    expect(await codeOf(claimPlace(t.ctx, other.actor, other.organisation.id, '00000000-0000-4000-8000-000000000000'))).toBe('place_unknown');
  });
});

describe('publication on qualification, withdrawal on suspension', () => {
  it('publishes every place of the provider with the pivot, then withdraws them', async () => {
    const provider = await createProvider(t.ctx, { application: 'draft' });
    const id = provider.organisation.id;
    const first = await createPlace(t.ctx, provider.actor, id, placeInput());
    const second = await createPlace(t.ctx, provider.actor, id, placeInput({ name: 'Annexe' }));
    await t.ctx.db.updateTable('providers').set({ status: 'submitted' }).where('organisation_id', '=', id).execute();
    const bystander = await createProvider(t.ctx);
    const untouched = await createPlace(t.ctx, bystander.actor, bystander.organisation.id, placeInput());
    const by = { actor: { userId: null, organisationId: null, apiTokenId: null }, at: t.clock.now() };

    const published = await t.ctx.db.transaction().execute((trx) => publishProviderPlaces(trx, id, 'W332001234', by));
    expect(published.sort()).toEqual([first.id, second.id].sort());
    const rows = await t.ctx.db.selectFrom('places').select(['id', 'status', 'pivot']).where('provider_id', '=', id).execute();
    expect(rows.every((r) => r.status === 'published' && r.pivot === 'W332001234')).toBe(true);
    expect((await audit(first.id)).map((e) => e.action)).toContain('place.published');
    // Twice changes nothing.
    expect(await t.ctx.db.transaction().execute((trx) => publishProviderPlaces(trx, id, 'W332001234'))).toEqual([]);

    const withdrawn = await t.ctx.db.transaction().execute((trx) => withdrawProviderPlaces(trx, id, by));
    expect(withdrawn.sort()).toEqual([first.id, second.id].sort());
    expect((await t.ctx.db.selectFrom('places').select('status').where('provider_id', '=', id).execute()).map((r) => r.status)).toEqual(['withdrawn', 'withdrawn']);
    expect((await t.ctx.db.selectFrom('places').select('status').where('id', '=', untouched.id).executeTakeFirstOrThrow()).status).toBe('draft');
    // A reinstatement publishes them again.
    expect((await t.ctx.db.transaction().execute((trx) => publishProviderPlaces(trx, id, 'W332001234'))).length).toBe(2);
  });

  it('refuses a malformed pivot', async () => {
    const provider = await createProvider(t.ctx);
    expect(await codeOf(t.ctx.db.transaction().execute((trx) => publishProviderPlaces(trx, provider.organisation.id, '12')))).toBe('place_pivot_invalid');
  });
});
