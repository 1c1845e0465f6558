import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { findCommune, findEpci } from './communes.js';

/**
 * A funder's territory: any set of communes (INSEE code), EPCI (SIREN), départements and régions
 * (INSEE codes). Stored as typed entries, 'commune:33063', 'epci:243300316', 'departement:33',
 * 'region:75', so that a place is inside when any of its own entries is listed.
 */

export type TerritoryKind = 'commune' | 'epci' | 'departement' | 'region';
export type TerritoryEntry = `${TerritoryKind}:${string}`;

interface Named {
  code: string;
  nom: string;
}

let names: { departements: Map<string, string>; regions: Map<string, string> } | undefined;

function areaNames() {
  if (!names) {
    const require = createRequire(import.meta.url);
    const read = (file: string) =>
      new Map((JSON.parse(readFileSync(require.resolve(`@etalab/decoupage-administratif/data/${file}`), 'utf8')) as Named[]).map((d) => [d.code, d.nom]));
    names = { departements: read('departements.json'), regions: read('regions.json') };
  }
  return names;
}

/** The name of an entry, or undefined when the code does not exist. */
export function territoryEntryName(entry: string): string | undefined {
  const [kind, code = ''] = entry.split(':');
  switch (kind) {
    case 'commune':
      return findCommune(code)?.name;
    case 'epci':
      return findEpci(code)?.name;
    case 'departement':
      return areaNames().departements.get(code);
    case 'region':
      return areaNames().regions.get(code);
    default:
      return undefined;
  }
}

/**
 * Reads what a funder typed: codes separated by commas, semicolons, spaces or lines. 5 characters
 * are a commune (33063, 2A004), 9 digits an EPCI, 2 or 3 characters a département (33, 2A, 974),
 * 'R' and 2 digits a région (R75); typed entries ('region:75') are accepted as they are.
 */
export function parseTerritory(text: string): { entries: TerritoryEntry[]; unknown: string[] } {
  const entries = new Set<TerritoryEntry>();
  const unknown: string[] = [];
  for (const token of text.split(/[\s,;]+/u).filter((t) => t !== '')) {
    const entry = territoryEntryOf(token.toUpperCase());
    if (entry && territoryEntryName(entry) !== undefined) entries.add(entry);
    else unknown.push(token);
  }
  return { entries: [...entries].sort(), unknown };
}

function territoryEntryOf(token: string): TerritoryEntry | undefined {
  const typed = /^(COMMUNE|EPCI|DEPARTEMENT|REGION):(.+)$/u.exec(token);
  if (typed) return `${typed[1]!.toLowerCase() as TerritoryKind}:${typed[2]!}`;
  if (/^R\d{2}$/u.test(token)) return `region:${token.slice(1)}`;
  if (/^\d{9}$/u.test(token)) return `epci:${token}`;
  if (/^(\d{5}|2[AB]\d{3})$/u.test(token)) return `commune:${token}`;
  if (/^(\d{2}|2[AB]|97\d)$/u.test(token)) return `departement:${token}`;
  return undefined;
}

/** Every entry a place in this commune belongs to (an arrondissement also belongs to its city). */
export function territoryEntriesOfCommune(inseeCode: string): TerritoryEntry[] {
  return [...entriesOfCommune(inseeCode)];
}

/**
 * The entries of the communes already asked about: each voucher of each redemption asks for its
 * place's. Only codes written exactly as the commune's own are kept (not ' 1053' for 01053), so the
 * map never holds more than the country's communes, whatever codes come in.
 */
const entriesByCode = new Map<string, readonly TerritoryEntry[]>();
const NO_ENTRIES: readonly TerritoryEntry[] = Object.freeze([]);

function entriesOfCommune(inseeCode: string): readonly TerritoryEntry[] {
  const known = entriesByCode.get(inseeCode);
  if (known) return known;
  const commune = findCommune(inseeCode);
  if (!commune) return NO_ENTRIES;
  const entries: TerritoryEntry[] = [`commune:${commune.code}`, `departement:${commune.departement}`, `region:${commune.region}`];
  if (commune.parent) entries.push(`commune:${commune.parent}`);
  if (commune.epci) entries.push(`epci:${commune.epci}`);
  const frozen = Object.freeze(entries);
  if (commune.code === inseeCode) entriesByCode.set(inseeCode, frozen);
  return frozen;
}

/** An empty territory restricts nothing. */
export function isInsideTerritory(territory: readonly string[], inseeCode: string | null): boolean {
  if (territory.length === 0) return true;
  if (inseeCode === null) return false;
  return entriesOfCommune(inseeCode).some((entry) => territory.includes(entry));
}
