import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

/**
 * Reserves `count` consecutive gapless numbers of a series and year in one update of its counter
 * (see numbering/document-numbers.ts: the row stays locked until the caller's transaction ends, and
 * a rollback gives the numbers back). Returns the first one; 0 reserves nothing.
 */
export async function reserveDocumentNumbers(trx: Kysely<DB>, series: string, year: number, count: number): Promise<number> {
  if (!Number.isInteger(count) || count < 0) throw new Error(`invalid count of numbers: ${count}`);
  if (count === 0) return 0;
  const row = await trx
    .insertInto('document_counters')
    .values({ series, year, last_number: count })
    .onConflict((oc) => oc.columns(['series', 'year']).doUpdateSet((eb) => ({ last_number: eb('document_counters.last_number', '+', count) })))
    .returning('last_number')
    .executeTakeFirstOrThrow();
  return row.last_number - count + 1;
}

