import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/domains/actor.js';
import { importPlaces } from '../../src/domains/places/import-places.js';
import { createTestContext, onPostgres, type TestContext } from '../support/context.js';

const DATA = fileURLToPath(new URL('../data/lieux-mediation-numerique/', import.meta.url));
const FILES = {
  hinaura: 'hinaura-aura-2022_standard-v0.1.json',
  paca: '20230517-hub-du-sud-paca_standard-v1.json',
  bus: '20231003-bus-france-services-charente_standard-v0.1.json',
};

let t: TestContext;
beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

async function importFile(name: string) {
  return importPlaces(t.ctx, SYSTEM_ACTOR, { fileName: name, content: await readFile(`${DATA}${name}`) });
}

describe(`importing the national standard on ${onPostgres ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('imports a v0.1 file, mapping its 15 services onto the 9 of v1 and keeping the pass numérique flag', async () => {
    const report = await importFile(FILES.hinaura);
    expect(report).toMatchObject({ imported: 687, updated: 0, unchanged: 0, rejected: 0 });
    expect(report.corrections.filter((c) => c.field === 'pivot')).toHaveLength(687);
    const abondance = await t.ctx.db.selectFrom('places').selectAll().where('source', '=', 'Hinaura').where('source_id', '=', '0').executeTakeFirstOrThrow();
    expect(abondance).toMatchObject({
      name: 'MAISON DE SERVICES AU PUBLIC D’ABONDANCE'.replace('’', "'"),
      postcode: '74360',
      pivot: null,
      status: 'draft',
      provider_id: null,
      fees: ['Gratuit'],
      support_modes: ['Accompagnement individuel'],
      opening_hours: 'Tu-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00',
    });
    expect(abondance.standard_services.sort()).toEqual(['Accès internet et matériel informatique', 'Aide aux démarches administratives']);
    expect(abondance.publics.sort()).toEqual(['Familles et/ou enfants', 'Jeunes', 'Seniors']);
    expect(abondance.specific_support.sort()).toEqual(['Déficience visuelle', 'Handicaps mentaux', 'Illettrisme', 'Surdité']);
    const passPlaces = await t.ctx.db.selectFrom('places').select('id').where('source', '=', 'Hinaura').where('source_accepts_pass', '=', true).execute();
    expect(passPlaces).toHaveLength(91);
  });

  it('imports a v1 file, rejecting rows without coordinates and dropping epoch dates', async () => {
    const report = await importFile(FILES.paca);
    expect(report.imported + report.rejected).toBe(646);
    expect(report.rejected).toBe(4);
    for (const rejection of report.rejections) expect(rejection.reasons).toContain('coordonnées manquantes ou invalides');
    expect(report.corrections.filter((c) => c.field === 'date_maj')).toHaveLength(99);
    expect(report.corrections.find((c) => c.field === 'date_maj')!.reason).toContain('1970-01-01');
  });

  it('reads itinerant bus stops and reports their 1969-12-31 dates', async () => {
    const report = await importFile(FILES.bus);
    expect(report).toMatchObject({ imported: 12, rejected: 0 });
    expect(report.corrections.filter((c) => c.field === 'date_maj' && c.reason.includes('1969-12-31'))).toHaveLength(12);
    const stops = await t.ctx.db.selectFrom('places').select(['itinerant', 'phones', 'national_programmes']).where('source', '=', 'Bus France Services en Charente').execute();
    expect(stops.every((s) => s.itinerant)).toBe(true);
    expect(stops[0]!.phones).toEqual(['+33630392518']);
    expect(stops[0]!.national_programmes.sort()).toEqual(['Conseillers numériques', 'France Services']);
  });

  it('changes nothing when the same files are imported again', async () => {
    const before = await t.ctx.db.selectFrom('places').select(['id', 'updated_at']).orderBy('id').execute();
    for (const name of Object.values(FILES)) {
      const report = await importFile(name);
      expect(report.imported).toBe(0);
      expect(report.updated).toBe(0);
      expect(report.unchanged + report.rejected).toBeGreaterThan(0);
    }
    expect(await t.ctx.db.selectFrom('places').select(['id', 'updated_at']).orderBy('id').execute()).toEqual(before);
  });

  it('updates a place whose record changed, unless a provider has claimed it', async () => {
    const record = { id: 'x-1', nom: 'Médiathèque', commune: 'Bordeaux', code_postal: '33000', adresse: '1 rue X', latitude: 44.8, longitude: -0.57, source: 'Essai', date_maj: '2024-01-02', services: 'Aide aux démarches administratives' };
    const write = (changes: object) => importPlaces(t.ctx, SYSTEM_ACTOR, { fileName: 'essai.json', content: Buffer.from(JSON.stringify([{ ...record, ...changes }])) });
    expect((await write({})).imported).toBe(1);
    expect((await write({ nom: 'Médiathèque Mériadeck' })).updated).toBe(1);
    await t.ctx.db.updateTable('places').set({ provider_id: (await t.ctx.db.insertInto('organisations').values({ kind: 'provider', name: 'P' }).returning('id').executeTakeFirstOrThrow()).id }).where('source_id', '=', 'x-1').execute();
    expect((await write({ nom: 'Autre nom' })).unchanged).toBe(1);
    const place = await t.ctx.db.selectFrom('places').select('name').where('source_id', '=', 'x-1').executeTakeFirstOrThrow();
    expect(place.name).toBe('Médiathèque Mériadeck');
  });

  it('rejects broken rows with their reasons and imports the others', async () => {
    const rows = [
      { id: 'ok', nom: 'Lieu', commune: 'Lyon', code_postal: '69001', adresse: '2 place', latitude: 45.76, longitude: 4.83, services: 'Service inconnu|Loisirs et créations numériques' },
      { id: 'bad-cp', nom: 'Lieu', commune: 'Lyon', code_postal: '6900', adresse: '2 place', latitude: 45.76, longitude: 4.83 },
      { id: 'no-name', commune: 'Lyon', code_postal: '69001', adresse: '2 place', latitude: 45.76, longitude: 4.83 },
      { id: 'ok', nom: 'Doublon', commune: 'Lyon', code_postal: '69001', adresse: '2 place', latitude: 45.76, longitude: 4.83 },
      'not an object',
    ];
    const report = await importPlaces(t.ctx, SYSTEM_ACTOR, { fileName: 'abimé.json', content: Buffer.from(JSON.stringify(rows)) });
    expect(report).toMatchObject({ imported: 1, rejected: 4 });
    expect(report.rejections.map((r) => r.reasons.join(', '))).toEqual([
      'code postal invalide (« 6900 »)',
      'nom manquant',
      'identifiant en double dans le fichier',
      'identifiant (id) manquant, nom manquant, adresse manquante, code postal manquant, commune manquante, coordonnées manquantes ou invalides',
    ]);
    expect(report.corrections).toContainEqual({ row: 1, sourceId: 'ok', field: 'services', reason: 'service inconnu « Service inconnu » ignoré' });
    const saved = await t.ctx.db.selectFrom('place_imports').selectAll().where('id', '=', report.importId).executeTakeFirstOrThrow();
    expect(saved).toMatchObject({ imported: 1, rejected: 4, file_name: 'abimé.json' });
  });

  it('refuses a file that is not UTF-8, or not JSON nor CSV, writing nothing', async () => {
    const before = (await t.ctx.db.selectFrom('place_imports').select('id').execute()).length;
    const latin1 = Buffer.from('id,nom\n1,Médiathèque\n', 'latin1');
    await expect(importPlaces(t.ctx, SYSTEM_ACTOR, { fileName: 'latin1.csv', content: latin1 })).rejects.toMatchObject({ code: 'import_file_encoding' });
    await expect(importPlaces(t.ctx, SYSTEM_ACTOR, { fileName: 'objet.json', content: Buffer.from('{"a":1}') })).rejects.toMatchObject({ code: 'import_file_format' });
    await expect(importPlaces(t.ctx, SYSTEM_ACTOR, { fileName: 'tronque.json', content: Buffer.from('[{"id":') })).rejects.toMatchObject({ code: 'import_file_format' });
    expect((await t.ctx.db.selectFrom('place_imports').select('id').execute()).length).toBe(before);
  });

  it('reads the CSV example of the standard', async () => {
    const content = await readFile(fileURLToPath(new URL('../data/standard-mediation-num/exemple-valide.csv', import.meta.url)));
    const report = await importPlaces(t.ctx, SYSTEM_ACTOR, { fileName: 'exemple-valide.csv', content });
    expect(report).toMatchObject({ imported: 1, rejected: 0 });
    const place = await t.ctx.db.selectFrom('places').selectAll().where('source_id', '=', 'structure-1').executeTakeFirstOrThrow();
    expect(place).toMatchObject({ pivot: '43493312300029', itinerant: true, typologies: ['TIERS_LIEUX', 'ASSO'], phones: ['+33180059880'] });
    expect(place.support_modes).toHaveLength(4);
  });
});
