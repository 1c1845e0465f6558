import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The French communes, from the INSEE files packaged by Etalab (@etalab/decoupage-administratif):
 * current communes, plus the municipal arrondissements of Paris, Lyon and Marseille, which the
 * national data standards use (75112 for Paris 12e, with postcode 75012).
 *
 * The files weigh 12 MB; the index is built on first use, once, and keeps only what is needed.
 */

export interface Commune {
  /** INSEE code (code officiel géographique), 5 characters: 33063, 2A004, 97411, 75112. */
  readonly code: string;
  readonly name: string;
  /** Département, or overseas collectivity: 33, 2A, 974, 987. */
  readonly departement: string;
  /** INSEE region code (for overseas collectivities, their own code: 975, 987…). */
  readonly region: string;
  /** SIREN of the commune itself (absent for arrondissements and most overseas collectivities). */
  readonly siren?: string;
  /** SIREN of its EPCI with its own taxation, if any (an arrondissement: that of its city). */
  readonly epci?: string;
  /** For a municipal arrondissement of Paris, Lyon or Marseille: the INSEE code of its city. */
  readonly parent?: string;
  readonly postcodes: readonly string[];
  /** Municipal population (0 for the uninhabited TAAF districts and Clipperton). */
  readonly population: number;
}

export interface Epci {
  readonly siren: string;
  readonly name: string;
  /** CC, CA, CU, METRO or MET69 (Métropole de Lyon). */
  readonly kind: string;
}

export type PostcodeProblem = 'postcode_unknown' | 'commune_unknown' | 'postcode_commune_mismatch';

export type PostcodeCheck = { ok: true; value: Commune } | { ok: false; reason: PostcodeProblem };

// ---------------------------------------------------------------------------------------------
// Codes

/** Overseas codes in use: DROM 971–976, Saint-Barthélemy 977, Saint-Martin 978, TAAF 984, Pacific 986–988, Clipperton 989. */
const OVERSEAS_DEPARTEMENTS = new Set(['971', '972', '973', '974', '975', '976', '977', '978', '984', '986', '987', '988', '989']);

/** Spreadsheets drop leading zeros: 1053 was 01053. */
function normaliseCode(input: string): string {
  const code = input.trim().toUpperCase();
  return /^\d{4}$/.test(code) ? `0${code}` : code;
}

export const normaliseInseeCode = normaliseCode;
export const normalisePostcode = normaliseCode;

/**
 * The département of an INSEE commune code, from the code alone: two characters (01–95 but 20,
 * 2A, 2B), three overseas. Undefined for what cannot be a current commune code, including the
 * 20xxx codes Corsican communes had before 1976.
 */
export function departementOf(inseeCode: string): string | undefined {
  const code = normaliseCode(inseeCode);
  if (!/^(\d{2}|2[AB])\d{3}$/.test(code)) return undefined;
  if (code.startsWith('97') || code.startsWith('98')) {
    const overseas = code.slice(0, 3);
    return OVERSEAS_DEPARTEMENTS.has(overseas) ? overseas : undefined;
  }
  const departement = code.slice(0, 2);
  if (departement === '00' || departement === '20' || departement === '96' || departement === '99') return undefined;
  return departement;
}

// ---------------------------------------------------------------------------------------------
// Index

interface RawCommune {
  code: string;
  nom: string;
  type: string;
  departement: string;
  region: string;
  siren?: string;
  commune?: string;
  codesPostaux?: string[];
  population?: number;
}

interface RawEpci {
  code: string;
  nom: string;
  type: string;
  membres: { code: string }[];
}

interface Searchable {
  commune: Commune;
  /** Normalised name without separators: `saintdenis`. */
  key: string;
  /** Where each word starts in key, after the first. */
  wordStarts: number[];
}

interface Index {
  byCode: Map<string, Commune>;
  byPostcode: Map<string, Commune[]>;
  byDepartement: Map<string, Commune[]>;
  epciByCode: Map<string, Epci>;
  communesOfEpci: Map<string, Commune[]>;
  searchable: Searchable[];
  buildMs: number;
}

let index: Index | undefined;

function readData<T>(file: string): T {
  const require = createRequire(import.meta.url);
  // Read and parse rather than require(): the raw arrays are then garbage once the index is built,
  // instead of staying in the module cache.
  return JSON.parse(readFileSync(require.resolve(`@etalab/decoupage-administratif/data/${file}`), 'utf8')) as T;
}

const byPopulation = (a: Commune, b: Commune) => b.population - a.population || a.code.localeCompare(b.code);

function build(): Index {
  const started = performance.now();
  const rawEpcis = readData<RawEpci[]>('epci.json');
  const epciByCode = new Map<string, Epci>();
  const epciOfCommune = new Map<string, Epci>(); // for the build only
  for (const raw of rawEpcis) {
    const epci: Epci = { siren: raw.code, name: raw.nom, kind: raw.type };
    epciByCode.set(epci.siren, epci);
    for (const member of raw.membres) epciOfCommune.set(member.code, epci);
  }

  const rawCommunes = readData<RawCommune[]>('communes.json');
  const byCode = new Map<string, Commune>();
  const arrondissements: RawCommune[] = [];
  for (const raw of rawCommunes) {
    if (raw.type === 'commune-actuelle') byCode.set(raw.code, toCommune(raw, epciOfCommune.get(raw.code)?.siren));
    else if (raw.type === 'arrondissement-municipal') arrondissements.push(raw);
    // Communes déléguées and associées share codes with current communes: left out.
  }
  const coveredByArrondissement = new Set<string>();
  for (const raw of arrondissements) {
    const parent = raw.commune === undefined ? undefined : byCode.get(raw.commune);
    byCode.set(raw.code, toCommune(raw, parent?.epci, parent?.code));
    for (const postcode of raw.codesPostaux ?? []) coveredByArrondissement.add(`${raw.commune}:${postcode}`);
  }

  const byPostcode = new Map<string, Commune[]>();
  const byDepartement = new Map<string, Commune[]>();
  const communesOfEpci = new Map<string, Commune[]>();
  const searchable: Searchable[] = [];
  const push = <K>(map: Map<K, Commune[]>, key: K, commune: Commune) => {
    const list = map.get(key);
    if (list) list.push(commune);
    else map.set(key, [commune]);
  };
  for (const commune of byCode.values()) {
    for (const postcode of commune.postcodes) {
      // 75012 finds Paris 12e, not Paris and Paris 12e.
      if (!coveredByArrondissement.has(`${commune.code}:${postcode}`)) push(byPostcode, postcode, commune);
    }
    push(byDepartement, commune.departement, commune);
    if (commune.epci !== undefined && commune.parent === undefined) push(communesOfEpci, commune.epci, commune);
    const words = searchWords(commune.name, true);
    const wordStarts: number[] = [];
    let offset = 0;
    for (const word of words) {
      if (offset > 0) wordStarts.push(offset);
      offset += word.length;
    }
    searchable.push({ commune, key: words.join(''), wordStarts });
  }
  for (const map of [byPostcode, byDepartement, communesOfEpci]) for (const list of map.values()) list.sort(byPopulation);

  return { byCode, byPostcode, byDepartement, epciByCode, communesOfEpci, searchable, buildMs: performance.now() - started };
}

function toCommune(raw: RawCommune, epci: string | undefined, parent?: string): Commune {
  return {
    code: raw.code,
    name: raw.nom,
    departement: raw.departement,
    region: raw.region,
    ...(raw.siren === undefined ? {} : { siren: raw.siren }),
    ...(epci === undefined ? {} : { epci }),
    ...(parent === undefined ? {} : { parent }),
    postcodes: Object.freeze([...(raw.codesPostaux ?? [])]),
    population: raw.population ?? 0,
  };
}

function communes(): Index {
  index ??= build();
  return index;
}

/** Builds the index now (at start-up, say) rather than on the first request; tells what it holds. */
export function loadCommunes(): { communes: number; postcodes: number; epcis: number; buildMs: number } {
  const { byCode, byPostcode, epciByCode, buildMs } = communes();
  return { communes: byCode.size, postcodes: byPostcode.size, epcis: epciByCode.size, buildMs };
}

// ---------------------------------------------------------------------------------------------
// Look-ups

export function findCommune(inseeCode: string): Commune | undefined {
  return communes().byCode.get(normaliseCode(inseeCode));
}

/** Communes served by a postcode, most populated first (Paris, Lyon, Marseille: the arrondissement). */
export function communesForPostcode(postcode: string): readonly Commune[] {
  return communes().byPostcode.get(normaliseCode(postcode)) ?? [];
}

/** Postcodes are La Poste's and cross département lines (Éloise, 74, is 01200): never guess from prefixes. */
export function checkPostcodeMatchesCommune(postcode: string, inseeCode: string): PostcodeCheck {
  const commune = findCommune(inseeCode);
  if (!commune) return { ok: false, reason: 'commune_unknown' };
  const code = normaliseCode(postcode);
  if (commune.postcodes.includes(code)) return { ok: true, value: commune };
  return { ok: false, reason: communes().byPostcode.has(code) ? 'postcode_commune_mismatch' : 'postcode_unknown' };
}

/** The EPCI with its own taxation the commune belongs to (that of its city for an arrondissement). */
export function epciOfCommune(inseeCode: string): Epci | undefined {
  const commune = findCommune(inseeCode);
  return commune?.epci === undefined ? undefined : communes().epciByCode.get(commune.epci);
}

export function findEpci(siren: string): Epci | undefined {
  return communes().epciByCode.get(siren.replace(/\s/gu, ''));
}

/** Member communes of an EPCI (not the arrondissements), most populated first. */
export function communesOfEpci(siren: string): readonly Commune[] {
  return communes().communesOfEpci.get(siren.replace(/\s/gu, '')) ?? [];
}

// ---------------------------------------------------------------------------------------------
// Search box

const ABBREVIATIONS: Readonly<Record<string, string>> = { st: 'saint', ste: 'sainte', sts: 'saints', stes: 'saintes' };

/**
 * Lower case, no accents, ligatures spelt out, words split on anything else; "St" and "Ste"
 * spelt out when the word is complete (so that "st" still finds Strasbourg while typing).
 */
function searchWords(text: string, complete: boolean): string[] {
  const words = text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/œ/gu, 'oe')
    .replace(/æ/gu, 'ae')
    .split(/[^a-z0-9]+/u)
    .filter((word) => word !== '');
  return words.map((word, i) => (complete || i < words.length - 1 ? (ABBREVIATIONS[word] ?? word) : word));
}

/**
 * For a search box: by name (start of the name or of one of its words, without case or accents,
 * "St" for "Saint"), by postcode or its beginning, by INSEE code, or by département code.
 * Five digits are read as a postcode first, then as an INSEE code (13001: Marseille 1er, then Aix).
 * Best matches first, then the most populated.
 */
export function searchCommunes(text: string, limit = 10): Commune[] {
  const query = text.trim().toUpperCase();
  if (query === '' || limit <= 0) return [];
  const code = query.replace(/\s/gu, '');
  if (/^\d{1,5}$|^2[AB]\d{0,3}$/.test(code)) return searchByCode(code, limit);

  const words = searchWords(text, /[^\p{L}\p{N}]$/u.test(text));
  const key = words.join('');
  if (key === '') return [];
  const found: { commune: Commune; rank: number }[] = [];
  for (const entry of communes().searchable) {
    let rank: number | undefined;
    if (entry.key === key) rank = 0;
    else if (entry.key.startsWith(key)) rank = 1;
    else if (entry.wordStarts.some((start) => entry.key.startsWith(key, start))) rank = 2;
    if (rank !== undefined) found.push({ commune: entry.commune, rank });
  }
  return found
    .sort((a, b) => a.rank - b.rank || byPopulation(a.commune, b.commune))
    .slice(0, limit)
    .map((match) => match.commune);
}

function searchByCode(query: string, limit: number): Commune[] {
  const { byCode, byPostcode, byDepartement } = communes();
  const ranked = new Map<Commune, number>();
  const add = (commune: Commune, rank: number) => {
    const known = ranked.get(commune);
    if (known === undefined || rank < known) ranked.set(commune, rank);
  };
  if (query.length === 5) {
    for (const commune of byPostcode.get(query) ?? []) add(commune, 0);
    const commune = byCode.get(query);
    if (commune) add(commune, 1);
  } else if (/^2[AB]\d/.test(query)) {
    // Corsican INSEE codes being typed: 2A0 finds 2A004 Ajaccio.
    for (const commune of byDepartement.get(query.slice(0, 2)) ?? []) if (commune.code.startsWith(query)) add(commune, 1);
  } else {
    // A département code, or the beginning of postcodes (33 is both; 330 only the latter).
    for (const commune of byDepartement.get(query) ?? []) add(commune, 1);
    for (const [postcode, list] of byPostcode) {
      if (postcode.startsWith(query)) for (const commune of list) add(commune, 1);
    }
  }
  return [...ranked]
    .sort(([a, rankA], [b, rankB]) => rankA - rankB || byPopulation(a, b))
    .slice(0, limit)
    .map(([commune]) => commune);
}
