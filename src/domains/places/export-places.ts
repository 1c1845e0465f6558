import { stringify } from 'csv-stringify/sync';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { EXTENSION_COLUMN, STANDARD_COLUMNS, allPublicPlaces, toStandardRow } from './open-data.js';

/**
 * The public places as a CSV of the standard (comma-separated, `|` inside lists, UTF-8), strict,
 * or extended with the pass numérique column.
 */
export async function placesToCsv(db: Kysely<DB>, options: { extended: boolean }): Promise<string> {
  const columns = options.extended ? [...STANDARD_COLUMNS, EXTENSION_COLUMN] : [...STANDARD_COLUMNS];
  const records: (string | number | null)[][] = [];
  for await (const place of allPublicPlaces(db)) {
    const row = toStandardRow(place);
    records.push([...STANDARD_COLUMNS.map((column) => row[column]), ...(options.extended ? ['true'] : [])]);
  }
  return stringify(records, { header: true, columns, cast: { number: (n) => String(n) } });
}

/** The public places as JSON rows, each with the extension field. */
export async function placesToJson(db: Kysely<DB>): Promise<string> {
  const rows = [];
  for await (const place of allPublicPlaces(db)) rows.push({ ...toStandardRow(place), [EXTENSION_COLUMN]: true });
  return `${JSON.stringify(rows, null, 2)}\n`;
}
