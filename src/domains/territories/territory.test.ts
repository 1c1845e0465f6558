import { describe, expect, it } from 'vitest';
import { isInsideTerritory, parseTerritory, territoryEntriesOfCommune, territoryEntryName } from './territory.js';

const BORDEAUX = '33063';
const MERIGNAC = '33281';
const LIBOURNE = '33243';
const PAU = '64445';
const PARIS = '75056';
const PARIS_12 = '75112';
const BORDEAUX_METROPOLE = '243300316';
const GRAND_PARIS = '200054781';

describe('a funder’s territory as typed', () => {
  it('reads communes, EPCI, départements and régions, whatever the separators', () => {
    expect(parseTerritory(`${BORDEAUX}, ${BORDEAUX_METROPOLE};33\nR75  2a004 974`)).toEqual({
      entries: ['commune:2A004', `commune:${BORDEAUX}`, 'departement:33', 'departement:974', `epci:${BORDEAUX_METROPOLE}`, 'region:75'],
      unknown: [],
    });
  });

  it('accepts typed entries as they are, in any case, and lists each entry once', () => {
    expect(parseTerritory(`commune:${PARIS_12} REGION:11 departement:2b epci:${GRAND_PARIS} commune:${PARIS_12} ${PARIS_12}`)).toEqual({
      entries: [`commune:${PARIS_12}`, 'departement:2B', `epci:${GRAND_PARIS}`, 'region:11'],
      unknown: [],
    });
  });

  it('keeps apart what does not exist: codes of nothing, other forms, an empty text', () => {
    expect(parseTerritory('20 99999 123456789 R99 Bordeaux commune:ABCDE region:1 canton:3301 33063x')).toEqual({
      entries: [],
      unknown: ['20', '99999', '123456789', 'R99', 'Bordeaux', 'commune:ABCDE', 'region:1', 'canton:3301', '33063x'],
    });
    expect(parseTerritory('  ,; \n')).toEqual({ entries: [], unknown: [] });
    // The SIREN of a commune is not an EPCI.
    expect(parseTerritory('213300635').unknown).toEqual(['213300635']);
  });

  it('names each entry', () => {
    expect(territoryEntryName(`commune:${BORDEAUX}`)).toBe('Bordeaux');
    expect(territoryEntryName(`commune:${PARIS_12}`)).toBe('Paris 12e Arrondissement');
    expect(territoryEntryName(`epci:${BORDEAUX_METROPOLE}`)).toBe('Bordeaux Métropole');
    expect(territoryEntryName('departement:2A')).toBe('Corse-du-Sud');
    expect(territoryEntryName('region:11')).toBe('Île-de-France');
    expect(territoryEntryName('region:99')).toBeUndefined();
    expect(territoryEntryName('canton:3301')).toBeUndefined();
    expect(territoryEntryName('33063')).toBeUndefined();
  });
});

describe('a place inside a territory', () => {
  it('belongs to its commune, EPCI, département and région', () => {
    expect(territoryEntriesOfCommune(BORDEAUX).sort()).toEqual([`commune:${BORDEAUX}`, 'departement:33', `epci:${BORDEAUX_METROPOLE}`, 'region:75']);
    expect(territoryEntriesOfCommune('99999')).toEqual([]);
  });

  it('is inside when any of its entries is listed', () => {
    expect(isInsideTerritory([`commune:${BORDEAUX}`], BORDEAUX)).toBe(true);
    expect(isInsideTerritory([`commune:${BORDEAUX}`], MERIGNAC)).toBe(false);
    expect(isInsideTerritory([`epci:${BORDEAUX_METROPOLE}`], MERIGNAC)).toBe(true);
    expect(isInsideTerritory([`epci:${BORDEAUX_METROPOLE}`], LIBOURNE)).toBe(false);
    expect(isInsideTerritory(['departement:33'], LIBOURNE)).toBe(true);
    expect(isInsideTerritory(['departement:33'], PAU)).toBe(false);
    expect(isInsideTerritory(['region:75'], PAU)).toBe(true);
    expect(isInsideTerritory(['region:75'], PARIS)).toBe(false);
    expect(isInsideTerritory(['departement:64', `commune:${MERIGNAC}`], MERIGNAC)).toBe(true);
    expect(isInsideTerritory(['departement:64', `commune:${MERIGNAC}`], BORDEAUX)).toBe(false);
  });

  it('in an arrondissement is inside its city, but a place of the city is not inside one arrondissement', () => {
    expect(isInsideTerritory([`commune:${PARIS}`], PARIS_12)).toBe(true);
    expect(isInsideTerritory([`commune:${PARIS_12}`], PARIS_12)).toBe(true);
    expect(isInsideTerritory([`epci:${GRAND_PARIS}`], PARIS_12)).toBe(true);
    expect(isInsideTerritory(['departement:75'], PARIS_12)).toBe(true);
    expect(isInsideTerritory(['region:11'], PARIS_12)).toBe(true);
    expect(isInsideTerritory([`commune:${PARIS_12}`], PARIS)).toBe(false);
    expect(isInsideTerritory([`commune:${PARIS_12}`], '75111')).toBe(false);
    expect(isInsideTerritory(['commune:69123'], '69381')).toBe(true);
  });

  it('is anywhere when the territory is empty; without a commune, only then', () => {
    expect(isInsideTerritory([], PAU)).toBe(true);
    expect(isInsideTerritory([], null)).toBe(true);
    expect(isInsideTerritory(['region:75'], null)).toBe(false);
  });
});
