import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPublicPlace, resolveLocation, searchPlaces, type PlaceSearch } from '../../src/domains/places/search-places.js';
import { createTestContext, type TestContext } from '../support/context.js';
import { createPublicPlace } from '../support/places-fixtures.js';

let t: TestContext;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestContext();
  const lac = await createPublicPlace(t.ctx, { name: 'Lac', postcode: '33300', inseeCode: '33063', latitude: 44.8837, longitude: -0.5665 }, { services: [{ serviceCode: 'M01', deliveryModes: ['on_site'] }] });
  const centre = await createPublicPlace(
    t.ctx,
    { name: 'Centre', postcode: '33000', inseeCode: '33063', latitude: 44.8378, longitude: -0.5792, specificSupport: ['Surdité'], accessibilityUrl: 'https://acceslibre.beta.gouv.fr/app/erp/centre/' },
    { services: [{ serviceCode: 'A01', deliveryModes: ['remote', 'home'] }] },
  );
  const merignac = await createPublicPlace(t.ctx, { name: 'Mérignac', postcode: '33700', inseeCode: '33281', latitude: 44.8386, longitude: -0.6436 }, { services: [{ serviceCode: 'D01' }] });
  const paris = await createPublicPlace(t.ctx, { name: 'Paris 12', postcode: '75012', inseeCode: '75112', latitude: 48.8396, longitude: 2.3876, phone: null }, { services: [{ serviceCode: 'M01' }] });
  Object.assign(ids, { lac: lac.place.id, centre: centre.place.id, merignac: merignac.place.id, paris: paris.place.id });

  // Never shown: provider not qualified, provider suspended, no active service, place not published.
  const submitted = await createPublicPlace(t.ctx, { name: 'Candidat' }, { application: 'submitted' });
  const suspended = await createPublicPlace(t.ctx, { name: 'Suspendu' }, { suspended: true });
  const paused = await createPublicPlace(t.ctx, { name: 'En pause' }, { services: [{ active: false }] });
  const withdrawn = await createPublicPlace(t.ctx, { name: 'Retiré' });
  await t.ctx.db.updateTable('places').set({ status: 'withdrawn' }).where('id', '=', withdrawn.place.id).execute();
  Object.assign(ids, { submitted: submitted.place.id, suspended: suspended.place.id, paused: paused.place.id, withdrawn: withdrawn.place.id });
});
afterAll(() => t.close());

const names = async (search: PlaceSearch) => (await searchPlaces(t.ctx.db, search)).hits.map((h) => h.name);

describe('reading the search box', () => {
  it('tells postcodes, départements and commune names apart', () => {
    expect(resolveLocation('33300')).toMatchObject({ kind: 'postcode', postcode: '33300' });
    expect(resolveLocation('33')).toMatchObject({ kind: 'departement', code: '33' });
    expect(resolveLocation('2a')).toMatchObject({ kind: 'departement', code: '2A' });
    expect(resolveLocation('974')).toMatchObject({ kind: 'departement', code: '974' });
    expect(resolveLocation('bordeaux')).toMatchObject({ kind: 'communes', codes: ['33063'], label: 'Bordeaux' });
    const paris = resolveLocation('Paris');
    expect(paris.kind === 'communes' && paris.codes).toContain('75112');
    expect(resolveLocation('Zzzzville').kind).toBe('unknown');
    expect(resolveLocation('  ').kind).toBe('everywhere');
  });
});

describe('searching places', () => {
  it('shows only published places of qualified, not suspended providers with an active service', async () => {
    expect((await names({})).sort()).toEqual(['Centre', 'Lac', 'Mérignac', 'Paris 12']);
  });

  it('finds by postcode, by commune (arrondissements included) and by département', async () => {
    expect(await names({ text: '33300' })).toEqual(['Lac']);
    expect((await names({ text: 'Bordeaux' })).sort()).toEqual(['Centre', 'Lac']);
    expect((await names({ text: '33' })).sort()).toEqual(['Centre', 'Lac', 'Mérignac']);
    expect(await names({ text: 'paris' })).toEqual(['Paris 12']);
    expect(await names({ text: '75' })).toEqual(['Paris 12']);
    const unknown = await searchPlaces(t.ctx.db, { text: 'Zzzzville' });
    expect(unknown).toMatchObject({ total: 0, location: { kind: 'unknown' } });
  });

  it('filters by service, level, accessibility and delivery mode', async () => {
    expect((await names({ serviceCode: 'M01' })).sort()).toEqual(['Lac', 'Paris 12']);
    expect(await names({ level: 3 })).toEqual(['Centre']);
    expect(await names({ level: 1, text: '33' })).toEqual(['Mérignac']);
    expect(await names({ specificSupport: true })).toEqual(['Centre']);
    expect(await names({ acceslibre: true })).toEqual(['Centre']);
    expect(await names({ deliveryMode: 'home' })).toEqual(['Centre']);
    expect(await names({ deliveryMode: 'home', serviceCode: 'M01' })).toEqual([]);
  });

  it('sorts by distance from a given point, or from the middle of the commune’s places', async () => {
    const fromMerignac = await searchPlaces(t.ctx.db, { text: '33', latitude: 44.84, longitude: -0.65 });
    expect(fromMerignac.hits.map((h) => h.name)).toEqual(['Mérignac', 'Centre', 'Lac']);
    expect(fromMerignac.point?.source).toBe('given');
    expect(fromMerignac.hits[0]!.distanceKm).toBeLessThan(1);
    const bordeaux = await searchPlaces(t.ctx.db, { text: 'Bordeaux' });
    expect(bordeaux.point).toMatchObject({ source: 'places' });
    expect(bordeaux.point!.latitude).toBeCloseTo((44.8837 + 44.8378) / 2, 5);
    expect(bordeaux.hits.every((h) => h.distanceKm !== null)).toBe(true);
    // No point at all: by name.
    expect((await searchPlaces(t.ctx.db, { text: '33' })).point).toBeNull();
  });

  it('pages the results and lists each place’s active services', async () => {
    const first = await searchPlaces(t.ctx.db, { pageSize: 3 });
    expect(first).toMatchObject({ total: 4, pageCount: 2, page: 1 });
    const second = await searchPlaces(t.ctx.db, { pageSize: 3, page: 2 });
    expect(second.hits).toHaveLength(1);
    expect(new Set([...first.hits, ...second.hits].map((h) => h.id)).size).toBe(4);
    // A page beyond the last shows the last.
    expect((await searchPlaces(t.ctx.db, { pageSize: 3, page: 9 })).page).toBe(2);
    const centre = (await searchPlaces(t.ctx.db, { text: '33000' })).hits[0]!;
    expect(centre.services).toEqual([expect.objectContaining({ code: 'A01', priceCents: 1000, deliveryModes: ['remote', 'home'] })]);
  });
});

describe('the public page of a place', () => {
  it('shows a public place with its active services, and nothing else', async () => {
    const found = await findPublicPlace(t.ctx.db, ids.lac!);
    expect(found?.services.map((s) => s.service_code)).toEqual(['M01']);
    for (const hidden of ['submitted', 'suspended', 'withdrawn']) expect(await findPublicPlace(t.ctx.db, ids[hidden]!)).toBeUndefined();
  });
});
