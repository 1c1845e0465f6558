import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  checkPostcodeMatchesCommune,
  communesForPostcode,
  communesOfEpci,
  departementOf,
  epciOfCommune,
  findCommune,
  findEpci,
  loadCommunes,
  searchCommunes,
} from './communes.js';

const codes = (communes: readonly { code: string }[]) => communes.map((commune) => commune.code);

describe('communes index', () => {
  it('holds the current communes and the arrondissements of Paris, Lyon and Marseille', () => {
    const stats = loadCommunes();
    // 34,969 current communes and 45 arrondissements in version 6.0.0 of the files.
    expect(stats.communes).toBeGreaterThan(34_000);
    expect(stats.communes).toBeLessThan(36_000);
    expect(stats.epcis).toBeGreaterThan(1_200);
    expect(loadCommunes()).toEqual(stats);
  });

  it('finds communes by INSEE code, with their postcodes and EPCI', () => {
    expect(findCommune('33063')).toEqual({
      code: '33063',
      name: 'Bordeaux',
      departement: '33',
      region: '75',
      siren: '213300635',
      epci: '243300316',
      postcodes: ['33000', '33100', '33200', '33300', '33800'],
      population: expect.any(Number),
    });
    expect(findCommune('2A004')).toMatchObject({ name: 'Ajaccio', departement: '2A', region: '94', postcodes: expect.arrayContaining(['20000', '20090']) });
    expect(findCommune('2a004')?.name).toBe('Ajaccio');
    expect(findCommune('97411')).toMatchObject({ name: 'Saint-Denis', departement: '974', region: '04', postcodes: expect.arrayContaining(['97400']) });
    expect(findCommune('1053')?.code).toBe('01053'); // Bourg-en-Bresse, its leading zero eaten by a spreadsheet
    expect(findCommune('33999')).toBeUndefined();
    expect(findCommune('')).toBeUndefined();
  });

  it('knows the municipal arrondissements, attached to their city and its EPCI', () => {
    expect(findCommune('75112')).toMatchObject({ name: 'Paris 12e Arrondissement', departement: '75', parent: '75056', postcodes: ['75012'], epci: '200054781' });
    expect(findCommune('75116')?.postcodes).toEqual(['75016', '75116']);
    expect(findCommune('69381')).toMatchObject({ parent: '69123', postcodes: ['69001'] });
    expect(findCommune('13201')).toMatchObject({ parent: '13055', postcodes: ['13001'] });
    expect(findCommune('75056')?.postcodes).toContain('75012');
  });

  it('leaves out delegated and associated communes, whose codes may be those of current communes', () => {
    // 10003 is both the commune nouvelle Aix-Villemaur-Pâlis and one of its communes déléguées.
    expect(findCommune('10003')?.name).toBe('Aix-Villemaur-Pâlis');
  });

  it('lists the communes of a postcode, the arrondissement rather than its city', () => {
    expect(codes(communesForPostcode('33000'))).toEqual(['33063']);
    expect(codes(communesForPostcode('20090'))).toContain('2A004');
    expect(codes(communesForPostcode('97400'))).toContain('97411');
    expect(codes(communesForPostcode('75012'))).toEqual(['75112']);
    expect(codes(communesForPostcode('75116'))).toEqual(['75116']);
    expect(codes(communesForPostcode('13001'))).toEqual(['13201']);
    // Shared postcodes: most populated first.
    const shared = communesForPostcode('51300');
    expect(shared.length).toBeGreaterThan(40);
    expect(shared[0]?.name).toBe('Vitry-le-François');
    expect(communesForPostcode('00000')).toEqual([]);
    expect(communesForPostcode('1000').map((commune) => commune.name)).toContain('Bourg-en-Bresse');
  });

  it('checks a postcode against a commune', () => {
    for (const postcode of ['33000', '33100', '33200', '33300', '33800']) {
      expect(checkPostcodeMatchesCommune(postcode, '33063')).toMatchObject({ ok: true, value: { name: 'Bordeaux' } });
    }
    expect(checkPostcodeMatchesCommune('20090', '2A004').ok).toBe(true);
    expect(checkPostcodeMatchesCommune('97400', '97411').ok).toBe(true);
    expect(checkPostcodeMatchesCommune('75012', '75112').ok).toBe(true);
    // The city's own code still accepts the postcodes of its arrondissements.
    expect(checkPostcodeMatchesCommune('75012', '75056').ok).toBe(true);
    expect(checkPostcodeMatchesCommune('75013', '75112')).toEqual({ ok: false, reason: 'postcode_commune_mismatch' });
    expect(checkPostcodeMatchesCommune('33700', '33063')).toEqual({ ok: false, reason: 'postcode_commune_mismatch' }); // Mérignac's
    expect(checkPostcodeMatchesCommune('33999', '33063')).toEqual({ ok: false, reason: 'postcode_unknown' });
    expect(checkPostcodeMatchesCommune('ABCDE', '33063')).toEqual({ ok: false, reason: 'postcode_unknown' });
    expect(checkPostcodeMatchesCommune('33000', '33999')).toEqual({ ok: false, reason: 'commune_unknown' });
    // Postcodes cross département lines: Éloise (Haute-Savoie) is served from 01200.
    expect(checkPostcodeMatchesCommune('01200', '74109').ok).toBe(true);
  });

  it('gives the EPCI of a commune, and its members', () => {
    expect(epciOfCommune('33063')).toEqual({ siren: '243300316', name: 'Bordeaux Métropole', kind: 'METRO' });
    expect(epciOfCommune('75112')).toEqual({ siren: '200054781', name: 'Métropole du Grand Paris', kind: 'METRO' });
    expect(epciOfCommune('69381')?.kind).toBe('MET69');
    // Single-commune islands belong to no EPCI.
    expect(epciOfCommune('29155')).toBeUndefined(); // Ouessant
    expect(findCommune('29155')?.epci).toBeUndefined();
    expect(epciOfCommune('99999')).toBeUndefined();
    expect(findEpci('243 300 316')?.name).toBe('Bordeaux Métropole');
    const members = codes(communesOfEpci('243300316'));
    expect(members[0]).toBe('33063');
    expect(members).toContain('33281'); // Mérignac
    expect(members).toHaveLength(28);
    // The arrondissements are not members of their own; their city is.
    expect(codes(communesOfEpci('200054781'))).toContain('75056');
    expect(codes(communesOfEpci('200054781'))).not.toContain('75112');
  });
});

describe('departementOf', () => {
  it('reads the département from the code, Corsica and overseas included', () => {
    expect(departementOf('33063')).toBe('33');
    expect(departementOf('01053')).toBe('01');
    expect(departementOf('2A004')).toBe('2A');
    expect(departementOf('2b033')).toBe('2B');
    expect(departementOf('97105')).toBe('971');
    expect(departementOf('97209')).toBe('972');
    expect(departementOf('97302')).toBe('973');
    expect(departementOf('97411')).toBe('974');
    expect(departementOf('97611')).toBe('976');
    expect(departementOf('98735')).toBe('987');
    expect(departementOf('75112')).toBe('75');
    expect(departementOf('1053')).toBe('01'); // leading zero restored, as findCommune does
  });

  it('agrees with the INSEE file for every commune', () => {
    const require = createRequire(import.meta.url);
    const raw = JSON.parse(readFileSync(require.resolve('@etalab/decoupage-administratif/data/communes.json'), 'utf8')) as {
      code: string;
      type: string;
      departement: string;
    }[];
    const current = raw.filter((commune) => commune.type === 'commune-actuelle' || commune.type === 'arrondissement-municipal');
    expect(current.length).toBeGreaterThan(34_000);
    expect(current.filter((commune) => departementOf(commune.code) !== commune.departement).map((commune) => commune.code)).toEqual([]);
  });

  it('refuses what is not a current commune code', () => {
    for (const code of ['20004', '99100', '97999', '98500', '00001', '330', '330633', '2C004', '']) {
      expect(departementOf(code), code).toBeUndefined();
    }
  });
});

describe('searchCommunes', () => {
  const names = (text: string, limit?: number) => searchCommunes(text, limit).map((commune) => commune.name);

  it('finds by name without case or accents', () => {
    expect(names('epinal')[0]).toBe('Épinal');
    expect(names('ÉPINAL')[0]).toBe('Épinal');
    expect(names('bordeaux')[0]).toBe('Bordeaux');
    expect(names('oeuilly')).toContain('Œuilly');
    expect(names('lhay')[0]).toBe("L'Haÿ-les-Roses");
  });

  it('puts exact names first, then names starting with the text, then words starting with it', () => {
    const found = names('bordeaux', 50);
    expect(found[0]).toBe('Bordeaux');
    expect(found.indexOf('Bordeaux-Saint-Clair')).toBeLessThan(found.indexOf('Artigues-près-Bordeaux'));
    expect(names('havre')[0]).toBe('Le Havre');
  });

  it('reads "St" and "Ste" as "Saint" and "Sainte" once the word is typed', () => {
    expect(codes(searchCommunes('st denis', 2)).sort()).toEqual(['93066', '97411']);
    expect(codes(searchCommunes('saint-denis', 2)).sort()).toEqual(['93066', '97411']);
    expect(names('ste maxime')).toContain('Sainte-Maxime');
    expect(names('st')[0]).toBe('Strasbourg');
    expect(names('st ')[0]).toMatch(/^Saint/u);
  });

  it('finds arrondissements by name', () => {
    expect(names('paris')[0]).toBe('Paris');
    expect(names('paris 12')).toEqual(['Paris 12e Arrondissement']);
    expect(names('marseille 1er')).toEqual(['Marseille 1er Arrondissement']);
  });

  it('finds by postcode, whole or begun, and by INSEE code', () => {
    expect(codes(searchCommunes('33800'))).toEqual(['33063']);
    expect(codes(searchCommunes('75 012'))).toEqual(['75112']);
    expect(codes(searchCommunes('2A004'))).toEqual(['2A004']);
    // Postcode first, then the commune whose INSEE code it is.
    expect(codes(searchCommunes('13001'))).toEqual(['13201', '13001']);
    const begun = searchCommunes('3312', 50);
    expect(begun.length).toBeGreaterThan(5);
    for (const commune of begun) expect(commune.postcodes.some((postcode) => postcode.startsWith('3312'))).toBe(true);
  });

  it('finds by département code, most populated first', () => {
    expect(codes(searchCommunes('33', 3))[0]).toBe('33063');
    expect(codes(searchCommunes('2a', 1))).toEqual(['2A004']);
    expect(codes(searchCommunes('2B', 2)).every((code) => code.startsWith('2B'))).toBe(true);
    expect(codes(searchCommunes('974', 1))).toEqual(['97411']);
    expect(searchCommunes('974', 100).every((commune) => commune.departement === '974')).toBe(true);
  });

  it('respects the limit and ignores empty queries', () => {
    expect(searchCommunes('saint', 7)).toHaveLength(7);
    expect(searchCommunes('saint')).toHaveLength(10);
    expect(searchCommunes('   ')).toEqual([]);
    expect(searchCommunes('---')).toEqual([]);
    expect(searchCommunes('bordeaux', 0)).toEqual([]);
    expect(searchCommunes('zzzzzz')).toEqual([]);
  });
});
