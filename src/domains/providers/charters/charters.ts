import { readFile } from 'node:fs/promises';

/**
 * The charter a provider signs before being qualified, in its successive versions. A signature
 * records the version signed; a published text never changes: a change is a new version and file.
 * The texts are the predecessor's, kept word for word under a short header that says so
 * (sources: docs/sources/charters.md). `effectiveFrom` is the first day a version can be signed.
 */
export interface Charter {
  version: number;
  title: string;
  /** A file next to this module. */
  file: string;
  /** YYYY-MM-DD. */
  effectiveFrom: string;
}

export const CHARTERS: readonly Charter[] = [
  {
    version: 1,
    title: 'Charte des engagements réciproques (texte #APTIC V2 2021)',
    file: 'charter-v1.txt',
    // The year printed on the document; the day is not known, hence its first day.
    effectiveFrom: '2021-01-01',
  },
  {
    version: 2,
    title: 'Charte des engagements réciproques (version révisée après concertation)',
    file: 'charter-v2.txt',
    // The day the platform opened: every provider signs this version.
    effectiveFrom: '2026-11-22',
  },
];

export const CURRENT_CHARTER_VERSION = 2;

export function findCharter(version: number): Charter | undefined {
  return CHARTERS.find((charter) => charter.version === version);
}

/** The full text, header included, as shown to the person who signs. */
export async function readCharterText(version: number): Promise<string> {
  const charter = findCharter(version);
  if (!charter) throw new RangeError(`No charter has version ${version}`);
  return readFile(new URL(`./${charter.file}`, import.meta.url), 'utf8');
}
